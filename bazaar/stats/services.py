"""Follow-up survey answers and versioned statistics snapshots."""

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bazaar.booking.models import Booking, Outcome
from bazaar.clock import utcnow
from bazaar.events.models import Event, EventStatus
from bazaar.exhibitors.models import Exhibitor
from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.reminders.services import SURVEY_LINK, survey_waves
from bazaar.stats.compile import DECISIONS, HELD, compile_event, evidence
from bazaar.stats.milestones import milestones
from bazaar.stats.models import CaseResolution, SnapshotStatus, StatsSnapshot, SurveyResponse
from bazaar.tokens import InvalidToken

log = logging.getLogger("bazaar.stats")

# A snapshot still "running" after this long was interrupted (its worker died).
STALE_AFTER = timedelta(hours=1)
# Events that ended longer ago than this are no longer compiled automatically.
AUTO_COMPILE_HORIZON = timedelta(days=400)


class SurveyUnavailable(Exception):
    """The survey link is forged, expired, or its registration is gone or anonymised."""


# ---- follow-up survey --------------------------------------------------------------------


def registration_for_survey(token: str) -> Registration:
    """The registration a survey link was made for, or :class:`SurveyUnavailable`."""
    try:
        return SURVEY_LINK.load(token)
    except InvalidToken as exc:
        raise SurveyUnavailable(str(exc)) from exc


def current_wave(event: Event, now: datetime | None = None) -> int:
    """1 until the second invitation has gone out, then 2, and so on."""
    now = now or utcnow()
    passed = sum(1 for _days, sent_at in survey_waves(event) if now >= sent_at)
    return max(1, passed)


def survey_response(registration: Registration, wave: int | None = None) -> SurveyResponse | None:
    """The visitor's answer to ``wave``, or their latest answer when no wave is given."""
    query = select(SurveyResponse).where(SurveyResponse.registration_id == registration.id)
    if wave is not None:
        query = query.where(SurveyResponse.wave == wave)
    return db.session.scalar(query.order_by(SurveyResponse.wave.desc()).limit(1))


def save_survey(
    registration: Registration,
    *,
    result: str,
    exhibitor_id: int | None,
    employment_type: str | None,
    fair_contributed: bool | None,
    started_on: datetime | None,
    missing: str | None,
) -> SurveyResponse:
    """Store the visitor's answer to the current wave; a second click in the same wave updates it,
    and the answers to earlier waves are kept."""
    wave = current_wave(registration.event)
    answers = dict(
        result=result,
        exhibitor_id=exhibitor_id,
        employment_type=employment_type,
        fair_contributed=fair_contributed,
        started_on=started_on,
        missing=missing or None,
        answered_at=utcnow(),
    )
    response = survey_response(registration, wave)
    if response is None:
        try:
            with db.session.begin_nested():
                response = SurveyResponse(
                    event_id=registration.event_id, registration_id=registration.id, wave=wave, **answers
                )
                db.session.add(response)
        except IntegrityError:  # a concurrent submit created it first
            response = survey_response(registration, wave)
    for key, value in answers.items():
        setattr(response, key, value)
    db.session.commit()
    return response


# ---- cases to resolve by hand -----------------------------------------------------------

# Why a person is listed: the exhibitor's hire and the visitor's answers disagree, the visitor
# named another exhibitor than the one reporting the hire (counted once), or a no-show reported a job.
CASE_KINDS = ("contradicted", "resolved_hired", "resolved_not_hired", "other_exhibitor", "no_show")
# The cases an organiser may settle (again) by hand.
RESOLVABLE = ("contradicted", "resolved_hired", "resolved_not_hired")


def cases_to_resolve(event_id: int) -> list[dict]:
    """Each person whose evidence disagrees, with the exhibitors' hires and every wave's answer.

    For the event's organisers to check by hand; holds no profile answers (no background)."""
    found = evidence(event_id)
    people = dict(
        db.session.execute(
            select(found.c.registration_id, found.c.category).where(
                found.c.category.in_((*RESOLVABLE, "confirmed", "no_show"))
            )
        ).all()
    )
    if not people:
        return []
    hires: dict = {}
    for registration_id, name in db.session.execute(
        select(Booking.registration_id, Exhibitor.name)
        .join(Exhibitor, Exhibitor.id == Booking.exhibitor_id)
        .where(
            Booking.event_id == event_id, HELD, Booking.outcome == Outcome.HIRED, Booking.registration_id.in_(people)
        )
        .order_by(Exhibitor.name)
    ):
        hires.setdefault(registration_id, []).append(name)
    answers: dict = {}
    for answer, named in db.session.execute(
        select(SurveyResponse, Exhibitor.name)
        .outerjoin(Exhibitor, Exhibitor.id == SurveyResponse.exhibitor_id)
        .where(SurveyResponse.registration_id.in_(people))
        .order_by(SurveyResponse.wave)
    ):
        answers.setdefault(answer.registration_id, []).append(
            {"wave": answer.wave, "result": answer.result, "exhibitor": named, "answered_at": answer.answered_at}
        )
    registrations = {r.id: r for r in db.session.scalars(select(Registration).where(Registration.id.in_(people)))}
    cases = []
    for registration_id, category in people.items():
        named = {a["exhibitor"] for a in answers.get(registration_id, []) if a["result"] == "job" and a["exhibitor"]}
        if category == "confirmed":
            if not named - set(hires.get(registration_id, [])):
                continue
            category = "other_exhibitor"
        registration = registrations[registration_id]
        cases.append(
            {
                "kind": category,
                "registration": registration,
                "name": registration.user.name if registration.user else None,
                "hired_by": hires.get(registration_id, []),
                "answers": answers.get(registration_id, []),
            }
        )
    return sorted(cases, key=lambda c: (CASE_KINDS.index(c["kind"]), c["registration"].id))


class NotResolvable(Exception):
    """The person is not a contradicted case of this event (or the decision is unknown)."""


def resolve_case(event_id: int, registration_id: int, decision: str, user) -> CaseResolution:
    """Record an organiser's decision on a contradicted hire; the next compilation follows it."""
    found = evidence(event_id)
    category = db.session.scalar(select(found.c.category).where(found.c.registration_id == registration_id))
    if decision not in DECISIONS or category not in RESOLVABLE:
        raise NotResolvable(f"registration {registration_id} is not a case to resolve")
    resolution = db.session.scalar(select(CaseResolution).where(CaseResolution.registration_id == registration_id))
    if resolution is None:
        resolution = CaseResolution(event_id=event_id, registration_id=registration_id)
        db.session.add(resolution)
    resolution.decision, resolution.decided_by_id, resolution.decided_at = decision, user.id, utcnow()
    db.session.commit()
    return resolution


# ---- snapshots ---------------------------------------------------------------------------


def create_snapshot(event_id: int, reason: str) -> StatsSnapshot:
    """A new, empty, running snapshot with the event's next version number (committed)."""
    for _attempt in range(5):
        version = (
            db.session.scalar(select(func.max(StatsSnapshot.version)).where(StatsSnapshot.event_id == event_id)) or 0
        ) + 1
        snapshot = StatsSnapshot(
            event_id=event_id,
            version=version,
            reason=reason,
            status=SnapshotStatus.RUNNING,
            progress=0,
            figures={},
            created_at=utcnow(),
        )
        db.session.add(snapshot)
        try:
            db.session.commit()
            return snapshot
        except IntegrityError:  # another compilation took that version number
            db.session.rollback()
    raise RuntimeError(f"could not number a snapshot for event {event_id}")


def running_snapshot(event_id: int, now: datetime | None = None) -> StatsSnapshot | None:
    now = now or utcnow()
    return db.session.scalar(
        select(StatsSnapshot)
        .where(
            StatsSnapshot.event_id == event_id,
            StatsSnapshot.status == SnapshotStatus.RUNNING,
            StatsSnapshot.created_at > now - STALE_AFTER,
        )
        .order_by(StatsSnapshot.version.desc())
        .limit(1)
    )


def request_snapshot(event_id: int, reason: str) -> StatsSnapshot | None:
    """A new snapshot to compile, or None if one is already being compiled."""
    if running_snapshot(event_id) is not None:
        return None
    return create_snapshot(event_id, reason)


def compile_snapshot(event_id: int, reason: str = "on_demand", snapshot_id: int | None = None) -> int | None:
    """Compile figures into a snapshot (made here unless given), showing progress as it goes.

    Progress is committed after every step in its own short transaction so the organiser page
    can show it. Returns the snapshot id, or None if the snapshot is gone or taken by another run."""
    if snapshot_id is None:
        snapshot_id = create_snapshot(event_id, reason).id
    claimed = db.session.execute(
        update(StatsSnapshot)
        .where(
            StatsSnapshot.id == snapshot_id,
            StatsSnapshot.event_id == event_id,
            StatsSnapshot.status == SnapshotStatus.RUNNING,
            StatsSnapshot.progress == 0,
        )
        .values(progress=1)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    try:
        figures = compile_event(event_id, on_progress=lambda percent: _set_progress(snapshot_id, percent))
    except Exception as exc:
        db.session.rollback()
        db.session.execute(
            update(StatsSnapshot)
            .where(StatsSnapshot.id == snapshot_id)
            .values(status=SnapshotStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow())
        )
        db.session.commit()
        log.exception("compiling statistics failed", extra={"event_id": event_id, "snapshot_id": snapshot_id})
        raise
    db.session.execute(
        update(StatsSnapshot)
        .where(StatsSnapshot.id == snapshot_id)
        .values(status=SnapshotStatus.DONE, progress=100, figures=figures, finished_at=utcnow())
    )
    db.session.commit()
    return snapshot_id


def _set_progress(snapshot_id: int, percent: int) -> None:
    db.session.execute(
        update(StatsSnapshot).where(StatsSnapshot.id == snapshot_id).values(progress=max(1, min(99, percent)))
    )
    db.session.commit()


def latest_snapshot(event_id: int) -> StatsSnapshot | None:
    return db.session.scalar(
        select(StatsSnapshot)
        .where(StatsSnapshot.event_id == event_id, StatsSnapshot.status == SnapshotStatus.DONE)
        .order_by(StatsSnapshot.version.desc())
        .limit(1)
    )


def snapshot_version(event_id: int, version: int) -> StatsSnapshot | None:
    return db.session.scalar(
        select(StatsSnapshot).where(
            StatsSnapshot.event_id == event_id,
            StatsSnapshot.version == version,
            StatsSnapshot.status == SnapshotStatus.DONE,
        )
    )


def snapshot_history(event_id: int) -> list[StatsSnapshot]:
    return list(
        db.session.scalars(
            select(StatsSnapshot).where(StatsSnapshot.event_id == event_id).order_by(StatsSnapshot.version.desc())
        )
    )


def due_snapshots(now: datetime | None = None) -> list[StatsSnapshot]:
    """Create a snapshot for every event whose end or survey wave passed with none made since.

    Interrupted compilations are marked failed first."""
    now = now or utcnow()
    db.session.execute(
        update(StatsSnapshot)
        .where(StatsSnapshot.status == SnapshotStatus.RUNNING, StatsSnapshot.created_at <= now - STALE_AFTER)
        .values(status=SnapshotStatus.FAILED, error="interrupted", finished_at=now)
    )
    db.session.commit()
    events = db.session.scalars(
        select(Event).where(
            Event.status != EventStatus.DRAFT, Event.ends_at <= now, Event.ends_at > now - AUTO_COMPILE_HORIZON
        )
    ).all()
    if not events:
        return []
    last_made = dict(
        db.session.execute(
            select(StatsSnapshot.event_id, func.max(StatsSnapshot.created_at))
            .where(StatsSnapshot.event_id.in_([e.id for e in events]))
            .group_by(StatsSnapshot.event_id)
        ).all()
    )
    created = []
    for event in events:
        passed = [(at, reason) for at, reason in milestones(event) if at <= now]
        at, reason = passed[-1]
        made = last_made.get(event.id)
        if made is None or made < at:
            created.append(create_snapshot(event.id, reason))
    return created


def comparison(events: list[Event]) -> list[tuple[Event, StatsSnapshot | None]]:
    """Each event with its latest finished snapshot, oldest event first."""
    return [(event, latest_snapshot(event.id)) for event in sorted(events, key=lambda e: e.starts_at)]
