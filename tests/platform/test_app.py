import pytest

from bazaar import create_app
from config import Config
from tests import factories as f


def test_embedded_default_needs_no_server(monkeypatch, tmp_path):
    for var in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SMTP_HOST"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BAZAAR_INSTANCE_DIR", str(tmp_path))
    config = Config()
    assert f"sqlite:///{tmp_path / 'bazaar.sqlite'}" == config.SQLALCHEMY_DATABASE_URI
    assert config.CELERY["broker_url"] == "bazaar-filesystem://"
    assert config.CELERY["broker_transport_options"]["data_folder_in"] == str(tmp_path / "broker")
    assert config.MAIL_BACKEND == "console"
    # a development secret is generated once, kept under instance/, and reused
    key = (tmp_path / "secret_key").read_text()
    assert len(key) == 64 and key == Config().SECRET_KEY


def test_production_settings_come_from_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://bazaar:pw@db.internal:5432/bazaar")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/1")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("SMTP_HOST", "smtp.internal")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("SMTP_STARTTLS", "true")
    monkeypatch.setenv("BAZAAR_BASE_URL", "https://bazaar.example.se/")
    config = Config()
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://bazaar:pw@db.internal:5432/bazaar"
    assert config.CELERY["broker_url"] == config.CELERY["result_backend"] == "redis://cache.internal:6379/1"
    assert config.RATELIMIT_STORAGE_URI == "redis://cache.internal:6379/1"
    assert (config.MAIL_SERVER, config.MAIL_PORT, config.MAIL_USE_TLS) == ("smtp.internal", 587, True)
    assert config.MAIL_BACKEND == "smtp"
    assert config.BASE_URL == "https://bazaar.example.se"
    assert config.SESSION_COOKIE_SECURE is True


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.internal/bazaar")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Config()


def test_factory_registers_every_domain(app):
    names = set(app.blueprints)
    assert {
        "events",
        "accounts",
        "registrations",
        "exhibitors",
        "booking",
        "checkin",
        "notifications",
        "stats",
        "health",
    } <= names
    assert app.extensions["celery"].conf.task_default_queue == app.config["CELERY"]["task_default_queue"]
    assert "dispatch-due-messages" in app.extensions["celery"].conf.beat_schedule


def test_factory_accepts_overrides(test_env):
    app = create_app({"TESTING": True, "BASE_URL": "http://fair.test"})
    assert app.config["BASE_URL"] == "http://fair.test"
    assert app.config["TESTING"] is True


def test_security_headers_and_friendly_404(client):
    response = client.get("/no-such-page")  # no language asked for: Swedish, the default
    assert response.status_code == 404
    assert "Vi hittade inte sidan" in response.get_data(as_text=True)
    english = client.get("/no-such-page", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "We could not find that page" in english.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_unexpected_error_gives_friendly_500_and_is_logged(test_env, caplog):
    app = create_app()  # not TESTING, so errors are handled as in production

    @app.get("/_boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/_boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Nothing you entered is lost" in response.get_data(as_text=True)
    assert any("unhandled error" in r.getMessage() and r.exc_info for r in caplog.records)


def test_json_log_lines(app):
    import json
    import logging

    from bazaar.logs import JsonFormatter

    record = logging.LogRecord("bazaar.test", logging.INFO, __file__, 1, "hello %s", ("Ω",), None)
    data = json.loads(JsonFormatter().format(record))
    assert data["msg"] == "hello Ω" and data["level"] == "info" and data["logger"] == "bazaar.test"


def test_https_base_url_makes_cookies_hsts_and_links_secure(monkeypatch):
    from bazaar import create_app
    from config import Config

    monkeypatch.setenv("BAZAAR_BASE_URL", "https://bazaar.example.se")
    config = Config(TESTING=True)
    assert config.SESSION_COOKIE_SECURE is True
    assert config.REMEMBER_COOKIE_SECURE is True
    assert config.PREFERRED_URL_SCHEME == "https"
    response = create_app(config).test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    monkeypatch.setenv("BAZAAR_BASE_URL", "http://127.0.0.1:5000")
    plain = Config(TESTING=True)
    assert (plain.SESSION_COOKIE_SECURE, plain.PREFERRED_URL_SCHEME) == (False, "http")


def test_paging_and_link_arguments_are_bounded_at_one_place(ctx, client):
    """Huge page numbers and unknown query keys (once a 500 each) answer normally."""
    from tests.support import login

    organiser = f.organiser()
    event = f.event(org=organiser.organisation)
    login(client, organiser)
    for url in (
        f"/organiser/events/{event.id}/registrations?page=9223372036854775808",
        f"/organiser/events/{event.id}/outbox?page=9223372036854775808&_external=1&event_id=x",
        f"/organiser/events/{event.id}/applications?_anchor=x&_external=1&event_id=x&q=a",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(f"/organiser/events/{event.id}/applications?_external=1&q=abc").get_data(as_text=True)
    assert 'applications.csv?q=abc"' in body


def test_file_parts_and_control_characters_in_text_fields_never_cause_a_500(ctx, client):
    """One cleaning place (``bazaar.forms.BazaarForm``): a file part in a text field and NUL or
    control characters in text meet the form's own validation (once a TypeError / DataError)."""
    import io

    from tests.support import login

    organiser = f.organiser()
    event = f.event(org=organiser.organisation)
    posts = [
        "/login",
        "/signup",
        "/forgot-password",
        f"/events/{event.slug}/register",
        f"/events/{event.slug}/exhibit",
        "/my/profile",
    ]
    fields = (
        "email",
        "name",
        "password",
        "confirm",
        "q",
        "org_number",
        "org_name",
        "contact_name",
        "description",
        "website",
        "phone",
        "city",
    )
    for url in posts:
        for as_user in (False, True):
            fresh = client.application.test_client()
            if as_user:
                login(fresh, f.user())
            files = {name: (io.BytesIO(b"x" * 50), "evil.txt") for name in fields}
            answer = fresh.post(url, data=files, content_type="multipart/form-data")
            assert answer.status_code < 500, (url, as_user, "file parts")
            nul = {name: "Amal\x00\x07 Hussein\x1b" for name in fields}
            nul["email"] = "a\x00b@example.org"
            answer = fresh.post(url, data=nul)
            assert answer.status_code < 500, (url, as_user, "control characters")


def test_wtforms_own_messages_speak_the_visitors_language_and_are_read_once(ctx, client, monkeypatch):
    """WTForms' built-in messages follow the chosen language; its catalogue is parsed once per
    process and language, not on every request with a form (each such form asks for it)."""
    from babel import support

    loads = []
    real_load = support.Translations.load
    monkeypatch.setattr(
        support.Translations, "load", classmethod(lambda cls, *a, **kw: loads.append(a) or real_load(*a, **kw))
    )
    for _ in range(3):
        page = client.post("/login?lang=sv", data={"email": "", "password": ""}).get_data(as_text=True)
        assert "Det här fältet är obligatoriskt." in page
        page = client.post("/login?lang=ar", data={"email": "", "password": ""}).get_data(as_text=True)
        assert "هذا الحقل مطلوب." in page
    assert len([a for a in loads if "wtforms" in str(a)]) <= 2
