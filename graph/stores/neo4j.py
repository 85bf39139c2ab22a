"""The production store: the nắm graph in Neo4j 5, over Bolt with the official driver.

Every question is answered by one Cypher query inside the database (see
:mod:`graph.stores.neo4j_cypher`); only the answer crosses the wire. Writes are managed transactions
(retried by the driver on transient errors) that apply a whole change set or nothing, in
UNWIND batches. The schema (constraints, indexes) is created by idempotent migrations whose
version is kept on a ``(:NamgraphMeta {key: 'schema'})`` node, with the chain policy in force.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, LiteralString, cast

import yaml
from neo4j.exceptions import (
    AuthError,
    ClientError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)

import neo4j
from graph.activity import Attendance, Meeting, Petition, months_before
from graph.answers import (
    ChainLink,
    Coverage,
    Gap,
    GapReason,
    LevelCoverage,
    LevelReach,
    Load,
    LoadItem,
    Reach,
    Supporter,
    make_load,
)
from graph.dates import today
from graph.faults import pause_mid_apply
from graph.i18n import _
from graph.model import Assignment, Cadre, Status, StatusPeriod, Succession, Unit, UnitVersion
from graph.policy import POLICY_DIR, Policy, load_policy, parse_policy
from graph.scope import (
    ACCESS_KEY,
    OutOfScope,
    ScopeDays,
    check_within,
    clip,
    scope_periods,
    seen_assignment,
)
from graph.stores import neo4j_activity as act
from graph.stores import neo4j_cypher as cy
from graph.stores import neo4j_tails as tails
from graph.stores import read_log
from graph.stores.neo4j_parts import (
    FEWEST,
    Rows,
    Statement,
    cut_into_parts,
    limit_bytes,
    rows_per_part,
)
from graph.stores.neo4j_planning import LARGE_WRITE, refresh_statistics
from graph.stores.port import (
    ChangeSet,
    Guard,
    NotFound,
    StoreError,
    StoreTimeout,
    counted_levels,
    level_of,
    need_unit,
    need_unit_on,
)
from graph.text import fold
from graph.timeline import PolicyTimeline
from neo4j import Driver, GraphDatabase, ManagedTransaction, Transaction

__all__ = ["Neo4jStore", "level_label"]

SCHEMA_VERSION = len(cy.MIGRATIONS)
BATCH = 5_000
#: The pauses (s) before a read is asked again after a lost connection or a transient error.
_READ_RETRIES = (0.05, 0.5, 2.0)
#: What the server says of a question that cannot be wrapped to carry the revision read.
_UNWRAPPABLE = ("Neo.ClientError.Statement.SyntaxError", "Neo.ClientError.Statement.SemanticError")
NO_DATE = date.min  # history entries without a date sort before every real date


class _TooLargeToCollect(Exception):
    """A question's rows, collected to carry the revision read, outgrew the server's memory
    for transactions (``Neo.TransientError.General.MemoryPoolOutOfMemoryError``, or
    ``Neo.ClientError.General.TransactionOutOfMemoryError`` for one transaction's limit): it is
    sent plain."""


def level_label(level_id: str) -> str:
    """The Neo4j label of a policy level: ``household_group`` -> ``HouseholdGroup``.

    >>> level_label("household_group")
    'HouseholdGroup'
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", level_id):
        raise StoreError(f"level id {level_id!r} cannot be a Neo4j label; use lower_snake_case")
    return "".join(part.capitalize() for part in level_id.split("_"))


def _q(text: str) -> LiteralString:
    """Query texts are module constants or built from them and policy labels only."""
    return text


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, neo4j.time.Date):
        return value.to_native()
    return cast(date, value)


def _unit(props: Any) -> Unit:
    earlier = tuple(
        UnitVersion(
            None if start == NO_DATE else start, _date(until), name, kind, parent or None, why
        )
        for start, until, name, kind, parent, why in zip(
            (_date(d) for d in props.get("earlier_from") or ()),
            props.get("earlier_to") or (),
            props.get("earlier_name") or (),
            props.get("earlier_kind") or (),
            props.get("earlier_parent") or (),
            props.get("earlier_decision") or (),
            strict=True,
        )
    )
    return Unit(
        code=props["code"],
        name=props["name"],
        level=props["level"],
        kind=props.get("kind", ""),
        parent=props.get("parent"),
        households=props.get("households"),
        valid_from=_date(props.get("valid_from")),
        valid_to=_date(props.get("valid_to")),
        earlier=earlier,
        decision=props.get("decision") or "",
        successors=tuple(
            Succession(code, on, why)
            for code, on, why in zip(
                props.get("successor_code") or (),
                (_date(d) for d in props.get("successor_on") or ()),
                props.get("successor_resolution") or (),
                strict=True,
            )
            if on is not None
        ),
    )


def _cadre(props: Any) -> Cadre:
    history = tuple(
        StatusPeriod(Status(status), None if since == NO_DATE else since)
        for status, since in zip(
            props["history_status"], (_date(d) for d in props["history_since"]), strict=True
        )
    )
    return Cadre(
        id=props["id"],
        name=props["name"],
        level=props["level"],
        home_unit=props["home_unit"],
        titles=tuple(props.get("titles") or ()),
        history=history,
        phone=props.get("phone", ""),
    )


def _assignment(props: Any, cadre: str, unit: str) -> Assignment:
    since = _date(props["since"])
    assert since is not None
    return Assignment(
        id=props["id"],
        cadre=cadre,
        unit=unit,
        role=props["role"],
        since=since,
        until=_date(props.get("until")),
        decision=props.get("decision", ""),
    )


def _unit_row(u: Unit) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": u.code,
        "name": u.name,
        "name_folded": fold(u.name),
        "level": u.level,
        "kind": u.kind,
        "parent": u.parent,
        "households": u.households,
        "valid_from": u.valid_from,
        "valid_to": u.valid_to,
        "decision": u.decision or None,
    }
    if u.earlier:
        row["earlier_from"] = [v.valid_from or NO_DATE for v in u.earlier]
        row["earlier_to"] = [v.valid_to for v in u.earlier]
        row["earlier_name"] = [v.name for v in u.earlier]
        row["earlier_kind"] = [v.kind for v in u.earlier]
        row["earlier_parent"] = [v.parent or "" for v in u.earlier]
        row["earlier_decision"] = [v.decision for v in u.earlier]
        row["names_folded"] = " | ".join(fold(v.name) for v in reversed(u.versions()))
    if u.successors:
        row["successor_code"] = [s.code for s in u.successors]
        row["successor_on"] = [s.on for s in u.successors]
        row["successor_resolution"] = [s.resolution for s in u.successors]
    return row


def _part_of_rows(u: Unit) -> dict[str, Any]:
    """The unit's PART_OF links, one per version with a parent, dated like the version."""
    versions = u.versions()
    return {
        "code": u.code,
        "links": [
            {
                "parent": v.parent,
                "valid_from": v.valid_from,
                "valid_to": v.valid_to,
                "latest": index == len(versions) - 1,
            }
            for index, v in enumerate(versions)
            if v.parent
        ],
    }


def _successor_row(u: Unit) -> dict[str, Any]:
    return {"code": u.code, "into": [{"code": m.code, "on": m.on} for m in u.successors]}


def _cadre_row(c: Cadre) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "name_folded": fold(c.name),
        "level": c.level,
        "home_unit": c.home_unit,
        "titles": list(c.titles),
        "history_status": [str(p.status) for p in c.history],
        "history_since": [p.since or NO_DATE for p in c.history],
        "status": str(c.status),
        "status_since": c.status_since,
        "phone": c.phone,
    }


def _assignment_row(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "cadre": a.cadre,
        "unit": a.unit,
        "role": a.role,
        "since": a.since,
        "until": a.until,
        "decision": a.decision,
    }


_PARENTS = (
    "UNWIND $rows AS row MATCH (u:Unit {code: row.code}) USING INDEX SEEK u:Unit(code) "
    "OPTIONAL MATCH (u)-[old:PART_OF]->() DELETE old "
    "WITH DISTINCT u, row UNWIND row.links AS link "
    "MATCH (p:Unit {code: link.parent}) USING INDEX SEEK p:Unit(code) "
    "CREATE (u)-[:PART_OF {valid_from: link.valid_from, valid_to: link.valid_to, "
    "latest: link.latest}]->(p)"
)
_SUCCESSORS = (
    "UNWIND $rows AS row MATCH (u:Unit {code: row.code}) USING INDEX SEEK u:Unit(code) "
    "OPTIONAL MATCH (u)-[old:MERGED_INTO]->() DELETE old "
    "WITH DISTINCT u, row UNWIND row.into AS into "
    "MATCH (n:Unit {code: into.code}) USING INDEX SEEK n:Unit(code) "
    "CREATE (u)-[:MERGED_INTO {on: into.on}]->(n)"
)
_CADRES = (
    "UNWIND $rows AS row MERGE (c:Cadre {id: row.id}) SET c = row "
    "WITH c, row OPTIONAL MATCH (c)-[old:WORKS_IN]->() DELETE old "
    "WITH DISTINCT c, row MATCH (h:Unit {code: row.home_unit}) USING INDEX SEEK h:Unit(code) "
    "MERGE (c)-[:WORKS_IN]->(h)"
)
_ASSIGNMENTS = (
    "UNWIND $rows AS row OPTIONAL MATCH ()-[old:SUPPORTS {id: row.id}]->() "
    "USING INDEX SEEK old:SUPPORTS(id) DELETE old "
    "WITH DISTINCT row MATCH (c:Cadre {id: row.cadre}), (u:Unit {code: row.unit}) "
    "USING INDEX SEEK c:Cadre(id) USING INDEX SEEK u:Unit(code) "
    "CREATE (c)-[:SUPPORTS {id: row.id, role: row.role, since: row.since, "
    "until: row.until, decision: row.decision}]->(u)"
)
#: The end of a write in parts, done or undone: the mark cleared, the generation moved.
_FINISHED = (
    "MATCH (m:NamgraphMeta {key: 'schema'}) SET m.loading = null, m.generation = m.generation + 1"
)
#: What a write that failed halfway created, deleted again (see ``Neo4jStore._undo``).
_UNCREATE = (
    "UNWIND $rows AS row OPTIONAL MATCH ()-[s:SUPPORTS {id: row.id}]->() "
    "USING INDEX SEEK s:SUPPORTS(id) DELETE s",
    "UNWIND $rows AS row MATCH (c:Cadre {id: row.id}) USING INDEX SEEK c:Cadre(id) DETACH DELETE c",
    "UNWIND $rows AS row MATCH (u:Unit {code: row.id}) USING INDEX SEEK u:Unit(code) DETACH DELETE u",
)


#: The nodes of the chain graph and its bookkeeping, as a WHERE condition on ``n``.
_GRAPH_LABELS = "n:Unit OR n:Cadre OR n:NamgraphMeta OR n:PolicyRule OR n:Reshuffle"


def _unfinished(database: str, started: str) -> str:
    return _(
        "a write into Neo4j database {name} that began at {at} has not finished, so the "
        "graph there is incomplete: wait until it is done; if the program writing it was "
        "stopped, copy the graph in again with `nam export neo4j --replace`"
    ).format(name=repr(database), at=started)


class Neo4jStore:
    """The Neo4j adapter of :class:`graph.stores.port.GraphStore`. One driver per process."""

    def __init__(
        self,
        driver: Driver,
        database: str,
        policy: Policy,
        policy_text: str,
        later: tuple[tuple[date, Policy, str], ...] = (),
    ) -> None:
        self.driver = driver
        self.database = database
        #: The first policy's YAML, and the later policies with their dates and YAML.
        self.policy_text = policy_text
        self.later = later
        self.timeline = PolicyTimeline([(None, policy), *((d, p) for d, p, _ in later)])
        self.policy = self.timeline.on(today())
        self._tx: ManagedTransaction | Transaction | None = None  # set on views inside a write
        self.scope: str | None = None
        #: Seconds after which the server stops a read (None: no limit); the API sets it.
        self.timeout: float | None = None
        #: The most rows one write transaction holds (None: worked out from the server).
        self.part_rows: int | None = None
        #: Told the rows of each part of a write in parts once it is in (`nam export`).
        self.progress: Callable[[int], None] | None = None
        self._labels = sorted({level_label(level) for level in self.timeline.ranks()}, key=str)
        self._params_by_policy: dict[str, dict[str, Any]] = {}
        #: The days of the scope this view is scoped to (None: not scoped).
        self._days: ScopeDays | None = None
        #: Scope days by root, with the generation they were worked out at (shared by views).
        self._days_by_root: dict[str, tuple[int, ScopeDays]] = {}
        #: The revision last read from the server (shared by views; see seen_revision).
        self._last_revision: list[tuple[str, int]] = []
        #: A scoped view's: the revision its scope days were read at (see seen_revision).
        self._days_revision: tuple[str, int] | None = None

    def policy_on(self, on: date | None) -> Policy:
        return self.timeline.on(on)

    def _policy_params(self, policy: Policy) -> dict[str, Any]:
        """The policy as query parameters, made once per policy."""
        kept = self._params_by_policy.get(policy.id)
        if kept is not None:
            return kept
        rules = {
            level: {"role": r.role, "cadre_level": r.cadre_level, "titles": list(r.titles)}
            for level, r in policy.coverage.items()
        }
        all_rules = [
            {
                "id": r.id,
                "role": r.role,
                "cadre_level": r.cadre_level,
                "unit_level": r.unit_level,
                "titles": list(r.titles),
            }
            for r in policy.rules
        ]
        presence = {
            level: {
                "below": policy.activity.presence_for(level).below,
                "kinds": list(policy.activity.presence_for(level).kinds),
            }
            for level in policy.coverage
        }
        params: dict[str, Any] = {
            "presence": presence,
            "rules": rules,
            "all_rules": all_rules,
            "chain": list(policy.chain),
            "household_level": policy.household_level,
        }
        self._params_by_policy[policy.id] = params
        return params

    def set_policy(self, policy: str, start: date) -> PolicyTimeline:
        """Put ``policy`` in force from ``start``, kept on the meta node as YAML."""
        loaded = load_policy(policy)
        path = Path(policy) if Path(policy).suffix else POLICY_DIR / f"{policy}.yaml"
        text = path.read_text(encoding="utf-8")
        later = tuple(
            sorted(
                [*(e for e in self.later if e[0] != start), (start, loaded, text)],
                key=lambda e: e[0],
            )
        )
        self.driver.execute_query(
            "MATCH (m:NamgraphMeta {key: 'schema'}) SET m.timeline = $timeline, "
            "m.generation = coalesce(m.generation, 0) + 1",
            timeline=json.dumps(
                [{"from": d.isoformat(), "yaml": t} for d, _, t in later], ensure_ascii=False
            ),
            database_=self.database,
        )
        self.later = later
        self.timeline = PolicyTimeline(
            [(None, self.timeline.first), *((d, p) for d, p, _ in later)]
        )
        self.policy = self.timeline.on(today())
        self._labels = sorted({level_label(level) for level in self.timeline.ranks()}, key=str)
        return self.timeline

    # --- connecting ---------------------------------------------------------------------
    @staticmethod
    def connect(uri: str, user: str, password: str) -> Driver:
        driver = GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF")
        try:
            driver.verify_connectivity()
        except (ServiceUnavailable, AuthError, OSError) as exc:
            driver.close()
            raise StoreError(f"cannot reach Neo4j at {uri}: {exc}") from exc
        return driver

    @classmethod
    def open(cls, driver: Driver, database: str = "neo4j") -> Neo4jStore:
        meta = cls._meta(driver, database)
        if meta is None:
            raise StoreError(
                _("Neo4j database {name} holds no namgraph graph: run `nam init` first").format(
                    name=repr(database)
                )
            )
        if meta.get("version", 0) > SCHEMA_VERSION:
            raise StoreError(
                _(
                    "the graph has schema version {found}, newer than this namgraph ({ours}); "
                    "upgrade namgraph"
                ).format(found=meta["version"], ours=SCHEMA_VERSION)
            )
        if meta.get("loading") and meta.get("imported"):
            return cls._finish_import(driver, database, meta)
        if meta.get("loading"):
            raise StoreError(_unfinished(database, str(meta["loading"])))
        return cls._from_meta(driver, database, meta)

    @classmethod
    def _from_meta(cls, driver: Driver, database: str, meta: dict[str, Any]) -> Neo4jStore:
        text = meta["policy_yaml"]
        later = tuple(
            (
                date.fromisoformat(entry["from"]),
                parse_policy(yaml.safe_load(entry["yaml"]), "neo4j"),
                entry["yaml"],
            )
            for entry in json.loads(meta.get("timeline") or "[]")
        )
        store = cls(driver, database, parse_policy(yaml.safe_load(text), "neo4j"), text, later)
        if meta.get("version", 0) < SCHEMA_VERSION:
            store.migrate()
        return store

    @classmethod
    def _finish_import(cls, driver: Driver, database: str, meta: dict[str, Any]) -> Neo4jStore:
        """Set up a graph loaded by Neo4j's offline importer (:mod:`graph.stores.neo4j_import`)
        on its first opening: the lists the importer cannot carry, then the constraints and
        indexes (waited for), then the mark cleared and the generation moved. Until then every
        reader is refused (the ``loading`` mark); two processes finishing at once do the same
        steps, each of which changes nothing the second time."""
        try:
            with driver.session(database=database) as session:
                # the plain indexes first: they fill in the background while the fills and
                # the constraints (which fill their own index before they return) run
                for statement in cy.MIGRATIONS[0]:
                    if statement.startswith(("CREATE INDEX", "CREATE TEXT INDEX")):
                        session.run(_q(statement)).consume()
                for statement in cy.IMPORT_FILLS:
                    session.run(_q(statement)).consume()
            store = cls._from_meta(driver, database, meta)  # migrates: version 0
            driver.execute_query("CALL db.awaitIndexes(3600)", database_=database)
            driver.execute_query(
                "MATCH (m:NamgraphMeta {key: 'schema'}) WHERE m.imported "
                "SET m.loading = null, m.imported = null, m.generation = m.generation + 1",
                database_=database,
            )
            refresh_statistics(driver, database)
        except Neo4jError as exc:  # another process setting it up at once, say: each step
            raise StoreError(  # can be done again, so the next opening finishes it
                _(
                    "setting up the graph loaded with neo4j-admin failed ({error}); run any nam "
                    "command again to finish it"
                ).format(error=exc)
            ) from exc
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"Neo4j is unavailable: {exc}") from exc
        return store

    @classmethod
    def init(cls, driver: Driver, database: str, policy: str) -> Neo4jStore:
        """Set up an empty database under a policy; refuse one that already holds a graph."""
        if cls._meta(driver, database) is not None:
            raise StoreError(
                _("Neo4j database {name} already holds a graph").format(name=repr(database))
            )
        loaded = load_policy(policy)
        path = Path(policy) if Path(policy).suffix else POLICY_DIR / f"{policy}.yaml"
        store = cls(driver, database, loaded, path.read_text(encoding="utf-8"))
        store.migrate()
        return store

    @staticmethod
    def _meta(driver: Driver, database: str) -> dict[str, Any] | None:
        try:
            records, _, _ = driver.execute_query(
                "MATCH (m:NamgraphMeta {key: 'schema'}) RETURN properties(m) AS meta",
                database_=database,
                routing_=neo4j.RoutingControl.READ,
            )
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"Neo4j is unavailable: {exc}") from exc
        return dict(records[0]["meta"]) if records else None

    def migrate(self) -> int:
        """Bring constraints and indexes to the current schema version; return it."""
        meta = self._meta(self.driver, self.database) or {}
        current = int(meta.get("version", 0))
        for statements in cy.MIGRATIONS[current:]:
            for statement in statements:
                self.driver.execute_query(_q(statement), database_=self.database)
        self.driver.execute_query(
            "MERGE (m:NamgraphMeta {key: 'schema'}) "
            "SET m.version = $version, m.policy = $policy, m.policy_yaml = $text, "
            "m.epoch = coalesce(m.epoch, randomUUID()), "
            "m.chain = $chain, m.household_level = $household_level "
            "WITH m OPTIONAL MATCH (old:PolicyRule) DETACH DELETE old "
            "WITH DISTINCT m UNWIND $rules AS rule CREATE (r:PolicyRule) SET r = rule",
            version=SCHEMA_VERSION,
            policy=self.timeline.first.id,
            text=self.policy_text,
            chain=list(self.timeline.first.chain),
            household_level=self.timeline.first.household_level,
            rules=self._rule_nodes(),
            database_=self.database,
        )
        return SCHEMA_VERSION

    def _rule_nodes(self) -> list[dict[str, Any]]:
        """The policy's rules as (:PolicyRule) properties, for analysts' queries in Browser."""
        policy = self.timeline.first
        covering = {rule.id: level for level, rule in policy.coverage.items()}
        return [
            {
                "id": r.id,
                "role": r.role,
                "cadre_level": r.cadre_level,
                "unit_level": r.unit_level,
                "titles": list(r.titles),
                "min_per_unit": r.min_per_unit,
                "max_per_unit": r.max_per_unit,
                "max_per_cadre": r.max_per_cadre,
                "coverage_of": covering.get(r.id),
            }
            for r in policy.rules
        ]

    @staticmethod
    def drop(driver: Driver, database: str) -> None:
        """Delete the whole graph and its meta node (`nam export --replace`, tests)."""
        with driver.session(database=database) as session:
            for labels in ("n:Meeting OR n:Petition", _GRAPH_LABELS):  # activity first
                session.run(
                    f"MATCH (n) WHERE {labels} "
                    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
                ).consume()
        refresh_statistics(driver, database)

    def close(self) -> None:
        self.driver.close()

    # --- running queries ------------------------------------------------------------------
    def unscoped(self) -> Neo4jStore:
        if self.scope is None:
            return self
        view = copy.copy(self)
        view.scope = None
        view._days = None
        view._days_revision = None
        return view

    #: Of its bookkeeping, only ``pinned`` never waits (it is the store itself); its revision
    #: and generation are asked of the server (see namgraph.api.context.bookkeeping).
    quick_bookkeeping = frozenset({"pinned"})

    def pinned(self) -> Neo4jStore:
        return self  # READ COMMITTED: readers compare generations (see GraphStore.pinned)

    def scoped(self, root: str) -> Neo4jStore:
        """This store as a caller scoped to ``root`` sees it: every query gets ``$scope`` and
        ``$scope_tops``, and what comes back is cut to its days in the scope."""
        if self.scope is not None and not self.units([root]):
            root = ""  # outside this view's own scope: a view of nothing
        view = copy.copy(self)
        view.scope = root
        view._days, view._days_revision = self.unscoped()._scope_days(root)
        return view

    def scope_days(self, root: str) -> ScopeDays:
        """The days each unit lies in the scope of ``root`` (see :mod:`graph.scope`); kept per
        write generation (inside a write, worked out afresh)."""
        return self._scope_days(root)[0]

    def _scope_days(self, root: str) -> tuple[ScopeDays, tuple[str, int] | None]:
        """The scope days of ``root``, and the revision read before they were (None inside a
        write)."""
        revision = self.revision() if self._tx is None else None
        generation = revision[1] if revision is not None else -1
        kept = self._days_by_root.get(root)
        if kept is not None and kept[0] == generation >= 0:
            return kept[1], revision

        def related(query: str) -> Callable[[Collection[str]], dict[str, list[Unit]]]:
            def ask(codes: Collection[str]) -> dict[str, list[Unit]]:
                rows = self._read(query, codes=list(codes), scope=None)
                return {r["code"]: [_unit(u) for u in r["found"]] for r in rows}

            return ask

        days = scope_periods(
            root,
            related(
                "UNWIND $codes AS code MATCH (:Unit {code: code})<-[:PART_OF]-(u) "
                "RETURN code, collect(DISTINCT u) AS found"
            ),
            related(
                "UNWIND $codes AS code MATCH (:Unit {code: code})<-[:MERGED_INTO]-(u) "
                "RETURN code, collect(DISTINCT u) AS found"
            ),
        )
        if generation >= 0:
            self._days_by_root[root] = (generation, days)
        return days, revision

    # --- what a scoped view shows ---------------------------------------------------------
    def _cut(self, unit: Unit) -> Unit | None:
        """``unit`` cut to its days in this view's scope (None: it has none)."""
        if self._days is None:
            return unit
        periods = self._days.periods.get(unit.code)
        return clip(unit, periods) if periods is not None else None

    def _seen(self, props: Any) -> Unit | None:
        return self._cut(_unit(props))

    def _on(self, props: Any, on: date) -> Unit:
        """A unit a question found in the scope on ``on``, as the scope sees it, on that day."""
        unit = _unit(props)
        return (self._cut(unit) or unit).on(on)

    def _seen_units(self, found: Iterable[Any]) -> list[Unit]:
        return [u for props in found if (u := self._seen(props)) is not None]

    def _seen_assignments(self, found: Iterable[Assignment]) -> list[Assignment]:
        if self._days is None:
            return list(found)
        periods = self._days.periods
        return [a for a in found if seen_assignment(a, periods.get(a.unit))]

    def _seen_cadres(self, found: Iterable[Cadre]) -> list[Cadre]:
        cadres = list(found)
        if self._days is None:
            return cadres
        away = [c.id for c in cadres if not self._days.seen(c.home_unit)]
        supporting = self.assignments_of(away) if away else {}
        return [c for c in cadres if self._days.seen(c.home_unit) or supporting.get(c.id)]

    def _read(self, query: str, **params: Any) -> list[neo4j.Record]:
        params.setdefault("scope", self.scope)
        params.setdefault("absent", [])
        params.setdefault("scope_tops", sorted(self._days.tops) if self._days else [])
        log = read_log.current()
        if self._tx is not None:
            if log is not None:
                log.saw(None)  # inside a write: its own revision is not known here
            return list(self._tx.run(_q(query), params))
        # In a request (a log open), the revision is read at the end of the same statement
        # once the question's columns are known (see graph.stores.neo4j_tails).
        columns = tails.columns_of(query) if log is not None else None
        if log is not None and columns is not None:
            try:
                (record,) = self._run_plain(tails.tailed(query, columns), params, tailed=True)[0]
            except ClientError as exc:
                if "OutOfMemory" in (exc.code or ""):  # one transaction's limit
                    tails.refuse(query)
                elif exc.code in _UNWRAPPABLE:
                    tails.refuse(query)  # cannot be wrapped (an unnamed column): plain from now
                else:
                    raise
            except _TooLargeToCollect:
                tails.refuse(query)  # its rows, collected, outgrow the transaction's memory
            else:
                revision = tails.revision_of(record)
                if revision is None:
                    self._last_revision.clear()  # being written: the next question waits
                else:
                    self._last_revision[:] = [revision]
                log.saw(revision)
                return tails.unpack(record, columns)
        records, keys = self._run_plain(query, params)
        if log is not None:
            tails.learn(query, keys)
            log.saw(None)
        return records

    def _run_plain(
        self, query: str, params: dict[str, Any], *, tailed: bool = False
    ) -> tuple[list[neo4j.Record], list[str]]:
        """One auto-commit statement, its records and its columns: a single round trip, where
        a transaction of its own takes two (BEGIN and RUN, then COMMIT). A read is asked again
        on a connection lost (a restarted server leaves the pool's connections dead) or a
        transient error (a database starting), as a managed transaction would be, a little
        later each time; a ``tailed`` one that outgrows the transaction's memory is not."""
        statement = neo4j.Query(_q(query), timeout=self.timeout)
        try:
            for pause in (*_READ_RETRIES, None):
                try:
                    with self.driver.session(
                        database=self.database, default_access_mode="READ"
                    ) as s:
                        result = s.run(statement, params)
                        return list(result), list(result.keys())
                except (ServiceUnavailable, SessionExpired, TransientError) as exc:
                    if tailed and "OutOfMemory" in (getattr(exc, "code", None) or ""):
                        raise _TooLargeToCollect from exc
                    if pause is None:
                        raise
                    time.sleep(pause)
            raise AssertionError("unreachable")
        except (ServiceUnavailable, SessionExpired, TransientError) as exc:
            raise StoreError(f"Neo4j is unavailable: {exc}") from exc
        except Neo4jError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise StoreTimeout(
                    _(
                        "the question took longer than {limit} s and was stopped; ask about a "
                        "smaller unit"
                    ).format(limit=f"{self.timeout:g}")
                ) from exc
            raise

    def _ask(
        self,
        query: str,
        on: date,
        without: Collection[str] = (),
        *,
        absent: Collection[str] = (),
        **params: Any,
    ) -> list[neo4j.Record]:
        policy = self._policy_params(self.policy_on(on))
        return self._read(
            query, on=on, without=list(without), absent=list(absent), **policy, **params
        )

    def generation(self) -> int:
        """How many change sets have been applied; changes with every write."""
        return self.revision()[1]

    def seen_revision(self) -> tuple[str, int] | None:
        """The revision the last :meth:`revision` of this store (or of any of its views) read,
        once it had come back: a request may start its question at it and check it with one
        read after, instead of one before and one after (one round trip fewer). A scoped view
        names the revision its scope days were read at: a later one, read by another request,
        would vouch for a question cut by the days of an older graph."""
        if self._days_revision is not None:
            return self._days_revision
        last = self._last_revision
        return last[0] if last else None

    def revision(self) -> tuple[str, int]:
        """The meta node's ``epoch`` (a random id given when the graph is made) and generation,
        in one light read (not the policies the meta node also holds). Kept for
        :meth:`seen_revision` once read; forgotten when the graph cannot be read (a load under
        way, the server down), so that the next question is refused before it is asked."""
        try:
            revision = self._revision()
        except StoreError:
            self._last_revision.clear()
            raise
        self._last_revision[:] = [revision]
        return revision

    def _revision(self) -> tuple[str, int]:
        try:  # one auto-commit statement: a single round trip, no BEGIN nor COMMIT
            with self.driver.session(database=self.database, default_access_mode="READ") as s:
                record = s.run(
                    "MATCH (m:NamgraphMeta {key: 'schema'}) RETURN " + tails.META_READ
                ).single()
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"Neo4j is unavailable: {exc}") from exc
        if record is None:
            return ("", 0)
        if record["loading"] and record["imported"]:  # a process opened before the import
            raise StoreError(
                _(
                    "the graph in Neo4j database {name} was loaded with neo4j-admin and is not "
                    "set up yet: restart namgraph (the first namgraph command or server to open "
                    "it sets it up)"
                ).format(name=repr(self.database))
            )
        if record["loading"]:  # a write in parts is under way: its half is not to be read
            raise StoreError(_unfinished(self.database, str(record["loading"])))
        return (str(record["epoch"]), int(record["generation"]))

    def ping(self) -> bool:
        return bool(self._read("RETURN 1 AS ok")[0]["ok"] == 1)

    # --- writing ------------------------------------------------------------------------
    def apply(
        self,
        changes: ChangeSet,
        guard: Guard | None = None,
        record: Mapping[str, object] | None = None,
    ) -> None:
        """Write ``changes`` in one transaction, or, when they hold more rows than one
        transaction's memory allows (:meth:`rows_per_part`), in parts (:meth:`_apply_in_parts`)."""
        statements = self._statements(changes)
        parts = self._parts(statements)
        if len(parts) > 1:
            self._apply_in_parts(changes, parts, guard, record)
        else:

            def work(tx: ManagedTransaction) -> None:
                self._begin_write(tx, changes, guard)
                self._write(tx, changes, pause=True)
                if record is not None:
                    self._record(tx, record)

            self._run_write(work)
        if sum(len(s.rows) for s in statements) >= LARGE_WRITE:
            refresh_statistics(self.driver, self.database)  # see graph.stores.neo4j_planning

    def rows_per_part(self) -> int:
        """The most rows one write transaction holds: from the server's transaction memory
        limit, read once (``part_rows`` when set: `nam export --part-records`, tests)."""
        if self.part_rows is None:
            self.part_rows = rows_per_part(limit_bytes(self.driver, self.database))
        return self.part_rows

    def transactions_for(self, changes: ChangeSet) -> tuple[int, int]:
        """How many transactions :meth:`apply` writes ``changes`` in, and how many rows."""
        statements = self._statements(changes)
        return len(self._parts(statements)), sum(len(s.rows) for s in statements)

    def _parts(self, statements: list[Statement]) -> list[list[Statement]]:
        """The transactions ``statements`` are written in. A write of no more rows than the
        smallest part is one, without asking the server its limit (most writes are small)."""
        if sum(len(s.rows) for s in statements) <= FEWEST:
            return [statements]
        return cut_into_parts(statements, self.rows_per_part(), BATCH)

    def _begin_write(self, tx: ManagedTransaction, changes: ChangeSet, guard: Guard | None) -> None:
        """A write's first steps, in its transaction: move the generation (first, so that
        concurrent writes queue behind this one's lock on the meta node), refuse while a write
        in parts is under way, then the scope's and the caller's checks."""
        mark = tx.run(
            "MATCH (m:NamgraphMeta {key: 'schema'}) "
            "SET m.generation = coalesce(m.generation, 0) + 1 RETURN m.loading AS loading"
        ).single()
        if mark is not None and mark["loading"]:
            raise StoreError(_unfinished(self.database, str(mark["loading"])))
        if self.scope is not None:
            check_within(self._within(tx), changes)
        if guard is not None:
            guard(self._within(tx))

    @staticmethod
    def _record(tx: ManagedTransaction, record: Mapping[str, object]) -> None:
        tx.run(
            "MERGE (r:Reshuffle {id: $id}) SET r.status = 'applied', "
            "r.record = $record, r.applied_at = datetime($at), r.access_scope = $scope",
            id=str(record["id"]),
            record=json.dumps(record, ensure_ascii=False, sort_keys=True),
            at=str(record["applied_at"]),
            scope=record.get(ACCESS_KEY),
        ).consume()

    def _run_write(self, work: Callable[[ManagedTransaction], Any]) -> Any:
        try:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(work)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"Neo4j is unavailable; nothing was written: {exc}") from exc
        except OutOfScope:
            raise
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused the change; nothing was written: {exc}") from exc

    def _apply_in_parts(
        self,
        changes: ChangeSet,
        parts: list[list[Statement]],
        guard: Guard | None,
        record: Mapping[str, object] | None,
    ) -> None:
        """All or nothing over several transactions. The first checks as a one-transaction
        write does, reads what the records were before and marks the graph as being written
        (``loading``): until the mark is cleared, readers (:meth:`revision`) and other writers
        are refused, so no one sees half of it. The last part clears the mark and moves the
        generation again. If a part fails, what the earlier parts wrote is undone (records that
        did not exist are deleted, the others written back as they were) and the mark cleared;
        only a process stopped outright leaves the mark, and namgraph then refuses the graph."""
        started = datetime.now(UTC).isoformat(timespec="seconds")

        def first(tx: ManagedTransaction) -> ChangeSet:
            self._begin_write(tx, changes, guard)
            empty = (
                tx.run(
                    "MATCH (n) WHERE n:Unit OR n:Cadre OR n:Meeting OR n:Petition RETURN n LIMIT 1"
                ).single()
                is None
            )
            # into an empty graph (`nam export`'s first copy), nothing is overwritten
            before = (
                ChangeSet([], [], []) if empty else self.unscoped()._within(tx)._before(changes)
            )
            tx.run(
                "MATCH (m:NamgraphMeta {key: 'schema'}) SET m.loading = $started",
                started=started,
            ).consume()
            return before

        before: ChangeSet = self._run_write(first)
        try:
            for index, part in enumerate(parts):
                self._write_part(part)
                if index == 0:
                    pause_mid_apply()
                if self.progress is not None:
                    self.progress(sum(len(s.rows) for s in part))
        except BaseException as failure:
            try:
                self._undo(changes, before)
            except Exception as undo_failure:
                raise StoreError(
                    _(
                        "writing to Neo4j failed ({failure}) and undoing what was written "
                        "failed too ({undo}): {what}"
                    ).format(
                        failure=failure, undo=undo_failure, what=_unfinished(self.database, started)
                    )
                ) from failure
            if isinstance(failure, StoreError):
                raise
            if isinstance(failure, Exception):
                raise StoreError(
                    _("Neo4j refused the change; nothing was written: {error}").format(
                        error=failure
                    )
                ) from failure
            raise

        def last(tx: ManagedTransaction) -> None:
            if record is not None:
                self._record(tx, record)
            tx.run(_FINISHED).consume()

        self._run_write(last)

    def _write_part(self, part: list[Statement]) -> None:
        def work(tx: ManagedTransaction) -> None:
            for statement in part:
                tx.run(_q(statement.query), rows=list(statement.rows)).consume()

        self._run_write(work)

    def _before(self, changes: ChangeSet) -> ChangeSet:
        """The records ``changes`` will overwrite, as they are now (new ones are absent), read
        in pieces so that no one read holds a whole country's keys."""

        def read(keys: list[str], ask: Callable[[list[str]], Mapping[str, Any]]) -> list[Any]:
            found: dict[str, Any] = {}
            for start in range(0, len(keys), BATCH):
                found.update(ask(keys[start : start + BATCH]))
            return list(found.values())

        return ChangeSet(
            read([u.code for u in changes.units], self.units),
            read([c.id for c in changes.cadres], self.cadres),
            read([a.id for a in changes.assignments], self.assignments_by_id),
            read([m.id for m in changes.meetings], self.meetings),
            read([a.key for a in changes.attendance], self.attendances),
            read([p.id for p in changes.petitions], self.petitions),
        )

    def _undo(self, changes: ChangeSet, before: ChangeSet) -> None:
        """Put back what ``changes`` overwrote, in parts, then clear the write mark."""
        existed = (
            {a.id for a in before.assignments},
            {c.id for c in before.cadres},
            {u.code for u in before.units},
        )
        created = (
            [{"id": a.id} for a in changes.assignments if a.id not in existed[0]],
            [{"id": c.id} for c in changes.cadres if c.id not in existed[1]],
            [{"id": u.code} for u in changes.units if u.code not in existed[2]],
        )
        had = (
            {a.key for a in before.attendance},
            {m.id for m in before.meetings},
            {p.id for p in before.petitions},
        )
        made = (
            [{"id": a.key} for a in changes.attendance if a.key not in had[0]],
            [{"id": m.id} for m in changes.meetings if m.id not in had[1]],
            [{"id": p.id} for p in changes.petitions if p.id not in had[2]],
        )
        statements = [
            *(Statement(query, rows) for query, rows in zip(act.UNCREATE, made, strict=True)),
            *(Statement(query, rows) for query, rows in zip(_UNCREATE, created, strict=True)),
            *self._statements(before),
        ]
        for part in cut_into_parts(statements, self.rows_per_part(), BATCH):
            self._write_part(part)
        self._run_write(lambda tx: tx.run(_FINISHED).consume())

    @contextmanager
    def trial(self, changes: ChangeSet, within: Collection[str] = ()) -> Iterator[Neo4jStore]:
        """The changes written in a transaction that is rolled back after the questions (the
        whole graph is there: ``within`` needs nothing)."""
        try:
            with self.driver.session(database=self.database) as session:
                tx = session.begin_transaction()
                try:
                    self._write(tx, changes)
                    yield self._within(tx)
                finally:
                    tx.rollback()
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreError(f"Neo4j is unavailable: {exc}") from exc
        except Neo4jError as exc:
            raise StoreError(f"Neo4j refused to try the change (nothing is kept): {exc}") from exc

    def _within(self, tx: ManagedTransaction | Transaction) -> Neo4jStore:
        """This store, reading inside ``tx`` (and so seeing its writes)."""
        view = copy.copy(self)
        view._tx = tx
        return view

    def _write(
        self, tx: ManagedTransaction | Transaction, changes: ChangeSet, pause: bool = False
    ) -> None:
        for statement in self._statements(changes):
            if pause and statement.query is _ASSIGNMENTS:
                pause_mid_apply()
            for start in range(0, len(statement.rows), BATCH):
                batch = list(statement.rows[start : start + BATCH])
                tx.run(_q(statement.query), rows=batch).consume()

    def _statements(self, changes: ChangeSet) -> list[Statement]:
        """The statements that write ``changes``, in an order where every reference is to a
        node written before it: units, their parents, their successors, cadres, assignments.
        Their rows are made when sent (:class:`Rows`)."""
        all_labels = ":".join(self._labels)
        by_level: dict[str, list[Unit]] = {}
        for u in changes.units:
            by_level.setdefault(u.level, []).append(u)
        statements = [
            Statement(
                "UNWIND $rows AS row MERGE (u:Unit {code: row.code}) "
                f"SET u = row REMOVE u:{all_labels} SET u:{level_label(level)}",
                Rows(units, _unit_row),
            )
            for level, units in by_level.items()
        ]
        return [
            *statements,
            Statement(_PARENTS, Rows(changes.units, _part_of_rows)),
            Statement(_SUCCESSORS, Rows(changes.units, _successor_row)),
            Statement(_CADRES, Rows(changes.cadres, _cadre_row)),
            Statement(_ASSIGNMENTS, Rows(changes.assignments, _assignment_row)),
            Statement(act.MEETINGS, Rows(changes.meetings, act.meeting_row)),
            Statement(act.ATTENDANCE, Rows(changes.attendance, act.attendance_row)),
            Statement(act.PETITIONS, Rows(changes.petitions, act.petition_row)),
        ]

    def changed_between(
        self, code: str, start: date, end: date
    ) -> tuple[list[Unit], list[Assignment], list[Cadre]]:
        self.need_unit(code)
        params: dict[str, Any] = {"code": code, "start": start, "end": end}

        def within(day: date | None) -> bool:
            return day is not None and start < day <= end

        units = [
            u
            for u in self.subtree(code)
            if any(within(v.valid_from) or within(v.valid_to) for v in u.versions())
        ]
        assignments = self._read(
            f"MATCH (root:Unit {{code: $code}}) WHERE {cy.in_scope('root')} "
            "MATCH (root)<-[:PART_OF*0..]-(u) WITH DISTINCT u MATCH (u)<-[s:SUPPORTS]-(c) "
            "WHERE (s.since > $start AND s.since <= $end) "
            "OR (s.until > $start AND s.until <= $end) "
            "RETURN s, c.id AS cadre, u.code AS unit",
            **params,
        )
        cadres = self._read(
            f"MATCH (root:Unit {{code: $code}}) WHERE {cy.in_scope('root')} "
            "MATCH (root)<-[:PART_OF*0..]-(u) WITH DISTINCT u "
            "MATCH (u)<-[:WORKS_IN|SUPPORTS]-(c:Cadre) "
            "WHERE any(d IN c.history_since WHERE d > $start AND d <= $end) "
            "RETURN DISTINCT c",
            **params,
        )
        return (
            units,
            [_assignment(r["s"], r["cadre"], r["unit"]) for r in assignments],
            [_cadre(r["c"]) for r in cadres],
        )

    # --- reshuffle plans --------------------------------------------------------------------
    def save_plan(self, plan_id: str, document: Mapping[str, object]) -> None:
        self.driver.execute_query(
            "MERGE (r:Reshuffle {id: $id}) SET r.document = $document, "
            "r.status = coalesce(r.status, 'planned'), r.access_scope = $scope",
            id=plan_id,
            document=json.dumps(document, ensure_ascii=False, sort_keys=True),
            scope=document.get(ACCESS_KEY),
            database_=self.database,
        )

    def plan_document(self, plan_id: str) -> dict[str, object] | None:
        rows = self._read(
            f"MATCH (r:Reshuffle {{id: $id}}) WHERE {cy.OWNED} RETURN r.document AS doc", id=plan_id
        )
        if not rows or rows[0]["doc"] is None:
            return None
        loaded: dict[str, object] = json.loads(rows[0]["doc"])
        return loaded

    def applied_plans(self) -> list[dict[str, object]]:
        rows = self._read(
            f"MATCH (r:Reshuffle) WHERE r.status = 'applied' AND {cy.OWNED} "
            "RETURN r.record AS record ORDER BY r.applied_at, r.id"
        )
        return [json.loads(r["record"]) for r in rows]

    # --- records ------------------------------------------------------------------------
    def unit(self, code: str) -> Unit | None:
        return self.units([code]).get(code)

    def need_unit(self, code: str) -> Unit:
        return need_unit(self, code)

    def units(self, codes: Iterable[str]) -> dict[str, Unit]:
        rows = self._read(
            f"UNWIND $codes AS code MATCH (u:Unit {{code: code}}) WHERE {cy.in_scope('u')} RETURN u",
            codes=list(codes),
        )
        return {u.code: u for u in self._seen_units(r["u"] for r in rows)}

    def children(self, code: str, on: date | None = None) -> list[Unit]:
        if on is None:
            rows = self._read(
                f"MATCH (p:Unit {{code: $code}}) WHERE {cy.in_scope('p')} "
                "MATCH (p)<-[:PART_OF]-(u) RETURN DISTINCT u ORDER BY u.code",
                code=code,
            )
            return [u for u in self._seen_units(r["u"] for r in rows) if code in u.parents()]
        return self.children_of([code], on).get(code, [])

    def children_of(self, codes: Iterable[str], on: date) -> dict[str, list[Unit]]:
        rows = self._read(
            f"UNWIND $codes AS code MATCH (p:Unit {{code: code}}) WHERE {cy.in_scope('p')} "
            f"OPTIONAL MATCH (p)<-[r:PART_OF]-(u) WHERE {cy.rel_on('r')} "
            "WITH code, u ORDER BY u.code RETURN code, collect(u) AS units",
            codes=list(codes),
            on=on,
        )
        return {
            r["code"]: [
                u.on(on) for u in self._seen_units(r["units"]) if u.parent_on(on) == r["code"]
            ]
            for r in rows
        }

    def tree(self, code: str, on: date, depth: int) -> tuple[Unit | None, dict[str, list[Unit]]]:
        if not 1 <= depth <= cy.TREE_DEPTH:
            raise ValueError(f"a tree is 1 to {cy.TREE_DEPTH} levels deep, not {depth}")
        rows = self._read(cy.TREE[depth], code=code, on=on)
        if not rows:
            return None, {}
        seen = self._seen_units([rows[0]["root"]])
        root = seen[0] if seen else None
        found = {r["code"]: r["units"] for r in rows}
        below: dict[str, list[Unit]] = {}
        level = [code] if root is not None else []
        for _level in range(depth):  # as children_of, level by level, from what the statement found
            for parent in level:
                below[parent] = [
                    u.on(on)
                    for u in self._seen_units(found.get(parent, []))
                    if u.parent_on(on) == parent
                ]
            level = [u.code for parent in level for u in below[parent]]
        return root, below

    def ancestors(self, code: str, on: date | None = None) -> list[Unit]:
        self.need_unit(code)
        return self.ancestors_of([code], on).get(code, [])

    def ancestors_of(self, codes: Iterable[str], on: date | None = None) -> dict[str, list[Unit]]:
        if self._days is not None and on is None:  # by the latest parents the scope sees
            top = self.units(codes)  # each chain's highest unit so far; one round trip a level
            out: dict[str, list[Unit]] = {code: [] for code in top}
            while top:
                parents = self.units({u.parent for u in top.values() if u.parent})
                top = {
                    code: parents[u.parent]
                    for code, u in top.items()
                    if u.parent is not None and u.parent in parents
                }
                for code, parent in top.items():
                    out[code].append(parent)
            return out
        rows = self._read(cy.ANCESTORS, codes=list(codes), on=on)
        return {r["code"]: [u.on(on) for u in self._seen_units(r["above"])] for r in rows}

    def cadre(self, cadre_id: str) -> Cadre | None:
        return self.cadres([cadre_id]).get(cadre_id)

    def cadres(self, ids: Iterable[str]) -> dict[str, Cadre]:
        rows = self._read(
            f"UNWIND $ids AS id MATCH (c:Cadre {{id: id}}) WHERE {cy.cadre_in_scope('c')} RETURN c",
            ids=list(ids),
        )
        return {c.id: c for c in self._seen_cadres(_cadre(r["c"]) for r in rows)}

    def assignment(self, assignment_id: str) -> Assignment | None:
        rows = self._read(
            f"MATCH (c)-[s:SUPPORTS {{id: $id}}]->(u) WHERE {cy.in_scope('u')} "
            "RETURN s, c.id AS cadre, u.code AS unit",
            id=assignment_id,
        )
        found = self._seen_assignments(_assignment(r["s"], r["cadre"], r["unit"]) for r in rows)
        return found[0] if found else None

    def assignments_by_id(self, ids: Iterable[str]) -> dict[str, Assignment]:
        rows = self._read(
            "UNWIND $ids AS id MATCH (c)-[s:SUPPORTS {id: id}]->(u) "
            f"WHERE {cy.in_scope('u')} RETURN s, c.id AS cadre, u.code AS unit",
            ids=list(ids),
        )
        found = self._seen_assignments(_assignment(r["s"], r["cadre"], r["unit"]) for r in rows)
        return {a.id: a for a in found}

    def assignments(self, *, cadre: str | None = None, unit: str | None = None) -> list[Assignment]:
        if cadre is not None:
            query = "MATCH (c:Cadre {id: $cadre})-[s:SUPPORTS]->(u) WHERE ($unit IS NULL OR u.code = $unit) "
        elif unit is not None:
            query = "MATCH (u:Unit {code: $unit})<-[s:SUPPORTS]-(c) WHERE true "
        else:
            query = "MATCH (c)-[s:SUPPORTS]->(u) WHERE true "
        rows = self._read(
            query
            + f"AND {cy.in_scope('u')} RETURN s, c.id AS cadre, u.code AS unit ORDER BY s.since, s.id",
            cadre=cadre,
            unit=unit,
        )
        return self._seen_assignments(_assignment(r["s"], r["cadre"], r["unit"]) for r in rows)

    def assignments_at(self, codes: Iterable[str]) -> dict[str, list[Assignment]]:
        wanted = list(codes)
        rows = self._read(
            f"UNWIND $codes AS code MATCH (u:Unit {{code: code}}) WHERE {cy.in_scope('u')} "
            "MATCH (u)<-[s:SUPPORTS]-(c) RETURN s, c.id AS cadre, u.code AS unit ORDER BY s.since, s.id",
            codes=wanted,
        )
        out: dict[str, list[Assignment]] = {}
        for a in self._seen_assignments(_assignment(r["s"], r["cadre"], r["unit"]) for r in rows):
            out.setdefault(a.unit, []).append(a)
        return out

    def assignments_of(self, cadre_ids: Iterable[str]) -> dict[str, list[Assignment]]:
        ids = list(cadre_ids)
        rows = self._read(
            "UNWIND $ids AS id MATCH (c:Cadre {id: id})-[s:SUPPORTS]->(u) "
            f"WHERE {cy.in_scope('u')} RETURN s, c.id AS cadre, u.code AS unit ORDER BY s.since, s.id",
            ids=ids,
        )
        return self._by_cadre(ids, rows)

    def assignments_and_units(
        self, cadre_ids: Iterable[str]
    ) -> tuple[dict[str, list[Assignment]], dict[str, Unit]]:
        ids = list(cadre_ids)
        rows = self._read(
            "UNWIND $ids AS id MATCH (c:Cadre {id: id})-[s:SUPPORTS]->(u) "
            f"WHERE {cy.in_scope('u')} "
            "RETURN s, c.id AS cadre, u.code AS unit, u ORDER BY s.since, s.id",
            ids=ids,
        )
        found = self._by_cadre(ids, rows)
        wanted = {a.unit for listed in found.values() for a in listed}
        # each unit as units() gives it: the same scope test in the statement, the same cut
        units = {u.code: u for u in self._seen_units(r["u"] for r in rows)}
        return found, {code: unit for code, unit in units.items() if code in wanted}

    def _by_cadre(self, ids: list[str], rows: list[neo4j.Record]) -> dict[str, list[Assignment]]:
        out: dict[str, list[Assignment]] = {i: [] for i in ids}
        for a in self._seen_assignments(_assignment(r["s"], r["cadre"], r["unit"]) for r in rows):
            out[a.cadre].append(a)
        return out

    def supporters(
        self, codes: Iterable[str], on: date, without: Collection[str] = ()
    ) -> dict[str, tuple[Supporter, ...]]:
        rows = self._ask(cy.SUPPORTERS, on, without, codes=list(codes))
        return {r["code"]: self._supporters(r["supporters"]) for r in rows}

    @staticmethod
    def _supporters(items: list[Any]) -> tuple[Supporter, ...]:
        return tuple(
            Supporter(
                _cadre(item["cadre"]),
                _assignment(item["assignment"], item["cadre"]["id"], item["unit"]),
            )
            for item in items
        )

    # --- activity ---------------------------------------------------------------------------
    def _held(self, m: Any, u: Any) -> Meeting | None:
        """The meeting, when its unit lies in the scope on the meeting's day."""
        found = act.meeting(m)
        unit = self._seen(u)
        return found if unit is not None and unit.exists_on(found.on) else None

    def meetings(self, ids: Iterable[str]) -> dict[str, Meeting]:
        rows = self._read(act.MEETINGS_BY_ID, ids=list(ids))
        found = (self._held(r["m"], r["u"]) for r in rows)
        return {m.id: m for m in found if m is not None}

    def attendances(self, keys: Iterable[str]) -> dict[str, Attendance]:
        rows = self._read(act.ATTENDANCES, keys=list(keys))
        return {
            r["a"]["key"]: act.attendance(r["a"], r["cadre"], r["m"]["id"])
            for r in rows
            if self._held(r["m"], r["u"]) is not None
        }

    def meetings_at(self, codes: Collection[str], start: date, end: date) -> list[Meeting]:
        rows = self._read(act.MEETINGS_AT, codes=list(codes), start=start, end=end)
        return [m for r in rows if (m := self._held(r["m"], r["u"])) is not None]

    def attended(
        self, cadre_ids: Collection[str], start: date, end: date
    ) -> dict[str, list[tuple[Meeting, Attendance]]]:
        out: dict[str, list[tuple[Meeting, Attendance]]] = {c: [] for c in cadre_ids}
        rows = self._read(act.ATTENDED, ids=list(cadre_ids), start=start, end=end)
        for r in rows:
            held = self._held(r["m"], r["u"])
            if held is not None:
                out[r["cadre"]].append((held, act.attendance(r["a"], r["cadre"], held.id)))
        return out

    def _raised(self, p: Any, u: Any) -> Petition | None:
        """The petition, when its unit lies in the scope on the day it was raised."""
        found = act.petition(p)
        unit = self._seen(u)
        return found if unit is not None and unit.exists_on(found.raised) else None

    def petitions(self, ids: Iterable[str]) -> dict[str, Petition]:
        rows = self._read(act.PETITIONS_BY_ID, ids=list(ids))
        found = (self._raised(r["p"], r["u"]) for r in rows)
        return {p.id: p for p in found if p is not None}

    def petitions_at(self, codes: Collection[str], start: date, end: date) -> list[Petition]:
        rows = self._read(act.PETITIONS_AT, codes=list(codes), start=start, end=end)
        return [p for r in rows if (p := self._raised(r["p"], r["u"])) is not None]

    def petitions_of(
        self, cadre_ids: Collection[str], start: date, end: date
    ) -> dict[str, list[Petition]]:
        out: dict[str, list[Petition]] = {c: [] for c in cadre_ids}
        for r in self._read(act.PETITIONS_OF, ids=list(cadre_ids), start=start, end=end):
            found = self._raised(r["p"], r["u"])
            if found is not None:
                out[r["cadre"]].append(found)
        return out

    def absent_supporters(self, code: str, on: date) -> frozenset[str]:
        need_unit_on(self, code, on)
        start = months_before(on, self.policy_on(on).activity.active_months)
        rows = self._ask(act.ABSENT, on, code=code, start=start, end=on + timedelta(days=1))
        return frozenset(r["id"] for r in rows)

    def search(self, text: str, limit: int = 20) -> list[Unit | Cadre]:
        key = fold(text)
        if not key:
            return []
        depth = self.timeline.ranks()
        rows = self._read(cy.SEARCH, key=key, depth=depth, cadre_depth=len(depth), limit=limit)
        if self._days is None:
            return [_unit(r["n"]) if r["kind"] == "unit" else _cadre(r["n"]) for r in rows]
        units = {u.code: u for u in self._seen_units(r["n"] for r in rows if r["kind"] == "unit")}
        cadres = {
            c.id: c for c in self._seen_cadres(_cadre(r["n"]) for r in rows if r["kind"] != "unit")
        }
        found: list[Unit | Cadre] = []
        for r in rows:
            if r["kind"] == "unit" and r["n"]["code"] in units:
                found.append(units[r["n"]["code"]])
            elif r["kind"] != "unit" and r["n"]["id"] in cadres:
                found.append(cadres[r["n"]["id"]])
        return found

    def counts(self) -> dict[str, int]:
        out = {level.id: 0 for level in self.policy.levels}
        if self._days is not None:  # what the scope sees, cut to its days
            units = self.units(list(self._days.periods))
            for unit in units.values():
                out[unit.level] = out.get(unit.level, 0) + 1
            held = [a for group in self.assignments_at(list(units)).values() for a in group]
            out["cadres"] = len(
                {c.id for c in self.cadres_of(list(units))} | {a.cadre for a in held}
            )
            out["assignments"] = len(held)
            return out
        for r in self._read(
            f"MATCH (u:Unit) WHERE {cy.in_scope('u')} RETURN u.level AS level, count(*) AS n"
        ):
            out[r["level"]] = r["n"]
        out["cadres"] = self._read(
            f"MATCH (c:Cadre) WHERE {cy.cadre_in_scope('c')} RETURN count(c) AS n"
        )[0]["n"]
        out["assignments"] = self._read(
            f"MATCH ()-[s:SUPPORTS]->(u) WHERE {cy.in_scope('u')} RETURN count(s) AS n"
        )[0]["n"]
        return out

    def predecessors_of(self, codes: Iterable[str]) -> dict[str, list[Unit]]:
        rows = self._read(
            f"UNWIND $codes AS code MATCH (u:Unit {{code: code}}) WHERE {cy.in_scope('u')} "
            f"OPTIONAL MATCH (p)-[:MERGED_INTO]->(u) WHERE {cy.in_scope('p')} "
            "WITH code, p ORDER BY p.code RETURN code, collect(DISTINCT p) AS found",
            codes=list(codes),
        )
        return {r["code"]: self._seen_units(r["found"]) for r in rows}

    def units_at_levels(self, levels: Collection[str]) -> list[Unit]:
        rows = self._read(
            f"MATCH (u:Unit) WHERE u.level IN $levels AND {cy.in_scope('u')} "
            "RETURN u ORDER BY u.code",
            levels=list(levels),
        )
        return self._seen_units(r["u"] for r in rows)

    def subtree(self, code: str | None = None) -> Iterator[Unit]:
        if code is None and self.scope is None:
            rows = self._read("MATCH (u:Unit) RETURN u ORDER BY u.code")
        elif code is None:
            assert self._days is not None
            yield from sorted(self.units(list(self._days.periods)).values(), key=lambda u: u.code)
            return
        else:
            self.need_unit(code)
            rows = self._read(
                f"MATCH (root:Unit {{code: $code}}) WHERE {cy.in_scope('root')} "
                "MATCH p = (root)<-[:PART_OF*0..]-(u) "
                "RETURN u ORDER BY [x IN nodes(p) | x.code]",
                code=code,
            )
        seen: set[str] = set()  # a unit that moved within the subtree is on two paths
        for r in rows:
            if r["u"]["code"] not in seen:
                seen.add(r["u"]["code"])
                unit = self._seen(r["u"])
                if unit is not None:
                    yield unit

    def cadres_of(self, codes: Collection[str]) -> Iterator[Cadre]:
        rows = self._read(
            f"UNWIND $codes AS code MATCH (h:Unit {{code: code}}) WHERE {cy.in_scope('h')} "
            "MATCH (h)<-[:WORKS_IN]-(c) "
            "RETURN c ORDER BY code, c.id",
            codes=list(codes),
        )
        for r in rows:
            cadre = _cadre(r["c"])
            if self._days is None or self._days.seen(cadre.home_unit):
                yield cadre

    def assignments_to(self, codes: Collection[str]) -> Iterator[Assignment]:
        wanted = list(codes)
        to_units = self._read(
            f"MATCH (u:Unit) WHERE u.code IN $codes AND {cy.in_scope('u')} "
            "MATCH (u)<-[s:SUPPORTS]-(c) "
            "RETURN s, c.id AS cadre, u.code AS unit",
            codes=wanted,
        )
        of_cadres = self._read(
            f"MATCH (h:Unit) WHERE h.code IN $codes AND {cy.in_scope('h')} "
            f"MATCH (h)<-[:WORKS_IN]-(c) MATCH (c)-[s:SUPPORTS]->(u) WHERE {cy.in_scope('u')} "
            "RETURN s, c.id AS cadre, u.code AS unit",
            codes=wanted,
        )
        seen: set[str] = set()
        for r in (*to_units, *of_cadres):
            if r["s"]["id"] not in seen:
                seen.add(r["s"]["id"])
                yield from self._seen_assignments([_assignment(r["s"], r["cadre"], r["unit"])])

    # --- questions ------------------------------------------------------------------------
    def coverage(
        self, code: str, on: date, without: Collection[str] = (), absent: Collection[str] = ()
    ) -> Coverage:
        """One round trip when the unit is there on ``on``: the query returns its root; only
        when it does not is the unit looked up, to say why."""
        rows = self._ask(cy.COVERAGE, on, without, absent=absent, codes=[code])
        found = [u for u in self._seen_units(r["unit"] for r in rows) if u.code == code]
        if found and found[0].exists_on(on):
            level_of(self.policy_on(on), found[0], on)  # a map older than its policy: why
            return self._coverages({code: found[0]}, on, without, rows)[code]
        root = need_unit_on(self, code, on)
        level_of(self.policy_on(on), root, on)
        return self._coverages({code: root}, on, without, absent=absent)[code]

    def coverage_of(self, codes: Iterable[str], on: date) -> dict[str, Coverage]:
        """One round trip: the query returns each root it found with its counts; only the
        codes it did not find (not in the scope on that day, say) are looked up again."""
        wanted = list(dict.fromkeys(codes))
        rows = self._ask(cy.COVERAGE, on, (), codes=wanted)
        roots = {u.code: u for u in self._seen_units(r["unit"] for r in rows)}
        asked = {r["code"] for r in rows}
        if len(asked) < len(wanted):
            roots.update(self.units(c for c in wanted if c not in asked))
        return self._coverages(roots, on, (), rows)

    def coverage_within(self, codes: Iterable[str], on: date) -> dict[str, Coverage]:
        """One statement that walks each subtree once, from the topmost units asked about."""
        wanted = list(dict.fromkeys(codes))
        rows = self._ask(cy.COVERAGE_NESTED, on, (), codes=wanted, wanted=dict.fromkeys(wanted, 1))
        roots = {u.code: u for u in self._seen_units(r["unit"] for r in rows)}
        missing = [c for c in wanted if c not in roots]
        if missing:
            roots.update(self.units(missing))
        return self._coverages(roots, on, (), rows)

    def _coverages(
        self,
        roots: dict[str, Unit],
        on: date,
        without: Collection[str],
        rows: list[neo4j.Record] | None = None,
        absent: Collection[str] = (),
    ) -> dict[str, Coverage]:
        if rows is None:
            rows = self._ask(cy.COVERAGE, on, without, absent=absent, codes=list(roots))
        tallies: dict[str, dict[str, tuple[int, int]]] = {code: {} for code in roots}
        households = dict.fromkeys(roots, 0)
        reached = dict.fromkeys(roots, 0)
        for r in rows:
            if r["code"] not in roots:  # found, but outside the scope's days
                continue
            for tally in r["levels"]:
                tallies[r["code"]][tally["level"]] = (tally["units"], tally["covered"])
            households[r["code"]] += r["households"]
            reached[r["code"]] += r["reached"]
        out: dict[str, Coverage] = {}
        policy = self.policy_on(on)
        for code, root in roots.items():
            if not policy.has_level(root.level):  # left out: asked alone, coverage says why
                continue
            levels = tuple(
                LevelCoverage(level, *tallies[code].get(level, (0, 0)))
                for level in counted_levels(policy, root, on)
            )
            out[code] = Coverage(root.on(on), on, levels, households[code], reached[code])
        return out

    def gaps(
        self,
        code: str,
        level: str,
        on: date,
        without: Collection[str] = (),
        absent: Collection[str] = (),
    ) -> list[Gap]:
        root = need_unit_on(self, code, on)
        policy = self.policy_on(on)
        if policy.coverage_rule(level) is None:
            ruled = ", ".join(policy.coverage)
            raise ValueError(
                _("level {level} has no coverage rule in the policy; use one of: {levels}").format(
                    level=repr(level), levels=ruled
                )
            )
        level_of(policy, root, on)  # a map older than its policy: said plainly
        upper = [lvl.id for lvl in policy.levels[: policy.level(level).index]]
        rows = self._ask(
            cy.GAPS,
            on,
            without,
            absent=absent,
            code=root.code,
            level=level,
            upper=upper,
            down=[*upper, level],
        )
        return [Gap(self._on(r["u"], on), GapReason(r["reason"]), r["broken_at"]) for r in rows]

    def chain(self, code: str, on: date) -> list[ChainLink]:
        rows = self._ask(cy.CHAIN, on, code=code)  # the unit itself first, then up
        first = self._seen(rows[0]["n"]) if rows else None
        if first is None or first.code != code or not first.exists_on(on):
            need_unit_on(self, code, on)  # no such unit, or not that day: says which
        policy = self.policy_on(on)
        links = []
        for r in rows:
            unit = self._on(r["n"], on)
            rule = policy.coverage_rule(unit.level)
            links.append(
                ChainLink(
                    unit=unit,
                    rule=rule.id if rule else None,
                    in_chain=unit.level in policy.chain,
                    supporters=self._supporters(r["supporters"]),
                )
            )
        return links

    def reach(self, cadre_id: str, on: date) -> Reach:
        rows = self._ask(cy.REACH, on, id=cadre_id)
        if not rows or (self._days is not None and self.cadre(cadre_id) is None):
            raise NotFound("cadre", cadre_id)
        r = rows[0]
        cadre = _cadre(r["c"])
        cut = {item["level"]: item["units"] for item in r["cut"]}
        totals = {
            item["level"]: (item["units"], item["units"] - cut.get(item["level"], 0))
            for item in r["levels"]
        }
        households = r["households"]
        broken = sorted(
            (Gap(self._on(b["unit"], on), GapReason(b["reason"])) for b in r["broken"]),
            key=lambda gap: gap.unit.code,
        )
        return Reach(
            cadre=cadre,
            as_of=on,
            status=Status(r["status"]) if r["status"] else None,
            direct=tuple(sorted((self._on(d, on) for d in r["direct"]), key=lambda u: u.code)),
            levels=tuple(
                LevelReach(level.id, *totals[level.id])
                for level in self.policy_on(on).levels
                if level.id in totals
            ),
            households=households,
            breaks=tuple(broken),
        )

    def load(self, code: str, on: date, level: str | None = None) -> list[Load]:
        need_unit_on(self, code, on)
        loads = self._loads(self._ask(cy.LOAD, on, code=code, level=level), on)
        loads.sort(key=lambda item: (-item.units, -item.households, item.cadre.id))
        return loads

    def loads_of(self, cadre_ids: Iterable[str], on: date) -> dict[str, Load]:
        if self._days is not None:
            cadre_ids = list(self.cadres(cadre_ids))
        return {
            load.cadre.id: load
            for load in self._loads(self._ask(cy.LOADS_OF, on, ids=list(cadre_ids)), on)
        }

    def _loads(self, rows: list[neo4j.Record], on: date) -> list[Load]:
        policy = self.policy_on(on)
        return [
            make_load(
                policy,
                _cadre(r["c"]),
                (LoadItem(i["unit"], tuple(i["rules"]), i["households"]) for i in r["items"]),
            )
            for r in rows
        ]
