"""Writes larger than one Neo4j transaction allows (graph.stores.neo4j_parts): cut into parts
sized from the server's transaction memory limit, all or nothing, unseen until whole."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from graph.faults import hooked
from graph.stores.config import dump
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.neo4j_parts import (
    FEWEST,
    MOST,
    ROW_BYTES,
    UNKNOWN,
    Rows,
    Statement,
    cut_into_parts,
    limit_bytes,
    rows_per_part,
    size_in_bytes,
)
from graph.stores.port import ChangeSet, StoreError
from namgraph.api.settings import Settings
from tests.conftest import NEO4J_DATABASE, Neo4jBenTre
from tests.test_api import Server

PART = 4_000  # rows per transaction in these tests: Bến Tre and Đà Nẵng take a dozen parts


def test_the_servers_sizes_are_read_in_its_units() -> None:
    assert size_in_bytes("716.80MiB") == int(716.8 * 1024**2)
    assert size_in_bytes("1.00GiB") == 1024**3 and size_in_bytes("512KiB") == 512 * 1024
    assert size_in_bytes("0B") is None and size_in_bytes("unlimited") is None
    assert rows_per_part(int(716.8 * 1024**2)) == int(716.8 * 1024**2) // ROW_BYTES
    assert rows_per_part(None) == UNKNOWN
    assert rows_per_part(1024) == FEWEST and rows_per_part(1024**4) == MOST


def test_parts_keep_every_row_in_its_place_and_within_the_sizes() -> None:
    statements = [
        Statement("first", [{"i": i} for i in range(12)]),
        Statement("empty", []),
        Statement("second", [{"i": i} for i in range(5)]),
    ]
    parts = cut_into_parts(statements, most=5, batch=3)
    assert [(s.query, r["i"]) for part in parts for s in part for r in s.rows] == [
        *(("first", i) for i in range(12)),
        *(("second", i) for i in range(5)),
    ]
    assert all(sum(len(s.rows) for s in part) <= 5 for part in parts)
    assert all(len(s.rows) <= 3 for part in parts for s in part)
    assert len(cut_into_parts(statements, most=1_000, batch=5_000)) == 1


def test_rows_are_made_only_when_their_part_is_sent() -> None:
    made: list[int] = []

    def make(i: int) -> dict[str, Any]:
        made.append(i)
        return {"i": i}

    rows = Rows(list(range(10)), make)
    parts = cut_into_parts([Statement("q", rows)], most=4, batch=3)
    assert made == [] and [sum(len(s.rows) for s in part) for part in parts] == [4, 4, 2]
    assert [r["i"] for part in parts for s in part for r in s.rows] == list(range(10))
    assert made == list(range(10))
    assert len(rows[2:5]) == 3 and list(rows[8:20]) == [{"i": 8}, {"i": 9}]
    assert rows[-1] == {"i": 9} and len(rows[7:3]) == 0


def test_the_limit_is_the_one_the_server_works_under(neo4j_ben_tre: Neo4jBenTre) -> None:
    """Unset, Neo4j's transaction memory pool is 70% of its heap."""
    records, _, _ = neo4j_ben_tre.driver.execute_query(
        "SHOW SETTINGS YIELD name, value WHERE name = 'server.memory.heap.max_size' RETURN value",
        database_=NEO4J_DATABASE,
    )
    heap = size_in_bytes(str(records[0]["value"]))
    limit = limit_bytes(neo4j_ben_tre.driver, NEO4J_DATABASE)
    assert heap is not None and limit is not None
    assert abs(limit - 0.7 * heap) < 0.01 * heap


@pytest.fixture
def graph(neo4j_ben_tre: Neo4jBenTre) -> Neo4jStore:
    store = neo4j_ben_tre.checkout()  # its driver is the tests' own: not closed here
    store.part_rows = PART
    return store


@pytest.fixture(scope="module")
def changes(two_dir: Path) -> ChangeSet:
    """Bến Tre changed (units renamed, cadres moved to another phone) and Đà Nẵng new."""
    whole = dump(MemoryStore.open(two_dir))
    return ChangeSet(
        [
            dataclasses.replace(u, name=u.name + " (mới)") if u.code.startswith("83") else u
            for u in whole.units
        ],
        [
            dataclasses.replace(c, phone="0900000000") if c.id.startswith("83") else c
            for c in whole.cadres
        ],
        whole.assignments,
    )


def everything(store: Neo4jStore) -> tuple[list[Any], list[Any], list[Any]]:
    records = dump(Neo4jStore.open(store.driver, store.database))
    return (
        sorted(records.units, key=lambda u: u.code),
        sorted(records.cadres, key=lambda c: c.id),
        sorted(records.assignments, key=lambda a: a.id),
    )


def test_a_write_in_parts_gives_the_graph_one_transaction_gives(
    graph: Neo4jStore, changes: ChangeSet
) -> None:
    transactions, rows = graph.transactions_for(changes)
    assert transactions == -(-rows // PART) > 10
    before = graph.revision()
    graph.apply(changes)
    assert everything(graph) == (
        sorted(changes.units, key=lambda u: u.code),
        sorted(changes.cadres, key=lambda c: c.id),
        sorted(changes.assignments, key=lambda a: a.id),
    )
    after = graph.revision()  # readable again, and two generations on (begun, finished)
    assert after == (before[0], before[1] + 2)


def test_no_one_reads_or_writes_a_graph_half_written(graph: Neo4jStore, changes: ChangeSet) -> None:
    seen: list[str] = []

    def meanwhile() -> None:
        for attempt in (
            graph.revision,
            lambda: Neo4jStore.open(graph.driver, graph.database),
            lambda: graph.apply(ChangeSet([], [], changes.assignments[:1])),
        ):
            with pytest.raises(StoreError, match="has not finished") as refused:
                attempt()
            seen.append(str(refused.value))

    with Server(graph, Settings(demo=True, answer_cache=0)) as api:

        def asked() -> None:
            meanwhile()
            response = api.client.post(
                "/graphql", json={"query": '{ coverage(unit: "83") { households } }'}
            )
            assert response.status_code == 200, response.text
            (error,) = response.json()["errors"]
            seen.append(f"{error['extensions']['code']}: {error['message']}")

        with hooked("mid-apply", asked):
            graph.apply(changes)
        after = api.query('{ unit(code: "48") { code } }')
    assert len(seen) == 4 and "nam export neo4j --replace" in seen[0]
    assert seen[3].startswith("STORE_UNAVAILABLE: ") and "has not finished" in seen[3]
    assert after["data"] == {"unit": {"code": "48"}}  # whole, once the mark is cleared


def test_a_part_that_fails_leaves_the_graph_as_it_was(
    graph: Neo4jStore, changes: ChangeSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, generation = everything(graph), graph.revision()[1]
    real = Neo4jStore._write_part
    written: list[int] = []

    def fails_at_the_seventh(self: Neo4jStore, part: list[Statement]) -> None:
        written.append(1)
        if len(written) == 7:
            raise StoreError("Neo4j is unavailable; nothing was written: (test: connection lost)")
        real(self, part)

    monkeypatch.setattr(Neo4jStore, "_write_part", fails_at_the_seventh)
    with pytest.raises(StoreError, match="connection lost"):
        graph.apply(changes)
    assert len(written) > 7  # six parts were in, then undone
    assert everything(graph) == before  # renamed back, Đà Nẵng gone, nothing marked
    assert graph.revision()[1] > generation


def test_a_write_stopped_with_its_undo_leaves_a_graph_namgraph_refuses(
    graph: Neo4jStore, changes: ChangeSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(self: Neo4jStore, part: list[Statement]) -> None:
        raise StoreError("Neo4j is unavailable: (test: connection lost)")

    monkeypatch.setattr(Neo4jStore, "_write_part", lost)
    with pytest.raises(StoreError, match="undoing what was written failed too"):
        graph.apply(changes)
    with pytest.raises(StoreError, match="has not finished"):
        Neo4jStore.open(graph.driver, graph.database)
