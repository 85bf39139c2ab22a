"""A report as plain values, before it is a file: sheets of typed columns and rows.

The builders (:mod:`namgraph.reports.build`) make these from the store's answers; the writers
(:mod:`namgraph.reports.xlsx`, :mod:`namgraph.reports.csvfile`) decide how each kind of value
looks in their format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from graph.model import Unit

__all__ = ["FORMULA_STARTS", "Column", "Kind", "Report", "Sheet", "Value", "formula_like"]

#: One cell: text, a count, a ratio (0..1), a date, a yes/no, or nothing.
Value = str | int | float | date | bool | None

#: A text beginning with one of these is taken for a formula by a spreadsheet opening it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula.

    >>> formula_like('=HYPERLINK("x")'), formula_like("-1"), formula_like("Ấp 1")
    (True, True, False)
    """
    return text.startswith(FORMULA_STARTS)


class Kind(Enum):
    TEXT = "text"
    COUNT = "count"
    RATIO = "ratio"
    DATE = "date"
    FLAG = "flag"


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header, the kind of its values, and the width it needs at least (in
    characters). ``machine`` columns hold ids that only the CSV keeps (the workbook shows the
    label beside them instead)."""

    header: str
    kind: Kind = Kind.TEXT
    width: int = 12
    machine: bool = False


@dataclass(frozen=True, slots=True)
class Sheet:
    """One table: a sheet of the workbook. ``total_last`` marks the last row as the total."""

    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Value, ...]] = field(default_factory=list)
    total_last: bool = False

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} values for {len(self.columns)} columns")


@dataclass(frozen=True, slots=True)
class Report:
    """What a report is about (``title``, the unit, the date) and its sheets."""

    title: str
    unit: Unit
    as_of: date
    sheets: Sequence[Sheet]

    @property
    def rows(self) -> int:
        return sum(len(sheet.rows) for sheet in self.sheets)
