"""Sign up, email verification, login, password reset, profile and rate limits."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User, VisitorProfile
from bazaar.accounts.services import find_user_by_email
from bazaar.extensions import db, limiter
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")


SIGNUP = {
    "name": "Selam Tesfay",
    "email": "Selam@Example.org",
    "password": "a long password 1",
    "preferred_language": "ti",
}


def outbox(kind, to=None):
    q = select(OutboxMessage).where(OutboxMessage.kind == kind)
    if to:
        q = q.where(OutboxMessage.to_address == to)
    return db.session.scalars(q.order_by(OutboxMessage.id)).all()


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_sign_up_verifies_email_by_signed_link(ctx, client):
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    user = find_user_by_email("selam@example.org")
    assert user.email == "selam@example.org" and user.name == "Selam Tesfay" and user.preferred_language == "ti"
    assert user.password_hash.startswith("$argon2") and "a long password" not in user.password_hash
    assert user.email_verified_at is None
    # logged in straight away
    assert "Selam Tesfay" in client.get("/my").get_data(as_text=True)

    [message] = outbox("verify_email")
    assert message.to_address == "selam@example.org" and message.user_id == user.id
    assert message.language == "ti" and message.subject_type == "user"
    link = path_of(message.payload["url"])
    assert link.startswith("/verify-email/")

    # a forged or damaged link changes nothing
    assert client.get(link + "x").status_code == 400
    assert client.get("/verify-email/not-a-token").status_code == 400
    db.session.refresh(user)
    assert user.email_verified_at is None

    assert client.get(link).status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None


def test_verification_link_expires(ctx, client, clock):
    client.post("/signup", data=SIGNUP)
    link = path_of(outbox("verify_email")[0].payload["url"])
    clock.advance(days=8)
    assert client.get(link).status_code == 400
    assert find_user_by_email(SIGNUP["email"]).email_verified_at is None


def test_resend_verification_queues_a_new_message(ctx, client, clock):
    client.post("/signup", data=SIGNUP)
    clock.advance(seconds=2)  # a new link is a new message, not a duplicate of the first
    assert client.post("/verify-email/again").status_code == 302
    first, second = outbox("verify_email")
    assert first.payload["url"] != second.payload["url"]
    client.get(path_of(second.payload["url"]))
    # verified: asking again sends nothing
    assert client.post("/verify-email/again").status_code == 302
    assert len(outbox("verify_email")) == 2


def test_sign_up_with_taken_email_is_refused(ctx, client):
    f.user(email="selam@example.org", name="Someone Else")
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 200
    assert "already an account" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert outbox("verify_email") == []


def test_sign_up_form_errors_never_500(ctx, client):
    cases = [
        {**SIGNUP, "email": "not-an-email"},
        {**SIGNUP, "email": "x" * 300 + "@example.org"},
        {**SIGNUP, "name": "x" * 201},
        {**SIGNUP, "name": "Null\x00byte"},
        {**SIGNUP, "password": "short"},
        {**SIGNUP, "preferred_language": "xx"},
        {"email": ["a@b.se", "c@d.se"], "name": ["x", "y"]},
        {},
    ]
    for data in cases:
        limiter.reset()
        response = client.post("/signup", data=data)
        assert response.status_code == 200, data
        assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_login_and_logout(ctx, client):
    user = f.user(email="omar@example.org")
    response = client.post("/login", data={"email": "OMAR@example.org ", "password": "wrong one"})
    assert "Wrong email or password" in response.get_data(as_text=True)
    response = client.post("/login", data={"email": "omar@example.org", "password": f.PASSWORD})
    assert response.status_code == 302
    assert client.get("/my").status_code == 200
    client.post("/logout")
    assert client.get("/my").status_code == 302
    # deleted accounts cannot log in
    user.deleted_at = user.created_at
    db.session.commit()
    response = client.post("/login", data={"email": "omar@example.org", "password": f.PASSWORD})
    assert response.status_code == 200


def test_a_password_hashed_with_older_settings_is_hashed_again_at_login(ctx, client):
    from argon2 import PasswordHasher
    from argon2.exceptions import VerifyMismatchError

    user = f.user(email="old.hash@example.org")
    user.password_hash = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(f.PASSWORD)
    db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": f.PASSWORD}).status_code == 302
    db.session.expire_all()
    assert "m=19456,t=2,p=1" in user.password_hash  # today's settings
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(user.password_hash, "not the password")
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": f.PASSWORD}).status_code == 302


def test_login_next_is_open_redirect_safe(ctx, client):
    f.user(email="omar@example.org")
    creds = {"email": "omar@example.org", "password": f.PASSWORD}
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "/\x00x"):
        c = client.application.test_client()
        response = c.post("/login", query_string={"next": target}, data=creds)
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
    c = client.application.test_client()
    response = c.post("/login", query_string={"next": "/my/profile"}, data=creds)
    assert response.headers["Location"] == "/my/profile"


def test_password_reset_by_signed_expiring_single_use_link(ctx, client, clock):
    user = f.user(email="olena@example.org", name="Олена Коваленко")
    # an unknown address gets the same answer and no message
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"}).get_data(as_text=True)
    known = client.post("/forgot-password", data={"email": "Olena@example.org"}).get_data(as_text=True)
    assert "Check your email" in unknown and "Check your email" in known
    [message] = outbox("password_reset")
    assert message.to_address == "olena@example.org" and message.payload["valid_hours"] == 2
    link = path_of(message.payload["url"])

    # the link lands on a form: following it (a mail scanner) changes nothing
    page = client.get(link)
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    old_hash = user.password_hash
    db.session.refresh(user)
    assert user.password_hash == old_hash

    mismatch = client.post(link, data={"password": "new password 123", "confirm": "other password 1"})
    assert "differ" in mismatch.get_data(as_text=True)
    assert client.post(link, data={"password": "new password 123", "confirm": "new password 123"}).status_code == 302
    db.session.refresh(user)
    assert user.password_hash != old_hash

    # used once: the link is dead now
    assert client.post(link, data={"password": "third password 1", "confirm": "third password 1"}).status_code == 400
    anon = client.application.test_client()
    assert anon.post("/login", data={"email": "olena@example.org", "password": "new password 123"}).status_code == 302

    # a fresh link expires after two hours
    client.post("/forgot-password", data={"email": "olena@example.org"})
    clock.advance(hours=2, minutes=5)
    fresh = path_of(outbox("password_reset")[-1].payload["url"])
    assert fresh != link
    assert client.get(fresh).status_code == 400
    assert client.get("/reset-password/garbage").status_code == 400


PROFILE = {
    "name": "Fardowsa Warsame",
    "preferred_language": "so",
    "phone": "070-123 45 67",
    "municipality": "Malmö",
    "education_level": "university",
    "degree_origin": "foreign",
    "credential_validated": "in_progress",
    "employment_status": "employed_below_qualifications",
    "occupations": ["nurse", "assistant_nurse"],
    "languages": ["so", "ar", "sv"],
    "swedish_level": "intermediate",
    "years_in_sweden": "3-5",
    "gender": "woman",
    "age_band": "25-34",
    "heard_via": "sfi",
    "consent_share_profile": "y",
    "consent_followup": "y",
}


def test_profile_edit_and_consents_can_be_given_and_withdrawn(ctx, client):
    visitor = f.visitor(name="Old name")
    login(client, visitor)
    form = client.get("/my/profile").get_data(as_text=True)
    assert "Old name" in form
    # each optional question says why it is asked
    assert "So we can send you a text message reminder" in form and "Statistics Sweden" in form

    assert client.post("/my/profile", data=PROFILE).status_code == 302
    db.session.expire_all()
    profile = visitor.profile
    assert visitor.name == "Fardowsa Warsame" and visitor.preferred_language == "so"
    assert profile.phone == "+46701234567"
    assert profile.occupations == ["nurse", "assistant_nurse"] and profile.languages == ["so", "ar", "sv"]
    assert profile.consent_share_profile_at and profile.consent_followup_at and profile.consent_news_at is None
    given_at = profile.consent_followup_at

    # the sensitive question needs its own consent
    response = client.post("/my/profile", data={**PROFILE, "foreign_background": "born_abroad"})
    assert response.status_code == 200 and "Tick the box above" in response.get_data(as_text=True)
    db.session.expire_all()
    assert profile.foreign_background is None

    client.post(
        "/my/profile",
        data={**PROFILE, "consent_sensitive": "y", "foreign_background": "born_abroad", "consent_news": "y"},
    )
    db.session.expire_all()
    assert profile.foreign_background == "born_abroad"
    assert profile.foreign_background_definition == "scb_mis_2002_3"
    assert profile.consent_sensitive_at is not None and profile.consent_news_at is not None
    assert profile.consent_followup_at == given_at  # kept while still given

    # withdraw: follow-up and sensitive (which erases the answer)
    data = {k: v for k, v in PROFILE.items() if k != "consent_followup"}
    client.post("/my/profile", data=data)
    db.session.expire_all()
    assert profile.consent_followup_at is None and profile.consent_news_at is None
    assert profile.consent_sensitive_at is None and profile.foreign_background is None
    assert profile.foreign_background_definition is None


def test_profile_rejects_bad_input_without_500(ctx, client):
    login(client, f.visitor())
    for bad in (
        {"phone": "12"},
        {"phone": "not a phone"},
        {"occupations": ["astronaut"]},
        {"languages": ["xx"]},
        {"gender": "robot"},
        {"municipality": "x" * 101},
        {"municipality": "Malmö\x07"},
        {"foreign_background": "martian", "consent_sensitive": "y"},
    ):
        response = client.post("/my/profile", data={**PROFILE, **bad})
        assert response.status_code == 200, bad
        assert 'class="error"' in response.get_data(as_text=True), bad
    db.session.expire_all()
    assert db.session.scalar(select(VisitorProfile.phone)) is None


def test_names_in_many_scripts_round_trip_unchanged(ctx, client):
    names = ["فاطمة العلي", "ሰላም ተስፋይ", "Hodan Cabdi Warsame", "مریم حسینی", "Олена Ґудзь-Їжакевич", "Åsa Ärlig-Öberg"]
    visitor = f.visitor()
    login(client, visitor)
    for name in names:
        client.post("/my/profile", data={**PROFILE, "name": name, "municipality": name})
        db.session.expire_all()
        assert visitor.name == name and visitor.profile.municipality == name
        assert name in client.get("/my/profile").get_data(as_text=True)
    # and through sign-up
    for i, name in enumerate(names):
        limiter.reset()
        c = client.application.test_client()
        c.post("/signup", data={**SIGNUP, "email": f"s{i}@example.org", "name": name})
        assert find_user_by_email(f"s{i}@example.org").name == name


def test_pages_need_login(ctx, client):
    for url in ("/my", "/my/profile", "/my/data.json", "/my/delete"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_junk_and_cross_purpose_tokens_are_refused_without_500(ctx, client):
    client.post("/signup", data=SIGNUP)
    verify_token = path_of(outbox("verify_email")[0].payload["url"]).rsplit("/", 1)[1]
    from bazaar.registrations.services import ticket_token

    ticket = ticket_token(f.registration(f.event()))
    for token in (verify_token, ticket, "x" * 5000, "ä€😀", "..", "%00", "a.b.c"):
        limiter.reset()
        for url in (f"/reset-password/{token}", f"/registrations/offer/{token}"):
            assert client.get(url).status_code in (400, 404), url
            assert client.post(
                url, data={"password": "new password 123", "confirm": "new password 123", "answer": "accept"}
            ).status_code in (400, 404), url
    assert client.get(f"/verify-email/{ticket}").status_code == 400
    assert client.get("/verify-email/" + "x" * 5000).status_code == 400


def test_language_picked_in_the_form_wins_over_the_device_language(ctx, client):
    client.set_cookie("bazaar_lang", "en")
    client.post("/signup", data=SIGNUP)  # preferred_language: ti
    assert find_user_by_email(SIGNUP["email"]).preferred_language == "ti"
    event = f.event()
    other = client.application.test_client()
    other.set_cookie("bazaar_lang", "sv")
    other.post(
        f"/events/{event.slug}/register", data={**SIGNUP, "email": "hodan@example.org", "preferred_language": "so"}
    )
    assert find_user_by_email("hodan@example.org").preferred_language == "so"


def test_a_password_reset_ends_every_other_session_and_remember_cookie(ctx, client):
    f.user(email="olena@example.org")
    devices = [client.application.test_client() for _ in range(2)]
    for device, remember in zip(devices, ("y", "")):
        answer = device.post(
            "/login", data={"email": "olena@example.org", "password": f.PASSWORD, "remember": remember}
        )
        assert answer.status_code == 302
        assert device.get("/my").status_code == 200
    remember_cookie = devices[0].get_cookie("remember_token")
    assert remember_cookie.same_site == "Lax" and remember_cookie.http_only
    assert remember_cookie.max_age is None or remember_cookie.max_age <= 30 * 24 * 3600
    from_remember_alone = client.application.test_client()
    from_remember_alone.set_cookie("remember_token", remember_cookie.value)
    assert from_remember_alone.get("/my").status_code == 200

    client.post("/forgot-password", data={"email": "olena@example.org"})
    link = path_of(outbox("password_reset")[-1].payload["url"])
    assert client.post(link, data={"password": "new password 123", "confirm": "new password 123"}).status_code == 302
    assert client.get("/my").status_code == 200  # the device that reset stays logged in

    for stale in (*devices, from_remember_alone):
        assert stale.get("/my").status_code == 302  # sent to the login page
    replay = client.application.test_client()
    replay.set_cookie("remember_token", remember_cookie.value)
    assert replay.get("/my").status_code == 302
