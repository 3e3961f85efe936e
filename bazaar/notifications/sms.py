"""Text messages behind a small interface, so a real gateway can be plugged in later.

A gateway is any object with ``send(to: str, text: str) -> None`` that raises
:class:`~bazaar.notifications.mail.TemporaryFailure` or ``PermanentFailure`` when it cannot deliver.
Select one with ``SMS_BACKEND`` (``console`` is built in), or install an object as
``app.extensions["sms_gateway"]``.
"""

import logging
from typing import Protocol

from flask import current_app

log = logging.getLogger("bazaar.sms")


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None:
        """Deliver ``text`` to the phone number ``to`` (E.164) or raise a DeliveryError."""


class ConsoleSmsGateway:
    """Writes each text message to the log."""

    def send(self, to: str, text: str) -> None:
        log.info("sms to %s: %s", to, text)


BACKENDS = {"console": ConsoleSmsGateway}


def get_gateway() -> SmsGateway:
    installed = current_app.extensions.get("sms_gateway")
    if installed is not None:
        return installed
    backend = current_app.config.get("SMS_BACKEND", "console")
    if backend not in BACKENDS:
        raise RuntimeError(f"unknown SMS_BACKEND {backend!r}; known: {', '.join(BACKENDS)}")
    return BACKENDS[backend]()
