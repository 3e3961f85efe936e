"""Exhibitors' logos reach the visitors: on the directory rows and the employer's page, at a
fixed size, without the directory loading any logo's bytes."""

import re

import pytest

from bazaar.extensions import db
from tests import factories as f
from tests.exhibitors.test_booth_profile import png_bytes
from tests.support import assert_fits, counted_statements, login, page_statements, release_database

# True once the image has arrived and decoded (waited for: a lazy image loads after the page).
LOADED = "(sel) => { const img = document.querySelector(sel); return img && img.complete && img.naturalWidth > 0; }"


def _fair():
    event = f.event()
    with_logo = f.exhibitor(event, name="Hamnbolaget", logo=png_bytes(40, 20), logo_mimetype="image/png")
    without = f.exhibitor(event, name="Vårdbolaget")
    return event, with_logo, without


def test_directory_and_employer_page_show_the_logo_and_the_list_reads_no_logo_bytes(ctx, client):
    event, with_logo, without = _fair()
    db.session.expire_all()
    with counted_statements() as sent:
        page = client.get(f"/events/{event.slug}/exhibitors").text
    assert f'src="/exhibitors/{with_logo.id}/logo"' in page
    assert f'src="/exhibitors/{without.id}/logo"' not in page
    reads_logo = [s for s in sent if re.search(r"exhibitor\.logo\b(?!_)", s)]
    assert not reads_logo, "the directory loads the logos' bytes"

    page = client.get(f"/events/{event.slug}/exhibitors/{with_logo.id}").text
    [tag] = re.findall(r'<img class="logo"[^>]*>', page)
    assert f'src="/exhibitors/{with_logo.id}/logo"' in tag and re.search(r'alt="[^"]*Hamnbolaget"', tag)
    assert client.get(f"/exhibitors/{with_logo.id}/logo").data == png_bytes(40, 20)
    assert "<img" not in client.get(f"/events/{event.slug}/exhibitors/{without.id}").text.split("<h1")[0]


def test_the_pages_naming_the_exhibitor_read_no_logo_bytes(ctx, client):
    """The employer's page shows the logo by its link; my schedule and the exhibitor's day view name
    the exhibitor: none of them reads the logo itself."""
    event, with_logo, _ = _fair()
    reg = f.registration(event)
    [slot] = f.slots_for(with_logo, count=1)
    f.booked(reg, slot)
    login(client, reg.user)
    urls = [f"/events/{event.slug}/exhibitors/{with_logo.id}", f"/events/{event.slug}/my-schedule"]
    read = {url: page_statements(client, url)[1] for url in urls}
    login(client, f.exhibitor_staff(with_logo, role="interviewer"))
    day = f"/exhibitor/{with_logo.id}/day"
    page, read[day] = page_statements(client, day)
    assert page.count('<li class="interview"') == 1
    reads_logo = {url: s for url, sent in read.items() for s in sent if re.search(r"exhibitor\.logo\b(?!_)", s)}
    assert not reads_logo, reads_logo


@pytest.mark.rendering
def test_logos_load_at_their_fixed_size_on_a_phone(ctx, live_server, page):
    event, with_logo, _ = _fair()
    slug = event.slug
    release_database()
    page.goto(f"{live_server}/events/{slug}/exhibitors")
    logo = page.locator("img.row-logo")
    page.wait_for_function(LOADED, arg="img.row-logo")
    assert logo.evaluate("img => img.naturalWidth") == 40
    box = logo.bounding_box()
    assert round(box["width"]) == 40 and round(box["height"]) == 40
    assert_fits(page)
    page.click("text=Hamnbolaget")
    big = page.locator("img.logo")
    page.wait_for_function(LOADED, arg="img.logo")
    assert big.evaluate("img => img.naturalWidth") == 40
    assert big.bounding_box()["width"] <= 192
    assert_fits(page)
