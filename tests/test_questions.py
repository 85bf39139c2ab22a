"""Coverage, gaps, chain, reach, load and what-if on the generated Bến Tre province."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from graph.answers import GapReason
from graph.questions import what_if
from graph.stores.port import GraphStore, NotFound
from graph.validate import validate_store
from tests.conftest import ON, Nam, write_csv

Reopen = Callable[[], GraphStore]

D = date(2024, 3, 1)
ASSIGNMENT_HEADER = ["Mã cán bộ", "Mã đơn vị", "Nhiệm vụ", "Từ ngày", "Đến ngày", "Quyết định"]


def households_under(store: GraphStore, code: str) -> int:
    return sum(u.households or 0 for u in store.subtree(code) if u.level == "household_group")


def provincial_supporter(store: GraphStore, commune: str) -> str:
    (supporter,) = store.supporters([commune], ON)[commune]
    assert supporter.cadre.level == "province"
    return supporter.cadre.id


def test_generated_ben_tre_is_covered_at_every_level_of_the_policy(store: GraphStore) -> None:
    coverage = store.coverage("83", ON)
    assert [(lc.level, lc.units) for lc in coverage.levels][:2] == [
        ("district", 9),
        ("commune", 157),
    ]
    assert [lc.level for lc in coverage.levels] == [
        "district",
        "commune",
        "hamlet",
        "household_group",
    ]
    assert all(lc.covered == lc.units and lc.ratio == 1.0 for lc in coverage.levels)
    assert coverage.households == households_under(store, "83") > 300_000
    assert coverage.households_reached == coverage.households


def test_ending_one_provincial_assignment_opens_exactly_that_commune(
    store: GraphStore, nam: Nam, reopen: Reopen, tmp_path: Path
) -> None:
    commune = "28801"
    cadre = provincial_supporter(store, commune)
    before = store.coverage("83", D)
    predicted = what_if(store, [cadre], D)

    (assignment,) = store.assignments(cadre=cadre)
    rows = [[cadre, commune, "theo dõi, hỗ trợ", "26/08/2022", D.strftime("%d/%m/%Y"), "559-QĐ/TU"]]
    result = nam(
        "load", "assignments", str(write_csv(tmp_path / "end.csv", ASSIGNMENT_HEADER, rows))
    )
    assert result.exit_code == 0, result.output
    assert "end 1" in result.output

    after_store = reopen()
    assert after_store.assignment(assignment.id).until == D  # type: ignore[union-attr]
    gaps = after_store.gaps("83", "commune", D)
    assert [(g.unit.code, g.reason) for g in gaps] == [(commune, GapReason.SUPPORTER_ENDED)]
    after = after_store.coverage("83", D)
    assert after.level("commune").covered == 156
    lost = households_under(store, commune)
    assert before.households_reached - after.households_reached == lost > 0
    # as of the day before, nothing had changed
    assert after_store.coverage("83", D - timedelta(days=1)) == store.coverage(
        "83", D - timedelta(days=1)
    )
    # what-if predicted exactly this before it happened
    assert [t.unit.code for t in predicted.lost] == [commune]
    assert predicted.households_lost == lost
    assert predicted.after == after
    assert predicted.before == before


def test_what_if_suggests_provincial_cadres_with_the_fewest_units(store: GraphStore) -> None:
    cadre = provincial_supporter(store, "28801")
    (takeover,) = what_if(store, [cadre], D).lost
    assert takeover.candidates
    assert all(c.cadre.level == "province" and c.cadre.id != cadre for c in takeover.candidates)
    assert [c.units for c in takeover.candidates] == sorted(c.units for c in takeover.candidates)


def test_chain_of_a_household_group_goes_up_level_by_level(store: GraphStore) -> None:
    group = next(u for u in store.subtree("28801") if u.level == "household_group")
    links = store.chain(group.code, ON)
    assert [link.unit.level for link in links] == [
        "household_group",
        "hamlet",
        "commune",
        "district",
        "province",
    ]
    assert [link.unit.code for link in links][1:] == [group.parent, "28801", "831", "83"]
    levels = [[s.cadre.level for s in link.supporters] for link in links]
    assert levels == [["commune"], ["district"], ["province"], ["province"], []]
    assert "provincial_standing_committee" in links[3].supporters[0].cadre.titles
    assert links[0].supporters[0].cadre.home_unit == "28801"
    assert all(link.supporters[0].assignment.since == date(2022, 8, 26) for link in links[:4])


def test_reach_of_a_provincial_cadre_is_their_commune_down_to_households(
    store: GraphStore,
) -> None:
    cadre = provincial_supporter(store, "28801")
    reach = store.reach(cadre, ON)
    assert [u.code for u in reach.direct] == ["28801"]
    below = list(store.subtree("28801"))
    expected = {
        lvl: sum(u.level == lvl for u in below) for lvl in ("commune", "hamlet", "household_group")
    }
    assert {lr.level: (lr.units, lr.reached) for lr in reach.levels} == {
        lvl: (n, n) for lvl, n in expected.items()
    }
    assert reach.households == households_under(store, "28801")
    assert reach.breaks == ()


def test_retiring_a_district_cadre_breaks_the_chain_below_their_hamlets(
    store: GraphStore, nam: Nam, reopen: Reopen, tmp_path: Path
) -> None:
    hamlet = next(u for u in store.subtree("28801") if u.level == "hamlet")
    (supporter,) = store.supporters([hamlet.code], ON)[hamlet.code]
    district_cadre = supporter.cadre
    header = [
        "Mã cán bộ",
        "Họ và tên",
        "Cấp",
        "Mã đơn vị công tác",
        "Trạng thái",
        "Trạng thái từ ngày",
    ]
    row = [district_cadre.id, district_cadre.name, "huyện", "831", "nghỉ hưu", "1/3/2024"]
    result = nam("load", "cadres", str(write_csv(tmp_path / "retire.csv", header, [row])))
    assert result.exit_code == 0, result.output

    after = reopen()
    hamlet_gaps = after.gaps("831", "hamlet", D)
    assert [(g.unit.code, g.reason) for g in hamlet_gaps] == [
        (hamlet.code, GapReason.SUPPORTER_RETIRED)
    ]
    group_gaps = after.gaps("831", "household_group", D)
    groups = [u.code for u in store.children(hamlet.code)]
    assert [g.unit.code for g in group_gaps] == groups
    assert {(g.reason, g.broken_at) for g in group_gaps} == {
        (GapReason.CHAIN_BROKEN_ABOVE, hamlet.code)
    }
    commune_cadre = store.supporters([groups[0]], ON)[groups[0]][0].cadre.id
    breaks = after.reach(store.supporters(["28801"], ON)["28801"][0].cadre.id, D).breaks
    assert [g.unit.code for g in breaks] == [hamlet.code]
    assert after.reach(commune_cadre, D).households > 0  # the group itself is still supported
    warned = {(v.rule, v.subject) for v in validate_store(after, D, "831")}
    assert ("inactive-counted", f"assignment:{supporter.assignment.id}") in warned
    assert ("min-per-unit", f"unit:{hamlet.code}") in warned
    # the day before retirement the chain was whole
    assert after.gaps("831", "hamlet", D - timedelta(days=1)) == []


def test_before_the_decision_nothing_is_covered(store: GraphStore) -> None:
    early = date(2022, 1, 1)
    coverage = store.coverage("831", early)
    assert all(lc.covered == 0 for lc in coverage.levels)
    assert coverage.households_reached == 0
    gaps = store.gaps("831", "commune", early)
    assert len(gaps) == 21 and {g.reason for g in gaps} == {GapReason.NO_SUPPORTER}


def test_load_lists_every_active_cadre_and_flags_overload(store: GraphStore) -> None:
    loads = store.load("28801", ON)
    assert len(loads) == len(list(store.cadres_of(["28801"])))
    assert not any(item.overloaded for item in loads)
    assert sum(item.units for item in loads) == sum(
        1 for u in store.subtree("28801") if u.level == "household_group"
    )
    assert sum(item.households for item in loads) == households_under(store, "28801")


def test_search_finds_units_and_cadres_with_or_without_diacritics(store: GraphStore) -> None:
    plain = [getattr(h, "code", None) for h in store.search("Chau Thanh", 5)]
    marked = [getattr(h, "code", None) for h in store.search("Châu Thành", 5)]
    assert plain[:2] == marked[:2] == ["831", "28801"]
    cadre = next(iter(store.cadres_of(["83"])))
    folded = cadre.name.replace("ư", "u").replace("ơ", "o")
    assert any(getattr(h, "id", None) == cadre.id for h in store.search(folded, 500))


def test_unknown_codes_are_not_found(store: GraphStore) -> None:
    with pytest.raises(NotFound, match="no unit '99999'"):
        store.coverage("99999", ON)
    with pytest.raises(NotFound, match="no cadre"):
        store.reach("nobody", ON)
    with pytest.raises(ValueError, match="no coverage rule"):
        store.gaps("83", "province", ON)


def test_a_unit_that_ceased_to_exist_no_longer_counts(store: GraphStore) -> None:
    hamlet = next(u for u in store.subtree("28801") if u.level == "hamlet")
    from dataclasses import replace

    from graph.stores.port import ChangeSet

    store.apply(ChangeSet(units=[replace(hamlet, valid_to=D)]))
    before = store.coverage("28801", D - timedelta(days=1))
    after = store.coverage("28801", D)
    assert after.level("hamlet").units == before.level("hamlet").units - 1
    assert after.households == before.households - households_under(store, hamlet.code)
