"""Cells for CSV and XLSX exports that a spreadsheet program opens safely.

Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return,
e.g. an exhibitor named "=HYPERLINK(...)") gets a leading apostrophe; control characters that XLSX
cannot hold (stored before the forms refused them) are dropped instead of failing the whole export.
"""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Numbers pass unchanged; text is cleaned of control characters and guarded against formulas."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value) -> str:
    """A CSV cell: ``safe_cell`` of the value as text, empty for None."""
    return safe_cell("" if value is None else str(value))
