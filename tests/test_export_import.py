"""Moving a graph between the stores: data directory -> Neo4j -> a new data directory."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli.main import main
from graph.memory_store import MemoryStore
from graph.stores import dump
from tests.conftest import ON, Neo4jBenTre, store_env


def test_export_to_neo4j_and_import_back_gives_the_same_graph(
    neo4j_ben_tre: Neo4jBenTre, data_dir: Path, tmp_path: Path
) -> None:
    runner = CliRunner(env=store_env("neo4j"))
    neo4j_ben_tre.checkout()  # the test database already holds a graph
    refused = runner.invoke(main, ["--data", str(data_dir), "export", "neo4j"])
    assert refused.exit_code == 1 and "already holds a graph" in refused.stderr
    exported = runner.invoke(main, ["--data", str(data_dir), "export", "neo4j", "--replace"])
    assert exported.exit_code == 0, exported.output
    assert "Copied 37177 records" in exported.output

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
