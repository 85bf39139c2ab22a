"""A first load into Neo4j two ways: Neo4j's offline importer against namgraph's copy over Bolt.

The graph (Bến Tre, or the whole generated country) is made as `make demo-data` and the other
benches make it, or read from ``--data``. Then, on a Neo4j of the bench's own
(``.neo4j/bench-bulk``, Bolt 27697, heap 4 GiB):

1. ``nam export neo4j --files``: the graph written as CSV files for the importer;
2. ``neo4j-admin database import full`` with the server stopped;
3. the server started, and the first namgraph opening, which sets the graph up (the lists the
   importer cannot carry, constraints and indexes, waited for until online);
4. the answers checked: the record counts, and the coverage of one province equal to the
   embedded store's;
5. unless ``--no-bolt``, the same graph copied over Bolt into the emptied database, as
   ``nam export neo4j --replace`` does (in parts sized from the server's memory limit).

Records are units, cadres and assignments, as everywhere in the benches. Run:
``python -m bench.bulk [--scale province|country] [--data DIR] [--no-bolt]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.measure import SCALES
from bench.memory_target import write
from bench.neo4j_server import SCRIPT, BenchNeo4j, missing_tools
from graph.stores.config import dump
from graph.stores.memory import POLICY_FILE, MemoryStore, later_policy_files
from graph.stores.neo4j import Neo4jStore
from graph.stores.neo4j_import import write_import_files

ON = date(2023, 5, 1)


def _admin(server: BenchNeo4j, *args: str) -> str:
    done = subprocess.run(
        [str(SCRIPT), "admin", *args],
        env={**server.env(), "NEO4J_ADMIN_HEAP": "2g"},  # the importer asks for 1 GiB
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"neo4j-admin failed ({done.returncode}): {done.stdout[-3000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="country")
    parser.add_argument("--data", type=Path, help="a data directory made before (any graph)")
    parser.add_argument("--no-bolt", action="store_true", help="skip the copy over Bolt")
    parser.add_argument("--province", default="83", help="whose coverage is compared (83)")
    args = parser.parse_args()
    if missing := missing_tools():
        print(f"bench.bulk: skipped, {' and '.join(missing)} not found (Neo4j needs them)")
        return
    work = Path(tempfile.mkdtemp(prefix="nam-bulk-"))
    server = BenchNeo4j(root=Path(".neo4j/bench-bulk").resolve(), bolt_port=27697, http_port=27484)
    rows: list[tuple[str, float, int | None]] = []
    try:
        data = args.data
        if data is None:
            data = work / "nam"
            print(f"making the {args.scale} graph in {data}", flush=True)
            begin = time.perf_counter()
            write(SCALES[args.scale], data, lambda *step: None)
            print(f"  made in {time.perf_counter() - begin:.1f} s", flush=True)
        begin = time.perf_counter()
        source = MemoryStore.open(data)
        changes = dump(source)
        records = len(changes)
        rows.append(("read the graph from the data directory", time.perf_counter() - begin, None))

        begin = time.perf_counter()
        later = [
            (start, path.read_text(encoding="utf-8")) for start, path in later_policy_files(data)
        ]
        files = write_import_files(
            changes, work / "files", (data / POLICY_FILE).read_text(encoding="utf-8"), later
        )
        rows.append(
            (
                "write the importer's files (nam export neo4j --files)",
                time.perf_counter() - begin,
                records,
            )
        )
        size = sum(p.stat().st_size for p in (work / "files").iterdir()) / 2**20
        print(f"  {records:,} records, {size:,.0f} MiB of files", flush=True)

        server.stop()
        server.remove_data()
        begin = time.perf_counter()
        report = _admin(server, "database", "import", "full", *files.arguments(server.database))
        rows.append(("neo4j-admin database import full", time.perf_counter() - begin, records))
        print("  " + " ".join(line.strip() for line in report.splitlines()[-6:]), flush=True)

        begin = time.perf_counter()
        server.start()
        rows.append(("start the server (not counted)", time.perf_counter() - begin, None))

        driver = Neo4jStore.connect(server.uri, server.user, server.password)
        try:
            begin = time.perf_counter()
            imported = Neo4jStore.open(driver, server.database)
            rows.append(
                ("set-up on first opening: lists, indexes", time.perf_counter() - begin, records)
            )
            counts = imported.counts()
            expected = source.counts()
            if {k: counts.get(k) for k in expected} != expected:
                raise SystemExit(f"the imported graph differs: {counts} against {expected}")
            if imported.coverage(args.province, ON) != source.coverage(args.province, ON):
                raise SystemExit(f"the coverage of {args.province} differs after the import")
            print(f"  checked: counts {counts}, coverage of {args.province} equal", flush=True)

            if not args.no_bolt:
                begin = time.perf_counter()
                Neo4jStore.drop(driver, server.database)
                bolt = Neo4jStore.init(driver, server.database, str(data / POLICY_FILE))
                for start, path in later_policy_files(data):
                    bolt.set_policy(str(path), start)
                transactions, _ = bolt.transactions_for(changes)
                bolt.apply(changes)
                rows.append(
                    (
                        f"copy over Bolt (nam export neo4j --replace, {transactions} transaction"
                        + ("s)" if transactions != 1 else ")"),
                        time.perf_counter() - begin,
                        records,
                    )
                )
        finally:
            driver.close()
    finally:
        if server.started:
            server.stop()
        server.remove_data()
        shutil.rmtree(work, ignore_errors=True)

    offline = sum(s for name, s, n in rows[1:] if n is not None and not name.startswith("copy"))
    print(
        f"\nfirst load into Neo4j, {records:,} records ({args.scale if args.data is None else data})"
    )
    print("| step | seconds | records/s |\n|---|---|---|")
    for name, seconds, n in rows:
        rate = f"{n / seconds:,.0f}" if n else ""
        print(f"| {name} | {seconds:.1f} | {rate} |")
    print(
        f"| offline importer in all (files + import + set-up) | {offline:.1f} | {records / offline:,.0f} |"
    )


if __name__ == "__main__":
    main()
