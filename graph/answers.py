"""The answers to the users' questions, as plain values that both stores must produce alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from graph.model import Assignment, Cadre, Status, Unit

__all__ = [
    "ChainLink",
    "Coverage",
    "Gap",
    "GapReason",
    "LevelCoverage",
    "LevelReach",
    "Load",
    "Reach",
    "Supporter",
    "Takeover",
    "WhatIf",
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
class Takeover:
    """A unit that loses coverage, and active cadres who could take it over, least loaded first."""

    unit: Unit
    candidates: tuple[Load, ...]


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
