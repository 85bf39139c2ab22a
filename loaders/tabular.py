"""Reading CSV and XLSX files into rows of NFC text, with each cell's file, row and column.

Refused with a clear problem and its code: a file that is missing (``no_file``) or empty
(``empty_file``), a CSV that is not UTF-8 (``not_utf8``), a row with more cells than the header
(``extra_cells``), a formula cell in a workbook (``formula_cell``: its value is not stored, so it
must be pasted as a value), a required column that is missing (``column_missing``), a column
named twice (``column_repeated``), more rows than the caps allow (``row_cap``), and the
workbook dangers of :mod:`loaders.workbook`. Problems name the file as ``name`` (an upload's
own name, never the server's temporary path).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from graph.i18n import _
from graph.i18n import number as written
from graph.text import fold, nfc
from loaders.caps import Caps
from loaders.columns import Layout
from loaders.problems import LoadError, Problem
from loaders.workbook import read_xlsx

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
    warnings: list[Problem] = field(default_factory=list)

    def problem(
        self,
        row: int | None,
        key: str | None,
        message: str,
        rule: str = "input",
        code: str = "",
        severity: str = "error",
    ) -> Problem:
        column = self.headers.get(key, self.layout.column(key).header) if key else None
        return Problem(self.file, row, column, message, rule, severity, code)


def read_table(
    path: Path,
    layout: Layout,
    sheet: str | None = None,
    *,
    name: str | None = None,
    caps: Caps | None = None,
) -> Table:
    """Read ``path`` (``.csv``, ``.xlsx``) as a table of ``layout``; raise :class:`LoadError`.

    ``sheet`` chooses a workbook's sheet; ``name`` is what problems call the file (default:
    its path); ``caps`` bound its rows and unpacked size (default: the command line's)."""
    name = name or str(path)
    caps = caps or Caps.for_command_line()
    if not path.is_file():
        raise LoadError(
            [Problem(name, None, None, _("no such file; check the path"), code="no_file")]
        )
    size = path.stat().st_size
    if size == 0:
        raise LoadError([Problem(name, None, None, _empty_hint(layout), code="empty_file")])
    if size > MAX_BYTES:
        raise LoadError(
            [
                Problem(
                    name,
                    None,
                    None,
                    _("file is larger than {max} bytes; split it").format(max=MAX_BYTES),
                    code="file_too_large",
                )
            ]
        )
    suffix = path.suffix.lower()
    warnings: list[Problem] = []
    if suffix in (".xlsx", ".xlsm"):
        book = read_xlsx(path, name, sheet, caps)
        raw_rows, warnings = book.rows, book.warnings
    elif suffix in (".csv", ".txt", ".tsv"):
        raw_rows = _csv_rows(path, name, caps)
    else:
        raise LoadError(
            [
                Problem(
                    name,
                    None,
                    None,
                    _("{suffix}: save the file as .csv (UTF-8) or .xlsx").format(suffix=suffix)
                    if suffix
                    else _("no extension: save the file as .csv (UTF-8) or .xlsx"),
                    code="file_type",
                )
            ]
        )
    rows = [(number, cells) for number, cells in raw_rows if any(c.strip() for c in cells)]
    if not rows:
        raise LoadError([Problem(name, None, None, _empty_hint(layout), code="empty_file")])
    header_number, header = rows[0]
    table = _bind_header(name, layout, header_number, header)
    table.warnings.extend(warnings)
    problems: list[Problem] = []
    keys = _header_keys(layout, header)
    for number, cells in rows[1:]:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    _(
                        "the row has {cells} cells but the header has {header}; "
                        "remove the extra cells or quote text that contains a comma"
                    ).format(cells=len(cells), header=len(header)),
                    code="extra_cells",
                )
            )
            continue
        values = {key: nfc(cells[i]) for i, key in enumerate(keys) if key and i < len(cells)}
        table.rows.append(Row(number, values))
    if problems:
        raise LoadError(problems)
    if not table.rows:
        raise LoadError(
            [
                Problem(
                    name,
                    None,
                    None,
                    _("the file has a header but no rows; add rows below it"),
                    code="no_rows",
                )
            ]
        )
    return table


def _empty_hint(layout: Layout) -> str:
    if layout.kind == "admin":
        return _("the file is empty; export the administrative-unit list again")
    return _("the file is empty; start from `nam template {kind}`").format(kind=layout.kind)


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
                    _("this column repeats {column}; keep one of them").format(
                        column=repr(headers[key])
                    ),
                    code="column_repeated",
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
                    _(
                        "required column {header} (or {key}) is missing; add it to the header row"
                    ).format(header=repr(column.header), key=repr(column.key)),
                    code="column_missing",
                )
            )
    if problems:
        raise LoadError(problems)
    return Table(name, layout, headers)


def _csv_rows(path: Path, name: str, caps: Caps) -> list[tuple[int, list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise LoadError(
            [
                Problem(
                    name,
                    line,
                    None,
                    _(
                        "byte {byte} is not UTF-8 text; save the file as 'CSV UTF-8' "
                        "(in Excel: File > Save As > CSV UTF-8)"
                    ).format(byte=err.start),
                    code="not_utf8",
                )
            ]
        ) from None
    if "\x00" in text:
        raise LoadError(
            [
                Problem(
                    name,
                    None,
                    None,
                    _("the file holds binary data; save it as CSV UTF-8"),
                    code="binary_data",
                )
            ]
        )
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if len(out) >= caps.rows:
                raise LoadError(
                    [
                        Problem(
                            name,
                            reader.line_num,
                            None,
                            _(
                                "the file has more than {rows} rows, the most one file "
                                "may have ({setting}); split it"
                            ).format(rows=written(caps.rows), setting=caps.rows_setting),
                            code="row_cap",
                        )
                    ]
                )
            out.append((reader.line_num, cells))
    except csv.Error as err:
        raise LoadError(
            [
                Problem(
                    name,
                    reader.line_num,
                    None,
                    _("cannot read the row: {error}").format(error=err),
                    code="csv_unreadable",
                )
            ]
        ) from None
    return out
