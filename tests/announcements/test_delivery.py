"""Announcements through a real Celery worker to a real SMTP server on loopback, and in Chromium:
the organiser writes in Swedish and Arabic, previews, sees the count and sends; each visitor gets
the text of their own language, once."""

import pytest
from sqlalchemy import select

from bazaar.announcements import services
from bazaar.announcements.models import Announcement, Audience
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import assert_fits, browser_login, release_database, wait_for

SWEDISH = "Ingången har flyttats till Drottninggatan 3. Ta med legitimation."
ARABIC = "تم نقل المدخل إلى شارع دروتنينغاتان 3. أحضر بطاقة الهوية."


def _outbox() -> dict[int, str]:
    """id -> status, read in a transaction that ends at once (on SQLite a held read blocks writers)."""
    try:
        return dict(db.session.execute(select(OutboxMessage.id, OutboxMessage.status)).all())
    finally:
        db.session.rollback()


def _people(event):
    swedish = f.visitor(name="Sara Lind", preferred_language="sv")
    arabic = f.visitor(name="Amal Haddad", preferred_language="ar")
    for person in (swedish, arabic):
        f.registration(event, person)
    f.registration(event, f.visitor(), status="waitlisted")  # not in the audience
    return swedish.email, arabic.email


def test_a_real_worker_delivers_each_recipient_their_language_once(app, ctx, smtp, processes, tmp_path):
    processes.start_worker(tmp_path / "worker.log")
    event = f.event(name="Jobbmässan")
    swedish, arabic = _people(event)
    news = f.visitor(name="Next Year", preferred_language="en")
    news.profile.consent_news_at = utcnow()
    f.registration(f.event(org=event.organisers[0].organisation, status="finished"), news)
    news_address = news.email
    draft = services.Draft(
        audience=Audience.REGISTERED,
        subject={"sv": "Ny ingång", "ar": "مدخل جديد"},
        body={"sv": SWEDISH, "ar": ARABIC},
    )
    organiser = f.organiser(event.organisers[0].organisation)
    first, _ = services.send(event, draft, organiser, "worker-delivery-00001")
    again, sent = services.send(event, draft, organiser, "worker-delivery-00001")  # a retried submit
    assert again.id == first.id and not sent
    services.send(
        event,
        services.Draft(Audience.NEWS, {"en": "Next year"}, {"en": "Save the date."}),
        organiser,
        "worker-news-list-0001",
    )
    release_database()

    mail = smtp.wait_for(arabic, "مدخل جديد")
    assert ARABIC in smtp.text(mail) and "Jobbmässan" in mail["Subject"]
    assert 'dir="rtl"' in mail.get_body(("html",)).get_content()
    assert SWEDISH in smtp.text(smtp.wait_for(swedish, "Ny ingång"))
    later = smtp.wait_for(news_address, "Next year")
    assert "asked to hear about the organisers' next fair" in smtp.text(later)
    wait_for(lambda: set(_outbox().values()) == {"sent"}, timeout=60, message="every row sent")
    rows = _outbox()
    assert len(rows) == 3 and sorted(smtp.ids()) == sorted(rows), "each message exactly once"


@pytest.mark.browser
def test_organiser_writes_in_swedish_and_arabic_previews_counts_and_sends(
    ctx, smtp, live_server, page, processes, tmp_path
):
    processes.start_worker(tmp_path / "worker.log")
    org = f.organisation()
    event = f.event(org=org, name="Jobbmässan")
    swedish, arabic = _people(event)
    organiser = f.organiser(org, preferred_language="en")
    event_id = event.id
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    browser_login(page, live_server, organiser)

    page.goto(f"{live_server}/organiser/events/{event_id}")
    page.click("text=Announcements (email and text message)")
    page.wait_for_url(f"{live_server}/organiser/events/{event_id}/announcements")
    page.click("text=Write an announcement")
    page.wait_for_url(f"{live_server}/organiser/events/{event_id}/announcements/new")
    page.select_option("#audience", "registered")
    page.fill("#subject_sv", "Ny ingång")
    page.fill("#body_sv", SWEDISH)
    for summary in page.locator("details.translations summary").all()[:2]:
        summary.click()
    page.fill("#subject_ar", "مدخل جديد")
    page.fill("#body_ar", ARABIC)
    page.select_option("#preview_language", "ar")
    page.click("text=Preview and count the recipients")
    page.wait_for_selector("[data-preview]")
    assert "2 people will get this email" in page.locator("[data-count]").inner_text()
    assert ARABIC in page.locator("[data-preview-text]").inner_text()
    assert_fits(page)
    assert db.session.scalar(select(Announcement)) is None  # a preview sends nothing
    release_database()

    page.click("[data-send]")
    page.wait_for_url(f"{live_server}/organiser/events/{event_id}/announcements/*")
    assert "on its way to 2 people" in page.locator("main").inner_text()
    assert ARABIC in page.locator("[data-language=ar]").inner_text()

    mail = smtp.wait_for(arabic, "مدخل جديد")
    assert ARABIC in smtp.text(mail) and SWEDISH not in smtp.text(mail)
    assert SWEDISH in smtp.text(smtp.wait_for(swedish, "Ny ingång"))
    [announcement] = db.session.scalars(select(Announcement)).all()
    assert (announcement.email_count, announcement.author_id) == (2, organiser.id)
    release_database()
    assert not errors
