"""Every HTML email in the one layout (templates/emails/base.html): styles on the elements, the
fair's name, big buttons whose links are the text part's, right to left for Arabic; sent as text
and HTML alternatives over real SMTP, the calendar file still attached; no wider than a phone."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from bazaar.booking.notifications import booking_changed
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications import registry, services
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.render import render
from tests import factories as f
from tests.support import SCREENSHOTS, assert_fits


class _Page(HTMLParser):
    """The parts of an email's HTML the layout promises: the root's lang and dir, the buttons'
    links, and anything a mail client would drop or refuse."""

    def __init__(self, html: str):
        super().__init__()
        self.root: dict = {}
        self.buttons: list[str] = []
        self.forbidden: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.root = attrs
        if tag == "a" and attrs.get("class") == "button":
            self.buttons.append(attrs["href"])
            assert "padding" in attrs.get("style", ""), "a button is styled on the element"
        if tag in ("script", "style") or (tag == "link" and attrs.get("rel") == "stylesheet"):
            self.forbidden.append(tag)


def _payload(base: str, start) -> dict:
    """What any message's templates read, with a link of its own under every link key."""
    links = ("url", "claim_url", "cancel_url", "reschedule_url", "register_url", "set_password_url", "my_url")
    return {
        **{key: f"{base}/emailed/{key}" for key in links},
        "token": "tok",
        "exhibitor_id": 1,
        "exhibitor": "Hamnbolaget",
        "exhibitor_name": "Hamnbolaget",
        "event_name": "Test fair",
        "booth": "B12",
        "table": "Bord 1",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(minutes=15)).isoformat(),
        "expires_at": (start - timedelta(days=1)).isoformat(),
        "days": 30,
        "missing": 2,
        "need": "Svetsare",
        "host": "Hamnbolaget",
        "title": "Prova på svetsning",
        "place": "Hamngatan 1",
        "capacity": 8,
        "coach_name": "Coach",
        "inviter_name": "Inviter",
        "name": "Amina",
        "status": "registered",
        "valid_hours": 24,
        "interviews": [],
        "schedule": [],
        "message": "",
    }


@pytest.mark.parametrize("lang, direction", [("ar", "rtl"), ("sv", "ltr")])
def test_every_message_kind_has_the_layout_and_buttons_the_text_part_links_to(app, ctx, lang, direction):
    event = f.event(name="Jobbmässan Hamnen")
    person = f.visitor(preferred_language=lang)
    payload = _payload(app.config["BASE_URL"], utcnow() + timedelta(days=3))
    rows = [services.queue(kind, user=person, event=event, payload=payload) for kind in registry.kinds()]
    db.session.commit()
    without_button = []
    for row in rows:
        rendered = render(row)
        page = _Page(rendered.html)
        assert page.root == {"lang": lang, "dir": direction}, row.kind
        assert "Jobbmässan Hamnen" in rendered.html, row.kind
        assert 'style="' in rendered.html and "max-width:600px" in rendered.html, row.kind
        assert page.forbidden == [], f"{row.kind}: {page.forbidden}"
        for href in page.buttons:
            assert href.startswith("http") and href in rendered.text, f"{row.kind}: {href} not in the text part"
        links_in_text = set(re.findall(r"https?://\S+", rendered.text)) - {app.config["BASE_URL"] + "/"}
        if links_in_text and not page.buttons:
            without_button.append(row.kind)
    assert without_button == [], "a message with a link in its text has no button in its HTML"


def _booking_mail(lang: str):
    event = f.event()
    exhibitor = f.exhibitor(event, name="Hamnbolaget", booth_number="B12")
    slot = f.slots_for(exhibitor, count=1, minutes=15)[0]
    registration = f.registration(event, f.visitor(preferred_language=lang, name="Amina"))
    booking = f.booked(registration, slot)
    booking_changed(booking, "created")
    return event, registration.user


def test_sent_over_smtp_as_text_and_html_alternatives_with_the_calendar_file(ctx, smtp):
    event, visitor = _booking_mail("ar")
    services.queue("password_reset", user=visitor, payload={"url": "http://127.0.0.1:5000/reset/tok"})
    db.session.commit()
    assert services.dispatch_due_messages() == 2
    mails = smtp.to(visitor.email)
    [booked] = [m for m in mails if any(p.get_filename() == "interview.ics" for p in m.iter_attachments())]
    [reset] = [m for m in mails if m is not booked]
    for mail in (booked, reset):
        [alternative] = [p for p in mail.walk() if p.get_content_type() == "multipart/alternative"]
        assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
        html = mail.get_body(("html",)).get_content()
        text = mail.get_body(("plain",)).get_content()
        assert _Page(html).root == {"lang": "ar", "dir": "rtl"}
        assert all(href in text for href in _Page(html).buttons) and _Page(html).buttons
    [ics] = [p for p in booked.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert ics.get_filename() == "interview.ics" and "BEGIN:VEVENT" in ics.get_content()
    assert event.name in booked.get_body(("html",)).get_content()
    assert [p.get_content_type() for p in reset.iter_attachments()] == []


@pytest.mark.rendering
def test_an_email_fits_a_phone_wide_window(app, ctx, chromium):
    event, visitor = _booking_mail("ar")
    db.session.commit()
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "booking_confirmed")).all()
    html = render(row).html
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_content(html, wait_until="load")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert_fits(page)
        button = page.locator("a.button").first
        assert button.bounding_box()["height"] >= 44  # a thumb's target
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "email_booking_confirmed_ar.png"), full_page=True)
    finally:
        context.close()
