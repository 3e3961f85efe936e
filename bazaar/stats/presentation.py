"""Turning a snapshot's figures into what the pages show: labelled rows and SVG charts."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from bazaar.exhibitors.models import Exhibitor
from bazaar.i18n import country_name, localized_attrs
from bazaar.stats import labels
from bazaar.stats.charts import bar_chart, grouped_bar_chart
from bazaar.stats.compile import BREAKDOWN_MEASURES, DEFINITIONS, HEADLINE, exhibitor_counts

# The figures a funder asks for first, shown as cards and compared across events.
KEY_FIGURES = (
    "visitors_hired",
    "jobs_total",
    "exhibitors",
    "exhibitors_foreign",
    "visitors_checked_in",
    "interviews_held",
    "attribution_share",
)


def _count_text(value) -> str:
    """A count, or a dash where it is hidden to protect privacy."""
    return labels.format_figure("count", value)


def headline(figures: dict, keys=HEADLINE) -> list[dict]:
    """Labelled figures; a figure an older snapshot did not compile yet shows as a dash."""
    return [
        {
            "id": key,
            "label": labels.FIGURES[key],
            "value": labels.format_figure(key, figures["headline"].get(key)),
            "definition": DEFINITIONS[key],
        }
        for key in keys
    ]


def per_day(figures: dict, tz: str) -> list[dict]:
    """The per-day rows with the day as a time to format (its local noon); empty for one day or an
    older snapshot."""
    days = figures.get("per_day") or []
    if len(days) < 2:
        return []
    zone = ZoneInfo(tz)
    return [row | {"at": datetime.combine(date.fromisoformat(row["day"]), time(12), zone)} for row in days]


# An exhibitor's own results on its dashboard: its count, and the statistics' figure whose name and
# definition it has.
OWN_RESULTS = (
    ("bookings_made", "bookings_made"),
    ("interviews_held", "interviews_held"),
    ("interview_no_shows", "interview_no_shows"),
    ("offers", "outcome_offer"),
    ("hired", "outcome_hired"),
)


def exhibitor_results(exhibitor: Exhibitor) -> list[dict]:
    """The exhibitor's own figures, live and counted as the statistics count them, with their
    definitions (its own outcomes, so nothing is hidden)."""
    (counts,) = exhibitor_counts(exhibitor.event_id, Exhibitor.id == exhibitor.id)
    return [
        {"id": key, "label": labels.FIGURES[figure], "value": counts[key], "definition": DEFINITIONS[figure]}
        for key, figure in OWN_RESULTS
    ]


def funnel_chart(figures: dict):
    return bar_chart(
        _("From registration to job"),
        [(str(labels.FIGURES[key]), value, _count_text(value)) for key, value in figures["funnel"]],
    )


def exhibitor_charts(figures: dict) -> list:
    by_country = [(country_name(code), n, _count_text(n)) for code, n in figures["exhibitors_by_country"]]
    by_type = [(str(labels.ORG_TYPES.get(code, code)), n, _count_text(n)) for code, n in figures["exhibitors_by_type"]]
    by_job_country = [
        (country_name(code), n, _count_text(n)) for code, n in figures.get("exhibitors_by_job_country", [])
    ]
    charts = [bar_chart(_("Exhibitors by country"), by_country), bar_chart(_("Exhibitors by type"), by_type)]
    if by_job_country:  # compiled since schema 2
        charts.append(bar_chart(_("Exhibitors by country of the job"), by_job_country))
    return charts


def survey_chart(figures: dict):
    return bar_chart(
        _("What survey respondents obtained"),
        [(str(labels.SURVEY_RESULTS[code]), n, _count_text(n)) for code, n in figures["survey_results"]],
    )


def breakdowns(figures: dict) -> list[dict]:
    """Each breakdown with readable rows and a chart of who obtained a job."""
    out = []
    for dimension, table in figures["breakdowns"].items():
        name = labels.dimension_label(dimension, table)
        rows = [
            {
                "label": labels.dimension_value(dimension, row["value"], table),
                "cells": [_count_text(row[m]) for m in BREAKDOWN_MEASURES],
            }
            for row in table["rows"]
        ]
        chart = bar_chart(
            _("Registered visitors: %(breakdown)s", breakdown=name),
            [
                (
                    labels.dimension_value(dimension, row["value"], table),
                    row["registered"],
                    _count_text(row["registered"]),
                )
                for row in table["rows"]
            ],
        )
        out.append(
            {
                "id": dimension,
                "label": name,
                "attrs": localized_attrs(table["question"]["text"]) if "question" in table else "",
                "sensitive": table["sensitive"],
                "withheld": table.get("withheld", False),
                "rows": rows,
                "chart": None if not rows else chart,
            }
        )
    return out


def comparison(pairs) -> dict:
    """Figures of several events side by side, and a chart of the key figures."""
    compiled = [(event, snapshot) for event, snapshot in pairs if snapshot is not None]
    rows = [
        {
            "label": labels.FIGURES[key],
            "definition": DEFINITIONS[key],
            "values": [
                labels.format_figure(key, snapshot.figures["headline"].get(key)) if snapshot else "–"
                for _event, snapshot in pairs
            ],
        }
        for key in HEADLINE
    ]
    groups = []
    for key in KEY_FIGURES:
        values = [s.figures["headline"].get(key) for _e, s in compiled]
        groups.append((str(labels.FIGURES[key]), values, [labels.format_figure(key, v) for v in values]))
    chart = grouped_bar_chart(_("Key figures by event"), [e.name for e, _s in compiled], groups) if compiled else None
    return {"rows": rows, "chart": chart}
