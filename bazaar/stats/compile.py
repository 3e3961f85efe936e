"""Compiling an event's figures from its rows with SQL aggregates.

Every figure has a written definition (:data:`DEFINITIONS`) that stays the same from year to
year, so editions can be compared. The number of SQL statements is fixed: every query groups in
the database, none is issued per visitor or per exhibitor.

Counts of people in breakdowns and in the per-exhibitor table are suppressed when they describe
fewer than :data:`SMALL_CELL` people, together with a complementary cell (see :func:`suppress`).
"""

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.orm import aliased

from bazaar.accounts.models import VisitorProfile
from bazaar.activities.models import Activity, ActivityKind, ActivityOutcome, Participant
from bazaar.booking.models import Attendance, Booking, BookingStatus, Outcome, Slot, SlotFormat
from bazaar.checkin.models import Arrival, BoothScan, BoothScanKind
from bazaar.clock import utcnow
from bazaar.events.models import Event
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor, Opening
from bazaar.extensions import db
from bazaar.matching.models import Invitation, InvitationStatus
from bazaar.registrations.models import (
    BROKEN_DOWN_KINDS,
    NO,
    YES,
    QuestionKind,
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    RegistrationStatus,
)
from bazaar.stats.milestones import sensitive_published_from
from bazaar.stats.models import CaseResolution, SnapshotStatus, StatsSnapshot, SurveyResponse

# 2: people who got a job lead; evidence reconciled per wave; totals by exhibitor group; jobs abroad;
# the sensitive breakdown published once the survey period has closed.
SCHEMA = 3  # 3: the funnel's steps are nested (each a subset of the one before)
SMALL_CELL = 5
# The reason of the snapshot compiled just before a retention purge first erases visitors' profiles.
RETENTION_REASON = "retention"

DEFINITIONS = {
    "exhibitors": _l(
        "Exhibitors: organisations approved to exhibit when the figures were compiled, and organisations that "
        "took part on the day (at least one interview marked held or no-show) whatever their status now. "
        "These exhibitors are counted in every figure and table; bookings with other organisations (e.g. "
        "rejected or withdrawn before the fair) are left out of every figure."
    ),
    "exhibitors_foreign": _l(
        "Employers registered abroad: exhibitors whose organisation is registered in a country other than "
        "Sweden, wherever their jobs are."
    ),
    "exhibitors_jobs_abroad": _l(
        "Employers recruiting for jobs abroad: exhibitors with at least one job located in a country other "
        "than Sweden, wherever the organisation is registered (a Swedish agency recruiting for Norway counts)."
    ),
    "exhibitors_by_job_country": _l(
        "Exhibitors by the country where their jobs are located; an exhibitor with jobs in several "
        "countries counts in each."
    ),
    "by_exhibitor_group": _l(
        "Totals by the exhibitor's country of registration: exhibitors, bookings and interviews held at those "
        "exhibitors, and different people who got a job there. Only the count of people is hidden below five."
    ),
    "exhibitors_by_country": _l("Exhibitors by the country the organisation is registered in."),
    "exhibitors_by_type": _l("Exhibitors by type of organisation."),
    "visitors_registered": _l(
        "Visitors registered: registrations holding a place when compiled (pre-registered and walk-ins "
        "registered at the door); cancelled registrations and the waiting list are not counted."
    ),
    "visitors_checked_in": _l(
        "Visitors checked in: registrations scanned in at the door on the day, walk-ins included."
    ),
    "visits": _l(
        "Visits: visitors checked in, counted once for each day of the fair they came (a visitor who came on two "
        "days is two visits and one visitor checked in)."
    ),
    "per_day": _l(
        "Per day of the fair: visitors checked in that day (each counts on every day they came), interviews held "
        "that day (by the interview's start) and different visitors interviewed that day. The days' visitors add "
        "up to Visits; a visitor interviewed on two days counts on each."
    ),
    "visitors_walk_in": _l("Walk-ins: visitors who registered at the door on the day."),
    "visitors_no_show": _l("No-shows: pre-registered visitors holding a place who were never checked in."),
    "registrations_cancelled": _l("Registrations cancelled by the visitor (or lapsed offers from the waiting list)."),
    "bookings_made": _l("Bookings made: interviews booked in advance in a time slot, cancelled ones included."),
    "bookings_cancelled": _l("Bookings cancelled: booked interviews cancelled before the interview."),
    "interviews_booked_held": _l("Booked interviews held: confirmed bookings marked as attended."),
    "interviews_walk_in": _l(
        "Walk-in interviews: interviews logged at the booth without a booking (unless later marked as a no-show)."
    ),
    "interviews_held": _l(
        "Interviews held: booked interviews marked as attended plus walk-in interviews. Speed-dating talks are "
        "not interviews and are never counted here (see Talks held)."
    ),
    "talks_held": _l(
        "Talks held: different visitor–exhibitor pairs who had a speed-dating talk, booked in a talk round and "
        "marked as attended or logged at the booth as a conversation. Not counted in Interviews held."
    ),
    "talks_to_interview": _l(
        "Talks that led to an interview: visitor–exhibitor pairs counted in Talks held for whom the exhibitor "
        "booked an interview from the talk (Book an interview on the talk), and that interview was held."
    ),
    "jobs_after_talks": _l(
        "Hires after a talk: visitor–exhibitor pairs counted in Talks that led to an interview for which the "
        "exhibitor reported a hire after the interview booked from the talk. They are also counted in Hired "
        "(reported by exhibitors)."
    ),
    "interviews_jobs_abroad": _l(
        "Interviews for jobs abroad: interviews held whose job is in a country other than Sweden. The job's "
        "country is that of the opening the interview time was for or, for times not tied to an opening, that "
        "of the exhibitor's jobs when all of them are in one country; other interviews have no known country."
    ),
    "hires_jobs_abroad": _l(
        "Hires for jobs abroad: visitor–exhibitor pairs for which the exhibitor reported a hire after an "
        "interview held for a job abroad (country of the job as for Interviews for jobs abroad)."
    ),
    "by_job_country": _l(
        "Interviews held and hires (reported by exhibitors) by the country of the job, as defined for "
        "Interviews for jobs abroad. The count of people hired is hidden below five."
    ),
    "interview_no_shows": _l("Interview no-shows: confirmed bookings marked as the visitor not coming."),
    "interview_no_show_rate": _l(
        "Interview no-show rate: interview no-shows divided by confirmed bookings whose attendance was marked "
        "(attended or no-show)."
    ),
    "visitors_interviewed": _l("Visitors interviewed: different visitors with at least one interview held."),
    "outcome_second_interview": _l(
        "Second interviews: visitor–exhibitor pairs for which the exhibitor reported a second interview "
        "after an interview held."
    ),
    "outcome_offer": _l(
        "Offers: visitor–exhibitor pairs for which the exhibitor reported a job offer after an interview held."
    ),
    "outcome_hired": _l(
        "Hired (reported by exhibitors): visitor–exhibitor pairs for which the exhibitor reported a hire after an "
        "interview held."
    ),
    "outcome_internship": _l(
        "Internships: visitor–exhibitor pairs for which the exhibitor reported an internship after an interview held."
    ),
    "matched_interviews": _l(
        "Matched interviews: interviews held (marked attended) that the visitor booked by accepting an invitation "
        "the organisers sent for an employer's stated need (employer-need-first matching). They are also counted "
        "in Interviews held."
    ),
    "hires_from_matching": _l(
        "Hires from matching: visitor–exhibitor pairs for which the exhibitor reported a hire after a matched "
        "interview. They are also counted in Hired (reported by exhibitors)."
    ),
    "activities_offered": _l(
        "Activities after the fair: try-a-job days, study visits and matching groups offered to the fair's visitors "
        "by its exhibitors or organisers, and not called off."
    ),
    "activity_participants": _l(
        "Visitors at activities: different visitors of the fair the host marked as attending an activity after it."
    ),
    "jobs_after_activities": _l(
        "Hires after an activity: visitor–exhibitor pairs for which the host reported a hire after an activity the "
        "visitor attended (for an activity the organisers ran without an employer, one job with no employer). They "
        "are also counted in Jobs and People who got a job, once per pair: a person hired by an employer counts once "
        "for it whether the hire was recorded after the interview, after the activity or both."
    ),
    "jobs_after_try_a_job_day": _l(
        "Jobs after a try-a-job day: the Hires after an activity whose activity was a try-a-job day."
    ),
    "visitors_offered": _l(
        "Visitors with an offer: different visitors for whom an exhibitor reported an offer or a hire."
    ),
    "survey_respondents": _l(
        "Survey respondents: different visitors who answered the follow-up survey in any wave; every wave's "
        "answer is kept."
    ),
    "survey_results": _l(
        "What survey respondents reported having obtained since the fair (their latest wave's answer)."
    ),
    "jobs_visitor_reported": _l(
        "Jobs reported by visitors: different survey respondents who answered in any wave that they got a job "
        '(a job at 30 days still counts when the 90-day answer is "nothing yet").'
    ),
    "visitors_hired": _l(
        "People who got a job: different visitors confirmed by both, by the employer only, by the visitor only, "
        "or resolved as hired by an organiser. Unresolved contradictions, cases resolved as not hired and jobs "
        "reported by no-shows are not counted."
    ),
    "jobs_total": _l(
        "Jobs (visitor–exhibitor pairs): a person hired by two employers holds two jobs. For a person an exhibitor "
        "reported hiring, the jobs are the exhibitors' hires, whichever exhibitor the visitor names; for a person "
        "only the visitor reported, the exhibitors named in any wave, or one job when none is named."
    ),
    "evidence": _l(
        "How the evidence combines: an exhibitor's record of a hire after an interview held (or after a follow-on "
        "activity the visitor attended, see Hires after an activity), and the visitor's "
        "answer in every survey wave (each wave's answer is kept), are combined once per person. Each person "
        "counts in one of: confirmed by both, employer only, visitor only, contradicted (until an organiser resolves "
        "it as hired or not hired), or reported by a no-show."
    ),
    "evidence_confirmed": _l(
        "Confirmed by both: people an exhibitor reported hiring who also answered in some wave that they got a job "
        "(even naming another exhibitor, or none: one person)."
    ),
    "evidence_employer_only": _l(
        "Employer only: people an exhibitor reported hiring who have not answered the survey with a job or with "
        '"nothing yet".'
    ),
    "evidence_visitor_only": _l(
        "Visitor only: people checked in at the fair, hired according to no exhibitor, who answered in some wave "
        "that they got a job."
    ),
    "evidence_contradicted": _l(
        'Contradicted: people an exhibitor reported hiring whose survey answers say "nothing yet" in some wave '
        "and a job in none. They are not counted until an organiser resolves them (the list of cases)."
    ),
    "evidence_resolved_hired": _l(
        "Resolved: hired: contradicted cases an organiser checked by hand and found hired; counted."
    ),
    "evidence_resolved_not_hired": _l(
        "Resolved: not hired: contradicted cases an organiser checked by hand and found not hired; not counted."
    ),
    "evidence_no_show": _l(
        "Jobs reported by no-shows: visitors never checked in who answered that they got a job; not jobs from "
        "the fair. No-shows are not invited to the survey."
    ),
    "attribution_share": _l(
        "Attribution: share of survey respondents who answered that the fair contributed to what they obtained."
    ),
    "time_to_job_median_days": _l(
        "Time from fair to job: median number of days from the fair day to the first day of the month in which "
        "the job reported by the visitor started (0 when it started in the month of the fair)."
    ),
    "funnel": _l(
        "Funnel: each step counts the visitors of the step before who also went one step further: registered "
        "(holding a place); came (checked in at the door, or interviewed without a scan); interviewed (at least one "
        "interview held); offer or job (an exhibitor reported an offer or a hire, or the person got a job); got a "
        "job (counted as in People who got a job). People who got a job without an interview held at the fair "
        "are in the headline figure, not in the funnel."
    ),
    "per_exhibitor": _l(
        "Per exhibitor: bookings, interviews held and outcomes for each exhibitor counted. Bookings and "
        "interviews are shown as they are; outcomes, which count people, are hidden below five. No personal "
        "characteristics are ever shown per exhibitor."
    ),
    "breakdowns": _l(
        "Breakdowns: registered visitors by what they stated in their profile and by their answers to the event's "
        "own choice and yes/no questions, with how many were checked in, interviewed and obtained a job. Visitors "
        "without an answer (or who deleted their data) are counted as not stated. Foreign background counts only "
        "answers given with explicit consent; free-text answers are never broken down."
    ),
    "sensitive_versions": _l(
        "Across versions: the breakdown by foreign background (and by an event question the organisers marked "
        "sensitive) is published only once the follow-up survey has "
        "closed (14 days after the last invitation), and then compiled once; every later version repeats that "
        "same table. Comparing two versions therefore never shows a change that one registration, deletion or "
        "survey answer made, so nobody's background can be read from the difference."
    ),
    "suppression": _l(
        "Privacy: a count of fewer than five people is hidden, and so is the next smallest count in the same "
        "column when only one is hidden, so it cannot be recomputed from the total."
    ),
}

HEADLINE = (
    "visitors_hired",
    "jobs_total",
    "evidence_confirmed",
    "evidence_employer_only",
    "evidence_visitor_only",
    "evidence_resolved_hired",
    "evidence_contradicted",
    "evidence_resolved_not_hired",
    "evidence_no_show",
    "exhibitors",
    "exhibitors_foreign",
    "exhibitors_jobs_abroad",
    "visitors_registered",
    "visitors_checked_in",
    "visits",
    "visitors_walk_in",
    "visitors_no_show",
    "registrations_cancelled",
    "bookings_made",
    "bookings_cancelled",
    "interviews_booked_held",
    "interviews_walk_in",
    "interviews_held",
    "talks_held",
    "talks_to_interview",
    "jobs_after_talks",
    "interviews_jobs_abroad",
    "hires_jobs_abroad",
    "interview_no_shows",
    "interview_no_show_rate",
    "visitors_interviewed",
    "outcome_second_interview",
    "outcome_offer",
    "outcome_hired",
    "outcome_internship",
    "matched_interviews",
    "hires_from_matching",
    "activities_offered",
    "activity_participants",
    "jobs_after_activities",
    "jobs_after_try_a_job_day",
    "visitors_offered",
    "jobs_visitor_reported",
    "survey_respondents",
    "attribution_share",
    "time_to_job_median_days",
)
RATES = {"interview_no_show_rate", "attribution_share"}
FUNNEL = ("funnel_registered", "funnel_came", "funnel_interviewed", "funnel_offer_or_job", "funnel_job")
REPORTED_OUTCOMES = (Outcome.SECOND_INTERVIEW, Outcome.OFFER, Outcome.HIRED, Outcome.INTERNSHIP)
EVIDENCE = (
    "confirmed",
    "employer_only",
    "visitor_only",
    "resolved_hired",
    "contradicted",
    "resolved_not_hired",
    "no_show",
)
# An organiser's decisions on a contradicted hire (CaseResolution.decision).
DECISIONS = ("hired", "not_hired")
# The evidence categories whose jobs are the exhibitors' hires.
BY_EMPLOYER = ("confirmed", "employer_only", "resolved_hired")
SURVEY_RESULTS = ("job", "internship", "education", "business", "interview", "nothing")
BREAKDOWN_MEASURES = ("registered", "checked_in", "interviewed", "hired")
EXHIBITOR_MEASURES = (
    "bookings_made",
    "bookings_cancelled",
    "interviews_held",
    "interview_no_shows",
    "second_interviews",
    "offers",
    "hired",
    "internships",
    "jobs_visitor_reported",
    "jobs_total",
)
# Per-exhibitor measures that count people (suppressed); bookings and interviews are not personal data.
EXHIBITOR_PEOPLE = ("second_interviews", "offers", "hired", "internships", "jobs_visitor_reported", "jobs_total")
GROUP_MEASURES = ("exhibitors", "bookings_made", "interviews_held", "people_hired")
JOB_COUNTRY_MEASURES = ("interviews_held", "hires")
HOME_COUNTRY = "SE"
# Profile answers a breakdown groups by; ``sensitive`` ones need explicit consent and are shown
# only in aggregate.
DIMENSIONS = {
    "education_level": (VisitorProfile.education_level, False),
    "degree_origin": (VisitorProfile.degree_origin, False),
    "employment_status": (VisitorProfile.employment_status, False),
    "years_in_sweden": (VisitorProfile.years_in_sweden, False),
    "gender": (VisitorProfile.gender, False),
    "age_band": (VisitorProfile.age_band, False),
    "occupation": (None, False),
    "foreign_background": (
        case((VisitorProfile.consent_sensitive_at.isnot(None), VisitorProfile.foreign_background), else_=null()),
        True,
    ),
}
NOT_STATED = ""

# A booking in a speed-dating round: a talk, never an interview.
IS_TALK = (
    select(Slot.id).where(Slot.id == Booking.slot_id, Slot.format == SlotFormat.TALK).correlate_except(Slot).exists()
)
IS_INTERVIEW = not_(IS_TALK)
WALK_IN_HELD = and_(Booking.walk_in.is_(True), Booking.attendance != Attendance.NO_SHOW)
HELD = and_(
    Booking.is_live,
    IS_INTERVIEW,
    or_(Booking.attendance == Attendance.ATTENDED, WALK_IN_HELD),
)
TALK_HELD = and_(Booking.is_live, IS_TALK, Booking.attendance == Attendance.ATTENDED)
# The exhibitor was there on the day: an interview of theirs was marked (held or no-show) or logged as a walk-in.
TOOK_PART = and_(Booking.is_live, or_(Booking.attendance != Attendance.UNKNOWN, Booking.walk_in.is_(True)))


# A visitor who took a place at a follow-on activity and whom the host marked as attending.
ACTIVITY_ATTENDED = and_(Participant.holds_place, Participant.attendance == Attendance.ATTENDED)


def activity_hires(event_id: int, *kinds: str):
    """(registration_id, exhibitor_id) of the hires hosts reported after an activity of the event
    attended (of ``kinds``, else any); exhibitor_id is None for an organisers' activity without one."""
    query = (
        select(Participant.registration_id.label("registration_id"), Activity.exhibitor_id.label("exhibitor_id"))
        .join(Activity, Activity.id == Participant.activity_id)
        .where(Activity.event_id == event_id, ACTIVITY_ATTENDED, Participant.outcome == ActivityOutcome.HIRED)
    )
    return query.where(Activity.kind.in_(kinds)) if kinds else query


def held_outcome_pairs(event_id: int):
    """(visitor, exhibitor, outcome) once per pair: the outcomes exhibitors reported after an interview held."""
    return (
        select(Booking.registration_id, Booking.exhibitor_id, Booking.outcome)
        .where(Booking.event_id == event_id, HELD, Booking.outcome.in_(REPORTED_OUTCOMES))
        .distinct()
    )


def exhibitor_counts(event_id: int, which) -> list[dict]:
    """Bookings, interviews held, no-shows and reported outcomes of each exhibitor of the event
    matching ``which`` (a condition on Exhibitor), by :data:`DEFINITIONS`, not suppressed: the
    statistics' per-exhibitor table counts with this, and so does an exhibitor's own dashboard
    (:func:`bazaar.stats.presentation.exhibitor_results`). Two statements."""
    booked = and_(Booking.walk_in.is_(False), IS_INTERVIEW)
    base = (
        db.session.execute(
            select(
                Exhibitor.id,
                Exhibitor.name,
                Exhibitor.country,
                Exhibitor.org_type,
                _sum(and_(Booking.id.isnot(None), booked)).label("bookings_made"),
                _sum(and_(booked, Booking.status == BookingStatus.CANCELLED)).label("bookings_cancelled"),
                _sum(HELD).label("interviews_held"),
                _sum(and_(booked, Booking.is_live, Booking.attendance == Attendance.NO_SHOW)).label(
                    "interview_no_shows"
                ),
            )
            .select_from(Exhibitor)
            .outerjoin(Booking, Booking.exhibitor_id == Exhibitor.id)
            .where(Exhibitor.event_id == event_id, which)
            .group_by(Exhibitor.id, Exhibitor.name, Exhibitor.country, Exhibitor.org_type)
            .order_by(Exhibitor.name)
        )
        .mappings()
        .all()
    )
    pairs = held_outcome_pairs(event_id).subquery()
    outcomes: dict = {}
    for exhibitor_id, outcome, n in db.session.execute(
        select(pairs.c.exhibitor_id, pairs.c.outcome, func.count())
        .where(pairs.c.exhibitor_id.in_(select(Exhibitor.id).where(Exhibitor.event_id == event_id, which)))
        .group_by(pairs.c.exhibitor_id, pairs.c.outcome)
    ):
        outcomes[(exhibitor_id, outcome)] = n
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "country": r["country"],
            "org_type": r["org_type"],
            "bookings_made": int(r["bookings_made"]),
            "bookings_cancelled": int(r["bookings_cancelled"]),
            "interviews_held": int(r["interviews_held"]),
            "interview_no_shows": int(r["interview_no_shows"]),
            "second_interviews": outcomes.get((r["id"], "second_interview"), 0),
            "offers": outcomes.get((r["id"], "offer"), 0),
            "hired": outcomes.get((r["id"], "hired"), 0),
            "internships": outcomes.get((r["id"], "internship"), 0),
        }
        for r in base
    ]


def _flag(condition):
    return case((condition, 1), else_=0)


def _sum(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def suppress(cells: dict, threshold: int = SMALL_CELL) -> dict:
    """Hide (None) every count from 1 to ``threshold - 1``; if exactly one was hidden, also hide
    the smallest remaining count, so the hidden one cannot be recomputed from the total."""
    shown = dict(cells)
    hidden = [key for key, n in cells.items() if n is not None and 0 < n < threshold]
    for key in hidden:
        shown[key] = None
    if len(hidden) == 1:
        rest = [key for key, n in cells.items() if key not in hidden and n is not None]
        if rest:
            shown[min(rest, key=lambda key: cells[key])] = None
    return shown


def suppress_columns(rows: list[dict], measures, key: str) -> list[dict]:
    """Apply :func:`suppress` to each measure column of ``rows`` (dicts identified by ``key``)."""
    out = [dict(row) for row in rows]
    for measure in measures:
        column = suppress({row[key]: row[measure] for row in rows})
        for row in out:
            row[measure] = column[row[key]]
    return out


class Compiler:
    """Runs the queries for one event, step by step, reporting progress between steps."""

    def __init__(self, event_id: int, on_progress: Callable[[int], None] | None = None):
        self.event = db.session.get(Event, event_id)
        if self.event is None:
            raise LookupError(f"no event {event_id}")
        self.event_id = event_id
        self.on_progress = on_progress or (lambda percent: None)
        self.figures: dict = {}
        self.headline: dict = {}

    # ---- building blocks ---------------------------------------------------------------
    def _counted_exhibitor(self):
        """SQL condition on Exhibitor: it counts in this snapshot (see DEFINITIONS["exhibitors"]).
        Every held interview is with a counted exhibitor, so interview and outcome figures agree."""
        took_part = select(Booking.exhibitor_id).where(Booking.event_id == self.event_id, TOOK_PART)
        return and_(
            Exhibitor.event_id == self.event_id,
            or_(Exhibitor.status == ApplicationStatus.APPROVED, Exhibitor.id.in_(took_part)),
        )

    def _held_outcome_pairs(self):
        return held_outcome_pairs(self.event_id)

    def _evidence(self):
        return evidence(self.event_id)

    def _jobs(self):
        """(registration_id, exhibitor_id) of every job counted, following :func:`evidence`."""
        evidence = self._evidence()
        by_employer = evidence.c.category.in_(BY_EMPLOYER)
        hired = (
            select(Booking.registration_id, Booking.exhibitor_id)
            .join(evidence, evidence.c.registration_id == Booking.registration_id)
            .where(Booking.event_id == self.event_id, HELD, Booking.outcome == Outcome.HIRED, by_employer)
        )
        after_activity = activity_hires(self.event_id).subquery("after_activity")
        hired_after_activity = (
            select(after_activity.c.registration_id, after_activity.c.exhibitor_id)
            .join(evidence, evidence.c.registration_id == after_activity.c.registration_id)
            .where(by_employer)
        )
        job = and_(
            SurveyResponse.event_id == self.event_id,
            SurveyResponse.result == "job",
            evidence.c.category == "visitor_only",
        )
        named = (
            select(SurveyResponse.registration_id, SurveyResponse.exhibitor_id)
            .join(evidence, evidence.c.registration_id == SurveyResponse.registration_id)
            .where(job, SurveyResponse.exhibitor_id.isnot(None))
        )
        unnamed = select(evidence.c.registration_id, null().label("exhibitor_id")).where(
            evidence.c.category == "visitor_only",
            evidence.c.registration_id.not_in(select(named.subquery().c.registration_id)),
        )
        return union(hired, hired_after_activity, named, unnamed).subquery("jobs")

    def _scalar_row(self, query) -> dict:
        return dict(db.session.execute(query).mappings().one())

    # ---- steps -------------------------------------------------------------------------
    def exhibitors(self):
        rows = db.session.execute(
            select(Exhibitor.country, Exhibitor.org_type, Exhibitor.job_countries).where(self._counted_exhibitor())
        ).all()
        by_country: dict[str, int] = {}
        by_type: dict[str, int] = {}
        by_job_country: dict[str, int] = {}
        abroad = 0
        for country, org_type, job_countries in rows:
            by_country[country] = by_country.get(country, 0) + 1
            by_type[org_type] = by_type.get(org_type, 0) + 1
            job_countries = set(job_countries or [])
            for job_country in job_countries:
                by_job_country[job_country] = by_job_country.get(job_country, 0) + 1
            abroad += bool(job_countries - {HOME_COUNTRY})
        self.headline["exhibitors"] = len(rows)
        self.headline["exhibitors_foreign"] = sum(n for c, n in by_country.items() if c != HOME_COUNTRY)
        self.headline["exhibitors_jobs_abroad"] = abroad
        for name, counts in (
            ("exhibitors_by_country", by_country),
            ("exhibitors_by_type", by_type),
            ("exhibitors_by_job_country", by_job_country),
        ):
            self.figures[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def visitors(self):
        row = self._scalar_row(
            select(
                _sum(Registration.holds_place).label("visitors_registered"),
                _sum(Registration.checked_in_at.isnot(None)).label("visitors_checked_in"),
                _sum(and_(Registration.holds_place, Registration.walk_in.is_(True))).label("visitors_walk_in"),
                _sum(
                    and_(
                        Registration.holds_place, Registration.walk_in.is_(False), Registration.checked_in_at.is_(None)
                    )
                ).label("visitors_no_show"),
                _sum(Registration.status == RegistrationStatus.CANCELLED).label("registrations_cancelled"),
            ).where(Registration.event_id == self.event_id)
        )
        self.headline.update({k: int(v) for k, v in row.items()})

    def days(self):
        """The per-day figures (definition "per_day") and Visits: two grouped statements."""
        arrivals = dict(
            db.session.execute(
                select(Arrival.day, func.count(Arrival.id))
                .where(Arrival.event_id == self.event_id)
                .group_by(Arrival.day)
            ).all()
        )
        zone = ZoneInfo(self.event.timezone)

        def midnight(day):
            return datetime.combine(day, time(0), zone).astimezone(UTC)

        keys = [day.date for day in self.event.days]
        on_day = case(
            *(
                (
                    and_(Booking.starts_at >= midnight(d), Booking.starts_at < midnight(d + timedelta(days=1))),
                    literal_column(str(i)),
                )
                for i, d in enumerate(keys)
            ),
            else_=null(),
        ).label("day")
        held = {
            keys[i]: (int(n), int(people))
            for i, n, people in db.session.execute(
                select(on_day, func.count(Booking.id), func.count(func.distinct(Booking.registration_id)))
                .where(
                    Booking.event_id == self.event_id,
                    HELD,
                    Booking.exhibitor_id.in_(select(Exhibitor.id).where(self._counted_exhibitor())),
                )
                .group_by(on_day)
            ).all()
            if i is not None
        }
        self.headline["visits"] = int(sum(arrivals.values()))
        self.figures["per_day"] = [
            {
                "day": d.isoformat(),
                "visitors": int(arrivals.get(d, 0)),
                "interviews_held": held.get(d, (0, 0))[0],
                "visitors_interviewed": held.get(d, (0, 0))[1],
            }
            for d in keys
        ]

    def interviews(self):
        booked = and_(Booking.walk_in.is_(False), IS_INTERVIEW)
        confirmed = Booking.is_live
        row = self._scalar_row(
            select(
                _sum(booked).label("bookings_made"),
                _sum(and_(booked, Booking.status == BookingStatus.CANCELLED)).label("bookings_cancelled"),
                _sum(and_(booked, confirmed, Booking.attendance == Attendance.ATTENDED)).label(
                    "interviews_booked_held"
                ),
                _sum(and_(booked, confirmed, Booking.attendance == Attendance.NO_SHOW)).label("interview_no_shows"),
                _sum(and_(WALK_IN_HELD, confirmed)).label("interviews_walk_in"),
                func.count(func.distinct(case((HELD, Booking.registration_id)))).label("visitors_interviewed"),
            ).where(
                Booking.event_id == self.event_id,
                Booking.exhibitor_id.in_(select(Exhibitor.id).where(self._counted_exhibitor())),
            )
        )
        h = {k: int(v) for k, v in row.items()}
        h["interviews_held"] = h["interviews_booked_held"] + h["interviews_walk_in"]
        marked = h["interviews_booked_held"] + h["interview_no_shows"]
        h["interview_no_show_rate"] = round(h["interview_no_shows"] / marked, 4) if marked else None
        self.headline.update(h)

    def outcomes(self):
        pairs = self._held_outcome_pairs().subquery()
        counts = dict(db.session.execute(select(pairs.c.outcome, func.count()).group_by(pairs.c.outcome)).all())
        for outcome in REPORTED_OUTCOMES:
            self.headline[f"outcome_{outcome}"] = int(counts.get(outcome, 0))
        self.headline["visitors_offered"] = int(
            db.session.scalar(
                select(func.count(func.distinct(pairs.c.registration_id))).where(
                    pairs.c.outcome.in_((Outcome.OFFER, Outcome.HIRED))
                )
            )
            or 0
        )

    def talks(self):
        """Speed-dating talks (booked rounds and conversations logged at the booth), the interviews
        booked from them (``Booking.from_talk_id``) and the hires after those, as visitor–exhibitor pairs."""
        counted = Booking.exhibitor_id.in_(select(Exhibitor.id).where(self._counted_exhibitor()))
        booked_talks = select(Booking.registration_id, Booking.exhibitor_id).where(
            Booking.event_id == self.event_id, TALK_HELD, counted
        )
        logged_talks = (
            select(BoothScan.registration_id, BoothScan.exhibitor_id)
            .join(Exhibitor, Exhibitor.id == BoothScan.exhibitor_id)
            .where(
                BoothScan.kind == BoothScanKind.CONVERSATION,
                BoothScan.registration_id.isnot(None),
                self._counted_exhibitor(),
            )
        )
        talks = union(booked_talks, logged_talks).subquery("talks")
        talk = aliased(Booking)
        from_a_talk = (
            Booking.event_id == self.event_id,
            HELD,
            Booking.from_talk_id == talk.id,
            talk.registration_id == talks.c.registration_id,
            talk.exhibitor_id == talks.c.exhibitor_id,
        )
        interviewed = exists().where(*from_a_talk)
        hired = exists().where(*from_a_talk, Booking.outcome == Outcome.HIRED)
        row = self._scalar_row(
            select(
                func.count().label("talks_held"),
                _sum(interviewed).label("talks_to_interview"),
                _sum(hired).label("jobs_after_talks"),
            ).select_from(talks)
        )
        self.headline.update({k: int(v) for k, v in row.items()})

    def jobs_abroad(self):
        """Interviews held and hires by the country of the job (DEFINITIONS["interviews_jobs_abroad"])."""
        rows = db.session.execute(
            select(
                Booking.registration_id, Booking.exhibitor_id, Booking.outcome, Opening.country, Exhibitor.job_countries
            )
            .join(Exhibitor, Exhibitor.id == Booking.exhibitor_id)
            .outerjoin(Slot, Slot.id == Booking.slot_id)
            .outerjoin(Opening, Opening.id == Slot.opening_id)
            .where(Booking.event_id == self.event_id, HELD, self._counted_exhibitor())
        ).all()
        interviews: dict[str, int] = {}
        hires: dict[str, set] = {}
        for registration_id, exhibitor_id, outcome, opening_country, job_countries in rows:
            countries = set(job_countries or ())
            country = opening_country or (countries.pop() if len(countries) == 1 else None)
            if country is None:
                continue
            interviews[country] = interviews.get(country, 0) + 1
            if outcome == Outcome.HIRED:
                hires.setdefault(country, set()).add((registration_id, exhibitor_id))
        self.headline["interviews_jobs_abroad"] = sum(n for c, n in interviews.items() if c != HOME_COUNTRY)
        self.headline["hires_jobs_abroad"] = sum(len(p) for c, p in hires.items() if c != HOME_COUNTRY)
        table = [
            {"country": c, "interviews_held": n, "hires": len(hires.get(c, ()))}
            for c, n in sorted(interviews.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        self.figures["by_job_country"] = suppress_columns(table, ("hires",), key="country")

    def matching(self):
        """Interviews booked through matching invitations, and the hires after them."""
        matched = and_(
            Booking.event_id == self.event_id,
            HELD,
            Booking.walk_in.is_(False),
            Booking.id.in_(select(Invitation.booking_id).where(Invitation.status == InvitationStatus.ACCEPTED)),
        )
        hires = select(Booking.registration_id, Booking.exhibitor_id).where(matched, Booking.outcome == Outcome.HIRED)
        self.headline["matched_interviews"] = int(db.session.scalar(select(func.count(Booking.id)).where(matched)))
        self.headline["hires_from_matching"] = int(
            db.session.scalar(select(func.count()).select_from(hires.distinct().subquery()))
        )

    def activities(self):
        """Follow-on activities offered, the visitors who attended one, and the hires after them
        (visitor–exhibitor pairs, as the jobs count them)."""
        self.headline["activities_offered"] = int(
            db.session.scalar(
                select(func.count(Activity.id)).where(
                    Activity.event_id == self.event_id, Activity.cancelled_at.is_(None)
                )
            )
        )
        self.headline["activity_participants"] = int(
            db.session.scalar(
                select(func.count(func.distinct(Participant.registration_id)))
                .join(Activity, Activity.id == Participant.activity_id)
                .where(Activity.event_id == self.event_id, ACTIVITY_ATTENDED)
            )
        )
        for key, kinds in (("jobs_after_activities", ()), ("jobs_after_try_a_job_day", (ActivityKind.TRY_A_JOB_DAY,))):
            pairs = activity_hires(self.event_id, *kinds).distinct().subquery()
            self.headline[key] = int(db.session.scalar(select(func.count()).select_from(pairs)))

    def survey(self):
        """Respondents by their latest wave's answer; jobs reported in any wave."""
        latest = (
            select(SurveyResponse.registration_id, func.max(SurveyResponse.wave).label("wave"))
            .where(SurveyResponse.event_id == self.event_id)
            .group_by(SurveyResponse.registration_id)
            .subquery("latest")
        )
        rows = db.session.execute(
            select(SurveyResponse.result, SurveyResponse.fair_contributed, func.count())
            .join(
                latest,
                and_(latest.c.registration_id == SurveyResponse.registration_id, latest.c.wave == SurveyResponse.wave),
            )
            .group_by(SurveyResponse.result, SurveyResponse.fair_contributed)
        ).all()
        results = dict.fromkeys(SURVEY_RESULTS, 0)
        respondents = contributed = 0
        for result, fair_contributed, n in rows:
            respondents += n
            contributed += n if fair_contributed else 0
            results[result] = results.get(result, 0) + n
        self.headline["survey_respondents"] = respondents
        self.headline["jobs_visitor_reported"] = int(
            db.session.scalar(
                select(func.count(func.distinct(SurveyResponse.registration_id))).where(
                    SurveyResponse.event_id == self.event_id, SurveyResponse.result == "job"
                )
            )
            or 0
        )
        self.headline["attribution_share"] = round(contributed / respondents, 4) if respondents else None
        self.figures["survey_results"] = list(results.items())

    def jobs(self):
        jobs = self._jobs()
        row = self._scalar_row(
            select(
                func.count().label("jobs_total"),
                func.count(func.distinct(jobs.c.registration_id)).label("visitors_hired"),
            ).select_from(jobs)
        )
        self.headline.update({k: int(v) for k, v in row.items()})
        evidence = self._evidence()
        counts = dict(db.session.execute(select(evidence.c.category, func.count()).group_by(evidence.c.category)).all())
        for category in EVIDENCE:
            self.headline[f"evidence_{category}"] = int(counts.get(category, 0))

    def funnel(self):
        """Nested steps (the definition "funnel" says the same): each is a subset of the one before."""
        interviewed = Registration.id.in_(
            select(Booking.registration_id).where(
                Booking.event_id == self.event_id,
                HELD,
                Booking.exhibitor_id.in_(select(Exhibitor.id).where(self._counted_exhibitor())),
            )
        )
        pairs = self._held_outcome_pairs().subquery()
        offered = Registration.id.in_(
            select(pairs.c.registration_id).where(pairs.c.outcome.in_((Outcome.OFFER, Outcome.HIRED)))
        )
        job = Registration.id.in_(select(self._jobs().c.registration_id))
        came = or_(Registration.checked_in_at.isnot(None), interviewed)
        steps = (Registration.holds_place, came, interviewed, or_(offered, job), job)
        conditions = [and_(*steps[: i + 1]) for i in range(len(steps))]
        row = self._scalar_row(
            select(*(_sum(c).label(key) for key, c in zip(FUNNEL, conditions))).where(
                Registration.event_id == self.event_id
            )
        )
        self.figures["funnel"] = [[key, int(row[key])] for key in FUNNEL]

    def time_to_job(self):
        first = (
            select(func.min(SurveyResponse.started_on).label("started_on"))
            .where(
                SurveyResponse.event_id == self.event_id,
                SurveyResponse.result == "job",
                SurveyResponse.started_on.isnot(None),
            )
            .group_by(SurveyResponse.registration_id)
            .subquery("first")
        )
        rows = db.session.execute(select(first.c.started_on, func.count()).group_by(first.c.started_on)).all()
        fair_day = self.event.starts_at.astimezone(ZoneInfo(self.event.timezone)).date()
        days = sorted((max(0, (started.date() - fair_day).days), n) for started, n in rows)
        self.headline["time_to_job_median_days"] = _median(days)

    def per_exhibitor(self):
        rows = exhibitor_counts(self.event_id, self._counted_exhibitor())
        reported = dict(
            db.session.execute(
                select(SurveyResponse.exhibitor_id, func.count(func.distinct(SurveyResponse.registration_id)))
                .where(
                    SurveyResponse.event_id == self.event_id,
                    SurveyResponse.result == "job",
                    SurveyResponse.exhibitor_id.isnot(None),
                )
                .group_by(SurveyResponse.exhibitor_id)
            ).all()
        )
        jobs = self._jobs()
        totals = dict(
            db.session.execute(
                select(jobs.c.exhibitor_id, func.count())
                .where(jobs.c.exhibitor_id.isnot(None))
                .group_by(jobs.c.exhibitor_id)
            ).all()
        )
        for row in rows:
            row["jobs_visitor_reported"] = reported.get(row["id"], 0)
            row["jobs_total"] = totals.get(row["id"], 0)
        self.figures["per_exhibitor"] = suppress_columns(rows, EXHIBITOR_PEOPLE, key="id")
        self._by_exhibitor_group(rows, jobs)

    def _by_exhibitor_group(self, rows: list[dict], jobs) -> None:
        """Totals by the exhibitors' country of registration; only people are suppressed."""
        groups: dict = {}
        for row in rows:
            group = groups.setdefault(row["country"], dict.fromkeys(GROUP_MEASURES, 0) | {"country": row["country"]})
            group["exhibitors"] += 1
            group["bookings_made"] += row["bookings_made"]
            group["interviews_held"] += row["interviews_held"]
        people = db.session.execute(
            select(Exhibitor.country, func.count(func.distinct(jobs.c.registration_id)))
            .join(Exhibitor, Exhibitor.id == jobs.c.exhibitor_id)
            .where(self._counted_exhibitor())
            .group_by(Exhibitor.country)
        ).all()
        for country, n in people:
            if country in groups:
                groups[country]["people_hired"] = int(n)
        ordered = sorted(groups.values(), key=lambda g: (-g["exhibitors"], g["country"]))
        self.figures["by_exhibitor_group"] = suppress_columns(ordered, ("people_hired",), key="country")

    def breakdowns(self):
        """Registered visitors by each profile question, with the same measures for each answer.

        PostgreSQL counts every single-answer question in one pass (GROUPING SETS); SQLite, which
        has no grouping sets, uses one query per question. Occupations, of which a visitor may
        seek several, are unnested in one more query. Once a retention purge has erased profiles,
        the breakdowns compiled just before it stand (see :meth:`_frozen_breakdowns`)."""
        frozen = self._frozen_breakdowns()
        if frozen is not None:
            self.figures["breakdowns"] = frozen
            return
        interviewed = Registration.id.in_(
            select(Booking.registration_id).where(Booking.event_id == self.event_id, HELD)
        )
        jobs = self._jobs()
        hired = Registration.id.in_(select(jobs.c.registration_id))
        measures = (
            func.count().label("registered"),
            _sum(Registration.checked_in_at.isnot(None)).label("checked_in"),
            _sum(interviewed).label("interviewed"),
            _sum(hired).label("hired"),
        )
        single = [name for name in DIMENSIONS if name != "occupation"]
        occupations = _occupations_sought()
        people = (
            select()
            .select_from(Registration)
            .outerjoin(VisitorProfile, VisitorProfile.user_id == Registration.user_id)
            .where(Registration.event_id == self.event_id, Registration.holds_place)
        )
        counted: dict = {name: {} for name in DIMENSIONS}
        if db.engine.dialect.name == "postgresql":
            expressions = [DIMENSIONS[name][0] for name in single]
            query = people.add_columns(
                *[e.label(n) for e, n in zip(expressions, single)],
                func.grouping(*expressions).label("grouping_id"),
                *measures,
            ).group_by(func.grouping_sets(*[tuple_(e) for e in expressions]))
            every_bit = (1 << len(single)) - 1
            by_mask = {every_bit ^ (1 << (len(single) - 1 - i)): name for i, name in enumerate(single)}
            for row in db.session.execute(query).mappings():
                name = by_mask[row["grouping_id"]]
                _add(counted[name], row[name], row)
        else:
            for name in single:
                column = DIMENSIONS[name][0]
                for row in db.session.execute(
                    people.add_columns(column.label("value"), *measures).group_by(column)
                ).mappings():
                    _add(counted[name], row["value"], row)
        for row in db.session.execute(
            people.outerjoin(occupations, true())
            .add_columns(occupations.c.value.label("occupation"), *measures)
            .group_by(occupations.c.value)
        ).mappings():
            _add(counted["occupation"], row["occupation"], row)
        result = {}
        for name, (_column, sensitive) in DIMENSIONS.items():
            ordered = sorted(
                counted[name].values(), key=lambda r: (r["value"] == NOT_STATED, -r["registered"], r["value"])
            )
            result[name] = {"sensitive": sensitive, "rows": suppress_columns(ordered, BREAKDOWN_MEASURES, key="value")}
            if sensitive:
                result[name] = self._published_once(name, result[name])
        self.figures["breakdowns"] = result | self._question_breakdowns(people, measures)

    def _question_breakdowns(self, people, measures) -> dict:
        """The event's choice and yes/no questions as breakdowns (``question_<id>``), counted in
        one statement and suppressed as the profile's are; a sensitive one is published once. Each
        table carries the question's texts as they were, so it reads the same after the question changed."""
        asked = select(RegistrationQuestion).where(
            RegistrationQuestion.event_id == self.event_id, RegistrationQuestion.kind.in_(BROKEN_DOWN_KINDS)
        )
        found = db.session.scalars(asked.order_by(RegistrationQuestion.position, RegistrationQuestion.id)).all()
        if not found:
            return {}
        counted: dict = {question.id: {} for question in found}
        for row in db.session.execute(
            people.join(
                RegistrationQuestion,
                and_(
                    RegistrationQuestion.event_id == Registration.event_id,
                    RegistrationQuestion.kind.in_(BROKEN_DOWN_KINDS),
                ),
            )
            .outerjoin(
                RegistrationAnswer,
                and_(
                    RegistrationAnswer.registration_id == Registration.id,
                    RegistrationAnswer.question_id == RegistrationQuestion.id,
                ),
            )
            .add_columns(
                RegistrationQuestion.id.label("question_id"), RegistrationAnswer.value.label("value"), *measures
            )
            .group_by(RegistrationQuestion.id, RegistrationAnswer.value)
        ).mappings():
            _add(counted[row["question_id"]], row["value"], row)
        result = {}
        for question in found:
            name = f"question_{question.id}"
            values = (
                [YES, NO]
                if question.kind == QuestionKind.YES_NO
                else [str(n) for n in range(1, len(question.choices) + 1)]
            )
            ordered = sorted(
                counted[question.id].values(),
                key=lambda r: (
                    r["value"] == NOT_STATED,
                    values.index(r["value"]) if r["value"] in values else len(values),
                ),
            )
            table = {
                "sensitive": question.sensitive,
                "rows": suppress_columns(ordered, BREAKDOWN_MEASURES, key="value"),
            }
            if question.sensitive:
                table = self._published_once(name, table)
            result[name] = table | {
                "question": {
                    "text": question.text,
                    "kind": question.kind,
                    "choices": dict(zip(values, question.choices)) if question.kind == QuestionKind.CHOICE else {},
                }
            }
        return result

    def _frozen_breakdowns(self) -> dict | None:
        """The breakdowns of the first retention snapshot, if a purge has happened: the erased
        profiles cannot be counted again, and the published tables must not change."""
        figures = db.session.scalar(
            select(StatsSnapshot.figures)
            .where(
                StatsSnapshot.event_id == self.event_id,
                StatsSnapshot.reason == RETENTION_REASON,
                StatsSnapshot.status == SnapshotStatus.DONE,
            )
            .order_by(StatsSnapshot.version)
            .limit(1)
        )
        return None if figures is None else figures.get("breakdowns")

    def _published_once(self, name: str, table: dict) -> dict:
        """The sensitive table as the definition "sensitive_versions" says: withheld until the survey
        period closed, then the table of the first version compiled after it, in every version."""
        published_from = sensitive_published_from(self.event)
        if utcnow() < published_from:
            return {"sensitive": True, "withheld": True, "published_from": published_from.isoformat(), "rows": []}
        for version, figures in db.session.execute(
            select(StatsSnapshot.version, StatsSnapshot.figures)
            .where(
                StatsSnapshot.event_id == self.event_id,
                StatsSnapshot.status == SnapshotStatus.DONE,
                StatsSnapshot.finished_at >= published_from,
            )
            .order_by(StatsSnapshot.version)
        ):
            earlier = (figures.get("breakdowns") or {}).get(name)
            if earlier is not None and not earlier.get("withheld"):
                return earlier | {"first_version": earlier.get("first_version", version)}
        return table

    # ---- the whole run -------------------------------------------------------------------
    STEPS = (
        "exhibitors",
        "visitors",
        "days",
        "interviews",
        "outcomes",
        "matching",
        "activities",
        "talks",
        "jobs_abroad",
        "survey",
        "jobs",
        "funnel",
        "time_to_job",
        "per_exhibitor",
        "breakdowns",
    )

    def run(self) -> dict:
        for i, step in enumerate(self.STEPS, start=1):
            getattr(self, step)()
            self.on_progress(int(100 * i / len(self.STEPS)))
        return self.result()

    def result(self) -> dict:
        ev = self.event
        return {
            "schema": SCHEMA,
            "compiled_at": utcnow().isoformat(),
            "event": {
                "id": ev.id,
                "name": ev.name,
                "starts_at": ev.starts_at.isoformat(),
                "ends_at": ev.ends_at.isoformat(),
                "timezone": ev.timezone,
            },
            "suppression_threshold": SMALL_CELL,
            "headline": {key: self.headline[key] for key in HEADLINE},
            **self.figures,
        }


# How the evidence combines (the definitions "visitors_hired", "jobs_total" and "evidence_*" say the same):
# * an exhibitor's record is a held interview whose outcome is "hired" (a visitor–exhibitor pair),
#   or an attended follow-on activity whose host recorded "hired" (the same pair: counted once);
# * a visitor's answer is kept per survey wave; the visitor reports a job if any wave's answer is
#   "a job" (a job at 30 days is not undone by "nothing yet" at 90), and says nothing came of it
#   if some wave answered "nothing yet" and none answered "a job";
# * a person an exhibitor reported hiring is "confirmed by both" when the visitor reports a job
#   (whichever exhibitor, or none, the visitor names: still one person, and the job is the
#   exhibitor's pair), "contradicted" when the visitor says nothing came of it (not counted until
#   an organiser resolves it: "resolved: hired" counts, "resolved: not hired" does not), and
#   "employer only" otherwise;
# * a person no exhibitor reported hiring who reports a job is "visitor only" if checked in at
#   the fair; jobs reported by no-shows are not jobs from the fair;
# * a visitor-only person's jobs are the exhibitors named in any wave, or one unnamed job.
def evidence(event_id: int):
    """(registration_id, category) of every person with an exhibitor's hire or a survey answer of
    "a job" or "nothing yet", combined as written above ("none": only "nothing yet")."""
    hired = select(
        Booking.registration_id.label("registration_id"),
        literal(1).label("by_exhibitor"),
        literal(0).label("said_job"),
        literal(0).label("said_nothing"),
    ).where(Booking.event_id == event_id, HELD, Booking.outcome == Outcome.HIRED)
    after_activity = activity_hires(event_id).subquery("after_activity")
    hired_after_activity = select(after_activity.c.registration_id, literal(1), literal(0), literal(0))
    answered = select(
        SurveyResponse.registration_id,
        literal(0),
        _flag(SurveyResponse.result == "job"),
        _flag(SurveyResponse.result == "nothing"),
    ).where(SurveyResponse.event_id == event_id, SurveyResponse.result.in_(("job", "nothing")))
    sources = union_all(hired, hired_after_activity, answered).subquery("sources")
    person = (
        select(
            sources.c.registration_id,
            func.max(sources.c.by_exhibitor).label("by_exhibitor"),
            func.max(sources.c.said_job).label("said_job"),
            func.max(sources.c.said_nothing).label("said_nothing"),
        )
        .group_by(sources.c.registration_id)
        .subquery("person")
    )
    contradicted = and_(person.c.by_exhibitor == 1, person.c.said_job == 0, person.c.said_nothing == 1)
    category = case(
        (and_(person.c.by_exhibitor == 1, person.c.said_job == 1), "confirmed"),
        (and_(contradicted, CaseResolution.decision == "hired"), "resolved_hired"),
        (and_(contradicted, CaseResolution.decision == "not_hired"), "resolved_not_hired"),
        (contradicted, "contradicted"),
        (person.c.by_exhibitor == 1, "employer_only"),
        (and_(person.c.said_job == 1, Registration.checked_in_at.isnot(None)), "visitor_only"),
        (person.c.said_job == 1, "no_show"),
        else_="none",
    )
    return (
        select(person.c.registration_id, category.label("category"))
        .join(Registration, Registration.id == person.c.registration_id)
        .outerjoin(CaseResolution, CaseResolution.registration_id == person.c.registration_id)
        .subquery("evidence")
    )


def _add(counts: dict, value, row) -> None:
    """Add a grouped row's measures to the cell for ``value`` (None: not stated)."""
    value = NOT_STATED if value is None else value
    cell = counts.setdefault(value, dict.fromkeys(BREAKDOWN_MEASURES, 0) | {"value": value})
    for measure in BREAKDOWN_MEASURES:
        cell[measure] += int(row[measure])


def _occupations_sought():
    """The occupations in each visitor's JSON list, unnested in SQL (one row per occupation)."""
    if db.engine.dialect.name == "postgresql":
        as_array = case(
            (func.json_typeof(VisitorProfile.occupations) == "array", VisitorProfile.occupations),
            else_=literal_column("'[]'::json"),
        )
        return func.json_array_elements_text(as_array).table_valued("value").lateral("occupation")
    return func.json_each(VisitorProfile.occupations).table_valued("value").alias("occupation")


def _median(counted: list[tuple[int, int]]) -> float | None:
    """Median of values given as sorted (value, how many) pairs."""
    total = sum(n for _, n in counted)
    if not total:
        return None
    wanted = ((total - 1) // 2, total // 2)
    picked, seen = [], 0
    for value, n in counted:
        for position in wanted:
            if seen <= position < seen + n:
                picked.append(value)
        seen += n
    return sum(picked) / 2


def compile_event(event_id: int, on_progress: Callable[[int], None] | None = None) -> dict:
    """All figures for one event as a JSON-ready dict."""
    return Compiler(event_id, on_progress).run()
