"""Running the day: the interview list, what exhibitors may see of visitors, attendance and outcomes."""

from datetime import timedelta

from sqlalchemy import select

from bazaar.accounts.models import VisitorProfile
from bazaar.booking.models import Booking
from bazaar.clock import utcnow
from bazaar.extensions import db
from bazaar.i18n import format_time
from tests import factories as f
from tests.support import counted_statements, login, page_statements


def day_setup():
    ev = f.event(starts_in=timedelta(hours=-3), hours=8)
    ex = f.exhibitor(ev, tables=2, booth_number="C7")
    slots = f.slots_for(ex, start=ev.starts_at, count=4, minutes=15)
    table1, table2 = ex.tables
    sharing = f.visitor(name="Semhar Tesfay")
    profile = db.session.scalar(select(VisitorProfile).where(VisitorProfile.user_id == sharing.id))
    profile.education_level = "university"
    profile.languages = ["ti", "sv"]
    profile.occupations = ["nurse"]
    profile.foreign_background = "born_abroad"
    profile.gender = "female"
    profile.municipality = "Botkyrka"
    db.session.commit()
    private = f.visitor(name="Private Person", profile=False)
    withdrawn = f.visitor(name="Changed Mind")
    db.session.scalar(
        select(VisitorProfile).where(VisitorProfile.user_id == withdrawn.id)
    ).consent_share_profile_at = None
    db.session.commit()
    t1 = [s for s in slots if s.table_id == table1.id]
    t2 = [s for s in slots if s.table_id == table2.id]
    b_sharing = f.booked(f.registration(ev, sharing), t1[0])
    reg_private = f.registration(ev, private)
    b_private = f.booked(reg_private, t2[1])
    b_withdrawn = f.booked(f.registration(ev, withdrawn), t1[2])
    walk_in = Booking(
        event_id=ev.id,
        exhibitor_id=ex.id,
        registration_id=reg_private.id,
        walk_in=True,
        starts_at=ev.starts_at + timedelta(minutes=95),
        ends_at=ev.starts_at + timedelta(minutes=105),
    )
    cancelled = f.booked(f.registration(ev, f.visitor(name="Gone Away")), t2[3])
    cancelled.status = "cancelled"
    db.session.add(walk_in)
    db.session.commit()
    return ev, ex, (table1, table2), (b_sharing, b_private, b_withdrawn, walk_in), reg_private


def test_schedule_shows_only_what_visitors_consented_to_share(ctx, client):
    ev, ex, tables, bookings, reg_private = day_setup()
    login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
    page = client.get(f"/exhibitor/{ex.id}/day?lang=en").get_data(as_text=True)
    assert "Semhar Tesfay" in page and "University, 3 years or more" in page and "ትግርኛ" in page and "Nurse" in page
    assert "Private Person" not in page and "Changed Mind" not in page and "Gone Away" not in page
    assert reg_private.ticket_code[:6].upper() in page
    for secret in ("born_abroad", "Born abroad", "female", "Botkyrka"):
        assert secret not in page
    assert "Walk-in" in page
    # time order, in the event's zone
    assert format_time(bookings[0].starts_at, ev.timezone, lang="en") in page
    positions = [page.index(f'id="interview-{b.id}"') for b in sorted(bookings, key=lambda b: b.starts_at)]
    assert positions == sorted(positions)

    only_table2 = client.get(f"/exhibitor/{ex.id}/day?table={tables[1].id}").get_data(as_text=True)
    assert f'id="interview-{bookings[1].id}"' in only_table2
    assert f'id="interview-{bookings[0].id}"' not in only_table2
    assert f'id="interview-{bookings[3].id}"' not in only_table2
    assert client.get(f"/exhibitor/{ex.id}/day?table=abc").status_code == 200


def test_mark_held_with_outcome_no_show_and_walk_in(ctx, client):
    ev, ex, _tables, (b_sharing, b_private, b_withdrawn, walk_in), _reg = day_setup()
    interviewer = f.exhibitor_staff(ex, role="interviewer")
    login(client, interviewer, language="en")
    url = f"/exhibitor/{ex.id}/interviews"
    p = f"b{b_sharing.id}-"
    response = client.post(
        f"{url}/{b_sharing.id}",
        data={
            p + "attendance": "attended",
            p + "outcome": "hired",
            p + "employment_type": "probationary",
            p + "note": "Börjar 1 mars — يبدأ في مارس",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#interview-{b_sharing.id}")
    db.session.refresh(b_sharing)
    assert (b_sharing.attendance, b_sharing.outcome, b_sharing.outcome_employment_type) == (
        "attended",
        "hired",
        "probationary",
    )
    assert b_sharing.attendance_marked_by_id == interviewer.id and b_sharing.outcome_recorded_by_id == interviewer.id
    assert b_sharing.outcome_note == "Börjar 1 mars — يبدأ في مارس" and b_sharing.outcome_recorded_at is not None

    p = f"b{b_private.id}-"
    client.post(f"{url}/{b_private.id}", data={p + "attendance": "no_show", p + "outcome": "offer"})
    db.session.refresh(b_private)
    assert (b_private.attendance, b_private.outcome) == ("no_show", None)

    p = f"b{walk_in.id}-"
    client.post(f"{url}/{walk_in.id}", data={p + "attendance": "attended", p + "outcome": "second_interview"})
    db.session.refresh(walk_in)
    assert (walk_in.attendance, walk_in.outcome, walk_in.outcome_employment_type) == (
        "attended",
        "second_interview",
        None,
    )


def test_bad_outcome_input_changes_nothing(ctx, client):
    _ev, ex, _tables, (b, *_rest), _reg = day_setup()
    login(client, f.exhibitor_staff(ex), language="en")
    p = f"b{b.id}-"
    for bad in (
        {p + "attendance": "maybe"},
        {p + "attendance": "attended", p + "outcome": "married"},
        {p + "attendance": "attended", p + "outcome": "hired"},  # employment type missing
        {p + "attendance": "attended", p + "outcome": "hired", p + "employment_type": "forever"},
        {p + "attendance": "attended", p + "note": "n" * 2000},
        {},
    ):
        response = client.post(f"/exhibitor/{ex.id}/interviews/{b.id}", data=bad)
        assert response.status_code == 302
        db.session.refresh(b)
        assert (b.attendance, b.outcome, b.outcome_note) == ("unknown", None, None), bad
    page = client.post(
        f"/exhibitor/{ex.id}/interviews/{b.id}",
        data={p + "attendance": "attended", p + "outcome": "hired"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "employment type" in page
    assert client.post(f"/exhibitor/{ex.id}/interviews/99999", data={p + "attendance": "attended"}).status_code == 404


def test_cancelled_booking_takes_no_outcome(ctx, client):
    ev, ex, _tables, _bookings, _reg = day_setup()
    cancelled = db.session.scalar(select(Booking).where(Booking.status == "cancelled"))
    login(client, f.exhibitor_staff(ex), language="en")
    p = f"b{cancelled.id}-"
    assert (
        client.post(f"/exhibitor/{ex.id}/interviews/{cancelled.id}", data={p + "attendance": "attended"}).status_code
        == 404
    )
    db.session.refresh(cancelled)
    assert cancelled.attendance == "unknown"


def test_morning_after_list_of_missing_outcomes(ctx, client):
    ev, ex, _tables, (b_sharing, b_private, b_withdrawn, walk_in), _reg = day_setup()
    later = f.booked(f.registration(ev), f.slots_for(ex, start=utcnow() + timedelta(hours=2), count=1)[0])
    b_sharing.attendance, b_sharing.outcome = "attended", "offer"
    b_private.attendance = "no_show"
    walk_in.attendance = "attended"  # held, outcome not yet recorded
    db.session.commit()
    login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
    page = client.get(f"/exhibitor/{ex.id}/missing-outcomes").get_data(as_text=True)
    assert f'id="interview-{b_withdrawn.id}"' in page and f'id="interview-{walk_in.id}"' in page
    for done in (b_sharing, b_private, later):
        assert f'id="interview-{done.id}"' not in page
    p = f"b{walk_in.id}-"
    response = client.post(
        f"/exhibitor/{ex.id}/interviews/{walk_in.id}",
        data={p + "attendance": "attended", p + "outcome": "none", "back": "missing"},
    )
    assert f"/exhibitor/{ex.id}/missing-outcomes" in response.headers["Location"]
    page = client.get(f"/exhibitor/{ex.id}/missing-outcomes").get_data(as_text=True)
    assert f'id="interview-{walk_in.id}"' not in page


def test_staff_of_another_exhibitor_cannot_see_or_mark(ctx, client):
    _ev, ex, _tables, (b, *_rest), _reg = day_setup()
    other = f.exhibitor(ex.event)
    login(client, f.exhibitor_staff(other), language="en")
    assert client.get(f"/exhibitor/{ex.id}/day").status_code == 403
    assert client.get(f"/exhibitor/{ex.id}/missing-outcomes").status_code == 403
    p = f"b{b.id}-"
    assert client.post(f"/exhibitor/{ex.id}/interviews/{b.id}", data={p + "attendance": "no_show"}).status_code == 403
    # their own exhibitor id with our booking id: not theirs either
    assert (
        client.post(f"/exhibitor/{other.id}/interviews/{b.id}", data={p + "attendance": "no_show"}).status_code == 404
    )
    db.session.refresh(b)
    assert b.attendance == "unknown"


def test_walk_in_logged_by_booth_scan_takes_an_outcome(ctx, client):
    """A walk-in interview created by the check-in domain's booth scan appears in the list,
    already marked held, and its outcome is recorded like a booked one."""
    from bazaar.checkin.services import log_booth_scan
    from bazaar.registrations.services import ticket_token

    ev = f.event(starts_in=timedelta(hours=-1), hours=6)
    ex = f.exhibitor(ev)
    interviewer = f.exhibitor_staff(ex, role="interviewer")
    reg = f.registration(ev, f.visitor(name="Walk In Person"))
    scan = log_booth_scan(ex, ticket_token(reg), interviewer, "interview")
    login(client, interviewer, language="en")
    page = client.get(f"/exhibitor/{ex.id}/day").get_data(as_text=True)
    assert f'id="interview-{scan.booking_id}"' in page and "Walk In Person" in page and "Walk-in" in page
    missing = client.get(f"/exhibitor/{ex.id}/missing-outcomes").get_data(as_text=True)
    assert f'id="interview-{scan.booking_id}"' in missing  # held, outcome still to record
    p = f"b{scan.booking_id}-"
    client.post(
        f"/exhibitor/{ex.id}/interviews/{scan.booking_id}",
        data={p + "attendance": "attended", p + "outcome": "internship"},
    )
    booking = db.session.get(Booking, scan.booking_id)
    db.session.refresh(booking)
    assert (booking.walk_in, booking.outcome, booking.outcome_recorded_by_id) == (True, "internship", interviewer.id)


def test_dashboard_counts_interviews_and_missing_outcomes(ctx, client):
    _ev, ex, _tables, bookings, _reg = day_setup()
    login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
    page = client.get(f"/exhibitor/{ex.id}").get_data(as_text=True)
    missing = len([b for b in bookings if b.starts_at <= utcnow()])
    assert f"{len(bookings)} booked or walk-in" in page
    assert f"{missing} interviews still need an outcome" in page


def _interviews(ex, count, start, minutes=10):
    """``count`` booked interviews of visitors sharing their profile, one after the other from ``start``."""
    ev = ex.event
    return [
        f.booked(f.registration(ev, f.visitor()), slot)
        for slot in f.slots_for(ex, start=start, count=count, minutes=minutes)
    ]


def test_day_page_puts_now_and_next_first_and_folds_what_is_done(ctx, client):
    ev = f.event(starts_in=timedelta(hours=-2), hours=8)
    ex = f.exhibitor(ev, tables=1)
    now = utcnow()
    past = _interviews(ex, 3, now - timedelta(minutes=45), minutes=10)  # over
    current_and_coming = _interviews(ex, 6, now - timedelta(minutes=5), minutes=10)
    past[0].attendance, past[1].attendance = "attended", "no_show"  # past[2] still unmarked: it needs the interviewer
    db.session.commit()
    login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
    page = client.get(f"/exhibitor/{ex.id}/day").get_data(as_text=True)
    now_part, rest = page.split("<h2>Later</h2>")
    later_part, done_part = rest.split('<details class="finished">')
    ids = lambda part, bookings: [b for b in bookings if f'id="interview-{b.id}"' in part]  # noqa: E731
    assert ids(now_part, past + current_and_coming) == [past[2], *current_and_coming[:4]]  # under way + next 3
    assert ids(later_part, past + current_and_coming) == current_and_coming[4:]
    assert ids(done_part, past + current_and_coming) == past[:2] and "Finished (2)" in done_part
    assert now_part.count('<details class="outcome-fields" open>') == 5 and 'outcome-fields" open' not in later_part

    number = current_and_coming[5].registration.ticket_code[:6]
    found = client.get(f"/exhibitor/{ex.id}/day?q={number.lower()}").get_data(as_text=True)
    assert found.count('class="interview"') == 1 and f'id="interview-{current_and_coming[5].id}"' in found


def test_day_page_statements_do_not_grow_with_the_interviews(ctx, client):
    ev = f.event(starts_in=timedelta(hours=-1), hours=8)
    few, many = f.exhibitor(ev, tables=1), f.exhibitor(ev, tables=1)
    _interviews(few, 3, ev.starts_at)
    _interviews(many, 40, ev.starts_at)
    db.session.commit()
    counts = []
    for ex in (few, many):
        login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
        with counted_statements() as sent:
            assert client.get(f"/exhibitor/{ex.id}/day").status_code == 200
        counts.append(len(sent))
    assert counts[0] == counts[1], counts


def test_day_and_missing_outcomes_statements_do_not_grow_with_any_kind_of_interview(ctx, client):
    """Visitors sharing their profile, keeping it private or without one, walk-ins, on two tables: the
    day view and the missing outcomes read as much for one of each as for five."""
    ev = f.event(starts_in=timedelta(hours=-4), hours=8)
    ex = f.exhibitor(ev, tables=2)
    login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
    pages = {"day": f"/exhibitor/{ex.id}/day", "missing": f"/exhibitor/{ex.id}/missing-outcomes"}
    sent = {}
    for count in (1, 5):
        for n in range(max((c for c, _page in sent), default=0), count):  # the ones the last round lacked
            start = ev.starts_at + timedelta(minutes=30 * n)
            shared, private = f.slots_for(ex, start=start, count=1)  # one on each table
            f.booked(f.registration(ev, f.visitor()), shared)
            f.booked(f.registration(ev, f.visitor(profile=False)), private)
            f.interview(f.registration(ev), ex, walk_in=True, attendance="unknown", at=start + timedelta(minutes=15))
        for name, url in pages.items():
            page, statements = page_statements(client, url)
            assert page.count('<li class="interview"') == 3 * count
            sent[(count, name)] = len(statements)
    assert sent[(1, "day")] == sent[(5, "day")] and sent[(1, "missing")] == sent[(5, "missing")], sent


def test_inline_save_answers_the_row_alone_or_the_errors(ctx, client):
    _ev, ex, _tables, (b_sharing, *_rest), _reg = day_setup()
    login(client, f.exhibitor_staff(ex, role="interviewer"), language="en")
    p = f"b{b_sharing.id}-"
    url = f"/exhibitor/{ex.id}/interviews/{b_sharing.id}"
    inline = {"X-Inline-Save": "1"}
    saved = client.post(url, data={p + "attendance": "attended", p + "outcome": "offer"}, headers=inline)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200 and html.strip().startswith(f'<li class="interview" id="interview-{b_sharing.id}"')
    assert "Saved." in html and "Job offer" in html and "<html" not in html
    db.session.refresh(b_sharing)
    assert (b_sharing.attendance, b_sharing.outcome) == ("attended", "offer")
    refused = client.post(url, data={p + "attendance": "attended", p + "outcome": "hired"}, headers=inline)
    assert refused.status_code == 400 and refused.get_json()["errors"] == ["Choose the employment type for a hire."]
    db.session.refresh(b_sharing)
    assert b_sharing.outcome == "offer"


def test_outcome_missing_means_the_same_in_python_and_in_sql(ctx):
    """One rule for the booth's "missing outcomes" and the morning-after nudge: a live interview,
    not a no-show, with no outcome yet."""
    ev = f.event(starts_in=timedelta(hours=-3))
    ex = f.exhibitor(ev)
    made = {}
    for status in ("confirmed", "cancelled"):
        for attendance in ("unknown", "attended", "no_show"):
            for outcome in (None, "offer"):
                if outcome and attendance != "attended":
                    continue
                made[(status, attendance, outcome)] = f.interview(
                    f.registration(ev), ex, attendance=attendance, status=status, outcome=outcome
                )
    missing_in_sql = set(db.session.scalars(select(Booking.id).where(Booking.outcome_missing)))
    missing_in_python = {b.id for b in made.values() if b.outcome_missing}
    assert (
        missing_in_sql
        == missing_in_python
        == {
            made[("confirmed", "unknown", None)].id,
            made[("confirmed", "attended", None)].id,
        }
    )
