"""Helpers shared by the tests of every domain: signing in, counting statements, waiting for real
processes, and checking pages in Chromium. Fixtures live in tests/conftest.py; this module holds
plain functions so tests import them from one place (conftest itself is loaded twice by pytest)."""

import os
import secrets
import socket
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from bazaar.extensions import db
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PG_ADMIN_URL = os.environ.get("BAZAAR_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("BAZAAR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# in the environment, so every process of the session (and a module imported twice) keeps the same prefix;
# each pytest-xdist worker (and the processes it starts, which inherit PYTEST_XDIST_WORKER) counts apart
LIMITER_PREFIX = os.environ.setdefault(
    "BAZAAR_TEST_LIMITER_PREFIX", f"bazaar-test-limits-{secrets.token_hex(4)}"
) + os.environ.get("PYTEST_XDIST_WORKER", "")
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")


def limiter_on_redis(url: str = REDIS_TEST_URL) -> dict:
    """Rate limits counted in Redis, as production does, under this session's own key prefix."""
    return {
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": LIMITER_PREFIX, "socket_connect_timeout": 1, "socket_timeout": 1},
    }


def login(client, user, language: str | None = None) -> None:
    """Log ``user`` in on ``client`` (the session cookie Flask-Login sets on a real login); with
    ``language``, the pages come in that language (the user's preference, as the switcher sets it)."""
    if language is not None:
        user.preferred_language = language
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def release_database() -> None:
    """End the test's own transaction before the browser acts: on SQLite every transaction takes
    the write lock (BEGIN IMMEDIATE), and merely reading a committed object opens one."""
    db.session.close()


def browser_login(page, base: str, user, password: str = f.PASSWORD) -> None:
    """Sign ``user`` (a User, or an email address) in through the login form."""
    email = getattr(user, "email", user)
    release_database()
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"login as {email} failed"


@contextmanager
def counted_statements():
    """Count the SQL statements sent while the block runs: ``with counted_statements() as sent: ...; len(sent)``."""
    sent = []

    def count(_conn, _cursor, statement, *_args):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def page_statements(client, url: str) -> tuple[str, list[str]]:
    """GET ``url`` (answered 200): the page, and the SQL statements it sent with the rows the test
    holds expired first, so they are read again as in a fresh request (SQLite's BEGIN left out)."""
    db.session.expire_all()
    with counted_statements() as sent:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True), [s for s in sent if not s.startswith("BEGIN")]


def wait_for(predicate, timeout=30.0, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def axe_violations(page) -> list[dict]:
    """Run axe-core (vendored, injected by the test only) on the page as it is now; return the
    serious and critical violations."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']}: {v['help']} ({v['helpUrl']})")
        lines += [f"    {node['target']}: {node['failureSummary']}" for node in v["nodes"][:5]]
    return "\n".join(lines)


def assert_accessible(page, name: str) -> None:
    """No serious axe violation, every control at least 44 px tall, nothing wider than the phone."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{name}.png"), full_page=True)
    violations = axe_violations(page)
    assert not violations, f"{page.url}\n{describe(violations)}"
    too_small = page.evaluate("""() => [...document.querySelectorAll(
            'button, .button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea')]
        .filter(el => el.offsetParent !== null && !el.closest('.visually-hidden'))
        .filter(el => el.getBoundingClientRect().height < 44)
        .map(el => el.outerHTML.slice(0, 120))""")
    assert not too_small, f"{page.url}: controls lower than 44px:\n" + "\n".join(too_small)
    assert_fits(page)


def assert_fits(page) -> None:
    """Nothing is wider than the phone: measured against the 390 px the page was opened at, not
    ``window.innerWidth``, which a mobile-emulated Chromium widens to the content (so a 715 px
    page would measure 715 - 715 = 0), and no element's box reaches past the screen's edge (a wide
    table may scroll inside a box of its own, like the statistics tables)."""
    width = page.viewport_size["width"]
    wide = page.evaluate(
        """(width) => {
            const out = [];
            const page = document.documentElement.scrollWidth;
            if (page > width) { out.push(`page ${page}px`); }
            const inScroller = (el) => {
                for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
                    if (getComputedStyle(box).overflowX !== 'visible') { return true; }
                }
                return false;
            };
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.right > 0 && r.left < width && (r.left < -1 || r.right > width + 1) && !inScroller(el)) {
                    const where = `${Math.round(r.left)}..${Math.round(r.right)}px`;
                    out.push(`${el.tagName.toLowerCase()}.${el.className} ${where}`);
                }
            }
            return out.slice(0, 8);
        }""",
        width,
    )
    assert not wide, f"{page.url} is wider than the {width}px phone:\n" + "\n".join(wide)
