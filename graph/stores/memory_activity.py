"""The embedded store's activity: meetings and attendance (:mod:`graph.activity`), kept beside
the chain graph rather than in it, indexed by unit and by cadre.

Like the assignments, each write generation has its own tables while readers keep the previous
generation's; the tables are :class:`SharedMap` s, so a copy costs the buckets a write touches.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from typing import Any

from graph.activity import Attendance, Meeting, Petition
from graph.stores.shared_map import SharedMap

__all__ = ["ActivityTables"]

#: An attendance row in a cadre's index: the meeting's day, the meeting, the row's key.
Entry = tuple[date, str, str]


class ActivityTables:
    """Meetings by id, attendance by key, and the indexes the questions read: the meetings of
    each unit and the attendance rows of each cadre."""

    __slots__ = (
        "attendance",
        "by_cadre",
        "by_meeting",
        "by_unit",
        "meetings",
        "petitions",
        "petitions_by_cadre",
        "petitions_by_unit",
    )

    def __init__(self) -> None:
        self.meetings: SharedMap[str, Meeting] = SharedMap()
        self.attendance: SharedMap[str, Attendance] = SharedMap()
        self.by_unit: SharedMap[str, tuple[str, ...]] = SharedMap()
        #: Per cadre, their attendance rows as (meeting day, meeting id, key), sorted.
        self.by_cadre: SharedMap[str, tuple[Entry, ...]] = SharedMap()
        self.by_meeting: SharedMap[str, tuple[str, ...]] = SharedMap()
        self.petitions: SharedMap[str, Petition] = SharedMap()
        self.petitions_by_unit: SharedMap[str, tuple[str, ...]] = SharedMap()
        self.petitions_by_cadre: SharedMap[str, tuple[str, ...]] = SharedMap()

    def tables(self) -> tuple[SharedMap[str, Any], ...]:
        """Every table, to keep them off the cycle collector's list."""
        return (
            self.meetings,
            self.attendance,
            self.by_unit,
            self.by_cadre,
            self.by_meeting,
            self.petitions,
            self.petitions_by_unit,
            self.petitions_by_cadre,
        )

    def copy(self) -> ActivityTables:
        """Tables equal to these that a write may change without changing these."""
        other = ActivityTables.__new__(ActivityTables)
        other.meetings = self.meetings.copy()
        other.attendance = self.attendance.copy()
        other.by_unit = self.by_unit.copy()
        other.by_cadre = self.by_cadre.copy()
        other.by_meeting = self.by_meeting.copy()
        other.petitions = self.petitions.copy()
        other.petitions_by_unit = self.petitions_by_unit.copy()
        other.petitions_by_cadre = self.petitions_by_cadre.copy()
        return other

    def __len__(self) -> int:
        return len(self.meetings) + len(self.attendance) + len(self.petitions)

    def write(self, meetings: Iterable[Meeting], attendance: Iterable[Attendance]) -> None:
        added_to: dict[str, list[str]] = {}
        moved: set[str] = set()  # meetings whose day changed: their attendance is re-sorted
        for meeting in meetings:
            old = self.meetings.get(meeting.id)
            if old is not None and old.unit != meeting.unit:
                self.by_unit[old.unit] = tuple(m for m in self.by_unit[old.unit] if m != old.id)
            if old is None or old.unit != meeting.unit:
                added_to.setdefault(meeting.unit, []).append(meeting.id)
            if old is not None and old.on != meeting.on:
                moved.add(meeting.id)
            self.meetings[meeting.id] = meeting
        for unit, ids in added_to.items():
            self.by_unit[unit] = (*(self.by_unit.get(unit) or ()), *ids)
        dirty: dict[str, list[Entry]] = {}
        for mid in moved:
            for key in self.by_meeting.get(mid) or ():
                dirty.setdefault(self.attendance[key].cadre, [])
        at_meeting: dict[str, list[str]] = {}
        for row in attendance:
            key = row.key
            if key not in self.attendance:
                held = self.meetings.get(row.meeting)
                day = held.on if held is not None else date.min
                dirty.setdefault(row.cadre, []).append((day, row.meeting, key))
                at_meeting.setdefault(row.meeting, []).append(key)
            self.attendance[key] = row
        for mid, keys in at_meeting.items():
            self.by_meeting[mid] = (*(self.by_meeting.get(mid) or ()), *keys)
        for cadre, added in dirty.items():
            kept = [
                (self.meetings[mid].on if mid in moved else day, mid, key)
                for day, mid, key in self.by_cadre.get(cadre) or ()
            ]
            self.by_cadre[cadre] = tuple(sorted([*kept, *added]))

    def write_petitions(self, petitions: Iterable[Petition]) -> None:
        for petition in petitions:
            old = self.petitions.get(petition.id)
            self.petitions[petition.id] = petition
            _move(self.petitions_by_unit, petition.id, _units(old), _units(petition))
            _move(self.petitions_by_cadre, petition.id, _handlers(old), _handlers(petition))

    def petitions_at(
        self, codes: Collection[str], start: date, end: date, visible: Callable[[Petition], bool]
    ) -> list[Petition]:
        found = [
            petition
            for code in codes
            for pid in self.petitions_by_unit.get(code) or ()
            if start <= (petition := self.petitions[pid]).raised < end and visible(petition)
        ]
        return sorted(found, key=lambda p: (p.raised, p.id))

    def petitions_of(
        self, cadre: str, start: date, end: date, visible: Callable[[Petition], bool]
    ) -> list[Petition]:
        found = [
            petition
            for pid in self.petitions_by_cadre.get(cadre) or ()
            if start <= (petition := self.petitions[pid]).raised < end and visible(petition)
        ]
        return sorted(found, key=lambda p: (p.raised, p.id))

    def meetings_at(
        self, codes: Collection[str], start: date, end: date, visible: Callable[[Meeting], bool]
    ) -> list[Meeting]:
        found = [
            meeting
            for code in codes
            for mid in self.by_unit.get(code) or ()
            if start <= (meeting := self.meetings[mid]).on < end and visible(meeting)
        ]
        return sorted(found, key=lambda m: (m.on, m.id))

    def attended(
        self, cadre: str, start: date, end: date, visible: Callable[[Meeting], bool]
    ) -> list[tuple[Meeting, Attendance]]:
        entries = self.by_cadre.get(cadre) or ()
        first = bisect.bisect_left(entries, (start,))
        last = bisect.bisect_left(entries, (end,), first)
        found = []
        for _day, mid, key in entries[first:last]:
            meeting = self.meetings[mid]
            if visible(meeting):
                found.append((meeting, self.attendance[key]))
        return found

    def of_units(self, wanted: Callable[[Meeting], bool]) -> Iterator[Meeting]:
        """The meetings ``wanted`` keeps (a scope's part of the graph)."""
        return (m for m in self.meetings.values() if wanted(m))


def _units(petition: Petition | None) -> set[str]:
    return {petition.unit} if petition is not None else set()


def _handlers(petition: Petition | None) -> set[str]:
    return set(petition.handlers()) if petition is not None else set()


def _move(index: SharedMap[str, tuple[str, ...]], key: str, old: set[str], new: set[str]) -> None:
    """Index ``key`` under the ``new`` entries instead of the ``old`` ones."""
    for gone in old - new:
        index[gone] = tuple(k for k in index.get(gone) or () if k != key)
    for added in new - old:
        index[added] = (*(index.get(added) or ()), key)
