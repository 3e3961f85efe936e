"""Benchmark: compiling an event's statistics at Jobbdating 07 size and at 100,000 visitors.

Creates its own PostgreSQL database (``bazaar_bench_<random>``, dropped afterwards), fills events
with bulk inserts, then for each size prints the seconds the compiler takes, how many SQL
statements it sends (the same for every size), and the time of one hand-written SQL aggregate
pass over the same data, as a ratio.

    .venv/bin/python bench/stats.py            # 4,700 / 60 and 100,000 / 600
    .venv/bin/python bench/stats.py --quick    # 4,700 / 60 and 20,000 / 120 (under a minute)

The last line is ``stats: <seconds> s (<ratio> of hand-written SQL)`` for the largest event.
"""

import argparse
import random
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import bench_app, print_figures, timed  # noqa: E402

FULL_SIZES = [(4_700, 60), (100_000, 600)]
QUICK_SIZES = [(4_700, 60), (20_000, 120)]

# One statement computing the headline figures and every breakdown (GROUPING SETS), written by
# hand: the yardstick for the compiler's generated queries.
HAND_WRITTEN = """
WITH held AS (
    SELECT registration_id, exhibitor_id, outcome FROM booking
    WHERE event_id = :e AND status = 'confirmed' AND (attendance = 'attended' OR (walk_in AND attendance <> 'no_show'))
), answers AS (
    SELECT registration_id, bool_or(result = 'job') AS said_job, bool_or(result = 'nothing') AS said_nothing
    FROM survey_response WHERE event_id = :e GROUP BY registration_id
), evidence AS (
    SELECT r.id AS registration_id,
           CASE WHEN h.registration_id IS NOT NULL AND a.said_job THEN 'confirmed'
                WHEN h.registration_id IS NOT NULL AND a.said_nothing AND cr.decision = 'hired' THEN 'resolved_hired'
                WHEN h.registration_id IS NOT NULL AND a.said_nothing THEN 'not_counted'
                WHEN h.registration_id IS NOT NULL THEN 'employer_only'
                WHEN a.said_job AND r.checked_in_at IS NOT NULL THEN 'visitor_only' END AS category
    FROM registration r
    LEFT JOIN (SELECT DISTINCT registration_id FROM held WHERE outcome = 'hired') h ON h.registration_id = r.id
    LEFT JOIN answers a ON a.registration_id = r.id
    LEFT JOIN case_resolution cr ON cr.registration_id = r.id
    WHERE r.event_id = :e
), jobs AS (
    SELECT registration_id, exhibitor_id FROM held WHERE outcome = 'hired' AND registration_id IN (
        SELECT registration_id FROM evidence WHERE category IN ('confirmed', 'employer_only', 'resolved_hired'))
    UNION
    SELECT registration_id, exhibitor_id FROM survey_response
    WHERE event_id = :e AND result = 'job' AND exhibitor_id IS NOT NULL
      AND registration_id IN (SELECT registration_id FROM evidence WHERE category = 'visitor_only')
    UNION
    SELECT registration_id, NULL FROM evidence
    WHERE category = 'visitor_only' AND registration_id NOT IN (
        SELECT registration_id FROM survey_response WHERE event_id = :e AND result = 'job' AND exhibitor_id IS NOT NULL)
), person AS (
    SELECT r.id, r.checked_in_at IS NOT NULL AS came, p.education_level, p.degree_origin, p.employment_status,
           p.years_in_sweden, p.gender, p.age_band,
           CASE WHEN p.consent_sensitive_at IS NOT NULL THEN p.foreign_background END AS foreign_background,
           r.id IN (SELECT registration_id FROM held) AS interviewed,
           r.id IN (SELECT registration_id FROM jobs) AS hired
    FROM registration r LEFT JOIN visitor_profile p ON p.user_id = r.user_id
    WHERE r.event_id = :e AND r.status IN ('registered', 'offered')
)
SELECT education_level, degree_origin, employment_status, years_in_sweden, gender, age_band, foreign_background,
       count(*), sum(came::int), sum(interviewed::int), sum(hired::int),
       (SELECT count(*) FROM held), (SELECT count(*) FROM jobs),
       (SELECT count(*) FROM exhibitor WHERE event_id = :e AND status = 'approved'),
       (SELECT count(*) FROM survey_response WHERE event_id = :e)
FROM person
GROUP BY GROUPING SETS ((), (education_level), (degree_origin), (employment_status), (years_in_sweden), (gender),
                        (age_band), (foreign_background))
"""


def _insert(table, rows, returning=False):
    from bazaar.extensions import db

    statement = table.insert()
    if returning:
        statement = statement.returning(table.c.id, sort_by_parameter_order=True)
        return db.session.scalars(statement, rows).all()
    db.session.execute(statement, rows)
    return None


def build_event(rng: random.Random, visitors: int, exhibitors: int, tag: str) -> int:
    """An ended fair with registrations, profiles, interviews, outcomes and survey answers."""
    from bazaar.accounts.models import Organisation, User, VisitorProfile
    from bazaar.booking.models import Booking
    from bazaar.events.models import Event, EventOrganiser
    from bazaar.exhibitors.models import Exhibitor
    from bazaar.extensions import db
    from bazaar.registrations.models import Registration
    from bazaar.stats.models import SurveyResponse

    start = datetime(2026, 5, 9, 8, 0, tzinfo=UTC)
    event = Event(
        slug=f"bench-{tag}",
        name=f"Bench {tag}",
        venue_name="Arena",
        venue_address="Street 1",
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        status="finished",
    )
    event.organisers.append(EventOrganiser(organisation=Organisation(name=f"Bench org {tag}")))
    db.session.add(event)
    db.session.flush()
    exhibitor_ids = _insert(
        Exhibitor.__table__,
        [
            {
                "event_id": event.id,
                "name": f"Employer {i}",
                "country": "DK" if i % 4 == 0 else "SE",
                "org_type": rng.choice(["employer", "employer", "staffing_agency", "public_employer"]),
                "contact_name": "Contact",
                "contact_email": f"c{i}@bench.invalid",
                "status": "approved",
            }
            for i in range(exhibitors)
        ],
        returning=True,
    )
    user_ids = _insert(
        User.__table__,
        [{"email": f"bench-{tag}-{i}@bench.invalid", "name": f"Visitor {i}"} for i in range(visitors)],
        returning=True,
    )
    _insert(
        VisitorProfile.__table__,
        [
            {
                "user_id": uid,
                "education_level": rng.choice(
                    ["compulsory", "upper_secondary", "post_secondary_short", "university", None]
                ),
                "degree_origin": rng.choice(["swedish", "foreign", None]),
                "employment_status": rng.choice(["unemployed", "employed", "studying", None]),
                "years_in_sweden": rng.choice(["0-2", "3-5", "6-10", "10+", "born", None]),
                "gender": rng.choice(["woman", "man", "other", None]),
                "age_band": rng.choice(["16-24", "25-34", "35-44", "45-54", "55+"]),
                "occupations": rng.sample(
                    ["cook", "cleaner", "nurse", "driver", "engineer", "teacher"], rng.randint(0, 3)
                ),
                "consent_sensitive_at": start if rng.random() < 0.4 else None,
                "foreign_background": rng.choice(["born_abroad", "parents_abroad", "neither"]),
            }
            for uid in user_ids
        ],
    )
    registration_ids = _insert(
        Registration.__table__,
        [
            {
                "event_id": event.id,
                "user_id": uid,
                "status": "cancelled" if rng.random() < 0.04 else "registered",
                "ticket_code": secrets.token_hex(12),
                "walk_in": rng.random() < 0.12,
                "checked_in_at": start if rng.random() < 0.86 else None,
            }
            for uid in user_ids
        ],
        returning=True,
    )
    bookings = []
    for n in range(int(visitors * 0.08)):
        walk_in = n % 6 == 0
        held = walk_in or rng.random() < 0.8
        bookings.append(
            {
                "event_id": event.id,
                "exhibitor_id": rng.choice(exhibitor_ids),
                "registration_id": rng.choice(registration_ids),
                "starts_at": start + timedelta(minutes=n),
                "ends_at": start + timedelta(minutes=n + 10),
                "status": "cancelled" if not walk_in and rng.random() < 0.08 else "confirmed",
                "walk_in": walk_in,
                "attendance": "attended" if held else "no_show",
                "outcome": rng.choice(["hired", "offer", "second_interview", "internship", "none", "none"])
                if held
                else None,
            }
        )
    _insert(Booking.__table__, bookings)
    _insert(
        SurveyResponse.__table__,
        [
            {
                "event_id": event.id,
                "registration_id": rid,
                "result": rng.choice(["job", "nothing", "nothing", "interview", "education"]),
                "exhibitor_id": rng.choice(exhibitor_ids) if rng.random() < 0.3 else None,
                "fair_contributed": rng.choice([True, False, None]),
                "started_on": datetime(2026, rng.randint(5, 11), 1, tzinfo=UTC),
            }
            for rid in rng.sample(registration_ids, visitors // 5)
        ],
    )
    db.session.commit()
    with db.engine.connect() as conn:  # planner statistics, as autovacuum keeps them in production
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return event.id


def measure(event_id: int) -> tuple[float, int, float, dict]:
    from bazaar.extensions import db
    from bazaar.stats.compile import compile_event

    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def compiled():
        figures = compile_event(event_id)
        db.session.commit()
        return figures

    def hand_written():
        rows = db.session.execute(sa.text(HAND_WRITTEN), {"e": event_id}).all()
        db.session.commit()
        return rows

    db.session.commit()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        compiler = timed(compiled)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    figures = compiler.result
    hand = timed(hand_written)
    total = next(r for r in hand.result if all(v is None for v in r[:7]))
    assert total[7] == figures["headline"]["visitors_registered"], "hand-written pass disagrees"
    assert total[11] == figures["headline"]["interviews_held"], "hand-written pass disagrees"
    assert total[12] == figures["headline"]["jobs_total"], "hand-written pass disagrees"
    return compiler.seconds, len(statements), hand.seconds, figures["headline"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller second event, under a minute")
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES

    with bench_app():
        rng = random.Random(7)
        results = []
        for visitors, exhibitors in sizes:
            built = timed(build_event, rng, visitors, exhibitors, f"{visitors}")
            seconds, statements, hand, headline = measure(built.result)
            results.append((seconds, hand))
            print(
                f"{visitors:>7} visitors {exhibitors:>4} exhibitors: built in {built.seconds:5.1f} s; "
                f"compiled in {seconds:6.3f} s with {statements} SQL statements; "
                f"hand-written SQL pass {hand:6.3f} s; ratio {seconds / hand:4.1f}; "
                f"interviews held {headline['interviews_held']}, jobs {headline['jobs_total']}",
                flush=True,
            )
    seconds, hand = results[-1]
    print_figures({}, headline=("stats", f"{seconds:.3f} s ({seconds / hand:.1f} of hand-written SQL)"))


if __name__ == "__main__":
    main()
