"""Today's map beside the old one: a dated administrative list, the policy timeline, and
questions on each side of 1 July 2025, on both stores (the conformance suite)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from graph.model import Unit
from graph.stores.port import GraphStore, LevelNotInPolicy, UnitNotInForce
from loaders.admin import plan_admin
from loaders.plan import Plan, apply_plan
from loaders.problems import LoadError
from tests.conftest import ADMIN, ADMIN_2025, REFORM, RESOLUTION, Nam, write_csv
from tests.test_api import Server

BEFORE = date(2025, 6, 30)


def new_map(store: GraphStore, province: str | None = None) -> Plan:
    """The two-tier policy from 1 July 2025, and the list of 2025-10-18 as in force then."""
    store.set_policy("two-tier-2025", REFORM)
    plan = plan_admin(store, ADMIN_2025, province, REFORM, RESOLUTION)
    apply_plan(store, plan)
    return plan


def communes(store: GraphStore, code: str, on: date) -> list[Unit]:
    return [u for u in walk(store, code, on) if u.level == "commune"]


def walk(store: GraphStore, code: str, on: date) -> list[Unit]:
    found: list[Unit] = []
    frontier = [code]
    while frontier:
        below = store.children_of(frontier, on)
        frontier = [u.code for units in below.values() for u in units]
        found += [u for units in below.values() for u in units]
    return found


def test_the_figures_of_the_two_lists(mapped: GraphStore) -> None:
    store = mapped
    assert len(communes(store, "83", BEFORE)) == 157
    assert len(communes(store, "86", REFORM)) == 124
    old = {u.code for u in communes(store, "83", BEFORE)}
    new = {u.code for u in communes(store, "86", REFORM)}
    assert len(old & new) == 48  # Bến Tre's commune codes that continue in Vĩnh Long
    levels = {lc.level: lc.units for lc in store.coverage("86", REFORM).levels}
    assert levels["commune"] == 124 and "district" not in levels
    before = {lc.level: lc.units for lc in store.coverage("83", BEFORE).levels}
    assert (before["district"], before["commune"]) == (9, 157)


def test_the_plan_counts_and_warns_per_province(store: GraphStore) -> None:
    plan = new_map(store)
    assert plan.provinces["83"] == {"started": 0, "ended": 119, "renamed": 0, "moved": 0}
    # Vĩnh Long: the province and 76 communes new, 48 of Bến Tre's moved in (29 renamed too)
    assert plan.provinces["86"] == {"started": 77, "ended": 0, "renamed": 29, "moved": 48}
    assert len(plan.provinces) == 35  # 34 provinces of today and Bến Tre, which ends
    orphans = [w for w in plan.warnings if w.rule == "orphaned"]
    # every ended commune still has its generated hamlets; every district its supporters
    assert len(orphans) == 157 - 48 + 9
    assert all("until a merge file names its successor" in w.message for w in orphans)


def test_an_ended_province_says_so_and_keeps_its_past(mapped: GraphStore) -> None:
    store = mapped
    with pytest.raises(UnitNotInForce) as ended:
        store.coverage("83", REFORM)
    assert ended.value.ended == REFORM and "ended on 2025-07-01" in str(ended.value)
    assert store.coverage("83", BEFORE).households > 0
    with pytest.raises(UnitNotInForce) as early:
        store.coverage("86", BEFORE)
    assert early.value.starts == REFORM


def test_a_moved_commune_hangs_from_the_parents_of_each_day(
    mapped: GraphStore,
) -> None:
    store = mapped
    old = {u.code for u in communes(store, "83", BEFORE)}
    moved = sorted(old & {u.code for u in communes(store, "86", REFORM)})[0]
    group = next(u for u in walk(store, moved, BEFORE) if u.level == "household_group")
    before = [link.unit.code for link in store.chain(group.code, BEFORE)]
    after = [link.unit.code for link in store.chain(group.code, REFORM)]
    assert before[-1] == "83" and len(before) == 5
    assert after[-2:] == [moved, "86"] and len(after) == 4
    assert [u.code for u in store.ancestors(moved, BEFORE)][-1] == "83"
    assert [u.code for u in store.ancestors(moved, REFORM)] == ["86"]
    assert [u.code for u in store.ancestors(moved)] == ["86"]  # undated: the latest parents


def test_a_renamed_unit_keeps_its_old_name_for_earlier_dates(
    mapped: GraphStore,
) -> None:
    store = mapped
    renamed = [
        u for u in communes(store, "86", REFORM) if u.earlier and u.earlier[-1].name != u.name
    ]
    assert len(renamed) == 29
    unit = store.unit(renamed[0].code)
    assert unit is not None
    assert unit.on(BEFORE).name == unit.earlier[-1].name != unit.on(REFORM).name
    chain_before = store.chain(unit.code, BEFORE)
    assert chain_before[0].unit.name == unit.earlier[-1].name


def test_the_same_list_again_changes_nothing(mapped: GraphStore) -> None:
    store = mapped
    again = plan_admin(store, ADMIN_2025, None, REFORM, RESOLUTION)
    assert len(again.changes) == 0 and again.unchanged == 3355


def test_a_province_outside_the_list_is_left_alone(store: GraphStore) -> None:
    plan = new_map(store, "86")
    assert set(plan.provinces) == {"86"}
    # Bến Tre is not ended by a list of Vĩnh Long alone; 48 of its communes moved out
    assert len(communes(store, "83", REFORM)) == 157 - 48
    assert len(communes(store, "86", REFORM)) == 124


def test_the_policy_of_each_date(store: GraphStore, reopen: Callable[[], GraphStore]) -> None:
    store.set_policy("two-tier-2025", REFORM)
    again = reopen()
    assert [(start, p.id) for start, _, p in again.timeline] == [
        (None, "ben-tre-559"),
        (REFORM, "two-tier-2025"),
    ]
    assert again.policy_on(BEFORE).id == "ben-tre-559"
    assert again.policy_on(REFORM).id == "two-tier-2025"
    assert again.policy_on(None).id == "ben-tre-559"


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("older", "list_order"),
        ("undated", "list_order"),
        ("mixed", "layout_mixed"),
        ("no-policy", "layout_policy"),
    ],
)
def test_lists_that_cannot_load_write_nothing(
    store: GraphStore,
    state: Callable[[], object],
    tmp_path: Path,
    case: str,
    rule: str,
) -> None:
    if case != "no-policy":
        new_map(store)
    before = state()
    header = ADMIN.read_text(encoding="utf-8").splitlines()[0].split(",")
    if case == "older":
        path, on = ADMIN, date(2024, 1, 1)
    elif case == "undated":
        path, on = ADMIN_2025, None
    elif case == "mixed":
        rows = [
            ["Tỉnh Vĩnh Long", "86", "", "", "Phường Thanh Đức", "29239", "Phường"],
            ["Tỉnh Vĩnh Long", "86", "Huyện X", "855", "Xã Y", "29999", "Xã"],
        ]
        path, on = write_csv(tmp_path / "mixed.csv", header, rows), date(2025, 8, 1)
    else:
        path, on = ADMIN_2025, REFORM
    with pytest.raises(LoadError) as refused:
        plan_admin(store, path, "86" if case == "mixed" else None, on)
    assert rule in {p.rule for p in refused.value.problems}
    message = str(refused.value)
    assert str(path) in message
    if case == "mixed":
        assert "row 3" in message and "Mã QH" in message
    assert state() == before


def test_the_command_line_loads_a_dated_list(nam: Nam, store_kind: str) -> None:
    assert nam("policy", "set", "two-tier-2025", "--from", "1/7/2025").exit_code == 0
    listed = nam("policy", "list")
    assert "two-tier-2025: from 2025-07-01" in listed.output
    assert "ben-tre-559: from the beginning until 2025-06-30" in listed.output
    loaded = nam("load", "admin", str(ADMIN_2025), "--on", "2025-07-01", "--decision", RESOLUTION)
    assert loaded.exit_code == 0, loaded.output
    assert "35 provinces: 3,307 units started, 119 ended, 29 renamed, 48 moved" in loaded.output
    gone = nam("coverage", "83", "--as-of", "2025-07-01", "--json")
    assert gone.exit_code == 1
    assert '"ended": "2025-07-01"' in gone.output and '"successors": []' in gone.output
    older = nam("load", "admin", str(ADMIN), "--on", "2024-01-01")
    assert older.exit_code == 2 and "lists are loaded in date order" in older.output
    # the same Bến Tre inserted on 2024-01-01 changes nothing: it was already so
    forced = nam(
        "load", "admin", str(ADMIN), "--on", "2024-01-01", "--province", "83", "--force-past"
    )
    assert forced.exit_code == 0, forced.output


def test_units_below_an_ended_parent_are_counted_together_as_alone(mapped: GraphStore) -> None:
    """A commune of Bến Tre ended on 1 July 2025 with the list of that day, while its hamlets
    still hang from it (orphans until a merge file names their new communes): a dashboard's
    look-ahead asks the coverage of the commune and its hamlets together."""
    later = date(2025, 9, 1)
    hamlets = [u.code for u in mapped.children_of(["28801"], later).get("28801", [])]
    assert hamlets, "the hamlets of 28801 hang from it after it ended"
    groups = [u.code for us in mapped.children_of(hamlets, later).values() for u in us]
    codes = ["28801", *hamlets, *groups]
    alone = {code: mapped.coverage_of([code], later)[code] for code in codes}
    assert mapped.coverage_within(codes, later) == alone
    assert sum(alone[h].households for h in hamlets) > 0


def test_a_map_older_than_its_policy_is_told_plainly_not_crashed_on(
    store: GraphStore, nam: Nam
) -> None:
    """The two-tier policy set from 1 July 2025 over the map of 2023 (the new list not loaded
    yet): a district has a level that policy has not. Asked about, it is refused with what to
    do; the province above it is answered, on both stores, on the command line and in the API
    (where a dashboard's coverage is worked out from its parts)."""
    store.set_policy("two-tier-2025", REFORM)
    later = date(2025, 9, 1)
    with pytest.raises(LevelNotInPolicy, match=r"831 .* district, .*`nam load admin`"):
        store.coverage("831", later)
    with pytest.raises(LevelNotInPolicy):
        store.gaps("831", "commune", later)
    assert store.gaps("83", "commune", later) == []
    province = store.coverage("83", later)
    assert [lc.level for lc in province.levels] == ["commune", "hamlet", "household_group"]
    shown = nam("coverage", "831", "--as-of", "2025-09-01")
    assert shown.exit_code == 1 and "nam load admin" in shown.output, shown.output
    assert "Traceback" not in shown.output
    with Server(store) as api:
        above = api.data('{ unit(code: "83") { coverage(asOf: "2025-09-01") { households } } }')
        body = api.query('{ coverage(unit: "831", asOf: "2025-09-01") { ratio } }')
    assert above["unit"]["coverage"]["households"] == province.households
    (error,) = body["errors"]
    assert error["path"] == ["coverage"] and error["extensions"]["code"] == "BAD_INPUT"
    assert "nam load admin" in error["message"]
    # the dashboard's look-ahead: one bad unit (each district) does not fail the others
    with Server(store) as api:
        board = api.query(
            """{ unit(code: "83") { coverage(asOf: "2025-09-01") { households }
                 children(asOf: "2025-09-01") { code coverage(asOf: "2025-09-01") { ratio }
                   children(asOf: "2025-09-01") { coverage(asOf: "2025-09-01") { ratio } } } } }"""
        )
    # (a unit's coverage is never null: the error empties the unit, as GraphQL says)
    assert board["data"] == {"unit": None}
    assert {e["extensions"]["code"] for e in board["errors"]} == {"BAD_INPUT"}
    paths = [e["path"] for e in board["errors"]]
    assert paths and all(p[:2] == ["unit", "children"] and p[3:] == ["coverage"] for p in paths)


def test_a_code_that_ended_can_come_back_as_a_new_version(
    store: GraphStore, tmp_path: Path
) -> None:
    header = ADMIN.read_text(encoding="utf-8").splitlines()[0].split(",")
    rows = [
        line.split(",")
        for line in ADMIN.read_text(encoding="utf-8").splitlines()[1:]
        if line.split(",")[1] == "83"
    ]
    without = write_csv(tmp_path / "a.csv", header, [r for r in rows if r[5] != "28757"])
    again = [r if r[5] != "28757" else [*r[:4], "Phường Phú Tân Mới", *r[5:]] for r in rows]
    back = write_csv(tmp_path / "b.csv", header, again)
    apply_plan(store, plan_admin(store, without, "83", date(2024, 1, 1)))
    apply_plan(store, plan_admin(store, back, "83", date(2024, 6, 1)))
    unit = store.unit("28757")
    assert unit is not None
    assert [(v.valid_from, v.valid_to) for v in unit.versions()] == [
        (None, date(2024, 1, 1)),
        (date(2024, 6, 1), None),
    ]
    assert unit.on(date(2023, 5, 1)).name == "Phường Phú Tân"
    assert unit.on(date(2024, 7, 1)).name == "Phường Phú Tân Mới"
    with pytest.raises(UnitNotInForce):
        store.coverage("28757", date(2024, 3, 1))
    assert "28757" in {u.code for u in store.children("829", date(2024, 7, 1))}
    assert "28757" not in {u.code for u in store.children("829", date(2024, 3, 1))}


def test_search_finds_a_unit_by_its_old_name_and_says_what_it_is_now(mapped: GraphStore) -> None:
    hits = [h for h in mapped.search("Xa Binh Phu", 50) if isinstance(h, Unit)]
    found = next(h for h in hits if h.code == "28789")
    assert found.name == "Phường Bến Tre"  # its name since 1 July 2025
    assert "Xã Bình Phú" in {v.name for v in found.versions()}


def test_a_past_list_is_inserted_at_its_date_with_force_past(
    store: GraphStore, state: Callable[[], object], tmp_path: Path
) -> None:
    new_map(store)
    wave, eve = date(2025, 1, 1), date(2024, 12, 31)
    old = communes(store, "83", eve)
    gone = sorted(u.code for u in old if not u.exists_on(REFORM))
    going_on = sorted(u.code for u in old if u.exists_on(REFORM))
    renamed, merged_away, paused = gone[0], gone[1], going_on[0]
    # Bến Tre from 1 January 2025 (made up for the test): a commune renamed, one merged away
    # and one that is missing from this list but is on the list of 2025-10-18
    lines = ADMIN.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    rows = []
    for line in lines[1:]:
        row = line.split(",")
        if row[1] != "83" or row[5] in (merged_away, paused):
            continue
        if row[5] == renamed:
            row[4] = "Xã Thử Nghiệm"
        rows.append(row)
    path = write_csv(tmp_path / "ben-tre-2025-01-01.csv", header, rows)
    before = state()
    with pytest.raises(LoadError) as refused:
        plan_admin(store, path, "83", wave)
    assert "--force-past" in str(refused.value) and state() == before
    plan = plan_admin(store, path, "83", wave, "NQ thử", force_past=True)
    assert state() == before  # a plan is a preview
    assert plan.provinces == {"83": {"started": 0, "ended": 2, "renamed": 1, "moved": 0}}
    apply_plan(store, plan)
    assert len(communes(store, "83", eve)) == 157
    assert len(communes(store, "83", wave)) == 155
    assert len(communes(store, "86", REFORM)) == 124  # the later list still holds from its date
    unit = store.unit(renamed)
    assert unit is not None
    assert unit.on(eve).name != "Xã Thử Nghiệm"
    assert unit.on(wave).name == "Xã Thử Nghiệm" and not unit.exists_on(REFORM)
    back = store.unit(paused)
    assert back is not None
    assert back.exists_on(eve) and not back.exists_on(wave) and back.exists_on(REFORM)
    assert back.parent_on(REFORM) == "86"
    again = plan_admin(store, path, "83", wave, "NQ thử", force_past=True)
    assert len(again.changes) == 0
