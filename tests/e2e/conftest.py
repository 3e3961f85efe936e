"""End-to-end harness: gunicorn on loopback, a real Celery worker (with beat) and a real SMTP server
(aiosmtpd) that collects every mail the worker sends; Chromium drives the UI at a phone viewport.

Use the ``fair`` fixture: ``fair.base`` is the site's address, ``fair.mail`` the inbox (``tests.smtp.SmtpSink``),
``fair.shot(page, "name")`` saves a screenshot to artifacts/screenshots/e2e-<test>-<n>-<name>.png.
"""

from types import SimpleNamespace

import pytest

from tests import factories as f
from tests.support import SCREENSHOTS, browser_login


@pytest.fixture
def fair(ctx, app, processes, smtp, tmp_path, request):
    """A running site: web server, worker + beat, SMTP. Mail goes to ``fair.mail``."""
    processes.env.update({"SMTP_STARTTLS": "0", "SMTP_SSL": "0"})  # the ``smtp`` fixture set host and port
    base = request.getfixturevalue("live_server")
    processes.start_worker(tmp_path / "worker.log", "--beat", "--schedule", str(tmp_path / "beat-schedule"))
    counter = iter(range(1, 1000))

    def shot(page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(SCREENSHOTS / f"e2e-{request.node.name}-{next(counter):02d}-{name}.png"), full_page=True
        )

    def login(page, email_address: str, password: str = f.PASSWORD) -> None:
        browser_login(page, base, email_address, password)

    def logout(page) -> None:
        page.locator("header form[action$='/logout'] button").click()
        page.wait_for_load_state()

    return SimpleNamespace(
        base=base,
        mail=smtp,
        shot=shot,
        login=login,
        logout=logout,
        worker_log=tmp_path / "worker.log",
        server_log=tmp_path / "gunicorn.log",
    )


@pytest.fixture
def page(page):
    """The phone-sized page from tests/conftest.py, with more patience: the e2e tests share two cores
    with a web server, a worker and beat."""
    page.set_default_timeout(30000)
    return page
