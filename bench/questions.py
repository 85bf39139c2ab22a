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
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench.cases import http_cases, kept_cases
from bench.http_api import ApiServer, quiet_request_logs
from bench.measure import (
    ON,
    POLICY,
    SCALES,
    SEED,
    WARMUP,
    Case,
    ReshuffleStep,
    Run,
    Scale,
    ScaleResult,
    Step,
    Target,
    Workspace,
    peak_mib,
    time_case,
)
from bench.memory_target import MemoryTarget
from bench.neo4j_load import error_text
from bench.neo4j_server import BenchNeo4j, missing_tools
from bench.neo4j_target import Neo4jTarget
from bench.reshuffle import EFFECTIVE
from bench.reshuffle_timing import time_reshuffle
from bench.tables import ms, report
from namgraph.api.settings import Settings

__all__ = ["TARGETS", "main"]

#: Every target the bench knows, in the order they run (the memory column's graph is reused).
TARGETS: dict[str, Callable[[Run], Target]] = {
    "memory": lambda run: MemoryTarget(),
    "neo4j": Neo4jTarget,
}


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
            + (timing.error or f"{ms(timing.median_ms)} ms x {timing.reps}")
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
