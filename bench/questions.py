"""Load time and question latency of namgraph, at one province and at the whole country.

    python -m bench.questions [--scale {province,country,all}] [--repeat N] [--budget S] [--json]

It prints figures and asserts nothing about speed. For each scale it loads the real
administrative list into a fresh data directory under the temporary directory, generates the
roster (hamlets, household groups, cadres, assignments), plans and validates it, writes it,
reopens it from disk as a new process would, then times the questions on the reopened store.
The directory is removed afterwards.

The tables are rows of *cases* (a name and a callable) by columns of *targets*. A target loads a
scale its own way (reporting its load steps) and gives the cases to time; the store questions
are built once for any :class:`graph.store.GraphStore`, so the Neo4j store is one more target
whose ``cases`` calls :func:`store_cases`, and the HTTP API one whose cases call the endpoints
under the same case names.

Latency: every case is called once (``first``, not counted), then timed up to ``--repeat`` times
or until ``--budget`` seconds are spent on it, at least three times unless one call alone takes
a third of the budget. ``p99`` is the nearest-rank percentile, so below 100 repetitions it is
the slowest call. Memory is the resident set after each step and the peak of the process so far.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from graph.answers import ChainLink, Coverage, Gap, Load, Reach, WhatIf
from graph.memory_store import STORE_FILE, MemoryStore
from graph.model import Cadre, Severity, Unit, Violation
from graph.questions import what_if
from graph.store import GraphStore
from graph.validate import validate_store
from loaders.admin import plan_admin
from loaders.generate import Roster, generate
from loaders.plan import Plan, apply_plan, make_plan

__all__ = [
    "SCALES",
    "Case",
    "MemoryTarget",
    "Scale",
    "Step",
    "Target",
    "Timing",
    "main",
    "store_cases",
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


SCALES: dict[str, Scale] = {
    "province": Scale("province", "one province: Bến Tre (83)", "83"),
    "country": Scale(
        "country",
        "the whole country: every province on the real list",
        None,
        large=("01", "79"),
    ),
}


@dataclass(frozen=True)
class Case:
    """One row of the question table: a name, the call to time, and a short word on its answer."""

    name: str
    run: Callable[[], object]
    describe: Callable[[object], str] = str


def case(name: str, run: Callable[[], T], describe: Callable[[T], str]) -> Case:
    """A :class:`Case` whose ``describe`` is typed by what ``run`` returns."""
    return Case(name, run, lambda answer: describe(cast(T, answer)))


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
class Timing:
    """The latency of one case on one target, in milliseconds."""

    target: str
    case: str
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
    timings: list[Timing] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    wall_s: float = 0.0


class Target(Protocol):
    """One column: loads a scale (logging its steps), then gives the cases to time."""

    name: str

    def load(self, scale: Scale, workdir: Path, log: Callable[[Step], None]) -> None: ...
    def cases(self, scale: Scale) -> list[Case]: ...
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

    def load(self, scale: Scale, workdir: Path, log: Callable[[Step], None]) -> None:
        data = workdir / self.name

        def step(name: str, records: int | None, seconds: float, note: str) -> None:
            log(Step(self.name, name, records, seconds, rss_mib(), peak_mib(), note))

        self._write(scale, data, step)
        gc.collect()  # the writing process is gone; the reader starts afresh
        self.store, seconds = measure(lambda: MemoryStore.open(data))
        counts = self.counts()
        step(
            "reopen from disk",
            sum(counts.values()),
            seconds,
            f"{counts.get('hamlet', 0):,} hamlets, {counts.get('household_group', 0):,} groups",
        )

    def _write(
        self, scale: Scale, data: Path, step: Callable[[str, int | None, float, str], None]
    ) -> None:
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

    def cases(self, scale: Scale) -> list[Case]:
        assert self.store is not None, "load first"
        return store_cases(self.store, scale)

    def counts(self) -> dict[str, int]:
        return dict(self.store.counts()) if self.store is not None else {}

    def close(self) -> None:
        self.store = None
        gc.collect()


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
    size = (data / STORE_FILE).stat().st_size
    if size < 2**20:
        return f"{STORE_FILE} {size / 2**10:,.0f} KiB"
    return f"{STORE_FILE} {size / 2**20:,.1f} MiB"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


#: Every target the bench knows; a Neo4j store or the HTTP API is one more entry.
TARGETS: dict[str, Callable[[], Target]] = {"memory": MemoryTarget}


# --- the questions ----------------------------------------------------------------------------


def store_cases(store: GraphStore, scale: Scale) -> list[Case]:
    """The questions of a scale, asked of any store on :data:`ON`."""
    group = _group(store, scale)
    cadre = _provincial_cadre(store, scale.district)  # supports the district: reaches it all
    leaver = _provincial_cadre(store, _first_commune(store, scale.district))
    province, district = scale.province, scale.district
    found: list[Case] = [case(f"coverage {province} (province)", _coverage(store, province), _cov)]
    found += [
        case(f"coverage {code} (large province)", _coverage(store, code), _cov)
        for code in scale.large
    ]
    found += [
        case(f"coverage {district} (district)", _coverage(store, district), _cov),
        case(
            f"gaps {province} commune",
            lambda: store.gaps(province, "commune", ON),
            _gaps,
        ),
        case(
            f"gaps {province} household_group",
            lambda: store.gaps(province, "household_group", ON),
            _gaps,
        ),
        case(f"chain {group} (household group)", lambda: store.chain(group, ON), _chain),
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
    return found


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


# --- timing -------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least ``p``% at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def time_case(target: str, c: Case, repeat: int, budget: float) -> Timing:
    """Call ``c`` once (its own figure), then up to ``repeat`` times within ``budget``."""
    timing = Timing(target, c.name)
    try:
        answer, first = measure(c.run)
        timing.first_ms = first * 1e3
        timing.answer = c.describe(answer)
        del answer
        minimum = MIN_REPS if first < budget / MIN_REPS else 1
        samples: list[float] = []
        spent = first
        while len(samples) < repeat and (len(samples) < minimum or spent < budget):
            _, seconds = measure(c.run)
            samples.append(seconds * 1e3)
            spent += seconds
    except Exception as exc:  # a failing question is a figure too; the others still run
        timing.error = f"{type(exc).__name__}: {exc}"
        return timing
    if samples:
        timing.reps = len(samples)
        timing.median_ms = statistics.median(samples)
        timing.p99_ms = percentile(samples, 99)
        timing.min_ms = min(samples)
    return timing


# --- one scale --------------------------------------------------------------------------------


def run_scale(
    scale: Scale,
    targets: Sequence[str],
    repeat: int,
    budget: float,
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

    try:
        for name in targets:
            target = TARGETS[name]()
            try:
                target.load(scale, workdir, log)
                result.counts[name] = target.counts()
                for c in target.cases(scale):
                    timing = time_case(name, c, repeat, budget)
                    result.timings.append(timing)
                    echo(
                        f"[{scale.name}] {name}: {c.name}: "
                        + (timing.error or f"{_ms(timing.median_ms)} ms x {timing.reps}")
                    )
            finally:
                target.close()
    finally:
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


def steps_table(steps: Sequence[Step]) -> str:
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
    for target, own in by_target.items():
        total = sum(s.seconds for s in own)
        rows.append([target, "total", "", f"{total:.2f}", "", "", _int(own[-1].peak_mib), ""])
    return render_table(headers, rows, left=(0, 1, len(headers) - 1))


def questions_table(timings: Sequence[Timing]) -> str:
    """Cases by targets; a target that lacks a case leaves its cells empty."""
    targets = list(dict.fromkeys(t.target for t in timings))
    names = list(dict.fromkeys(t.case for t in timings))
    cell = {(t.target, t.case): t for t in timings}
    headers = ["case"]
    for target in targets:
        headers += [f"{target} reps", "first", "median", "p99"]
    headers.append("answer")
    rows: list[list[str]] = []
    for name in names:
        row = [name]
        answer = ""
        for target in targets:
            t = cell.get((target, name))
            if t is None:
                row += ["", "", "", ""]
            elif t.error is not None:
                row += ["error", "", "", ""]
                answer = answer or t.error
            else:
                row += [str(t.reps), _ms(t.first_ms), _ms(t.median_ms), _ms(t.p99_ms)]
                answer = answer or t.answer
        rows.append([*row, answer])
    return render_table(headers, rows, left=(0, len(headers) - 1))


def report(results: Sequence[ScaleResult], header: dict[str, Any], wall: float) -> str:
    out = [
        "namgraph benchmark: figures only, nothing is asserted",
        ", ".join(f"{k} {v}" for k, v in header.items()),
        "latency in ms: first = the first call (not counted), median and p99 over reps "
        "(p99 is nearest-rank: the slowest call when reps < 100)",
    ]
    for r in results:
        out += ["", f"== {r.scale}: {r.title} ({r.wall_s:.1f} s)"]
        for target, counts in r.counts.items():
            out.append(f"{target} holds: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        out += ["", "load", steps_table(r.steps)]
        out += ["", f"questions on {ON}", questions_table(r.timings)]
    out += ["", f"total wall time {wall:.1f} s; peak RSS {peak_mib():,.0f} MiB"]
    return "\n".join(out)


# --- main -------------------------------------------------------------------------------------


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.questions",
        description="Load time and question latency of namgraph (figures, no assertions).",
    )
    parser.add_argument(
        "--scale", choices=[*SCALES, "all"], default="all", help="default: all (province first)"
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=sorted(TARGETS),
        help="a store to measure (repeatable; default: every target)",
    )
    parser.add_argument(
        "--repeat", type=int, default=50, metavar="N", help="most timed calls per case (50)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds per case after which no more calls are made, past the first three (5)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--tmp", type=Path, default=None, help="where the data directory goes (default: $TMPDIR)"
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    scales = list(SCALES.values()) if args.scale == "all" else [SCALES[args.scale]]
    targets: list[str] = args.target or list(TARGETS)

    def echo(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    header: dict[str, Any] = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "seed": SEED,
        "policy": POLICY,
        "repeat": args.repeat,
        "budget_s": args.budget,
    }
    start = time.perf_counter()
    results = [
        run_scale(scale, targets, args.repeat, args.budget, args.tmp, echo) for scale in scales
    ]
    wall = time.perf_counter() - start
    if args.json:
        doc = {
            **header,
            "on": ON.isoformat(),
            "wall_s": wall,
            "peak_rss_mib": peak_mib(),
            "scales": [
                {
                    **asdict(r),
                    "steps": [{**asdict(s), "rate": s.rate} for s in r.steps],
                }
                for r in results
            ],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(report(results, header, wall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
