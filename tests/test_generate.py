"""The generated roster: the sizes the seed articles report, deterministic, valid."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from graph.stores.memory import MemoryStore
from graph.stores.port import GraphStore
from graph.validate import validate_store
from loaders.generate import generate
from tests.conftest import ON, build


def test_chau_thanh_has_the_sizes_of_seed_001(store: GraphStore) -> None:
    units = list(store.subtree("831"))
    levels = Counter(u.level for u in units)
    assert (levels["commune"], levels["hamlet"], levels["household_group"]) == (21, 117, 1702)
    communes = {u.code for u in units if u.level == "commune"}
    commune_cadres = list(store.cadres_of(communes))
    assert len(commune_cadres) == 1091
    assert sum("hamlet_cadre" in c.titles for c in commune_cadres) == 117
    district = list(store.cadres_of(["831"]))
    heads = [c for c in district if "district_standing_committee" in c.titles]
    assert len(heads) == 6
    clusters = [a for c in heads for a in store.assignments(cadre=c.id) if a.role == "cluster_head"]
    assert sorted(a.unit for a in clusters) == sorted(communes)
    members = [c for c in district if "district_committee_member" in c.titles]
    assert len(members) == 21


def test_ben_tre_has_one_provincial_cadre_per_commune_and_one_standing_member_per_district(
    store: GraphStore,
) -> None:
    provincial = list(store.cadres_of(["83"]))
    supported = Counter(
        store.unit(a.unit).level  # type: ignore[union-attr]
        for c in provincial
        for a in store.assignments(cadre=c.id)
    )
    assert supported == {"commune": 157, "district": 9}
    standing = [c for c in provincial if "provincial_standing_committee" in c.titles]
    assert len(standing) == 9
    assert len(provincial) == 166


def test_the_same_seed_gives_the_same_roster_and_another_seed_another(store: GraphStore) -> None:
    first, again, other = (
        generate(store, "83", 1),
        generate(store, "83", 1),
        generate(store, "83", 2),
    )
    assert first == again
    assert [c.name for c in first.cadres] != [c.name for c in other.cadres]


def test_the_generated_province_is_valid_and_every_group_has_households(store: GraphStore) -> None:
    assert validate_store(store, ON) == []
    groups = [u for u in store.subtree("83") if u.level == "household_group"]
    assert all(u.households and 18 <= u.households <= 45 for u in groups)


def test_two_tier_generation_covers_every_level(tmp_path: Path) -> None:
    store = MemoryStore.open(build(tmp_path / "nam", policy="two-tier-2025"))
    coverage = store.coverage("83", ON)
    assert [lc.level for lc in coverage.levels] == ["commune", "hamlet", "household_group"]
    assert all(lc.covered == lc.units > 0 for lc in coverage.levels)
    assert coverage.households_reached == coverage.households > 0
    assert validate_store(store, ON) == []
