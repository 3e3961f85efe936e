"""Benchmark: the pages visitors and booths open most, in-process, against a bare Flask page.

Creates its own PostgreSQL database (``bazaar_bench_<random>``, dropped afterwards) with one fair
under way: 60 approved exhibitors (2-3 openings each, a description, every third a logo) with 2
tables x 32 fifteen-minute slots each, 1,100 registered visitors with shared profiles, bookings on
about a third of the slots; one exhibitor with 4 tables and 100 interviews. Then, with the Flask
test client and a logged-in session, it requests round-robin:

- ``directory``: the employer directory (``/events/<slug>/exhibitors``, 60 rows), as a visitor;
- ``times``: one employer's page with the times that visitor can book (``rules.offers_for``);
- ``schedule``: that visitor's schedule (6 interviews, 3 waiting lists);
- ``day``: the exhibitor's day view with its 100 interviews, as its interviewer;
- ``bare``: a bare Flask view (its own app, one SELECT of 100 bookings with the visitor's name,
  rendered into a list by a Jinja loop): what the stack costs for a list of that size.

Printed per page: ``<page>_median_ms``, ``<page>_p95_ms`` (wall clock), ``<page>_cpu_median_ms``
(this process's CPU: what the page costs the web tier when the machine is shared),
``<page>_statements`` (SQL statements one request sends) and ``<page>_rows`` (the rows it shows),
then last
``pages: <ms> ms median of the slowest page (<name>) (<ratio> of bare)``, the ratio being the bare
page's median over the slowest page's (1.0: as fast as the stack can render such a list).

    .venv/bin/python bench/pages.py            # 200 requests per page
    .venv/bin/python bench/pages.py --quick    # 40 requests per page (under a minute)
"""

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import create_database, dispose, drop_database, print_figures  # noqa: E402

EXHIBITORS = 60
SLOTS_PER_TABLE = 32
VISITORS = 1_100
DAY_INTERVIEWS = 100
MY_BOOKINGS = 6
MY_WAITLISTS = 3
WARMUP = 5
SECTORS = ["Vård", "Bygg", "Logistik", "IT", "Skola", "Handel"]
OCCUPATIONS = ["nurse", "cook", "cleaner", "driver", "warehouse", "teacher", "developer"]


def build(rng: random.Random) -> dict:
    """The fair, its exhibitors, slots, visitors and bookings; returns what the pages need."""
    from bazaar.accounts.models import Organisation, User, VisitorProfile
    from bazaar.booking.models import Attendance, Booking, Slot, WaitlistEntry
    from bazaar.clock import utcnow
    from bazaar.events.models import Event, EventDay, EventOrganiser
    from bazaar.exhibitors.models import Exhibitor, ExhibitorStaff, InterviewTable, Opening
    from bazaar.extensions import db
    from bazaar.registrations.models import Registration

    now = utcnow()
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)  # under way
    event = Event(
        slug="bench-pages",
        name="Jobbdating bench",
        venue_name="Arena",
        venue_address="Street 1",
        starts_at=start,
        ends_at=start + timedelta(hours=8),
        status="published",
        max_bookings_per_visitor=8,
    )
    event.days = [EventDay.spanning(event.starts_at, event.ends_at, event.timezone or "Europe/Stockholm")]
    event.organisers.append(EventOrganiser(organisation=Organisation(name="Bench organiser")))
    db.session.add(event)
    db.session.flush()

    logo = rng.randbytes(60_000)  # a logo's size: what the lists must not load
    exhibitors = []
    for i in range(EXHIBITORS):
        sector = SECTORS[i % len(SECTORS)]
        ex = Exhibitor(
            event_id=event.id,
            name=f"{sector}bolaget {i + 1:02d} AB",
            contact_name="Contact",
            contact_email=f"c{i}@bench.invalid",
            status="approved",
            sector=sector,
            booth_number=f"B{i + 1:02d}",
            booth_location="Hall A",
            booth_languages=["sv", "en", "ar"][: 1 + i % 3],
            description={"sv": f"Vi söker folk inom {sector.lower()}. " * 8, "en": f"We hire in {sector}. " * 8},
            **({"logo": logo, "logo_mimetype": "image/png"} if i % 3 == 0 else {}),
        )
        for t in range(4 if i == 0 else 2):
            ex.tables.append(InterviewTable(name=f"Table {t + 1}"))
        for o in range(2 + i % 2):
            ex.openings.append(
                Opening(
                    title={"sv": f"{sector}jobb {o + 1}", "en": f"{sector} job {o + 1}"},
                    occupation=OCCUPATIONS[(i + o) % len(OCCUPATIONS)],
                    location="Helsingborg",
                    description={"sv": "Heltid, start i augusti.", "en": "Full time, from August."},
                )
            )
        exhibitors.append(ex)
    db.session.add_all(exhibitors)
    db.session.flush()

    slots = {}  # exhibitor index -> its slots in time order
    for i, ex in enumerate(exhibitors):
        made = [
            Slot(
                event_id=event.id,
                exhibitor_id=ex.id,
                table_id=table.id,
                starts_at=start + timedelta(minutes=15 * n),
                ends_at=start + timedelta(minutes=15 * n + 15),
            )
            for n in range(SLOTS_PER_TABLE)
            for table in ex.tables
        ]
        slots[i] = made
        db.session.add_all(made)

    users = [User(email=f"v{n}@bench.invalid", name=f"Visitor {n}", preferred_language="sv") for n in range(VISITORS)]
    me = User(email="me@bench.invalid", name="Amina Visitor", preferred_language="sv")
    interviewer = User(email="interviewer@bench.invalid", name="Interviewer", preferred_language="sv")
    db.session.add_all([*users, me, interviewer])
    db.session.flush()
    db.session.add(ExhibitorStaff(exhibitor_id=exhibitors[0].id, user_id=interviewer.id, role="interviewer"))
    db.session.add_all(
        VisitorProfile(
            user_id=u.id,
            consent_share_profile_at=now,
            education_level="university",
            languages=["sv", "ar"],
            occupations=rng.sample(OCCUPATIONS, 2),
        )
        for u in [*users, me]
    )
    registrations = [
        Registration(event_id=event.id, user_id=u.id, ticket_code=f"{rng.getrandbits(96):024x}") for u in [*users, me]
    ]
    db.session.add_all(registrations)
    db.session.flush()
    my_registration = registrations[-1]

    def book(registration, slot, **kw):
        db.session.add(
            Booking(
                event_id=event.id,
                exhibitor_id=slot.exhibitor_id,
                registration_id=registration.id,
                slot_id=slot.id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                **kw,
            )
        )

    # The day exhibitor: 100 interviews, the ones already over marked held (half with an outcome).
    for n, slot in enumerate(slots[0][:DAY_INTERVIEWS]):
        over = slot.ends_at <= now
        book(
            registrations[n],
            slot,
            attendance=Attendance.ATTENDED if over else Attendance.UNKNOWN,
            outcome="offer" if over and n % 2 else None,
        )
    # The other exhibitors: about a third of their slots taken, one visitor in each.
    taken_by = {}
    pool = registrations[DAY_INTERVIEWS:-1]
    for i in range(2, EXHIBITORS):
        for k, slot in enumerate(slots[i][::3]):
            registration = pool[(i * 11 + k) % len(pool)]
            if (registration.id, slot.starts_at) in taken_by:
                continue
            taken_by[(registration.id, slot.starts_at)] = slot
            book(registration, slot)
    # My schedule: interviews at six other employers (an hour apart), waiting at three more; the times
    # page is exhibitor 1's, where I have nothing booked yet.
    for n in range(MY_BOOKINGS):
        slot = slots[2 + n][6 * n + 1]  # 45 minutes apart, none of the every-third slots taken above
        book(my_registration, slot)
    for n in range(MY_WAITLISTS):
        db.session.add(WaitlistEntry(exhibitor_id=exhibitors[10 + n].id, registration_id=my_registration.id))
    db.session.commit()
    with db.engine.connect() as conn:  # planner statistics, as autovacuum keeps them in production
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return {
        "slug": event.slug,
        "me": me.get_id(),
        "interviewer": interviewer.get_id(),
        "times_exhibitor": exhibitors[1].id,
        "day_exhibitor": exhibitors[0].id,
    }


BARE_TEMPLATE = """<!doctype html><html><head><title>Interviews</title></head><body><h1>Interviews</h1><ol>
{% for id, starts_at, ends_at, name in rows %}<li id="interview-{{ id }}">
<p>{{ starts_at.strftime("%H:%M") }}–{{ ends_at.strftime("%H:%M") }}</p>
<p><a href="/interviews/{{ id }}">{{ name }}</a></p></li>{% endfor %}</ol></body></html>"""


def bare_app(database_url: str, exhibitor_id: int):
    """A bare Flask app on its own engine: one SELECT of the day exhibitor's interviews, one Jinja list."""
    from flask import Flask, render_template_string

    engine = sa.create_engine(database_url)
    query = sa.text(
        "SELECT b.id, b.starts_at, b.ends_at, u.name FROM booking b JOIN registration r ON r.id = b.registration_id"
        ' JOIN "user" u ON u.id = r.user_id WHERE b.exhibitor_id = :e AND b.status = :s ORDER BY b.starts_at, b.id'
    )
    app = Flask("bare")

    @app.get("/interviews")
    def interviews():
        with engine.connect() as conn:
            rows = conn.execute(query, {"e": exhibitor_id, "s": "confirmed"}).all()
        return render_template_string(BARE_TEMPLATE, rows=rows)

    return app, engine


def client_for(app, user_id: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    return client


def measure(app, engine, database_url: str, built: dict, requests: int) -> tuple[dict, dict, dict]:
    """Statements of one request per page, then ``requests`` timed requests of each, round-robin
    (so every page meets the same load); returns the figures, the rows each page shows, the seconds."""
    slug = built["slug"]
    visitor, interviewer = client_for(app, built["me"]), client_for(app, built["interviewer"])
    bare, bare_engine = bare_app(database_url, built["day_exhibitor"])
    pages = {
        "directory": (visitor, f"/events/{slug}/exhibitors", '<li data-search="'),
        "times": (visitor, f"/events/{slug}/exhibitors/{built['times_exhibitor']}", 'name="starts_at"'),
        "schedule": (visitor, f"/events/{slug}/my-schedule", '<li class="card">'),
        "day": (interviewer, f"/exhibitor/{built['day_exhibitor']}/day", '<li class="interview"'),
        "bare": (bare.test_client(), "/interviews", '<li id="interview-'),
    }
    statements = []
    figures, rows, seconds = {}, {}, {name: [] for name in pages}

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def get(name):
        client, url, _row = pages[name]
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed = time.perf_counter() - wall, time.process_time() - cpu
        assert response.status_code == 200, (name, response.status_code)
        return response.get_data(as_text=True), elapsed

    try:
        for name, (_client, _url, row) in pages.items():
            for _ in range(WARMUP):
                get(name)
            for counted in (engine, bare_engine):
                sa.event.listen(counted, "before_cursor_execute", count)
            try:
                statements.clear()
                html, _elapsed = get(name)
            finally:
                for counted in (engine, bare_engine):
                    sa.event.remove(counted, "before_cursor_execute", count)
            figures[f"{name}_statements"] = len(statements)
            rows[name] = html.count(row)
        for _ in range(requests):
            for name in pages:
                seconds[name].append(get(name)[1])
    finally:
        bare_engine.dispose()
    return figures, rows, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="40 requests per page instead of 200, under a minute")
    args = parser.parse_args()
    requests = 40 if args.quick else 200
    os.environ["BAZAAR_INSTANCE_DIR"] = tempfile.mkdtemp(prefix="bazaar-bench-pages-")  # rate limits, secrets

    name, database_url = create_database()
    os.environ.update({"DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(16)})
    os.environ.pop("REDIS_URL", None)
    try:
        from bazaar import create_app
        from bazaar.extensions import db

        app = create_app()
        with app.app_context():
            db.create_all()
            built = build(random.Random(19))
            engine = db.engine
        try:
            # Requested outside any app context, as a server does: each request its own session.
            figures, rows, seconds = measure(app, engine, database_url, built, requests)
        finally:
            dispose(app)
    finally:
        drop_database(name)

    for name, timings in seconds.items():
        times = sorted(wall for wall, _cpu in timings)
        figures[f"{name}_median_ms"] = statistics.median(times) * 1000
        figures[f"{name}_p95_ms"] = times[int(len(times) * 0.95) - 1] * 1000
        figures[f"{name}_cpu_median_ms"] = statistics.median(cpu for _wall, cpu in timings) * 1000
        figures[f"{name}_rows"] = rows[name]
    figures["requests_per_page"] = requests
    figures["load_average_1min"] = f"{os.getloadavg()[0]:.1f}"
    pages = list(seconds)
    ordered = {k: figures[k] for k in sorted(figures, key=lambda k: (k.split("_")[0] not in pages, k))}
    slowest = max((n for n in pages if n != "bare"), key=lambda n: figures[f"{n}_median_ms"])
    worst = figures[f"{slowest}_median_ms"]
    print_figures(
        ordered,
        headline=(
            "pages",
            f"{worst:.1f} ms median of the slowest page ({slowest}) ({figures['bare_median_ms'] / worst:.2f} of bare)",
        ),
    )


if __name__ == "__main__":
    main()
