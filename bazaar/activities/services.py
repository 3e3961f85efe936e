"""Follow-on activities as plain functions: offering one, inviting the visitors who met the
employer, signing up and cancelling (the places held under :data:`Lock.ACTIVITY_PLACES`), and the
host's record of attendance and outcome."""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from bazaar.activities.models import (
    CAPACITY_MAX,
    CAPACITY_MIN,
    Activity,
    ActivityOutcome,
    Audience,
    Participant,
    ParticipantStatus,
)
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.booking.models import Attendance, Booking
from bazaar.checkin.models import BoothScan, BoothScanKind
from bazaar.clock import utcnow
from bazaar.exhibitors.models import ApplicationStatus, Opening
from bazaar.extensions import db
from bazaar.i18n import pick_text
from bazaar.locking import Lock, lock
from bazaar.notifications.services import cancel_pending, queue, queue_or_revive
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.tokens import SignedLink

ACTIVITY_FIELDS = (
    "kind",
    "audience",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "place",
    "capacity",
    "languages",
    "interpreter",
    "opening_id",
)
INVITATION_MESSAGE = "activity_invitation"
CONFIRMATION_MESSAGE = "activity_confirmed"
REMINDER_MESSAGE = "activity_reminder"
CANCELLED_MESSAGE = "activity_cancelled"
REMINDER_BEFORE = timedelta(days=1)  # the reminder comes the day before, at the activity's hour
# The link in an invitation: it names the visitor's row and lasts until well after the activity;
# once the person is erased it reaches nothing.
INVITATION_LINK = SignedLink(
    "activities.invitation",
    Participant,
    {"p": "id", "r": "registration_id"},
    timedelta(days=120),
    usable=lambda participant: participant.registration.user_id is not None,
)


class ActivityError(Exception):
    """An activity action is not possible; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---- offering -----------------------------------------------------------------------------------


def save_activity(event, exhibitor, data: dict, actor, activity: Activity | None = None) -> Activity:
    """Offer (or change) an activity of ``event`` hosted by ``exhibitor`` (None: the organisers).
    It takes place after the fair, for 5 to 15 people; only an employer can invite the visitors it
    met. The caller has checked the permission; this commits."""
    if not CAPACITY_MIN <= data["capacity"] <= CAPACITY_MAX:
        raise ActivityError(_("Give a capacity from %(min)d to %(max)d people.", min=CAPACITY_MIN, max=CAPACITY_MAX))
    if data["ends_at"] <= data["starts_at"]:
        raise ActivityError(_("The activity must end after it starts."))
    if data["starts_at"] < event.ends_at:
        raise ActivityError(_("The activity takes place after the fair: choose a time after it ends."))
    if data["audience"] == Audience.INVITED and exhibitor is None:
        raise ActivityError(_("Only an employer can invite the visitors it met; choose an employer or open it to all."))
    if exhibitor is not None and exhibitor.status != ApplicationStatus.APPROVED:
        raise ActivityError(_("Only an approved exhibitor can offer activities."))
    opening = db.session.get(Opening, data["opening_id"]) if data["opening_id"] else None
    if data["opening_id"] and (opening is None or exhibitor is None or opening.exhibitor_id != exhibitor.id):
        raise ActivityError(_("Choose one of the employer's own openings."))
    if activity is not None and data["capacity"] < places_taken(activity):
        raise ActivityError(_("More people have signed up than that; the capacity cannot be lower."))
    if activity is None:
        activity = Activity(event_id=event.id, exhibitor_id=exhibitor.id if exhibitor else None, created_by_id=actor.id)
        db.session.add(activity)
    for name in ACTIVITY_FIELDS:
        setattr(activity, name, data[name])
    db.session.commit()
    return activity


def places_taken(activity: Activity) -> int:
    return db.session.scalar(
        select(func.count(Participant.id)).where(Participant.activity_id == activity.id, Participant.holds_place)
    )


def places_left(activity: Activity) -> int:
    return max(0, activity.capacity - places_taken(activity))


def activity_title(activity: Activity, lang: str | None = None) -> str:
    return pick_text(activity.title, lang)[1]


# ---- who met the employer, and their invitations ----------------------------------------------


def met_employer(activity: Activity):
    """The registrations (ids, a subquery) of the fair's visitors who met the activity's employer
    there: an interview held or a talk held with it (marked attended, or logged at the booth and not
    undone as a no-show), or a conversation logged at its booth."""
    met = or_(
        Booking.attendance == Attendance.ATTENDED,
        and_(Booking.walk_in.is_(True), Booking.attendance != Attendance.NO_SHOW),
    )
    interviewed = select(Booking.registration_id).where(
        Booking.exhibitor_id == activity.exhibitor_id, Booking.is_live, met
    )
    talked = select(BoothScan.registration_id).where(
        BoothScan.exhibitor_id == activity.exhibitor_id,
        BoothScan.kind == BoothScanKind.CONVERSATION,
        BoothScan.registration_id.isnot(None),
    )
    return select(Registration.id).where(
        Registration.event_id == activity.event_id,
        Registration.status == RegistrationStatus.REGISTERED,
        Registration.user_id.isnot(None),
        or_(Registration.id.in_(interviewed), Registration.id.in_(talked)),
    )


def invite_met(activity: Activity, now: datetime | None = None) -> list[Participant]:
    """Invite every visitor who met the employer and has no row for the activity yet: one email
    each, in their language, with a signed link. One transaction; returns the invitations made."""
    now = now or utcnow()
    if activity.exhibitor_id is None or activity.audience != Audience.INVITED:
        raise ActivityError(_("This activity is open to all visitors; there is nobody to invite."))
    if not is_open(activity, now):
        raise ActivityError(_("This activity has started."))
    already = select(Participant.registration_id).where(Participant.activity_id == activity.id)
    registrations = db.session.scalars(
        select(Registration).where(Registration.id.in_(met_employer(activity)), Registration.id.not_in(already))
    ).all()
    made = []
    for registration in registrations:
        participant = Participant(
            activity=activity, registration_id=registration.id, status=ParticipantStatus.INVITED, invited_at=now
        )
        db.session.add(participant)
        db.session.flush()
        _queue_invitation(participant, registration)
        made.append(participant)
    db.session.commit()
    return made


def _message_payload(participant: Participant, user) -> dict:
    """What the activity's messages to one visitor show, in their language, with their own link."""
    activity, lang = participant.activity, user.preferred_language
    return {
        "title": activity_title(activity, lang),
        "host": activity.exhibitor.name if activity.exhibitor else activity.event.name,
        "starts_at": activity.starts_at.isoformat(),
        "ends_at": activity.ends_at.isoformat(),
        "place": activity.place,
        "capacity": activity.capacity,
        "url": invitation_url(participant, lang),
    }


def _queue_invitation(participant: Participant, registration: Registration) -> None:
    payload = _message_payload(participant, registration.user)
    queue(
        INVITATION_MESSAGE,
        user=registration.user,
        event=participant.activity.event,
        subject=participant,
        payload=payload,
    )


def _queue_confirmation_and_reminder(participant: Participant, user, now: datetime) -> None:
    """A sign-up is confirmed at once, and reminded the day before unless that has passed; a
    sign-up after a cancellation is confirmed again and brings its reminder back."""
    activity, payload = participant.activity, _message_payload(participant, user)
    queue(
        CONFIRMATION_MESSAGE,
        user=user,
        event=activity.event,
        subject=participant,
        payload=payload,
        version=int(now.timestamp() * 1_000_000),  # each sign-up is confirmed, again after a cancel
    )
    due_at = activity.starts_at - REMINDER_BEFORE
    if due_at > now and user.email:
        queue_or_revive(
            REMINDER_MESSAGE,
            subject=participant,
            version=0,
            address=user.email,
            due_at=due_at,
            expires_at=activity.starts_at,
            payload=payload,
            user=user,
            event=activity.event,
        )


def invitation_url(participant: Participant, lang: str) -> str:
    """The link in the invitation; the page opens in the visitor's language (``?lang``)."""
    return f"{current_app.config['BASE_URL']}/activities/invitations/{INVITATION_LINK.token(participant)}?lang={lang}"


def participant_from_token(token: str) -> Participant:
    """The invitation a link names; raises InvalidToken if forged, too old or unknown."""
    return INVITATION_LINK.load(token)


# ---- the visitor's side -------------------------------------------------------------------------


def is_open(activity: Activity, now: datetime | None = None) -> bool:
    """Sign-ups are taken until the activity starts, unless the host called it off."""
    return activity.cancelled_at is None and activity.starts_at > (now or utcnow())


def for_visitor(user, now: datetime | None = None) -> list[tuple[Activity, Participant | None]]:
    """The coming activities the person may join: open ones of the fairs they are registered for,
    and those they were invited to (with their row, if any), earliest first."""
    now = now or utcnow()
    registrations = select(Registration.id).where(
        Registration.user_id == user.id, Registration.status == RegistrationStatus.REGISTERED
    )
    events = select(Registration.event_id).where(Registration.id.in_(registrations))
    mine = select(Participant.activity_id).where(Participant.registration_id.in_(registrations))
    activities = db.session.scalars(
        select(Activity)
        .where(
            Activity.ends_at > now,
            or_(
                and_(
                    Activity.audience == Audience.OPEN, Activity.event_id.in_(events), Activity.cancelled_at.is_(None)
                ),
                Activity.id.in_(mine),  # called off too: they were told, and see it here
            ),
        )
        .order_by(Activity.starts_at, Activity.id)
    ).all()
    rows = {
        p.activity_id: p
        for p in db.session.scalars(select(Participant).where(Participant.registration_id.in_(registrations)))
    }
    return [(a, rows.get(a.id)) for a in activities]


def visitor_registration(activity: Activity, user) -> Registration | None:
    """The person's registration for the activity's fair that holds a place, if any."""
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == activity.event_id,
            Registration.user_id == user.id,
            Registration.status == RegistrationStatus.REGISTERED,
        )
    )


def sign_up(activity: Activity, registration: Registration, now: datetime | None = None) -> Participant:
    """Take a place: counted and claimed under the activity's lock, so the capacity holds however
    many sign up at once. An invited activity takes only those invited. The confirmation and the
    reminder are queued in the same transaction. Commits."""
    now = now or utcnow()
    lock(Lock.ACTIVITY_PLACES, activity.id, timeout="10s")
    participant = db.session.scalar(
        select(Participant).where(
            Participant.activity_id == activity.id, Participant.registration_id == registration.id
        )
    )
    if participant is not None and participant.holds_place:
        return participant
    if activity.cancelled_at is not None:
        raise ActivityError(_("The host has called this activity off."))
    if not is_open(activity, now) or registration.status != RegistrationStatus.REGISTERED:
        raise ActivityError(_("Sign-up has closed for this activity."))
    if participant is None and activity.audience != Audience.OPEN:
        raise ActivityError(_("This activity is for invited visitors only."))
    if places_taken(activity) >= activity.capacity:
        raise ActivityError(_("Sorry, the activity is full."))
    if participant is None:
        participant = Participant(activity_id=activity.id, registration_id=registration.id)
        db.session.add(participant)
    participant.status, participant.signed_up_at, participant.cancelled_at = ParticipantStatus.SIGNED_UP, now, None
    db.session.flush()
    _queue_confirmation_and_reminder(participant, registration.user, now)
    db.session.commit()
    return participant


def cancel(participant: Participant, now: datetime | None = None) -> None:
    """Give the place up (an invitation stays answerable: the visitor may sign up again). Commits."""
    now = now or utcnow()
    lock(Lock.ACTIVITY_PLACES, participant.activity_id, timeout="10s")
    if not is_open(participant.activity, now):
        raise ActivityError(_("The activity has started; it can no longer be cancelled here."))
    if participant.holds_place:
        participant.status, participant.cancelled_at = ParticipantStatus.CANCELLED, now
        cancel_pending(participant, kinds=(REMINDER_MESSAGE,))
    db.session.commit()


def call_off(activity: Activity, actor, message: str | None, now: datetime | None = None) -> int:
    """The host calls the activity off before it starts: no more sign-ups, and everyone holding a
    place or invited and not yet answered is told by email (with the host's ``message``); their
    reminders and unsent invitations are withdrawn. Under the activity's lock, so a sign-up at the
    same moment is either told or refused. Commits; returns how many were told."""
    now = now or utcnow()
    lock(Lock.ACTIVITY_PLACES, activity.id, timeout="10s")
    db.session.refresh(activity)
    if activity.cancelled_at is not None:
        return 0
    if activity.starts_at <= now:
        raise ActivityError(_("The activity has started; it can no longer be called off."))
    activity.cancelled_at, activity.cancel_message = now, (message or "").strip() or None
    told = 0
    for participant in activity.participants:
        if participant.status not in (ParticipantStatus.SIGNED_UP, ParticipantStatus.INVITED):
            continue
        cancel_pending(participant, kinds=(REMINDER_MESSAGE, INVITATION_MESSAGE))
        user = participant.registration.user
        if user is None:
            continue
        payload = _message_payload(participant, user) | {"message": activity.cancel_message}
        told += (
            queue(CANCELLED_MESSAGE, user=user, event=activity.event, subject=participant, payload=payload) is not None
        )
    data = {"title": activity_title(activity), "told": told}
    log_action(activity.event, Action.ACTIVITY_CANCELLED, actor, activity, data)
    db.session.commit()
    return told


# ---- the host's record ------------------------------------------------------------------------


def record(
    participant: Participant, attendance: str, outcome: str | None, note: str | None, actor, now: datetime | None = None
) -> None:
    """The host marks a signed-up visitor attended or a no-show and, if attended, what came of it
    (an outcome counts in the statistics only after an attended activity). Commits."""
    if attendance not in (Attendance.ATTENDED, Attendance.NO_SHOW):
        raise ActivityError(_("Mark the visitor as attended or as a no-show."))
    if outcome is not None and outcome not in tuple(ActivityOutcome):
        raise ActivityError(_("Choose one of the outcomes."))
    if not participant.holds_place:
        raise ActivityError(_("Only visitors who signed up can be marked."))
    participant.attendance = attendance
    participant.outcome = outcome if attendance == Attendance.ATTENDED else None
    participant.outcome_note = note or None
    participant.outcome_recorded_at = now or utcnow()
    participant.outcome_recorded_by_id = actor.id
    db.session.commit()


def signed_up(activity: Activity) -> list[Participant]:
    return [p for p in activity.participants if p.holds_place]
