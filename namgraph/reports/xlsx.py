"""A report as an Excel workbook, one sheet per table, ready to print for a meeting.

- Counts are numbers shown ``#,##0``, ratios numbers shown as percentages, dates date cells
  shown ``d/m/yyyy``; machine id columns are left out (the CSV keeps them).
- The header row is bold, frozen, filtered, and printed again at the top of every page.
- A4, landscape when the table is wide, one page wide; the unit and the date head each page,
  its number is at the foot.
- A text is never a formula: openpyxl would store a text beginning with ``=`` as one, so every
  text a spreadsheet could take for a formula is stored as a string marked with a quote prefix
  (which also keeps Excel from reading it as a formula when someone edits the cell).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from graph.i18n import _, day
from namgraph.reports import labels
from namgraph.reports.files import replaced
from namgraph.reports.table import Column, Kind, Report, Sheet, Value, formula_like

__all__ = ["DATE_FORMAT", "workbook", "write_xlsx", "xlsx_bytes"]

COUNT_FORMAT = "#,##0"
RATIO_FORMAT = "0.0%"
DATE_FORMAT = "d/m/yyyy"
_FORMATS = {Kind.COUNT: COUNT_FORMAT, Kind.RATIO: RATIO_FORMAT, Kind.DATE: DATE_FORMAT}
#: Wider than this many characters, a table is printed across the page.
LANDSCAPE_FROM = 100
#: No column is made wider than this for its longest text (longer ones wrap).
WIDEST = 45
_BOLD = Font(bold=True)
_HEADER = Alignment(wrap_text=True, vertical="center")
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def write_xlsx(report: Report, path: Path) -> None:
    """Write the report as a workbook to ``path``, whole or not at all."""
    book = workbook(report)
    with replaced(path) as handle:
        book.save(handle)


def xlsx_bytes(report: Report) -> bytes:
    """The report as the bytes of a workbook file."""
    buffer = io.BytesIO()
    workbook(report).save(buffer)
    return buffer.getvalue()


def workbook(report: Report) -> Workbook:
    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    taken: set[str] = set()
    for sheet in report.sheets:
        page = book.create_sheet(_sheet_name(_(sheet.title), taken))
        _fill(page, sheet)
        _print_setup(page, report, sheet)
    return book


def _fill(page: Worksheet, sheet: Sheet) -> None:
    shown = [i for i, column in enumerate(sheet.columns) if not column.machine]
    columns = [sheet.columns[i] for i in shown]
    for col, column in enumerate(columns, start=1):
        cell = _cell(page, 1, col)
        _set_text(cell, _(column.header))
        cell.font = _BOLD
        cell.alignment = _HEADER
    last = len(sheet.rows) + 1
    for row_number, row in enumerate(sheet.rows, start=2):
        total = sheet.total_last and row_number == last
        for col, i in enumerate(shown, start=1):
            cell = _cell(page, row_number, col)
            _set(cell, columns[col - 1], row[i])
            if total:
                cell.font = _BOLD
    for col, column in enumerate(columns, start=1):
        values = (row[shown[col - 1]] for row in sheet.rows)
        page.column_dimensions[get_column_letter(col)].width = _width(column, values)
    page.freeze_panes = "A2"
    if columns:
        page.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{last}"


def _cell(page: Worksheet, row: int, column: int) -> Cell:
    cell = page.cell(row=row, column=column)
    assert isinstance(cell, Cell)  # no cell of a report's sheet is merged
    return cell


def _set(cell: Cell, column: Column, value: Value) -> None:
    if value is None:
        return
    if column.kind is Kind.FLAG:
        if value:
            _set_text(cell, _(labels.YES))
        return
    if isinstance(value, str):
        _set_text(cell, value)
        return
    cell.value = value
    if column.kind in _FORMATS and isinstance(value, int | float | date):
        cell.number_format = _FORMATS[column.kind]


def _set_text(cell: Cell, text: str) -> None:
    """Put ``text`` in the cell as a string, never a formula."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.value = text
    if formula_like(text):
        cell.data_type = "s"  # openpyxl made a text beginning with "=" a formula
        cell.quotePrefix = True


def _width(column: Column, values: Iterable[Value]) -> float:
    """The column's own width, or the longest text in it up to :data:`WIDEST`, plus margin."""
    longest = column.width
    if column.kind is Kind.TEXT:
        for value in values:
            if isinstance(value, str):
                longest = max(longest, min(len(value), WIDEST))
    return longest + 2


def _sheet_name(title: str, taken: set[str]) -> str:
    """A name Excel accepts (31 characters, none of ``[]:*?/\\``), unique in the workbook."""
    base = _SHEET_NAME.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.casefold())
    return name


def _print_setup(page: Worksheet, report: Report, sheet: Sheet) -> None:
    widths = [
        page.column_dimensions[get_column_letter(col)].width or 0
        for col in range(1, page.max_column + 1)
    ]
    setup = page.page_setup
    setup.paperSize = page.PAPERSIZE_A4
    setup.orientation = "landscape" if sum(widths) > LANDSCAPE_FROM else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as it takes
    page.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    page.print_title_rows = "1:1"
    unit = report.unit
    title = _(report.title) if len(report.sheets) == 1 else f"{_(report.title)}: {_(sheet.title)}"
    header, footer = page.oddHeader, page.oddFooter
    assert header is not None and footer is not None
    header.left.text = _page_text(f"{unit.code} {unit.name}")
    header.center.text = _page_text(title)
    header.right.text = _page_text(_(labels.PAGE_DATE).format(date=day(report.as_of)))
    footer.center.text = _(labels.PAGE_NUMBER)


def _page_text(text: str) -> str:
    """Text for a page header: ``&`` starts a code there, so a literal one is doubled."""
    return text.replace("&", "&&")
