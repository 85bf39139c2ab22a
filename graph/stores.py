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
from pathlib import Path

from graph.memory_store import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.store import ChangeSet, GraphStore, StoreError
from neo4j import Driver

__all__ = ["StoreConfig", "dump"]

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
            raise StoreError(f"NAM_STORE={chosen!r}: use one of {', '.join(KINDS)}")
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
            return f"memory store in {self.data_dir}"
        return f"Neo4j database {self.database!r} at {self.uri}"

    def driver(self) -> Driver:
        if not self.password:
            raise StoreError("NEO4J_PASSWORD is not set; the Neo4j store needs it")
        return Neo4jStore.connect(self.uri, self.user, self.password)

    def open(self) -> GraphStore:
        if self.kind == "memory":
            return MemoryStore.open(self.data_dir)
        return Neo4jStore.open(self.driver(), self.database)

    def init(self, policy: str) -> GraphStore:
        if self.kind == "memory":
            return MemoryStore.init(self.data_dir, policy)
        return Neo4jStore.init(self.driver(), self.database, policy)


def dump(store: GraphStore) -> ChangeSet:
    """Every unit, cadre and assignment of a store, to move it into another."""
    units = list(store.subtree())
    codes = [u.code for u in units]
    return ChangeSet(
        units=units,
        cadres=list(store.cadres_of(codes)),
        assignments=sorted(store.assignments_to(codes), key=lambda a: a.id),
    )
