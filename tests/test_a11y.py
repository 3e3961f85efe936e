"""Accessibility checked in real Chromium at a phone viewport: axe-core (WCAG 2.1 A/AA rules plus
best practices) finds no serious or critical violation on the main pages, in a left-to-right and a
right-to-left language; controls are big enough to tap and nothing scrolls sideways.

axe-core is vendored under tests/vendor/axe-core/ and injected by the test only (never served).
"""
from pathlib import Path

import pytest

from bazaar.extensions import db
from tests import factories as f
from tests.conftest import SCREENSHOTS

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")

pytestmark = pytest.mark.browser


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; return the serious and critical violations."""
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
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"


def release_database() -> None:
    """End the test's own transaction before the browser acts: on SQLite every transaction takes
    the write lock (BEGIN IMMEDIATE), and reading a committed object opens one."""
    db.session.close()


def browser_login(page, base: str, user) -> None:
    email = user.email
    release_database()
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, "login failed"


def test_helper_finds_a_real_violation(ctx, live_server, page):
    """The checker itself works: an image without text and an unlabelled field are reported."""
    page.goto(live_server + "/")
    page.evaluate("""() => {
        const img = document.createElement('img'); img.src = '/static/none.png';
        const input = document.createElement('input');
        document.querySelector('main').append(img, input);
    }""")
    ids = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label"} <= ids


@pytest.mark.parametrize("lang", ["sv", "ar"])
def test_public_pages_have_no_serious_violations(ctx, live_server, page, lang):
    ev = f.event(name="Jobbdating Helsingborg", description={"sv": "Träffa arbetsgivare.", "en": "Meet employers."})
    f.exhibitor(ev, name="Byggkompaniet AB")
    slug = ev.slug
    release_database()
    for name, path in (("home", "/"), ("event", f"/events/{slug}"), ("login", "/login"),
                       ("not-found", "/no-such-page")):
        page.goto(f"{live_server}{path}?lang={lang}")
        assert_accessible(page, f"{name}-{lang}")


def test_login_errors_are_tied_to_their_fields(ctx, live_server, page):
    page.goto(live_server + "/login?lang=en")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    email = page.locator("#email")
    assert email.get_attribute("aria-invalid") == "true"
    error_id = email.get_attribute("aria-describedby")
    assert page.locator(f"#{error_id}").inner_text()
    assert_accessible(page, "login-errors")


def test_organiser_pages_have_no_serious_violations(ctx, live_server, page):
    organiser = f.organiser()
    event_id = f.event(org=organiser.organisation, status="draft").id
    browser_login(page, live_server, organiser)
    for name, path in (("organiser-events", "/organiser/events"), ("event-form", "/organiser/events/new"),
                       ("manage", f"/organiser/events/{event_id}"), ("edit", f"/organiser/events/{event_id}/edit")):
        page.goto(live_server + path)
        assert_accessible(page, name)


def test_keyboard_reaches_skip_link_language_switcher_and_main_content_in_order(ctx, live_server, page):
    page.goto(live_server + "/login?lang=sv")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip"
    assert page.locator(".skip").is_visible()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    order = []
    page.goto(live_server + "/login?lang=sv")
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.id || document.activeElement.className"))
    assert order.index("lang-select") < order.index("email") < order.index("password")
    page.focus("#lang-select")
    page.select_option("#lang-select", "fa")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/login?lang=fa")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
