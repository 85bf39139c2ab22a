"""Carrying the chain onto the map of 1 July 2025 as a reshuffle plan, on both stores."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from graph.model import Severity
from graph.stores.port import ChangeSet, GraphStore
from graph.validate import validate_store
from loaders.reorganisation import plan_reorganisation
from loaders.reshuffle import StalePlan, apply_reshuffle
from tests.conftest import ON, REFORM, Neo4jBenTre, runner, store_env

BEFORE = date(2025, 6, 30)


@pytest.fixture
def writable(
    store_kind: str, merged_dir: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], GraphStore]:
    """The merged graph on the store under test, to write to (a fresh handle per call)."""
    from graph.stores.memory import MemoryStore

    if store_kind == "memory":
        data = tmp_path / "nam"
        shutil.copytree(merged_dir, data)
        return lambda: MemoryStore.open(data)
    neo4j_merged: Neo4jBenTre = request.getfixturevalue("neo4j_merged")
    neo4j_merged.checkout()
    from graph.stores.neo4j import Neo4jStore
    from tests.conftest import NEO4J_DATABASE

    return lambda: Neo4jStore.open(neo4j_merged.driver, NEO4J_DATABASE)


def test_every_assignment_lands_in_one_place_and_history_stays(
    writable: Callable[[], GraphStore],
) -> None:
    store = writable()
    before_83 = store.coverage("83", BEFORE)
    held = [
        a
        for group in store.assignments_at([u.code for u in store.subtree("83")]).values()
        for a in group
        if a.in_force_on(BEFORE)
    ]
    plan = plan_reorganisation(store, REFORM, "86")
    rows = plan["reorganisation"]
    s = plan["summary"]
    assert plan["problems"] == []
    placed = s["continue"] + s["carried"] + s["ended_with_reason"]
    placed += sum(1 for r in rows["undecided"] if "assignment" in r)
    assert placed == len({a.id for a in held})  # nothing disappears silently
    assert s["carried"] == 109  # each of Bến Tre's ended communes had one provincial supporter
    reasons = Counter(r["reason"] for r in rows["ended"])
    assert set(reasons) == {"unit_dissolved"}  # district cadres: their level is gone
    # district cadres' home districts ended into a province: they need a decision
    assert {r["why"] for r in rows["undecided"]} == {"home_unit_ended"}
    assert plan["preview"] and plan["preview"][0]["scope"]["code"] == "86"

    applied = apply_reshuffle(store, str(plan["id"]))
    assert applied.written
    after = writable()
    assert after.coverage("83", BEFORE) == before_83  # the past is untouched
    carried = [a for a in after.assignments(unit="28756") if a.since == REFORM]
    assert carried and all("chuyển theo" in a.decision for a in carried)
    moved = after.cadre("28757-0001")
    assert moved is not None and moved.home_unit == "28756"
    again = plan_reorganisation(after, REFORM, "86")
    assert again["summary"]["end"] == 0 and again["summary"]["start"] == 0
    assert again["summary"]["undecided"] == s["undecided"]  # still listed until settled


def test_a_plan_made_before_another_write_is_stale(writable: Callable[[], GraphStore]) -> None:
    store = writable()
    first = plan_reorganisation(store, REFORM, "86")
    second = plan_reorganisation(store, REFORM, "86", decision="another decision")
    apply_reshuffle(store, str(first["id"]))
    with pytest.raises(StalePlan):
        apply_reshuffle(writable(), str(second["id"]))


def test_the_command_line_plans_a_reorganisation(
    store_kind: str, writable: Callable[[], GraphStore], merged_dir: Path, tmp_path: Path
) -> None:
    writable()
    data = tmp_path / "cli"
    shutil.copytree(merged_dir, data)
    nam = runner(data, store_env(store_kind))
    out = tmp_path / "undecided.csv"
    planned = nam(
        "reshuffle", "plan", "--reorganisation", "1/7/2025", "--scope", "86", "--out", str(out)
    )
    assert planned.exit_code == 0, planned.output
    assert "109 carried to successors" in planned.output
    assert "ended, unit_dissolved" in planned.output
    assert out.read_text(encoding="utf-8").startswith("Thao tác,Mã cán bộ")


def test_a_map_change_after_planning_makes_the_plan_stale(
    writable: Callable[[], GraphStore],
) -> None:
    store = writable()
    plan = plan_reorganisation(store, REFORM, "86")
    unit = store.unit("28756")
    assert unit is not None
    store.apply(ChangeSet(units=[replace(unit, name="Phường Phú Khương (đổi tên)")]))
    with pytest.raises(StalePlan):
        apply_reshuffle(writable(), str(plan["id"]))


def test_what_the_new_map_breaks_is_a_warning_until_the_chain_is_moved(
    writable: Callable[[], GraphStore],
) -> None:
    store = writable()
    found = validate_store(store, REFORM, "86")
    assert [v for v in found if v.severity is Severity.ERROR] == []
    assert {v.extra["rule"] for v in found if v.rule == "needs_reorganisation"} >= {
        "jurisdiction",
        "assignment-policy",
        "cadre-level",
    }
    plan = plan_reorganisation(store, REFORM, "86")
    apply_reshuffle(store, str(plan["id"]))
    after = writable()
    assert [v for v in validate_store(after, REFORM, "86") if v.severity is Severity.ERROR] == []
    # the past validates as it did: cadres who moved with a merge keep their old jurisdiction
    assert [v for v in validate_store(after, ON, "83") if v.severity is Severity.ERROR] == []
