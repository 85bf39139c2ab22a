"""The embedded store at national scale: what one staff member's command costs.

    python -m bench.national [--data DIR] [--keep] [--rows N]

It builds the whole country's data directory (the real administrative list of 2023-05-07 and a
generated roster for all 63 provinces, as ``bench.questions --scale country`` does) unless
``--data`` names one built before, then measures, each in a new process as staff run them:

- ``nam coverage P`` and ``nam chain GROUP`` for Hà Nội (01, the largest province), Hồ Chí Minh
  City (79) and Bến Tre (83): the wall time, interpreter start included, and the process's
  peak resident memory (``wait4``). These read only the part of the graph around the unit.
- opening the store for one province (the part), and the whole graph (what ``nam serve`` and
  a write do), in seconds, with peak memory;
- a reshuffle of ``--rows`` rows (1,000; ``bench.reshuffle``: retirements and new assignments
  over five provinces) planned and then applied by a process holding the whole graph: the
  apply alone (one SQLite transaction), and how long another process holding the graph takes
  to catch up with it.

It prints the figures and asserts nothing. The directory is removed afterwards unless
``--keep`` (or ``--data``) is given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.questions import SCALES, measure, write

#: Provinces whose questions are timed: the largest, the most populous city, the demo one.
PROVINCES = ("01", "79", "83")
AS_OF = "2023-05-01"

OPEN = """
import json, resource, sys, time
from pathlib import Path
from graph.stores.memory import MemoryStore
start = time.perf_counter()
store = MemoryStore.open(Path(sys.argv[1]), sys.argv[2] or None)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "records": sum(store.counts().values())}))
"""

RESHUFFLE = """
import json, sys, time
from pathlib import Path
from bench.reshuffle import EFFECTIVE, write_file
from graph.stores.memory import MemoryStore
from loaders.reshuffle import apply_reshuffle, plan_reshuffle
data, rows, csv = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
store = MemoryStore.open(data)
other = MemoryStore.open(data)  # another process's view of the same directory
built = write_file(store, ("01", "38", "48", "79", "83"), rows, csv, EFFECTIVE, 1)
start = time.perf_counter()
plan = plan_reshuffle(store, csv, by="bench")
planned = time.perf_counter() - start
assert not plan["problems"], plan["problems"][:3]
start = time.perf_counter()
done = apply_reshuffle(store, plan["id"], by="bench")
applied = time.perf_counter() - start
start = time.perf_counter()
assert other.refresh()
caught_up = time.perf_counter() - start
changes = plan["changes"]
print(json.dumps({
    "rows": built.rows, "written": done.written, "plan": planned, "apply": applied,
    "catch_up": caught_up, "cadres": len(changes["cadres"]),
    "assignments": len(changes["assignments"]),
}))
"""


@dataclass
class Ran:
    seconds: float
    peak_mib: float
    out: str


def run(args: list[str]) -> Ran:
    """Run ``args`` in a new process: wall time, its own peak resident memory, its output."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {err[-2000:]}")
    return Ran(seconds, usage.ru_maxrss / 1024, text)


def nam(data: Path, *args: str) -> Ran:
    return run([str(Path(sys.executable).parent / "nam"), "--data", str(data), *args])


def build(data: Path) -> None:
    def step(name: str, records: int | None, seconds: float, note: str) -> None:
        count = f"{records:,} records" if records else ""
        print(f"  build: {name}: {seconds:.1f} s {count} {note}", flush=True)

    write(SCALES["country"], data, step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a national data directory built before")
    parser.add_argument("--keep", action="store_true", help="keep the directory built")
    parser.add_argument("--rows", type=int, default=1000, help="reshuffle rows (1,000)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nam-national-"))
    data = args.data or work / "nam"
    rows: list[tuple[str, str, str]] = []
    try:
        if args.data is None:
            print(f"building the national data directory in {data}", flush=True)
            _, seconds = measure(lambda: build(data))
            size = sum(p.stat().st_size for p in data.iterdir() if p.is_file()) / 2**20
            rows.append(
                ("build the whole country (bench)", f"{seconds:.1f} s", f"{size:,.0f} MiB on disk")
            )
        for code in PROVINCES:
            opened = run([sys.executable, "-c", OPEN, str(data), code])
            part = json.loads(opened.out)
            rows.append(
                (
                    f"open the part around {code}",
                    f"{part['seconds']:.2f} s",
                    f"{part['records']:,} records; {opened.peak_mib:,.0f} MiB peak",
                )
            )
            answer = nam(data, "coverage", code, "--as-of", AS_OF, "--json")
            households = json.loads(answer.out)["households"]
            rows.append(
                (
                    f"nam coverage {code} (wall, start included)",
                    f"{answer.seconds:.2f} s",
                    f"{answer.peak_mib:,.0f} MiB peak; households {households}",
                )
            )
        group = f"{'28801'}.01.01"
        chain = nam(data, "chain", group, "--as-of", AS_OF, "--json")
        rows.append(
            (
                f"nam chain {group} (wall)",
                f"{chain.seconds:.2f} s",
                f"{chain.peak_mib:,.0f} MiB peak",
            )
        )
        whole = run([sys.executable, "-c", OPEN, str(data), ""])
        opened = json.loads(whole.out)
        rows.append(
            (
                "open the whole graph (nam serve, a write)",
                f"{opened['seconds']:.1f} s",
                f"{opened['records']:,} records; {whole.peak_mib:,.0f} MiB peak",
            )
        )
        shuffled = run(
            [sys.executable, "-c", RESHUFFLE, str(data), str(args.rows), str(work / "r.csv")]
        )
        r = json.loads(shuffled.out)
        rows.append(
            (
                f"reshuffle of {r['rows']:,} rows: plan",
                f"{r['plan']:.2f} s",
                f"{r['cadres']:,} cadres, {r['assignments']:,} assignments",
            )
        )
        rows.append(
            (
                f"reshuffle of {r['rows']:,} rows: apply",
                f"{r['apply']:.2f} s",
                "one SQLite transaction",
            )
        )
        rows.append(
            (
                "another process catches up with that write",
                f"{r['catch_up']:.2f} s",
                f"process peak {shuffled.peak_mib:,.0f} MiB (two whole graphs)",
            )
        )
    finally:
        if args.keep or args.data is not None:
            print(f"kept {data}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print()
    for what, figure, note in rows:
        print(f"{what:<{width}}  {figure:>9}  {note}")


if __name__ == "__main__":
    main()
