"""Problems found in input files: where (file, row, column) and what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.i18n import _

__all__ = ["LoadError", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file. ``row`` is the spreadsheet row (the header is 1).

    ``code`` is stable for scripts (``not_utf8``, ``sheet_extra``, ``formula_cell``,
    ``row_cap``, ...; a validation rule's id for what validation finds), and the message
    is for people."""

    file: str
    row: int | None
    column: str | None
    message: str
    rule: str = "input"
    severity: str = "error"
    code: str = ""

    def __post_init__(self) -> None:
        if not self.code:
            object.__setattr__(self, "code", "bad_value" if self.rule == "input" else self.rule)

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column:
            where.append(_("column {column}").format(column=repr(self.column)))
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
        }


class LoadError(Exception):
    """Input that cannot be loaded; nothing was written."""

    #: Whether the problems were already printed as JSON (``--json``).
    emitted: bool = False

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
