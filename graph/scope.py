"""Jurisdiction: what a caller scoped to one unit may see and change.

A store view scoped to a root unit (``store.scoped(code)``) answers as if the graph held only:

- the root's subtree (every unit below it, the root included; nothing above it);
- the cadres who work in that subtree or have ever supported a unit in it;
- the assignments to units in that subtree (a province cadre's assignments elsewhere are not
  there, so their load and reach count only what lies in the scope).

Anything else behaves exactly like something that does not exist: the same ``None``, the same
``NotFound``, the same empty list. Both stores answer this inside their own queries: the
embedded store by asking its questions of the scoped part of its graph, the Neo4j store by a
``$scope`` predicate in every Cypher query.

A scope root must be a unit with no chain-level unit above it (a province, a district, or a
commune under the policies shipped), so that coverage inside the scope never depends on a
chain link outside it.

**Scope across time.** The map changes, so a scope is a set of days per unit
(:func:`scope_periods`). A unit is in the scope on a day when its parents *of that day* lead to
the root, or lead to a unit that a merge later put into a unit in the scope (so a token for the
new province 86 sees Bến Tre's units before 2025-07-01 when a merge file puts 83 into 86, and a
token for Bến Tre sees its subtree up to 2025-06-30 and nothing of what its hamlets hang from
after). Both stores show a scoped caller each unit cut to its days in the scope
(:func:`clip`): a hamlet that left the scope looks, to that caller, like one that ended the day
it left. A question about a day answers only about units in the scope that day. An assignment
is seen when its days meet its unit's days in the scope; a cadre when their home unit or one of
those assignments is seen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Mapping
from datetime import date, timedelta

from graph.dates import today
from graph.i18n import _
from graph.model import Assignment, Unit, UnitVersion
from graph.policy import Policy
from graph.stores.port import ChangeSet, GraphStore, StoreError

__all__ = [
    "ACCESS_KEY",
    "OutOfScope",
    "Periods",
    "ScopeDays",
    "check_within",
    "clip",
    "owns",
    "scope_periods",
    "scope_policy",
    "scope_problem",
    "seen_assignment",
]

#: The key under which plans and applied-reshuffle records keep the scope they were made in.
ACCESS_KEY = "access_scope"


class OutOfScope(StoreError):
    """A change reaches outside the caller's scope; nothing was written."""


#: Half-open spans of days [start, end); None is open on that side. Sorted, disjoint.
Periods = tuple[tuple[date | None, date | None], ...]
_ALWAYS: Periods = ((None, None),)


def _lo(d: date | None) -> date:
    return d or date.min


def _hi(d: date | None) -> date:
    return d or date.max


def _union(spans: list[tuple[date | None, date | None]]) -> Periods:
    out: list[tuple[date | None, date | None]] = []
    for start, end in sorted(spans, key=lambda s: _lo(s[0])):
        if out and _lo(start) <= _hi(out[-1][1]):
            if _hi(end) > _hi(out[-1][1]):
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return tuple(out)


def _meet(
    start: date | None, end: date | None, periods: Periods
) -> list[tuple[date | None, date | None]]:
    out = []
    for p_start, p_end in periods:
        lo = start if _lo(start) >= _lo(p_start) else p_start
        hi = end if _hi(end) <= _hi(p_end) else p_end
        if _lo(lo) < _hi(hi):
            out.append((lo, hi))
    return out


def _contains(periods: Periods, day: date) -> bool:
    return any(_lo(start) <= day < _hi(end) for start, end in periods)


def _unit_periods(unit: Unit, periods: Mapping[str, Periods]) -> Periods:
    spans = []
    for version in unit.versions():
        if version.parent is not None and version.parent in periods:
            spans += _meet(version.valid_from, version.valid_to, periods[version.parent])
    for succession in unit.successors:
        into = periods.get(succession.code)
        if into is not None and _contains(into, succession.on):
            spans.append((None, succession.on))
    return _union(spans)


@dataclasses.dataclass(frozen=True)
class ScopeDays:
    """The days each unit lies in a scope, and the units a merge put into it (``tops``: their
    own subtrees count on the days before the merge, whatever lies above them then)."""

    periods: dict[str, Periods]
    tops: frozenset[str]

    def seen(self, code: str) -> bool:
        return code in self.periods


def scope_periods(
    root: str,
    below: Callable[[Collection[str]], Mapping[str, list[Unit]]],
    merged_in: Callable[[Collection[str]], Mapping[str, list[Unit]]],
) -> ScopeDays:
    """The days each unit lies in the scope of ``root``. ``below`` gives, per code, every unit
    that ever hung from it; ``merged_in`` the units that merges put into it (both with all their
    versions). Periods only grow, so the walk stops when none changes."""
    periods: dict[str, Periods] = {root: _ALWAYS}
    tops: set[str] = set()
    frontier = {root}
    while frontier:
        related: dict[str, Unit] = {}
        for found in (below(frontier), merged_in(frontier)):
            for units in found.values():
                related.update((u.code, u) for u in units)
        frontier = set()
        for code, unit in related.items():
            if code == root:
                continue
            new = _unit_periods(unit, periods)
            if new and new != periods.get(code):
                periods[code] = new
                frontier.add(code)
            if any(s.code in periods and _contains(periods[s.code], s.on) for s in unit.successors):
                tops.add(code)
    return ScopeDays(periods, frozenset(tops))


def clip(unit: Unit, periods: Periods) -> Unit | None:
    """The unit as a scope sees it: its versions cut to the days in ``periods``; None when no
    day is left. Successors stay only when the unit's real end is inside the scope."""
    if periods == _ALWAYS:
        return unit
    pieces: list[UnitVersion] = []
    for version in unit.versions():
        for start, end in _meet(version.valid_from, version.valid_to, periods):
            pieces.append(dataclasses.replace(version, valid_from=start, valid_to=end))
    if not pieces:
        return None
    if pieces == list(unit.versions()):
        return unit
    cut = unit.with_versions(pieces)
    return cut if cut.valid_to == unit.ended else dataclasses.replace(cut, successors=())


def seen_assignment(assignment: Assignment, periods: Periods | None) -> bool:
    """An assignment is seen in a scope when its days meet its unit's days in the scope."""
    return periods is not None and bool(_meet(assignment.since, assignment.until, periods))


def scope_policy(store: GraphStore, unit: Unit) -> Policy:
    """The policy a scope root is judged by: today's when the unit exists today, else the one
    of its last day (a district of the old map is a scope for its own years)."""
    day = today()
    if not unit.exists_on(day):
        ended = [
            v.valid_to for v in unit.versions() if v.valid_to is not None and v.valid_to <= day
        ]
        if ended:
            day = max(ended) - timedelta(days=1)
    return store.policy_on(day)


def scope_problem(policy: Policy, unit: Unit | None, code: str) -> str | None:
    """Why ``code`` cannot be a scope root (None when it can)."""
    if unit is None:
        return _("no unit {code} in the graph").format(code=repr(code))
    if not policy.has_level(unit.level):
        return _("{code} ({name}) is a {level}, a level the policy {policy} does not have").format(
            code=code, name=unit.name, level=unit.level, policy=policy.id
        )
    index = policy.level(unit.level).index
    above = [level.id for level in policy.levels[:index] if level.id in policy.chain]
    if above or not policy.level(unit.level).has_cadres:
        allowed = [
            level.id
            for level in policy.levels
            if level.has_cadres
            and not any(x.id in policy.chain for x in policy.levels[: level.index])
        ]
        return _(
            "{code} ({name}) is a {level}; a scope must be a unit of one of these levels: {levels}"
        ).format(code=code, name=unit.name, level=unit.level, levels=", ".join(allowed))
    return None


def owns(view: GraphStore, document: Mapping[str, object]) -> bool:
    """A plan or applied-reshuffle record is visible in a scoped view when it was made in a
    scope inside the view's; made unscoped (on the command line) it is not."""
    made_in = document.get(ACCESS_KEY)
    return isinstance(made_in, str) and bool(view.units([made_in]))


def check_within(view: GraphStore, changes: ChangeSet) -> None:
    """Refuse changes that reach outside ``view``'s scope: a unit or an assignment to a unit
    outside it, a cadre who does not work inside it, a meeting at a unit outside it or
    attendance at such a meeting."""
    codes = {u.code for u in changes.units} | {u.parent for u in changes.units if u.parent}
    codes |= {a.unit for a in changes.assignments}
    codes |= {c.home_unit for c in changes.cadres}
    codes |= {m.unit for m in changes.meetings} | {p.unit for p in changes.petitions}
    held = {m.id for m in changes.meetings}
    elsewhere = {a.meeting for a in changes.attendance} - held
    if elsewhere:  # attendance at meetings the scope cannot see is as outside as their units
        seen = view.meetings(elsewhere)
        codes |= {f"{meeting} ?" for meeting in elsewhere - set(seen)}
    outside = sorted(codes - set(view.units(codes)))
    if outside:
        shown = ", ".join(outside[:5]) + (" ..." if len(outside) > 5 else "")
        raise OutOfScope(
            _(
                "the change reaches units outside your scope ({scope}) or not in the graph: "
                "{units}; nothing was written"
            ).format(scope=view.scope, units=shown)
        )
