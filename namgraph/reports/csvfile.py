"""A report as CSV: UTF-8 with a byte order mark (so Excel reads Vietnamese right), commas,
one header row. Values stay as machines read them: ids, plain numbers, ratios as fractions,
ISO dates, ``true``/``false``. Every sheet of the report goes into the one file, so their
columns must agree (the gap sheets of each level do: their rows carry their level).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from graph.i18n import _
from graph.text import field_text
from namgraph.reports.files import replaced
from namgraph.reports.table import Report, Value, formula_like

__all__ = ["csv_bytes", "csv_cell", "write_csv"]


def csv_cell(value: Value) -> str:
    """A value as CSV text; a text a spreadsheet would take for a formula gets a leading
    apostrophe, so that a unit named ``=HYPERLINK(...)`` stays a name.

    >>> [csv_cell(v) for v in ("=1+1", "Ấp 1", -3, 0.5, True, None)]
    ["'=1+1", 'Ấp 1', '-3', '0.5', 'true', '']
    """
    if isinstance(value, str):
        return "'" + value if formula_like(value) else value
    return field_text(value)


def csv_bytes(report: Report) -> bytes:
    """The report's rows, all sheets in one table, as the bytes of a CSV file."""
    columns = report.sheets[0].columns
    if any(sheet.columns != columns for sheet in report.sheets):
        raise ValueError("the sheets of this report have different columns: write it as XLSX")
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(_(column.header) for column in columns)
    for sheet in report.sheets:
        writer.writerows([csv_cell(value) for value in row] for row in sheet.rows)
    return text.getvalue().encode("utf-8-sig")


def write_csv(report: Report, path: Path) -> None:
    """Write the report's rows, all sheets in one table, to ``path`` whole or not at all."""
    data = csv_bytes(report)
    with replaced(path) as handle:
        handle.write(data)
