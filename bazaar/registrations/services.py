"""Rules about registrations: tickets, capacity and the event waiting list."""
from sqlalchemy import select

from bazaar.extensions import db
from bazaar.registrations.models import Registration
from bazaar.tokens import InvalidToken, make_token, read_token

TICKET_PURPOSE = "ticket"


def ticket_token(registration: Registration) -> str:
    """The signed token a QR ticket carries: it names the ticket code, never the row id."""
    return make_token(TICKET_PURPOSE, {"e": registration.event_id, "t": registration.ticket_code})


def registration_from_ticket(token: str) -> Registration:
    """The registration a ticket token stands for; raises InvalidToken if forged or unknown."""
    data = read_token(TICKET_PURPOSE, token.strip())
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise InvalidToken("malformed")
    reg = db.session.scalar(select(Registration).where(Registration.ticket_code == data["t"]))
    if reg is None or reg.event_id != data.get("e"):
        raise InvalidToken("unknown ticket")
    return reg
