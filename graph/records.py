"""Records as compact rows, for the embedded store's file and for moving data between stores."""

from __future__ import annotations

from datetime import date
from typing import Any

from graph.activity import Attendance, Handover, Meeting, Petition
from graph.model import Assignment, Cadre, Status, StatusPeriod, Succession, Unit, UnitVersion

__all__ = [
    "assignment_from_row",
    "assignment_row",
    "attendance_from_row",
    "attendance_row",
    "cadre_from_row",
    "cadre_row",
    "meeting_from_row",
    "meeting_row",
    "petition_from_row",
    "petition_row",
    "unit_from_row",
    "unit_row",
]


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _p(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def unit_row(u: Unit) -> list[Any]:
    row: list[Any] = [
        u.code,
        u.name,
        u.level,
        u.kind,
        u.parent,
        u.households,
        _d(u.valid_from),
        _d(u.valid_to),
    ]
    if u.earlier or u.decision or u.successors:
        row.append(
            [
                [_d(v.valid_from), _d(v.valid_to), v.name, v.kind, v.parent, v.decision]
                for v in u.earlier
            ]
        )
        row.append(u.decision)
        row.append([[s.code, _d(s.on), s.resolution] for s in u.successors])
    return row


def unit_from_row(r: list[Any]) -> Unit:
    earlier = tuple(
        UnitVersion(_p(f), _p(t), name, kind, parent, decision)
        for f, t, name, kind, parent, decision in (r[8] if len(r) > 8 else ())
    )
    decision = r[9] if len(r) > 9 else ""
    successors = tuple(
        Succession(code, date.fromisoformat(on), resolution)
        for code, on, resolution in (r[10] if len(r) > 10 else ())
    )
    return Unit(
        r[0], r[1], r[2], r[3], r[4], r[5], _p(r[6]), _p(r[7]), earlier, decision, successors
    )


def cadre_row(c: Cadre) -> list[Any]:
    history = [[str(p.status), _d(p.since)] for p in c.history]
    return [c.id, c.name, c.level, c.home_unit, list(c.titles), history, c.phone]


def cadre_from_row(r: list[Any]) -> Cadre:
    history = tuple(StatusPeriod(Status(s), _p(since)) for s, since in r[5])
    return Cadre(r[0], r[1], r[2], r[3], tuple(r[4]), history, r[6])


def assignment_row(a: Assignment) -> list[Any]:
    return [a.id, a.cadre, a.unit, a.role, _d(a.since), _d(a.until), a.decision]


def assignment_from_row(r: list[Any]) -> Assignment:
    since = _p(r[4])
    assert since is not None
    return Assignment(r[0], r[1], r[2], r[3], since, _p(r[5]), r[6])


def meeting_row(m: Meeting) -> list[Any]:
    return [m.id, m.unit, m.on.isoformat(), m.kind, m.note]


def meeting_from_row(r: list[Any]) -> Meeting:
    return Meeting(r[0], r[1], date.fromisoformat(r[2]), r[3], r[4])


def attendance_row(a: Attendance) -> list[Any]:
    return [a.meeting, a.cadre, a.present, a.reason]


def attendance_from_row(r: list[Any]) -> Attendance:
    return Attendance(r[0], r[1], bool(r[2]), r[3])


def petition_row(p: Petition) -> list[Any]:
    return [
        p.id,
        p.unit,
        p.raised.isoformat(),
        p.received_by,
        p.kind,
        p.text,
        [[h.cadre, h.on.isoformat()] for h in p.handovers],
        _d(p.answered),
        _d(p.closed),
    ]


def petition_from_row(r: list[Any]) -> Petition:
    handovers = tuple(Handover(cadre, date.fromisoformat(on)) for cadre, on in r[6])
    return Petition(
        r[0], r[1], date.fromisoformat(r[2]), r[3], r[4], r[5], handovers, _p(r[7]), _p(r[8])
    )
