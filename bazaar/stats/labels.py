"""Readable, translated names for the codes stored in snapshots (figures, measures, answers)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from bazaar.accounts import choices
from bazaar.exhibitors.models import EMPLOYMENT_TYPE_LABELS, ORG_TYPE_LABELS
from bazaar.i18n import localized
from bazaar.occupations import OCCUPATIONS
from bazaar.registrations.models import NO, YES, QuestionKind

FIGURES = {
    "exhibitors": _l("Exhibitors"),
    "exhibitors_foreign": _l("Employers registered abroad"),
    "exhibitors_jobs_abroad": _l("Employers recruiting for jobs abroad"),
    "evidence_confirmed": _l("Confirmed by both"),
    "evidence_employer_only": _l("Employer only"),
    "evidence_visitor_only": _l("Visitor only"),
    "evidence_contradicted": _l("Contradicted (to resolve)"),
    "evidence_resolved_hired": _l("Resolved: hired"),
    "evidence_resolved_not_hired": _l("Resolved: not hired (not counted)"),
    "evidence_no_show": _l("Jobs reported by no-shows (not counted)"),
    "visitors_registered": _l("Visitors registered"),
    "visitors_checked_in": _l("Visitors checked in"),
    "visits": _l("Visits (a visitor per day)"),
    "visitors_walk_in": _l("Walk-ins"),
    "visitors_no_show": _l("No-shows"),
    "registrations_cancelled": _l("Registrations cancelled"),
    "bookings_made": _l("Bookings made"),
    "bookings_cancelled": _l("Bookings cancelled"),
    "interviews_booked_held": _l("Booked interviews held"),
    "interviews_walk_in": _l("Walk-in interviews"),
    "interviews_held": _l("Interviews held"),
    "talks_held": _l("Talks held (speed-dating)"),
    "talks_to_interview": _l("Talks that led to an interview"),
    "jobs_after_talks": _l("Hires after a talk"),
    "interviews_jobs_abroad": _l("Interviews for jobs abroad"),
    "hires_jobs_abroad": _l("Hires for jobs abroad"),
    "interview_no_shows": _l("Interview no-shows"),
    "interview_no_show_rate": _l("Interview no-show rate"),
    "visitors_interviewed": _l("Visitors interviewed"),
    "outcome_second_interview": _l("Second interviews"),
    "outcome_offer": _l("Offers"),
    "outcome_hired": _l("Hired (reported by exhibitors)"),
    "outcome_internship": _l("Internships"),
    "matched_interviews": _l("Matched interviews"),
    "hires_from_matching": _l("Hires from matching"),
    "activities_offered": _l("Activities after the fair"),
    "activity_participants": _l("Visitors at activities"),
    "jobs_after_activities": _l("Hires after an activity"),
    "jobs_after_try_a_job_day": _l("Jobs after a try-a-job day"),
    "visitors_offered": _l("Visitors with an offer"),
    "jobs_visitor_reported": _l("Jobs reported by visitors"),
    "jobs_total": _l("Jobs (visitor–exhibitor pairs)"),
    "visitors_hired": _l("People who got a job"),
    "funnel_registered": _l("Registered"),
    "funnel_came": _l("Came to the fair"),
    "funnel_interviewed": _l("Interviewed"),
    "funnel_offer_or_job": _l("Offer or job"),
    "funnel_job": _l("Got a job"),
    "survey_respondents": _l("Survey respondents"),
    "attribution_share": _l("The fair contributed (share of respondents)"),
    "time_to_job_median_days": _l("Median days from fair to job"),
}
MEASURES = {
    "registered": _l("Registered"),
    "checked_in": _l("Checked in"),
    "interviewed": _l("Interviewed"),
    "hired": _l("Obtained a job"),
    "bookings_made": _l("Bookings"),
    "bookings_cancelled": _l("Cancelled"),
    "interviews_held": _l("Interviews held"),
    "interview_no_shows": _l("No-shows"),
    "second_interviews": _l("Second interviews"),
    "offers": _l("Offers"),
    "internships": _l("Internships"),
    "jobs_visitor_reported": _l("Jobs reported by visitors"),
    "jobs_total": _l("Jobs in total"),
    "exhibitors": _l("Exhibitors"),
    "people_hired": _l("People who got a job"),
    "hires": _l("Hires (reported by exhibitors)"),
}
DIMENSIONS = {
    "education_level": _l("Education level"),
    "degree_origin": _l("Swedish or foreign degree"),
    "employment_status": _l("Employment status"),
    "years_in_sweden": _l("Years in Sweden"),
    "gender": _l("Gender"),
    "age_band": _l("Age"),
    "occupation": _l("Occupation sought"),
    "foreign_background": _l("Foreign background (self-declared, with consent)"),
}
DIMENSION_VALUES = {
    "education_level": dict(choices.EDUCATION_LEVELS),
    "degree_origin": dict(choices.DEGREE_ORIGINS),
    "employment_status": dict(choices.EMPLOYMENT_STATUSES),
    "years_in_sweden": dict(choices.YEARS_IN_SWEDEN),
    "gender": dict(choices.GENDERS),
    "age_band": dict(choices.AGE_BANDS),
    "occupation": OCCUPATIONS,
    "foreign_background": dict(choices.FOREIGN_BACKGROUND),
}
SURVEY_RESULTS = {
    "job": _l("A job"),
    "internship": _l("An internship"),
    "education": _l("A place in education"),
    "business": _l("Started a business"),
    "interview": _l("A further interview"),
    "nothing": _l("Nothing yet"),
}
# The exhibitors' vocabularies, one set of labels for the openings, the outcomes and the figures.
EMPLOYMENT_TYPES = EMPLOYMENT_TYPE_LABELS
ORG_TYPES = ORG_TYPE_LABELS
NOT_STATED = _l("Not stated")


def dimension_label(dimension: str, table: dict) -> str:
    """A breakdown's name: the profile question's, or the event question's text in the reader's language."""
    if "question" in table:
        return localized(table["question"]["text"])
    return str(DIMENSIONS[dimension])


def dimension_value(dimension: str, value: str, table: dict | None = None) -> str:
    if value == "":
        return str(NOT_STATED)
    if table is not None and "question" in table:
        if table["question"]["kind"] == QuestionKind.YES_NO:
            return _("Yes") if value == YES else _("No") if value == NO else value
        return localized(table["question"]["choices"].get(value)) or value
    return str(DIMENSION_VALUES.get(dimension, {}).get(value, value))


def format_figure(figure_id: str, value) -> str:
    """A headline value as text: shares as percentages, days with one decimal, counts as integers."""
    if value is None:
        return "–"
    if figure_id in ("interview_no_show_rate", "attribution_share"):
        return f"{value * 100:.0f} %"
    if figure_id == "time_to_job_median_days":
        return f"{value:g}"
    return f"{value:,}".replace(",", "\u202f")
