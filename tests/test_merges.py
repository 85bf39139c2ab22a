"""Merge files: old units into new ones on a date; what hung from them moves with them, on
both stores (the conformance suite)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from graph.stores.port import GraphStore, UnitNotInForce
from loaders.admin import plan_admin
from loaders.illustrative import ILLUSTRATIVE
from loaders.merges import plan_merges
from loaders.plan import apply_plan
from loaders.problems import LoadError
from tests.conftest import ADMIN_2025, REFORM, runner, store_env, write_csv

BEFORE = date(2025, 6, 30)
HEADER = ["Mã ĐVHC cũ", "Mã ĐVHC mới", "Nghị quyết", "Ngày hiệu lực"]


def test_bến_tre_hangs_from_vĩnh_long_after_the_merge(merged: GraphStore) -> None:
    store = merged
    before = store.coverage("83", BEFORE)
    after = store.coverage("86", REFORM)
    levels = {lc.level: lc.units for lc in after.levels}
    assert levels["commune"] == 124
    assert levels["hamlet"] == {lc.level: lc.units for lc in before.levels}["hamlet"]
    assert after.households == before.households > 0  # Bến Tre's households, now in 86
    with pytest.raises(UnitNotInForce) as ended:
        store.coverage("83", REFORM)
    assert [s.code for s in ended.value.successors] == ["86"]
    assert ILLUSTRATIVE in str(ended.value)


def test_a_household_group_of_a_merged_commune_has_the_chain_of_each_day(
    merged: GraphStore,
) -> None:
    store = merged
    ended = next(
        u
        for u in store.children("831", BEFORE)
        if not u.exists_on(REFORM)
        and store.unit(u.code)
        and not store.unit(u.code).exists_on(REFORM)  # type: ignore[union-attr]
    )
    successor = store.unit(ended.code).successors[0].code  # type: ignore[union-attr]
    hamlet = store.children(ended.code, BEFORE)[0]
    group = store.children(hamlet.code, BEFORE)[0]
    before = [link.unit.code for link in store.chain(group.code, BEFORE)]
    after = [link.unit.code for link in store.chain(group.code, REFORM)]
    assert before == [group.code, hamlet.code, ended.code, "831", "83"]
    assert after == [group.code, hamlet.code, successor, "86"]
    assert hamlet.code in [u.code for u in store.children(successor, REFORM)]
    assert hamlet.code not in [u.code for u in store.children(successor, BEFORE)]


def test_loading_the_same_merges_again_changes_nothing(
    merged: GraphStore, merged_dir: Path
) -> None:
    again = plan_merges(merged, merged_dir.parent / "merges.csv")
    assert len(again.changes) == 0 and again.ok


@pytest.mark.parametrize(
    ("rows", "rule", "column"),
    [
        ([["99999", "28756", "NQ 1", "1/7/2025"]], "merge_unknown_code", "Mã ĐVHC cũ"),
        ([["28757", "86", "NQ 1", "1/6/2025"]], "merge_successor_missing", "Mã ĐVHC mới"),
        (
            [["28757", "28756", "NQ 1", "1/7/2025"], ["28757", "28759", "NQ 1", "1/7/2025"]],
            "merge_split_unspecified",
            "Mã ĐVHC mới",
        ),
        (
            [["28756", "28759", "NQ 1", "1/7/2025"], ["28759", "28756", "NQ 1", "1/7/2025"]],
            "merge_cycle",
            "Mã ĐVHC cũ",
        ),
        ([["28757", "28756", "NQ 1", "1/8/2025"]], "merge_date_mismatch", "Ngày hiệu lực"),
        ([["28757", "28756", "NQ 1", "1/1/2025"]], "merge_date_mismatch", "Ngày hiệu lực"),
        ([["28756", "28756", "NQ 1", "1/7/2025"]], "merge_cycle", "Mã ĐVHC mới"),
    ],
)
def test_merge_files_that_cannot_load_write_nothing(
    mapped: GraphStore,
    tmp_path: Path,
    rows: list[list[str]],
    rule: str,
    column: str,
) -> None:
    path = write_csv(tmp_path / "merges.csv", HEADER, rows)
    with pytest.raises(LoadError) as refused:
        plan_merges(mapped, path)
    found = [p for p in refused.value.problems if p.rule == rule]
    assert found, refused.value.problems
    assert found[0].file == str(path) and found[0].column == column and found[0].row


def test_a_merge_dated_before_the_unit_began_is_refused(mapped: GraphStore, tmp_path: Path) -> None:
    # 86 began on 1 July 2025: merging it into anything earlier is before its start
    path = write_csv(tmp_path / "m.csv", HEADER, [["86", "83", "NQ 1", "1/1/2025"]])
    with pytest.raises(LoadError) as refused:
        plan_merges(mapped, path)
    assert "merge_before_start" in {p.rule for p in refused.value.problems}


def test_the_command_line_loads_merges_and_refuses_bad_ones(
    store_kind: str, mapped: GraphStore, mapped_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "nam"
    shutil.copytree(mapped_dir, data)
    nam = runner(data, store_env(store_kind))
    bad = write_csv(tmp_path / "bad.csv", HEADER, [["99999", "28756", "NQ 1", "1/7/2025"]])
    refused = nam("load", "merges", str(bad))
    assert refused.exit_code == 2 and "Nothing was written" in refused.output
    assert "row 2" in refused.output and "Mã ĐVHC cũ" in refused.output
    good = write_csv(tmp_path / "good.csv", HEADER, [["28757", "28756", "NQ 1", "1/7/2025"]])
    loaded = nam("load", "merges", str(good), "--json")
    assert loaded.exit_code == 0, loaded.output
    assert '"change": ' in loaded.output
    template = nam("template", "merges")
    assert template.output.startswith("Mã ĐVHC cũ,Mã ĐVHC mới,Nghị quyết,Ngày hiệu lực")
    mapped_again = nam("coverage", "28757", "--as-of", "2025-07-01", "--json")
    assert '"successors": [' in mapped_again.output and '"28756"' in mapped_again.output


def test_a_merge_loaded_before_the_list_must_agree_with_its_date(
    store: GraphStore, state: Callable[[], object], tmp_path: Path
) -> None:
    store.set_policy("two-tier-2025", REFORM)
    path = write_csv(tmp_path / "m.csv", HEADER, [["28757", "28756", "NQ 1", "1/8/2025"]])
    apply_plan(store, plan_merges(store, path))
    before = state()
    with pytest.raises(LoadError) as refused:  # the list ends 28757 a month before the merge
        plan_admin(store, ADMIN_2025, None, REFORM, "NQ 202")
    found = [p for p in refused.value.problems if p.rule == "merge_date_mismatch"]
    assert len(found) == 1 and found[0].file == str(ADMIN_2025)
    assert "28757" in found[0].message and "2025-08-01" in found[0].message
    assert "2025-07-01" in found[0].message and state() == before
    agreeing = write_csv(tmp_path / "m2.csv", HEADER, [["28757", "28756", "NQ 1", "1/7/2025"]])
    with pytest.raises(LoadError):  # the merge file cannot move it back either
        plan_merges(store, agreeing)
