"""What assigned cadres actually did, at scale: loading a year of activity and asking about it,
on both stores.

    python -m bench.activity [--scale province|country] [--stores memory,neo4j]
                             [--year 2024] [--repeat 5] [--json]

For the chosen scale it builds the 2023 graph (the real list of 2023-05-07 and a generated
roster, as ``bench.questions`` does), generates one year of activity for it (the meetings,
visits and attendance ``nam generate`` writes, and its petitions, kept to the days of
``--year``), then times on each store:

1. writing that year of activity (the embedded store: one write; Neo4j: ``apply``, in parts
   sized from the server's memory limit when it is large);
2. the questions about it, median and slowest of ``--repeat`` calls after one warm-up: active
   coverage of the province and of a district, the active gaps of the district's hamlets,
   the petitions under the province, and a provincial cadre's yearly record; beside each, plain
   coverage of the same unit, the question it extends.

The Neo4j column is the bench's own server (:mod:`bench.neo4j_server`), loaded with the same
2023 graph first (not timed here). The figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.measure import SCALES, SEED, Scale, peak_mib
from bench.memory_target import write
from bench.neo4j_server import BenchNeo4j, missing_tools
from graph.petitions import petitions_under
from graph.presence import active_coverage, active_gaps
from graph.stores.config import dump
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import ChangeSet, GraphStore
from graph.yearly import yearly_record
from loaders.generate import generate
from loaders.generate_activity import generate_activity, generate_petitions


@dataclass
class Row:
    store: str
    step: str
    median_s: float
    slowest_s: float
    records: int | None
    peak_mib: float


def activity_of(store: GraphStore, provinces: list[str], year: int) -> ChangeSet:
    """One year of generated activity for the provinces' generated rosters."""
    end = date(year, 12, 31)
    changes = ChangeSet()
    for code in provinces:
        roster = generate(store, code, SEED)
        meetings, attendance = generate_activity(store, roster, SEED, until=end)
        kept = [m for m in meetings if m.on.year == year]
        held = {m.id for m in kept}
        changes.meetings += kept
        changes.attendance += [a for a in attendance if a.meeting in held]
        changes.petitions += [
            p for p in generate_petitions(store, roster, SEED, until=end) if p.raised.year == year
        ]
    return changes


def questions(store: GraphStore, scale: Scale, year: int) -> list[tuple[str, Callable[[], Any]]]:
    on = date(year, 12, 31)
    cadre = next(c.id for c in store.cadres_of([scale.province]) if store.assignments(cadre=c.id))
    return [
        (f"coverage of {scale.province} (plain)", lambda: store.coverage(scale.province, on)),
        (
            f"active coverage of {scale.province}",
            lambda: active_coverage(store, scale.province, on),
        ),
        (f"coverage of {scale.district} (plain)", lambda: store.coverage(scale.district, on)),
        (
            f"active coverage of {scale.district}",
            lambda: active_coverage(store, scale.district, on),
        ),
        (
            f"active gaps: hamlets of {scale.district}",
            lambda: active_gaps(store, scale.district, "hamlet", on),
        ),
        (f"petitions under {scale.province}", lambda: petitions_under(store, scale.province, on)),
        (f"yearly record of {cadre}", lambda: yearly_record(store, cadre, year)),
    ]


def run(
    store: GraphStore, kind: str, scale: Scale, changes: ChangeSet, year: int, repeat: int
) -> list[Row]:
    rows: list[Row] = []

    def report(row: Row) -> None:
        rows.append(row)
        records = f"{row.records:,}" if row.records is not None else ""
        print(
            f"  {kind:6} {row.step:44} {row.median_s * 1000:10.1f} ms {row.slowest_s * 1000:10.1f}"
            f" ms  {records:>10}  peak {row.peak_mib:,.0f} MiB",
            flush=True,
        )

    start = time.perf_counter()
    store.apply(changes)
    spent = time.perf_counter() - start
    report(
        Row(
            kind,
            f"write a year of activity ({len(changes) / spent:,.0f} rec/s)",
            spent,
            spent,
            len(changes),
            peak_mib(),
        )
    )
    for name, ask in questions(store, scale, year):
        ask()  # warm-up
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            ask()
            times.append(time.perf_counter() - start)
        report(Row(kind, name, statistics.median(times), max(times), None, peak_mib()))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="province")
    parser.add_argument("--stores", default="memory,neo4j")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="namgraph-activity-") as tmp:
        folder = Path(tmp)
        print(f"bench.activity: {scale.title}; building the 2023 graph ...", flush=True)
        source = folder / "nam-2023"
        write(scale, source, lambda name, n, s, note: print(f"  {name}: {s:.1f} s {note}"))
        base = MemoryStore.open(source)
        provinces = [u.code for u in base.subtree() if u.level == base.policy.top_level]
        start = time.perf_counter()
        changes = activity_of(base, provinces, args.year)
        print(
            f"  generated {len(changes.meetings):,} meetings, {len(changes.attendance):,} "
            f"attendance rows and {len(changes.petitions):,} petitions of {args.year} in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        if "memory" in stores:
            data = folder / "nam-memory"
            shutil.copytree(source, data)
            rows += run(MemoryStore.open(data), "memory", scale, changes, args.year, args.repeat)
            # the embedded store with a national year of activity holds about 8.6 GiB: gone
            # before the Neo4j column, whose server needs about 7 GiB of its own
            gc.collect()
        if "neo4j" in stores:
            graph = dump(base)  # the records; the embedded graph around them goes
            del base
            gc.collect()
            rows += _neo4j(source, graph, scale, changes, args.year, args.repeat)
    if args.json:
        json.dump([asdict(r) for r in rows], sys.stdout, ensure_ascii=False, indent=2)
    return 0


def _neo4j(
    source: Path, graph: ChangeSet, scale: Scale, changes: ChangeSet, year: int, repeat: int
) -> list[Row]:
    missing = missing_tools()
    if missing:
        print(f"  neo4j: skipped ({', '.join(missing)} not found)")
        return []
    server = BenchNeo4j()
    print(f"  neo4j: {server.start()}", flush=True)
    try:
        driver = Neo4jStore.connect(server.uri, "neo4j", server.password)
        try:
            Neo4jStore.drop(driver, "neo4j")
            store = Neo4jStore.init(driver, "neo4j", str(source / "policy.yaml"))
            store.apply(graph)
            return run(store, "neo4j", scale, changes, year, repeat)
        finally:
            driver.close()
    finally:
        print(f"  neo4j: {server.stop()}", flush=True)
        server.remove_data()


if __name__ == "__main__":
    raise SystemExit(main())
