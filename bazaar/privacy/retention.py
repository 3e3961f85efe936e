"""Erasure by retention period: an event's visitors are erased when the period after its survey
closes has passed, unless they have been active since (:func:`purgeable` is the rule).

Erasing a person is the same as the right to erasure (:func:`bazaar.privacy.services.erase_people`):
the account is anonymised, its registrations, interviews and survey answers stay detached, so every
figure counts them as before. The profile answers behind the breakdowns are gone, so before the
first purge touching an event a "retention" snapshot is compiled, and from then on the event's
breakdowns are that snapshot's (see ``Compiler._frozen_breakdowns``): stored snapshots stay as they
were and recompiled figures do not change.
"""

import calendar
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import exists, false, func, or_, select

from bazaar.accounts.models import User
from bazaar.activitylog.models import Action
from bazaar.activitylog.services import log_action
from bazaar.clock import utcnow
from bazaar.events.models import Event, EventStaff
from bazaar.exhibitors.models import ExhibitorStaff
from bazaar.extensions import db
from bazaar.privacy.services import erase_people
from bazaar.registrations.models import Registration
from bazaar.stats.compile import RETENTION_REASON
from bazaar.stats.milestones import sensitive_published_from
from bazaar.stats.models import SnapshotStatus, StatsSnapshot
from bazaar.stats.services import compile_snapshot

log = logging.getLogger("bazaar.privacy")

# People erased per transaction: a purge interrupted half-way leaves whole people erased or kept.
BATCH = 100


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later (earlier if negative), on the month's last day
    if it has no such day (31 January + 1 month is 28 or 29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def retention_months(event: Event) -> int:
    return event.retention_months or current_app.config["RETENTION_MONTHS"]


def retention_starts_at(event: Event) -> datetime:
    """The retention period starts when the last survey wave's answering time is over (the
    event's end if it has no survey)."""
    return sensitive_published_from(event)


def purge_date(event: Event) -> datetime:
    return add_months(retention_starts_at(event), retention_months(event))


def _took_part(event_ids):
    """SQL condition on User: registered at one of ``event_ids`` (any status), or registered someone there."""
    return exists().where(
        Registration.event_id.in_(event_ids),
        or_(Registration.user_id == User.id, Registration.registered_by_id == User.id),
    )


def purgeable(event: Event, now: datetime | None = None):
    """The rule: a query of the ids of the people whose data goes when ``event`` is purged at ``now``.

    A person is purged when all of these hold:

    * they took part in the event: registered (any status, walk-ins and group members too), or
      registered someone else there (a job coach);
    * their account is not erased already and has no staff role (an organising body, site
      operator, exhibitor staff, door staff): staff accounts are not visitors' data and stay;
    * they have no newer activity: no registration (their own or made for others) at another
      event whose own purge date is still to come (when the purge is run early, that may be an
      older event: an account is erased whole, so an event still keeping it keeps it), and their
      account was neither created nor logged into after the cut-off: ``now`` less the event's
      retention period, or the survey's close if that is later (when an organiser runs it early).

    So retention counts from a person's latest activity: an event from its survey's close, a login
    from the login. Whether the event's own purge date has come is the caller's question."""
    now = now or utcnow()
    cutoff = max(retention_starts_at(event), add_months(now, -retention_months(event)))
    still_kept = [e.id for e in db.session.scalars(select(Event).where(Event.id != event.id)) if purge_date(e) > now]
    return select(User.id).where(
        _took_part([event.id]),
        User.deleted_at.is_(None),
        User.organisation_id.is_(None),
        User.is_site_operator.is_(false()),
        ~exists().where(ExhibitorStaff.user_id == User.id),
        ~exists().where(EventStaff.user_id == User.id),
        ~_took_part(still_kept),
        User.created_at <= cutoff,
        or_(User.last_login_at.is_(None), User.last_login_at <= cutoff),
    )


@dataclass
class Forecast:
    """What the organiser's page shows: when, how many then (as things stand), how many if run now."""

    months: int
    purge_date: datetime
    due: bool
    people_then: int
    people_now: int


def forecast(event: Event, now: datetime | None = None) -> Forecast:
    now = now or utcnow()
    when = purge_date(event)

    def count(at):
        return db.session.scalar(select(func.count()).select_from(purgeable(event, at).subquery()))

    people_now = count(now)
    return Forecast(retention_months(event), when, when <= now, people_now if when <= now else count(when), people_now)


def _freeze_figures(people) -> None:
    """Compile a retention snapshot for each event these people registered at that has none yet,
    before their profiles go (the breakdowns are then taken from it)."""
    frozen = select(StatsSnapshot.event_id).where(
        StatsSnapshot.reason == RETENTION_REASON, StatsSnapshot.status == SnapshotStatus.DONE
    )
    event_ids = db.session.scalars(
        select(Registration.event_id)
        .where(Registration.user_id.in_(people), Registration.event_id.not_in(frozen))
        .distinct()
        .order_by(Registration.event_id)
    ).all()
    db.session.commit()  # the compilation commits its progress as it goes
    for event_id in event_ids:
        compile_snapshot(event_id, RETENTION_REASON)


def purge_event(
    event: Event,
    now: datetime | None = None,
    *,
    early: bool = False,
    by: User | None = None,
    time_limit: float | None = None,
) -> int:
    """Erase the personal data of the people :func:`purgeable` names, if the event's purge date
    has come (or ``early``, an organiser's decision). Returns how many were erased; running it
    again erases nobody more. Logged, with who ran it. With ``time_limit`` (seconds) it stops after
    the batch that passes it, and :func:`pending` tells whether people are left."""
    now = now or utcnow()
    started = time.monotonic()
    if not early and purge_date(event) > now:
        return 0
    if not pending(event, now):
        return 0
    _freeze_figures(purgeable(event, now))
    erased = 0
    while ids := db.session.scalars(purgeable(event, now).order_by(User.id).limit(BATCH)).all():
        erase_people(db.session.scalars(select(User).where(User.id.in_(ids))).all(), now)
        db.session.commit()
        erased += len(ids)
        if time_limit is not None and time.monotonic() - started > time_limit:
            break
    log_action(event, Action.RETENTION_PURGED, by, data={"erased": erased, "early": early})
    db.session.commit()
    log.info(
        "retention purge: %s people erased (%s)",
        erased,
        "run early by an organiser" if early else "due",
        extra={"event": event.id, "user_id": by.id if by else None},
    )
    return erased


def pending(event: Event, now: datetime | None = None) -> bool:
    """Someone is left to purge early (a purge stopped by its time limit)."""
    return bool(db.session.scalar(select(exists(purgeable(event, now)))))


def due_events(now: datetime | None = None) -> list[Event]:
    now = now or utcnow()
    return [e for e in db.session.scalars(select(Event).order_by(Event.id)) if purge_date(e) <= now]


def purge_due(now: datetime | None = None) -> int:
    """Purge every event whose purge date has come (the scheduled task). Returns people erased."""
    now = now or utcnow()
    return sum(purge_event(event, now) for event in due_events(now))


def set_retention_months(event: Event, months: int | None) -> None:
    """The event's own period, or None for the site's default."""
    if months != event.retention_months:
        change = {"field": "retention_months", "old": event.retention_months, "new": months}
        log_action(event, Action.RETENTION_CHANGED, data={"changes": [change]})
    event.retention_months = months
    db.session.commit()
