"""The official administrative-unit list, loaded as the policy's levels."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from openpyxl import Workbook

from graph.stores.memory import MemoryStore
from loaders.admin import plan_admin
from loaders.plan import apply_plan
from tests.conftest import ADMIN, Nam, tree_digest


def loaded(tmp_path: Path, policy: str = "ben-tre-559", path: Path = ADMIN) -> MemoryStore:
    store = MemoryStore.init(tmp_path / "nam", policy)
    apply_plan(store, plan_admin(store, path, "83"))
    return MemoryStore.open(tmp_path / "nam")


def test_ben_tre_has_9_districts_and_157_communes(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    counts = store.counts()
    assert (counts["province"], counts["district"], counts["commune"]) == (1, 9, 157)
    kinds = Counter(u.kind for u in store.subtree("83") if u.level == "commune")
    assert kinds == {"xã": 139, "phường": 8, "thị trấn": 10}
    assert len(store.children("831")) == 21
    assert store.unit("831") is not None and store.unit("831").name == "Huyện Châu Thành"  # type: ignore[union-attr]


def test_the_same_list_as_a_workbook_gives_the_same_units(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    lines = ADMIN.read_text(encoding="utf-8").splitlines()
    sheet.append(lines[0].split(","))
    for line in lines[1:]:
        cells: list[object] = line.split(",")
        if cells[1] == "83":
            cells[1], cells[3], cells[5] = (
                int(str(cells[1])),
                int(str(cells[3])),
                int(str(cells[5])),
            )
            sheet.append(cells)
    xlsx = tmp_path / "admin.xlsx"
    book.save(xlsx)
    from_csv = sorted(loaded(tmp_path / "a").subtree("83"), key=lambda u: u.code)
    from_xlsx = sorted(loaded(tmp_path / "b", path=xlsx).subtree("83"), key=lambda u: u.code)
    assert from_csv == from_xlsx


def test_two_tier_policy_hangs_communes_from_the_province(tmp_path: Path) -> None:
    store = loaded(tmp_path, policy="two-tier-2025")
    assert store.counts()["commune"] == 157
    assert "district" not in store.counts()
    assert {u.parent for u in store.subtree("83") if u.level == "commune"} == {"83"}


def test_loading_the_list_twice_changes_nothing(tmp_path: Path) -> None:
    store = loaded(tmp_path)
    before = tree_digest(tmp_path / "nam")
    plan = plan_admin(store, ADMIN, "83")
    assert (plan.unchanged, len(plan.changes)) == (167, 0)
    apply_plan(store, plan)
    assert tree_digest(tmp_path / "nam") == before


def test_dry_run_prints_the_plan_and_writes_nothing(
    tmp_path: Path, nam_memory: Nam, data_dir: Path
) -> None:
    before = tree_digest(data_dir)
    result = nam_memory("load", "admin", str(ADMIN), "--province", "80", "--dry-run")
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in ADMIN.read_text(encoding="utf-8").splitlines()[1:]]
    long_an = [r for r in rows if r[1] == "80"]
    expected = 1 + len({r[3] for r in long_an}) + len(long_an)
    assert f"create {expected}," in result.output
    assert "Dry run: nothing was written." in result.output
    assert tree_digest(data_dir) == before
