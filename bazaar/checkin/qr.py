"""QR codes for tickets. The code carries the signed ticket token, never a database id."""

import io

import segno

from bazaar.registrations.models import Registration
from bazaar.registrations.services import ticket_token


def _ticket_qr(registration: Registration) -> segno.QRCode:
    # Level M survives a scuffed printout or a cracked phone screen; the token is ~90 characters.
    return segno.make(ticket_token(registration), error="m", micro=False)


def ticket_qr_svg(registration: Registration) -> str:
    """An SVG sized by its viewBox, so CSS decides how big it is (no inline styles: CSP)."""
    out = io.BytesIO()
    _ticket_qr(registration).save(
        out, kind="svg", xmldecl=False, svgns=True, omitsize=True, border=4, dark="#000", light="#fff"
    )
    return out.getvalue().decode()


def ticket_qr_png(registration: Registration, scale: int = 8) -> bytes:
    """A PNG for email attachments and for phones that save the ticket as an image."""
    out = io.BytesIO()
    _ticket_qr(registration).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
