"""The exhibitor directory on a phone: one compact row per exhibitor, a search that narrows the list
as you type (and says how many are left), the filters behind a button, in a constant number of
statements however many exhibitors come."""

import json

import pytest

from bazaar.exhibitors.models import Opening
from bazaar.extensions import db
from tests import factories as f
from tests.exhibitors.test_booth_profile import png_bytes
from tests.support import (
    assert_accessible,
    browser_login,
    counted_statements,
    login,
    page_statements,
    release_database,
)

SECTORS = ["Vård", "Bygg", "Logistik", "Kod", "Skola"]


def _fair(count: int, with_logos: bool = True):
    """An event with ``count`` exhibitors, each with a job, a booth and free times; every third a logo."""
    event = f.event(name="Jobbdating Helsingborg")
    for i in range(count):
        sector = SECTORS[i % len(SECTORS)]
        logo = {"logo": png_bytes(40, 20), "logo_mimetype": "image/png"} if with_logos and i % 3 == 0 else {}
        exhibitor = f.exhibitor(event, name=f"{sector}bolaget Öresund {i + 1} AB", booth_number=f"B{i + 1:02d}", **logo)
        exhibitor.openings.append(
            Opening(title={"sv": f"{sector}jobb", "en": "A job"}, occupation="warehouse", country="SE")
        )
        f.slots_for(exhibitor, count=2)
    db.session.commit()
    return event


def test_directory_statements_do_not_grow_with_the_exhibitors(ctx, client):
    event = _fair(3)
    reg = f.registration(event)
    login(client, reg.user)
    url = f"/events/{event.slug}/exhibitors"
    sent = {}
    for count in (3, 15):
        if count > 3:
            for i in range(3, count):
                f.exhibitor(event, name=f"Extra {i}", booth_number=f"X{i}")
        db.session.expire_all()
        with counted_statements() as statements:
            page = client.get(url).text
        assert page.count('<li data-search="') == count
        sent[count] = len([s for s in statements if not s.startswith("BEGIN")])  # SQLite's, when a transaction opens
    assert sent[3] == sent[15], sent


def test_directory_statements_do_not_grow_with_the_openings_under_filters(ctx, client):
    """Filtered (an occupation, free times only, a search), with three openings per employer: the
    same statements for two employers as for twelve."""
    event = _fair(0)
    login(client, f.registration(event).user)
    url = f"/events/{event.slug}/exhibitors?q=bolaget&occupation=warehouse&free=y"
    sent = {}
    for count in (2, 12):
        for i in range(max(sent, default=0), count):  # the ones the last round lacked
            exhibitor = f.exhibitor(event, name=f"Lagerbolaget {i}", booth_number=f"L{i}", booth_languages=["sv"])
            exhibitor.openings.extend(
                Opening(title={"sv": f"Jobb {n}"}, occupation=occupation, country=country)
                for n, (occupation, country) in enumerate([("warehouse", "SE"), ("cook", "NO"), ("warehouse", "DK")])
            )
            f.slots_for(exhibitor, count=2)
        db.session.commit()
        page, statements = page_statements(client, url)
        assert page.count('<li data-search="') == count
        sent[count] = len(statements)
    assert sent[2] == sent[12], sent


def test_directory_rows_carry_what_the_search_looks_in(ctx, client):
    event = _fair(2, with_logos=False)
    page = client.get(f"/events/{event.slug}/exhibitors?lang=en").text
    assert 'data-search="vårdbolaget öresund 1 ab' in page
    assert "b01" in page and "vårdjobb" in page  # the booth and the job's titles are searched too
    [counts] = [line for line in page.splitlines() if "data-counts=" in line]
    texts = json.loads(counts.split("data-counts='")[1].split("'")[0])
    assert texts[0] == "0 exhibitors" and texts[1] == "1 exhibitor" and len(texts) == 3
    narrowed = client.get(f"/events/{event.slug}/exhibitors?q=B02&lang=en").text  # the server searches the booth
    assert "Byggbolaget" in narrowed and "Vårdbolaget" not in narrowed


@pytest.mark.browser
def test_directory_on_a_phone_is_a_short_list_that_narrows_as_you_type(ctx, live_server, page):
    count = 40
    event = _fair(count)
    person = f.visitor(email="amina@example.org")
    f.registration(event, person)
    slug = event.slug
    browser_login(page, live_server, person)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_server}/events/{slug}/exhibitors?lang=en")
    page.wait_for_function("() => !document.querySelector('[data-disclosure]').hidden")  # lists.js ran
    rows = page.locator("ul.directory > li")
    assert rows.count() == count
    screen = page.viewport_size["height"]
    heights = [b["height"] for b in rows.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().toJSON())")]
    tallest = max(heights)
    assert tallest <= 2 * 44, f"a row is {tallest}px high: more than two lines"
    listed = page.evaluate("document.querySelector('ul.directory').getBoundingClientRect().height")
    assert listed < 2.5 * screen, f"{count} employers take {listed}px, {listed / screen:.1f} screens"  # cards took 10

    # the filters sit behind a button that says so
    toggle = page.locator("button[data-disclosure]")
    panel = page.locator("#directory-filters")
    assert toggle.get_attribute("aria-expanded") == "false" and panel.is_hidden()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and panel.is_visible()
    assert_accessible(page, "directory-filters-open")
    toggle.click()
    assert panel.is_hidden()

    status = page.locator("#directory-count")
    assert status.get_attribute("aria-live") == "polite" and status.inner_text() == f"{count} exhibitors"
    page.locator("#q").press_sequentially("vård")
    wanted = sum(1 for i in range(count) if SECTORS[i % len(SECTORS)] == "Vård")
    page.wait_for_function(f"() => document.querySelector('#directory-count').textContent === '{wanted} exhibitors'")
    assert page.locator("ul.directory > li:visible").count() == wanted
    assert all("Vård" in name for name in page.locator("ul.directory > li:visible .row-name").all_inner_texts())
    page.locator("#q").fill("nothing like this")
    page.wait_for_function("() => document.querySelector('#directory-count').textContent === '0 exhibitors'")
    assert page.locator("#directory-none").is_visible()
    page.locator("#q").fill("")
    page.wait_for_function(f"() => document.querySelector('#directory-count').textContent === '{count} exhibitors'")
    assert page.locator("#directory-none").is_hidden()
    assert_accessible(page, "directory")

    # the row opens the employer's page
    rows.nth(1).locator("a").click()
    page.wait_for_url(f"**/events/{slug}/exhibitors/*")
    assert page.locator("h1").inner_text().endswith("AB")
    assert errors == []


@pytest.mark.browser
def test_directory_without_scripts_filters_on_the_server(ctx, chromium, live_server):
    event = _fair(6, with_logos=False)
    slug = event.slug
    release_database()
    context = chromium.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/events/{slug}/exhibitors?lang=en")
        assert page.locator("button[data-disclosure]").is_hidden()
        assert page.locator("#directory-filters").is_visible()  # no script: the filters are in view
        page.fill("#q", "bygg")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**q=bygg**")
        assert page.locator("ul.directory > li").count() == sum(1 for i in range(6) if SECTORS[i % 5] == "Bygg")
        page.check("#free")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**free=y**")
        assert "1 active" in page.locator("button[data-disclosure]").inner_text()
    finally:
        context.close()
