"""Writing the activity log, and reading it for the event's page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import column, func, select, table

from bazaar.activitylog.models import Action, Export, LogEntry
from bazaar.extensions import db
from bazaar.i18n import zone_abbreviation

# The accounts table, named as the log's foreign key names it (the log imports no domain).
_users = table("user", column("id"), column("name"))


def _plain(value, zone: str):
    """``value`` as JSON keeps it: times in the fair's time zone to the minute, named ("2027-03-10
    10:00 CET"), sets and tuples as lists."""
    if isinstance(value, datetime):
        return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone_abbreviation(value, zone)}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v, zone) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, zone) for v in value]
    return value


def _signed_in():
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def log_action(event, action: Action, actor=None, obj=None, data: dict | None = None) -> LogEntry:
    """Record that ``actor`` did ``action`` at ``event`` (to ``obj``, with ``data``), in the
    caller's transaction (the caller commits), so the change and its entry are stored together or
    not at all. ``actor`` defaults to the signed-in user of the request; outside a request (a
    scheduled task) it is nobody, that is Bazaar itself.

    Call it from the domain's services, where the change is made. To log a new kind of action (a
    feature added later: announcements, coaches, registration questions ...): add it to
    :class:`~bazaar.activitylog.models.Action` and ``ACTION_LABELS``, call
    ``log_action(event, Action.X, obj=thing, data={...})``, describe it in
    ``templates/events/_activity.html`` and give the label of each field it changes in
    ``FIELD_LABELS`` (``data["changes"]`` from :func:`changes`). ``data`` holds ids, codes and
    the names of organisations and things, never a visitor's name, address or answers."""
    actor = actor if actor is not None else _signed_in()
    if obj is not None and obj.id is None:
        db.session.flush()  # a new object's id
    entry = LogEntry(
        event_id=event.id,
        actor_id=actor.id if actor is not None else None,
        actor_name=(actor.name or actor.email) if actor is not None else None,
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=obj.id if obj is not None else None,
        data=_plain(data or {}, event.timezone),
    )
    db.session.add(entry)
    return entry


def log_download(event, export: Export, file_format: str, obj=None, data: dict | None = None) -> None:
    """Record that the signed-in user downloaded ``export``; a download changes nothing else, so
    the entry is committed at once."""
    data = {"export": export, "format": file_format} | (data or {})
    log_action(event, Action.EXPORT_DOWNLOADED, obj=obj, data=data)
    db.session.commit()


def changes(obj, fields: dict, hidden: frozenset = frozenset()) -> list[dict]:
    """What setting ``fields`` on ``obj`` would change, as ``{"field", "old", "new"}`` (call it
    before setting them). The values of ``hidden`` fields (personal data, long texts) are left out."""
    found = []
    for name, new in fields.items():
        old = getattr(obj, name)
        if old != new:
            found.append({"field": name} if name in hidden else {"field": name, "old": old, "new": new})
    return found


def entries(event, *, action=None, actor_id=None, since=None, until=None):
    """A query of the event's entries, newest first, narrowed by action, actor and time (UTC,
    ``since`` included, ``until`` not)."""
    query = select(LogEntry).where(LogEntry.event_id == event.id)
    if action:
        query = query.where(LogEntry.action == action)
    if actor_id:
        query = query.where(LogEntry.actor_id == actor_id)
    if since is not None:
        query = query.where(LogEntry.created_at >= since)
    if until is not None:
        query = query.where(LogEntry.created_at < until)
    return query.order_by(LogEntry.created_at.desc(), LogEntry.id.desc())


def page_of(query, page: int, size: int) -> tuple[int, list[LogEntry]]:
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return total, list(db.session.scalars(query.limit(size).offset((page - 1) * size)))


def actors(event) -> list[tuple[int, str]]:
    """Who acted at the event, as (user id, latest name snapshot), erased people with an empty name."""
    latest = (
        select(LogEntry.actor_id, func.max(LogEntry.id).label("last"))
        .where(LogEntry.event_id == event.id, LogEntry.actor_id.is_not(None))
        .group_by(LogEntry.actor_id)
        .subquery()
    )
    rows = db.session.execute(
        select(LogEntry.actor_id, LogEntry.actor_name).join(latest, LogEntry.id == latest.c.last)
    ).all()
    return sorted(((r.actor_id, r.actor_name or "") for r in rows), key=lambda r: (r[1] == "", r[1].lower(), r[0]))


def actions_logged(event) -> list[str]:
    return list(
        db.session.scalars(
            select(LogEntry.action).where(LogEntry.event_id == event.id).distinct().order_by(LogEntry.action)
        )
    )


def people_named(entries: list[LogEntry]) -> dict[int, str]:
    """The current names of the people the entries name by id (a staff member given or losing a
    role, a table's interviewer); an erased person's name is empty."""
    ids = {e.data.get("user_id") for e in entries}
    for entry in entries:
        for change in entry.data.get("changes", ()):
            if change["field"] == "interviewer_id":
                ids |= {change.get("old"), change.get("new")}
    ids.discard(None)
    if not ids:
        return {}
    return dict(db.session.execute(select(_users.c.id, _users.c.name).where(_users.c.id.in_(ids))).all())
