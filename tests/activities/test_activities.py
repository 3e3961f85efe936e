"""Follow-on activities: offering one (capacity, time, host), inviting the visitors who met the
employer, signing up and cancelling, who may do what, the host's record, the statistics that follow
a person from the fair to an activity to a job, and the person's data."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bazaar.activities import services
from bazaar.activities.models import Activity, ActivityKind, ActivityOutcome, Audience, Participant
from bazaar.booking.models import Attendance, SlotFormat
from bazaar.checkin.models import BoothScan, BoothScanKind
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.render import render
from bazaar.privacy.services import erase_people, export_user_data
from bazaar.stats.compile import DEFINITIONS, HEADLINE, compile_event
from tests import factories as f
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def fair(ctx):
    event = f.event()
    exhibitor = f.exhibitor(event, name="Omsorg Nord AB")
    admin = f.exhibitor_staff(exhibitor, role="admin", preferred_language="en")
    return event, exhibitor, admin


def _data(event, **kw) -> dict:
    starts = event.ends_at + timedelta(days=7)
    data = {
        "kind": ActivityKind.TRY_A_JOB_DAY,
        "audience": Audience.INVITED,
        "title": {"sv": "Prova på en dag i hemtjänsten", "en": "Try a day in home care", "ar": "جرّب يوماً"},
        "description": {},
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=6),
        "place": "Storgatan 1, Umeå",
        "capacity": 5,
        "languages": ["sv", "ar"],
        "interpreter": True,
        "opening_id": None,
    }
    return data | kw


def _activity(event, exhibitor, actor, **kw) -> Activity:
    return services.save_activity(event, exhibitor, _data(event, **kw), actor)


def _met(event, exhibitor, lang="en", **kw):
    """A visitor who held an interview with ``exhibitor``."""
    reg = f.registration(event, f.visitor(preferred_language=lang, **kw))
    f.interview(reg, exhibitor)
    return reg


# ---- offering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"capacity": 4}, "from 5 to 15"),
        ({"capacity": 16}, "from 5 to 15"),
        ({"ends_at": None}, "end after it starts"),
        ({"starts_at": "during"}, "after the fair"),
    ],
)
def test_an_activity_takes_5_to_15_people_after_the_fair(fair, change, message):
    event, exhibitor, admin = fair
    data = _data(event)
    if change.get("ends_at", 0) is None:
        change = {"ends_at": data["starts_at"]}
    if change.get("starts_at") == "during":
        change = {"starts_at": event.starts_at, "ends_at": event.starts_at + timedelta(hours=1)}
    with pytest.raises(services.ActivityError, match=message):
        services.save_activity(event, exhibitor, data | change, admin)
    assert db.session.scalar(select(Activity.id)) is None


def test_only_an_employer_invites_and_only_its_own_openings_relate(fair):
    event, exhibitor, admin = fair
    organiser = f.organiser(event.organisers[0].organisation)
    with pytest.raises(services.ActivityError, match="Only an employer"):
        services.save_activity(event, None, _data(event), organiser)
    other = f.exhibitor(event, name="Other AB")
    from bazaar.exhibitors.models import Opening

    theirs = Opening(exhibitor_id=other.id, title={"en": "Cook"})
    db.session.add(theirs)
    db.session.commit()
    with pytest.raises(services.ActivityError, match="own openings"):
        services.save_activity(event, exhibitor, _data(event, opening_id=theirs.id), admin)
    opened = services.save_activity(event, None, _data(event, audience=Audience.OPEN), organiser)
    assert opened.exhibitor_id is None and opened.audience == Audience.OPEN


def test_the_exhibitor_offers_an_activity_on_its_page_and_the_form_refuses_bad_input(fair, client):
    event, exhibitor, admin = fair
    login(client, admin)
    url = f"/exhibitor/{exhibitor.id}/activities/new"
    assert client.get(url).status_code == 200
    form = {
        "kind": "try_a_job_day",
        "audience": "invited",
        "title_sv": "Prova på",
        "title_en": "Try a job",
        "starts_at": "2000-01-01T09:00",
        "ends_at": "2000-01-01T15:00",
        "place": "Storgatan 1",
        "capacity": "20",
        "opening_id": "0",
        "languages": ["sv", "ar", "xx"],
    }
    page = client.post(url, data=form)
    assert page.status_code == 200 and "Number must be between 5 and 15" in page.get_data(as_text=True)
    assert "Storgatan 1" in page.get_data(as_text=True)  # what was typed is kept
    page = client.post(url, data=form | {"capacity": "8"})
    assert "after the fair" in page.get_data(as_text=True)
    day = (event.ends_at + timedelta(days=3)).strftime("%Y-%m-%d")
    times = {"starts_at": f"{day}T09:00", "ends_at": f"{day}T15:00"}
    page = client.post(url, data=form | times | {"capacity": "8", "languages": ["sv", "ar"]})
    activity = db.session.scalar(select(Activity))
    assert page.status_code == 303 and activity.capacity == 8
    assert activity.title == {"sv": "Prova på", "en": "Try a job"}
    assert activity.languages == ["sv", "ar"] and activity.exhibitor_id == exhibitor.id
    assert client.get(f"/activities/{activity.id}").status_code == 200
    assert "Try a job" in client.get(f"/exhibitor/{exhibitor.id}/activities").get_data(as_text=True)


# ---- inviting ---------------------------------------------------------------------------------


def test_the_visitors_who_met_the_employer_are_invited_in_their_language(fair):
    event, exhibitor, admin = fair
    interviewed = _met(event, exhibitor, lang="ar", name="Amal")
    talked = f.registration(event, f.visitor(preferred_language="sv"))
    talk_slot = f.slots_for(exhibitor, count=1, format=SlotFormat.TALK)[0]
    f.booked(talked, talk_slot, attendance=Attendance.ATTENDED)
    scanned = f.registration(event, f.visitor())
    db.session.add(BoothScan(exhibitor_id=exhibitor.id, registration_id=scanned.id, kind=BoothScanKind.CONVERSATION))
    no_show = f.registration(event)
    f.interview(no_show, exhibitor, attendance=Attendance.NO_SHOW)
    elsewhere = f.registration(event)
    f.interview(elsewhere, f.exhibitor(event, name="Other AB"))
    cancelled = f.registration(event, status="cancelled")
    f.interview(cancelled, exhibitor)
    activity = _activity(event, exhibitor, admin)

    made = services.invite_met(activity)

    assert {p.registration_id for p in made} == {interviewed.id, talked.id, scanned.id}
    assert services.invite_met(activity) == []  # nobody twice
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "activity_invitation")).all()
    assert len(messages) == 3
    amal = next(m for m in messages if m.user_id == interviewed.user_id)
    assert amal.language == "ar" and amal.payload["title"] == "جرّب يوماً"
    assert amal.payload["url"].startswith("http://127.0.0.1:5000/activities/invitations/")
    email = render(amal)
    assert "Omsorg Nord AB" in email.subject and re.search("[\u0600-\u06ff]", email.text)
    swedish = render(next(m for m in messages if m.user_id == talked.user_id))
    assert "Prova på en dag i hemtjänsten" in swedish.text and "Anmäl" in swedish.html


def test_the_invitation_link_signs_up_and_cancels_on_post_only(fair, client):
    event, exhibitor, admin = fair
    reg = _met(event, exhibitor)
    activity = _activity(event, exhibitor, admin)
    [participant] = services.invite_met(activity)
    token = services.INVITATION_LINK.token(participant)
    page = client.get(f"/activities/invitations/{token}")
    assert page.status_code == 200 and "Try a day in home care" in page.get_data(as_text=True)
    assert db.session.get(Participant, participant.id).status == "invited"  # a GET changes nothing
    assert client.post(f"/activities/invitations/{token}", data={"action": "join"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).holds_place
    assert "Cancel my place" in client.get(f"/activities/invitations/{token}").get_data(as_text=True)
    client.post(f"/activities/invitations/{token}", data={"action": "cancel"})
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).status == "cancelled"
    assert client.get("/activities/invitations/forged.token.value").status_code == 404
    assert reg.id == participant.registration_id


# ---- signing up -------------------------------------------------------------------------------


def test_an_invited_activity_takes_only_the_invited_and_holds_its_capacity(fair, client):
    event, exhibitor, admin = fair
    invited = [_met(event, exhibitor) for _ in range(6)]
    activity = _activity(event, exhibitor, admin, capacity=5)
    services.invite_met(activity)
    stranger = f.registration(event)
    login(client, stranger.user)
    assert client.post(f"/activities/{activity.id}/join").status_code == 404
    with pytest.raises(services.ActivityError, match="invited visitors only"):
        services.sign_up(activity, stranger)
    for reg in invited[:5]:
        services.sign_up(activity, reg)
    with pytest.raises(services.ActivityError, match="full"):
        services.sign_up(activity, invited[5])
    assert services.places_left(activity) == 0
    first = db.session.scalar(select(Participant).where(Participant.registration_id == invited[0].id))
    services.cancel(first)
    assert services.sign_up(activity, invited[5]).holds_place
    assert services.places_taken(activity) == 5
    services.save_activity(event, exhibitor, _data(event, capacity=6), admin, activity)
    services.sign_up(activity, invited[0])
    with pytest.raises(services.ActivityError, match="capacity cannot be lower"):
        services.save_activity(event, exhibitor, _data(event, capacity=5), admin, activity)


def test_an_open_activity_is_listed_for_the_fairs_visitors_who_sign_up_and_cancel(fair, client):
    event, exhibitor, admin = fair
    activity = _activity(event, None, admin, audience=Audience.OPEN, kind=ActivityKind.MATCHING_GROUP)
    reg = f.registration(event, f.visitor(preferred_language="en"))
    login(client, reg.user)
    page = client.get("/my/activities").get_data(as_text=True)
    assert "Try a day in home care" in page and "Matching group" in page and "5 of 5" in page
    assert client.post(f"/activities/{activity.id}/join").status_code == 303
    page = client.get("/my/activities").get_data(as_text=True)
    assert "You have a place" in page and "4 of 5" in page
    participant = db.session.scalar(select(Participant))
    other = f.registration(event)
    login(client, other.user)
    assert client.post(f"/activities/places/{participant.id}/cancel").status_code == 404  # not theirs
    outsider = f.registration(f.event(), f.visitor(preferred_language="en"))
    login(client, outsider.user)
    assert "Try a day in home care" not in client.get("/my/activities").get_data(as_text=True)
    assert client.post(f"/activities/{activity.id}/join").status_code == 404
    login(client, reg.user)
    assert client.post(f"/activities/places/{participant.id}/cancel").status_code == 303
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).status == "cancelled"


def test_a_sign_up_is_confirmed_at_once_and_reminded_the_day_before(fair, smtp, clock):
    from bazaar.notifications.services import dispatch_due_messages

    event, exhibitor, admin = fair
    activity = _activity(event, None, admin, audience=Audience.OPEN)
    reg = f.registration(event, f.visitor(preferred_language="en", email="amal@example.org"))
    arabic = f.registration(event, f.visitor(preferred_language="ar", email="sami@example.org"))

    def rows(kind):
        db.session.expire_all()
        return db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.user_id == reg.user_id)
        ).all()

    participant = services.sign_up(activity, reg)
    services.sign_up(activity, arabic)
    dispatch_due_messages()
    [confirmation] = smtp.to("amal@example.org")
    text = confirmation.get_body(("plain",)).get_content()
    assert "Try a day in home care" in confirmation["Subject"] and "Storgatan 1, Umeå" in text
    token = re.search(r"/activities/invitations/([^?\s]+)", text).group(1)
    assert services.participant_from_token(token).id == participant.id  # where to see or cancel the place
    assert re.search("[\u0600-\u06ff]", smtp.to("sami@example.org")[0].get_body(("plain",)).get_content())
    [reminder] = rows("activity_reminder")
    assert reminder.status == "pending" and reminder.due_at == activity.starts_at - timedelta(days=1)

    services.cancel(participant)
    assert [r.status for r in rows("activity_reminder")] == ["cancelled"]
    services.sign_up(activity, reg)
    assert len(rows("activity_confirmed")) == 2  # signed up again: told again
    assert [r.status for r in rows("activity_reminder")] == ["pending"]  # the same reminder, back

    clock.advance(seconds=(reminder.due_at - utcnow()).total_seconds() + 60)
    dispatch_due_messages()
    reminders = [m for m in smtp.to("amal@example.org") if "Tomorrow" in m["Subject"]]
    assert len(reminders) == 1 and "Try a day in home care" in reminders[0]["Subject"]

    late = f.registration(event, f.visitor(preferred_language="en"))
    services.sign_up(activity, late, now=activity.starts_at - timedelta(hours=2))
    assert not db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "activity_reminder", OutboxMessage.user_id == late.user_id)
    ).all()  # too late for a day-before reminder; the confirmation is enough


def test_sign_up_closes_when_the_activity_starts(fair):
    event, exhibitor, admin = fair
    activity = _activity(event, None, admin, audience=Audience.OPEN)
    reg = f.registration(event)
    with pytest.raises(services.ActivityError, match="closed"):
        services.sign_up(activity, reg, now=activity.starts_at)


# ---- the host's record ------------------------------------------------------------------------


def test_the_host_records_attendance_and_outcome_and_others_may_not(fair, client):
    event, exhibitor, admin = fair
    reg = _met(event, exhibitor)
    activity = _activity(event, exhibitor, admin)
    services.invite_met(activity)
    participant = services.sign_up(activity, reg)
    url = f"/activities/{activity.id}/participants/{participant.id}"
    form = {f"p{participant.id}-attendance": "attended", f"p{participant.id}-outcome": "hired"}
    rival = f.exhibitor_staff(f.exhibitor(event, name="Rival"), role="admin")
    interviewer = f.exhibitor_staff(exhibitor, role="interviewer")
    for outsider in (rival, interviewer, reg.user):
        login(client, outsider)
        assert client.post(url, data=form).status_code == 403
        assert client.get(f"/activities/{activity.id}").status_code == 403
    login(client, admin)
    assert client.post(url, data=form | {f"p{participant.id}-outcome": "bogus"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).outcome is None  # refused, nothing saved
    client.post(url, data=form)
    db.session.expire_all()
    saved = db.session.get(Participant, participant.id)
    assert saved.attendance == "attended" and saved.outcome == ActivityOutcome.HIRED
    assert saved.outcome_recorded_by_id == admin.id
    services.record(saved, Attendance.NO_SHOW, ActivityOutcome.HIRED, None, admin)
    assert saved.outcome is None  # no outcome without attending
    organiser = f.organiser(event.organisers[0].organisation)
    login(client, organiser)
    assert client.get(f"/activities/{activity.id}").status_code == 200
    assert "Try a day in home care" in client.get(f"/organiser/events/{event.id}/activities").get_data(as_text=True)


def test_the_host_calls_an_activity_off_and_everyone_taking_part_is_told(fair, client, smtp):
    from bazaar.activitylog.models import LogEntry
    from bazaar.notifications.services import dispatch_due_messages

    event, exhibitor, admin = fair
    placed, waiting, gone = (_met(event, exhibitor, lang=lang) for lang in ("en", "ar", "en"))
    activity = _activity(event, exhibitor, admin)
    services.invite_met(activity)
    services.sign_up(activity, placed)
    services.cancel(services.sign_up(activity, gone))  # gave the place up before: not told again
    dispatch_due_messages()
    before = len(smtp.received())
    url = f"/activities/{activity.id}/call-off"
    login(client, f.exhibitor_staff(exhibitor, role="interviewer"))
    assert client.post(url, data={"confirm": "y"}).status_code == 403
    login(client, admin)
    assert client.post(url, data={"message": "The ward is closed."}).status_code == 303  # box not ticked
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).cancelled_at is None

    assert client.post(url, data={"message": "The ward is closed.", "confirm": "y"}).status_code == 303
    db.session.expire_all()
    activity = db.session.get(Activity, activity.id)
    assert activity.cancelled_at is not None and activity.cancel_message == "The ward is closed."
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "activity_cancelled")).all()
    assert {m.user_id for m in rows} == {placed.user_id, waiting.user_id}
    reminders = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "activity_reminder")).all()
    assert reminders and {m.status for m in reminders} == {"cancelled"}
    dispatch_due_messages()
    told = smtp.received()[before:]
    english = next(m for m in told if placed.user.email in str(m["To"]))
    assert (
        "Try a day in home care" in english["Subject"]
        and "The ward is closed." in english.get_body(("plain",)).get_content()
    )
    assert re.search("[\u0600-\u06ff]", next(m for m in told if waiting.user.email in str(m["To"]))["Subject"])
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action == "activity.cancelled"))
    assert entry.actor_id == admin.id and entry.data["told"] == 2

    with pytest.raises(services.ActivityError, match="called this activity off"):
        services.sign_up(activity, gone)
    assert services.call_off(activity, admin, None) == 0  # a second call tells nobody again
    login(client, placed.user)
    page = client.get("/my/activities").get_data(as_text=True)
    assert "The host has called this activity off." in page and "The ward is closed." in page
    assert "Cancel my place" not in page
    login(client, admin)
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "called this activity off" in page and f"/activities/{activity.id}/call-off" not in page
    assert compile_event(event.id)["headline"]["activities_offered"] == 0


def test_an_activity_that_has_started_cannot_be_called_off(fair):
    event, exhibitor, admin = fair
    activity = _activity(event, None, admin, audience=Audience.OPEN)
    with pytest.raises(services.ActivityError, match="has started"):
        services.call_off(activity, admin, None, now=activity.starts_at)


# ---- statistics -------------------------------------------------------------------------------


def _attend(activity, reg, outcome, host):
    participant = db.session.scalar(
        select(Participant).where(Participant.activity_id == activity.id, Participant.registration_id == reg.id)
    )
    participant = services.sign_up(activity, reg) if participant is None or not participant.holds_place else participant
    services.record(participant, Attendance.ATTENDED, outcome, None, host)
    return participant


def test_a_hire_counts_once_per_person_and_employer_from_fair_to_activity_to_job(fair):
    event, exhibitor, admin = fair
    other = f.exhibitor(event, name="Bygg Syd AB")
    both = _met(event, exhibitor)  # hired at the interview and again after the try-a-job day
    from bazaar.booking.models import Booking

    interview = db.session.scalar(select(Booking).where(Booking.registration_id == both.id))
    interview.outcome = "hired"
    after_day = _met(event, exhibitor)  # hired only after the try-a-job day
    next_step = _met(event, exhibitor)  # attended, a next step only
    no_show = _met(event, exhibitor)
    visit_hire = _met(event, other)  # hired after a study visit at another employer
    db.session.commit()
    day = _activity(event, exhibitor, admin)
    services.invite_met(day)
    visit = _activity(event, other, admin, kind=ActivityKind.STUDY_VISIT)
    services.invite_met(visit)
    _attend(day, both, ActivityOutcome.HIRED, admin)
    _attend(day, after_day, ActivityOutcome.HIRED, admin)
    _attend(day, next_step, ActivityOutcome.NEXT_STEP, admin)
    services.record(services.sign_up(day, no_show), Attendance.NO_SHOW, None, None, admin)
    _attend(visit, visit_hire, ActivityOutcome.HIRED, admin)

    figures = compile_event(event.id)
    h = figures["headline"]
    activity_pairs = {(both.id, exhibitor.id), (after_day.id, exhibitor.id), (visit_hire.id, other.id)}
    interview_pairs = {(both.id, exhibitor.id)}
    assert h["activities_offered"] == 2
    assert h["activity_participants"] == len({both.id, after_day.id, next_step.id, visit_hire.id})
    assert h["jobs_after_activities"] == len(activity_pairs)
    assert h["jobs_after_try_a_job_day"] == len({p for p in activity_pairs if p[1] == exhibitor.id})
    assert h["outcome_hired"] == len(interview_pairs)  # the interview's own figure keeps its definition
    assert h["jobs_total"] == len(activity_pairs | interview_pairs)
    assert h["visitors_hired"] == len({p[0] for p in activity_pairs | interview_pairs})
    assert h["evidence_employer_only"] == h["visitors_hired"]
    per_exhibitor = {row["id"]: row for row in figures["per_exhibitor"]}
    assert per_exhibitor[exhibitor.id]["jobs_total"] is None  # two people: hidden below five
    assert {"activities_offered", "jobs_after_try_a_job_day"} <= set(HEADLINE) <= set(DEFINITIONS)


# ---- the person's data ------------------------------------------------------------------------


def test_sign_ups_are_exported_and_erased_with_the_person(fair):
    event, exhibitor, admin = fair
    reg = _met(event, exhibitor)
    activity = _activity(event, exhibitor, admin)
    services.invite_met(activity)
    participant = services.sign_up(activity, reg)
    services.record(participant, Attendance.ATTENDED, ActivityOutcome.OFFER, "Strong with the elderly", admin)
    later = activity.starts_at + timedelta(days=10)
    coming = _activity(event, None, admin, audience=Audience.OPEN, starts_at=later, ends_at=later + timedelta(hours=2))
    place = services.sign_up(coming, reg)
    user = reg.user
    [first, second] = export_user_data(user)["activities"]
    assert first["title"] == "Try a day in home care" and first["outcome"] == "offer"
    assert first["outcome_note"] == "Strong with the elderly" and second["status"] == "signed_up"

    erase_people([user], now=activity.starts_at + timedelta(days=1))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Participant, participant.id)
    assert kept.outcome_note is None and kept.outcome == "offer"  # the figures keep the outcome
    assert kept.status == "signed_up"  # held already: it stays as it was
    assert db.session.get(Participant, place.id).status == "cancelled"  # still to come: the place is given up


def test_the_retention_purge_erases_the_notes_and_keeps_the_figures(ctx, clock):
    from bazaar.privacy import retention

    event = f.event(starts_in=-timedelta(days=2))
    exhibitor = f.exhibitor(event)
    admin = f.exhibitor_staff(exhibitor, role="admin")
    reg = _met(event, exhibitor, name="Purged Person")
    reg.checked_in_at = event.starts_at
    db.session.commit()
    starts = event.ends_at + timedelta(hours=20)
    activity = Activity(
        event_id=event.id,
        exhibitor_id=exhibitor.id,
        title={"en": "Try a day"},
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        place="Storgatan 1",
        capacity=5,
        audience=Audience.OPEN,
    )
    db.session.add(activity)
    db.session.commit()
    participant = services.sign_up(activity, reg, now=starts - timedelta(hours=1))
    services.record(participant, Attendance.ATTENDED, ActivityOutcome.HIRED, "Purged Person did well", admin)
    before = compile_event(event.id)["headline"]
    clock.advance(seconds=(retention.purge_date(event) - utcnow()).total_seconds() + 86400)

    assert retention.purge_event(event) == 1

    db.session.expire_all()
    kept = db.session.get(Participant, participant.id)
    assert kept.outcome_note is None and kept.outcome == ActivityOutcome.HIRED
    after = compile_event(event.id)["headline"]
    for key in ("jobs_after_activities", "jobs_after_try_a_job_day", "jobs_total", "activity_participants"):
        assert after[key] == before[key] and before[key] > 0
