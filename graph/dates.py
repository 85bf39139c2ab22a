"""Dates as the users write them: ISO (2022-08-26) or Vietnamese day-first (26/8/2022).

Validity intervals are half-open: a record valid from ``since`` until ``until`` counts on every
day ``d`` with ``since <= d < until``; an empty ``until`` means still in force.

>>> parse_date("26/8/2022")
datetime.date(2022, 8, 26)
>>> in_force(date(2022, 8, 26), None, date(2022, 8, 26))
True
>>> in_force(date(2022, 8, 26), date(2023, 1, 1), date(2023, 1, 1))
False
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["date", "in_force", "parse_date", "today"]

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_date(text: str) -> date:
    """Parse an ISO or day-first date; raise ``ValueError`` with a hint otherwise."""
    value = text.strip()
    match = _DMY.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write it as 2022-08-26 or 26/8/2022") from None


def in_force(since: date | None, until: date | None, on: date) -> bool:
    """True when the half-open interval [since, until) contains ``on``."""
    return (since is None or since <= on) and (until is None or on < until)


def today() -> date:
    return date.today()
