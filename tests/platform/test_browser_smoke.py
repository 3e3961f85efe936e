"""The app served by gunicorn, seen by real Chromium on a phone-sized screen."""

import pytest

from tests import factories as f


@pytest.mark.browser
def test_home_page_in_chromium(ctx, live_server, page):
    f.event(name="Jobbdating Helsingborg")
    page.goto(live_server + "/")
    assert page.locator("h1").inner_text()
    page.get_by_role("link", name="Jobbdating Helsingborg").click()
    assert page.locator("h1").inner_text() == "Jobbdating Helsingborg"
    page.select_option("#lang-select", "ar")
    page.locator("form.lang button").click()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
