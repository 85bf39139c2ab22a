"""The plain types of the nắm graph: units, cadres and assignments, with validity dates.

Nothing here knows about files, HTTP or a database. Levels are strings whose meaning and order
come from the chain policy (:mod:`graph.policy`), so the same types serve the three-tier
government before 1 July 2025 and the two-tier one after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
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
    "Succession",
    "Unit",
    "UnitVersion",
    "Violation",
]


class Status(StrEnum):
    ACTIVE = "active"
    TRANSFERRED = "transferred"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class UnitVersion:
    """What a unit was called, what kind it was and where it hung during [valid_from, valid_to).

    An administrative list dated D that renames, re-kinds or moves a unit ends its version in
    force on D and starts a new one; the earlier versions stay, so questions about earlier dates
    see the names and parents of their day."""

    valid_from: date | None
    valid_to: date | None
    name: str
    kind: str = ""
    parent: str | None = None
    decision: str = ""

    def in_force_on(self, on: date) -> bool:
        return in_force(self.valid_from, self.valid_to, on)


def _start(version: UnitVersion) -> date:
    return version.valid_from or date.min


@dataclass(frozen=True, slots=True)
class Succession:
    """From ``on``, the unit went into ``code`` by ``resolution`` (a merge, or one share of a
    split)."""

    code: str
    on: date
    resolution: str = ""


@dataclass(frozen=True, slots=True)
class Unit:
    """An administrative or residential unit: province, district, commune, hamlet, group.

    The flat fields are the unit's latest version; ``earlier`` holds its earlier versions,
    oldest first, each ended. A code is one unit for good: when an official code that ended is
    used again for a new unit, that is a new version of the same unit after a gap (so a code
    resolves to whatever it named on the day asked about). The level never changes."""

    code: str
    name: str
    level: str
    kind: str = ""
    parent: str | None = None
    households: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    earlier: tuple[UnitVersion, ...] = ()
    decision: str = ""
    #: The units it went into when it ended (merge files record them).
    successors: tuple[Succession, ...] = ()

    @property
    def latest(self) -> UnitVersion:
        return UnitVersion(
            self.valid_from, self.valid_to, self.name, self.kind, self.parent, self.decision
        )

    def versions(self) -> tuple[UnitVersion, ...]:
        """Every version, oldest first."""
        if not self.earlier:
            return (self.latest,)
        return tuple(sorted((*self.earlier, self.latest), key=_start))

    def version_on(self, on: date) -> UnitVersion | None:
        if in_force(self.valid_from, self.valid_to, on):
            return self.latest
        for version in self.earlier:
            if version.in_force_on(on):
                return version
        return None

    def exists_on(self, on: date) -> bool:
        if in_force(self.valid_from, self.valid_to, on):
            return True
        return any(version.in_force_on(on) for version in self.earlier)

    def parent_on(self, on: date | None) -> str | None:
        """The parent on ``on`` (``None`` there: the latest version's); ``None`` when the unit
        does not exist that day."""
        if on is None or not self.earlier:
            return self.parent if on is None or self.exists_on(on) else None
        version = self.version_on(on)
        return version.parent if version is not None else None

    def parents(self) -> set[str]:
        """Every unit this one has ever hung from."""
        return {v.parent for v in self.versions() if v.parent}

    def on(self, day: date | None) -> Unit:
        """The unit as it was on ``day``: name, kind, parent and validity of the version then in
        force, the other versions in ``earlier`` (the unit itself when the version in force is
        its latest, or none was). For answers; records written to a store are never views."""
        if day is None or not self.earlier:
            return self
        version = self.version_on(day)
        if version is None or version.valid_from == self.valid_from:
            return self
        return self.with_versions([*(v for v in self.versions() if v != version), version])

    def with_versions(self, versions: Sequence[UnitVersion]) -> Unit:
        """The unit with these versions: the last is its latest, the others its earlier ones."""
        latest = versions[-1]
        return dataclasses.replace(
            self,
            name=latest.name,
            kind=latest.kind,
            parent=latest.parent,
            valid_from=latest.valid_from,
            valid_to=latest.valid_to,
            decision=latest.decision,
            earlier=tuple(versions[:-1]),
        )

    def change_between(self, start: date, end: date) -> str | None:
        """What happened to the unit after ``start`` up to ``end``: ``started``, ``ended``,
        ``moved`` (another parent), ``renamed`` (another name or kind), or None."""
        before, after = self.version_on(start), self.version_on(end)
        if before is None and after is not None:
            return "started"
        if before is not None and after is None:
            return "ended"
        if before is None or after is None or before == after:
            return None
        if before.parent != after.parent:
            return "moved"
        if (before.name, before.kind) != (after.name, after.kind):
            return "renamed"
        return None

    @property
    def ended(self) -> date | None:
        """The day the unit stopped existing (``None``: it still does)."""
        return self.versions()[-1].valid_to

    @property
    def started(self) -> date | None:
        """The day the unit first existed (``None``: before any recorded date)."""
        return self.versions()[0].valid_from


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
        history = self.history
        if len(history) == 1:  # most cadres: one period (asked for every unit of a coverage)
            since = history[0].since
            return history[0].status is Status.ACTIVE and (since is None or since <= on)
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
