"""Orphaned units: alive on a date, but hanging from a unit that has ended by then.

An administrative list ends the communes that were merged; until a merge file names their
successors (or a later list moves them), their hamlets hang from nothing. Nothing below an ended
unit is lost: on earlier dates it answers as before, and from the end date on it is listed here,
under the unit that ended and the last of that unit's ancestors still alive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from graph.model import Unit
from graph.stores.port import GraphStore

__all__ = ["Orphan", "orphaned"]


@dataclass(frozen=True, slots=True)
class Orphan:
    unit: Unit
    #: The parent that has ended, and the day it did.
    ended_parent: Unit
    ended_on: date
    #: The nearest ancestor of the ended parent still alive on the date asked about.
    living_ancestor: Unit | None


def orphaned(store: GraphStore, on: date, under: str | None = None) -> list[Orphan]:
    """Units alive on ``on`` whose parent that day has ended, by code; with ``under``, those
    whose ended parent is ``under`` or lay below it."""
    household = store.policy_on(on).household_level
    levels = [level for level in store.timeline.ranks() if level != household]
    ended = {
        u.code: u
        for u in store.units_at_levels(levels)
        if not u.exists_on(on) and any(v.valid_to and v.valid_to <= on for v in u.versions())
    }
    if not ended:
        return []
    below = store.children_of(list(ended), on)
    out: list[Orphan] = []
    for code, children in below.items():
        parent = ended[code]
        last = max(v.valid_to for v in parent.versions() if v.valid_to and v.valid_to <= on)
        before = last - timedelta(days=1)
        above = store.ancestors(code, before)
        if under is not None and under != code and under not in {u.code for u in above}:
            continue
        living = next((u for u in above if u.exists_on(on)), None)
        out.extend(Orphan(child, parent.on(before), last, living) for child in children)
    out.sort(key=lambda o: o.unit.code)
    return out
