"""The plain types of the nắm graph: units, cadres and assignments, with validity dates.

Nothing here knows about files, HTTP or a database. Levels are strings whose meaning and order
come from the chain policy (:mod:`graph.policy`), so the same types serve the three-tier
government before 1 July 2025 and the two-tier one after it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from graph.dates import in_force

__all__ = [
    "Assignment",
    "Cadre",
    "Severity",
    "Status",
    "StatusPeriod",
    "Unit",
    "Violation",
]


class Status(StrEnum):
    ACTIVE = "active"
    TRANSFERRED = "transferred"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Unit:
    """An administrative or residential unit: province, district, commune, hamlet, group."""

    code: str
    name: str
    level: str
    kind: str = ""
    parent: str | None = None
    households: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def exists_on(self, on: date) -> bool:
        return in_force(self.valid_from, self.valid_to, on)


@dataclass(frozen=True, slots=True)
class StatusPeriod:
    """From ``since`` on (until the next period) the cadre has ``status``."""

    status: Status
    since: date | None = None


@dataclass(frozen=True, slots=True)
class Cadre:
    """A named person who is assigned to follow and support units below their level."""

    id: str
    name: str
    level: str
    home_unit: str
    titles: tuple[str, ...] = ()
    history: tuple[StatusPeriod, ...] = (StatusPeriod(Status.ACTIVE),)
    phone: str = ""

    def status_on(self, on: date) -> Status | None:
        """The status in force on ``on``; ``None`` before the first recorded period."""
        current: Status | None = None
        for period in self.history:
            if period.since is None or period.since <= on:
                current = period.status
            else:
                break
        return current

    def status_since_on(self, on: date) -> date | None:
        """The date the status in force on ``on`` began (``None`` when undated)."""
        since: date | None = None
        for period in self.history:
            if period.since is None or period.since <= on:
                since = period.since
            else:
                break
        return since

    def active_on(self, on: date) -> bool:
        return self.status_on(on) is Status.ACTIVE

    @property
    def status(self) -> Status:
        return self.history[-1].status

    @property
    def status_since(self) -> date | None:
        return self.history[-1].since


@dataclass(frozen=True, slots=True)
class Assignment:
    """Cadre ``cadre`` follows and supports unit ``unit`` in ``role`` during [since, until)."""

    id: str
    cadre: str
    unit: str
    role: str
    since: date
    until: date | None = None
    decision: str = ""

    def in_force_on(self, on: date) -> bool:
        return in_force(self.since, self.until, on)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Violation:
    """One finding of validation: which rule, how bad, about what, and what to do."""

    rule: str
    severity: Severity
    subject: str
    message: str
    attribute: str = ""
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "subject": self.subject,
            "attribute": self.attribute,
            "message": self.message,
        }
