"""The screenshots the README shows: the visitor flow and its confirmation email in Swedish and in
Arabic, the exhibitor's day and the door on a phone, and the organiser's event page and statistics on
a laptop. ``bin/screenshots`` runs this with BAZAAR_SCREENSHOT_DIR=docs/screenshots;
a normal test run writes them under artifacts/screenshots/readme/ instead."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from bazaar.exhibitors.models import Opening
from bazaar.extensions import db
from tests import factories as f
from tests.support import ROOT, SCREENSHOTS, release_database, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.rendering]

OUT = Path(os.environ.get("BAZAAR_SCREENSHOT_DIR") or SCREENSHOTS / "readme")
if not OUT.is_absolute():
    OUT = ROOT / OUT


def text(lang: str, msgid: str, **values) -> str:
    with force_locale(lang):
        return gettext(msgid, **values)


def build_fair():
    organiser = f.organiser(name="Lena Organiser")
    ev = f.event(
        org=organiser.organisation,
        name="Jobbdating Helsingborg",
        starts_in=timedelta(days=12),
        description={
            "sv": "Träffa 40 arbetsgivare och gör en kort jobbintervju på plats.",
            "ar": "قابل 40 صاحب عمل وأجرِ مقابلة عمل قصيرة في المكان نفسه.",
        },
    )
    builders = f.exhibitor(
        ev,
        name="Byggkompaniet Helsingborg AB",
        booth_number="12",
        description={"sv": "Vi bygger bostäder i hela Skåne.", "ar": "نبني مساكن في كل منطقة سكونه."},
    )
    care = f.exhibitor(ev, name="Region Skåne", booth_number="30", org_type="public_employer")
    db.session.add_all(
        [
            Opening(
                exhibitor_id=builders.id,
                title={"sv": "Snickare", "ar": "نجّار"},
                positions=4,
                location="Helsingborg",
                swedish_developing_ok=True,
            ),
            Opening(
                exhibitor_id=care.id,
                title={"sv": "Undersköterska", "ar": "مساعد تمريض"},
                positions=10,
                location="Helsingborg",
                swedish_developing_ok=True,
            ),
        ]
    )
    db.session.commit()
    builder_slots = f.slots_for(builders, count=8, minutes=15)
    f.slots_for(care, start=ev.starts_at + timedelta(hours=1), count=8, minutes=15)
    people = {}
    for lang, name in (("sv", "Sara Lind"), ("ar", "Amal Haddad")):
        person = f.visitor(name=name, preferred_language=lang)
        reg = f.registration(ev, person)
        f.booked(reg, builder_slots[0 if lang == "sv" else 1])
        people[lang] = person.email
    past = f.event(
        org=organiser.organisation,
        name="Rekryteringsbazaren Stockholm",
        starts_in=timedelta(days=-3),
        status="finished",
    )
    past_exhibitors = [f.exhibitor(past, name=n) for n in ("Stockholms stad", "Vårdbolaget AB", "Bygg & Montage AB")]
    for i in range(30):
        reg = f.registration(past, f.visitor(name=f"Besökare {i}"))
        if i < 26:
            reg.checked_in_at = past.starts_at + timedelta(minutes=i)
        if i < 20:
            f.interview(
                reg,
                past_exhibitors[i % 3],
                outcome=("hired", "second_interview", "offer", "none")[i % 4],
                outcome_employment_type="permanent" if i % 4 == 0 else None,
            )
    recruiter = f.exhibitor_staff(builders, role="admin", name="Jonas Byggare", preferred_language="sv")
    db.session.commit()
    ids = {
        "slug": ev.slug,
        "event": ev.id,
        "builders": builders.id,
        "care": care.id,
        "organiser": organiser.email,
        "recruiter": recruiter.email,
        "past": past.id,
        **people,
    }
    release_database()
    return ids


def save(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"))


def test_readme_screenshots(fair, chromium):
    ids = build_fair()
    slug = ids["slug"]
    for lang in ("sv", "ar"):
        phone = chromium.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=1.5, is_mobile=True, has_touch=True, locale=lang
        )
        page = phone.new_page()
        page.set_default_timeout(30000)
        try:
            page.goto(f"{fair.base}/events/{slug}?lang={lang}")
            assert page.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
            save(page, f"visitor-{lang}-1-event")
            page.get_by_role("link", name=text(lang, "Register"), exact=True).click()
            save(page, f"visitor-{lang}-2-register")
            fair.login(page, ids[lang])
            page.goto(f"{fair.base}/events/{slug}/exhibitors/{ids['builders']}")
            save(page, f"visitor-{lang}-3-book")
            page.goto(f"{fair.base}/events/{slug}/my-schedule")
            assert page.get_by_role("heading", level=1).inner_text() == text(lang, "My schedule")
            save(page, f"visitor-{lang}-4-schedule")
            page.goto(f"{fair.base}/events/{slug}/exhibitors")
            save(page, f"visitor-{lang}-5-directory")
            page.goto(f"{fair.base}/events/{slug}/exhibitors/{ids['care']}")
            page.locator("ul.times button.primary").first.click()
            page.wait_for_load_state()
            mail = fair.mail.wait_for(
                ids[lang], where=lambda m: any(part.get_filename() == "interview.ics" for part in m.iter_attachments())
            )
            page.goto("about:blank")  # not on the site's page, whose CSP forbids the email's inline styles
            page.set_content(mail.get_body(("html",)).get_content())
            save(page, f"email-{lang}-booking")
        finally:
            phone.close()

    phone = chromium.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1.5, is_mobile=True, has_touch=True, locale="sv"
    )
    page = phone.new_page()
    page.set_default_timeout(30000)
    try:
        fair.login(page, ids["recruiter"])
        page.goto(f"{fair.base}/exhibitor/{ids['builders']}/day")
        save(page, "exhibitor-day")
        page.context.clear_cookies()
        fair.login(page, ids["organiser"])
        page.goto(f"{fair.base}/organiser/events/{ids['event']}/door")
        save(page, "door")
    finally:
        phone.close()

    laptop = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="sv")
    page = laptop.new_page()
    page.set_default_timeout(30000)
    try:
        fair.login(page, ids["organiser"])
        page.goto(f"{fair.base}/organiser/events/{ids['event']}")
        save(page, "organiser-event")
        page.goto(f"{fair.base}/organiser/events/{ids['past']}/stats")
        page.get_by_role("button", name=text("sv", "Compile the figures now")).click()

        def compiled():
            page.reload()
            return page.get_by_role("link", name=text("sv", "Download Excel")).count() == 1

        wait_for(compiled, timeout=90, interval=1, message="the worker to compile the figures")
        save(page, "organiser-dashboard")
    finally:
        laptop.close()
    expected = {
        f"visitor-{lang}-{step}.png"
        for lang in ("sv", "ar")
        for step in ("1-event", "2-register", "3-book", "4-schedule", "5-directory")
    } | {f"email-{lang}-booking.png" for lang in ("sv", "ar")}
    expected |= {"organiser-dashboard.png", "organiser-event.png", "exhibitor-day.png", "door.png"}
    assert expected <= {p.name for p in OUT.glob("*.png")}
