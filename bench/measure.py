"""What the bench measures and how: the scales, the cases, the steps and timings recorded, the
workspace the targets of one scale share and the :class:`Target` protocol; and the helpers that
measure a call's time, the process's memory and a case's latency."""

from __future__ import annotations

import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar, cast

from bench.neo4j_load import error_text
from bench.neo4j_server import BenchNeo4j
from graph.stores.memory import MemoryStore
from graph.stores.port import ChangeSet, GraphStore

__all__ = [
    "ADMIN",
    "CHANNELS",
    "MIN_REPS",
    "ON",
    "POLICY",
    "ROOT",
    "SCALES",
    "SEED",
    "WARMUP",
    "Case",
    "Dumped",
    "ReshuffleStep",
    "Run",
    "Scale",
    "ScaleResult",
    "Step",
    "Target",
    "Timing",
    "Workspace",
    "case",
    "measure",
    "peak_mib",
    "percentile",
    "rss_mib",
    "time_case",
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
