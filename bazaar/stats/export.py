"""CSV and XLSX exports of a snapshot, written by ``bazaar.spreadsheets`` (every cell made safe there)."""

from flask_babel import gettext as _

from bazaar import spreadsheets
from bazaar.i18n import country_name
from bazaar.stats import labels
from bazaar.stats.compile import (
    BREAKDOWN_MEASURES,
    DEFINITIONS,
    EXHIBITOR_MEASURES,
    GROUP_MEASURES,
    JOB_COUNTRY_MEASURES,
)


def _count(value):
    return _("hidden") if value is None else value


def headline_rows(figures: dict) -> list[list]:
    return [[str(labels.FIGURES[key]), value, str(DEFINITIONS[key])] for key, value in figures["headline"].items()]


def breakdown_rows(figures: dict) -> list[list]:
    rows = []
    for dimension, table in figures["breakdowns"].items():
        for row in table["rows"]:
            rows.append(
                [labels.dimension_label(dimension, table), labels.dimension_value(dimension, row["value"], table)]
                + [_count(row[m]) for m in BREAKDOWN_MEASURES]
            )
    return rows


def exhibitor_rows(figures: dict) -> list[list]:
    return [
        [row["name"], country_name(row["country"]), str(labels.ORG_TYPES.get(row["org_type"], row["org_type"]))]
        + [_count(row[m]) for m in EXHIBITOR_MEASURES]
        for row in figures["per_exhibitor"]
    ]


def group_rows(figures: dict) -> list[list]:
    """Totals by the exhibitors' country of registration (absent from snapshots before schema 2)."""
    return [
        [country_name(row["country"])] + [_count(row[m]) for m in GROUP_MEASURES]
        for row in figures.get("by_exhibitor_group", [])
    ]


def job_country_rows(figures: dict) -> list[list]:
    """Interviews held and hires by the country of the job (absent from snapshots before it was compiled)."""
    return [
        [country_name(row["country"])] + [_count(row[m]) for m in JOB_COUNTRY_MEASURES]
        for row in figures.get("by_job_country", [])
    ]


DAY_MEASURES = ("visitors", "interviews_held", "visitors_interviewed")


def day_rows(figures: dict) -> list[list]:
    """Each day of the fair (absent from snapshots before days were compiled)."""
    return [[row["day"]] + [row[m] for m in DAY_MEASURES] for row in figures.get("per_day", [])]


def _day_header() -> list[str]:
    return [_("Day")] + [
        str(labels.FIGURES[key]) for key in ("visitors_checked_in", "interviews_held", "visitors_interviewed")
    ]


def to_csv(figures: dict, sep: str = ";") -> str:
    """One long table: section, figure, category, value."""
    rows = []
    write = rows.append
    for name, value, _definition in headline_rows(figures):
        write([_("Headline"), name, "", value])
    for key, value in figures["funnel"]:
        write([_("Funnel"), str(labels.FIGURES[key]), "", value])
    for row in day_rows(figures):
        for name, value in zip(_day_header()[1:], row[1:]):
            write([_("Per day of the fair"), name, row[0], value])
    for code, n in figures["exhibitors_by_country"]:
        write([_("Exhibitors by country"), str(labels.FIGURES["exhibitors"]), country_name(code), n])
    for code, n in figures["exhibitors_by_type"]:
        write([_("Exhibitors by type"), str(labels.FIGURES["exhibitors"]), str(labels.ORG_TYPES.get(code, code)), n])
    for code, n in figures.get("exhibitors_by_job_country", []):
        write([_("Exhibitors by job country"), str(labels.FIGURES["exhibitors"]), country_name(code), n])
    for row in group_rows(figures):
        for measure, value in zip(GROUP_MEASURES, row[1:]):
            write([_("By the exhibitor's country"), str(labels.MEASURES[measure]), row[0], value])
    for row in job_country_rows(figures):
        for measure, value in zip(JOB_COUNTRY_MEASURES, row[1:]):
            write([_("By the country of the job"), str(labels.MEASURES[measure]), row[0], value])
    for code, n in figures["survey_results"]:
        write([_("Survey results"), str(labels.FIGURES["survey_respondents"]), str(labels.SURVEY_RESULTS[code]), n])
    for row in breakdown_rows(figures):
        for measure, value in zip(BREAKDOWN_MEASURES, row[2:]):
            write([row[0], str(labels.MEASURES[measure]), row[1], value])
    for row in exhibitor_rows(figures):
        for measure, value in zip(EXHIBITOR_MEASURES, row[3:]):
            write([_("Per exhibitor"), str(labels.MEASURES[measure]), row[0], value])
    return spreadsheets.to_csv([_("Section"), _("Figure"), _("Category"), _("Value")], rows, sep)


def to_xlsx(figures: dict) -> bytes:
    """A workbook with one sheet per table and one with every definition."""
    sheets = [
        (_("Headline"), [_("Figure"), _("Value"), _("Definition")], headline_rows(figures)),
        (
            _("Funnel"),
            [_("Step"), _("Visitors")],
            [[str(labels.FIGURES[key]), value] for key, value in figures["funnel"]],
        ),
        (_("Per day of the fair"), _day_header(), day_rows(figures)),
        (
            _("Breakdowns"),
            [_("Breakdown"), _("Answer")] + [str(labels.MEASURES[m]) for m in BREAKDOWN_MEASURES],
            breakdown_rows(figures),
        ),
        (
            _("Per exhibitor"),
            [_("Exhibitor"), _("Country"), _("Type")] + [str(labels.MEASURES[m]) for m in EXHIBITOR_MEASURES],
            exhibitor_rows(figures),
        ),
        (
            _("By the exhibitor's country"),
            [_("Country")] + [str(labels.MEASURES[m]) for m in GROUP_MEASURES],
            group_rows(figures),
        ),
        (
            _("By the country of the job"),
            [_("Country")] + [str(labels.MEASURES[m]) for m in JOB_COUNTRY_MEASURES],
            job_country_rows(figures),
        ),
        (_("Definitions"), [_("Figure"), _("Definition")], [[key, str(text)] for key, text in DEFINITIONS.items()]),
    ]
    return spreadsheets.to_xlsx(sheets)
