"""Benchmark: ranking candidates for employers' needs, 10,000 consenting visitors x 200 needs.

Creates its own PostgreSQL database (``bazaar_bench_<random>``, dropped afterwards), fills one fair
with visitors (profiles with occupations, languages, education, licence, start date, municipality)
and 40 exhibitors with 200 needs, then times :func:`bazaar.matching.services.candidates` for each
need (one SQL statement for the compact rows, one ranking pass, one statement for the first page's
profiles and their explanations), the ranking pass alone over rows loaded once, and, as the
baseline, the bare SQL fetch of the same compact rows with no scoring.

    .venv/bin/python bench/matching.py            # 10,000 visitors x 200 needs
    .venv/bin/python bench/matching.py --quick    # 10,000 visitors x 10 needs (under a minute)

The last line is ``matching: <seconds> s per need (<ratio> of the bare fetch)``.
"""

import argparse
import os
import random
import secrets
import statistics
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import bench_app, print_figures, timed  # noqa: E402

VISITORS = 10_000
EXHIBITORS = 40
FULL_NEEDS = 200
QUICK_NEEDS = 10
LANGUAGES = ["sv", "en", "ar", "so", "ti", "fa", "uk", "tr", "pl", "es"]
PLACES = ["Stockholm", "Solna", "Huddinge", "Botkyrka", "Södertälje", "Nacka"]


def build(rng: random.Random, needs: int) -> int:
    """One published fair with consenting registered visitors and ``needs`` needs; returns its id."""
    from bazaar.accounts.models import Organisation, User, VisitorProfile
    from bazaar.events.models import Event, EventOrganiser
    from bazaar.exhibitors.models import Exhibitor
    from bazaar.extensions import db
    from bazaar.matching.models import Need
    from bazaar.occupations import OCCUPATIONS
    from bazaar.registrations.models import Registration

    occupations = list(OCCUPATIONS)
    start = datetime(2027, 5, 9, 8, 0, tzinfo=UTC)
    event = Event(
        slug="bench-matching",
        name="Bench matching",
        venue_name="Arena",
        venue_address="Street 1",
        starts_at=start,
        ends_at=start + timedelta(hours=6),
        status="published",
    )
    event.organisers.append(EventOrganiser(organisation=Organisation(name="Bench org")))
    db.session.add(event)
    db.session.flush()

    def insert(table, rows, returning=False):
        statement = table.insert()
        if returning:
            return db.session.scalars(statement.returning(table.c.id, sort_by_parameter_order=True), rows).all()
        db.session.execute(statement, rows)
        return None

    exhibitor_ids = insert(
        Exhibitor.__table__,
        [
            {"event_id": event.id, "name": f"Employer {i}", "contact_name": "C", "contact_email": f"c{i}@b.invalid"}
            | {"status": "approved", "country": "SE", "org_type": "employer"}
            for i in range(EXHIBITORS)
        ],
        returning=True,
    )
    user_ids = insert(
        User.__table__,
        [{"email": f"v{i}@bench.invalid", "name": f"Visitor {i}"} for i in range(VISITORS)],
        returning=True,
    )
    insert(
        VisitorProfile.__table__,
        [
            {
                "user_id": uid,
                "occupations": rng.sample(occupations, rng.randint(1, 3)),
                "languages": rng.sample(LANGUAGES, rng.randint(1, 3)),
                "swedish_level": rng.choice(["none", "basic", "intermediate", "fluent", None]),
                "education_level": rng.choice(["compulsory", "upper_secondary", "post_secondary_short", "university"]),
                "driving_licence": rng.random() < 0.5,
                "available_from": date(2027, rng.randint(1, 12), 1),
                "municipality": rng.choice(PLACES),
                "consent_matching_at": start if rng.random() < 0.9 else None,
                "foreign_background": rng.choice(["born_abroad", "neither"]),
            }
            for uid in user_ids
        ],
    )
    insert(
        Registration.__table__,
        [
            {"event_id": event.id, "user_id": uid, "status": "registered", "ticket_code": secrets.token_hex(12)}
            for uid in user_ids
        ],
    )
    insert(
        Need.__table__,
        [
            {
                "exhibitor_id": exhibitor_ids[i % EXHIBITORS],
                "title": f"Need {i}",
                "occupations": rng.sample(occupations, rng.randint(1, 2)),
                "positions": rng.randint(1, 10),
                "languages": rng.sample(LANGUAGES, rng.randint(0, 2)),
                "education_level": rng.choice([None, "upper_secondary", "university"]),
                "driving_licence": rng.random() < 0.3,
                "location": rng.choice([None, *PLACES]),
                "starts_on": date(2027, rng.randint(1, 12), 15),
                "swedish_developing_ok": rng.random() < 0.5,
                "standing": False,
                "created_at": start,
            }
            for i in range(needs)
        ],
    )
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return event.id


def bare_fetch(event_id: int) -> int:
    """The rows ranking reads (the same columns, the lists as their JSON text), fetched with no
    scoring: the baseline."""
    from bazaar.extensions import db

    rows = db.session.execute(
        sa.text(
            "SELECT u.id, CAST(p.occupations AS TEXT), CAST(p.languages AS TEXT), p.swedish_level, "
            'p.education_level, p.driving_licence, p.available_from, p.municipality FROM "user" u '
            "JOIN visitor_profile p ON p.user_id = u.id "
            "JOIN registration r ON r.user_id = u.id AND r.event_id = :e AND r.status = 'registered' "
            "WHERE p.consent_matching_at IS NOT NULL AND u.is_active_account AND u.deleted_at IS NULL"
        ),
        {"e": event_id},
    ).all()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 needs instead of 200, under a minute")
    args = parser.parse_args()
    needs = QUICK_NEEDS if args.quick else FULL_NEEDS

    with bench_app():
        from bazaar.extensions import db
        from bazaar.matching import services
        from bazaar.matching.models import Need

        built = timed(build, random.Random(17), needs)
        event_id = built.result
        print(f"built_seconds: {built.seconds:.1f}", flush=True)
        all_needs = db.session.scalars(sa.select(Need).order_by(Need.id)).all()
        for need in all_needs:
            need.exhibitor  # noqa: B018  (loaded before timing, as a page has it already)

        full, bare = [], []
        for need in all_needs:
            full.append(timed(services.candidates, need))
            bare.append(timed(bare_fetch, event_id))
        rows = services.rank_rows(event_id)
        scoring = [timed(services.rank, services.spec(need), rows) for need in all_needs]

    def mean(timings, attribute="seconds"):
        return statistics.mean(getattr(t, attribute) for t in timings)

    walls = sorted(t.seconds for t in full)
    per_need = mean(full)
    print_figures(
        {
            "visitors": VISITORS,
            "consenting_candidates": len(rows),
            "needs": needs,
            "ranked_per_need_median": f"{statistics.median(t.result.total for t in full):.0f}",
            "shown_per_page": services.CANDIDATES_PER_PAGE,
            "load_average_1min": f"{os.getloadavg()[0]:.1f}",
            "scoring_only_seconds_per_need": mean(scoring),
            "scoring_only_cpu_seconds_per_need": mean(scoring, "cpu_seconds"),
            "bare_fetch_seconds_per_need": mean(bare),
            "bare_fetch_cpu_seconds_per_need": mean(bare, "cpu_seconds"),
            "candidates_cpu_seconds_per_need": mean(full, "cpu_seconds"),
            "candidates_seconds_per_need_p99": walls[max(0, int(len(walls) * 0.99) - 1)],
        },
        headline=("matching", f"{per_need:.4f} s per need ({per_need / mean(bare):.2f} of the bare fetch)"),
    )


if __name__ == "__main__":
    main()
