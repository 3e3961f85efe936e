"""Who an announcement reaches, what each recipient gets, and sending it through the outbox.

Each recipient gets the text :func:`bazaar.i18n.pick_text` picks for their language, in an email
(and a text message where the audience may get one), queued with :func:`notifications.services.queue`
in the transaction that records the announcement. A form's second submit finds the announcement
its first one made (``Announcement.submission`` is unique), and the outbox's key (kind, address,
announcement) writes each recipient's copy once however often the sending is retried.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from bazaar.accounts.models import User, VisitorProfile
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.announcements.models import Announcement, Audience
from bazaar.announcements.notifications import KIND
from bazaar.booking.models import Booking
from bazaar.checkin.models import Arrival
from bazaar.events.models import Event, EventOrganiser
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor, ExhibitorStaff
from bazaar.extensions import db
from bazaar.i18n import pick_text, spreadsheet_time, text_direction
from bazaar.notifications.models import Channel, OutboxMessage
from bazaar.notifications.render import Rendered, render
from bazaar.notifications.services import queue
from bazaar.registrations.models import Registration, RegistrationStatus

# The audiences whose members gave their mobile number to this fair for its text messages (the
# profile's phone: "so we can send you a text message reminder"). Exhibitors' staff gave none for
# this, and the news list's consent is to "a few emails a year": they get the email only.
SMS_AUDIENCES = (
    Audience.REGISTERED,
    Audience.WAITLISTED,
    Audience.EXHIBITOR_BOOKINGS,
    Audience.CHECKED_IN,
    Audience.DAY_VISITORS,
)


class AnnouncementError(Exception):
    """An announcement that cannot be sent as asked."""


@dataclass
class Draft:
    """What the organiser wrote and to whom: texts are dicts of language code to text."""

    audience: str
    subject: dict
    body: dict
    sms: dict = field(default_factory=dict)
    exhibitor: Exhibitor | None = None
    day: date | None = None  # for Audience.DAY_VISITORS: the fair's day, by its local date


@dataclass(frozen=True)
class Recipient:
    user: User
    phone: str | None


# ---- audiences -----------------------------------------------------------------------------


def _registrations(event: Event, *where):
    return select(Registration.user_id).where(Registration.event_id == event.id, *where)


def _day_visitors(event: Event, on: date | None):
    """Those holding a place with a live interview on that day of the fair, or who came in that day."""
    day = event.day_on(on) if on is not None else None
    if day is None:
        raise AnnouncementError("choose one of the fair's days")
    booked = select(Booking.registration_id).where(
        Booking.event_id == event.id,
        Booking.is_live,
        Booking.starts_at >= day.opens_at,
        Booking.starts_at < day.closes_at,
    )
    came = select(Arrival.registration_id).where(Arrival.event_id == event.id, Arrival.day == day.date)
    return _registrations(event, Registration.holds_place, or_(Registration.id.in_(booked), Registration.id.in_(came)))


def _audience_user_ids(event: Event, audience: str, exhibitor: Exhibitor | None, day: date | None = None):
    """A query of the ids of the audience's people."""
    if audience == Audience.REGISTERED:
        return _registrations(event, Registration.holds_place)
    if audience == Audience.WAITLISTED:
        return _registrations(event, Registration.status == RegistrationStatus.WAITLISTED)
    if audience == Audience.CHECKED_IN:
        return _registrations(event, Registration.checked_in_at.is_not(None))
    if audience == Audience.EXHIBITOR_BOOKINGS:
        if exhibitor is None or exhibitor.event_id != event.id:
            raise AnnouncementError("choose one of the event's exhibitors")
        return (
            select(Registration.user_id)
            .join(Booking, Booking.registration_id == Registration.id)
            .where(Booking.exhibitor_id == exhibitor.id, Booking.is_live)
        )
    if audience == Audience.EXHIBITORS:
        return (
            select(ExhibitorStaff.user_id)
            .join(Exhibitor, Exhibitor.id == ExhibitorStaff.exhibitor_id)
            .where(Exhibitor.event_id == event.id, Exhibitor.status == ApplicationStatus.APPROVED)
        )
    if audience == Audience.DAY_VISITORS:
        return _day_visitors(event, day)
    if audience == Audience.NEWS:
        return _news_user_ids(event)
    raise AnnouncementError(f"unknown audience {audience!r}")


def _news_user_ids(event: Event):
    """People registered (in any state, at any time) for a fair of one of ``event``'s organising
    bodies who asked to hear about next year's fair and have not withdrawn it."""
    sibling_events = select(EventOrganiser.event_id).where(
        EventOrganiser.organisation_id.in_(
            select(EventOrganiser.organisation_id).where(EventOrganiser.event_id == event.id)
        )
    )
    return (
        select(Registration.user_id)
        .join(VisitorProfile, VisitorProfile.user_id == Registration.user_id)
        .where(Registration.event_id.in_(sibling_events), VisitorProfile.consent_news_at.is_not(None))
    )


def recipients(
    event: Event, audience: str, exhibitor: Exhibitor | None = None, day: date | None = None
) -> list[Recipient]:
    """The audience's people with a working account, once each, in a fixed order."""
    ids = _audience_user_ids(event, audience, exhibitor, day)
    rows = db.session.execute(
        select(User, VisitorProfile.phone)
        .outerjoin(VisitorProfile, VisitorProfile.user_id == User.id)
        .where(User.id.in_(ids), User.deleted_at.is_(None), User.is_active_account.is_(True))
        .order_by(User.id)
    )
    return [Recipient(*row) for row in rows]


def texts_by_sms(audience: str, recipient: Recipient, draft: Draft) -> bool:
    """The recipient gets the text message too: the organiser wrote one, the audience may get it
    and the recipient gave a mobile number."""
    return bool(draft.sms) and audience in SMS_AUDIENCES and bool(recipient.phone)


@dataclass(frozen=True)
class Counts:
    people: int
    emails: int
    texts: int


def count(event: Event, draft: Draft) -> Counts:
    """How many people, emails and text messages sending ``draft`` now would make."""
    people = recipients(event, draft.audience, draft.exhibitor, draft.day)
    texts = sum(texts_by_sms(draft.audience, r, draft) for r in people)
    emails = sum(bool(r.user.email) for r in people)  # a coach's group member may have none
    return Counts(people=len(people), emails=emails, texts=texts)


# ---- what each recipient gets ----------------------------------------------------------------


def payload(draft: Draft, channel: str, language: str) -> dict:
    """The texts picked for a reader of ``language``, with the language they are written in (the
    email marks the organiser's words with it when they fell back to another language)."""
    if channel == Channel.SMS:
        code, text = pick_text(draft.sms, language)
        return {"text": text, "text_lang": code, "text_dir": text_direction(code)}
    code, body = pick_text(draft.body, language)
    return {
        "subject": pick_text(draft.subject, code)[1],  # the subject in the body's language
        "body": body,
        "text_lang": code,
        "text_dir": text_direction(code),
        "news": draft.audience == Audience.NEWS,  # the email says why they got it, and how to stop it
    }


@dataclass
class Preview:
    email: Rendered
    sms: str | None


def preview(event: Event, draft: Draft, language: str) -> Preview:
    """The email (and text message) as a recipient reading ``language`` gets it, rendered by the
    outbox's own renderer from a message that is never stored."""

    def rendered(channel: str) -> Rendered:
        message = OutboxMessage(
            kind=KIND,
            channel=channel,
            language=language,
            to_address="preview",
            event_id=event.id,
            payload=payload(draft, channel, language),
        )
        message.event = event
        return render(message)

    return Preview(email=rendered(Channel.EMAIL), sms=rendered(Channel.SMS).text if draft.sms else None)


# ---- sending ---------------------------------------------------------------------------------


def _submitted(submission: str) -> Announcement | None:
    return db.session.scalar(select(Announcement).where(Announcement.submission == submission))


def send(event: Event, draft: Draft, author: User, submission: str) -> tuple[Announcement, bool]:
    """Record the announcement and queue every recipient's copy in one transaction, and commit.
    Returns (the announcement, whether this call sent it): a form submitted again returns the
    announcement its first submit made, and sends nothing more."""
    earlier = _submitted(submission)
    if earlier is None:
        announcement = Announcement(
            event_id=event.id,
            author_id=author.id,
            audience=draft.audience,
            exhibitor_id=draft.exhibitor.id if draft.audience == Audience.EXHIBITOR_BOOKINGS else None,
            day=draft.day if draft.audience == Audience.DAY_VISITORS else None,
            subject=draft.subject,
            body=draft.body,
            sms=draft.sms,
            submission=submission,
        )
        try:
            with db.session.begin_nested():
                db.session.add(announcement)
        except IntegrityError:  # the same form, submitted at the same moment, won
            earlier = _submitted(submission)
    if earlier is not None:
        db.session.rollback()
        if earlier.event_id != event.id:
            raise AnnouncementError("this form was sent for another event")
        return earlier, False
    emails = texts = 0
    for person in recipients(event, draft.audience, draft.exhibitor, draft.day):
        targets = [(Channel.EMAIL, person.user.email)]  # queue() skips a person without one
        if texts_by_sms(draft.audience, person, draft):
            targets.append((Channel.SMS, person.phone))
        for channel, address in targets:
            queued = queue(
                KIND,
                user=person.user,
                to_address=address,
                event=event,
                subject=announcement,
                channel=channel,
                payload=payload(draft, channel, person.user.preferred_language),
            )
            if queued is not None:
                emails += channel == Channel.EMAIL
                texts += channel == Channel.SMS
    announcement.email_count, announcement.sms_count = emails, texts
    data = {"audience": draft.audience, "emails": emails, "texts": texts}
    log_action(event, Action.ANNOUNCEMENT_SENT, author, announcement, data)
    db.session.commit()
    return announcement, True


# ---- reading -------------------------------------------------------------------------------


def announcements_of(event: Event) -> list[Announcement]:
    return db.session.scalars(
        select(Announcement).where(Announcement.event_id == event.id).order_by(Announcement.sent_at.desc())
    ).all()


def delivery(announcement: Announcement) -> dict[tuple[str, str], int]:
    """(channel, status) -> how many of the announcement's messages are there."""
    rows = db.session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.subject_type == "announcement", OutboxMessage.subject_id == announcement.id)
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    )
    return {(channel, status): n for channel, status, n in rows}


# ---- the news list ---------------------------------------------------------------------------


def _news_people(event: Event, *columns):
    return (
        select(*columns)
        .join(VisitorProfile, VisitorProfile.user_id == User.id)
        .where(User.id.in_(_news_user_ids(event)), User.deleted_at.is_(None), User.is_active_account.is_(True))
    )


def news_count(event: Event) -> int:
    return db.session.scalar(_news_people(event, func.count(User.id)))


def news_list(event: Event):
    """(name, email, language, when they asked) of the news list, by name."""
    columns = (User.name, User.email, User.preferred_language, VisitorProfile.consent_news_at)
    return db.session.execute(_news_people(event, *columns).order_by(func.lower(User.name), User.id)).all()


def news_table(event: Event, header: list) -> tuple[list, list]:
    """The news list as rows for an export under ``header`` (its four column titles)."""
    rows = [(name, email, lang, spreadsheet_time(at, event.timezone)) for name, email, lang, at in news_list(event)]
    return header, rows
