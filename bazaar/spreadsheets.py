"""Cells, CSV and XLSX for every export, so that a spreadsheet program opens them safely and well.

Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return,
e.g. an exhibitor named "=HYPERLINK(...)") gets a leading apostrophe; control characters that XLSX
cannot hold (stored before the forms refused them) are dropped instead of failing the whole export.

CSV starts with a UTF-8 byte order mark (else Excel reads "Å" as "Ã…") and is separated by
semicolons unless commas are asked for: Excel in Swedish (and most of Europe, where the decimal sign
is a comma) splits columns on ";" only. Times are local, to the minute (see
:func:`bazaar.i18n.spreadsheet_time`).
"""

import csv
import io
from datetime import datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
SEPARATORS = {"semicolon": ";", "comma": ","}
TIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDEST_COLUMN = 60


def safe_cell(value):
    """Numbers and times pass unchanged; text is cleaned of control characters and guarded against formulas."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(value) -> str:
    """A CSV cell: ``safe_cell`` of the value as text, empty for None, times as 2026-12-12 16:30."""
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    return safe_cell("" if value is None else str(value))


def separator(choice: str | None) -> str:
    """The CSV separator asked for (``?sep=comma``); semicolons otherwise."""
    return SEPARATORS.get(choice or "", SEPARATORS["semicolon"])


def to_csv(header: list, rows, sep: str = ";") -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=sep)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(c) for c in row])
    return out.getvalue()


def _shown_width(value) -> int:
    if isinstance(value, datetime):
        return len(XLSX_TIME_FORMAT)
    return max((len(line) for line in str(value).splitlines()), default=0) if value is not None else 0


def to_xlsx(sheets: list[tuple[str, list, list]]) -> bytes:
    """A workbook of (title, header, rows) sheets: a bold header row that stays in view when
    scrolling, columns as wide as their text (up to a limit), times shown to the minute."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([safe_cell(h) for h in header])
        for row in rows:
            sheet.append([safe_cell(c) for c in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(sheet.iter_cols(), start=1):
            for cell in column:
                if isinstance(cell.value, datetime):
                    cell.number_format = XLSX_TIME_FORMAT
            width = max(_shown_width(cell.value) for cell in column)
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), WIDEST_COLUMN)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(body, filename: str) -> Response:
    """The export as a file to save (never cached: it holds personal data)."""
    if filename.endswith(".xlsx"):
        mimetype = XLSX_TYPE
    else:
        mimetype = "text/csv"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
