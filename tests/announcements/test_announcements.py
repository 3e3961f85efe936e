"""Announcements: who each audience reaches, each recipient's language, one copy however often the
form is sent, SMS only to those who gave a mobile number, and the news list as an export."""

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bazaar.accounts.models import User, VisitorProfile
from bazaar.announcements import services
from bazaar.announcements.models import Announcement, Audience
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.notifications import services as outbox
from bazaar.notifications.models import OutboxMessage
from bazaar.notifications.render import render
from bazaar.registrations.models import Registration
from tests import factories as f
from tests.notifications.test_notifications import FakeGateway
from tests.support import login

pytestmark = pytest.mark.usefixtures("english")

SWEDISH = "Ingången har flyttats till Drottninggatan 3."
ARABIC = "تم نقل المدخل إلى شارع دروتنينغاتان 3."


def _visitor(lang="sv", phone=None, news=False, **kw):
    person = f.visitor(preferred_language=lang, **kw)
    person.profile.phone = phone
    person.profile.consent_news_at = utcnow() if news else None
    db.session.commit()
    return person


def _draft(audience=Audience.REGISTERED, sms=True, **kw):
    return services.Draft(
        audience=audience,
        subject={"sv": "Ny ingång", "ar": "مدخل جديد"},
        body={"sv": SWEDISH, "ar": ARABIC},
        sms={"sv": "Ny ingång: Drottninggatan 3", "ar": "مدخل جديد"} if sms else {},
        **kw,
    )


def _outbox(**filters):
    db.session.expire_all()
    q = select(OutboxMessage).where(OutboxMessage.kind == "announcement").order_by(OutboxMessage.id)
    for key, value in filters.items():
        q = q.where(getattr(OutboxMessage, key) == value)
    return db.session.scalars(q).all()


@pytest.fixture
def fair(ctx):
    """A fair with people in every audience (and some in none), and the sets each audience should be."""
    org = f.organisation()
    event = f.event(org=org)
    registered = [_visitor(phone="+4670000000" + str(i) if i % 2 else None) for i in range(4)]
    for person in registered:
        f.registration(event, person)
    offered = _visitor(phone="+46700000010")
    f.registration(event, offered, status="offered")
    waiting = [_visitor(), _visitor(phone="+46700000011")]
    for person in waiting:
        f.registration(event, person, status="waitlisted")
    cancelled = _visitor(phone="+46700000012", news=True)
    f.registration(event, cancelled, status="cancelled")
    arrived = registered[:2]
    for person in arrived:
        reg = db.session.scalar(select(Registration).where(Registration.user_id == person.id))
        reg.checked_in_at = utcnow()
    deleted = _visitor(phone="+46700000013")
    f.registration(event, deleted)
    deleted.deleted_at = utcnow()
    db.session.commit()

    booth = f.exhibitor(event, name="Hamnbolaget")
    slots = f.slots_for(booth, count=3)
    regs = {r.user_id: r for r in db.session.scalars(select(Registration).where(Registration.event_id == event.id))}
    f.booked(regs[registered[0].id], slots[0])
    f.booked(regs[registered[2].id], slots[1])
    gone = f.booked(regs[registered[3].id], slots[2])
    gone.status = "cancelled"
    db.session.commit()
    staff = [f.exhibitor_staff(booth, role="admin"), f.exhibitor_staff(booth, role="interviewer")]
    other_booth = f.exhibitor(event, name="Vårdbolaget")
    staff.append(f.exhibitor_staff(other_booth, role="admin"))
    applicant = f.exhibitor(event, name="Not yet approved", status="applied")
    f.exhibitor_staff(applicant, role="admin")

    # The news list: this fair's people and an earlier fair's of the same organisation who asked;
    # not those who did not ask, nor another organisation's.
    earlier = f.event(org=org, status="finished", starts_in=timedelta(days=-365))
    news_then = _visitor(lang="ar", news=True, name="Amal Haddad")
    f.registration(earlier, news_then)
    f.registration(earlier, _visitor())
    f.registration(f.event(), _visitor(news=True))
    registered[1].profile.consent_news_at = utcnow()
    db.session.commit()

    ids = lambda people: {p.id for p in people}  # noqa: E731
    return {
        "event": event,
        "booth": booth,
        "people": {
            Audience.REGISTERED: ids(registered) | {offered.id},
            Audience.WAITLISTED: ids(waiting),
            Audience.CHECKED_IN: ids(arrived),
            Audience.DAY_VISITORS: {registered[0].id, registered[2].id},  # a live interview on the fair's day
            Audience.EXHIBITOR_BOOKINGS: {registered[0].id, registered[2].id},
            Audience.EXHIBITORS: ids(staff),
            Audience.NEWS: {cancelled.id, news_then.id, registered[1].id},
        },
        "phones": {p.id for p in [*registered, offered, *waiting, cancelled] if p.profile.phone},
    }


@pytest.mark.parametrize("audience", list(Audience))
def test_each_audience_counts_the_people_the_test_made(fair, audience):
    exhibitor = fair["booth"] if audience == Audience.EXHIBITOR_BOOKINGS else None
    day = fair["event"].days[0].date if audience == Audience.DAY_VISITORS else None
    draft = _draft(audience, exhibitor=exhibitor, day=day)
    people = {r.user.id for r in services.recipients(fair["event"], audience, exhibitor, day)}
    assert people == fair["people"][audience]
    texts = len(people & fair["phones"]) if audience in services.SMS_AUDIENCES else 0
    assert services.count(fair["event"], draft) == services.Counts(len(people), len(people), texts)

    announcement, sent = services.send(fair["event"], draft, f.organiser(), "submission-" + audience)
    assert sent and (announcement.email_count, announcement.sms_count) == (len(people), texts)
    assert {m.user_id for m in _outbox(channel="email")} == people
    assert len(_outbox(channel="sms")) == texts
    assert all(m.payload["news"] == (audience == Audience.NEWS) for m in _outbox(channel="email"))


def test_each_recipient_gets_the_text_of_their_language(ctx):
    event = f.event(name="Jobbmässan")
    languages = ["sv", "ar", "en", "so"]
    people = {lang: _visitor(lang=lang, phone=f"+467011122{i}") for i, lang in enumerate(languages)}
    for person in people.values():
        f.registration(event, person)
    services.send(event, _draft(), f.organiser(), "languages-once-only")
    by_person = {m.user_id: m for m in _outbox(channel="email")}
    # Each their own language, else English, else Swedish (bazaar.i18n.pick_text): nobody wrote English.
    expected = {"sv": SWEDISH, "ar": ARABIC, "en": SWEDISH, "so": SWEDISH}
    for lang, person in people.items():
        message = by_person[person.id]
        assert message.language == lang and message.payload["body"] == expected[lang]
        rendered = render(message)
        assert expected[lang] in rendered.text and "Jobbmässan" in rendered.subject
    arabic = render(by_person[people["ar"].id])
    assert 'lang="ar" dir="rtl"' in arabic.html and "مدخل جديد" in arabic.subject
    assert 'lang="sv" dir="ltr"' in render(by_person[people["so"].id]).html  # the Swedish text inside a Somali frame
    sms = {m.user_id: render(m).text for m in _outbox(channel="sms")}
    assert sms[people["ar"].id] == "Jobbmässan: مدخل جديد" and "Drottninggatan" in sms[people["en"].id]


def test_the_preview_is_the_message_a_recipient_gets(ctx):
    event = f.event(name="Jobbmässan")
    arabic = _visitor(lang="ar")
    f.registration(event, arabic)
    preview = services.preview(event, _draft(), "ar")
    services.send(event, _draft(), f.organiser(), "preview-equals-sent")
    [message] = _outbox(channel="email")
    got = render(message)
    assert (preview.email.subject, preview.email.text, preview.email.html) == (got.subject, got.text, got.html)
    assert preview.sms == "Jobbmässan: مدخل جديد"
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # the preview stored nothing


def _form(event, **values):
    data = {
        "audience": "registered",
        "exhibitor": "0",
        "subject_sv": "Ny ingång",
        "body_sv": SWEDISH,
        "subject_ar": "مدخل جديد",
        "body_ar": ARABIC,
        "sms_sv": "Ny ingång",
        "preview_language": "ar",
        "submission": "form-submission-0123456789",
    }
    return data | values


def test_preview_shows_the_count_and_a_double_submit_sends_once(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    people = [_visitor(phone="+46702223334"), _visitor(lang="ar")]
    for person in people:
        f.registration(event, person)
    login(client, f.organiser(org))
    url = f"/organiser/events/{event.id}/announcements/new"
    assert 'name="submission"' in client.get(url).get_data(as_text=True)
    page = client.post(url, data=_form(event, action="preview")).get_data(as_text=True)
    assert "2 people will get this email; 1 of them also the text message." in page
    assert ARABIC in page and "Send to 2 people" in page and 'name="confirmed_people"' in page
    assert _outbox() == []

    send = _form(event, action="send", confirmed_people="2")
    first = client.post(url, data=send)
    second = client.post(url, data=send)  # the button pressed twice, or the page sent again
    [announcement] = db.session.scalars(select(Announcement)).all()
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith(f"/announcements/{announcement.id}")
    assert len(_outbox(channel="email")) == 2 and len(_outbox(channel="sms")) == 1
    assert (announcement.audience, announcement.email_count, announcement.sms_count) == ("registered", 2, 1)
    assert announcement.body == {"sv": SWEDISH, "ar": ARABIC} and announcement.sms == {"sv": "Ny ingång"}

    again, sent = services.send(event, _draft(), f.organiser(org), "form-submission-0123456789")
    assert (again.id, sent) == (announcement.id, False) and len(_outbox()) == 3
    shown = client.get(first.headers["Location"]).get_data(as_text=True)
    assert ARABIC in shown and "Waiting to be sent" in shown and "This form was sent already" in shown


def test_a_count_that_changed_since_the_preview_is_shown_again_before_sending(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    f.registration(event, _visitor())
    login(client, f.organiser(org))
    f.registration(event, _visitor())  # registered after the organiser saw "1 people"
    page = client.post(
        f"/organiser/events/{event.id}/announcements/new", data=_form(event, action="send", confirmed_people="1")
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "The number of recipients changed" in text and "Send to 2 people" in text
    assert db.session.scalar(select(Announcement)) is None and _outbox() == []


@pytest.mark.parametrize(
    "values, error",
    [
        ({"body_ar": "", "subject_ar": "مدخل جديد"}, "Write the subject and the message in the same languages."),
        ({"body_sv": "", "body_ar": "", "subject_sv": "", "subject_ar": ""}, "Write the message in at least one"),
        ({"audience": "exhibitor_bookings"}, "Choose the exhibitor whose booked visitors get the message."),
        ({"exhibitor": "not-a-number"}, "Please correct the fields marked below."),
        ({"audience": "everyone-on-earth"}, "Please correct the fields marked below."),
        ({"submission": "x"}, "This form is out of date."),
        ({"confirmed_people": "many"}, "This form is out of date."),
        ({"body_sv": "x" * 5001}, "Please correct the fields marked below."),
    ],
)
def test_bad_input_gets_a_clear_message_and_sends_nothing(ctx, client, values, error):
    org = f.organisation()
    event = f.event(org=org)
    f.registration(event, _visitor())
    login(client, f.organiser(org))
    page = client.post(f"/organiser/events/{event.id}/announcements/new", data=_form(event, action="send", **values))
    assert page.status_code == 200 and error in page.get_data(as_text=True)
    assert _outbox() == [] and db.session.scalar(select(Announcement)) is None


def test_an_exhibitor_of_another_fair_cannot_be_chosen(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    elsewhere = f.exhibitor(f.event(), name="Elsewhere AB")
    login(client, f.organiser(org))
    page = client.post(
        f"/organiser/events/{event.id}/announcements/new",
        data=_form(event, action="preview", audience="exhibitor_bookings", exhibitor=str(elsewhere.id)),
    )
    assert page.status_code == 200 and "Not a valid choice" in page.get_data(as_text=True)


def test_text_messages_go_to_phone_holders_through_the_gateway(app, ctx, smtp):
    event = f.event(name="Jobbmässan")
    with_phone = _visitor(lang="ar", phone="+46705556667")
    without = _visitor(lang="sv")
    for person in (with_phone, without):
        f.registration(event, person)
    staff = f.exhibitor_staff(f.exhibitor(event), role="admin", preferred_language="sv")
    db.session.add(VisitorProfile(user_id=staff.id, phone="+46709998887"))  # a phone given as a visitor elsewhere
    db.session.commit()
    services.send(event, _draft(), f.organiser(), "sms-to-visitors-0001")
    services.send(event, _draft(Audience.EXHIBITORS), f.organiser(), "sms-to-exhibitors-01")
    gateway = FakeGateway()
    app.extensions["sms_gateway"] = gateway
    try:
        assert outbox.dispatch_due_messages() == 4  # three emails, one text message
    finally:
        del app.extensions["sms_gateway"]
    assert gateway.sent == [("+46705556667", "Jobbmässan: مدخل جديد")]
    assert sorted(str(m["To"]) for m in smtp.received()) == sorted([with_phone.email, without.email, staff.email])
    assert {m.status for m in _outbox()} == {"sent"}


def test_the_news_list_exports_as_csv_and_xlsx(fair, client):
    event = fair["event"]
    organiser = f.organiser(event.organisers[0].organisation)
    withdrawn = _visitor(news=True, name="Changed Mind")
    f.registration(event, withdrawn)
    withdrawn.profile.consent_news_at = None  # unticked on the profile
    db.session.commit()
    login(client, organiser)
    expected = {db.session.get(User, i).email for i in fair["people"][Audience.NEWS]}

    response = client.get(f"/organiser/events/{event.id}/news-list.csv?sep=comma")
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Name", "Email", "Language", "Asked on"]
    assert {row[1] for row in rows[1:]} == expected and len(rows) == len(expected) + 1
    amal = next(row for row in rows if row[0] == "Amal Haddad")
    assert amal[2] == "ar" and amal[3][:4].isdigit()

    book = load_workbook(io.BytesIO(client.get(f"/organiser/events/{event.id}/news-list.xlsx").data))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["Name", "Email", "Language", "Asked on"]
    assert {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)} == expected
    page = client.get(f"/organiser/events/{event.id}/announcements").get_data(as_text=True)
    assert f"<strong data-news-count>{len(expected)}</strong>" in page


def test_only_those_who_run_the_fair_reach_its_announcements_and_the_bodies_alone_its_news_list(ctx, client):
    org = f.organisation()
    event = f.event(org=org)
    f.registration(event, _visitor())
    announcement, _ = services.send(event, _draft(sms=False), f.organiser(org), "permission-sweep-001")
    exhibitor = f.exhibitor(event)
    base = f"/organiser/events/{event.id}"
    pages = [
        f"{base}/announcements",
        f"{base}/announcements/new",
        f"{base}/announcements/{announcement.id}",
        f"{base}/news-list.csv",
        f"{base}/news-list.xlsx",
    ]
    other_event = f.event(org=org)
    allowed = {"organiser": f.organiser(org), "co-organiser": f.event_staff(event, "coorganiser")}
    refused = {
        "visitor": _visitor(),
        "exhibitor admin": f.exhibitor_staff(exhibitor, role="admin"),
        "door staff": f.checkin_staff(event),
        "other organiser": f.organiser(),
        "other event's co-organiser": f.event_staff(other_event, "coorganiser"),
    }
    login(client, allowed["organiser"])
    assert [client.get(url).status_code for url in pages] == [200] * len(pages)
    login(client, allowed["co-organiser"])  # the news list holds the bodies' other fairs' people: not theirs
    assert [client.get(url).status_code for url in pages] == [200, 200, 200, 403, 403]
    assert "news-list.csv" not in client.get(pages[0]).get_data(as_text=True)
    for role, person in refused.items():
        login(client, person)
        assert {client.get(url).status_code for url in pages} <= {403, 404}, role
        response = client.post(pages[1], data=_form(event, action="send", confirmed_people="1"))
        assert response.status_code in (403, 404), role
    # Another event's announcement is not found under this event's address.
    login(client, allowed["organiser"])
    assert client.get(f"/organiser/events/{other_event.id}/announcements/{announcement.id}").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Announcement)) == 1


def test_erasing_a_recipient_erases_their_copies_and_takes_them_off_the_news_list(ctx):
    from bazaar.privacy.services import delete_account

    event = f.event()
    leaving, staying = _visitor(lang="ar", phone="+46703334445", news=True), _visitor(news=True)
    for person in (leaving, staying):
        f.registration(event, person)
    announcement, _ = services.send(event, _draft(), f.organiser(), "erasure-check-000001")
    leaving_id, leaving_email = leaving.id, leaving.email
    delete_account(leaving)

    assert not [m for m in _outbox() if m.to_address in (leaving_email, "+46703334445")]
    assert all(m.status == "cancelled" and m.user_id is None for m in _outbox() if m.payload == {})
    assert len([m for m in _outbox() if m.payload == {}]) == 2  # the email and the text message
    assert [r.user.id for r in services.recipients(event, Audience.NEWS)] == [staying.id]
    assert leaving_id not in {r.user.id for r in services.recipients(event, Audience.REGISTERED)}
    record = db.session.get(Announcement, announcement.id)  # the record names nobody but its author
    assert (record.email_count, record.sms_count) == (2, 1) and leaving_email not in str(record.body)


def test_the_same_form_sent_at_once_from_several_requests_sends_once(app, ctx):
    """Eight submits of one form at the same moment, each in its own app context and connection:
    one records the announcement and queues the copies, the others find it."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from bazaar.events.models import Event

    org = f.organisation()
    event = f.event(org=org)
    for i, lang in enumerate(("sv", "ar", "en")):
        f.registration(event, _visitor(lang=lang, phone=f"+4670444555{i}"))
    event_id, author_id = event.id, f.organiser(org).id
    db.session.remove()
    barrier = Barrier(8)

    def submit(_):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                announcement, sent = services.send(
                    db.session.get(Event, event_id), _draft(), db.session.get(User, author_id), "same-form-at-once-01"
                )
                return announcement.id, sent
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(submit, range(8)))
    assert len({announcement_id for announcement_id, _ in results}) == 1
    assert sorted(sent for _, sent in results) == [False] * 7 + [True]
    assert len(_outbox(channel="email")) == 3 and len(_outbox(channel="sms")) == 3


def test_a_days_visitors_are_those_with_an_interview_that_day_or_who_came_in_that_day(ctx, client):
    """On a fair of two days: day 2's announcement reaches those booked on day 2 and those who came in
    on day 2, not those who only came or booked on day 1; the form asks for the day and keeps it."""
    event = f.two_day_event()
    first, second = event.days
    booth = f.exhibitor(event)
    booked_day1, booked_day2, came_day2, came_day1, nothing = (f.registration(event, _visitor()) for _ in range(5))
    f.booked(booked_day1, f.slots_for(booth, start=first.opens_at, count=1)[0])
    f.booked(booked_day2, f.slots_for(booth, start=second.opens_at, count=1)[0])
    db.session.add_all([f.arrival(came_day2, second.opens_at), f.arrival(came_day1, first.opens_at)])
    db.session.commit()
    people = lambda day: {r.user.id for r in services.recipients(event, Audience.DAY_VISITORS, day=day)}  # noqa: E731
    assert people(second.date) == {booked_day2.user_id, came_day2.user_id}
    assert people(first.date) == {booked_day1.user_id, came_day1.user_id}
    with pytest.raises(services.AnnouncementError):
        services.recipients(event, Audience.DAY_VISITORS, day=first.date.replace(year=2000))

    organiser = f.organiser(event.organisers[0].organisation, preferred_language="en")
    login(client, organiser)
    url = f"/organiser/events/{event.id}/announcements/new"
    form = _form(event, audience=Audience.DAY_VISITORS, day="")
    page = client.post(url, data={**form, "action": "preview"}).get_data(as_text=True)
    assert "Choose the day whose visitors get the message." in page
    form["day"] = second.date.isoformat()
    page = client.post(url, data={**form, "action": "preview"}).get_data(as_text=True)
    assert "2 people" in page
    assert client.post(url, data={**form, "action": "send", "confirmed_people": "2"}).status_code == 302
    announcement = db.session.scalar(select(Announcement))
    assert announcement.day == second.date and announcement.email_count == 2
    assert {m.user_id for m in _outbox(channel="email")} == {booked_day2.user_id, came_day2.user_id}
