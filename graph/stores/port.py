"""The GraphStore port: what every store of the nắm graph must answer.

Two adapters implement it: the embedded networkx store (:mod:`graph.stores.memory`), the default
and the oracle in tests, and the Neo4j store for production. Questions that need a whole
subtree are methods of the port so that each store answers them where the data is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol, runtime_checkable

from graph.activity import Attendance, Meeting, Petition
from graph.answers import ChainLink, Coverage, Gap, Load, Reach, Supporter
from graph.i18n import _, day, number
from graph.model import Assignment, Cadre, Unit
from graph.policy import Level, Policy
from graph.timeline import PolicyTimeline

__all__ = [
    "ChangeSet",
    "GraphStore",
    "Guard",
    "LevelNotInPolicy",
    "NotFound",
    "StoreBusy",
    "StoreError",
    "StoreTimeout",
    "UnitNotInForce",
    "counted_levels",
    "level_of",
    "need_unit",
    "need_unit_on",
]


class StoreError(RuntimeError):
    """The store cannot do what was asked (unreachable, changed by someone else, ...)."""


class NoGraph(StoreError):
    """The data directory holds no graph (``nam init`` makes one)."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(str(data_dir))
        self.data_dir = data_dir

    def __str__(self) -> str:
        return _("no graph in {dir}: run `nam init` first (or pass --data DIR)").format(
            dir=self.data_dir
        )


class StoreTimeout(StoreError):
    """A question took longer than the configured limit and was stopped."""


class StoreBusy(StoreError):
    """Another write held the store for longer than a write waits (``NAM_WRITE_WAIT``)."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"{waited:g}")
        self.waited = waited

    def __str__(self) -> str:
        return _(
            "another change to the graph was still being written after {seconds} s; nothing was "
            "written: try again in a minute"
        ).format(seconds=number(round(self.waited, 3)))


class LevelNotInPolicy(ValueError):
    """A unit asked about whose level the policy in force that day does not have: the graph's
    map is older than the policy (the two-tier policy of 1 July 2025 over a map that still has
    districts)."""

    def __init__(self, unit: Unit, policy: Policy, on: date) -> None:
        super().__init__(unit.code)
        self.unit, self.policy, self.on = unit, policy, on

    def __str__(self) -> str:
        return _(
            "{code} {name} is a unit of level {level}, which the policy in force on {day} "
            "({policy}: {levels}) does not have: the graph's map of that day is older than its "
            "policy; load the administrative list of that day (`nam load admin`) or ask about "
            "an earlier day"
        ).format(
            code=self.unit.code,
            name=self.unit.name,
            level=self.unit.level,
            day=day(self.on),
            policy=self.policy.id,
            levels=", ".join(level.id for level in self.policy.levels),
        )


def level_of(policy: Policy, unit: Unit, on: date) -> Level:
    """The level of ``unit`` in ``policy`` (the policy in force on ``on``);
    :class:`LevelNotInPolicy` when the policy has not that level."""
    if not policy.has_level(unit.level):
        raise LevelNotInPolicy(unit, policy, on)
    return policy.level(unit.level)


def counted_levels(policy: Policy, unit: Unit, on: date) -> list[str]:
    """The levels the coverage of ``unit`` counts: its own and those below it that the policy
    has a coverage rule for; :class:`LevelNotInPolicy` when the policy has not its level."""
    index = level_of(policy, unit, on).index
    return [level.id for level in policy.levels[index:] if level.id in policy.coverage]


class NotFound(KeyError):
    """A unit code or cadre id that the store does not hold."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(key)
        self.kind = kind
        self.key = key

    def __str__(self) -> str:
        if self.kind == "unit":
            return _("no unit {key} in the graph").format(key=repr(self.key))
        if self.kind == "cadre":
            return _("no cadre {key} in the graph").format(key=repr(self.key))
        if self.kind == "plan":
            return _(
                "no plan {key} in the graph; `nam reshuffle plan FILE` makes one, "
                "`nam reshuffle list` shows applied ones"
            ).format(key=repr(self.key))
        return _("no {kind} {key} in the graph").format(kind=self.kind, key=repr(self.key))


@dataclass
class ChangeSet:
    """Records to create or replace. Nothing is ever deleted: ending is a new ``until`` date.
    Meetings and attendance (:mod:`graph.activity`) are written with the chain's records, under
    the same write generation."""

    units: list[Unit] = field(default_factory=list)
    cadres: list[Cadre] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    petitions: list[Petition] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.units)
            + len(self.cadres)
            + len(self.assignments)
            + len(self.meetings)
            + len(self.attendance)
            + len(self.petitions)
        )


#: Called inside a write, on a view of the store as the write sees it, before anything is
#: written; raising refuses the write (a reshuffle plan made against an older state, say).
Guard = Callable[["GraphStore"], None]


@runtime_checkable
class GraphStore(Protocol):
    #: The policy in force today (questions about a date use :meth:`policy_on`).
    policy: Policy
    #: Which policy is in force on which date.
    timeline: PolicyTimeline
    #: The unit code this view is scoped to (see :mod:`graph.scope`); None for the whole graph.
    scope: str | None

    def unscoped(self) -> GraphStore:
        """The whole store behind a scoped view (the store itself when it is not scoped): for
        work that must see everything and then show only what the scope may see."""
        ...

    def pinned(self) -> GraphStore:
        """This store at the write generation it holds now, for reads that must see one
        generation from start to end. The embedded store gives a snapshot that no later write
        changes. Neo4j reads at READ COMMITTED, so it gives itself: a reader that must see one
        generation compares the revision seen before it began (:meth:`seen_revision`, else
        :meth:`revision`) with the one after, and asks again when it moved."""
        ...

    def scoped(self, root: str) -> GraphStore:
        """This store as a caller scoped to ``root`` may see it: anything outside the root's
        subtree answers exactly as if it did not exist. Writes through it are refused when
        they reach outside."""
        ...

    def policy_on(self, on: date | None) -> Policy:
        """The policy in force on ``on`` (None: the first one, for undated records)."""
        ...

    def set_policy(self, policy: str, start: date) -> PolicyTimeline:
        """Put ``policy`` (a shipped id or a YAML file) in force from ``start``."""
        ...

    # --- records ----------------------------------------------------------------------
    def unit(self, code: str) -> Unit | None:
        """The unit with ``code`` as it is now (its latest version, with the earlier ones)."""
        ...

    def units(self, codes: Iterable[str]) -> Mapping[str, Unit]: ...
    def children(self, code: str, on: date | None = None) -> list[Unit]: ...
    def ancestors(self, code: str, on: date | None = None) -> list[Unit]:
        """Parent first, up to the top level, by the parents of ``on`` (None: the latest)."""
        ...

    def cadre(self, cadre_id: str) -> Cadre | None: ...
    def cadres(self, ids: Iterable[str]) -> Mapping[str, Cadre]: ...
    def assignments(
        self, *, cadre: str | None = None, unit: str | None = None
    ) -> list[Assignment]: ...
    def assignment(self, assignment_id: str) -> Assignment | None: ...
    def assignments_by_id(self, ids: Iterable[str]) -> Mapping[str, Assignment]:
        """The assignments with these ids (those that exist), in one round trip."""
        ...

    def supporters(
        self, codes: Iterable[str], on: date, without: Collection[str] = ()
    ) -> Mapping[str, tuple[Supporter, ...]]:
        """For each unit, the supporters who count for its coverage on ``on``."""
        ...

    # --- activity (graph.activity) ------------------------------------------------------
    def meetings(self, ids: Iterable[str]) -> Mapping[str, Meeting]:
        """The meetings with these ids (those that exist and the caller may see)."""
        ...

    def attendances(self, keys: Iterable[str]) -> Mapping[str, Attendance]:
        """The attendance rows with these keys (:func:`graph.activity.attendance_key`)."""
        ...

    def meetings_at(self, codes: Collection[str], start: date, end: date) -> list[Meeting]:
        """The meetings held at any of ``codes`` on a day in [start, end), by date and id."""
        ...

    def attended(
        self, cadre_ids: Collection[str], start: date, end: date
    ) -> Mapping[str, list[tuple[Meeting, Attendance]]]:
        """For each cadre, their attendance rows (present or absent) at meetings held on a day
        in [start, end) that the caller may see, with the meetings, by date."""
        ...

    def petitions(self, ids: Iterable[str]) -> Mapping[str, Petition]:
        """The petitions with these ids (those that exist and the caller may see)."""
        ...

    def petitions_at(self, codes: Collection[str], start: date, end: date) -> list[Petition]:
        """The petitions raised at any of ``codes`` on a day in [start, end), by date and id."""
        ...

    def petitions_of(
        self, cadre_ids: Collection[str], start: date, end: date
    ) -> Mapping[str, list[Petition]]:
        """For each cadre, the petitions raised on a day in [start, end) that they received or
        were passed, by date and id."""
        ...

    def absent_supporters(self, code: str, on: date) -> frozenset[str]:
        """The assignments in force on ``on`` that count for coverage in ``code``'s subtree
        and in the chain above it, made a whole period (the policy's ``active_months``) or
        more before ``on``, whose cadre was not present in that period (see
        :mod:`graph.presence`): one round trip."""
        ...

    def search(self, text: str, limit: int = 20) -> list[Unit | Cadre]: ...
    def counts(self) -> Mapping[str, int]: ...
    def predecessors_of(self, codes: Iterable[str]) -> Mapping[str, list[Unit]]:
        """For each unit, the units that went into it (merge files), by code."""
        ...

    def units_at_levels(self, levels: Collection[str]) -> list[Unit]:
        """Every unit of these levels, whatever its dates, by code."""
        ...

    def subtree(self, code: str | None = None) -> Iterator[Unit]:
        """Every unit below ``code`` (all units when ``None``), the root included, streamed."""
        ...

    def cadres_of(self, codes: Collection[str]) -> Iterator[Cadre]:
        """Cadres whose home unit is one of ``codes``."""
        ...

    def assignments_to(self, codes: Collection[str]) -> Iterator[Assignment]:
        """Assignments to any of ``codes`` or of cadres whose home unit is one of ``codes``."""
        ...

    def generation(self) -> int:
        """A number that grows with every change set this store has applied (or, for the
        embedded store, has read from disk): two reads that see the same generation saw the
        same graph."""
        ...

    def revision(self) -> tuple[str, int]:
        """The graph's identity and its :meth:`generation`, read together: two reads with the
        same revision saw the same graph, even across a graph dropped and made anew (whose
        generation may count up to the same number again). Answers are kept under it
        (``namgraph.api.kept``)."""
        ...

    def seen_revision(self) -> tuple[str, int] | None:
        """The revision this store last read, kept in memory (no round trip), or None when it
        keeps none (the embedded store: its :meth:`revision` costs nothing). It was read
        before this call, so a question that starts now and finds the same :meth:`revision`
        after it saw that revision throughout; else it must be asked again (the graph may have
        changed since this revision was read)."""
        ...

    def ping(self) -> bool:
        """True when the store can answer (the database is reachable)."""
        ...

    # --- batches, one round trip each (for the API's data loaders) --------------------------
    def children_of(self, codes: Iterable[str], on: date) -> Mapping[str, list[Unit]]: ...
    def tree(self, code: str, on: date, depth: int) -> tuple[Unit | None, dict[str, list[Unit]]]:
        """The unit ``code`` as :meth:`units` gives it (None: none the caller may see), and
        the children on ``on`` of it and of every unit down to ``depth - 1`` levels below it,
        as :meth:`children_of` gives them level by level: a dashboard's units in one call."""
        ...

    def ancestors_of(
        self, codes: Iterable[str], on: date | None = None
    ) -> Mapping[str, list[Unit]]: ...
    def assignments_of(self, cadre_ids: Iterable[str]) -> Mapping[str, list[Assignment]]: ...
    def assignments_and_units(
        self, cadre_ids: Iterable[str]
    ) -> tuple[Mapping[str, list[Assignment]], Mapping[str, Unit]]:
        """:meth:`assignments_of`, and the units of those assignments as :meth:`units` gives
        them, in one call (a cadre with the units supported: one round trip, not two)."""
        ...

    def assignments_at(self, codes: Iterable[str]) -> Mapping[str, list[Assignment]]:
        """Every assignment to each unit, past, present and future, by since date."""
        ...

    def coverage_of(self, codes: Iterable[str], on: date) -> Mapping[str, Coverage]:
        """The coverage of each unit, as :meth:`coverage` answers it; a unit whose level the
        policy of ``on`` has not (a map older than its policy) is left out, and asked alone
        :meth:`coverage` says why: one such unit does not fail the others."""
        ...

    def coverage_within(self, codes: Iterable[str], on: date) -> Mapping[str, Coverage]:
        """What :meth:`coverage_of` answers, for units some of which lie inside others (a
        dashboard's province, districts and communes): on Neo4j one statement walks each
        subtree once; an embedded snapshot adds each unit up from the units below it."""
        ...

    def loads_of(self, cadre_ids: Iterable[str], on: date) -> Mapping[str, Load]: ...

    # --- questions --------------------------------------------------------------------
    def coverage(
        self, code: str, on: date, without: Collection[str] = (), absent: Collection[str] = ()
    ) -> Coverage:
        """The coverage of ``code``'s subtree on ``on``: the cadres in ``without`` treated as
        gone (a what-if), the assignments in ``absent`` as not counting (their supporter was
        not present in the policy's period: :mod:`graph.presence`)."""
        ...

    def gaps(
        self,
        code: str,
        level: str,
        on: date,
        without: Collection[str] = (),
        absent: Collection[str] = (),
    ) -> list[Gap]:
        """The gaps at ``level`` under ``code``; a unit uncovered only because of ``absent``
        has the reason ``supporter_absent``."""
        ...

    def chain(self, code: str, on: date) -> list[ChainLink]: ...
    def reach(self, cadre_id: str, on: date) -> Reach: ...
    def changed_between(
        self, code: str, start: date, end: date
    ) -> tuple[list[Unit], list[Assignment], list[Cadre]]:
        """In the subtree of ``code``: units whose validity begins or ends in (start, end],
        assignments to its units that start or end then, and the cadres working in it or
        supporting it whose status changes then."""
        ...

    def load(self, code: str, on: date, level: str | None = None) -> list[Load]:
        """Active cadres working in the subtree (only those of ``level`` when given)."""
        ...

    # --- writing ------------------------------------------------------------------------
    def apply(
        self,
        changes: ChangeSet,
        guard: Guard | None = None,
        record: Mapping[str, object] | None = None,
    ) -> None:
        """Write every change or none of them.

        ``guard`` runs first, inside the write, and may refuse it by raising; ``record`` (an
        applied reshuffle: who, when, what) is written in the same transaction."""
        ...

    def trial(
        self, changes: ChangeSet, within: Collection[str] = ()
    ) -> AbstractContextManager[GraphStore]:
        """A view of the store with ``changes`` applied, to ask questions of; nothing is kept.

        ``within`` names the subtrees the questions will be about. Both stores give the whole
        graph whatever it says (a view of part of it once counted a cadre's units in other
        provinces as nothing), so answers are the same on either."""
        ...

    # --- reshuffle plans ------------------------------------------------------------------
    def save_plan(self, plan_id: str, document: Mapping[str, object]) -> None:
        """Keep a reshuffle plan (a JSON-ready document) until it is applied or replaced."""
        ...

    def plan_document(self, plan_id: str) -> dict[str, object] | None: ...
    def applied_plans(self) -> list[dict[str, object]]:
        """The record of every applied reshuffle, oldest first."""
        ...


class UnitNotInForce(NotFound):
    """A unit asked about on a day it did not exist: ended (with its successors, if a merge
    file named them), or not yet begun."""

    def __init__(self, unit: Unit, on: date, scope: str | None = None) -> None:
        super().__init__("unit", unit.code)
        self.unit = unit
        self.on = on
        #: Set when the unit exists that day, outside the caller's scope ``scope``: its dates
        #: are then those of the scope (a hamlet that left an ended district's scope).
        self.scope = scope
        ended = [v.valid_to for v in unit.versions() if v.valid_to is not None and v.valid_to <= on]
        self.ended: date | None = max(ended) if ended else None
        self.successors = tuple(s for s in unit.successors if s.on <= on)
        later = [v.valid_from for v in unit.versions() if v.valid_from and v.valid_from > on]
        self.starts: date | None = min(later) if later else None

    def __str__(self) -> str:
        words = {
            "name": f"{self.unit.code} {self.unit.name}",
            "scope": self.scope,
            "ended": day(self.ended),
            "starts": day(self.starts),
            "on": day(self.on),
        }
        if self.scope is not None and self.ended is not None:
            return _(
                "{name} is outside your scope ({scope}) from {ended}; ask about an earlier date"
            ).format(**words)
        if self.scope is not None:
            return _("{name} is in your scope ({scope}) only from {starts}").format(**words)
        if self.ended is None:
            return _("{name} does not exist yet on {on}: it begins on {starts}").format(**words)
        if self.successors:
            into = ", ".join(
                _("{code} from {date}").format(code=s.code, date=day(s.on))
                + (f" ({s.resolution})" if s.resolution else "")
                for s in self.successors
            )
            return _(
                "{name} ended on {ended}; its successor: {into}. Ask about the successor, or an "
                "earlier date"
            ).format(**words, into=into)
        return _(
            "{name} ended on {ended}, and no successor is recorded (`nam load merges FILE` "
            "records one); ask about an earlier date"
        ).format(**words)

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit.code,
            "name": self.unit.name,
            "on": self.on.isoformat(),
            "ended": self.ended.isoformat() if self.ended else None,
            "starts": self.starts.isoformat() if self.starts else None,
            "successors": [
                {"code": s.code, "on": s.on.isoformat(), "resolution": s.resolution}
                for s in self.successors
            ],
        }


def need_unit_on(store: GraphStore, code: str, on: date) -> Unit:
    """The unit with ``code`` as it was on ``on``; :class:`NotFound` when there is none, and
    :class:`UnitNotInForce` when it did not exist that day."""
    unit = need_unit(store, code)
    if not unit.exists_on(on):
        whole = store.unscoped().unit(code) if store.scope is not None else None
        left = whole is not None and whole.exists_on(on)  # left the scope, or not yet in it
        raise UnitNotInForce(unit, on, store.scope if left else None)
    return unit.on(on)


def need_unit(store: GraphStore, code: str) -> Unit:
    """The unit with ``code``, or :class:`NotFound`."""
    unit = store.unit(code)
    if unit is None:
        raise NotFound("unit", code)
    return unit
