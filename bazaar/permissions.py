"""The one place that decides who may see and change what.

Views and tasks call :func:`can` or :func:`require`; nothing else checks roles. Each rule takes
``(user, obj)`` and returns a bool. ``user`` may be anonymous.
"""

from collections.abc import Callable
from functools import cache

from flask import abort, has_request_context, request
from flask_login import current_user

from bazaar.activities.models import Audience, Participant
from bazaar.booking.models import Slot
from bazaar.events.models import Event, EventStaff, EventStatus
from bazaar.exhibitors.models import ApplicationStatus, Exhibitor, ExhibitorStaff
from bazaar.extensions import db, login_manager
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.routing import ROW_ID_MAX

_RULES: dict[str, Callable] = {}


def rule(action: str):
    def register(fn):
        _RULES[action] = fn
        return fn

    return register


def can(action: str, obj=None, user=None) -> bool:
    user = current_user if user is None else user
    anonymous = not getattr(user, "is_authenticated", False)
    if anonymous and action not in _PUBLIC:
        return False
    return bool(_RULES[action](user, obj))


def require(action: str, obj=None, user=None, not_found: bool = False) -> None:
    """Abort unless allowed: 401 (login) for anonymous users, else 403, or 404 with
    ``not_found`` where admitting the object exists would itself leak something."""
    if can(action, obj, user):
        return
    user = current_user if user is None else user
    if not getattr(user, "is_authenticated", False) and action not in _PUBLIC:
        abort(login_manager.unauthorized())
    abort(404 if not_found else 403)


def load(model, object_id: int, action: str, not_found: bool = False, options: tuple = ()):
    """The ``model`` row with ``object_id`` if the current user may do ``action`` on it; else 404/403.
    ``options``: loader options (what the page shows of it, read in the same statement).

    Ids from query strings or forms may be any integer; out-of-range ones name no row. An event is
    read together with the user's staff roles at it, in one statement."""

    if not 0 < object_id <= ROW_ID_MAX:
        obj = None
    elif model is Event and current_user.is_authenticated and not options:
        obj = _event_with_roles(current_user, object_id)
    else:
        obj = db.session.get(model, object_id, options=options)
    if obj is None:
        abort(404)
    require(action, obj, not_found=not_found)
    return obj


# ---- helpers -------------------------------------------------------------------------------


def organises(user, event) -> bool:
    """The user belongs to one of the organising bodies of ``event``."""
    if not user.is_authenticated or user.organisation_id is None or event is None:
        return False
    return any(o.organisation_id == user.organisation_id for o in event.organisers)


def _once_per_request(key: tuple, read: Callable):
    """``read()``, read once per request for ``key``: a page asks the same role many times (its menu
    alone several), and a role given or revoked shows from the next request. Outside a request (the
    worker, the shell) it is read every time."""
    if not has_request_context():
        return read()
    answers = request.environ.setdefault("bazaar.permissions", {})
    if key not in answers:
        answers[key] = read()
    return answers[key]


def exhibitor_role(user, exhibitor) -> str | None:
    """'admin', 'interviewer' or None for the user's role at ``exhibitor``."""

    if not user.is_authenticated or exhibitor is None:
        return None
    return _once_per_request(
        ("exhibitor_role", user.id, exhibitor.id),
        lambda: db.session.scalar(
            db.select(ExhibitorStaff.role).where(
                ExhibitorStaff.exhibitor_id == exhibitor.id, ExhibitorStaff.user_id == user.id
            )
        ),
    )


def staffs_event(user, event, *roles: str) -> bool:
    """The user was given one of ``roles`` (e.g. 'checkin') for ``event`` (``EventStaff``)."""

    if not user.is_authenticated or event is None:
        return False
    return not _roles_at(user, event).isdisjoint(roles)


def _roles_at(user, event) -> frozenset[str]:
    """The user's staff roles at ``event``, read once per request."""
    return _once_per_request(
        ("event_roles", user.id, event.id),
        lambda: frozenset(
            db.session.scalars(
                db.select(EventStaff.role).where(EventStaff.event_id == event.id, EventStaff.user_id == user.id)
            )
        ),
    )


@cache
def _event_with_roles_statement():
    """The statement of :func:`_event_with_roles`, built once per process (every organiser and door
    page runs it)."""
    user_id = db.bindparam("user", type_=db.Integer())
    return (
        db.select(Event, EventStaff.role)
        .outerjoin(EventStaff, db.and_(EventStaff.event_id == Event.id, EventStaff.user_id == user_id))
        .where(Event.id == db.bindparam("event", type_=db.Integer()))
        .options(db.joinedload(Event.days))  # which fair day it is (the door) needs no statement of its own
    )


def _event_with_roles(user, event_id: int) -> Event | None:
    """The event, read with the user's staff roles at it (remembered for :func:`_roles_at`)."""
    rows = db.session.execute(_event_with_roles_statement(), {"user": user.id, "event": event_id}).unique().all()
    if not rows:
        return None
    roles = frozenset(role for _event, role in rows if role is not None)
    _once_per_request(("event_roles", user.id, event_id), lambda: roles)
    return rows[0][0]


# The event staff roles that run the door (the door pages and "Door check-in" in the nav list them).
DOOR_ROLES = ("checkin", "coorganiser")


def runs(user, event) -> bool:
    """Runs the fair: a member of an organising body, or a person the organisers made co-organiser of
    this one event. Co-organisers do the fair's work (the event page and its status, applications,
    exhibitors' grids, registrations, the door, matching, the outbox, the figures); the organising
    bodies alone decide the event's staff, budget, webhooks, API tokens, retention, and who the
    cases to resolve are, and read the activity log."""
    return organises(user, event) or staffs_event(user, event, "coorganiser")


# ---- events --------------------------------------------------------------------------------
_PUBLIC = {"event.view"}


@rule("event.view")
def _event_view(user, event):
    return event.is_public or runs(user, event)


@rule("event.create")
def _event_create(user, _):
    return user.is_organiser


@rule("event.manage")
def _event_manage(user, event):
    return runs(user, event)


@rule("event.bodies")
def _event_bodies(user, event):
    """Add and remove the event's organising bodies, whose members run it: the organising bodies
    only (a co-organiser adding their own body would make themselves an organiser)."""
    return organises(user, event)


@rule("event.staff")
def _event_staff(user, event):
    """Invite and revoke the event's door staff and co-organisers: the organising bodies only."""
    return organises(user, event)


@rule("event.activity")
def _event_activity(user, event):
    """Read the event's activity log: the organising bodies only. It shows what co-organisers did
    too, and the staff, webhook and retention changes only the bodies decide."""
    return organises(user, event)


# ---- exhibitors ----------------------------------------------------------------------------
# Applying is open to anyone (the applicant's account is made with the application); logos of
# approved exhibitors at public events are shown on public pages.
_PUBLIC |= {"exhibitor.apply", "exhibitor.logo"}


@rule("exhibitor.apply")
def _exhibitor_apply(user, event):
    return event is not None and event.status == EventStatus.PUBLISHED


@rule("exhibitor.logo")
def _exhibitor_logo(user, exhibitor):
    if exhibitor.status == ApplicationStatus.APPROVED and exhibitor.event.is_public:
        return True
    return exhibitor_role(user, exhibitor) is not None or runs(user, exhibitor.event)


@rule("exhibitor.view")
def _exhibitor_view(user, exhibitor):
    """See the exhibitor's own pages (profile, openings, tables, schedule): its staff."""
    return exhibitor_role(user, exhibitor) in ("admin", "interviewer")


@rule("exhibitor.manage")
def _exhibitor_manage(user, exhibitor):
    """Change the booth profile, openings, tables, slots and staff: the exhibitor's admins."""
    return exhibitor_role(user, exhibitor) == "admin"


@rule("exhibitor.grid.view")
def _exhibitor_grid_view(user, exhibitor):
    """See the exhibitor's tables and slots: its staff, and those who run its event."""
    return _exhibitor_view(user, exhibitor) or runs(user, exhibitor.event)


@rule("exhibitor.grid")
def _exhibitor_grid(user, exhibitor):
    """Change the exhibitor's tables and slots: its admins, and those who run its event (to fix a
    grid on the exhibitor's behalf)."""
    return _exhibitor_manage(user, exhibitor) or runs(user, exhibitor.event)


@rule("exhibitor.bookings.export")
def _exhibitor_bookings_export(user, exhibitor):
    """Download the exhibitor's bookings with the visitors' contact details: those who run its event."""
    return runs(user, exhibitor.event)


@rule("exhibitor.run_day")
def _exhibitor_run_day(user, exhibitor):
    """Mark attendance and outcomes of the exhibitor's interviews: admins and interviewers."""
    return exhibitor_role(user, exhibitor) in ("admin", "interviewer")


@rule("application.list")
def _application_list(user, event):
    return runs(user, event)


@rule("application.review")
def _application_review(user, exhibitor):
    """Decide an application and assign the booth: those who run the event."""
    return runs(user, exhibitor.event)


# ---- checkin -------------------------------------------------------------------------------


@rule("checkin.door")
def _checkin_door(user, event):
    """Scan tickets, search registrations and register walk-ins at the door."""
    return runs(user, event) or staffs_event(user, event, "checkin")


@rule("checkin.counters")
def _checkin_counters(user, event):
    return runs(user, event)


@rule("checkin.ticket")
def _checkin_ticket(user, registration):
    """A ticket (QR) is shown to its owner only."""
    return registration.user_id is not None and registration.user_id == user.id


@rule("checkin.badge")
def _checkin_badge(user, registration):
    return _checkin_ticket(user, registration) or runs(user, registration.event)


@rule("checkin.booth")
def _checkin_booth(user, exhibitor):
    """Scan badges at the booth: staff of an approved exhibitor."""
    return exhibitor.status == ApplicationStatus.APPROVED and exhibitor_role(user, exhibitor) in (
        "admin",
        "interviewer",
    )


@rule("speeddating.door")
def _speeddating_door(user, session):
    """Seat a walk-in visitor in a round of a speed-dating session: the door (its staff and those
    who run the event) and the staff of an employer with seats in the session."""
    if _checkin_door(user, session.event):
        return True
    return (
        user.is_authenticated
        and db.session.scalar(
            db.select(ExhibitorStaff.id)
            .join(Slot, Slot.exhibitor_id == ExhibitorStaff.exhibitor_id)
            .where(
                Slot.session_id == session.id,
                ExhibitorStaff.user_id == user.id,
                ExhibitorStaff.role.in_(("admin", "interviewer")),
            )
            .limit(1)
        )
        is not None
    )


# ---- accounts & registrations ----------------------------------------------------------------


@rule("registration.own")
def _registration_own(user, registration):
    """The visitor's own registration (cancel it, see its ticket)."""
    return registration is not None and registration.user_id is not None and registration.user_id == user.id


@rule("registration.list")
def _registration_list(user, event):
    """Organisers see (and export) the registrations of the events they co-organise."""
    return runs(user, event)


@rule("registration.view")
def _registration_view(user, registration):
    """One registration of an event the organiser co-organises (the API's read)."""
    return runs(user, registration.event)


@rule("registration.questions")
def _registration_questions(user, event):
    """Add, change, reorder and remove the event's own registration questions: those who run it."""
    return runs(user, event)


@rule("registration.question")
def _registration_question(user, question):
    return question is not None and runs(user, db.session.get(Event, question.event_id))


# ---- job coaches ----------------------------------------------------------------------------
# A job coach is an event staff role ("coach"), given by the organising bodies (invited, granted, or
# asked for and approved). Coaches register groups; each sees only the groups they registered, and
# only while they have the role. Group members reach their own page by its signed link, not a login.


def coaches(user, event) -> bool:
    return staffs_event(user, event, "coach")


@rule("coaching.request")
def _coaching_request(user, event):
    """Ask the organisers for the job coach role: a verified account, at a public event."""
    return user.email_verified_at is not None and event is not None and event.is_public and not coaches(user, event)


@rule("coaching.register")
def _coaching_register(user, event):
    """Register a group: the event's job coaches, at a public event."""
    return event is not None and event.is_public and coaches(user, event)


@rule("coaching.groups")
def _coaching_groups(user, event):
    return coaches(user, event)


@rule("coaching.group")
def _coaching_group(user, group):
    """A group's page, its members and their interviews: the coach who registered it, while a coach."""
    return group is not None and group.coach_id == user.id and coaches(user, group.event)


@rule("coaching.member")
def _coaching_member(user, member):
    """A member's sheet, link and interviews, booked or cancelled at their request: their group's coach."""
    return member is not None and _coaching_group(user, member.group)


# ---- booking ---------------------------------------------------------------------------------
# A visitor sees and changes only their own bookings and waiting-list places; views ask with
# not_found=True, so another visitor's booking id answers 404.


def _owns_registration(user, registration) -> bool:
    return registration is not None and registration.user_id is not None and registration.user_id == user.id


@rule("booking.book")
def _booking_book(user, registration):
    """Book, and join waiting lists, with this registration: its visitor, while registered."""
    return _owns_registration(user, registration) and registration.status == RegistrationStatus.REGISTERED


@rule("booking.view")
def _booking_view(user, booking):
    return booking is not None and _owns_registration(user, booking.registration)


@rule("booking.change")
def _booking_change(user, booking):
    """Cancel or reschedule: the visitor whose booking it is."""
    return booking is not None and _owns_registration(user, booking.registration)


@rule("waitlist.own")
def _waitlist_own(user, entry):
    return entry is not None and _owns_registration(user, entry.registration)


@rule("booking.outcome")
def _booking_outcome(user, booking):
    """Record attendance and outcome of a live interview: its exhibitor's admins and interviewers."""
    return booking.is_live and _exhibitor_run_day(user, booking.exhibitor)


# ---- matching --------------------------------------------------------------------------------
# An exhibitor states its needs; the event's organisers find and invite candidates. Exhibitors
# never see the candidate list, only their invitations as far as each candidate consented.


@rule("matching.need.manage")
def _matching_need_manage(user, exhibitor):
    """Record and change the exhibitor's needs: its admins, or the event's co-organisers on its behalf."""
    return exhibitor_role(user, exhibitor) == "admin" or runs(user, exhibitor.event)


@rule("matching.need.view")
def _matching_need_view(user, need):
    return need is not None and _matching_need_manage(user, need.exhibitor)


@rule("matching.candidates")
def _matching_candidates(user, need):
    """See the ranked candidates for a need and invite them: the event's co-organisers only."""
    return need is not None and runs(user, need.exhibitor.event)


@rule("matching.list")
def _matching_list(user, event):
    return runs(user, event)


# ---- follow-on activities ---------------------------------------------------------------------
# After the fair an employer (its admins) or the organisers offer try-a-job days, study visits and
# matching groups; visitors of the fair sign up for the open ones and for those they were invited to.


@rule("activities.offer")
def _activities_offer(user, exhibitor):
    """Offer and host an employer's activities: its admins, or those who run its event."""
    return exhibitor_role(user, exhibitor) == "admin" or runs(user, exhibitor.event)


@rule("activities.organise")
def _activities_organise(user, event):
    """Every activity of the fair, and the organisers' own: those who run the event."""
    return runs(user, event)


@rule("activities.host")
def _activities_host(user, activity):
    """Change an activity, invite, and record attendance and outcomes: its host."""
    if activity is None:
        return False
    if activity.exhibitor is not None:
        return _activities_offer(user, activity.exhibitor)
    return runs(user, activity.event)


@rule("activities.join")
def _activities_join(user, activity):
    """Sign up: a visitor registered for the fair, for an open activity or one they were invited to."""
    from_fair = db.session.scalar(
        db.select(Registration.id).where(
            Registration.event_id == activity.event_id,
            Registration.user_id == user.id,
            Registration.status == RegistrationStatus.REGISTERED,
        )
    )
    if from_fair is None:
        return False
    if activity.audience == Audience.OPEN:
        return True
    return (
        db.session.scalar(
            db.select(Participant.id).where(
                Participant.activity_id == activity.id, Participant.registration_id == from_fair
            )
        )
        is not None
    )


@rule("activities.participant.own")
def _activities_participant_own(user, participant):
    """Cancel a place: the visitor whose place it is."""
    return participant is not None and _owns_registration(user, participant.registration)


# ---- notifications ---------------------------------------------------------------------------


@rule("notifications.outbox")
def _notifications_outbox(user, event):
    """See an event's outbox and resend its failed messages: the event's co-organisers."""
    return runs(user, event)


@rule("notifications.failed_everywhere")
def _notifications_failed_everywhere(user, _):
    """See and resend every failed message, also those of no event (e.g. verification emails):
    site operators only."""
    return bool(getattr(user, "is_site_operator", False))


# ---- announcements ---------------------------------------------------------------------------


@rule("announcement.send")
def _announcement_send(user, event):
    """Write, preview and send announcements to the event's audiences, and see those sent: the
    event's co-organisers."""
    return runs(user, event)


@rule("announcement.view")
def _announcement_view(user, announcement):
    return announcement is not None and runs(user, announcement.event)


@rule("announcement.news_list")
def _announcement_news_list(user, event):
    """Export the news list: the organising bodies alone, for it holds the people of all their
    fairs who asked to hear about next year's, not only this fair's."""
    return organises(user, event)


# ---- webhooks --------------------------------------------------------------------------------


@rule("webhooks.manage")
def _webhooks_manage(user, event):
    """Add an event's webhooks and read their secrets and delivery log: the event's co-organisers."""
    return organises(user, event)


@rule("webhooks.manage_endpoint")
def _webhooks_manage_endpoint(user, endpoint):
    return endpoint is not None and organises(user, endpoint.event)


# ---- stats -----------------------------------------------------------------------------------
# Figures are aggregates about many visitors; only the event's co-organisers read or compile them.


@rule("stats.view")
def _stats_view(user, event):
    return runs(user, event)


@rule("stats.snapshot")
def _stats_snapshot(user, snapshot):
    """A stored snapshot's figures: the co-organisers of its event."""
    return runs(user, db.session.get(Event, snapshot.event_id))


@rule("stats.compile")
def _stats_compile(user, event):
    return runs(user, event)


@rule("stats.cases")
def _stats_cases(user, event):
    """The people whose hire and survey answers disagree, by name: the event's co-organisers only."""
    return organises(user, event)


@rule("stats.compare")
def _stats_compare(user, _):
    """Open the comparison page; each event compared is checked with ``stats.view``."""
    return user.is_organiser


# ---- budget and funding ----------------------------------------------------------------------


@rule("budget.manage")
def _budget_manage(user, event):
    """Enter the fair's budget and its funding: the event's co-organisers."""
    return organises(user, event)


# ---- privacy ---------------------------------------------------------------------------------


@rule("privacy.retention")
def _privacy_retention(user, event):
    """See when the event's visitors' data is purged, change the period, and run the purge early:
    the event's co-organisers."""
    return organises(user, event)


# ---- API tokens ------------------------------------------------------------------------------
# A token acts as its owner, but only within its one event, and writes only with "read-write".


def token_allows(token, action: str, event, obj=None, write: bool = False) -> bool:
    """``token`` may do ``action`` on ``obj`` (default: ``event``) of ``event``. A token scoped to
    an exhibitor reads the event's public data and acts on that exhibitor's things only."""
    if token is None or token.revoked_at is not None or event is None or token.event_id != event.id:
        return False
    if write and token.scope != "read-write":
        return False
    target = event if obj is None else obj
    if token.exhibitor_id is not None and action not in _PUBLIC and _exhibitor_id_of(target) != token.exhibitor_id:
        return False
    return can(action, target, user=token.user)


def _exhibitor_id_of(obj) -> int | None:
    return obj.id if isinstance(obj, Exhibitor) else getattr(obj, "exhibitor_id", None)


@rule("api.token.event")
def _api_token_event(user, event):
    """Make a token that acts for the whole event (as its maker): organisers and door staff (a
    door app)."""
    return organises(user, event) or staffs_event(user, event, "checkin")


@rule("api.token.exhibitor")
def _api_token_exhibitor(user, exhibitor):
    """Make a token that acts for one exhibitor only: that exhibitor's admins."""
    return _exhibitor_manage(user, exhibitor)


@rule("api.token.create")
def _api_token_create(user, event):
    """Organisers and door staff of the event and admins of one of its exhibitors may make API
    tokens for it."""

    if _api_token_event(user, event):
        return True
    return (
        db.session.scalar(
            db.select(ExhibitorStaff.id)
            .join(Exhibitor, Exhibitor.id == ExhibitorStaff.exhibitor_id)
            .where(Exhibitor.event_id == event.id, ExhibitorStaff.user_id == user.id, ExhibitorStaff.role == "admin")
        )
        is not None
    )


@rule("api.token.revoke")
def _api_token_revoke(user, token):
    return token is not None and token.user_id == user.id
