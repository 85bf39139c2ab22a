"""Meeting records and attendance sheets from CSV or XLSX files (headers from ``nam template
meetings`` and ``nam template attendance``).

A meeting is held at a unit (a hamlet's party cell most often, any level) on a day, of a kind
(:data:`graph.activity.KINDS`); it is its code, or else its unit, day and kind
(:func:`graph.activity.meeting_key`). An attendance sheet names the meeting (its code, or its
unit, day and kind), the cadre, and whether they were present: "Có mặt" or "x", or "Vắng" with
the reason in brackets or after a dash ("Vắng (ốm)", "Vắng - đi công tác"). A recorded visit is
a meeting of kind ``visit`` with the visitor on its sheet.

Meetings are loaded first: a sheet's meetings are looked up in the graph. Refused, with the
file, row and column (nothing is written): a unit that is not in the graph or did not exist on
the meeting's day, a day before every policy, a kind that is not one, the same meeting twice in
a file; on a sheet, a meeting or cadre that is not in the graph, the same cadre twice at one
meeting, a presence that is neither present nor absent. A meeting outside the monthly window of
the policy in force (``activity.windows``) is loaded with a warning carrying the window's rule.

>>> presence("Vắng (ốm)"), presence("x"), presence("Vắng - đi công tác")
((False, 'ốm'), (True, ''), (False, 'đi công tác'))
>>> presence("có lẽ") is None
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from graph.activity import KINDS, Attendance, Meeting, kind_id, meeting_key
from graph.i18n import _, day, language
from graph.model import Unit
from graph.policy import Policy
from graph.stores.port import GraphStore
from graph.text import fold
from loaders.columns import ATTENDANCE, MEETINGS
from loaders.plan import Origin, Plan, make_plan
from loaders.records import _Reader
from loaders.tabular import Row, read_table

__all__ = ["plan_attendance", "plan_meetings", "policy_in_force", "presence"]

#: What staff write for "present" (folded: lower case, no diacritics).
PRESENT = frozenset({"x", "co mat", "co", "present", "yes", "tham du", "du", "✓", "✔"})
_ABSENT = re.compile(r"(?:vang|absent|khong co mat|khong du|khong)(?:\s+mat)?\b")
_DASHES = "-–—:"


def _bare(text: str) -> str:
    """``text`` in lower case without diacritics, one character for each of ``text``'s."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0]
        out.append("d" if ch in "đĐ" else base.lower()[:1] or ch)
    return "".join(out)


def presence(text: str) -> tuple[bool, str] | None:
    """Whether ``text`` says present (``(True, "")``) or absent with its reason
    (``(False, reason)``); ``None`` when it says neither."""
    value = text.strip()
    if fold(value) in PRESENT:
        return True, ""
    match = _ABSENT.match(_bare(value))
    if match is None:
        return None
    rest = value[match.end() :].strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    elif rest[:1] in _DASHES:
        rest = rest[1:].strip()
    return False, rest


def policy_in_force(store: GraphStore, on: date) -> Policy | None:
    """The policy in force on ``on``, or ``None`` on a day before the first policy's start
    (its ``valid_from``): the timeline puts the first policy in force from the beginning of
    time for the chain's questions, but activity before it has no rule to be read under."""
    timeline = store.timeline
    first = timeline.first
    if first.valid_from is not None and on < first.valid_from:
        return None
    return timeline.on(on)


def _kind_words() -> str:
    return "; ".join(words[0] for words in KINDS.values())


def _kind_name(kind: str) -> str:
    if language() != "vi":
        return kind
    return KINDS[kind][0] if kind in KINDS else kind


def _level_name(policy: Policy, level: str) -> str:
    if language() != "vi" or not policy.has_level(level):
        return level.replace("_", " ")
    return policy.level(level).label


@dataclass(frozen=True, slots=True)
class _Said:
    """A meeting as a row names it: its key, and the column to blame when it is wrong; when
    named by its unit, day and kind, those too."""

    key: str
    column: str
    unit: str = ""
    on: date | None = None


def _find_meetings(store: GraphStore, said: Iterable[_Said]) -> dict[str, list[Meeting]]:
    """For each key the rows name, the meetings it names. A meeting named by its unit, day and
    kind is found under its own code too (loaded with one), so a key may name several."""
    said = list(said)
    found = store.meetings({s.key for s in said})
    out = {key: [meeting] for key, meeting in found.items()}
    by_day: dict[date, set[str]] = {}
    for s in said:
        if s.key not in found and s.on is not None:
            by_day.setdefault(s.on, set()).add(s.unit)
    for when, codes in sorted(by_day.items()):
        for meeting in store.meetings_at(codes, when, when + timedelta(days=1)):
            key = meeting_key(meeting.unit, meeting.on, meeting.kind)
            if key not in found:
                out.setdefault(key, []).append(meeting)
    return out


class _ActivityReader(_Reader):
    def kind(self, row: Row, required: bool) -> str | None:
        if not row.get("kind"):
            if required:
                self.fail(
                    row,
                    "kind",
                    _("empty; give the kind of meeting ({kinds})").format(kinds=_kind_words()),
                    "empty_cell",
                )
            return None
        return self.parsed(
            row,
            "kind",
            kind_id,
            _("{value} is not a kind of meeting; use one of: {kinds}"),
            "unknown_meeting_kind",
            kinds=_kind_words(),
        )


def plan_meetings(
    store: GraphStore, path: Path, on: date | None = None, sheet: str | None = None
) -> Plan:
    """The plan of a file of meeting records (``on`` is unused: each meeting has its day)."""
    del on
    table = read_table(path, MEETINGS, sheet)
    reader = _ActivityReader(table, store.policy)
    units = store.units({code for row in table.rows if (code := row.get("unit"))})
    meetings: list[Meeting] = []
    origins: dict[str, Origin] = {}
    for row in table.rows:
        code = reader.text(row, "unit", required=True)
        when = reader.date(row, "date", required=True)
        kind = reader.kind(row, required=True)
        if not code or when is None or kind is None:
            continue
        unit = units.get(code)
        if unit is None:
            reader.fail(
                row,
                "unit",
                _(
                    "no unit {code} in the graph; check the code (`nam search NAME`) or load "
                    "the unit first"
                ).format(code=repr(code)),
                "unknown_unit",
            )
            continue
        policy = policy_in_force(store, when)
        if policy is None:
            first = store.timeline.first
            reader.fail(
                row,
                "date",
                _(
                    "no policy is in force on {date}: the first, {policy}, starts on {start}; "
                    "check the date"
                ).format(date=day(when), policy=first.id, start=day(first.valid_from)),
                "no_policy",
            )
            continue
        if not unit.exists_on(when):
            reader.fail(row, "date", not_in_force(unit, when), "unit_not_in_force")
            continue
        meeting = Meeting(
            row.get("id") or meeting_key(code, when, kind), code, when, kind, row.get("note")
        )
        if not _first(reader, row, meeting.id, "id" if row.get("id") else "unit", "meeting"):
            continue
        for window in policy.activity.windows:
            if not window.holds(meeting, unit.level):
                message = _(
                    "{date} is outside days {first} to {last} of the month, when {kind} "
                    "meetings at {level} are held ({rule}); loaded as written"
                ).format(
                    date=day(when),
                    first=window.first,
                    last=window.last,
                    kind=_kind_name(kind),
                    level=_level_name(policy, unit.level),
                    rule=window.id,
                )
                if policy.activity.illustrative:
                    message += " (" + _("the policy's figures are illustrative") + ")"
                reader.warnings.append(
                    table.problem(row.number, "date", message, window.id, window.id, "warning")
                )
        meetings.append(meeting)
        origins[f"meeting:{meeting.id}"] = reader.origin(row)
    return make_plan(
        store,
        meetings=meetings,
        origins=origins,
        problems=reader.problems,
        warnings=reader.warnings,
    )


def not_in_force(unit: Unit, when: date, record: str = "meeting") -> str:
    """Why a ``record`` ("meeting" or "petition") dated ``when`` cannot be at ``unit``: the
    unit did not exist that day."""
    started, ended = unit.started, unit.ended
    if started is not None and when < started:
        return _(
            "unit {code} did not exist yet on {date} (it starts on {start}); check the date "
            "or the unit"
        ).format(code=repr(unit.code), date=day(when), start=day(started))
    if ended is not None and when >= ended:
        words = {"code": repr(unit.code), "date": day(when), "end": day(ended)}
        if record == "petition":
            return _(
                "unit {code} no longer existed on {date} (it ended on {end}); record the "
                "petition at the unit that succeeded it"
            ).format(**words)
        return _(
            "unit {code} no longer existed on {date} (it ended on {end}); record the meeting "
            "at the unit that succeeded it"
        ).format(**words)
    return _("unit {code} did not exist on {date}; check the date or the unit").format(
        code=repr(unit.code), date=day(when)
    )


def _first(reader: _Reader, row: Row, key: str, column: str, what: str) -> bool:
    """Whether ``key`` is on no earlier row of the file (else a problem on this row)."""
    seen = reader.seen.get(key)
    if seen is None:
        reader.seen[key] = row.number
        return True
    message = (
        _("the same meeting is also on row {row}; keep one row per meeting")
        if what == "meeting"
        else _("this cadre is also on row {row} for the same meeting; keep one of the rows")
    )
    reader.fail(row, column, message.format(row=seen), f"duplicate_{what}")
    return False


def plan_attendance(
    store: GraphStore, path: Path, on: date | None = None, sheet: str | None = None
) -> Plan:
    """The plan of an attendance sheet (``on`` is unused: each meeting has its day)."""
    del on
    table = read_table(path, ATTENDANCE, sheet)
    reader = _ActivityReader(table, store.policy)
    said: dict[int, _Said] = {}
    for row in table.rows:
        found = _meeting_named(reader, row)
        if found is not None:
            said[row.number] = found
    meetings = _find_meetings(store, said.values())
    cadres = store.cadres({cadre for row in table.rows if (cadre := row.get("cadre"))})
    attendance: list[Attendance] = []
    origins: dict[str, Origin] = {}
    for row in table.rows:
        cadre = reader.text(row, "cadre", required=True)
        if not row.get("presence"):
            reader.fail(
                row,
                "presence",
                _("empty; write Có mặt (or x) or Vắng with the reason, e.g. Vắng (ốm)"),
                "empty_cell",
            )
            answer = None
        else:
            answer = presence(row.get("presence"))
            if answer is None:
                reader.fail(
                    row,
                    "presence",
                    _(
                        "{value} is neither present nor absent; write Có mặt (or x) or Vắng "
                        "with the reason, e.g. Vắng (ốm)"
                    ).format(value=repr(row.get("presence"))),
                    "bad_presence",
                )
        named = said.get(row.number)
        candidates = meetings.get(named.key, []) if named is not None else []
        meeting = candidates[0] if len(candidates) == 1 else None
        if named is not None and len(candidates) > 1:
            reader.fail(
                row,
                named.column,
                _(
                    "{n} meetings of this unit, day and kind are in the graph ({ids}); give "
                    "the meeting's code instead"
                ).format(n=len(candidates), ids=", ".join(repr(m.id) for m in candidates)),
                "ambiguous_meeting",
            )
        elif named is not None and meeting is None:
            reader.fail(
                row,
                named.column,
                _(
                    "no meeting {meeting} in the graph; load the meeting records first "
                    "(`nam load meetings FILE`) or check the meeting"
                ).format(meeting=repr(named.key)),
                "unknown_meeting",
            )
        if cadre and cadre not in cadres:
            reader.fail(
                row,
                "cadre",
                _(
                    "no cadre {id} in the graph; check the id (`nam search NAME`) or load the "
                    "cadre first"
                ).format(id=repr(cadre)),
                "unknown_cadre",
            )
            continue
        if meeting is None or not cadre or answer is None:
            continue
        record = Attendance(meeting.id, cadre, *answer)
        if not _first(reader, row, record.key, "cadre", "attendance"):
            continue
        attendance.append(record)
        origins[f"attendance:{record.key}"] = reader.origin(row)
    return make_plan(
        store,
        attendance=attendance,
        origins=origins,
        problems=reader.problems,
        warnings=reader.warnings,
    )


def _meeting_named(reader: _ActivityReader, row: Row) -> _Said | None:
    """The meeting a row of a sheet names: its code, or its unit, day and kind."""
    if row.get("meeting"):
        return _Said(row.get("meeting"), "meeting")
    code = row.get("unit")
    when = reader.date(row, "date")
    kind = reader.kind(row, required=False)
    if code and when is not None and kind is not None:
        return _Said(meeting_key(code, when, kind), "unit", code, when)
    if code and row.get("date") and row.get("kind"):
        return None  # the date or the kind is wrong, and said so
    reader.fail(
        row,
        "meeting",
        _(
            "no meeting named; give its code ({meeting}) or its unit, date and kind "
            "({unit}, {date}, {kind})"
        ).format(
            meeting=repr(ATTENDANCE.column("meeting").header),
            unit=repr(ATTENDANCE.column("unit").header),
            date=repr(ATTENDANCE.column("date").header),
            kind=repr(ATTENDANCE.column("kind").header),
        ),
        "no_meeting",
    )
    return None
