"""Load time and question latency of namgraph, at one province and at the whole country.

    python -m bench.questions [--scale {province,country,all}] [--stores memory,neo4j]
                              [--no-http] [--repeat N] [--http-repeat N] [--budget S]
                              [--reshuffle N] [--json]

It prints figures and asserts nothing about speed. For each scale it loads the real
administrative list into a fresh data directory under the temporary directory, generates the
roster (hamlets, household groups, cadres, assignments), plans and validates it, writes it,
reopens it from disk as a new process would, then times the questions on the reopened store,
and then a reshuffle of 1,000 changes (plan, apply, plan again). The directory is removed
afterwards.

The tables are rows of *cases* (a name and a callable) by columns of *targets*. A target loads a
scale its own way (reporting its load steps) and gives the cases to time; the store questions
are built once for any :class:`graph.stores.port.GraphStore`, so every store answers the same cases.
Each case goes through a *channel*: ``store`` (the store method), ``cypher`` (the Neo4j store's
query text alone, through the driver) or ``http`` (POST /graphql to the real API app served by
uvicorn in this process, see :mod:`bench.http_api`), under the same case names, so the tables put
them side by side and give the overhead ratios.

Targets:

``memory``
    the embedded networkx store, loaded the way ``nam load admin`` and ``nam generate`` do.
``neo4j``
    the Neo4j store, on the bench's own server (``neo4j/neo4j.sh`` with ``NEO4J_ROOT=.neo4j/bench``,
    Bolt 27687, HTTP 27474; see :mod:`bench.neo4j_server`), started before the first scale and
    stopped after the last (also on error), skipped with a note without Java and Maven. It holds
    the same graph as the memory column: the memory store is dumped (``graph.stores.dump``) and
    the change set applied with ``Neo4jStore.apply`` in one transaction; if that fails, the
    exact error is reported and the graph is applied again as one change set per province
    (``--neo4j-apply province`` does only that), and the load table says which figure is which.
    A question whose transaction runs longer than ``--neo4j-timeout`` is terminated (its row
    shows the error). The server's data directory is removed at the end (``--keep-neo4j-data``).

Reshuffle (``--reshuffle N``, 1,000 rows; 0: none): after a target's questions (it changes the
store), a reshuffle file is built from that store (:mod:`bench.reshuffle`: in the scale's
``reshuffle`` provinces, half the rows retire top-level and commune cadres who hold assignments,
half give some of the units they leave to colleagues of the same area with room), and timed
once each: ``plan_reshuffle`` (read, diff, check, preview through ``store.trial``),
``apply_reshuffle`` (one write) and ``plan_reshuffle`` of the same file again, which must find
nothing to change. Each target builds its own file; the table says whether it is the same file.
When a later column copies the memory column's graph, the memory column dumps it before its
reshuffle (the later column's ``dump memory store`` step, timed then), so both hold the graph the
questions were asked of.

Latency: every case is called once (``first``, not counted), on Neo4j :data:`WARMUP` more
times (its JIT and caches warm up over a few calls), then timed up to ``--repeat`` times
(``--http-repeat`` over HTTP) or until ``--budget`` seconds are spent on it, at least three times
unless one call alone takes a third of the budget. ``p99`` is the nearest-rank percentile, so
below 100 repetitions it is the slowest call. Memory is the resident set after each step and the
peak of the process so far (the bench process only: not the Neo4j server's JVM).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, TypeVar, cast

import neo4j
from bench.http_api import (
    CHAIN,
    COVERAGE,
    DASHBOARD,
    GAPS,
    TYPENAME,
    ApiServer,
    Reply,
    quiet_request_logs,
)
from bench.neo4j_load import (
    Watchdog,
    driver_retries,
    error_code,
    error_text,
    raw_query,
)
from bench.neo4j_server import BenchNeo4j, missing_tools
from bench.reshuffle import EFFECTIVE, ReshuffleFile, write_file
from graph.answers import ChainLink, Coverage, Gap, Load, Reach, WhatIf
from graph.model import Cadre, Severity, Unit, Violation
from graph.questions import what_if
from graph.stores import neo4j_cypher
from graph.stores.config import by_top_unit, dump
from graph.stores.memory import DB_FILE, MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import ChangeSet, GraphStore
from graph.validate import validate_store
from loaders.admin import plan_admin
from loaders.generate import Roster, generate
from loaders.plan import Plan, apply_plan, make_plan
from loaders.reshuffle import apply_reshuffle, plan_reshuffle
from namgraph.api.settings import Settings

__all__ = [
    "SCALES",
    "TARGETS",
    "Case",
    "MemoryTarget",
    "Neo4jTarget",
    "Run",
    "Scale",
    "Step",
    "Target",
    "Timing",
    "Workspace",
    "cypher_cases",
    "http_cases",
    "main",
    "store_cases",
    "time_case",
    "time_reshuffle",
]

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ROOT / "data" / "admin" / "vn-admin-2023-05-07.csv"
POLICY = "ben-tre-559"
SEED = 1
#: The day the questions are asked: inside the policy's validity and the admin list's date.
ON = date(2023, 5, 1)
MIN_REPS = 3


# --- what is measured ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """What to load, and which units and people the questions are about."""

    name: str
    title: str
    admin_province: str | None  # ``None``: every province on the list
    province: str = "83"  # Bến Tre
    district: str = "831"  # Châu Thành, Bến Tre
    group: str = "28801.01.01"  # a household group of Thị trấn Châu Thành
    large: tuple[str, ...] = ()  # more provinces: their coverage and a what_if are timed
    searches: tuple[str, ...] = ("Chau Thanh", "Châu Thành")
    dashboards: tuple[str, ...] = ()  # more provinces whose dashboard is timed over HTTP
    reshuffle: tuple[str, ...] = ("83",)  # the provinces the reshuffle file's rows go to


SCALES: dict[str, Scale] = {
    "province": Scale("province", "one province: Bến Tre (83)", "83"),
    "country": Scale(
        "country",
        "the whole country: every province on the real list",
        None,
        large=("01", "79"),
        dashboards=("01",),  # Hà Nội: 30 districts, 579 communes
        # Hà Nội, Thanh Hóa, Đà Nẵng, Hồ Chí Minh City, Bến Tre: north, centre and south
        reshuffle=("01", "38", "48", "79", "83"),
    ),
}

#: Calls after the first and before the timed ones, per target: the Neo4j server's JIT and
#: caches warm up over a few calls (its first calls are the ``first`` column).
WARMUP = {"neo4j": 2}

#: How a case reaches its answer: the store method, the store's Cypher alone, or the API.
CHANNELS = ("store", "cypher", "http")


@dataclass(frozen=True)
class Case:
    """One row of the question table: a name, the call to time, and a short word on its answer."""

    name: str
    run: Callable[[], object]
    describe: Callable[[object], str] = str
    channel: str = "store"  # one of CHANNELS


def case(
    name: str, run: Callable[[], T], describe: Callable[[T], str], channel: str = "store"
) -> Case:
    """A :class:`Case` whose ``describe`` is typed by what ``run`` returns."""
    return Case(name, run, lambda answer: describe(cast(T, answer)), channel)


@dataclass
class Step:
    """One step of a load, for one target."""

    target: str
    name: str
    records: int | None
    seconds: float
    rss_mib: float | None
    peak_mib: float
    note: str = ""

    @property
    def rate(self) -> float | None:
        if not self.records or self.seconds <= 0:
            return None
        return self.records / self.seconds


@dataclass
class ReshuffleStep(Step):
    """One step of the reshuffle, for one target, with the plan's summary when it has one."""

    summary: dict[str, int] | None = None
    scopes: int | None = None  # the plan's preview scopes


@dataclass
class Timing:
    """The latency of one case on one target, in milliseconds."""

    target: str
    case: str
    channel: str = "store"
    reps: int = 0
    first_ms: float | None = None
    median_ms: float | None = None
    p99_ms: float | None = None
    min_ms: float | None = None
    answer: str = ""
    error: str | None = None


@dataclass
class ScaleResult:
    scale: str
    title: str
    steps: list[Step] = field(default_factory=list)
    reshuffle: list[ReshuffleStep] = field(default_factory=list)
    timings: list[Timing] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0


@dataclass
class Run:
    """The options of one run, and what lives across its scales (the Neo4j server)."""

    repeat: int = 50
    http_repeat: int = 100
    budget: float = 5.0
    http: bool = True
    neo4j: BenchNeo4j | None = None
    neo4j_apply: str = "one"  # "one": one change set, per province if that fails; "province"
    neo4j_timeout: float = 300.0  # a Neo4j transaction running longer is terminated
    reshuffle: int = 1000  # rows of the reshuffle planned and applied after the questions; 0: none
    notes: list[str] = field(default_factory=list)


@dataclass
class Dumped:
    """The memory column's graph as one change set, dumped for a later column before the
    memory column's reshuffle changed it, with its counts and the (later column's) dump step."""

    changes: ChangeSet
    counts: dict[str, int]
    step: Step


@dataclass
class Workspace:
    """What the targets of one scale share: its directory, its log, and the memory store that
    the memory column loaded (the Neo4j column copies it, then lets it go; or its dump, taken
    before the memory column's reshuffle)."""

    scale: Scale
    workdir: Path
    log: Callable[[Step], None]
    note: Callable[[str], None]  # goes into the report
    echo: Callable[[str], None]  # progress, on stderr only
    memory: MemoryStore | None = None
    copier: str | None = None  # a later target that copies the memory column's graph
    dumped: Dumped | None = None
    files: dict[str, str] = field(default_factory=dict)  # target: SHA-256 of its reshuffle file


class Target(Protocol):
    """One column: loads a scale (logging its steps), then gives the cases to time."""

    name: str

    def load(self, ws: Workspace) -> None: ...
    def cases(self, scale: Scale) -> list[Case]:
        """The store cases, and any other channel this target has (the Neo4j Cypher)."""
        ...

    def graph_store(self) -> GraphStore:
        """The loaded store, for the API server."""
        ...

    def before_write(self, ws: Workspace) -> None:
        """Called after the questions, before the reshuffle changes the store."""
        ...

    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


# --- memory ---------------------------------------------------------------------------------


def rss_mib() -> float | None:
    """The resident set of this process now, or ``None`` where /proc is missing."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    """The largest resident set of this process so far (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def measure(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


# --- the embedded store -----------------------------------------------------------------------


class MemoryTarget:
    """The embedded networkx store, loaded the way ``nam load admin`` and ``nam generate`` do."""

    name = "memory"

    def __init__(self) -> None:
        self.store: MemoryStore | None = None

    def load(self, ws: Workspace) -> None:
        data = ws.workdir / self.name

        def step(name: str, records: int | None, seconds: float, note: str) -> None:
            ws.log(Step(self.name, name, records, seconds, rss_mib(), peak_mib(), note))

        write(ws.scale, data, step)
        gc.collect()  # the writing process is gone; the reader starts afresh
        self.store, seconds = measure(lambda: MemoryStore.open(data))
        ws.memory = self.store
        counts = self.counts()
        step(
            "reopen from disk",
            sum(counts.values()),
            seconds,
            f"{counts.get('hamlet', 0):,} hamlets, {counts.get('household_group', 0):,} groups",
        )

    def cases(self, scale: Scale) -> list[Case]:
        assert self.store is not None, "load first"
        return store_cases(self.store, scale)

    def graph_store(self) -> GraphStore:
        assert self.store is not None, "load first"
        return self.store

    def before_write(self, ws: Workspace) -> None:
        """A later column copies this graph: dump it now, as it was for the questions."""
        if self.store is None or ws.memory is not self.store:
            return
        if ws.copier is not None:
            ws.dumped = dump_memory(self.store, ws.copier, "before the memory column's reshuffle")
        ws.memory = None

    def counts(self) -> dict[str, int]:
        return dict(self.store.counts()) if self.store is not None else {}

    def close(self) -> None:
        self.store = None
        gc.collect()


def dump_memory(store: MemoryStore, target: str, when: str = "") -> Dumped:
    """``graph.stores.dump`` of the memory store, timed as a load step of ``target``."""
    changes, seconds = measure(lambda: dump(store))
    note = (
        f"{len(changes.units):,} units, {len(changes.cadres):,} cadres, "
        f"{len(changes.assignments):,} assignments" + (f"; {when}" if when else "")
    )
    step = Step(
        target,
        "dump memory store (stores.dump)",
        len(changes),
        seconds,
        rss_mib(),
        peak_mib(),
        note,
    )
    return Dumped(changes, dict(store.counts()), step)


StepLog = Callable[[str, int | None, float, str], None]


def write(scale: Scale, data: Path, step: StepLog) -> MemoryStore:
    """What ``nam init``, ``nam load admin`` and ``nam generate`` do, step by step."""
    store, seconds = measure(lambda: MemoryStore.init(data, POLICY))
    step("init data directory", None, seconds, f"policy {POLICY}")

    admin, seconds = measure(lambda: plan_admin(store, ADMIN, scale.admin_province))
    _refuse(admin, "administrative list")
    step("admin list: read + plan", len(admin.changes), seconds, _units_note(admin))
    _, seconds = measure(lambda: apply_plan(store, admin))
    step("admin list: write", len(admin.changes), seconds, _size_note(data))

    top = store.policy.top_level
    codes = (
        [scale.admin_province]
        if scale.admin_province
        else [u.code for u in store.subtree() if u.level == top]
    )
    roster, seconds = measure(lambda: _generate(store, codes))
    records = len(roster.units) + len(roster.cadres) + len(roster.assignments)
    step(
        "roster: generate",
        records,
        seconds,
        f"{_plural(len(codes), 'province')}: {len(roster.units):,} units, {len(roster.cadres):,} "
        f"cadres, {len(roster.assignments):,} assignments",
    )
    plan, seconds = measure(
        lambda: make_plan(store, roster.units, roster.cadres, roster.assignments)
    )
    _refuse(plan, "roster")
    summary = plan.summary()
    step(
        "roster: plan + validate",
        records,
        seconds,
        f"{summary['create']:,} to create, {summary['warnings']} warnings",
    )
    _, seconds = measure(lambda: apply_plan(store, plan))
    step("roster: apply + write", len(plan.changes), seconds, _size_note(data))
    return store


def _generate(store: MemoryStore, codes: Sequence[str]) -> Roster:
    """The rosters of ``codes`` in one, as ``nam generate --province all`` gathers them."""
    roster = Roster([], [], [])
    for code in codes:
        one = generate(store, code, SEED)
        roster.units += one.units
        roster.cadres += one.cadres
        roster.assignments += one.assignments
    return roster


def _refuse(plan: Plan, what: str) -> None:
    if not plan.ok:
        shown = "; ".join(str(p) for p in plan.problems[:5])
        raise SystemExit(f"the {what} has {len(plan.problems)} errors, nothing to time: {shown}")


def _units_note(plan: Plan) -> str:
    levels: dict[str, int] = {}
    for unit in plan.changes.units:
        levels[unit.level] = levels.get(unit.level, 0) + 1
    return ", ".join(f"{n:,} {level}" for level, n in levels.items())


def _size_note(data: Path) -> str:
    size = (data / DB_FILE).stat().st_size
    if size < 2**20:
        return f"{DB_FILE} {size / 2**10:,.0f} KiB"
    return f"{DB_FILE} {size / 2**20:,.1f} MiB"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


# --- the Neo4j store --------------------------------------------------------------------------


class Neo4jTarget:
    """The Neo4j store on the bench's own server, holding the memory column's graph.

    Its load steps: the memory store it copies (the memory column's, or one written here the
    same way, as ``source:`` steps), ``graph.stores.dump``, dropping the previous scale's graph,
    ``Neo4jStore.init`` and ``Neo4jStore.apply``: one change set in one transaction, and if that
    fails (the error is shown whole), one change set per province, labelled as such. Records/s
    counts units, cadres and assignments written.
    """

    name = "neo4j"

    def __init__(self, run: Run) -> None:
        if run.neo4j is None:
            raise RuntimeError("the bench's Neo4j server is not running")
        self.server = run.neo4j
        self.mode = run.neo4j_apply
        self.timeout = run.neo4j_timeout
        self.driver: neo4j.Driver | None = None
        self.store: Neo4jStore | None = None
        self.echo: Callable[[str], None] = lambda text: None
        self.note: Callable[[str], None] = self.echo
        self.watchdog: Watchdog | None = None

    def load(self, ws: Workspace) -> None:
        def step(name: str, records: int | None, seconds: float, note: str) -> None:
            ws.log(Step(self.name, name, records, seconds, rss_mib(), peak_mib(), note))

        changes, expected = self._dump(ws, step)
        gc.collect()  # only the change set is left: the networkx graph is gone

        self.echo = ws.echo
        self._connect()
        self._fresh(step)
        if self.mode == "one":
            began = time.perf_counter()
            try:
                with driver_retries() as retries:
                    self._store().apply(changes)
            except Exception as exc:
                failed = time.perf_counter() - began
                text = error_text(exc)
                again = (
                    f"; the driver ran the whole transaction {len(retries) + 1} times "
                    "(execute_write retries errors Neo4j calls transient)"
                    if retries
                    else ""
                )
                step(
                    "apply: one ChangeSet: FAILED",
                    None,
                    failed,
                    f"{len(changes):,} records attempted, {len(retries) + 1} run(s): "
                    f"{error_code(exc)} (the whole error is in the note above)",
                )
                ws.note(
                    f"neo4j: Neo4jStore.apply of the whole graph in one ChangeSet failed "
                    f"after {failed:.1f} s{again}: {text}"
                )
                self._recover(ws, step)
                self._by_province(changes, step, "fallback after the one-ChangeSet apply failed")
            else:
                seconds = time.perf_counter() - began
                again = f", run {len(retries) + 1} times by the driver" if retries else ""
                step("apply: one ChangeSet", len(changes), seconds, f"one transaction{again}")
        else:
            self._by_province(changes, step, "--neo4j-apply province")
        del changes
        gc.collect()
        counts, seconds = measure(self.counts)
        same = (
            "same counts as the memory store"
            if counts == expected
            else (f"COUNTS DIFFER from the memory store: {expected}")
        )
        if counts != expected:
            ws.note(f"neo4j holds {counts}, the memory store held {expected}")
        step("count records", sum(counts.values()), seconds, f"{same}; {_disk(self.server.data)}")
        assert self.driver is not None
        self.watchdog = Watchdog(self.driver, self.server.database, self.timeout).__enter__()
        self.note = ws.note

    @classmethod
    def _dump(cls, ws: Workspace, step: StepLog) -> tuple[ChangeSet, dict[str, int]]:
        """The memory store's graph as one change set, and its counts; the workspace lets the
        memory store go (or gives the dump the memory column took before its reshuffle)."""
        dumped, ws.dumped = ws.dumped, None
        source = ws.memory
        ws.memory = None
        if dumped is None:
            if source is None:  # no memory column before this one: write the same graph here
                source = write(
                    ws.scale,
                    ws.workdir / "neo4j-source",
                    lambda name, records, seconds, note: step(
                        f"source: {name}", records, seconds, note
                    ),
                )
            dumped = dump_memory(source, cls.name)
            del source
        ws.log(dumped.step)
        return dumped.changes, dumped.counts

    def _connect(self) -> None:
        if self.driver is not None:
            self.driver.close()
        self.driver = Neo4jStore.connect(self.server.uri, self.server.user, self.server.password)

    def _store(self) -> Neo4jStore:
        assert self.store is not None, "init first"
        return self.store

    def _fresh(self, step: StepLog) -> None:
        """An empty database under the bench's policy (dropping the previous scale's graph)."""
        driver = self.driver
        assert driver is not None
        _, seconds = measure(lambda: Neo4jStore.drop(driver, self.server.database))
        step("drop previous graph", None, seconds, "Neo4jStore.drop")
        self.store, seconds = measure(lambda: Neo4jStore.init(driver, self.server.database, POLICY))
        step("init (constraints, indexes, policy)", None, seconds, f"policy {POLICY}")

    def _recover(self, ws: Workspace, step: StepLog) -> None:
        """After a failed apply: restart a server that died, and start from an empty graph."""
        if not self.server.running():
            ws.note(
                "neo4j: the server died during the apply; its last log lines:\n"
                + self.server.log_tail()
            )
            _, seconds = measure(self.server.start)
            step("restart the server", None, seconds, "it died during the failed apply")
            self._connect()
        self._fresh(step)

    def _by_province(
        self,
        changes: ChangeSet,
        step: StepLog,
        why: str,
    ) -> None:
        parts, seconds = measure(lambda: by_top_unit(changes))
        step("split by province", len(changes), seconds, "graph.stores.by_top_unit")
        store = self._store()
        slowest = (0.0, "")
        start = time.perf_counter()
        for i, (top, part) in enumerate(parts, 1):
            _, took = measure(lambda: store.apply(part))  # noqa: B023 (called at once)
            slowest = max(slowest, (took, top))
            self.echo(
                f"neo4j: applied {top} ({i}/{len(parts)}): {len(part):,} records, {took:.1f} s"
            )
        seconds = time.perf_counter() - start
        largest = max(parts, key=lambda item: len(item[1]))
        step(
            f"apply: PER PROVINCE ({len(parts)} ChangeSets)",
            len(changes),
            seconds,
            f"{why}; largest {largest[0]} {len(largest[1]):,} records, "
            f"slowest {slowest[1]} {slowest[0]:.1f} s",
        )

    def cases(self, scale: Scale) -> list[Case]:
        store = self.graph_store()
        return store_cases(store, scale) + cypher_cases(store, scale)

    def graph_store(self) -> Neo4jStore:
        assert self.store is not None, "load first"
        return self.store

    def before_write(self, ws: Workspace) -> None:
        """Nothing to keep: the next scale drops the graph."""

    def counts(self) -> dict[str, int]:
        return dict(self.store.counts()) if self.store is not None else {}

    def close(self) -> None:
        self.store = None
        if self.watchdog is not None:
            self.watchdog.__exit__()
            for query in self.watchdog.terminated:
                self.note(f"neo4j: terminated after {self.timeout:.0f} s: {query}")
            self.watchdog = None
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        gc.collect()


def _disk(path: Path) -> str:
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return f"server data {size / 2**20:,.0f} MiB"


#: Every target the bench knows, in the order they run (the memory column's graph is reused).
TARGETS: dict[str, Callable[[Run], Target]] = {
    "memory": lambda run: MemoryTarget(),
    "neo4j": Neo4jTarget,
}


# --- the questions ----------------------------------------------------------------------------


def _coverage_name(code: str, what: str) -> str:
    return f"coverage {code} ({what})"


def _gaps_name(code: str, level: str) -> str:
    return f"gaps {code} {level}"


def _chain_name(code: str) -> str:
    return f"chain {code} (household group)"


def store_cases(store: GraphStore, scale: Scale) -> list[Case]:
    """The questions of a scale, asked of any store on :data:`ON`."""
    group = _group(store, scale)
    cadre = _provincial_cadre(store, scale.district)  # supports the district: reaches it all
    leaver = _provincial_cadre(store, _first_commune(store, scale.district))
    province, district = scale.province, scale.district
    found: list[Case] = [
        case(_coverage_name(province, "province"), _coverage(store, province), _cov)
    ]
    found += [
        case(_coverage_name(code, "large province"), _coverage(store, code), _cov)
        for code in scale.large
    ]
    found += [
        case(_coverage_name(district, "district"), _coverage(store, district), _cov),
        case(
            _gaps_name(province, "commune"),
            lambda: store.gaps(province, "commune", ON),
            _gaps,
        ),
        case(
            _gaps_name(province, "household_group"),
            lambda: store.gaps(province, "household_group", ON),
            _gaps,
        ),
        case(_chain_name(group), lambda: store.chain(group, ON), _chain),
        case(f"reach {cadre} (provincial cadre)", lambda: store.reach(cadre, ON), _reach),
        case(f"load {district} (district)", lambda: store.load(district, ON), _load),
        case(f"what_if {leaver} (provincial cadre)", _what_if_of(store, leaver), _what_if),
    ]
    for code in scale.large:
        other = _provincial_cadre(store, _first_commune(store, code))
        found.append(
            case(f"what_if {other} (cadre of {code})", _what_if_of(store, other), _what_if)
        )
    found += [case(f"search {text!r}", _search(store, text), _hits) for text in scale.searches]
    found.append(
        case(f"validate {district} (district)", lambda: validate_store(store, ON, district), _val)
    )
    # as a district officer sees it: the same questions through the store scoped to the district
    scoped = store.scoped(district)
    officer = f"as officer of {district}"
    found += [
        case(_coverage_name(district, officer), _coverage(scoped, district), _cov),
        case(f"reach {cadre} ({officer})", lambda: scoped.reach(cadre, ON), _reach),
        case(f"load {district} ({officer})", lambda: scoped.load(district, ON), _load),
    ]
    found += [
        case(f"search {text!r} ({officer})", _search(scoped, text), _hits)
        for text in scale.searches
    ]
    return found


def cypher_cases(store: Neo4jStore, scale: Scale) -> list[Case]:
    """The Neo4j store's query texts alone, with the parameters its questions pass, for the
    cases of the overhead table: coverage of the province, its gaps at commune level, and the
    chain of the household group."""
    group = _group(store, scale)
    province = scale.province

    def raw(name: str, query: str, **params: Any) -> Case:
        return case(name, raw_query(store, query, ON, **params), _rows, "cypher")

    return [
        raw(_coverage_name(province, "province"), neo4j_cypher.COVERAGE, codes=[province]),
        raw(_gaps_name(province, "commune"), neo4j_cypher.GAPS, code=province, level="commune"),
        raw(_chain_name(group), neo4j_cypher.CHAIN, code=group),
    ]


def http_cases(api: ApiServer, store: GraphStore, scale: Scale) -> list[Case]:
    """POST /graphql for the coverage of the province, its gaps at commune level, the chain of
    the household group, and the provincial dashboard (of the scale's province, and of
    ``scale.dashboards``)."""
    group = _group(store, scale)
    province = scale.province
    on = ON.isoformat()

    def post(query: str, **variables: Any) -> Callable[[], Reply]:
        return lambda: api.post(query, asOf=on, **variables)

    found = [
        case(
            _coverage_name(province, "province"),
            post(COVERAGE, unit=province),
            _http_cov,
            "http",
        ),
        case(
            _gaps_name(province, "commune"),
            post(GAPS, unit=province, level="commune"),
            _http_gaps,
            "http",
        ),
        case(_chain_name(group), post(CHAIN, unit=group), _http_chain, "http"),
        case(
            f"dashboard {province} (province)",
            post(DASHBOARD, province=province),
            _http_dashboard,
            "http",
        ),
    ]
    found += [
        case(
            f"dashboard {code} (large province)",
            post(DASHBOARD, province=code),
            _http_dashboard,
            "http",
        )
        for code in scale.dashboards
    ]
    return found


def kept_cases(api: ApiServer, scale: Scale) -> list[Case]:
    """POST /graphql to a server that keeps answers until the next write: an empty request
    (``{ __typename }``: the API's own cost, no store) and the provincial dashboard reloaded
    (every call after the untimed first one is given the kept answer)."""
    on = ON.isoformat()
    province = scale.province
    return [
        case("empty request { __typename }", lambda: api.post(TYPENAME), _http_typename, "http"),
        case(
            f"dashboard {province} (province) again, kept",
            lambda: api.post(DASHBOARD, province=province, asOf=on),
            _http_dashboard,
            "http",
        ),
    ]


def _http_typename(reply: Reply) -> str:
    return str(reply.data["__typename"])


def _coverage(store: GraphStore, code: str) -> Callable[[], Coverage]:
    return lambda: store.coverage(code, ON)


def _what_if_of(store: GraphStore, cadre: str) -> Callable[[], WhatIf]:
    return lambda: what_if(store, [cadre], ON)


def _search(store: GraphStore, text: str) -> Callable[[], list[Unit | Cadre]]:
    return lambda: store.search(text, 10)


def _group(store: GraphStore, scale: Scale) -> str:
    """The scale's household group, or the first one of its district."""
    if store.unit(scale.group) is not None:
        return scale.group
    household = store.policy.household_level
    for unit in store.subtree(scale.district):
        if unit.level == household:
            return unit.code
    raise SystemExit(f"no household group under {scale.district}")


def _first_commune(store: GraphStore, code: str) -> str:
    for unit in store.subtree(code):
        if unit.level == "commune":
            return unit.code
    raise SystemExit(f"no commune under {code}")


def _provincial_cadre(store: GraphStore, code: str) -> str:
    """A provincial cadre who supports the unit ``code`` (any one, failing that)."""
    top = store.policy.top_level
    for a in store.assignments(unit=code):
        cadre = store.cadre(a.cadre)
        if cadre is not None and cadre.level == top and a.in_force_on(ON):
            return cadre.id
    for a in store.assignments():
        cadre = store.cadre(a.cadre)
        if cadre is not None and cadre.level == top and a.in_force_on(ON):
            return cadre.id
    raise SystemExit("no provincial cadre with an assignment in force")


def _pct(ratio: float | None) -> str:
    return "-" if ratio is None else f"{100 * ratio:.1f}%"


def _cov(c: Coverage) -> str:
    units = sum(level.units for level in c.levels)
    return f"{units:,} units, {c.households:,} hh, {_pct(c.ratio)} reached"


def _gaps(found: list[Gap]) -> str:
    return f"{len(found):,} gaps"


def _chain(links: list[ChainLink]) -> str:
    covered = sum(1 for link in links if link.covered)
    return f"{len(links)} links, {covered} covered"


def _reach(r: Reach) -> str:
    units = sum(level.units for level in r.levels)
    return f"{len(r.direct)} direct, {units:,} units, {r.households:,} hh"


def _load(loads: list[Load]) -> str:
    over = sum(1 for item in loads if item.overloaded)
    return f"{len(loads):,} cadres, {over} overloaded"


def _what_if(w: WhatIf) -> str:
    return f"{len(w.lost)} units lost, {w.households_lost:,} hh lost"


def _hits(hits: list[Unit | Cadre]) -> str:
    return f"{len(hits)} hits" + (f", first {_key(hits[0])}" if hits else "")


def _key(hit: Unit | Cadre) -> str:
    return hit.code if isinstance(hit, Unit) else hit.id


def _val(found: list[Violation]) -> str:
    errors = sum(1 for v in found if v.severity is Severity.ERROR)
    return f"{errors} errors, {len(found) - errors} warnings"


def _rows(records: list[neo4j.Record]) -> str:
    return _plural(len(records), "row")


def _http_cov(reply: Reply) -> str:
    c = reply.data["coverage"]
    units = sum(level["units"] for level in c["levels"])
    return f"{units:,} units, {c['households']:,} hh, {_pct(c['ratio'])} reached"


def _http_gaps(reply: Reply) -> str:
    return f"{reply.data['gaps']['totalCount']:,} gaps"


def _http_chain(reply: Reply) -> str:
    links = reply.data["chain"]
    covered = sum(1 for link in links if link["covered"])
    return f"{len(links)} links, {covered} covered"


def _http_dashboard(reply: Reply) -> str:
    unit = reply.data["unit"]
    districts = unit["children"]
    communes = sum(len(d["children"]) for d in districts)
    return (
        f"{len(districts)} districts, {communes:,} communes, {_pct(unit['coverage']['ratio'])} "
        f"reached, {reply.size / 2**10:,.0f} KiB"
    )


# --- timing -------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``p``% at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def time_case(target: str, c: Case, repeat: int, budget: float, warmup: int = 0) -> Timing:
    """Call ``c`` once (its own figure), ``warmup`` more times (not counted), then up to
    ``repeat`` times within ``budget``."""
    timing = Timing(target, c.name, c.channel)
    try:
        answer, first = measure(c.run)
        timing.first_ms = first * 1e3
        timing.answer = c.describe(answer)
        del answer
        for _ in range(warmup):
            c.run()
        minimum = MIN_REPS if first < budget / MIN_REPS else 1
        samples: list[float] = []
        spent = first
        while len(samples) < repeat and (len(samples) < minimum or spent < budget):
            _, seconds = measure(c.run)
            samples.append(seconds * 1e3)
            spent += seconds
    except Exception as exc:  # a failing question is a figure too; the others still run
        timing.error = error_text(exc)
        return timing
    if samples:
        timing.reps = len(samples)
        timing.median_ms = statistics.median(samples)
        timing.p99_ms = percentile(samples, 99)
        timing.min_ms = min(samples)
    return timing


# --- the reshuffle ------------------------------------------------------------------------------


def time_reshuffle(
    target: str, store: GraphStore, ws: Workspace, rows: int, log: Callable[[ReshuffleStep], None]
) -> None:
    """Build a reshuffle file of ``rows`` rows from ``store`` (:mod:`bench.reshuffle`), then time
    once each: planning it, applying the plan, and planning it again (nothing left to change).
    Failures are notes and rows marked FAILED; the caller's other targets still run."""
    path = ws.workdir / f"reshuffle-{target}.csv"
    on = EFFECTIVE

    def step(
        name: str,
        records: int | None,
        seconds: float,
        note: str,
        plan: dict[str, Any] | None = None,
    ) -> None:
        summary = dict(plan["summary"]) if plan is not None else None
        scopes = len(plan["preview"]) if plan is not None else None
        log(
            ReshuffleStep(
                target, name, records, seconds, rss_mib(), peak_mib(), note, summary, scopes
            )
        )

    began = time.perf_counter()
    doing = "building the file"
    try:
        built, seconds = measure(
            lambda: write_file(store, ws.scale.reshuffle, rows, path, on, SEED)
        )
        step(
            "build the file (bench, from the store)",
            built.rows,
            seconds,
            _same_file(ws, target, built),
        )

        doing = "planning it"
        plan, seconds = measure(lambda: plan_reshuffle(store, path, by="bench"))
        step("plan: read, diff, check, preview", built.rows, seconds, _plan_note(plan), plan)
        if plan["problems"]:
            shown = "; ".join(
                f"row {p.get('row')}: {p.get('message')}" for p in plan["problems"][:3]
            )
            ws.note(
                f"{target}: the reshuffle plan has {len(plan['problems'])} problems, not applied: "
                f"{shown}"
            )
            return

        doing = "applying it"
        changes = plan["changes"]
        records = len(changes["cadres"]) + len(changes["assignments"])
        done, seconds = measure(lambda: apply_reshuffle(store, plan["id"], by="bench"))
        where = (
            f"; rewrites {_size_note(store.data_dir)}"
            if isinstance(store, MemoryStore) and store.data_dir is not None
            else "; one transaction"
        )
        step(
            "apply: one write" if done.written else "apply: NOTHING WRITTEN",
            records,
            seconds,
            f"{len(changes['cadres']):,} cadres, {len(changes['assignments']):,} assignments"
            + where,
        )
        if not done.written:
            ws.note(f"{target}: applying the reshuffle plan wrote nothing")
            return

        doing = "planning it again"
        again, seconds = measure(lambda: plan_reshuffle(store, path, by="bench"))
        s = again["summary"]
        idle = s["end"] == s["start"] == s["status"] == 0 and not again["problems"]
        step(
            "plan again after apply",
            built.rows,
            seconds,
            _counts(s) + ("; nothing to change" if idle else "; EXPECTED NOTHING TO CHANGE"),
            again,
        )
        if not idle:
            ws.note(f"{target}: the reshuffle planned again after apply still changes: {s}")
    except Exception as exc:  # reported; the other targets still run
        failed = time.perf_counter() - began
        step(f"FAILED {doing}", None, failed, error_code(exc))
        ws.note(f"{target}: the reshuffle failed {doing}: {error_text(exc)}")


def _same_file(ws: Workspace, target: str, built: ReshuffleFile) -> str:
    """The file's description, and whether it is the file an earlier target built."""
    digest = hashlib.sha256(built.path.read_bytes()).hexdigest()
    others = [name for name, seen in ws.files.items() if seen == digest]
    differs = [name for name, seen in ws.files.items() if seen != digest]
    ws.files[target] = digest
    if differs:
        ws.note(f"{target}: its reshuffle file differs from that of {', '.join(differs)}")
    same = f"; the same file as {', '.join(others)}" if others else ""
    return built.describe() + same + (f"; DIFFERS from {', '.join(differs)}" if differs else "")


def _counts(summary: dict[str, int]) -> str:
    return ", ".join(f"{summary[k]:,} {k}" for k in ("end", "start", "continue", "status")) + (
        f", {summary['errors']} errors, {summary['warnings']} warnings"
    )


def _plan_note(plan: dict[str, Any]) -> str:
    """The plan's counts, and its preview: scopes, coverage before -> after where it changes."""
    previews = plan["preview"]
    levels: dict[str, list[int]] = {}
    for p in previews:
        for when, index in (("before", 0), ("after", 1)):
            for lc in p[when]["levels"]:
                levels.setdefault(lc["level"], [0, 0])[index] += lc["covered"]
    lost = sum(len(p["lost"]) for p in previews)
    moved = ", ".join(f"{level} {b:,}->{a:,}" for level, (b, a) in levels.items() if a != b)
    return (
        f"{_counts(plan['summary'])}; {_plural(len(previews), 'preview scope')}"
        + (f"; covered {moved}" if moved else "")
        + f"; {lost:,} units lose their supporter"
    )


# --- one scale --------------------------------------------------------------------------------


def run_scale(
    scale: Scale,
    targets: Sequence[str],
    run: Run,
    tmp: Path | None,
    echo: Callable[[str], None],
) -> ScaleResult:
    result = ScaleResult(scale.name, scale.title)
    start = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix=f"namgraph-bench-{scale.name}-", dir=tmp))
    echo(f"[{scale.name}] data directory {workdir}")

    def log(step: Step) -> None:
        result.steps.append(step)
        echo(f"[{scale.name}] {step.target}: {step.name}: {step.seconds:.2f} s {step.note}")

    def note(text: str) -> None:
        result.notes.append(text)
        echo(f"[{scale.name}] note: {text}")

    def timed(target: str, c: Case, repeat: int) -> None:
        timing = time_case(target, c, repeat, run.budget, WARMUP.get(target, 0))
        result.timings.append(timing)
        echo(
            f"[{scale.name}] {target} {c.channel}: {c.name}: "
            + (timing.error or f"{_ms(timing.median_ms)} ms x {timing.reps}")
        )

    def reshuffled(step: ReshuffleStep) -> None:
        result.reshuffle.append(step)
        echo(
            f"[{scale.name}] {step.target}: reshuffle: {step.name}: {step.seconds:.2f} s {step.note}"
        )

    ws = Workspace(scale, workdir, log, note, echo)
    try:
        for index, name in enumerate(targets):
            ws.copier = next((later for later in targets[index + 1 :] if later != "memory"), None)
            target = TARGETS[name](run)
            try:
                try:
                    target.load(ws)
                except Exception as exc:  # reported; the other targets still run
                    note(f"{name}: the load failed, nothing timed: {error_text(exc)}")
                    continue
                result.counts[name] = target.counts()
                for c in target.cases(scale):
                    timed(name, c, run.repeat)
                if run.http:
                    store = target.graph_store()
                    # the answers worked out on every request (no kept answers), then the
                    # dashboard reloaded with answers kept between requests (namgraph.api.kept)
                    fresh = Settings(demo=True, answer_cache=0, rate_per_minute=10**7)
                    kept = Settings(demo=True, rate_per_minute=10**7)
                    with quiet_request_logs(), ApiServer(store, fresh) as api:
                        for c in http_cases(api, store, scale):
                            timed(name, c, run.http_repeat)
                    with quiet_request_logs(), ApiServer(store, kept) as api:
                        for c in kept_cases(api, scale):
                            timed(name, c, run.http_repeat)
                if run.reshuffle:  # after the questions: it changes the store
                    target.before_write(ws)
                    time_reshuffle(name, target.graph_store(), ws, run.reshuffle, reshuffled)
            finally:
                target.close()
    finally:
        ws.memory = None
        shutil.rmtree(workdir, ignore_errors=True)
    result.wall_s = time.perf_counter() - start
    return result


# --- printing ---------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _int(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(top: float | None, bottom: float | None) -> str:
    if top is None or bottom is None or bottom <= 0:
        return ""
    ratio = top / bottom
    if ratio >= 100:
        return f"{ratio:,.0f}x"
    return f"{ratio:.1f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], left: Collection[int] = (0,)
) -> str:
    """Plain text with aligned columns: those in ``left`` to the left, numbers to the right."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i in left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def steps_table(steps: Sequence[Step], totals: bool = True) -> str:
    headers = ["target", "step", "records", "seconds", "records/s", "RSS MiB", "peak MiB", "note"]
    rows = [
        [
            s.target,
            s.name,
            _int(s.records),
            f"{s.seconds:.2f}",
            _int(s.rate),
            _int(s.rss_mib),
            _int(s.peak_mib),
            s.note,
        ]
        for s in steps
    ]
    by_target: dict[str, list[Step]] = {}
    for s in steps:
        by_target.setdefault(s.target, []).append(s)
    for target, own in by_target.items() if totals else ():
        total = sum(s.seconds for s in own)
        rows.append([target, "total", "", f"{total:.2f}", "", "", _int(own[-1].peak_mib), ""])
    return render_table(headers, rows, left=(0, 1, len(headers) - 1))


def questions_table(timings: Sequence[Timing], channel: str = "store") -> str:
    """Cases by targets, over one channel; a target that lacks a case leaves its cells empty.

    With several targets, each one after the first gets the ratio of its median to the first's,
    and the answer column says ``DIFFER`` when their short answers are not the same."""
    mine = [t for t in timings if t.channel == channel]
    targets = list(dict.fromkeys(t.target for t in mine))
    names = list(dict.fromkeys(t.case for t in mine))
    cell = {(t.target, t.case): t for t in mine}
    headers = ["case"]
    for i, target in enumerate(targets):
        headers += [f"{target} reps", "first", "median", "p99"]
        if i:
            headers.append(f"{target}/{targets[0]}")
    headers.append("answer")
    rows: list[list[str]] = []
    for name in names:
        row = [name]
        answers: dict[str, str] = {}
        errors: list[str] = []
        for i, target in enumerate(targets):
            t = cell.get((target, name))
            if t is None:
                row += ["", "", "", ""]
            elif t.error is not None:
                row += ["error", "", "", ""]
                errors.append(f"{target}: {t.error}")
            else:
                row += [str(t.reps), _ms(t.first_ms), _ms(t.median_ms), _ms(t.p99_ms)]
                answers[target] = t.answer
            if i:
                base = cell.get((targets[0], name))
                row.append(_ratio(t.median_ms if t else None, base.median_ms if base else None))
        distinct = set(answers.values())
        if len(distinct) > 1:
            answer = "DIFFER: " + "; ".join(f"{k}: {v}" for k, v in answers.items())
        else:
            answer = next(iter(distinct), "")
        rows.append(
            [
                *row,
                "; ".join([answer, *errors]) if errors and answer else answer or "; ".join(errors),
            ]
        )
    return render_table(headers, rows, left=(0, len(headers) - 1))


def overhead_table(timings: Sequence[Timing]) -> str:
    """For each case timed over Cypher or HTTP: its medians (and p99) raw, through the store
    method and through the API, and the overhead ratios store/raw, http/raw, http/store."""
    cell = {(t.target, t.case, t.channel): t for t in timings if t.error is None}
    keys = list(
        dict.fromkeys((t.target, t.case) for t in timings if t.channel in ("cypher", "http"))
    )
    headers = [
        "target",
        "case",
        "cypher median",
        "p99",
        "store median",
        "p99",
        "http median",
        "p99",
        "store/raw",
        "http/raw",
        "http/store",
    ]
    rows: list[list[str]] = []
    for target, name in keys:
        raw, store, http = (cell.get((target, name, ch)) for ch in ("cypher", "store", "http"))
        if store is None and raw is None:
            continue  # a case only the API has (the dashboards): in the HTTP table
        rm, sm, hm = (t.median_ms if t else None for t in (raw, store, http))
        rows.append(
            [
                target,
                name,
                _ms(rm),
                _ms(raw.p99_ms if raw else None),
                _ms(sm),
                _ms(store.p99_ms if store else None),
                _ms(hm),
                _ms(http.p99_ms if http else None),
                _ratio(sm, rm),
                _ratio(hm, rm),
                _ratio(hm, sm),
            ]
        )
    return render_table(headers, rows, left=(0, 1))


def report(
    results: Sequence[ScaleResult], header: dict[str, Any], notes: Sequence[str], wall: float
) -> str:
    out = [
        "namgraph benchmark: figures only, nothing is asserted",
        ", ".join(f"{k} {v}" for k, v in header.items()),
        "latency in ms: first = the first call (not counted), median and p99 over reps "
        "(p99 is nearest-rank: the slowest call when reps < 100); "
        + ", ".join(f"{t}: {n} more warm-up calls after the first" for t, n in WARMUP.items()),
        *(f"note: {n}" for n in notes),
    ]
    for r in results:
        out += ["", f"== {r.scale}: {r.title} ({r.wall_s:.1f} s)"]
        for target, counts in r.counts.items():
            out.append(f"{target} holds: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        out += [f"note: {n}" for n in r.notes]
        out += ["", "load", steps_table(r.steps)]
        if r.reshuffle:
            out += [
                "",
                f"reshuffle of {_int(header.get('reshuffle_rows'))} rows effective {EFFECTIVE}, "
                "after the questions (it changes the store), each step timed once; records: "
                "rows of the file, or cadres + assignments written",
                steps_table(r.reshuffle, totals=False),
            ]
        channels = {t.channel for t in r.timings}
        out += ["", f"questions on {ON}, store methods", questions_table(r.timings)]
        if channels & {"cypher", "http"}:
            out += [
                "",
                "overhead: the Cypher text alone (driver.execute_query), the store method, "
                "and POST /graphql",
                overhead_table(r.timings),
            ]
        if "http" in channels:
            out += ["", "over HTTP: POST /graphql", questions_table(r.timings, "http")]
    out += ["", f"total wall time {wall:.1f} s; peak RSS {peak_mib():,.0f} MiB (this process)"]
    return "\n".join(out)


# --- main -------------------------------------------------------------------------------------


def _stores(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in TARGETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown store {', '.join(unknown) or repr(text)}: choose from {', '.join(TARGETS)}"
        )
    return names


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.questions",
        description="Load time and question latency of namgraph (figures, no assertions).",
    )
    parser.add_argument(
        "--scale", choices=[*SCALES, "all"], default="all", help="default: all (province first)"
    )
    parser.add_argument(
        "--stores",
        type=_stores,
        default=None,
        metavar="LIST",
        help=f"stores to measure, comma-separated (default: {','.join(TARGETS)})",
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=list(TARGETS),
        help="a store to measure (repeatable; the same as --stores)",
    )
    parser.add_argument(
        "--no-http", action="store_true", help="do not time the GraphQL API over HTTP"
    )
    parser.add_argument(
        "--repeat", type=int, default=50, metavar="N", help="most timed calls per case (50)"
    )
    parser.add_argument(
        "--http-repeat",
        type=int,
        default=100,
        metavar="N",
        help="most timed requests per HTTP case (100)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds per case after which no more calls are made, past the first three (5)",
    )
    parser.add_argument(
        "--neo4j-heap", default="4g", metavar="SIZE", help="the bench server's JVM heap (4g)"
    )
    parser.add_argument(
        "--neo4j-pagecache", default="2g", metavar="SIZE", help="its page cache (2g)"
    )
    parser.add_argument(
        "--neo4j-apply",
        choices=["one", "province"],
        default="one",
        help="one: the whole graph in one ChangeSet, per province if that fails (default); "
        "province: one ChangeSet per province",
    )
    parser.add_argument(
        "--neo4j-timeout",
        type=float,
        default=300.0,
        metavar="S",
        help="a Neo4j transaction of a question running longer is terminated (300)",
    )
    parser.add_argument(
        "--keep-neo4j-data",
        action="store_true",
        help="keep .neo4j/bench/data after stopping the server (default: removed)",
    )
    parser.add_argument(
        "--reshuffle",
        type=int,
        default=1000,
        metavar="N",
        help="rows of the reshuffle file planned and applied on each store after its questions "
        "(1000; 0: none)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--tmp", type=Path, default=None, help="where the data directory goes (default: $TMPDIR)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.http_repeat < 1:
        parser.error("--repeat and --http-repeat must be at least 1")
    if args.reshuffle < 0 or args.reshuffle == 1:
        parser.error("--reshuffle must be 0 (none) or at least 2 rows")
    return args


def _terminate(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C does: the Neo4j server is still stopped."""
    raise SystemExit(128 + signum)


def _start_neo4j(
    args: argparse.Namespace, run: Run, stack: ExitStack, echo: Callable[[str], None]
) -> None:
    """Start the bench's Neo4j server and arrange its stop; on failure, a note says why."""
    missing = missing_tools()
    if missing:
        run.notes.append(
            f"the Neo4j column is skipped: {' and '.join(missing)} not found "
            "(neo4j/neo4j.sh needs Java 17 and Maven)"
        )
        return
    server = BenchNeo4j(heap=args.neo4j_heap, pagecache=args.neo4j_pagecache)

    def stop() -> None:
        echo(f"neo4j: stopping the bench server: {server.stop()}")
        if not args.keep_neo4j_data:
            server.remove_data()
            echo(f"neo4j: removed {server.data}")

    stack.callback(stop)
    echo(f"neo4j: starting the bench server (bolt {server.bolt_port}, http {server.http_port})")
    try:
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        run.notes.append(f"the Neo4j column is skipped: the server did not start: {exc}")
        return
    run.neo4j = server
    run.notes.append(
        f"Neo4j: own server {server.uri} (neo4j/neo4j.sh, NEO4J_ROOT={server.root}), heap "
        f"{server.heap}, page cache {server.pagecache}, started in {server.start_s:.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    scales = list(SCALES.values()) if args.scale == "all" else [SCALES[args.scale]]
    chosen = set(args.stores or []) | set(args.target or [])
    targets = [name for name in TARGETS if not chosen or name in chosen]

    def echo(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    run = Run(
        repeat=args.repeat,
        http_repeat=args.http_repeat,
        budget=args.budget,
        http=not args.no_http,
        neo4j_apply=args.neo4j_apply,
        neo4j_timeout=args.neo4j_timeout,
        reshuffle=args.reshuffle,
    )
    header: dict[str, Any] = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "seed": SEED,
        "policy": POLICY,
        "repeat": args.repeat,
        "http_repeat": args.http_repeat if run.http else "off",
        "budget_s": args.budget,
        "reshuffle_rows": args.reshuffle or "off",
    }
    start = time.perf_counter()
    with ExitStack() as stack:
        if "neo4j" in targets:
            _start_neo4j(args, run, stack, echo)
            if run.neo4j is None:
                targets.remove("neo4j")
        for n in run.notes:
            echo(f"note: {n}")
        header["stores"] = ",".join(targets)
        results = [run_scale(scale, targets, run, args.tmp, echo) for scale in scales]
    wall = time.perf_counter() - start
    if args.json:
        doc = {
            **header,
            "on": ON.isoformat(),
            "reshuffle_effective": EFFECTIVE.isoformat(),
            "notes": run.notes,
            "wall_s": wall,
            "peak_rss_mib": peak_mib(),
            "scales": [
                {
                    **asdict(r),
                    "steps": [{**asdict(s), "rate": s.rate} for s in r.steps],
                    "reshuffle": [{**asdict(s), "rate": s.rate} for s in r.reshuffle],
                }
                for r in results
            ],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(report(results, header, run.notes, wall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
