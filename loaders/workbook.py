"""Reading the rows of an XLSX workbook that may have been made to hurt.

- **Sizes first.** The zip directory's uncompressed sizes are summed before anything is
  inflated; a workbook that unpacks to more than the cap is refused (``workbook_too_large``).
  Python's zip reader never yields more than a member's declared size, so the sum holds.
- **No DTDs.** Every XML part is scanned for ``<!DOCTYPE`` / ``<!ENTITY`` (in any of the
  encodings XML allows) before a parser sees it; Excel never writes one, and they carry
  billion-laughs expansion and external entities (XXE). Such a workbook is refused
  (``xlsx_unsafe``).
- **Every row.** Rows are read as the sheet holds them, not up to the ``dimension`` the file
  declares (often stale), and counted as they come: past the row cap, reading stops
  (``row_cap``).
- **One sheet.** Data on a second sheet is refused (``sheet_extra``) unless a sheet is chosen.
- **Visible warnings.** Hidden rows are read, with a warning naming each (``hidden_row``).
- **Values, not formulas** (``formula_cell``).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph.i18n import N_, _
from graph.i18n import number as written
from loaders.caps import Caps
from loaders.problems import LoadError, Problem

__all__ = ["MAX_COLUMNS", "Sheet", "read_xlsx"]

#: The widest row read; a value further right is refused.
MAX_COLUMNS = 256
#: Zip members a workbook may have.
MAX_MEMBERS = 2000
_MARKERS = (b"<!doctype", b"<!entity")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
#: Why a workbook cannot be read, by the exception the parser raised.
_UNREADABLE = {
    "BadZipFile": N_(
        "not a readable .xlsx workbook (not a zip archive, or a damaged one); "
        "save it again from Excel"
    ),
    "ParseError": N_(
        "not a readable .xlsx workbook (its XML is damaged); save it again from Excel"
    ),
    "KeyError": N_(
        "not a readable .xlsx workbook (a part it names is missing); save it again from Excel"
    ),
}
_UNREADABLE_OTHER = N_(
    "not a readable .xlsx workbook (its content is not what Excel writes); save it again from Excel"
)


class Sheet:
    """The rows of the chosen sheet, with the warnings found reading them."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, list[str]]] = []
        self.warnings: list[Problem] = []


def read_xlsx(path: Path, name: str, sheet: str | None, caps: Caps) -> Sheet:
    """The rows of ``sheet`` (else the only sheet with data) of the workbook at ``path``;
    problems are given against ``name``. Raise :class:`LoadError`."""
    _check_archive(path, name, caps)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # a file from anyone: whatever the parser trips on is the file's
        raise LoadError([_unreadable(name, exc)]) from None
    try:
        return _read_book(book, name, sheet, caps)
    except LoadError:
        raise
    except Exception as exc:  # as above: a damaged part found while reading rows
        raise LoadError([_unreadable(name, exc)]) from None
    finally:
        book.close()


def _unreadable(name: str, exc: Exception) -> Problem:
    message = _UNREADABLE.get(type(exc).__name__, _UNREADABLE_OTHER)
    return Problem(
        name,
        None,
        None,
        _(message),
        code="xlsx_unreadable",
    )


def _check_archive(path: Path, name: str, caps: Caps) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            unpacked = sum(m.file_size for m in members)
            if len(members) > MAX_MEMBERS or unpacked > caps.unpacked_bytes:
                raise LoadError(
                    [
                        Problem(
                            name,
                            None,
                            None,
                            _(
                                "the workbook unpacks to {unpacked} bytes in {parts} parts, "
                                "more than the {allowed} bytes allowed ({setting}); "
                                "split it into smaller files"
                            ).format(
                                unpacked=written(unpacked),
                                parts=len(members),
                                allowed=written(caps.unpacked_bytes),
                                setting=caps.unpacked_setting,
                            ),
                            code="workbook_too_large",
                        )
                    ]
                )
            for member in members:
                if member.filename.lower().endswith(_XML_SUFFIXES) and _declares_dtd(
                    archive, member
                ):
                    raise LoadError(
                        [
                            Problem(
                                name,
                                None,
                                None,
                                _(
                                    "the workbook's part {part} declares a document type or "
                                    "entities (<!DOCTYPE>, <!ENTITY>), which Excel never writes "
                                    "and which can expand without end or read other files; it "
                                    "was not read. Copy the data into a new workbook"
                                ).format(part=repr(member.filename)),
                                code="xlsx_unsafe",
                            )
                        ]
                    )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
        raise LoadError([_unreadable(name, zipfile.BadZipFile(str(exc)))]) from None


def _declares_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether the part holds a DTD or entity declaration, read in steps (UTF-16 and UTF-32
    too: their NUL bytes are dropped before looking)."""
    tail = b""
    with archive.open(member) as handle:
        while chunk := handle.read(1024 * 1024):
            text = tail + chunk.replace(b"\x00", b"").lower()
            if any(marker in text for marker in _MARKERS):
                return True
            tail = text[-16:]
    return False


def _read_book(book: Any, name: str, sheet: str | None, caps: Caps) -> Sheet:
    sheets = list(book.worksheets)
    if sheet is not None:
        chosen = next((ws for ws in sheets if ws.title == sheet), None)
        if chosen is None:
            names = ", ".join(repr(ws.title) for ws in sheets)
            raise LoadError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        _("no sheet {sheet} in the workbook; its sheets are {names}").format(
                            sheet=repr(sheet), names=names
                        ),
                        code="sheet_missing",
                    )
                ]
            )
    else:
        if not sheets:
            raise LoadError([_unreadable(name, ValueError("no worksheet"))])
        chosen = sheets[0]
        with_data = [ws.title for ws in sheets[1:] if _has_data(book, ws)]
        if with_data:
            listed = ", ".join(repr(t) for t in [chosen.title, *with_data])
            raise LoadError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        _(
                            "the workbook has data on more than one sheet ({sheets}); only one "
                            "is read: keep the data on one sheet, or choose it (--sheet NAME; "
                            "in the API, the sheet argument)"
                        ).format(sheets=listed),
                        code="sheet_extra",
                    )
                ]
            )
    return _read_sheet(book, chosen, name, caps)


def _parsed_rows(book: Any, ws: Any) -> Iterator[tuple[int, list[dict[str, Any]], bool]]:
    """Each row of ``ws`` as the file holds it: its number, its cells, whether it is hidden.
    The sheet's declared dimension is not used."""
    from openpyxl.worksheet._reader import WorkSheetParser

    with closing(ws._get_source()) as source:
        parser: Any = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=False,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            attributes = parser.row_dimensions.get(str(number), {})
            hidden = str(attributes.get("hidden", "")).lower() in ("1", "true")
            yield number, cells, hidden


def _has_data(book: Any, ws: Any) -> bool:
    rows = _parsed_rows(book, ws)
    return any(any(_cell_text(c["value"]).strip() for c in cells) for _, cells, _ in rows)


def _read_sheet(book: Any, ws: Any, name: str, caps: Caps) -> Sheet:
    out = Sheet()
    problems: list[Problem] = []
    header: list[str] = []
    for count, (number, cells, hidden) in enumerate(_parsed_rows(book, ws), start=1):
        if count > caps.rows:
            raise LoadError(
                [
                    Problem(
                        name,
                        number,
                        None,
                        _(
                            "the sheet has more than {rows} rows, the most one file may "
                            "have ({setting}); split it"
                        ).format(rows=written(caps.rows), setting=caps.rows_setting),
                        code="row_cap",
                    )
                ]
            )
        row = _row_values(cells, number, header, name, problems)
        if not header and any(c.strip() for c in row):
            header = row
        elif hidden and any(c.strip() for c in row):
            out.warnings.append(
                Problem(
                    name,
                    number,
                    None,
                    _(
                        "row {row} is hidden in the workbook; it was read like the others "
                        "(unhide it to see what it holds)"
                    ).format(row=number),
                    severity="warning",
                    code="hidden_row",
                )
            )
        out.rows.append((number, row))
    if problems:
        raise LoadError(problems)
    return out


def _row_values(
    cells: list[dict[str, Any]], number: int, header: list[str], name: str, problems: list[Problem]
) -> list[str]:
    row: list[str] = []
    for cell in cells:
        index = int(cell["column"]) - 1
        value = cell["value"]
        text = _cell_text(value)
        column = header[index] if index < len(header) else _("column {n}").format(n=index + 1)
        if index >= MAX_COLUMNS:
            if text.strip():
                problems.append(
                    Problem(
                        name,
                        number,
                        column,
                        _("a value beyond the first {n} columns; remove it").format(n=MAX_COLUMNS),
                        code="extra_cells",
                    )
                )
            continue
        if cell.get("data_type") == "f" or text.startswith("="):
            problems.append(
                Problem(
                    name,
                    number,
                    column,
                    _(
                        "cell holds a formula ({formula}); copy the column and paste it as values"
                    ).format(formula=text),
                    code="formula_cell",
                )
            )
            text = ""
        if index >= len(row):
            row.extend([""] * (index + 1 - len(row)))
        row[index] = text
    return row


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
