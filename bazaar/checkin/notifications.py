"""Check-in's part in messages: the QR ticket on every registration confirmation."""

from bazaar.checkin.qr import ticket_qr_png
from bazaar.extensions import db
from bazaar.notifications.registry import Attachment, attachment
from bazaar.registrations.models import Registration, RegistrationStatus
from bazaar.registrations.notifications import TICKET_KINDS


@attachment(*TICKET_KINDS)
def _ticket(message) -> Attachment | None:
    registration = db.session.get(Registration, message.subject_id) if message.subject_type == "registration" else None
    if registration is None or registration.status != RegistrationStatus.REGISTERED:
        return None  # a waiting-list confirmation carries no ticket
    return Attachment("ticket.png", "image", "png", ticket_qr_png(registration))
