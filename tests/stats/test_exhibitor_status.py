"""An exhibitor whose status changed counts the same way in every figure and table of a snapshot:
approved when compiled, or took part on the day (an interview marked held or no-show)."""

from datetime import timedelta

from bazaar.stats.compile import compile_event
from tests import factories as f

PEOPLE = 5  # per exhibitor and kind of row, so no cell is suppressed and the columns add up

# name -> (status when compiled, [(booking status, attendance, outcome)] * PEOPLE rows, counts?)
EXHIBITORS = {
    "Approved AB": ("approved", ("confirmed", "attended", "hired"), True),
    "Rejected after the fair AB": ("rejected", ("confirmed", "attended", "hired"), True),
    "Withdrawn, only no-shows AB": ("waitlisted", ("confirmed", "no_show", None), True),
    "Rejected before the fair AB": ("rejected", ("cancelled", "unknown", None), False),
    "Approved, no bookings AB": ("approved", None, True),
}
SUMMED = {
    "bookings_made": "bookings_made",
    "bookings_cancelled": "bookings_cancelled",
    "interviews_held": "interviews_held",
    "interview_no_shows": "interview_no_shows",
    "hired": "outcome_hired",
}


def test_every_table_counts_the_same_exhibitors(ctx):
    ev = f.event(starts_in=timedelta(days=-40))
    counted = set()
    expected = dict.fromkeys(SUMMED.values(), 0)
    for name, (status, row, counts) in EXHIBITORS.items():
        ex = f.exhibitor(ev, name=name, status=status)
        if counts:
            counted.add(ex.id)
        for _ in range(PEOPLE if row else 0):
            booking_status, attendance, outcome = row
            f.interview(f.registration(ev), ex, status=booking_status, attendance=attendance, outcome=outcome)
            if counts:
                expected["bookings_made"] += 1
                expected["bookings_cancelled"] += booking_status == "cancelled"
                expected["interviews_held"] += booking_status == "confirmed" and attendance == "attended"
                expected["interview_no_shows"] += booking_status == "confirmed" and attendance == "no_show"
                expected["outcome_hired"] += outcome == "hired"

    figures = compile_event(ev.id)
    headline, table = figures["headline"], figures["per_exhibitor"]
    assert {row["id"] for row in table} == counted
    assert (
        headline["exhibitors"]
        == len(counted)
        == sum(n for _c, n in figures["exhibitors_by_country"])
        == sum(n for _t, n in figures["exhibitors_by_type"])
    )
    for measure, figure in SUMMED.items():
        assert headline[figure] == expected[figure] == sum(row[measure] for row in table), measure
