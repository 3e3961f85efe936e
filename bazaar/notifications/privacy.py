"""What the outbox holds about a person: the messages sent or due to them."""

from datetime import datetime

from sqlalchemy import String, cast, literal, update

from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.privacy.registry import register


def erase(user, now: datetime) -> None:
    """Unsent messages are cancelled; every message keeps its row (the outbox's history) with the
    payload, error and key (which names the address) erased. Runs after the account is anonymised,
    so the messages take the account's placeholder address. Mentions of the person in other
    people's messages are erased by registrations, which knows the person's events."""
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id, OutboxMessage.status == "pending")
        .values(status="cancelled")
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id)
        .values(
            to_address=user.email,
            payload={},
            last_error=None,
            user_id=None,
            dedup_key=literal("erased:") + cast(OutboxMessage.id, String),
        )
    )


register("notifications", order=95, description="Messages to the person", erase=erase)
