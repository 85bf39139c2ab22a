"""Today's map over the old one, at scale: time and memory on both stores.

    python -m bench.map [--scale province|country] [--stores memory,neo4j] [--province 86]
                        [--json]

For the chosen scale it generates the 2023 graph (the real list of 2023-05-07 and a generated
roster, as ``bench.questions`` does), then times, on each store:

1. ``nam policy set two-tier-2025 --from 2025-07-01``;
2. planning and writing the list of 2025-10-18 as in force from 2025-07-01 (the whole country:
   Bến Tre and 62 other provinces end, 34 begin, communes are moved, renamed and ended);
3. making an illustrative merge file from the two lists (a new commune keeps its own code's
   history; every other old commune goes into the nearest continuing commune of its old district),
   and planning and writing it: every hamlet of a merged commune moves to its successor;
4. the reorganisation plan of one whole new province (``--province``, default Vĩnh Long, 86:
   Bến Tre, Trà Vinh and Vĩnh Long), with its preview, and applying it.

The memory column is the embedded store on a data directory; the Neo4j column is the bench's
own server (see :mod:`bench.neo4j_server`), loaded with the same 2023 graph one province per
transaction first (not timed here: ``bench.questions`` times that). Memory is the bench
process's resident set after each step and its peak so far (not the Neo4j server's JVM). The
figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from bench.measure import SCALES, peak_mib, rss_mib
from bench.memory_target import write
from bench.neo4j_server import BenchNeo4j, missing_tools
from graph.stores.config import dump
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import GraphStore
from loaders.admin import plan_admin
from loaders.illustrative import illustrative_merges, merges_csv
from loaders.merges import plan_merges
from loaders.plan import apply_plan
from loaders.reorganisation import plan_reorganisation
from loaders.reshuffle import apply_reshuffle

ROOT = Path(__file__).resolve().parent.parent
LIST_2025 = ROOT / "data" / "admin" / "vn-admin-2025-10-18.csv"
REFORM = date(2025, 7, 1)
T = TypeVar("T")


@dataclass
class Row:
    store: str
    step: str
    seconds: float
    records: int | None
    note: str
    rss_mib: float | None
    peak_mib: float


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def map_steps(store: GraphStore, kind: str, province: str, folder: Path) -> list[Row]:
    rows: list[Row] = []

    def step(name: str, seconds: float, records: int | None, note: str) -> None:
        row = Row(kind, name, seconds, records, note, rss_mib(), peak_mib())
        rows.append(row)
        rss = f"{row.rss_mib:,.0f}" if row.rss_mib is not None else "-"
        print(
            f"  {kind:6} {name:46} {seconds:8.2f} s  {records or '':>9}  "
            f"rss {rss} MiB, peak {row.peak_mib:,.0f} MiB  {note}",
            flush=True,
        )

    _, s = timed(lambda: store.set_policy("two-tier-2025", REFORM))
    step("policy timeline: two-tier from 2025-07-01", s, None, "")
    plan, s = timed(lambda: plan_admin(store, LIST_2025, None, REFORM, "Nghị quyết 202/2025/QH15"))
    counts = {k: sum(p[k] for p in plan.provinces.values()) for k in ("started", "ended", "moved")}
    note = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    step("2025 list: read + plan + validate", s, len(plan.changes), note)
    _, s = timed(lambda: apply_plan(store, plan))
    step("2025 list: write", s, len(plan.changes), f"{len(plan.warnings):,} orphan warnings")
    merges, s = timed(lambda: illustrative_merges(store, REFORM))
    path = folder / f"merges-{kind}.csv"
    path.write_text(merges_csv(merges), encoding="utf-8")
    step("illustrative merge file", s, len(merges), "rows")
    merge_plan, s = timed(lambda: plan_merges(store, path))
    step("merges: read + plan + validate", s, len(merge_plan.changes), "units re-hung")
    _, s = timed(lambda: apply_plan(store, merge_plan))
    step("merges: write", s, len(merge_plan.changes), "")
    document, s = timed(lambda: plan_reorganisation(store, REFORM, province))
    summary = document["summary"]
    note = (
        f"{summary['continue']:,} continue, {summary['carried']:,} carried, "
        f"{summary['ended_with_reason']:,} ended, {summary['undecided']:,} undecided"
    )
    step(f"reorganisation of {province}: plan + preview", s, None, note)
    _, s = timed(lambda: apply_reshuffle(store, str(document["id"])))
    step(f"reorganisation of {province}: apply", s, summary["end"] + summary["start"], "")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="country")
    parser.add_argument("--stores", default="memory,neo4j")
    parser.add_argument("--province", default="86")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="namgraph-map-") as tmp:
        folder = Path(tmp)
        print(f"bench.map: {scale.title}; building the 2023 graph ...", flush=True)
        source = folder / "nam-2023"
        write(scale, source, lambda name, n, s, note: print(f"  {name}: {s:.1f} s {note}"))
        if "memory" in stores:
            data = folder / "nam-memory"
            shutil.copytree(source, data)
            rows += map_steps(MemoryStore.open(data), "memory", args.province, folder)
        if "neo4j" in stores:
            rows += _neo4j(source, args.province, folder)
    if args.json:
        json.dump([asdict(r) for r in rows], sys.stdout, ensure_ascii=False, indent=2)
    return 0


def _neo4j(source: Path, province: str, folder: Path) -> list[Row]:
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
            changes = dump(MemoryStore.open(source))
            parts, _rows = store.transactions_for(changes)
            start = time.perf_counter()
            store.apply(changes)
            s = time.perf_counter() - start
            print(f"  neo4j: 2023 graph copied in {parts} parts, {s:.1f} s", flush=True)
            return map_steps(store, "neo4j", province, folder)
        finally:
            driver.close()
    finally:
        print(f"  neo4j: {server.stop()}", flush=True)
        server.remove_data()


if __name__ == "__main__":
    raise SystemExit(main())
