"""The statistics page in real Chromium at phone size: charts readable, no label cut off."""

from datetime import timedelta

import pytest

from bazaar.stats import services
from tests import factories as f
from tests.support import browser_login, release_database

pytestmark = [pytest.mark.browser, pytest.mark.rendering]


def test_charts_are_drawn_at_a_readable_size_on_a_phone(ctx, live_server, page):
    org = f.organisation()
    organiser = f.organiser(org, preferred_language="en")
    ev = f.event(org, starts_in=timedelta(days=-40))
    booth = f.exhibitor(ev, name="Skånes Universitetssjukvård, Verksamhetsområde Akutsjukvård och Ambulans")
    for i in range(6):
        f.interview(f.registration(ev, checked_in_at=ev.starts_at), booth, outcome="hired" if i < 4 else "offer")
    services.compile_snapshot(ev.id, "on_demand")
    event_id, email = ev.id, organiser.email
    release_database()
    browser_login(page, live_server, type("User", (), {"email": email}))
    page.goto(f"{live_server}/organiser/events/{event_id}/stats")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.table-scroll'))
             .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
             .slice(0, 15)"""
    )
    assert page.evaluate("window.innerWidth") == 390, wide  # Chromium widens a phone's page that overflows
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    texts = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart text')].map(t => {
             const box = t.getBoundingClientRect(), svg = t.closest('svg').getBoundingClientRect();
             return {text: t.textContent, height: box.height, left: box.left - svg.left, right: svg.right - box.right};
           })"""
    )
    assert texts
    too_small = [t for t in texts if t["height"] < 12]  # 13 px text measures about 15 px high
    assert not too_small, too_small[:3]
    cut_off = [t for t in texts if t["left"] < -0.5 or t["right"] < -0.5]
    assert not cut_off, cut_off[:3]
