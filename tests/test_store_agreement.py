"""Where the two stores used to answer differently, the answer the product stands by, on both.

- An undated status is allowed only as a cadre's first: one after a dated status is bad input
  (``cadre-history``), refused at load, so no store has to guess which came first.
- Households are reached when every chain level *the policy lists* is covered: under a policy
  whose chain stops at the hamlet, an uncovered household group still has its households
  reached.
- A reshuffle's preview counts a candidate's load over the whole graph, units in other
  provinces included, on both stores."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from graph.model import Status, StatusPeriod
from graph.stores.memory import POLICY_FILE, MemoryStore
from graph.stores.port import ChangeSet, GraphStore
from loaders.plan import make_plan
from loaders.reshuffle import preview
from neo4j import Driver
from tests.conftest import ON, Nam, Neo4jBenTre, TwoProvinces, on_store, write_csv

SHORT_CHAIN = "chain: [commune, hamlet]"


@pytest.fixture(scope="session")
def short_chain_dir(tmp_path_factory: pytest.TempPathFactory, ben_tre_dir: Path) -> Path:
    """Bến Tre under a chain that stops at the hamlet, with three household groups whose
    supporters' assignments ended before ``ON``."""
    target = tmp_path_factory.mktemp("short-chain") / "nam"
    shutil.copytree(ben_tre_dir, target)
    policy = target / POLICY_FILE
    text = policy.read_text(encoding="utf-8")
    assert "chain: [commune, hamlet, household_group]" in text
    policy.write_text(
        text.replace("chain: [commune, hamlet, household_group]", SHORT_CHAIN), encoding="utf-8"
    )
    store = MemoryStore.open(target)
    groups = sorted(u.code for u in store.subtree("28801") if u.level == "household_group")[:3]
    ended = [
        dataclasses.replace(a, until=ON - timedelta(days=1))
        for group in store.assignments_at(groups).values()
        for a in group
    ]
    store.apply(ChangeSet(assignments=ended))
    return target


@pytest.fixture(scope="session")
def neo4j_short_chain(neo4j_driver: Driver, short_chain_dir: Path) -> Neo4jBenTre:
    return Neo4jBenTre(neo4j_driver, short_chain_dir)


@pytest.fixture
def short_chain(
    store_kind: str, short_chain_dir: Path, request: pytest.FixtureRequest
) -> GraphStore:
    return on_store(store_kind, short_chain_dir, request, "neo4j_short_chain")


def test_households_are_reached_when_the_policys_chain_levels_are_covered(
    short_chain: GraphStore,
) -> None:
    coverage = short_chain.coverage("28801", ON)
    groups = coverage.level("household_group")
    assert groups.covered == groups.units - 3  # the three groups have no supporter
    assert all(
        coverage.level(level).covered == coverage.level(level).units
        for level in ("commune", "hamlet")
    )
    assert coverage.households_reached == coverage.households > 0


def test_an_undated_status_after_a_dated_one_is_refused_at_load(
    store: GraphStore, nam: Nam, tmp_path: Path
) -> None:
    cadre = next(c for c in store.cadres_of(["831"]) if c.history[-1].since is not None)
    later = dataclasses.replace(cadre, history=(*cadre.history, StatusPeriod(Status.RETIRED)))
    plan = make_plan(store, cadres=[later])
    assert [p.rule for p in plan.problems] == ["cadre-history"]
    assert "only a cadre's first status may be undated" in plan.problems[0].message
    header = ["Mã cán bộ", "Họ và tên", "Cấp", "Mã đơn vị công tác", "Trạng thái"]
    row = [cadre.id, cadre.name, "huyện", "831", "nghỉ hưu"]
    result = nam("load", "cadres", str(write_csv(tmp_path / "retire.csv", header, [row])))
    assert result.exit_code == 2, result.output
    assert "row 2" in result.output and "Trạng thái từ ngày" in result.output
    assert store.cadre(cadre.id) == cadre  # nothing was written


def test_a_reshuffle_preview_counts_a_candidates_units_in_another_province(
    two: TwoProvinces,
) -> None:
    """The embedded store used to preview on a copy of the plan's provinces only: a candidate
    who also supports a unit in another province carried 0 households there, so candidates
    were ranked unlike on Neo4j. Each candidate's load in the preview is now their load on the
    whole graph."""
    store = two.store()
    hamlet = next(u for u in store.subtree("28801") if u.level == "hamlet")
    (leaving,) = {a.cadre for a in store.assignments(unit=hamlet.code) if a.in_force_on(ON)}
    changes = ChangeSet(
        assignments=[
            dataclasses.replace(a, until=ON)
            for a in store.assignments(cadre=leaving)
            if a.in_force_on(ON)
        ]
    )
    (first,) = preview(store, changes, ["83"], ON, candidates=50)
    picked = [c for t in first.lost for c in t.candidates]
    assert picked, "nobody could take the hamlet over: the test proves nothing"
    helper = picked[0].cadre
    # the unit they support is now one of Đà Nẵng, of the same level (an assignment across
    # provinces): still one unit, so still a candidate, with that unit's households
    (held,) = [a for a in store.assignments(cadre=helper.id) if a.in_force_on(ON)]
    level = store.need_unit(held.unit).level
    elsewhere = next(u for u in store.subtree("48") if u.level == level)
    store.apply(ChangeSet(assignments=[dataclasses.replace(held, unit=elsewhere.code)]))
    (after,) = preview(store, changes, ["83"], ON, candidates=50)
    loads = {c.cadre.id: c for t in after.lost for c in t.candidates}
    assert helper.id in loads
    whole = store.loads_of(list(loads), ON)  # no plan change touches the candidates
    assert {k: (v.units, v.households) for k, v in loads.items()} == {
        k: (v.units, v.households) for k, v in whole.items()
    }
    assert loads[helper.id].households > 0
