"""CSRF protection is on for real (the other tests switch it off), with a token that lasts a fair day."""

import re
import time

import pytest

from bazaar import create_app
from bazaar.extensions import db
from config import Config
from tests import factories as f
from tests.support import limiter_on_redis


@pytest.fixture
def csrf_app(app):
    csrf_app = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=True, **limiter_on_redis()))
    csrf_app.extensions["babel"].locale_selector = lambda: "en"
    return csrf_app


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_post_without_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        event = f.event()
        slug = event.slug
        db.session.remove()
    for url, data in (
        ("/login", {"email": "a@b.se", "password": "x"}),
        ("/signup", {"name": "A", "email": "a@b.se", "password": "a long password", "preferred_language": "sv"}),
        ("/forgot-password", {"email": "a@b.se"}),
        (
            f"/events/{slug}/register",
            {"name": "A", "email": "a@b.se", "password": "a long password 1", "preferred_language": "sv"},
        ),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "The form had expired" in response.get_data(as_text=True)
        wrong = client.post(url, data={**data, "csrf_token": "forged"})
        assert wrong.status_code == 400, url


def test_token_from_the_page_works_and_lasts_a_full_day(csrf_app, monkeypatch):
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] == 24 * 3600
    client = csrf_app.test_client()
    token = token_from(client.get("/forgot-password").get_data(as_text=True))
    assert client.post("/forgot-password", data={"email": "a@b.se", "csrf_token": token}).status_code == 200

    # a page left open since the doors opened still submits 23 hours later ...
    real = time.time()
    monkeypatch.setattr(time, "time", lambda: real + 23 * 3600)
    response = client.post("/forgot-password", data={"email": "a@b.se", "csrf_token": token})
    assert response.status_code == 200 and "Check your email" in response.get_data(as_text=True)
    # ... but not the next day
    monkeypatch.setattr(time, "time", lambda: real + 25 * 3600)
    assert client.post("/forgot-password", data={"email": "a@b.se", "csrf_token": token}).status_code == 400
