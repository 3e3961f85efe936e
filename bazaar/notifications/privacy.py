"""What the outbox holds about a person: the messages sent or due to them."""

from datetime import datetime

from sqlalchemy import String, cast, column, literal, select, table, update

from bazaar.extensions import db
from bazaar.notifications.models import MessageStatus, OutboxMessage
from bazaar.shredders import register

# The accounts table, named as the outbox's foreign key names it (notifications imports no domain).
_users = table("user", column("id"), column("email"))


def erase(users: list, now: datetime) -> None:
    """Unsent messages are cancelled; every message keeps its row (the outbox's history) with the
    payload, error and key (which names the address) erased. Runs after the accounts are
    anonymised, so the messages take each account's placeholder address. Mentions of the people in
    other people's messages are erased by registrations, which knows the people's events."""
    ids = [u.id for u in users]
    db.session.flush()  # the anonymised addresses, read below
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id.in_(ids), OutboxMessage.status == MessageStatus.PENDING)
        .values(status=MessageStatus.CANCELLED)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id.in_(ids))
        .values(
            to_address=select(_users.c.email).where(_users.c.id == OutboxMessage.user_id).scalar_subquery(),
            payload={},
            last_error=None,
            user_id=None,
            dedup_key=literal("erased:") + cast(OutboxMessage.id, String),
        )
    )


register("notifications", order=95, description="Messages to the person", erase=erase)
