"""Dates as the users write them: ISO (2022-08-26) or Vietnamese day-first (26/8/2022).

Validity intervals are half-open: a record valid from ``since`` until ``until`` counts on every
day ``d`` with ``since <= d < until``; an empty ``until`` means still in force.

>>> parse_date("26/8/2022")
datetime.date(2022, 8, 26)
>>> in_force(date(2022, 8, 26), None, date(2022, 8, 26))
True
>>> in_force(date(2022, 8, 26), date(2023, 1, 1), date(2023, 1, 1))
False

"Today" is the date in Việt Nam (``NAM_TZ``, default ``Asia/Ho_Chi_Minh``), not the server's:
a server in UTC would otherwise answer for yesterday until 07:00.

>>> today(datetime(2024, 2, 29, 18, 30, tzinfo=UTC))
datetime.date(2024, 3, 1)
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from graph.i18n import _

__all__ = ["DEFAULT_TZ", "date", "in_force", "parse_date", "today", "zone"]

#: The time zone of "today" when ``NAM_TZ`` names none.
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
#: Việt Nam's offset, which has not changed since 1975: "today" when the machine has no time
#: zone database (a slim container image) and ``NAM_TZ`` is the default.
_VIETNAM = timezone(timedelta(hours=7), DEFAULT_TZ)

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
        raise ValueError(
            _("{text} is not a date: write it as 2022-08-26 or 26/8/2022").format(text=repr(text))
        ) from None


def in_force(since: date | None, until: date | None, on: date) -> bool:
    """True when the half-open interval [since, until) contains ``on``."""
    return (since is None or since <= on) and (until is None or on < until)


def zone() -> tzinfo:
    """The time zone of "today": ``NAM_TZ``, else Asia/Ho_Chi_Minh. ``ValueError`` names a
    ``NAM_TZ`` that is not a time zone."""
    name = os.environ.get("NAM_TZ", "").strip() or DEFAULT_TZ
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_TZ:
            return _VIETNAM
        raise ValueError(
            _("NAM_TZ={name} is not a time zone: name one such as {zone} or UTC").format(
                name=repr(name), zone=DEFAULT_TZ
            )
        ) from None


def _now() -> datetime:
    return datetime.now(UTC)


def today(now: datetime | None = None) -> date:
    """Today's date in the time zone of :func:`zone` (at ``now`` when given, an aware time)."""
    return (now or _now()).astimezone(zone()).date()
