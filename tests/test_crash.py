"""A process killed with SIGKILL while it applies a large reshuffle leaves the store exactly as
before or exactly as after, never between, on both stores, in repeated trials.

The plan retires every commune cadre of Châu Thành (1,091 cadres, 1,702 assignments ended). One
trial kills the process at a point known to be in the middle of the write (the store pauses
there when ``NAM_TEST_PAUSE_MID_APPLY`` is set: Neo4j with half of the transaction sent,
memory with the new file written but not renamed); the others kill it after delays spread over
the time a whole apply takes, so they land before, during and after the write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.faults import MARKER
from graph.records import assignment_row, cadre_row, unit_row
from graph.stores.config import dump
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import GraphStore
from loaders.reshuffle import plan_changes, plan_reshuffle
from tests.conftest import NEO4J_DATABASE, ON, Neo4jBenTre, store_env, write_csv

DISTRICT = "831"  # Châu Thành
FRACTIONS = (0.2, 0.5, 0.85)  # early, middle, late: each trial restores the graph


def content(store: GraphStore) -> str:
    """A digest of every unit, cadre and assignment."""
    records = dump(store)
    rows = {
        "units": sorted(unit_row(u) for u in records.units),
        "cadres": sorted(cadre_row(c) for c in records.cadres),
        "assignments": sorted(assignment_row(a) for a in records.assignments),
    }
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def applied(store: GraphStore, plan_id: str) -> bool:
    return any(r["id"] == plan_id for r in store.applied_plans())


def retire_commune_cadres(store: GraphStore, folder: Path) -> Path:
    communes = [u.code for u in store.children(DISTRICT, ON)]
    cadres = sorted(c.id for c in store.cadres_of(communes))
    assert len(cadres) == 1091
    rows = [["nghỉ hưu", cadre, "1/6/2023", "12-QĐ/HU, 20/5/2023"] for cadre in cadres]
    return write_csv(
        folder / "retire.csv", ["Thao tác", "Mã cán bộ", "Ngày hiệu lực", "Quyết định"], rows
    )


class Trials:
    """Plans, applies in a child process, kills it, and tells which state the store is in."""

    def __init__(
        self,
        store_kind: str,
        data_dir: Path,
        fresh: Callable[[], GraphStore],
        restore: Callable[[], None],
        folder: Path,
        settle: Callable[[], None] = lambda: None,
    ) -> None:
        self.kind = store_kind
        self.settle = settle
        self.data_dir = data_dir
        self.fresh = fresh
        self.restore = restore
        self.file = retire_commune_cadres(fresh(), folder)
        store = fresh()
        plan = plan_reshuffle(store, self.file)
        assert plan["problems"] == [] and plan["summary"]["end"] == 1702
        self.plan_id = str(plan["id"])
        self.before = content(store)
        changes = plan_changes(plan)
        with store.trial(changes) as tried:
            self.after = content(tried)
        assert self.after != self.before

    def command(self) -> list[str]:
        code = "from namgraph.cli.main import main; main()"
        apply = ["reshuffle", "apply", self.plan_id]
        return [sys.executable, "-c", code, "--data", str(self.data_dir), *apply]

    def env(self, pause: bool) -> dict[str, str]:
        env = {**os.environ, **store_env(self.kind)}
        env.pop("NAM_TEST_PAUSE_MID_APPLY", None)
        if pause:
            env["NAM_TEST_PAUSE_MID_APPLY"] = "60"
        return env

    def outcome(self) -> str:
        self.settle()
        store = self.fresh()
        now = content(store)
        done = applied(store, self.plan_id)
        if now == self.before and not done:
            return "before"
        if now == self.after and done:
            return "after"
        return "between"

    def ready(self) -> None:
        """Back to the state before the plan, with the plan kept."""
        self.restore()
        plan = plan_reshuffle(self.fresh(), self.file)
        assert plan["id"] == self.plan_id

    def whole_apply_seconds(self) -> float:
        start = time.monotonic()
        done = subprocess.run(self.command(), env=self.env(False), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return time.monotonic() - start

    def kill_mid_write(self) -> str:
        proc = subprocess.Popen(
            self.command(),
            env=self.env(True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if MARKER in line:
                break
        else:
            proc.wait()
            pytest.fail(f"the apply never reached the middle of its write: {''.join(seen)}")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        return self.outcome()

    def kill_after(self, seconds: float) -> str:
        proc = subprocess.Popen(
            self.command(),
            env=self.env(False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(seconds)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return self.outcome()


@pytest.fixture
def trials(
    store_kind: str,
    data_dir: Path,
    store: GraphStore,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Trials:
    if store_kind == "memory":
        pristine = tmp_path / "pristine"
        shutil.copytree(data_dir, pristine)

        def restore() -> None:
            shutil.rmtree(data_dir)
            shutil.copytree(pristine, data_dir)

        return Trials(store_kind, data_dir, lambda: MemoryStore.open(data_dir), restore, tmp_path)
    ben_tre: Neo4jBenTre = request.getfixturevalue("neo4j_ben_tre")

    def reload() -> None:
        ben_tre.checkout()  # reloads Bến Tre when a write went through

    def reopen() -> GraphStore:
        return Neo4jStore.open(ben_tre.driver, NEO4J_DATABASE)

    def settle() -> None:
        """Wait until the server has finished with the killed client's transaction (rolled
        back, or committed if its commit was already on the wire)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            records, _, _ = ben_tre.driver.execute_query(
                "SHOW TRANSACTIONS YIELD currentQuery WHERE NOT currentQuery STARTS WITH 'SHOW' "
                "RETURN count(*) AS open"
            )
            if records[0]["open"] == 0:
                return
            time.sleep(0.1)
        pytest.fail("the killed client's transaction is still open on the server after 60 s")

    return Trials(store_kind, data_dir, reopen, reload, tmp_path, settle)


def test_sigkill_in_the_middle_of_applying_leaves_the_store_as_before(trials: Trials) -> None:
    assert trials.kill_mid_write() == "before"
    # and the store still takes the same plan afterwards
    assert trials.whole_apply_seconds() > 0
    assert trials.outcome() == "after"


def test_sigkill_at_any_moment_leaves_the_store_before_or_after_never_between(
    trials: Trials,
) -> None:
    whole = trials.whole_apply_seconds()
    assert trials.outcome() == "after"
    outcomes = []
    for fraction in FRACTIONS:
        trials.ready()
        outcome = trials.kill_after(whole * fraction)
        outcomes.append((round(whole * fraction, 2), outcome))
        assert outcome in ("before", "after"), outcomes
    print(f"\n{trials.kind}: whole apply {whole:.2f} s; killed at (s, state): {outcomes}")
