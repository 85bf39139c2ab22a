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
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from graph.dates import today
from graph.model import Unit
from graph.policy import Policy
from graph.store import ChangeSet, GraphStore, StoreError

__all__ = ["ACCESS_KEY", "OutOfScope", "check_within", "owns", "scope_policy", "scope_problem"]

#: The key under which plans and applied-reshuffle records keep the scope they were made in.
ACCESS_KEY = "access_scope"


class OutOfScope(StoreError):
    """A change reaches outside the caller's scope; nothing was written."""


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
        return f"no unit {code!r} in the graph"
    if not policy.has_level(unit.level):
        return (
            f"{code} ({unit.name}) is a {unit.level}, a level the policy {policy.id} does not have"
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
        return (
            f"{code} ({unit.name}) is a {unit.level}; a scope must be a unit of one of these "
            f"levels: {', '.join(allowed)}"
        )
    return None


def owns(view: GraphStore, document: Mapping[str, object]) -> bool:
    """A plan or applied-reshuffle record is visible in a scoped view when it was made in a
    scope inside the view's; made unscoped (on the command line) it is not."""
    made_in = document.get(ACCESS_KEY)
    return isinstance(made_in, str) and bool(view.units([made_in]))


def check_within(view: GraphStore, changes: ChangeSet) -> None:
    """Refuse changes that reach outside ``view``'s scope: a unit or an assignment to a unit
    outside it, or a cadre who does not work inside it."""
    codes = {u.code for u in changes.units} | {u.parent for u in changes.units if u.parent}
    codes |= {a.unit for a in changes.assignments}
    codes |= {c.home_unit for c in changes.cadres}
    outside = sorted(codes - set(view.units(codes)))
    if outside:
        shown = ", ".join(outside[:5]) + (" ..." if len(outside) > 5 else "")
        raise OutOfScope(
            f"the change reaches units outside your scope ({view.scope}) or not in the graph: "
            f"{shown}; nothing was written"
        )
