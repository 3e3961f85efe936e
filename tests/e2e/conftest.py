"""End-to-end harness: gunicorn on loopback, a real Celery worker (with beat) and a real SMTP server
(aiosmtpd) that collects every mail the worker sends; Chromium drives the UI at a phone viewport.

Use the ``fair`` fixture: ``fair.base`` is the site's address, ``fair.mail`` the inbox,
``fair.shot(page, "name")`` saves a screenshot to artifacts/screenshots/e2e-<test>-<n>-<name>.png.
"""
import email
import re
import threading
from email import policy
from email.message import EmailMessage
from types import SimpleNamespace

import pytest

from bazaar.extensions import db
from tests import factories as f
from tests.conftest import SCREENSHOTS, free_port, wait_for


class Inbox:
    """Mail received by the loopback SMTP server, parsed, in arrival order."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, subject: str | None = None, where=None, timeout: float = 90) -> EmailMessage:
        """The first mail to ``address`` whose subject contains ``subject`` (and for which ``where(mail)``
        holds), waiting for the worker to send it."""

        def found():
            return next((m for m in self.to(address) if (subject is None or subject in str(m["Subject"]))
                         and (where is None or where(m))), None)

        return wait_for(found, timeout=timeout, interval=0.5, message=f"mail to {address} about {subject!r}")

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    @classmethod
    def links(cls, message: EmailMessage) -> list[str]:
        return re.findall(r"https?://[^\s<>\"')]+", cls.text(message))


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def release_database() -> None:
    """End the test's own transaction before the browser acts: on SQLite every transaction takes
    the write lock (BEGIN IMMEDIATE), and merely reading a committed object opens one."""
    db.session.close()


@pytest.fixture
def fair(ctx, app, processes, smtp_server, tmp_path, request):
    """A running site: web server, worker + beat, SMTP. Mail goes to ``fair.mail``."""
    processes.env.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_server.port), "MAIL_BACKEND": "smtp",
                          "SMTP_STARTTLS": "0", "SMTP_SSL": "0"})
    base = request.getfixturevalue("live_server")
    processes.start_worker(tmp_path / "worker.log", "--beat", "--schedule", str(tmp_path / "beat-schedule"))
    counter = iter(range(1, 1000))

    def shot(page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"e2e-{request.node.name}-{next(counter):02d}-{name}.png"),
                        full_page=True)

    def login(page, email_address: str, password: str = f.PASSWORD) -> None:
        release_database()
        page.goto(base + "/login")
        page.fill("#email", email_address)
        page.fill("#password", password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/login" not in page.url, f"login as {email_address} failed"

    def logout(page) -> None:
        page.locator("header form[action$='/logout'] button").click()
        page.wait_for_load_state()

    return SimpleNamespace(base=base, mail=smtp_server, shot=shot, login=login, logout=logout,
                           worker_log=tmp_path / "worker.log", server_log=tmp_path / "gunicorn.log")


@pytest.fixture
def page(page):
    """The phone-sized page from tests/conftest.py, with more patience: the e2e tests share two cores
    with a web server, a worker and beat."""
    page.set_default_timeout(30000)
    return page
