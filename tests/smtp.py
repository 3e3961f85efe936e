"""A real SMTP server on loopback (aiosmtpd) that records what it accepts.

``SmtpSink`` can be stopped and started again on the same port (clients get "connection
refused" meanwhile), answer chosen recipients with an error code, slow down, or run a hook
when a recipient is given (e.g. to kill a worker at an exact point of a batch).
"""

import email
import email.policy
import re
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from tests.support import free_port, wait_for


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        hook = self.sink.on_rcpt
        if hook is not None:
            hook(address)
        if self.sink.delay:
            time.sleep(self.sink.delay)
        for pattern, reply in self.sink.replies.items():
            if pattern in address:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list = []
        self.lock = threading.Lock()
        self.replies: dict[str, str] = {}  # address substring -> SMTP reply, e.g. "550 No such user"
        self.delay = 0.0
        self.on_rcpt = None
        self._controller: Controller | None = None

    def start(self) -> "SmtpSink":
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self, **headers) -> list:
        with self.lock:
            return [m for m in self.messages if all(m[k] == v for k, v in headers.items())]

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, subject: str | None = None, where=None, timeout: float = 90):
        """The first mail to ``address`` whose subject contains ``subject`` (and for which
        ``where(mail)`` holds), waiting for the worker to send it."""

        def found():
            return next(
                (
                    m
                    for m in self.to(address)
                    if (subject is None or subject in str(m["Subject"])) and (where is None or where(m))
                ),
                None,
            )

        return wait_for(found, timeout=timeout, interval=0.5, message=f"mail to {address} about {subject!r}")

    @staticmethod
    def text(message) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    @classmethod
    def links(cls, message) -> list[str]:
        return re.findall(r"https?://[^\s<>\"')]+", cls.text(message))

    def ids(self) -> list[int]:
        """The outbox row id of every message received (duplicates included)."""
        with self.lock:
            return [int(m["X-Bazaar-Message-Id"]) for m in self.messages]


@pytest.fixture
def smtp(app, processes):
    """A running sink, with the app under test and every process it starts pointed at it."""
    sink = SmtpSink().start()
    settings = {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": sink.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
    }
    old = {k: app.config.get(k) for k in settings}
    app.config.update(settings)
    processes.env.update({"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(sink.port)})
    yield sink
    app.config.update(old)
    sink.stop()
