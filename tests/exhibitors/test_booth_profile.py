"""Staff invitations, the booth profile and logo, and job openings."""

import io
import struct
import zlib

import pytest
from sqlalchemy import func, select

from bazaar.accounts.models import User
from bazaar.exhibitors.models import ExhibitorStaff, Opening, StaffInvitation
from bazaar.extensions import db
from bazaar.notifications.models import OutboxMessage
from tests import factories as f
from tests.support import login


def png_bytes(width=2, height=2) -> bytes:
    """A real, minimal PNG image."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def invitation_token():
    msg = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "staff_invitation").order_by(OutboxMessage.id.desc())
    )
    return msg, msg.payload["token"]


# ---- staff ----------------------------------------------------------------------------------


def test_admin_invites_colleague_who_creates_account_and_joins(ctx, client, app, english):
    ex = f.exhibitor(f.event())
    admin = f.exhibitor_staff(ex, role="admin", name="Admin Person")
    login(client, admin, language="en")
    assert (
        client.post(
            f"/exhibitor/{ex.id}/staff", data={"email": "Nour@Employer.example", "role": "interviewer"}
        ).status_code
        == 302
    )
    msg, token = invitation_token()
    assert msg.to_address == "nour@employer.example" and msg.payload["inviter_name"] == "Admin Person"
    from bazaar.notifications.render import render

    assert f"/invitations/{token}" in render(msg).text

    guest = app.test_client()
    page = guest.get(f"/invitations/{token}")  # a GET (mail scanner) changes nothing
    assert page.status_code == 200 and "Create your account" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert guest.post(f"/invitations/{token}", data={"name": "Nour", "password": "short"}).status_code == 400
    response = guest.post(f"/invitations/{token}", data={"name": "نور الهدى", "password": "a good long password"})
    assert response.status_code == 302
    nour = db.session.scalar(select(User).where(User.email == "nour@employer.example"))
    assert nour.name == "نور الهدى" and nour.email_verified_at is not None
    staff = db.session.scalar(select(ExhibitorStaff).where(ExhibitorStaff.user_id == nour.id))
    assert staff.exhibitor_id == ex.id and staff.role == "interviewer"
    assert guest.get(f"/exhibitor/{ex.id}/day").status_code == 200  # logged in, can run the day
    assert guest.get(f"/exhibitor/{ex.id}/staff").status_code == 403  # but not manage

    # used once: the link no longer works
    assert app.test_client().get(f"/invitations/{token}").status_code == 404


def test_existing_user_logs_in_and_accepts(ctx, client, app, english):
    ex = f.exhibitor(f.event())
    login(client, f.exhibitor_staff(ex), language="en")
    colleague = f.user(email="colleague@employer.example")
    client.post(f"/exhibitor/{ex.id}/staff", data={"email": "colleague@employer.example", "role": "admin"})
    _msg, token = invitation_token()

    anon = app.test_client()
    assert "Log in to accept" in anon.get(f"/invitations/{token}").get_data(as_text=True)
    assert anon.post(f"/invitations/{token}").status_code == 400

    stranger = app.test_client()
    login(stranger, f.user(), language="en")
    assert "another email address" in stranger.get(f"/invitations/{token}").get_data(as_text=True)
    stranger.post(f"/invitations/{token}")
    assert db.session.scalar(select(func.count(ExhibitorStaff.id))) == 1

    mine = app.test_client()
    login(mine, colleague, language="en")
    assert mine.post(f"/invitations/{token}").status_code == 302
    staff = db.session.scalar(select(ExhibitorStaff).where(ExhibitorStaff.user_id == colleague.id))
    assert staff.role == "admin" and staff.exhibitor_id == ex.id


def test_bad_withdrawn_and_foreign_tokens_are_refused(ctx, client, app, english):
    ex = f.exhibitor(f.event())
    login(client, f.exhibitor_staff(ex), language="en")
    client.post(f"/exhibitor/{ex.id}/staff", data={"email": "x@employer.example", "role": "interviewer"})
    _msg, token = invitation_token()
    invitation = db.session.scalar(select(StaffInvitation))
    withdraw = f"/exhibitor/{ex.id}/invitations/{invitation.id}/withdraw"
    pending = client.get(f"/exhibitor/{ex.id}/staff").get_data(as_text=True)
    assert "x@employer.example</bdi> (Interviewer)" in pending and f'action="{withdraw}"' in pending
    assert client.post(withdraw).status_code == 302
    assert "x@employer.example" not in client.get(f"/exhibitor/{ex.id}/staff").get_data(as_text=True)
    anon = app.test_client()
    for bad in (token, token[:-3] + "abc", "junk", "x" * 3000):
        assert anon.get(f"/invitations/{bad}").status_code == 404
        assert (
            anon.post(f"/invitations/{bad}", data={"name": "X", "password": "a good long password"}).status_code == 404
        )
    from bazaar.tokens import make_token

    other_purpose = make_token("ticket", {"i": invitation.id, "e": "x@employer.example"})
    assert anon.get(f"/invitations/{other_purpose}").status_code == 404
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_admin_removes_staff_but_never_the_last_admin(ctx, client):
    ex = f.exhibitor(f.event())
    admin = f.exhibitor_staff(ex, role="admin")
    interviewer = f.exhibitor_staff(ex, role="interviewer")
    ex.tables[0].interviewer_id = interviewer.id
    db.session.commit()
    login(client, admin, language="en")
    rows = {s.user_id: s.id for s in db.session.scalars(select(ExhibitorStaff))}
    assert client.post(f"/exhibitor/{ex.id}/staff/{rows[interviewer.id]}/remove").status_code == 302
    db.session.expire_all()
    assert ex.tables[0].interviewer_id is None
    client.post(f"/exhibitor/{ex.id}/staff/{rows[admin.id]}/remove")
    assert db.session.scalar(select(func.count(ExhibitorStaff.id))) == 1

    # inviting someone who is already staff is refused with a message
    page = client.post(f"/exhibitor/{ex.id}/staff", data={"email": admin.email, "role": "admin"})
    assert "already works for you" in page.get_data(as_text=True)
    assert client.post(f"/exhibitor/{ex.id}/staff", data={"email": "not an email", "role": "admin"}).status_code == 200
    assert db.session.scalar(select(func.count(StaffInvitation.id))) == 0


# ---- booth profile and logo -----------------------------------------------------------------


def test_profile_saves_languages_and_booth_is_read_only(ctx, client):
    ex = f.exhibitor(f.event(), booth_number="A1")
    login(client, f.exhibitor_staff(ex), language="en")
    response = client.post(
        f"/exhibitor/{ex.id}/profile",
        data={
            "description_sv": "Vi söker undersköterskor.",
            "description_en": "We are hiring assistant nurses.",
            "sector": "Vård",
            "booth_languages": ["sv", "ar", "ti", "zz"],
            "recruits_abroad": "y",
            "booth_number": "Z99",
        },
    )
    assert response.status_code == 302
    db.session.refresh(ex)
    assert ex.description == {"sv": "Vi söker undersköterskor.", "en": "We are hiring assistant nurses."}
    assert ex.booth_languages == ["sv", "ar", "ti"] and ex.recruits_abroad and ex.sector == "Vård"
    assert ex.booth_number == "A1"
    page = client.get(f"/exhibitor/{ex.id}/profile").get_data(as_text=True)
    assert "Vi söker undersköterskor." in page and "A1" in page
    assert (
        client.post(f"/exhibitor/{ex.id}/profile", data={"sector": "", "description_sv": "y" * 6000}).status_code == 200
    )
    db.session.refresh(ex)
    assert ex.sector == "Vård"


def test_logo_upload_validates_type_and_size_and_is_served(ctx, client, app):
    ex = f.exhibitor(f.event())
    login(client, f.exhibitor_staff(ex), language="en")
    png = png_bytes()
    upload = {"logo": (io.BytesIO(png), "logo.png")}
    assert client.post(f"/exhibitor/{ex.id}/logo", data=upload, content_type="multipart/form-data").status_code == 302
    served = app.test_client().get(f"/exhibitors/{ex.id}/logo")
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == png
    assert served.headers["X-Content-Type-Options"] == "nosniff"

    webp = b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14
    client.post(
        f"/exhibitor/{ex.id}/logo", data={"logo": (io.BytesIO(webp), "x.webp")}, content_type="multipart/form-data"
    )
    assert app.test_client().get(f"/exhibitors/{ex.id}/logo").mimetype == "image/webp"

    fake = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    page = client.post(
        f"/exhibitor/{ex.id}/logo", data={"logo": (io.BytesIO(fake), "logo.png")}, content_type="multipart/form-data"
    )
    assert page.status_code == 400 and "not a PNG, JPEG or WebP" in page.get_data(as_text=True)
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (1024 * 1024)
    page = client.post(
        f"/exhibitor/{ex.id}/logo", data={"logo": (io.BytesIO(big), "big.jpg")}, content_type="multipart/form-data"
    )
    assert page.status_code == 400 and "at most 1 MB" in page.get_data(as_text=True)
    page = client.post(f"/exhibitor/{ex.id}/logo", data={}, content_type="multipart/form-data")
    assert page.status_code == 400 and "Choose an image" in page.get_data(as_text=True)
    db.session.refresh(ex)
    assert ex.logo_mimetype == "image/webp"

    assert client.post(f"/exhibitor/{ex.id}/logo/delete").status_code == 302
    assert app.test_client().get(f"/exhibitors/{ex.id}/logo").status_code == 404


def test_logo_of_unapproved_exhibitor_is_private(ctx, client, app):
    org = f.organisation()
    ex = f.exhibitor(f.event(org=org), status="applied", logo=png_bytes(), logo_mimetype="image/png")
    assert app.test_client().get(f"/exhibitors/{ex.id}/logo").status_code == 404
    login(client, f.organiser(org), language="en")
    assert client.get(f"/exhibitors/{ex.id}/logo").status_code == 200
    assert app.test_client().get("/exhibitors/999999/logo").status_code == 404


# ---- openings -------------------------------------------------------------------------------

OPENING = {
    "title_sv": "Undersköterska, hemtjänst",
    "title_en": "Assistant nurse, home care",
    "occupation": "assistant_nurse",
    "positions": "12",
    "location": "Södertälje",
    "country": "SE",
    "employment_type": "probationary",
    "language_1": "sv",
    "level_1": "basic",
    "language_2": "ar",
    "level_2": "fluent",
    "education_level": "upper_secondary",
    "driving_licence": "y",
    "swedish_developing_ok": "y",
}


def test_opening_crud(ctx, client):
    ex = f.exhibitor(f.event())
    login(client, f.exhibitor_staff(ex), language="en")
    assert client.post(f"/exhibitor/{ex.id}/openings/new", data=OPENING).status_code == 302
    opening = db.session.scalar(select(Opening))
    assert opening.title == {"sv": "Undersköterska, hemtjänst", "en": "Assistant nurse, home care"}
    assert opening.required_languages == [{"lang": "sv", "level": "basic"}, {"lang": "ar", "level": "fluent"}]
    assert (opening.positions, opening.employment_type, opening.education_level) == (
        12,
        "probationary",
        "upper_secondary",
    )
    assert opening.driving_licence and opening.swedish_developing_ok
    assert "Undersköterska, hemtjänst" in client.get(f"/exhibitor/{ex.id}/openings?lang=sv").get_data(as_text=True)

    edit = client.get(f"/exhibitor/{ex.id}/openings/{opening.id}/edit").get_data(as_text=True)
    assert "Assistant nurse, home care" in edit
    changed = {**OPENING, "positions": "3", "country": "NO", "language_2": "", "driving_licence": ""}
    changed.pop("driving_licence")
    assert client.post(f"/exhibitor/{ex.id}/openings/{opening.id}/edit", data=changed).status_code == 302
    db.session.refresh(opening)
    assert (opening.positions, opening.country, opening.driving_licence) == (3, "NO", False)
    assert opening.required_languages == [{"lang": "sv", "level": "basic"}]

    for bad in (
        {"title_sv": "", "title_en": ""},
        {"positions": "0"},
        {"positions": "many"},
        {"occupation": "astronaut"},
        {"employment_type": "forever"},
        {"country": "XX"},
        {"title_sv": "t" * 300},
    ):
        assert client.post(f"/exhibitor/{ex.id}/openings/{opening.id}/edit", data={**OPENING, **bad}).status_code == 200
    db.session.refresh(opening)
    assert opening.positions == 3

    assert client.post(f"/exhibitor/{ex.id}/openings/{opening.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(Opening.id))) == 0


def test_interviewer_sees_openings_but_cannot_change_them(ctx, client):
    ex = f.exhibitor(f.event())
    opening = Opening(exhibitor_id=ex.id, title={"en": "Welder"}, occupation="welder")
    db.session.add(opening)
    db.session.commit()
    login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
    assert "Welder" in client.get(f"/exhibitor/{ex.id}/openings").get_data(as_text=True)
    assert client.post(f"/exhibitor/{ex.id}/openings/new", data=OPENING).status_code == 403
    assert client.post(f"/exhibitor/{ex.id}/openings/{opening.id}/delete").status_code == 403
    assert client.post(f"/exhibitor/{ex.id}/profile", data={"sector": "X"}).status_code == 403
    assert db.session.scalar(select(func.count(Opening.id))) == 1


@pytest.mark.postgresql_only
def test_concurrent_acceptance_adds_one_staff_row(app):
    from concurrent.futures import ThreadPoolExecutor

    with app.app_context():
        ex = f.exhibitor(f.event())
        admin = f.exhibitor_staff(ex)
        colleague = f.user(email="both-tabs@employer.example")
        with app.test_request_context():
            from bazaar.exhibitors import services

            services.invite_staff(ex, colleague.email, "interviewer", admin)
        _msg, token = invitation_token()
        colleague_id, colleague_session = colleague.id, colleague.get_id()

    def accept(_):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = colleague_session
        return client.post(f"/invitations/{token}").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(accept, range(8)))
    assert codes.count(302) == 1 and set(codes) <= {302, 404}
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(ExhibitorStaff.id)).where(ExhibitorStaff.user_id == colleague_id)) == 1
        )
