"""A visitor signs up in the browser; the confirmation mail goes through the real worker and SMTP."""

import pytest
from flask_babel import force_locale, gettext

from bazaar.accounts.models import User
from bazaar.extensions import db
from tests.smtp import SmtpSink

pytestmark = pytest.mark.browser


def test_visitor_signs_up_in_ukrainian_and_confirms_the_address_from_the_mail(fair, page):
    page.goto(fair.base + "/signup?lang=uk")
    assert page.locator("html").get_attribute("lang") == "uk"
    fair.shot(page, "signup")
    page.fill("#name", "Olena Kovalenko")
    page.fill("#email", "olena@example.org")
    page.fill("#password", "a long enough password")
    assert page.input_value("#preferred_language") == "uk", "the page's language is the default for emails"
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    fair.shot(page, "signed-up")
    person = db.session.scalar(db.select(User).where(User.email == "olena@example.org"))
    assert person.preferred_language == "uk" and person.email_verified_at is None
    db.session.close()

    mail = fair.mail.wait_for("olena@example.org")
    link = next(url for url in SmtpSink.links(mail) if "/verify-email/" in url)
    assert link.startswith(fair.base)
    page.goto(link)
    fair.shot(page, "confirmed")
    with force_locale("uk"):
        assert gettext("Thank you, your email address is confirmed.") in page.content()
    db.session.expire_all()
    assert db.session.get(User, person.id).email_verified_at is not None
    db.session.close()
