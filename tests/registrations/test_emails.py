"""The account and registration messages, rendered by the real renderer and sent over real SMTP."""

from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from bazaar.accounts import services as accounts
from bazaar.coaching import services as coaching
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.services import dispatch_due_messages
from bazaar.registrations import services
from tests import factories as f

MY_KINDS = {
    "verify_email",
    "password_reset",
    "registration_confirmed",
    "registration_offer",
    "group_registration",
    "group_invitation",
}


def _all_kinds(lang):
    """Cause one message of each kind for a visitor who reads ``lang``."""
    event = f.event(capacity=1, name="Jobbdating Malmö")
    visitor = accounts.sign_up(f"v-{lang}@example.org", "Hodan Warsame", "a long password 1", lang)
    db.session.commit()
    accounts.request_password_reset(visitor.email)
    holder = services.register(event, f.visitor())
    waiting = services.register(event, visitor)
    services.cancel_registration(holder)  # the place is offered to the visitor
    services.claim_offer(waiting)
    group_event = f.event(name="Öppet hus")
    coach = f.event_staff(group_event, "coach", name="Karin Coach")
    people = [services.Participant(f"Deltagare {i}", f"p{i}-{lang}@example.org", lang) for i in range(4)]
    people.append(services.Participant("Hodan", visitor.email, lang))  # an existing account: invited
    coaching.register_group(group_event, coach, "SFI 3B", people)
    return visitor


@pytest.mark.parametrize("lang", ["sv", "en", "ar", "fa", "so", "ti", "uk", "tr", "da"])
def test_every_message_renders_in_every_language(ctx, lang):
    from bazaar.notifications.render import build_email, render

    _all_kinds(lang)
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert {row.kind for row in rows} >= MY_KINDS
    for row in rows:
        if row.kind not in MY_KINDS:
            continue
        rendered = render(row)
        assert rendered.subject and "\n" not in rendered.subject, row.kind
        for link_key in ("url", "claim_url", "set_password_url", "my_url", "register_url", "member_url"):
            if row.payload.get(link_key):
                assert row.payload[link_key] in rendered.text and row.payload[link_key] in rendered.html, row.kind
        parsed = BytesParser(policy=policy.default).parsebytes(build_email(row, rendered).as_bytes())
        assert parsed["Subject"] == rendered.subject


def test_confirmation_arrives_by_smtp_with_ticket(ctx, smtp):
    event = f.event(name="Jobbdating Helsingborg")
    visitor = f.visitor(name="Selam Tesfay", email="selam@example.org", preferred_language="en")
    reg = services.register(event, visitor)
    dispatch_due_messages()
    [mail] = smtp.received(To="selam@example.org")
    assert "Jobbdating Helsingborg" in mail["Subject"] and "registered" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "Selam Tesfay" in body and event.venue_name in body
    attachments = [part.get_filename() for part in mail.iter_attachments()]
    assert attachments == ["ticket.png"]
    assert reg.ticket_code not in body  # the ticket travels as a signed QR, not as the raw code
