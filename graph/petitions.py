"""Petitions under a unit: which are open and overdue, with whom each is waiting, and how long
answers take, on either store.

A petition is *overdue* on a day when it is still open more than the policy's
``petition_answer_days`` after it was raised (``activity.petition_answer_days``, 30 by
default). It waits with the last cadre it was passed to, at that cadre's level.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from graph.activity import Petition
from graph.model import Cadre, Unit
from graph.stores.port import GraphStore, level_of, need_unit_on

__all__ = ["PetitionReport", "Waiting", "petitions_under"]


@dataclass(frozen=True, slots=True)
class Waiting:
    """An open petition on the day asked about: where it was raised, with whom it is waiting
    (``holder``; None when the cadre is not one the caller may see), for how many days."""

    petition: Petition
    unit: Unit
    holder: Cadre | None
    days: int
    overdue: bool


@dataclass(frozen=True, slots=True)
class PetitionReport:
    """The petitions raised under ``unit`` up to ``on``: those still open, counts of open and
    overdue ones per level of the cadre holding them and per cadre, and the median days to an
    answer per unit one level below ``unit`` (by the map of the day each was raised)."""

    unit: Unit
    on: date
    answer_days: int
    open: tuple[Waiting, ...]
    by_level: Mapping[str, tuple[int, int]]
    by_cadre: Mapping[str, tuple[int, int]]
    median_days: Mapping[str, float]
    answered: int

    @property
    def overdue(self) -> tuple[Waiting, ...]:
        return tuple(w for w in self.open if w.overdue)


def petitions_under(store: GraphStore, code: str, on: date) -> PetitionReport:
    """The petitions under ``code`` on ``on`` (see :class:`PetitionReport`)."""
    store = store.pinned()
    policy = store.policy_on(on)
    answer_days = policy.activity.petition_answer_days
    root = need_unit_on(store, code, on)
    depth = len(policy.levels) - level_of(policy, root, on).index - 1
    units: dict[str, Unit] = {root.code: root}
    if depth > 0:
        _, children = store.tree(code, on, depth)
        for below in children.values():
            units.update((u.code, u) for u in below)
    raised = store.petitions_at(list(units), date.min, on + timedelta(days=1))
    holders = {p.holder_on(on) for p in raised if p.open_on(on)}
    cadres = store.cadres(holders)
    waiting = []
    by_level: dict[str, list[int]] = {}
    by_cadre: dict[str, list[int]] = {}
    for p in raised:
        if not p.open_on(on):
            continue
        holder = cadres.get(p.holder_on(on))
        late = p.overdue_on(on, answer_days)
        waiting.append(Waiting(p, units[p.unit], holder, (on - p.raised).days, late))
        for key, table in (
            (holder.level if holder else "?", by_level),
            (p.holder_on(on), by_cadre),
        ):
            counts = table.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += late
    days: dict[str, list[int]] = {}
    answered = [p for p in raised if p.answered is not None and p.answered <= on]
    for p in answered:
        assert p.answered is not None
        part = _below(root, units, p.unit, p.raised)
        days.setdefault(part, []).append((p.answered - p.raised).days)
    return PetitionReport(
        unit=root,
        on=on,
        answer_days=answer_days,
        open=tuple(waiting),
        by_level={k: (v[0], v[1]) for k, v in sorted(by_level.items())},
        by_cadre={k: (v[0], v[1]) for k, v in sorted(by_cadre.items())},
        median_days={k: float(statistics.median(v)) for k, v in sorted(days.items())},
        answered=len(answered),
    )


def _below(root: Unit, units: Mapping[str, Unit], code: str, day: date) -> str:
    """The unit one level below ``root`` that ``code`` lay in on ``day`` (the root itself for
    a petition raised at the root, or at a unit whose chain up that day is not known)."""
    at = code
    for _step in range(len(units)):
        unit = units.get(at)
        parent = unit.parent_on(day) if unit is not None else None
        if parent is None:
            return root.code
        if parent == root.code:
            return at
        at = parent
    return root.code
