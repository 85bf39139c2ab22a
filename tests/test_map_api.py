"""The two maps through the GraphQL API, on both stores: a unit as of a date, successors and
predecessors, orphans, and a coded NOT_FOUND for a unit asked about after it ended."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from graph.stores.port import GraphStore
from tests.test_api import Server

UNIT = """query($code: ID!, $asOf: Date) {
  unit(code: $code, asOf: $asOf) {
    code name kind validFrom validTo
    parent { code name }
    ancestors { code }
    versions { name parent { code } validFrom validTo decision }
    successors { code on resolution unit { code name } }
    predecessors { code }
  }
}"""


@pytest.fixture
def merged_api(merged: GraphStore) -> Iterator[Server]:
    with Server(merged) as server:
        yield server


@pytest.fixture
def mapped_api(mapped: GraphStore) -> Iterator[Server]:
    with Server(mapped) as server:
        yield server


def test_a_moved_commune_as_of_each_side(merged_api: Server) -> None:
    before = merged_api.data(UNIT, code="28756", asOf="2025-06-30")["unit"]
    after = merged_api.data(UNIT, code="28756", asOf="2025-07-01")["unit"]
    assert before["parent"]["code"] == "829" and [a["code"] for a in before["ancestors"]] == [
        "829",
        "83",
    ]
    assert after["parent"]["code"] == "86" and [a["code"] for a in after["ancestors"]] == ["86"]
    assert before["validTo"] == "2025-07-01" and after["validFrom"] == "2025-07-01"
    assert [v["parent"]["code"] for v in after["versions"]] == ["829", "86"]
    # 28757 (Phú Tân) went into 28756 in the illustrative merge file
    assert "28757" in [p["code"] for p in after["predecessors"]]


def test_an_ended_province_names_its_successor(merged_api: Server) -> None:
    unit = merged_api.data(UNIT, code="83", asOf="2025-07-01")["unit"]
    assert unit["validTo"] == "2025-07-01"
    assert [(s["code"], s["on"], s["unit"]["code"]) for s in unit["successors"]] == [
        ("86", "2025-07-01", "86")
    ]
    body = merged_api.query('query { coverage(unit: "83", asOf: "2025-07-01") { households } }')
    error = body["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["ended"] == "2025-07-01"
    assert [s["code"] for s in error["extensions"]["successors"]] == ["86"]
    assert "ended on 2025-07-01" in error["message"]


ORPHANED = """query($unit: ID, $asOf: Date) {
  orphaned(unit: $unit, asOf: $asOf) {
    unit { code level } endedParent { code } endedOn livingAncestor { code }
  }
}"""


def test_orphans_are_listed_after_the_list_ends_their_parents(mapped_api: Server) -> None:
    found = mapped_api.data(ORPHANED, unit="831", asOf="2025-07-01")["orphaned"]
    assert found and all(o["unit"]["level"] == "hamlet" for o in found)
    assert all(o["endedOn"] == "2025-07-01" and o["livingAncestor"] is None for o in found)
    assert mapped_api.data(ORPHANED, unit="831", asOf="2025-06-30")["orphaned"] == []


def test_no_orphans_once_a_merge_file_names_successors(merged_api: Server) -> None:
    # (a test of its own: on Neo4j the two graphs share the one test database)
    assert merged_api.data(ORPHANED, unit=None, asOf="2025-07-01")["orphaned"] == []
