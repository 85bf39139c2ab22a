"""The embedded store at national scale: what one staff member's command costs.

    python -m bench.national [--data DIR] [--keep] [--rows N]

It builds the whole country's data directory (the real administrative list of 2023-05-07 and a
generated roster for all 63 provinces, as ``bench.questions --scale country`` does) unless
``--data`` names one built before, then measures, each in a new process as staff run them:

- ``nam coverage P`` and ``nam chain GROUP`` (the ``nam`` command run by ``python -c``, so
  that it can report its peak memory) for Hà Nội (01, the largest province), Hồ Chí Minh
  City (79) and Bến Tre (83): the wall time, interpreter start included, and the process's
  peak resident memory (``wait4``). These read only the part of the graph around the unit.
- opening the store for one province (the part), and the whole graph (what ``nam serve`` and
  a write do), in seconds, with peak memory;
- a reshuffle of ``--rows`` rows (1,000; ``bench.reshuffle``: retirements and new assignments
  over five provinces) planned and then applied by a process holding the whole graph: the
  apply alone (one SQLite transaction), and how long another process holding the whole graph
  (a server) takes to catch up with it.

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
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from bench.measure import SCALES
from bench.memory_target import write

#: Provinces whose questions are timed: the largest, the most populous city, the demo one.
PROVINCES = ("01", "79", "83")
AS_OF = "2023-05-01"

#: Run first in every measured process: at exit it reports the process's own peak resident
#: memory (VmHWM; a child's rusage would count the parent's memory at the fork).
PEAK = """
import atexit, sys
def _peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print("PEAK_KIB", line.split()[1], file=sys.stderr, flush=True)
atexit.register(_peak)
"""

NAM = (
    PEAK
    + """
from namgraph.cli.main import main
sys.argv[0] = "nam"
main()
"""
)

BUILD = (
    PEAK
    + """
from pathlib import Path
from bench.national import build
build(Path(sys.argv[1]))
"""
)

OPEN = (
    PEAK
    + """
import json, resource, sys, time
from pathlib import Path
from graph.stores.memory import MemoryStore
start = time.perf_counter()
store = MemoryStore.open(Path(sys.argv[1]), sys.argv[2] or None)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "records": sum(store.counts().values())}))
"""
)

RESHUFFLE = PEAK + textwrap.dedent(
    """
    import datetime, gc, json, sys, time
    from pathlib import Path
    from bench.reshuffle import EFFECTIVE, write_file
    from graph.stores.memory import MemoryStore
    from loaders.reshuffle import apply_reshuffle, plan_reshuffle
    data, rows, csv = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    store = MemoryStore.open(data)
    tries = 0
    for later in range(0, 3650, 100):  # a directory measured before has earlier files applied
        tries += 1
        on = EFFECTIVE + datetime.timedelta(days=later)
        built = write_file(store, ("01", "38", "48", "79", "83"), rows, csv, on, 1)
        start = time.perf_counter()
        plan = plan_reshuffle(store, csv, by="bench")
        planned = time.perf_counter() - start
        if not plan["problems"]:
            break
    assert not plan["problems"], plan["problems"][:3]
    before = [g["collections"] for g in gc.get_stats()]
    start = time.perf_counter()
    done = apply_reshuffle(store, plan["id"], by="bench")
    applied = time.perf_counter() - start
    collections = [g["collections"] - b for g, b in zip(gc.get_stats(), before)]
    changes = plan["changes"]
    print(json.dumps({
        "rows": built.rows, "written": done.written, "plan": planned, "apply": applied,
        "cadres": len(changes["cadres"]), "assignments": len(changes["assignments"]),
        "collections": collections, "on": on.isoformat(), "tries": tries,
    }))
    """
)

#: Another process holding the whole graph (a server): it catches up once told to.
HOLDER = PEAK + textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from graph.stores.memory import MemoryStore
    store = MemoryStore.open(Path(sys.argv[1]))
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    caught = store.refresh()
    print(json.dumps({"caught_up": caught, "seconds": time.perf_counter() - start}), flush=True)
    """
)


@dataclass
class Ran:
    seconds: float
    peak_mib: float
    out: str


def run(args: list[str], show: bool = False) -> Ran:
    """Run ``args`` in a new process: wall time, its own peak resident memory (it prints it:
    see PEAK), its output (with ``show``, its errors go to ours as they come)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if show:
        print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed ({done.returncode}): {done.stderr[-2000:]}")
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("PEAK_KIB")]
    return Ran(seconds, int(peaks[-1]) / 1024 if peaks else float("nan"), done.stdout)


def nam(data: Path, *args: str) -> Ran:
    return run([sys.executable, "-c", NAM, "--data", str(data), *args])


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
            built = run([sys.executable, "-c", BUILD, str(data)], show=True)
            seconds = built.seconds
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
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(data)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert holder.stdout is not None and holder.stdin is not None
        if holder.stdout.readline().strip() != "ready":
            raise SystemExit(f"the holding process failed: {holder.communicate()[1][-2000:]}")
        script = [sys.executable, "-c", RESHUFFLE, str(data), str(args.rows), str(work / "r.csv")]
        shuffled = run(script)
        r = json.loads(shuffled.out)
        held, _ = holder.communicate("go\n", timeout=600)
        caught = json.loads(held.strip().splitlines()[-1])
        rows.append(
            (
                f"reshuffle of {r['rows']:,} rows: plan",
                f"{r['plan']:.2f} s",
                f"{r['cadres']:,} cadres, {r['assignments']:,} assignments, effective {r['on']}",
            )
        )
        collections = "/".join(map(str, r["collections"]))
        rows.append(
            (
                f"reshuffle of {r['rows']:,} rows: apply",
                f"{r['apply']:.2f} s",
                f"one SQLite transaction; garbage collections in it by generation {collections}; "
                f"process peak {shuffled.peak_mib:,.0f} MiB; files planned in it {r['tries']}",
            )
        )
        rows.append(
            (
                "a server process catches up with that write",
                f"{caught['seconds']:.2f} s",
                "reads only the records written" if caught["caught_up"] else "NOTHING TO CATCH UP",
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
