"""The embedded store: the nắm graph held in a networkx MultiDiGraph, saved in a data directory.

Nodes are units (keyed by code) and cadres (keyed by ``("cadre", id)``). Edges read like the
Neo4j store's relationships::

    (unit)  -[PART_OF]->  (parent unit)
    (cadre) -[WORKS_IN]-> (home unit)
    (cadre) -[SUPPORTS {assignment}]-> (unit)      one edge per assignment, keyed by its id

The data directory holds ``policy.yaml`` (the chain policy in force), ``timeline.json`` with the
later policies, and ``store.db``: the records in SQLite with a change log (see
:mod:`graph.stores.memory_db`). A write is one SQLite transaction: whole or absent after a
crash, one writer at a time across processes, and readers never blocked. A process that holds
an older generation catches up by reading only the records written since. A ``store.json``
from earlier versions is migrated to ``store.db`` when the directory is first opened (or by
``nam migrate``) and left beside it as a backup.

In memory, each write generation is an immutable snapshot. A write never changes the graph that
readers hold: it forks it (the top-level tables are copied; only the records the change rewrites
and the links it changes get tables of their own), applies the change to the fork, saves it, and
then swaps the fork in. A reader that pinned a snapshot (:meth:`MemoryStore.pinned`, as every API
request does) reads that one generation from start to end, however many writes land meanwhile.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import gc
import os
import shutil
import threading
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import networkx as nx
import orjson

from graph.activity import Attendance, Meeting, Petition
from graph.answers import ChainLink, Coverage, Gap, Load, Reach, Supporter
from graph.dates import today
from graph.faults import pause_at, pause_mid_apply
from graph.i18n import _
from graph.model import Assignment, Cadre, Unit
from graph.policy import Policy, load_policy
from graph.records import (
    assignment_from_row,
    cadre_from_row,
    unit_from_row,
)
from graph.scope import ScopeDays, check_within, clip, owns, scope_periods, seen_assignment
from graph.stores import memory_questions as q
from graph.stores.memory_activity import ActivityTables
from graph.stores.memory_db import DB_FILE, FORMAT, Database, Since
from graph.stores.port import (
    ChangeSet,
    GraphStore,
    Guard,
    NoGraph,
    NotFound,
    StoreBusy,
    StoreError,
    need_unit,
    need_unit_on,
)
from graph.stores.shared_map import SharedMap, shared_copy
from graph.stores.untracked import untrack
from graph.text import fold
from graph.timeline import PolicyTimeline

__all__ = ["DB_FILE", "FORMAT", "JSON_FILE", "MemoryStore", "later_policy_files", "migrate"]

JSON_READS = (1, 2)  # store.json before SQLite: 2 gave units their earlier versions
JSON_FILE = "store.json"
POLICY_FILE = "policy.yaml"
TIMELINE_FILE = "timeline.json"
LOCK_FILE = "lock"
#: The most coverage answers a snapshot keeps for one date (a snapshot lives for one request,
#: a scoped view for one write generation).
MEMO_LIMIT = 20_000
PLANS_DIR = "plans"

CadreKey = tuple[str, str]
Node = str | CadreKey

#: What one write generation is made of; a write swaps all of it at once.
STATE = ("g", "_assignments", "_activity", "_reshuffles", "_version", "timeline", "policy")
#: Assignments from which opening the whole graph ends with a full garbage collection.
COLLECT_AFTER = 200_000
#: How long a write waits for another process's or thread's write to finish (NAM_WRITE_WAIT).
WRITE_WAIT = 30.0


def cadre_key(cadre_id: str) -> CadreKey:
    return ("cadre", cadre_id)


class MemoryStore:
    """The networkx store. ``MemoryStore(policy)`` lives in memory only; ``open``/``init`` bind
    it to a data directory."""

    #: Its revision, generation and pinned snapshots are read from memory and never wait for
    #: more than a write's swap of a few references: the API asks for them on its event loop
    #: instead of handing each to a worker thread (see namgraph.api.context.bookkeeping).
    quick_bookkeeping = frozenset({"revision", "generation", "pinned"})

    def __init__(
        self,
        policy: Policy,
        data_dir: Path | None = None,
        timeline: PolicyTimeline | None = None,
    ) -> None:
        self.timeline = timeline or PolicyTimeline([(None, policy)])
        self.policy = self.timeline.on(today())
        self.data_dir = data_dir
        self.g: q.Graph = nx.MultiDiGraph()
        self._assignments: MutableMapping[str, Assignment] = {}  # shared once written
        self._activity = ActivityTables()  # meetings and attendance
        self._db: Database | None = None  # bound to a data directory: its store.db
        self._reshuffles: list[dict[str, object]] = []
        self._plans: dict[str, dict[str, object]] = {}  # without a data directory only
        self.scope: str | None = None
        self._version = 0  # the write generation: saved with the graph, one more each write
        self._views: dict[str, tuple[int, MemoryStore]] = {}
        #: One reload at a time: many requests that find the file changed reload it once.
        self._reloading = threading.Lock()
        #: One write at a time in this process (other processes: the data directory's lock).
        self._writing = threading.Lock()
        #: Held while a new generation is swapped in, so a pin never sees half of one.
        self._swap = threading.Lock()
        #: The live store this snapshot was pinned from; None for the live store itself.
        self._live: MemoryStore | None = None
        #: Coverage worked out by a snapshot, by (code, date), and the lock that lets one
        #: question at a time work it out; see coverage_of.
        self._coverage_memo: dict[date, dict[str, Coverage]] = {}
        self._coverage_lock = threading.Lock()
        #: The unit whose part of the graph this store holds (see open); None: all of it.
        self._part: str | None = None

    # --- data directory ---------------------------------------------------------------
    @classmethod
    def init(cls, data_dir: Path, policy: str | Path) -> MemoryStore:
        """Create an empty data directory with the chosen policy; refuse a non-empty one."""
        if (data_dir / DB_FILE).exists() or (data_dir / JSON_FILE).exists():
            raise StoreError(
                _("{dir} already holds a graph; choose another --data directory").format(
                    dir=data_dir
                )
            )
        loaded = load_policy(policy)
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_policy_path(policy, loaded), data_dir / POLICY_FILE)
        (data_dir / LOCK_FILE).touch()
        store = cls(loaded, data_dir)
        store._db = Database.create(data_dir / DB_FILE, loaded.id, 0, _write_wait())
        return store

    @classmethod
    def open(cls, data_dir: Path, part: str | None = None) -> MemoryStore:
        """The graph in ``data_dir``; with ``part``, only the part of it that holds that unit
        (see :meth:`Database.part`), which answers the questions about the units in it
        (coverage, gaps, chain) as the whole graph does, at a fraction of the reading. A part
        is for reading: writing through it is refused."""
        if not (data_dir / DB_FILE).is_file():
            if not (data_dir / JSON_FILE).is_file():
                raise NoGraph(data_dir)
            migrate(data_dir)
        store = cls(load_policy(data_dir / POLICY_FILE), data_dir, _timeline(data_dir))
        store._db = Database(data_dir / DB_FILE, _write_wait())
        with _bulk():
            everything = store._db.everything() if part is None else store._db.part(part)
            if everything is None:
                raise NotFound("unit", part or "")
            store._apply(everything.changes)
            if part is not None:  # cadres working outside the part point at units it lacks
                bare = [n for n, d in store.g.nodes(data=True) if isinstance(n, str) and not d]
                store.g.remove_nodes_from(bare)
                store._part = part
            store._reshuffles = everything.reshuffles
            # the write generation is the database's: every process reads the same one
            store._version = everything.generation
            del everything
            if part is None:  # the whole graph is for writing too: see shared_map
                store._assignments = SharedMap(store._assignments)
        store._untrack()
        if part is None and len(store._assignments) >= COLLECT_AFTER:
            # the millions of objects made while the collector was paused are all young: sort
            # them out now, not in the middle of the first write (4 s at national scale)
            gc.collect()
        return store

    # --- writing ------------------------------------------------------------------------
    def apply(
        self,
        changes: ChangeSet,
        guard: Guard | None = None,
        record: Mapping[str, object] | None = None,
    ) -> None:
        """Apply every change and save, or leave both memory and disk as they were.

        The change goes to a fork of the current generation, which is swapped in once saved:
        readers that pinned a snapshot never see it, and new readers see all of it. A write that
        finds another one running waits for it (up to ``NAM_WRITE_WAIT`` seconds)."""
        if self._live is not None:  # a pinned snapshot writes through the live store
            self._live.apply(changes, guard=guard, record=record)
            return
        self._refuse_part()
        with self._turn():
            if self._db is None:
                if guard is not None:
                    guard(self)
                self._swap_in(self._next(changes, record))
                return
            with self._db.writing() as writer:
                if writer.generation != self._version:
                    if guard is None:  # then no record it writes may have changed since
                        self._refuse_overwrites(writer.written_after(changes, self._version))
                    self._catch_up(writer.since(self._version))
                if guard is not None:
                    guard(self)  # on the graph as it is now, inside the write transaction
                with _bulk():
                    following = self._next(changes, record)
                    records = [record] if record is not None else []
                    following._version = writer.write(changes, records, "write")
                    pause_mid_apply()  # written, not committed
            self._swap_in(following)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's write lock, waited for up to ``NAM_WRITE_WAIT`` seconds (else
        StoreBusy): writes and catching up take turns."""
        wait = _write_wait()
        if not self._writing.acquire(timeout=wait):
            raise StoreBusy(wait)
        try:
            yield
        finally:
            self._writing.release()

    def _refuse_part(self) -> None:
        if self._part is not None:
            raise StoreError(
                _(
                    "this store holds only the part of {dir} around {unit}, for questions; open "
                    "the whole data directory to write"
                ).format(dir=self.data_dir, unit=self._part)
            )

    def _refuse_overwrites(self, written: list[str]) -> None:
        if written:
            shown = ", ".join(written[:5])
            if len(written) > 5:
                shown += " " + _("and {n} more").format(n=len(written) - 5)
            raise StoreError(
                _(
                    "the graph in {dir} was changed by another process since it was read "
                    "({records}); nothing was written: run the command again"
                ).format(dir=self.data_dir, records=shown)
            )

    def _catch_up(self, since: Since) -> None:
        """Bring this store forward to ``since.generation`` with what was written meanwhile."""
        if since.generation == self._version:
            return
        with _bulk():
            following = copy.copy(self)
            following._reshuffles = [*self._reshuffles, *since.reshuffles]
            self._fork_into(following, since.changes)
            if since.policy_changed and self.data_dir is not None:
                following.timeline = _timeline(self.data_dir)
                following.policy = following.timeline.on(today())
            following._version = since.generation
        self._swap_in(following)

    def _next(self, changes: ChangeSet, record: Mapping[str, object] | None) -> MemoryStore:
        """The generation after this one: a fork with ``changes`` applied; this one unchanged."""
        following = copy.copy(self)
        following._reshuffles = list(self._reshuffles)
        if record is not None:
            following._reshuffles.append(dict(record))
        self._fork_into(following, changes)
        return following

    def _fork_into(self, target: MemoryStore, changes: ChangeSet) -> None:
        """Give ``target`` this graph forked (see :func:`_fork`) with ``changes`` applied."""
        with _bulk():  # a trial forks too: no collection in the middle of it either
            target.g = _fork(self.g, self._touched(changes))
            target._assignments = shared_copy(self._assignments)
            target._activity = self._activity.copy()
            target._apply(changes)
        target._untrack()

    def _untrack(self) -> None:
        """This generation's own tables are in no reference cycle: keep the cycle
        collector from walking their millions of entries (see :mod:`untracked`)."""
        g = self.g
        untrack((g._node, g._succ, g._pred))  # type: ignore[attr-defined]
        if isinstance(self._assignments, SharedMap):
            self._assignments.untrack_own()
        for table in self._activity.tables():
            table.untrack_own()

    def _swap_in(self, following: MemoryStore) -> None:
        with self._swap:
            for name in STATE:
                setattr(self, name, getattr(following, name))

    def _touched(self, changes: ChangeSet) -> Touched:
        """What ``_apply(changes)`` changes: the nodes whose records it replaces, and the pairs
        of nodes whose links it adds, changes or removes (old links and new)."""
        nodes: set[Node] = set()
        pairs: set[tuple[Node, Node]] = set()
        for unit in changes.units:
            nodes.add(unit.code)
            others = unit.parents() | {s.code for s in unit.successors}
            old = self.unit(unit.code)
            if old is not None:
                others |= old.parents() | {s.code for s in old.successors}
            pairs.update((unit.code, other) for other in others)
        for cadre in changes.cadres:
            key = cadre_key(cadre.id)
            nodes.add(key)
            pairs.add((key, cadre.home_unit))
            old_cadre = self.cadre(cadre.id)
            if old_cadre is not None:
                pairs.add((key, old_cadre.home_unit))
        for a in changes.assignments:
            pairs.add((cadre_key(a.cadre), a.unit))
            old_a = self._assignments.get(a.id)
            if old_a is not None:
                pairs.add((cadre_key(old_a.cadre), old_a.unit))
        return Touched(nodes, pairs)

    def pinned(self) -> MemoryStore:
        """This generation, fixed: a snapshot whose reads never see a later write (writes made
        through it go to the live store). Cheap: it shares the graph, which no write changes."""
        if self._live is not None:
            return self
        with self._swap:
            snapshot = copy.copy(self)
        snapshot._live = self
        snapshot._coverage_memo = {}
        snapshot._coverage_lock = threading.Lock()
        return snapshot

    @contextlib.contextmanager
    def trial(self, changes: ChangeSet, within: Collection[str] = ()) -> Iterator[MemoryStore]:
        """The whole graph with ``changes`` applied, saved nowhere: a fork of this generation
        (see :func:`_fork`), so it costs about what the change touches, and questions about any
        unit answer as they would after the write (``within`` needs nothing)."""
        trial = MemoryStore(self.policy, timeline=self.timeline)
        self._fork_into(trial, changes)
        yield trial

    def unscoped(self) -> MemoryStore:
        return self

    def scoped(self, root: str) -> MemoryStore:
        """The graph as a caller scoped to ``root`` may see it (see :mod:`graph.scope`): a copy of
        that part of this generation, kept until the graph changes."""
        snapshot = self.pinned()
        live = self._live or self
        version = snapshot._version
        kept = live._views.get(root)
        if kept is not None and kept[0] == version:
            return kept[1]
        view = _ScopedView(live, root)
        with _bulk():
            view._apply(snapshot._scope_part(root))
            # cadres working outside the scope point at units the view does not hold
            bare = [n for n, d in view.g.nodes(data=True) if isinstance(n, str) and "unit" not in d]
            view.g.remove_nodes_from(bare)
        view._version = version  # the generation it shows
        pause_at("scope-view")
        with live._swap:  # keep the newest: an older pinned reader's view does not displace it
            kept = live._views.get(root)
            if version == live._version and (kept is None or kept[0] <= version):
                live._views[root] = (version, view)
        return view

    def scope_days(self, root: str) -> ScopeDays:
        """The days each unit lies in the scope of ``root`` (see :mod:`graph.scope`)."""
        return scope_periods(
            root,
            lambda codes: {c: q.children(self.g, c, None) for c in codes if c in self.g},
            self.predecessors_of,
        )

    def _scope_part(self, root: str) -> ChangeSet:
        if self.unit(root) is None:
            return ChangeSet()
        days = self.scope_days(root)
        units = [
            seen
            for code, periods in days.periods.items()
            if (unit := self.unit(code)) is not None and (seen := clip(unit, periods)) is not None
        ]
        codes = {u.code for u in units}
        keys: set[CadreKey] = set()
        assignments = []
        for code in codes:
            for node, edges in self.g.pred[code].items():
                if isinstance(node, str):
                    continue
                if "WORKS_IN" in edges:
                    keys.add(node)
                for data in edges.values():
                    if "a" in data and seen_assignment(data["a"], days.periods[code]):
                        assignments.append(data["a"])
                        keys.add(node)
        cadres = [self.g.nodes[key]["cadre"] for key in sorted(keys)]
        seen_units = {u.code: u for u in units}
        meetings = list(
            self._activity.of_units(
                lambda m: m.unit in seen_units and seen_units[m.unit].exists_on(m.on)
            )
        )
        held = {m.id for m in meetings}
        attendance = [a for a in self._activity.attendance.values() if a.meeting in held]
        petitions = [
            p
            for p in self._activity.petitions.values()
            if p.unit in seen_units and seen_units[p.unit].exists_on(p.raised)
        ]
        return ChangeSet(
            units=units,
            cadres=cadres,
            assignments=assignments,
            meetings=meetings,
            attendance=attendance,
            petitions=petitions,
        )

    def changed_between(
        self, code: str, start: date, end: date
    ) -> tuple[list[Unit], list[Assignment], list[Cadre]]:
        def within(day: date | None) -> bool:
            return day is not None and start < day <= end

        units: list[Unit] = []
        assignments: list[Assignment] = []
        cadres: dict[str, Cadre] = {}
        for unit in q.subtree(self.g, self.need_unit(code), None):
            if any(within(v.valid_from) or within(v.valid_to) for v in unit.versions()):
                units.append(unit)
            for node, edges in self.g.pred[unit.code].items():
                if isinstance(node, str):
                    continue
                cadre: Cadre = self.g.nodes[node]["cadre"]
                if any(within(p.since) for p in cadre.history):  # works in it or supports it
                    cadres.setdefault(cadre.id, cadre)
                for data in edges.values():
                    a = data.get("a")
                    if a is not None and (within(a.since) or within(a.until)):
                        assignments.append(a)
        return units, assignments, list(cadres.values())

    # --- reshuffle plans --------------------------------------------------------------------
    def save_plan(self, plan_id: str, document: Mapping[str, object]) -> None:
        if self.data_dir is None:
            self._plans[plan_id] = dict(document)
            return
        folder = self.data_dir / PLANS_DIR
        folder.mkdir(exist_ok=True)
        _write_atomically(folder / f"{_plan_file(plan_id)}.json", orjson.dumps(document))

    def plan_document(self, plan_id: str) -> dict[str, object] | None:
        if self.data_dir is None:
            return self._plans.get(plan_id)
        if not plan_id.isalnum():
            return None  # not an id namgraph makes, so no plan has it
        path = self.data_dir / PLANS_DIR / f"{plan_id}.json"
        if not path.is_file():
            return None
        loaded: dict[str, object] = orjson.loads(path.read_bytes())
        return loaded

    def applied_plans(self) -> list[dict[str, object]]:
        return [dict(r) for r in self._reshuffles]

    def _reload(self) -> None:
        """Catch up with what other processes wrote: only the records written since."""
        assert self._db is not None
        with self._turn():  # after a write of this process that is under way
            self._catch_up(self._db.since(self._version))

    def _apply(self, changes: ChangeSet) -> None:
        self._version += 1
        g = self.g
        for unit in changes.units:
            parents = unit.parents()
            old: Unit | None = g.nodes[unit.code].get("unit") if unit.code in g else None
            if old is not None:
                for gone in old.parents() - parents:
                    g.remove_edge(unit.code, gone, key="PART_OF")
            if old is not None:
                for gone in {s.code for s in old.successors}:
                    if g.has_edge(unit.code, gone, key="MERGED_INTO"):
                        g.remove_edge(unit.code, gone, key="MERGED_INTO")
            g.add_node(  # old names find the unit too
                unit.code,
                unit=unit,
                folded=" | ".join(fold(v.name) for v in reversed(unit.versions())),
            )
            for parent in parents:
                g.add_edge(unit.code, parent, key="PART_OF")
            for successor in unit.successors:
                g.add_edge(unit.code, successor.code, key="MERGED_INTO")
        for cadre in changes.cadres:
            key = cadre_key(cadre.id)
            if key in g:
                old_c: Cadre = g.nodes[key]["cadre"]
                if old_c.home_unit != cadre.home_unit:
                    g.remove_edge(key, old_c.home_unit, key="WORKS_IN")
            g.add_node(key, cadre=cadre, folded=fold(cadre.name))
            g.add_edge(key, cadre.home_unit, key="WORKS_IN")
        half = len(changes.assignments) // 2
        for i, a in enumerate(changes.assignments):
            if i == half:
                pause_at("mid-change")  # half the assignments changed, in this copy only
            old_a = self._assignments.get(a.id)
            if old_a is not None:
                g.remove_edge(cadre_key(old_a.cadre), old_a.unit, key=a.id)
            g.add_edge(cadre_key(a.cadre), a.unit, key=a.id, a=a)
            self._assignments[a.id] = a
        if changes.meetings or changes.attendance:
            self._activity.write(changes.meetings, changes.attendance)
        if changes.petitions:
            self._activity.write_petitions(changes.petitions)

    # --- policies -----------------------------------------------------------------------
    def policy_on(self, on: date | None) -> Policy:
        return self.timeline.on(on)

    def set_policy(self, policy: str | Path, start: date) -> PolicyTimeline:
        """Put ``policy`` (a shipped id or a YAML file) in force from ``start``."""
        if self._live is not None:
            return self._live.set_policy(policy, start)
        self._refuse_part()
        loaded = load_policy(policy)
        if self._db is None or self.data_dir is None:
            self.timeline = self.timeline.with_policy(loaded, start)
            self.policy = self.timeline.on(today())
            self._version += 1
            return self.timeline
        with self._turn():
            with self._db.writing() as writer:
                self._catch_up(writer.since(self._version))
                timeline = self.timeline.with_policy(loaded, start)
                name = f"policy.{start.isoformat()}.yaml"
                shutil.copyfile(_policy_path(policy, loaded), self.data_dir / name)
                entries = [
                    {"from": s.isoformat(), "file": f"policy.{s.isoformat()}.yaml"}
                    for s, _ in timeline.entries[1:]
                    if s is not None
                ]
                _write_atomically(self.data_dir / TIMELINE_FILE, orjson.dumps(entries))
                # answers may change: a new generation, logged so other processes reread it
                version = writer.write(ChangeSet(), [], "policy")
            following = copy.copy(self)
            following.timeline = timeline
            following.policy = timeline.on(today())
            following._version = version
            self._swap_in(following)
        return timeline

    # --- records ------------------------------------------------------------------------
    def _iter_units(self) -> Iterator[Unit]:
        for node, data in self.g.nodes(data=True):
            if isinstance(node, str) and "unit" in data:
                yield data["unit"]

    def _iter_cadres(self) -> Iterator[Cadre]:
        for node, data in self.g.nodes(data=True):
            if not isinstance(node, str):
                yield data["cadre"]

    def unit(self, code: str) -> Unit | None:
        data = self.g.nodes.get(code)
        return data.get("unit") if data else None

    def need_unit(self, code: str) -> Unit:
        return need_unit(self, code)

    def units(self, codes: Iterable[str]) -> dict[str, Unit]:
        found = {code: self.unit(code) for code in codes}
        return {code: unit for code, unit in found.items() if unit is not None}

    def children(self, code: str, on: date | None = None) -> list[Unit]:
        return q.children(self.g, code, on)

    def ancestors(self, code: str, on: date | None = None) -> list[Unit]:
        return q.ancestors(self.g, self.need_unit(code), on)

    def cadre(self, cadre_id: str) -> Cadre | None:
        data = self.g.nodes.get(cadre_key(cadre_id))
        return data["cadre"] if data else None

    def cadres(self, ids: Iterable[str]) -> dict[str, Cadre]:
        found = {cadre_id: self.cadre(cadre_id) for cadre_id in ids}
        return {key: cadre for key, cadre in found.items() if cadre is not None}

    def assignment(self, assignment_id: str) -> Assignment | None:
        return self._assignments.get(assignment_id)

    def assignments_by_id(self, ids: Iterable[str]) -> dict[str, Assignment]:
        found = {key: self._assignments.get(key) for key in ids}
        return {key: a for key, a in found.items() if a is not None}

    def assignments(self, *, cadre: str | None = None, unit: str | None = None) -> list[Assignment]:
        if cadre is not None:
            key = cadre_key(cadre)
            if key not in self.g:
                return []
            found = [d["a"] for _, _, d in self.g.out_edges(key, data=True) if "a" in d]
        elif unit is not None:
            if unit not in self.g:
                return []
            found = [d["a"] for _, _, d in self.g.in_edges(unit, data=True) if "a" in d]
        else:
            found = list(self._assignments.values())
        if cadre is not None and unit is not None:
            found = [a for a in found if a.unit == unit]
        return sorted(found, key=lambda a: (a.since, a.id))

    def supporters(
        self, codes: Iterable[str], on: date, without: Collection[str] = ()
    ) -> dict[str, tuple[Supporter, ...]]:
        out: dict[str, tuple[Supporter, ...]] = {}
        for code in codes:
            unit = self.unit(code)
            if unit is not None:
                out[code] = q.supporters(
                    self.g, self.policy_on(on), unit.on(on), on, frozenset(without)
                )
        return out

    # --- activity ---------------------------------------------------------------------------
    def meetings(self, ids: Iterable[str]) -> dict[str, Meeting]:
        found = {key: self._activity.meetings.get(key) for key in ids}
        return {key: m for key, m in found.items() if m is not None}

    def attendances(self, keys: Iterable[str]) -> dict[str, Attendance]:
        found = {key: self._activity.attendance.get(key) for key in keys}
        return {key: a for key, a in found.items() if a is not None}

    def meetings_at(self, codes: Collection[str], start: date, end: date) -> list[Meeting]:
        return self._activity.meetings_at(codes, start, end, _anyone)

    def attended(
        self, cadre_ids: Collection[str], start: date, end: date
    ) -> dict[str, list[tuple[Meeting, Attendance]]]:
        return {cadre: self._activity.attended(cadre, start, end, _anyone) for cadre in cadre_ids}

    def petitions(self, ids: Iterable[str]) -> dict[str, Petition]:
        found = {key: self._activity.petitions.get(key) for key in ids}
        return {key: p for key, p in found.items() if p is not None}

    def petitions_at(self, codes: Collection[str], start: date, end: date) -> list[Petition]:
        return self._activity.petitions_at(codes, start, end, _anyone)

    def petitions_of(
        self, cadre_ids: Collection[str], start: date, end: date
    ) -> dict[str, list[Petition]]:
        return {
            cadre: self._activity.petitions_of(cadre, start, end, _anyone) for cadre in cadre_ids
        }

    def absent_supporters(self, code: str, on: date) -> frozenset[str]:
        from graph.presence import find_absent  # presence asks the port, as any store's user

        return find_absent(self, code, on)

    def search(self, text: str, limit: int = 20) -> list[Unit | Cadre]:
        return q.search(self.g, self.timeline.ranks(), text, limit)

    def counts(self) -> dict[str, int]:
        out = {level.id: 0 for level in self.policy.levels}
        for unit in self._iter_units():
            out[unit.level] = out.get(unit.level, 0) + 1
        out["cadres"] = sum(1 for _ in self._iter_cadres())
        out["assignments"] = len(self._assignments)
        return out

    def predecessors_of(self, codes: Iterable[str]) -> dict[str, list[Unit]]:
        out: dict[str, list[Unit]] = {}
        for code in codes:
            if code in self.g:
                found = [
                    self.g.nodes[node]["unit"]
                    for node, edges in self.g.pred[code].items()
                    if isinstance(node, str) and "MERGED_INTO" in edges
                ]
                out[code] = sorted(found, key=lambda u: u.code)
        return out

    def units_at_levels(self, levels: Collection[str]) -> list[Unit]:
        wanted = set(levels)
        return sorted((u for u in self._iter_units() if u.level in wanted), key=lambda u: u.code)

    def subtree(self, code: str | None = None) -> Iterator[Unit]:
        if code is None:
            yield from sorted(self._iter_units(), key=lambda u: u.code)
            return
        yield from q.subtree(self.g, self.need_unit(code), None)

    def cadres_of(self, codes: Collection[str]) -> Iterator[Cadre]:
        for code in codes:
            if code in self.g:
                for key in sorted(k for k in self.g.pred[code] if not isinstance(k, str)):
                    if "WORKS_IN" in self.g.pred[code][key]:
                        yield self.g.nodes[key]["cadre"]

    def assignments_to(self, codes: Collection[str]) -> Iterator[Assignment]:
        seen: set[str] = set()
        for code in codes:
            if code not in self.g:
                continue
            for key in self.g.pred[code]:
                if isinstance(key, str):
                    continue
                edges = self.g.pred[code][key]
                homes = "WORKS_IN" in edges
                for data in edges.values():
                    if "a" in data and data["a"].id not in seen:
                        seen.add(data["a"].id)
                        yield data["a"]
                if homes:
                    for _, _, data in self.g.out_edges(key, data=True):
                        if "a" in data and data["a"].id not in seen:
                            seen.add(data["a"].id)
                            yield data["a"]

    def generation(self) -> int:
        return self._version

    def seen_revision(self) -> tuple[str, int] | None:
        return None  # revision() is read from memory already

    def revision(self) -> tuple[str, int]:
        # one process holds one data directory for good: its generation says it all
        return ("", self._version)

    def ping(self) -> bool:
        return self._db is None or (self._db.path.is_file() and self._db.generation() >= 0)

    def stale(self) -> bool:
        """Whether another process has written the data directory since this store caught up
        (then :meth:`refresh` has work to do): one quick read, fit for the event loop."""
        db = self._db
        if db is None or self._live is not None or self._part is not None:
            return False
        return db.peek() != self._version

    def refresh(self) -> bool:
        """Catch up when another process has written the data directory; True if it did."""
        if not self.stale():
            return False
        with self._reloading:
            if not self.stale():
                return False  # another request caught up meanwhile
            self._reload()
            return True

    # --- batches ----------------------------------------------------------------------------
    def children_of(self, codes: Iterable[str], on: date) -> dict[str, list[Unit]]:
        return {code: q.children(self.g, code, on) for code in codes if code in self.g}

    def tree(self, code: str, on: date, depth: int) -> tuple[Unit | None, dict[str, list[Unit]]]:
        root = self.units([code]).get(code)
        below: dict[str, list[Unit]] = {}
        level = [code] if root is not None else []
        for _level in range(depth):
            found = self.children_of(level, on)
            below.update(found)
            level = [u.code for units in found.values() for u in units]
        return root, below

    def ancestors_of(self, codes: Iterable[str], on: date | None = None) -> dict[str, list[Unit]]:
        found = self.units(codes)
        return {code: q.ancestors(self.g, unit, on) for code, unit in found.items()}

    def assignments_at(self, codes: Iterable[str]) -> dict[str, list[Assignment]]:
        return {code: self.assignments(unit=code) for code in codes}

    def assignments_of(self, cadre_ids: Iterable[str]) -> dict[str, list[Assignment]]:
        return {cadre_id: self.assignments(cadre=cadre_id) for cadre_id in cadre_ids}

    def assignments_and_units(
        self, cadre_ids: Iterable[str]
    ) -> tuple[dict[str, list[Assignment]], dict[str, Unit]]:
        found = self.assignments_of(cadre_ids)
        return found, self.units({a.unit for listed in found.values() for a in listed})

    def coverage_of(self, codes: Iterable[str], on: date) -> dict[str, Coverage]:
        """Coverage of each unit. A snapshot (one request's, or a scoped view: no write changes
        either) keeps what it worked out, one question at a time: a unit's pass also counts
        each unit directly below it, and a unit whose units below are all known is added up
        from them, so a unit and its children (a dashboard's overview asks both, at once or in
        either order) cost one pass. A unit whose level the policy of ``on`` has not is left
        out (asked alone, :meth:`coverage` says why)."""
        policy = self.policy_on(on)
        found = {c: u for c, u in self.units(codes).items() if policy.has_level(u.level)}
        if not self._fixed():
            return {
                code: q.coverage(self.g, policy, unit.on(on), on, frozenset())
                for code, unit in found.items()
            }
        out: dict[str, Coverage] = {}
        with self._coverage_lock:
            memo = self._coverage_memo.setdefault(on, {})
            if len(memo) > MEMO_LIMIT:
                memo.clear()
            for code, unit in found.items():
                known = memo.get(code)
                dated = unit.on(on)
                if known is None:
                    known = q.coverage_from_parts(self.g, policy, dated, on, memo)
                if known is None:
                    parts: dict[str, Coverage] = {}
                    known = q.coverage(self.g, policy, dated, on, frozenset(), parts)
                    for part, value in parts.items():
                        memo.setdefault(part, value)
                memo[code] = known
                out[code] = known
        return out

    def coverage_within(self, codes: Iterable[str], on: date) -> dict[str, Coverage]:
        # a snapshot adds a unit up from the units below it (coverage_of), deepest first
        found = self.units(codes)
        depth = {code: len(q.ancestors(self.g, unit, on)) for code, unit in found.items()}
        out: dict[str, Coverage] = {}
        for code in sorted(found, key=lambda c: -depth[c]):
            out.update(self.coverage_of([code], on))
        return out

    def _fixed(self) -> bool:
        """Whether no write can change what this store answers (a snapshot or a view)."""
        return self._live is not None

    def loads_of(self, cadre_ids: Iterable[str], on: date) -> dict[str, Load]:
        policy = self.policy_on(on)
        return {
            cadre.id: q.load_of(self.g, policy, cadre, on)
            for cadre in self.cadres(cadre_ids).values()
        }

    # --- questions ------------------------------------------------------------------------
    def coverage(
        self, code: str, on: date, without: Collection[str] = (), absent: Collection[str] = ()
    ) -> Coverage:
        unit = need_unit_on(self, code, on)
        return q.coverage(self.g, self.policy_on(on), unit, on, q.leaving(without, absent))

    def gaps(
        self,
        code: str,
        level: str,
        on: date,
        without: Collection[str] = (),
        absent: Collection[str] = (),
    ) -> list[Gap]:
        unit = need_unit_on(self, code, on)
        return q.gaps(self.g, self.policy_on(on), unit, level, on, q.leaving(without, absent))

    def chain(self, code: str, on: date) -> list[ChainLink]:
        return q.chain(self.g, self.policy_on(on), need_unit_on(self, code, on), on)

    def reach(self, cadre_id: str, on: date) -> Reach:
        cadre = self.cadre(cadre_id)
        if cadre is None:
            raise NotFound("cadre", cadre_id)
        return q.reach(self.g, self.policy_on(on), cadre, on)

    def load(self, code: str, on: date, level: str | None = None) -> list[Load]:
        return q.load(self.g, self.policy_on(on), need_unit_on(self, code, on), on, level)


class _ScopedView(MemoryStore):
    """A copy of the scoped part of a store's graph that answers its questions; plans, records
    and writes go to the whole store, checked against the scope first."""

    def __init__(self, base: MemoryStore, root: str) -> None:
        super().__init__(base.policy, timeline=base.timeline)
        self.base = base
        self.scope = root

    def scoped(self, root: str) -> MemoryStore:
        return (
            self.base.scoped(root) if self.unit(root) is not None else _ScopedView(self.base, root)
        )

    def unscoped(self) -> MemoryStore:
        return self.base

    def pinned(self) -> MemoryStore:
        return self  # a view is one generation already; no write changes it

    def _fixed(self) -> bool:
        return True

    def save_plan(self, plan_id: str, document: Mapping[str, object]) -> None:
        self.base.save_plan(plan_id, document)

    def plan_document(self, plan_id: str) -> dict[str, object] | None:
        document = self.base.plan_document(plan_id)
        return document if document is not None and owns(self, document) else None

    def applied_plans(self) -> list[dict[str, object]]:
        return [r for r in self.base.applied_plans() if owns(self, r)]

    def apply(
        self,
        changes: ChangeSet,
        guard: Guard | None = None,
        record: Mapping[str, object] | None = None,
    ) -> None:
        check_within(self, changes)
        root = self.scope
        assert root is not None

        def scoped_guard(base: GraphStore) -> None:
            assert isinstance(base, MemoryStore) and guard is not None
            guard(base.scoped(root))

        self.base.apply(changes, guard=scoped_guard if guard else None, record=record)

    def ping(self) -> bool:
        return self.base.ping()


def _anyone(record: Meeting | Petition) -> bool:
    return True


def _policy_path(policy: str | Path, loaded: Policy) -> Path:
    source = Path(policy) if Path(policy).suffix else None
    return source or Path(__file__).parents[1] / "policies" / f"{loaded.id}.yaml"


def later_policy_files(data_dir: Path) -> list[tuple[date, Path]]:
    """The policies ``nam policy set`` put in force after the first, with their files."""
    path = data_dir / TIMELINE_FILE
    if not path.is_file():
        return []
    return [
        (date.fromisoformat(entry["from"]), data_dir / entry["file"])
        for entry in orjson.loads(path.read_bytes())
    ]


def migrate(data_dir: Path) -> int | None:
    """Copy a ``store.json`` (formats 1 and 2, before SQLite) into a new ``store.db``, in one
    step that a crash leaves undone; ``store.json`` stays beside it as a backup until the user
    removes it. The number of records copied, or None when there was nothing to migrate."""
    source, target = data_dir / JSON_FILE, data_dir / DB_FILE
    wait = _write_wait()
    with _locked(data_dir / LOCK_FILE, wait):
        if not target.exists() and not source.is_file():
            raise NoGraph(data_dir)
        if target.exists():
            return None  # done already, by another process maybe
        doc = orjson.loads(source.read_bytes())
        if doc.get("format") not in JSON_READS:
            raise StoreError(
                _("{file} has format {found}; this namgraph migrates formats {formats}").format(
                    file=source, found=doc.get("format"), formats=", ".join(map(str, JSON_READS))
                )
            )
        changes = ChangeSet(
            units=[unit_from_row(r) for r in doc["units"]],
            cadres=[cadre_from_row(r) for r in doc["cadres"]],
            assignments=[assignment_from_row(r) for r in doc["assignments"]],
        )
        policy = str(doc.get("policy") or load_policy(data_dir / POLICY_FILE).id)
        for leftover in data_dir.glob(f".{DB_FILE}.*.partial*"):
            leftover.unlink()  # a migration killed half way
        partial = data_dir / f".{DB_FILE}.{os.getpid()}.partial"
        db = Database.create(partial, policy, int(doc.get("generation", 0)), wait)
        try:
            with db.writing() as writer:
                writer.write(changes, doc.get("reshuffles", []), "migrate")
        finally:
            db.close()
        if partial.with_name(partial.name + "-wal").exists():
            raise StoreError(
                _("{partial} was not closed cleanly; {file} is unchanged").format(
                    partial=partial, file=source
                )
            )
        os.replace(partial, target)
        _sync_folder(data_dir)
        return len(changes)


def _sync_folder(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _timeline(data_dir: Path) -> PolicyTimeline:
    """The data directory's policy timeline: ``policy.yaml`` from the beginning, then the
    policies ``nam policy set`` put in force, listed in ``timeline.json``."""
    entries: list[tuple[date | None, Policy]] = [(None, load_policy(data_dir / POLICY_FILE))]
    entries += [(start, load_policy(file)) for start, file in later_policy_files(data_dir)]
    return PolicyTimeline(entries)


def _plan_file(plan_id: str) -> str:
    if not plan_id.isalnum():
        raise StoreError(
            _("{id} is not a plan id; plan ids are letters and digits").format(id=repr(plan_id))
        )
    return plan_id


def _write_atomically(target: Path, content: bytes, pause: bool = False) -> None:
    """Write a temporary file beside ``target``, sync it, and rename it over ``target``."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if pause:
            pause_mid_apply()
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _sync_folder(target.parent)


@contextlib.contextmanager
def _bulk() -> Iterator[None]:
    """Millions of small long-lived objects: pause the cyclic garbage collector meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def _locked(path: Path, wait: float) -> Iterator[None]:
    """The data directory's write lock, waited for up to ``wait`` seconds (else StoreBusy)."""
    deadline = time.monotonic() + wait
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(wait) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_wait() -> float:
    raw = os.environ.get("NAM_WRITE_WAIT", "")
    try:
        return max(0.0, float(raw)) if raw else WRITE_WAIT
    except ValueError:
        raise StoreError(
            _("NAM_WRITE_WAIT={value} is not a number of seconds").format(value=repr(raw))
        ) from None


@dataclass(frozen=True)
class Touched:
    """What a change set changes in the graph (see :meth:`MemoryStore._touched`)."""

    nodes: set[Node]
    pairs: set[tuple[Node, Node]]  # (from, to): the links between them, any key


def _fork(g: q.Graph, touched: Touched) -> q.Graph:
    """A graph equal to ``g`` that can be changed at the ``touched`` nodes and pairs without
    changing ``g``. The top-level tables are copied; each touched node gets its own attribute
    table; each touched pair its own table of links (shared, as networkx shares it, by the
    two ends) and each end its own table of neighbours. Everything else is shared with ``g``,
    which stays as it was, for the readers holding it: a write costs about what it changes."""
    fork: q.Graph = nx.MultiDiGraph()
    fork.graph = dict(g.graph)
    nodes: dict[Node, dict[str, object]] = g._node  # type: ignore[attr-defined]
    fork._node = dict(nodes)  # type: ignore[attr-defined]
    fork._adj = dict(g._succ)  # type: ignore[attr-defined]  # also sets fork._succ
    fork._pred = dict(g._pred)  # type: ignore[attr-defined]
    succ: dict[Node, dict[Node, dict[str, dict[str, object]]]] = fork._succ  # type: ignore[attr-defined]
    pred: dict[Node, dict[Node, dict[str, dict[str, object]]]] = fork._pred  # type: ignore[attr-defined]
    own_succ: set[Node] = set()
    own_pred: set[Node] = set()
    for node in touched.nodes:
        if node in nodes:
            fork._node[node] = dict(nodes[node])  # type: ignore[attr-defined]
    for u, v in touched.pairs:
        if u in succ and u not in own_succ:
            succ[u] = dict(succ[u])
            own_succ.add(u)
        if v in pred and v not in own_pred:
            pred[v] = dict(pred[v])
            own_pred.add(v)
        keys = succ[u].get(v) if u in succ else None
        if keys is not None:
            own = {key: dict(data) for key, data in keys.items()}
            succ[u][v] = own
            pred[v][u] = own
    return fork
