"""Moving a graph between the stores: data directory -> Neo4j -> a new data directory."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graph.stores.config import dump
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import StoreError
from loaders.admin import plan_admin
from loaders.generate import generate
from loaders.plan import apply_plan, make_plan
from namgraph.cli.main import main
from tests.conftest import ADMIN, NEO4J_DATABASE, ON, REFORM, Neo4jBenTre, store_env


def test_export_to_neo4j_and_import_back_gives_the_same_graph(
    neo4j_ben_tre: Neo4jBenTre, data_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner(env=store_env("neo4j"))
    neo4j_ben_tre.checkout()  # the test database already holds a graph
    refused = runner.invoke(main, ["--data", str(data_dir), "export", "neo4j"])
    assert refused.exit_code == 1 and "already holds a graph" in refused.stderr
    exported = runner.invoke(main, ["--data", str(data_dir), "export", "neo4j", "--replace"])
    assert exported.exit_code == 0, exported.output
    assert "Copied 37,177 records" in exported.output

    copy = tmp_path / "copy"
    imported = runner.invoke(main, ["--data", str(copy), "import"])
    assert imported.exit_code == 0, imported.output
    original, back = MemoryStore.open(data_dir), MemoryStore.open(copy)
    before, after = dump(original), dump(back)
    assert (before.units, before.cadres) == (after.units, after.cadres)
    assert sorted(before.assignments, key=lambda a: a.id) == sorted(
        after.assignments, key=lambda a: a.id
    )
    assert back.policy.id == original.policy.id
    assert back.coverage("83", ON) == original.coverage("83", ON)


#: Bến Tre and Trà Vinh copy in several transactions of 40,000 rows.
EXPORT_IN_PARTS = ["export", "neo4j", "--replace", "--part-records", "40000"]


def add_province(data_dir: Path, code: str) -> None:
    store = MemoryStore.open(data_dir)
    apply_plan(store, plan_admin(store, ADMIN, code))
    roster = generate(store, code, 1)
    apply_plan(store, make_plan(store, roster.units, roster.cadres, roster.assignments, on=ON))


def test_a_large_graph_is_exported_in_parts_and_reads_back_whole(
    neo4j_ben_tre: Neo4jBenTre, data_dir: Path, tmp_path: Path
) -> None:
    add_province(data_dir, "84")
    runner = CliRunner(env=store_env("neo4j"))
    neo4j_ben_tre.checkout()
    exported = runner.invoke(main, ["--data", str(data_dir), *EXPORT_IN_PARTS])
    assert exported.exit_code == 0, exported.output
    assert re.search(r"\(\d+ transactions\)", exported.output), exported.output
    copy = tmp_path / "copy"
    assert runner.invoke(main, ["--data", str(copy), "import"]).exit_code == 0
    original, back = dump(MemoryStore.open(data_dir)), dump(MemoryStore.open(copy))
    assert sorted(original.units, key=lambda u: u.code) == sorted(back.units, key=lambda u: u.code)
    assert sorted(original.cadres, key=lambda c: c.id) == sorted(back.cadres, key=lambda c: c.id)
    assert sorted(original.assignments, key=lambda a: a.id) == sorted(
        back.assignments, key=lambda a: a.id
    )


def export_failing_at_the_second_part(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, **also: Any
) -> None:
    """``nam export`` of Bến Tre and Trà Vinh in parts, the second of which fails; ``also``
    replaces other methods of the store for the while."""
    real_write = Neo4jStore._write_part
    calls: list[int] = []

    def failing_write(self: Neo4jStore, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise StoreError("Neo4j is unavailable; nothing was written: (test: connection lost)")
        real_write(self, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(Neo4jStore, "_write_part", failing_write)
        for name, method in also.items():
            patched.setattr(Neo4jStore, name, method)
        failed = CliRunner(env=store_env("neo4j")).invoke(
            main, ["--data", str(data_dir), *EXPORT_IN_PARTS]
        )
    assert failed.exit_code == 1 and "connection lost" in failed.stderr


def test_an_export_that_fails_halfway_copies_nothing(
    neo4j_ben_tre: Neo4jBenTre, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_province(data_dir, "84")
    neo4j_ben_tre.checkout()
    export_failing_at_the_second_part(data_dir, monkeypatch)
    counts = Neo4jStore.open(neo4j_ben_tre.driver, NEO4J_DATABASE).counts()
    assert not any(counts.values()), counts  # the first part was taken out again


def test_an_export_stopped_halfway_leaves_a_graph_namgraph_refuses_to_open(
    neo4j_ben_tre: Neo4jBenTre, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program stopped outright cannot undo its first parts: the graph keeps its mark."""
    add_province(data_dir, "84")
    runner = CliRunner(env=store_env("neo4j"))
    neo4j_ben_tre.checkout()

    def stopped(self: Neo4jStore, *args: Any, **kwargs: Any) -> None:
        raise StoreError("(test: the program was stopped)")

    export_failing_at_the_second_part(data_dir, monkeypatch, _undo=stopped)
    args = ["--data", str(data_dir), *EXPORT_IN_PARTS]
    with pytest.raises(StoreError, match="has not finished"):
        Neo4jStore.open(neo4j_ben_tre.driver, NEO4J_DATABASE)
    question = runner.invoke(main, ["coverage", "83"])
    assert question.exit_code == 1 and "nam export neo4j --replace" in question.stderr
    again = runner.invoke(main, args)
    assert again.exit_code == 0, again.output
    assert Neo4jStore.open(neo4j_ben_tre.driver, NEO4J_DATABASE).counts()["province"] == 2


def test_both_maps_and_the_policy_timeline_survive_export_and_import(
    neo4j_ben_tre: Neo4jBenTre, merged_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner(env=store_env("neo4j"))
    neo4j_ben_tre.checkout()
    exported = runner.invoke(main, ["--data", str(merged_dir), "export", "neo4j", "--replace"])
    assert exported.exit_code == 0, exported.output
    copy = tmp_path / "copy"
    assert runner.invoke(main, ["--data", str(copy), "import"]).exit_code == 0
    original, back = MemoryStore.open(merged_dir), MemoryStore.open(copy)
    before, after = dump(original), dump(back)
    assert before.units == after.units  # versions, dated parents and successors included
    assert [(s, p.id) for s, _, p in back.timeline] == [(s, p.id) for s, _, p in original.timeline]
    assert back.coverage("86", REFORM) == original.coverage("86", REFORM)
    assert back.coverage("83", ON) == original.coverage("83", ON)
