"""Reading CSV and XLSX files into rows of NFC text, with each cell's file, row and column.

Refused with a clear problem: a file that is missing or empty, a CSV that is not UTF-8, a row
with more cells than the header, a formula cell in a workbook (its value is not stored, so it
must be pasted as a value), a required column that is missing, a column named twice.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from graph.text import fold, nfc
from loaders.columns import Layout
from loaders.problems import LoadError, Problem

__all__ = ["Row", "Table", "read_table"]

MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass
class Table:
    file: str
    layout: Layout
    headers: dict[str, str]
    rows: list[Row] = field(default_factory=list)

    def problem(
        self, row: int | None, key: str | None, message: str, rule: str = "input"
    ) -> Problem:
        column = self.headers.get(key, self.layout.column(key).header) if key else None
        return Problem(self.file, row, column, message, rule)


def read_table(path: Path, layout: Layout, sheet: str | None = None) -> Table:
    """Read ``path`` (``.csv``, ``.xlsx``) as a table of ``layout``; raise :class:`LoadError`."""
    name = str(path)
    if not path.is_file():
        raise LoadError([Problem(name, None, None, "no such file; check the path")])
    size = path.stat().st_size
    if size == 0:
        raise LoadError([Problem(name, None, None, _empty_hint(layout))])
    if size > MAX_BYTES:
        raise LoadError(
            [Problem(name, None, None, f"file is larger than {MAX_BYTES} bytes; split it")]
        )
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw_rows = _xlsx_rows(path, sheet)
    elif suffix in (".csv", ".txt", ".tsv"):
        raw_rows = _csv_rows(path)
    else:
        raise LoadError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"{suffix or 'no extension'}: save the file as .csv (UTF-8) or .xlsx",
                )
            ]
        )
    rows = [(number, cells) for number, cells in raw_rows if any(c.strip() for c in cells)]
    if not rows:
        raise LoadError([Problem(name, None, None, _empty_hint(layout))])
    header_number, header = rows[0]
    table = _bind_header(name, layout, header_number, header)
    problems: list[Problem] = []
    keys = _header_keys(layout, header)
    for number, cells in rows[1:]:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    f"the row has {len(cells)} cells but the header has {len(header)}; "
                    "remove the extra cells or quote text that contains a comma",
                )
            )
            continue
        values = {key: nfc(cells[i]) for i, key in enumerate(keys) if key and i < len(cells)}
        table.rows.append(Row(number, values))
    if problems:
        raise LoadError(problems)
    if not table.rows:
        raise LoadError(
            [Problem(name, None, None, "the file has a header but no rows; add rows below it")]
        )
    return table


def _empty_hint(layout: Layout) -> str:
    if layout.kind == "admin":
        return "the file is empty; export the administrative-unit list again"
    return f"the file is empty; start from `nam template {layout.kind}`"


def _header_keys(layout: Layout, header: list[str]) -> list[str | None]:
    lookup = layout.lookup()
    return [lookup[fold(h)].key if fold(h) in lookup else None for h in header]


def _bind_header(name: str, layout: Layout, number: int, header: list[str]) -> Table:
    keys = _header_keys(layout, header)
    headers: dict[str, str] = {}
    problems: list[Problem] = []
    for text, key in zip(header, keys, strict=True):
        if key is None:
            continue
        if key in headers:
            problems.append(
                Problem(
                    name,
                    number,
                    nfc(text),
                    f"this column repeats {headers[key]!r}; keep one of them",
                )
            )
        headers[key] = nfc(text)
    for column in layout.columns:
        if column.required and column.key not in headers:
            problems.append(
                Problem(
                    name,
                    number,
                    column.header,
                    f"required column {column.header!r} (or {column.key!r}) is missing; "
                    f"add it to the header row",
                )
            )
    if problems:
        raise LoadError(problems)
    return Table(name, layout, headers)


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise LoadError(
            [
                Problem(
                    str(path),
                    line,
                    None,
                    f"byte {err.start} is not UTF-8 text; save the file as 'CSV UTF-8' "
                    "(in Excel: File > Save As > CSV UTF-8)",
                )
            ]
        ) from None
    if "\x00" in text:
        raise LoadError(
            [Problem(str(path), None, None, "the file holds binary data; save it as CSV UTF-8")]
        )
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            out.append((reader.line_num, cells))
    except csv.Error as err:
        raise LoadError(
            [Problem(str(path), reader.line_num, None, f"cannot read the row: {err}")]
        ) from None
    return out


def _xlsx_rows(path: Path, sheet: str | None) -> list[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as err:
        raise LoadError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    f"not a readable .xlsx workbook ({err}); save it again from Excel",
                )
            ]
        ) from None
    try:
        ws = book[sheet] if sheet else book.worksheets[0]
        out: list[tuple[int, list[str]]] = []
        problems: list[Problem] = []
        header: list[str] = []
        for number, row in enumerate(ws.iter_rows(), start=1):
            cells: list[str] = []
            for index, cell in enumerate(row):
                value = cell.value
                if getattr(cell, "data_type", None) == "f" or (
                    isinstance(value, str) and value.startswith("=")
                ):
                    column = header[index] if index < len(header) else f"column {index + 1}"
                    problems.append(
                        Problem(
                            str(path),
                            number,
                            column,
                            f"cell holds a formula ({value}); copy the column and paste it as values",
                        )
                    )
                    cells.append("")
                    continue
                cells.append(_cell_text(value))
            if not header and any(c.strip() for c in cells):
                header = cells
            out.append((number, cells))
        if problems:
            raise LoadError(problems)
        return out
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
