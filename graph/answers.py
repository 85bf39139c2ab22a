"""The answers to the users' questions, as plain values that both stores must produce alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from graph.model import Assignment, Cadre, Status, Unit
from graph.policy import Policy

__all__ = [
    "ChainLink",
    "Changes",
    "Coverage",
    "Gap",
    "GapReason",
    "LevelCoverage",
    "LevelReach",
    "Load",
    "LoadItem",
    "Reach",
    "Supporter",
    "Takeover",
    "WhatIf",
    "make_load",
    "ratio",
]


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 6 places; ``None`` when there is nothing to cover."""
    return round(part / whole, 6) if whole else None


@dataclass(frozen=True, slots=True)
class LevelCoverage:
    level: str
    units: int
    covered: int

    @property
    def ratio(self) -> float | None:
        return ratio(self.covered, self.units)


@dataclass(frozen=True, slots=True)
class Coverage:
    """Coverage of a unit's subtree on ``as_of``: per level, and end to end in households."""

    unit: Unit
    as_of: date
    levels: tuple[LevelCoverage, ...]
    households: int
    households_reached: int

    @property
    def ratio(self) -> float | None:
        return ratio(self.households_reached, self.households)

    def level(self, level_id: str) -> LevelCoverage:
        for entry in self.levels:
            if entry.level == level_id:
                return entry
        raise KeyError(level_id)


class GapReason(StrEnum):
    NO_SUPPORTER = "no_supporter"
    SUPPORTER_ENDED = "supporter_ended"
    SUPPORTER_RETIRED = "supporter_retired"
    SUPPORTER_TRANSFERRED = "supporter_transferred"
    SUPPORTER_LEAVING = "supporter_leaving"
    SUPPORTER_ABSENT = "supporter_absent"
    CHAIN_BROKEN_ABOVE = "chain_broken_above"


@dataclass(frozen=True, slots=True)
class Gap:
    """A unit without coverage on a date, or whose chain is broken above it (at ``broken_at``)."""

    unit: Unit
    reason: GapReason
    broken_at: str | None = None


@dataclass(frozen=True, slots=True)
class Supporter:
    cadre: Cadre
    assignment: Assignment


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One level of the chain upward from a unit: the unit and who supports it."""

    unit: Unit
    rule: str | None
    in_chain: bool
    supporters: tuple[Supporter, ...]

    @property
    def covered(self) -> bool:
        return bool(self.supporters)


@dataclass(frozen=True, slots=True)
class LevelReach:
    level: str
    units: int
    reached: int


@dataclass(frozen=True, slots=True)
class Reach:
    """What a cadre reaches through unbroken chains below the units they support."""

    cadre: Cadre
    as_of: date
    status: Status | None
    direct: tuple[Unit, ...]
    levels: tuple[LevelReach, ...]
    households: int
    breaks: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class Load:
    """How many units and households a cadre carries on a date, against the policy's maximum."""

    cadre: Cadre
    units: int
    households: int
    max_units: int | None
    overloaded: bool


@dataclass(frozen=True, slots=True)
class LoadItem:
    """One assignment in force that counts for a cadre's load."""

    unit: str
    rules: tuple[str, ...]
    households: int


def make_load(policy: Policy, cadre: Cadre, items: Iterable[LoadItem]) -> Load:
    """A cadre's load from their assignments in force, the same way on every store.

    Units are counted once each; a cadre is overloaded when any rule's count of assignments
    exceeds the rule's maximum per cadre; ``max_units`` is the maximum of the rule the cadre
    uses most (or of the first coverage rule that admits them, when they carry nothing)."""
    rules = {rule.id: rule for rule in policy.rules}
    per_rule: dict[str, int] = {}
    households: dict[str, int] = {}
    for item in items:
        households[item.unit] = item.households
        for rule_id in item.rules:
            per_rule[rule_id] = per_rule.get(rule_id, 0) + 1
    overloaded = any(
        rules[rid].max_per_cadre is not None and n > (rules[rid].max_per_cadre or 0)
        for rid, n in per_rule.items()
    )
    if per_rule:
        main = max(per_rule, key=lambda rid: (per_rule[rid], rid))
        max_units = rules[main].max_per_cadre
    else:
        admitting = [r for r in policy.coverage.values() if r.admits(cadre)]
        max_units = admitting[0].max_per_cadre if admitting else None
    return Load(cadre, len(households), sum(households.values()), max_units, overloaded)


@dataclass(frozen=True, slots=True)
class Takeover:
    """A unit that loses coverage, and active cadres who could take it over, least loaded first."""

    unit: Unit
    candidates: tuple[Load, ...]
    above: tuple[str, ...] = ()  # the codes of the units above, parent first


@dataclass(frozen=True, slots=True)
class WhatIf:
    cadres: tuple[Cadre, ...]
    on: date
    before: Coverage
    after: Coverage
    lost: tuple[Takeover, ...]

    @property
    def households_lost(self) -> int:
        return self.before.households_reached - self.after.households_reached


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed in a unit's subtree between two dates: everything that took effect after
    ``start`` and on or before ``end``, so the graph on ``start`` plus these is the graph on
    ``end``."""

    unit: Unit
    start: date
    end: date
    started: tuple[Assignment, ...]  # since in (start, end]
    ended: tuple[Assignment, ...]  # until in (start, end]
    statuses: tuple[tuple[Cadre, Status, date], ...]  # dated status changes in (start, end]
    units: tuple[Unit, ...]  # units that appeared or were dissolved in (start, end]
