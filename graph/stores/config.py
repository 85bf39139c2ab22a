"""Which store to use, from the environment: ``NAM_STORE=memory|neo4j``.

=================  ===========================================  =========================
variable           meaning                                      default
=================  ===========================================  =========================
``NAM_STORE``      ``memory`` (embedded networkx) or ``neo4j``  ``memory``
``NAM_DATA``       the memory store's data directory            ``./.nam``
``NEO4J_URI``      Bolt address of the Neo4j server             ``bolt://127.0.0.1:7687``
``NEO4J_USER``     user                                         ``neo4j``
``NEO4J_PASSWORD`` password (required for ``neo4j``)
``NEO4J_DATABASE`` database                                     ``neo4j``
=================  ===========================================  =========================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from graph.i18n import _
from graph.model import Unit
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import ChangeSet, GraphStore, StoreError
from neo4j import Driver

__all__ = ["StoreConfig", "by_top_unit", "dump"]

KINDS = ("memory", "neo4j")


@dataclass(frozen=True)
class StoreConfig:
    kind: str = "memory"
    data_dir: Path = Path(".nam")
    uri: str = "bolt://127.0.0.1:7687"
    user: str = "neo4j"
    password: str = ""
    database: str = "neo4j"

    @classmethod
    def from_env(cls, data_dir: Path | None = None, kind: str | None = None) -> StoreConfig:
        chosen = (kind or os.environ.get("NAM_STORE") or "memory").lower()
        if chosen not in KINDS:
            raise StoreError(
                _("NAM_STORE={value}: use one of {kinds}").format(
                    value=repr(chosen), kinds=", ".join(KINDS)
                )
            )
        return cls(
            kind=chosen,
            data_dir=data_dir or Path(os.environ.get("NAM_DATA", ".nam")),
            uri=os.environ.get("NEO4J_URI", cls.uri),
            user=os.environ.get("NEO4J_USER", cls.user),
            password=os.environ.get("NEO4J_PASSWORD", ""),
            database=os.environ.get("NEO4J_DATABASE", cls.database),
        )

    def describe(self) -> str:
        if self.kind == "memory":
            return _("memory store in {dir}").format(dir=self.data_dir)
        return _("Neo4j database {name} at {uri}").format(name=repr(self.database), uri=self.uri)

    def driver(self) -> Driver:
        if not self.password:
            raise StoreError(_("NEO4J_PASSWORD is not set; the Neo4j store needs it"))
        return Neo4jStore.connect(self.uri, self.user, self.password)

    def open(self, part: str | None = None) -> GraphStore:
        """The store; the embedded one reads only the part of the graph around unit ``part``
        when given (for one question about that unit: see MemoryStore.open)."""
        if self.kind == "memory":
            return MemoryStore.open(self.data_dir, part)
        return Neo4jStore.open(self.driver(), self.database)

    def init(self, policy: str) -> GraphStore:
        if self.kind == "memory":
            return MemoryStore.init(self.data_dir, policy)
        return Neo4jStore.init(self.driver(), self.database, policy)


def dump(store: GraphStore) -> ChangeSet:
    """Every unit, cadre and assignment of a store, and the meetings held at its units with
    the attendance of its cadres, to move it into another."""
    units = list(store.subtree())
    codes = [u.code for u in units]
    cadres = list(store.cadres_of(codes))
    assignments = sorted(store.assignments_to(codes), key=lambda a: a.id)
    meetings = store.meetings_at(codes, date.min, date.max)
    held = {m.id for m in meetings}
    ids = sorted({c.id for c in cadres} | {a.cadre for a in assignments})
    attendance = sorted(
        (row for rows in store.attended(ids, date.min, date.max).values() for _, row in rows),
        key=lambda row: row.key,
    )
    return ChangeSet(
        units=units,
        cadres=cadres,
        assignments=assignments,
        meetings=meetings,
        attendance=[row for row in attendance if row.meeting in held],
        petitions=store.petitions_at(codes, date.min, date.max),
    )


def by_top_unit(changes: ChangeSet) -> list[tuple[str, ChangeSet]]:
    """One change set per top unit (province), with its code, in the order the top units come.

    A unit goes with the top of its chain of parents, a cadre with its home unit's, and an
    assignment with the later of its unit's and its cadre's, so that applied in order every
    parent, home unit, cadre and unit exists before what refers to it.
    """
    units = {u.code: u for u in changes.units}
    root_of: dict[str, str] = {}

    def root(code: str) -> str:
        path: list[str] = []
        at = code
        while at not in root_of:
            path.append(at)
            unit: Unit | None = units.get(at)
            parent = unit.parent if unit is not None else None
            if parent is None or parent not in units or len(path) > len(units):
                root_of[at] = at  # a top unit (or one whose parent is not in the set)
                break
            at = parent
        top = root_of[at]
        for step in path:
            root_of[step] = top
        return top

    order: dict[str, int] = {}
    for u in changes.units:
        order.setdefault(root(u.code), len(order))
    parts = [(code, ChangeSet()) for code in order]
    for u in changes.units:
        parts[order[root(u.code)]][1].units.append(u)
    home: dict[str, int] = {}
    for c in changes.cadres:
        index = order[root(c.home_unit)] if c.home_unit in units else 0
        home[c.id] = index
        parts[index][1].cadres.append(c)
    for a in changes.assignments:
        index = max(order[root(a.unit)] if a.unit in units else 0, home.get(a.cadre, 0))
        parts[index][1].assignments.append(a)
    held: dict[str, int] = {}
    for m in changes.meetings:
        held[m.id] = order[root(m.unit)] if m.unit in units else 0
        parts[held[m.id]][1].meetings.append(m)
    for row in changes.attendance:
        index = max(held.get(row.meeting, 0), home.get(row.cadre, 0))
        parts[index][1].attendance.append(row)
    for p in changes.petitions:
        index = max(
            order[root(p.unit)] if p.unit in units else 0,
            *(home.get(cadre, 0) for cadre in p.handlers()),
        )
        parts[index][1].petitions.append(p)
    return parts
