"""The Neo4j store's target: the bench's own server, loaded with the memory column's graph (one
change set in one transaction, or one per province), then watched so that a question running
too long is terminated."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

import neo4j
from bench.cases import cypher_cases, store_cases
from bench.measure import POLICY, Case, Run, Scale, Step, Workspace, measure, peak_mib, rss_mib
from bench.memory_target import StepLog, dump_memory, write
from bench.neo4j_load import Watchdog, driver_retries, error_code, error_text
from graph.stores.config import by_top_unit
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import ChangeSet

__all__ = ["Neo4jTarget"]


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
