"""Active coverage: a unit counts as covered only if its supporter was also present.

An assignment in force says who should follow a unit. Under the policy's ``activity:`` rules
(:class:`graph.activity.ActivityRules`), its supporter is *present* when, in the
``active_months`` before the day asked about, they attended a meeting (or made a recorded
visit) of a kind the rule accepts, held at the unit or at a unit up to ``below`` levels under
it, as the map stood on the meeting's day. A supporter assigned less than one period ago is not
counted absent. The assignments of absent supporters are then left out of the coverage and gap
questions of either store (their ``absent`` argument), so active coverage has exactly the shape
of coverage, and a unit uncovered only by absence has the gap reason ``supporter_absent``.

Every read is made on one write generation: the embedded store pins a snapshot; on Neo4j the
generation is read before and after, and the question asked again when it moved.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from graph.activity import Meeting, months_before
from graph.answers import Coverage, Gap
from graph.i18n import _
from graph.model import Unit
from graph.stores.port import GraphStore, StoreError, level_of, need_unit_on

__all__ = ["Absence", "absent_assignments", "active_coverage", "active_gaps", "find_absent"]

#: How many times a question is asked again when a write moved the generation meanwhile.
ATTEMPTS = 3
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Absence:
    """The supporters found absent under a unit on a day: their assignment ids, and the period
    looked at, [start, on]."""

    assignments: frozenset[str]
    start: date
    on: date


def active_coverage(store: GraphStore, code: str, on: date) -> Coverage:
    """The coverage of ``code`` on ``on`` under the active rule (same shape as coverage)."""
    return _at_one_generation(
        store,
        lambda s: s.coverage(code, on, absent=absent_assignments(s, code, on).assignments),
    )


def active_gaps(store: GraphStore, code: str, level: str, on: date) -> list[Gap]:
    """The gaps at ``level`` under ``code`` on ``on`` under the active rule: the gaps of
    coverage, and units whose supporters were all absent (``supporter_absent``)."""
    return _at_one_generation(
        store,
        lambda s: s.gaps(code, level, on, absent=absent_assignments(s, code, on).assignments),
    )


def _at_one_generation(store: GraphStore, ask: Callable[[GraphStore], T]) -> T:
    pinned = store.pinned()
    for _attempt in range(ATTEMPTS):
        before = pinned.generation()
        answer = ask(pinned)
        if pinned.generation() == before:
            return answer
    raise StoreError(_("the graph kept changing while the question was asked; ask again"))


def absent_assignments(store: GraphStore, code: str, on: date) -> Absence:
    """The assignments in force on ``on`` that count for coverage in ``code``'s subtree (and
    in the chain above it) whose supporters were not present in the policy's period: the
    store's :meth:`~graph.stores.port.GraphStore.absent_supporters`."""
    start = months_before(on, store.policy_on(on).activity.active_months)
    return Absence(store.absent_supporters(code, on), start, on)


def find_absent(store: GraphStore, code: str, on: date) -> frozenset[str]:
    """:meth:`~graph.stores.port.GraphStore.absent_supporters` over the port's reads: the
    embedded store's answer, and the reference the Neo4j statement is tested against."""
    policy = store.policy_on(on)
    rules = policy.activity
    start = months_before(on, rules.active_months)
    root = need_unit_on(store, code, on)
    root_level = level_of(policy, root, on)
    depth = len(policy.levels) - root_level.index - 1
    _, children = store.tree(code, on, depth) if depth > 0 else (root, {})
    units: dict[str, Unit] = {root.code: root}
    for below in children.values():
        units.update((u.code, u) for u in below)
    above = [u for u in store.ancestors(code, on) if u.level in policy.chain]
    units.update((u.code, u) for u in above)
    ruled = [c for c, u in units.items() if u.level in policy.coverage]
    supporters = store.supporters(ruled, on)
    # (assignment id, cadre id, unit): the supporters who were assigned a whole period ago
    held = [
        (s.assignment.id, s.cadre.id, units[c])
        for c, found in supporters.items()
        for s in found
        if s.assignment.since <= start
    ]
    if not held:
        return frozenset()
    attended = store.attended({cadre for _, cadre, _ in held}, start, on + timedelta(days=1))
    meetings = {cadre: [m for m, row in rows if row.present] for cadre, rows in attended.items()}
    climb = _Climb(store, units, max(rules.presence_for(u.level).below for _, _, u in held))
    absent = set()
    for assignment, cadre, unit in held:
        presence = rules.presence_for(unit.level)
        if not any(
            (not presence.kinds or m.kind in presence.kinds)
            and unit.code in climb.up(m, presence.below)
            for m in meetings.get(cadre, ())
        ):
            absent.add(assignment)
    return frozenset(absent)


class _Climb:
    """The units a meeting counts for: its own and those up to ``below`` levels above it, as
    the map stood on its day; units not yet known are read in one batch per level climbed."""

    def __init__(self, store: GraphStore, known: Mapping[str, Unit], most: int) -> None:
        self.store, self.known, self.most = store, dict(known), most
        self.cache: dict[tuple[str, date], tuple[str, ...]] = {}

    def up(self, meeting: Meeting, below: int) -> Collection[str]:
        found = self.cache.get((meeting.unit, meeting.on))
        if found is None:
            found = self.cache[(meeting.unit, meeting.on)] = self._path(meeting)
        return found[: below + 1]

    def _path(self, meeting: Meeting) -> tuple[str, ...]:
        path = [meeting.unit]
        code: str | None = meeting.unit
        for _step in range(self.most):
            unit = self._unit(code) if code is not None else None
            code = unit.parent_on(meeting.on) if unit is not None else None
            if code is None:
                break
            path.append(code)
        return tuple(path)

    def _unit(self, code: str) -> Unit | None:
        if code not in self.known:
            self.known.update(self.store.units([code]))
        return self.known.get(code)
