"""What assigned cadres actually did: meetings held at units, and who attended them.

An assignment says who should follow a unit; a meeting record and its attendance sheet say who
came. A recorded visit (a cadre going to a household group, say) is a meeting of kind
``visit`` with the visitor on its sheet. What counts as *present*, over which period, and the
meeting windows and yearly minimums are the policy's (``activity:`` in ``policies/*.yaml``, see
:class:`ActivityRules`).

>>> meeting_key("83001.01", date(2024, 3, 12), "regular")
'83001.01|2024-03-12|regular'
>>> kind_id("Chi bộ thường kỳ")
'regular'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.text import fold

__all__ = [
    "KINDS",
    "ActivityRules",
    "Attendance",
    "Handover",
    "Meeting",
    "MeetingWindow",
    "Minimum",
    "Petition",
    "Presence",
    "kind_id",
    "meeting_key",
    "months_before",
    "parse_activity",
    "petition_kind",
]


@dataclass(frozen=True, slots=True)
class Meeting:
    """A meeting held at ``unit`` on ``on``: a cell's regular meeting, a thematic one, a
    conference, a committee meeting, or a recorded visit."""

    id: str
    unit: str
    on: date
    kind: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Attendance:
    """Cadre ``cadre`` at meeting ``meeting``: present, or absent with a reason."""

    meeting: str
    cadre: str
    present: bool = True
    reason: str = ""

    @property
    def key(self) -> str:
        return attendance_key(self.meeting, self.cadre)


@dataclass(frozen=True, slots=True)
class Handover:
    """On ``on``, the petition was passed on to cadre ``cadre`` (one level up the chain)."""

    cadre: str
    on: date


#: Kinds of petition, with the Vietnamese words staff write for them.
PETITION_KINDS: Mapping[str, tuple[str, ...]] = {
    "petition": ("Kiến nghị", "kiến nghị", "đề nghị"),
    "complaint": ("Phản ánh", "phản ánh"),
}


@dataclass(frozen=True, slots=True)
class Petition:
    """A petition (kiến nghị) or complaint (phản ánh) raised at ``unit`` (a hamlet or household
    group) on ``raised``, received by cadre ``received_by``, passed up the chain level by level
    (``handovers``, dated) and answered (``answered``) or closed without an answer
    (``closed``). ``text`` is personal data: only officers see it."""

    id: str
    unit: str
    raised: date
    received_by: str
    kind: str = "petition"
    text: str = ""
    handovers: tuple[Handover, ...] = ()
    answered: date | None = None
    closed: date | None = None

    @property
    def ended(self) -> date | None:
        """The day it was answered or closed (None: still open)."""
        days = [d for d in (self.answered, self.closed) if d is not None]
        return min(days) if days else None

    def open_on(self, day: date) -> bool:
        ended = self.ended
        return self.raised <= day and (ended is None or day < ended)

    def overdue_on(self, day: date, answer_days: int) -> bool:
        """Open on ``day`` and raised more than ``answer_days`` days before it."""
        return self.open_on(day) and (day - self.raised).days > answer_days

    def answered_in_time(self, answer_days: int) -> bool:
        return self.answered is not None and (self.answered - self.raised).days <= answer_days

    def holder_on(self, day: date) -> str:
        """The cadre the petition is waiting with on ``day``: the last one it was passed to."""
        holder = self.received_by
        for handover in self.handovers:
            if handover.on <= day:
                holder = handover.cadre
        return holder

    def handlers(self) -> tuple[str, ...]:
        """Every cadre who held it, in order, the receiver first."""
        return (self.received_by, *(h.cadre for h in self.handovers))


def petition_kind(text: str) -> str | None:
    """The kind of petition ``text`` names (id, label or alias, with or without diacritics)."""
    words = {fold(w): kind for kind, ws in PETITION_KINDS.items() for w in (kind, *ws)}
    return words.get(fold(text))


def attendance_key(meeting: str, cadre: str) -> str:
    return f"{meeting}|{cadre}"


def meeting_key(unit: str, on: date, kind: str) -> str:
    """The id of a meeting given without one: its unit, date and kind (one meeting of a kind
    per unit and day)."""
    return f"{unit}|{on.isoformat()}|{kind}"


#: Meeting kinds, with the Vietnamese words staff write for them.
KINDS: Mapping[str, tuple[str, ...]] = {
    "regular": ("Sinh hoạt chi bộ thường kỳ", "chi bộ thường kỳ", "thường kỳ", "sinh hoạt"),
    "thematic": ("Sinh hoạt chuyên đề", "chuyên đề"),
    "conference": ("Hội nghị", "hội nghị"),
    "committee": ("Họp cấp ủy", "cấp ủy", "họp ban thường vụ", "họp đảng ủy"),
    "visit": ("Thăm, làm việc", "thăm", "làm việc", "đi cơ sở"),
}
_KIND_WORDS = {fold(word): kind for kind, words in KINDS.items() for word in (kind, *words)}


def kind_id(text: str) -> str | None:
    """The kind of meeting ``text`` names (id, label or alias, with or without diacritics)."""
    return _KIND_WORDS.get(fold(text))


def kind_label(kind: str) -> str:
    return KINDS[kind][0] if kind in KINDS else kind


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when it has fewer)."""
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


#: The most levels under a unit whose meetings make its supporter present (``Presence.below``).
MOST_BELOW = 3


@dataclass(frozen=True, slots=True)
class Presence:
    """What makes the supporter of a unit of ``level`` present: attending, during the period,
    a meeting of one of ``kinds`` (any kind when empty) held at the unit or at a unit up to
    ``below`` levels under it (as the map stood on the meeting's day)."""

    level: str
    below: int = 0
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MeetingWindow:
    """Meetings of ``kinds`` at units of ``level`` fall on days ``first``..``last`` of the
    month; one outside is a warning of rule ``id``."""

    id: str
    level: str
    kinds: tuple[str, ...]
    first: int
    last: int

    def holds(self, meeting: Meeting, level: str) -> bool:
        """True unless ``meeting`` (at a unit of ``level``) is one this window governs and it
        falls outside the window."""
        if level != self.level or meeting.kind not in self.kinds:
            return True
        return self.first <= meeting.on.day <= self.last


@dataclass(frozen=True, slots=True)
class Minimum:
    """Cadres holding one of ``titles`` attend at least ``per_year`` meetings a year held at
    units of ``level`` (rule ``id``)."""

    id: str
    titles: tuple[str, ...]
    per_year: int
    level: str


@dataclass(frozen=True, slots=True)
class ActivityRules:
    """The policy's ``activity:`` section. ``illustrative``: the figures are examples where no
    rule of the province is known (say so wherever they are shown)."""

    active_months: int = 6
    presence: Mapping[str, Presence] | None = None
    windows: tuple[MeetingWindow, ...] = ()
    minimums: tuple[Minimum, ...] = ()
    petition_answer_days: int = 30
    illustrative: bool = False

    def presence_for(self, level: str) -> Presence:
        found = (self.presence or {}).get(level)
        return found if found is not None else Presence(level)

    def minimum_for(self, titles: tuple[str, ...]) -> Minimum | None:
        """The first minimum whose titles the cadre holds (policy order: the strictest
        title first, as written)."""
        for minimum in self.minimums:
            if any(title in minimum.titles for title in titles):
                return minimum
        return None


def parse_activity(
    data: Mapping[str, Any] | None, levels: set[str], titles: set[str], where: str
) -> ActivityRules:
    """The ``activity:`` section of a policy file; ValueError says what is wrong in it."""
    if not data:
        return ActivityRules()
    presence: dict[str, Presence] = {}
    for level, raw in (data.get("presence") or {}).items():
        _known(level, levels, f"{where}: activity.presence")
        kinds = tuple(raw.get("kinds", ()))
        for kind in kinds:
            _known(kind, set(KINDS), f"{where}: activity.presence.{level}")
        below = int(raw.get("below", 0))
        if not 0 <= below <= MOST_BELOW:
            raise ValueError(
                f"{where}: activity.presence.{level}.below must be 0 to {MOST_BELOW}, not {below}"
            )
        presence[level] = Presence(level, below, kinds)
    windows = []
    for raw in data.get("windows", ()):
        _known(raw["level"], levels, f"{where}: activity.windows {raw['id']}")
        first, last = raw["days"]
        windows.append(
            MeetingWindow(
                str(raw["id"]), raw["level"], tuple(raw.get("kinds", ("regular",))), first, last
            )
        )
    minimums = []
    for raw in data.get("minimums", ()):
        for title in raw["titles"]:
            _known(title, titles, f"{where}: activity.minimums {raw['id']}")
        _known(raw.get("level", "hamlet"), levels, f"{where}: activity.minimums {raw['id']}")
        minimums.append(
            Minimum(
                str(raw["id"]),
                tuple(raw["titles"]),
                int(raw["per_year"]),
                str(raw.get("level", "hamlet")),
            )
        )
    return ActivityRules(
        active_months=int(data.get("active_months", 6)),
        presence=presence,
        windows=tuple(windows),
        minimums=tuple(minimums),
        petition_answer_days=int(data.get("petition_answer_days", 30)),
        illustrative=bool(data.get("illustrative", False)),
    )


def _known(value: str, known: set[str], where: str) -> None:
    if value not in known:
        raise ValueError(f"{where}: unknown {value!r}; one of: {', '.join(sorted(known))}")
