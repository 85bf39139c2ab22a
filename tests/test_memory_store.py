"""The embedded store: saved whole or not at all, refused when someone else wrote the same
records first, and migrated from the JSON file of earlier versions without loss."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from graph.faults import hooked
from graph.records import assignment_row, cadre_row, unit_row
from graph.stores.config import dump
from graph.stores.memory import DB_FILE, FORMAT, JSON_FILE, MemoryStore
from graph.stores.port import ChangeSet, NotFound, StoreError
from graph.stores.shared_map import SharedMap
from namgraph.cli.main import main
from tests.conftest import ON, REFORM, tree_digest


def test_a_reopened_store_answers_as_the_one_that_wrote_it(
    data_dir: Path, memory_store: MemoryStore
) -> None:
    hamlet = memory_store.children("28801")[0]
    memory_store.apply(ChangeSet(units=[replace(hamlet, name="Ấp Đổi Tên")]))
    again = MemoryStore.open(data_dir)
    assert again.unit(hamlet.code).name == "Ấp Đổi Tên"  # type: ignore[union-attr]
    assert again.counts() == memory_store.counts()
    assert again.coverage("83", ON) == memory_store.coverage("83", ON)


def test_a_failed_write_leaves_disk_and_memory_as_they_were(
    data_dir: Path, memory_store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree_digest(data_dir)
    hamlet = memory_store.children("28801")[0]

    def crash() -> None:  # the records are written, the transaction not yet committed
        raise OSError("disk full")

    with hooked("mid-apply", crash), pytest.raises(OSError, match="disk full"):
        memory_store.apply(ChangeSet(units=[replace(hamlet, name="Ấp Không Lưu")]))
    assert tree_digest(data_dir) == before
    assert memory_store.unit(hamlet.code) == hamlet
    assert MemoryStore.open(data_dir).unit(hamlet.code) == hamlet


def test_a_store_read_before_another_write_is_refused(data_dir: Path) -> None:
    first, second = MemoryStore.open(data_dir), MemoryStore.open(data_dir)
    hamlet = first.children("28801")[0]
    first.apply(ChangeSet(units=[replace(hamlet, name="Ấp Một")]))
    after_first = tree_digest(data_dir)
    with pytest.raises(StoreError, match="changed by another process"):
        second.apply(ChangeSet(units=[replace(hamlet, name="Ấp Hai")]))
    assert tree_digest(data_dir) == after_first


def test_a_store_read_before_another_write_of_other_records_writes_and_both_stand(
    data_dir: Path,
) -> None:
    """Guards are per record: a write about other units is no reason to refuse, and nothing
    the other process wrote is undone."""
    first, second = MemoryStore.open(data_dir), MemoryStore.open(data_dir)
    one, two = first.children("28801")[:2]
    first.apply(ChangeSet(units=[replace(one, name="Ấp Một")]))
    second.apply(ChangeSet(units=[replace(two, name="Ấp Hai")]))
    assert second.unit(one.code).name == "Ấp Một"  # type: ignore[union-attr]  # caught up
    again = MemoryStore.open(data_dir)
    assert [again.unit(u.code).name for u in (one, two)] == ["Ấp Một", "Ấp Hai"]  # type: ignore[union-attr]
    assert again.generation() == second.generation() == first.generation() + 1


def test_catching_up_reads_only_what_was_written_since(data_dir: Path) -> None:
    reader, writer = MemoryStore.open(data_dir), MemoryStore.open(data_dir)
    hamlet = writer.children("28801")[0]
    writer.apply(ChangeSet(units=[replace(hamlet, name="Ấp Mới")]))
    assert reader._db is not None
    since = reader._db.since(reader.generation())
    assert [u.code for u in since.changes.units] == [hamlet.code]
    assert len(since.changes) == 1 and since.generation == writer.generation()
    held = reader.pinned()
    assert reader.stale() and not writer.stale()  # the quick check a server makes first
    assert reader.refresh() and not reader.refresh()
    assert not reader.stale()
    assert reader.unit(hamlet.code).name == "Ấp Mới"  # type: ignore[union-attr]
    assert held.unit(hamlet.code) == hamlet  # a pinned reader keeps its generation
    assert reader.coverage("83", ON) == MemoryStore.open(data_dir).coverage("83", ON)


def test_init_refuses_a_directory_that_holds_a_graph(data_dir: Path) -> None:
    with pytest.raises(StoreError, match="already holds a graph"):
        MemoryStore.init(data_dir, "ben-tre-559")


def test_opening_an_empty_directory_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `nam init` first"):
        MemoryStore.open(tmp_path)


def test_moving_a_unit_moves_its_subtree(memory_store: MemoryStore) -> None:
    first, second = memory_store.children("28801")[:2]
    group = memory_store.children(first.code)[0]
    memory_store.apply(ChangeSet(units=[replace(group, parent=second.code)]))
    assert group.code not in [u.code for u in memory_store.children(first.code)]
    assert group.code in [u.code for u in memory_store.children(second.code)]
    assert [u.code for u in memory_store.ancestors(group.code)][:2] == [second.code, "28801"]


def test_the_store_is_sqlite_with_a_format_number_and_a_change_log(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / DB_FILE) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        units = db.execute("SELECT count(*) FROM units").fetchone()[0]
        log = db.execute("SELECT gen, kind FROM changes ORDER BY gen").fetchall()
    assert meta["format"] == FORMAT and meta["policy"] == "ben-tre-559"
    assert units == len(list(MemoryStore.open(data_dir).subtree()))
    assert log and [gen for gen, _ in log] == list(range(1, meta["generation"] + 1))


def json_store(data_dir: Path, fmt: int = 2) -> bytes:
    """Turn ``data_dir`` into one of the JSON data directories of earlier versions."""
    records = dump(MemoryStore.open(data_dir))
    store = MemoryStore.open(data_dir)
    units = [unit_row(u) for u in records.units]
    doc = {
        "format": fmt,
        "generation": store.generation(),
        "policy": "ben-tre-559",
        "units": units if fmt == 2 else [row[:8] for row in units],
        "cadres": [cadre_row(c) for c in records.cadres],
        "assignments": [assignment_row(a) for a in records.assignments],
        "reshuffles": store.applied_plans(),
    }
    for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):
        (data_dir / name).unlink(missing_ok=True)
    content = orjson.dumps(doc)
    (data_dir / JSON_FILE).write_bytes(content)
    return content


def test_a_json_store_is_migrated_on_first_open_without_loss(data_dir: Path) -> None:
    before = MemoryStore.open(data_dir)
    records, coverage = dump(before), before.coverage("83", ON)
    content = json_store(data_dir)
    after = MemoryStore.open(data_dir)
    assert (data_dir / DB_FILE).is_file()
    assert (data_dir / JSON_FILE).read_bytes() == content  # kept as it was, as a backup
    moved = dump(after)
    assert sorted(map(unit_row, moved.units)) == sorted(map(unit_row, records.units))
    assert sorted(map(cadre_row, moved.cadres)) == sorted(map(cadre_row, records.cadres))
    assert sorted(map(assignment_row, moved.assignments)) == sorted(
        map(assignment_row, records.assignments)
    )
    assert after.coverage("83", ON) == coverage
    assert after.generation() > before.generation()  # a generation never goes back
    hamlet = after.children("28801")[0]
    after.apply(ChangeSet(units=[replace(hamlet, name="Ấp Sau Chuyển")]))
    assert MemoryStore.open(data_dir).unit(hamlet.code).name == "Ấp Sau Chuyển"  # type: ignore[union-attr]
    assert (data_dir / JSON_FILE).read_bytes() == content


def test_a_json_store_of_format_1_is_migrated_as_it_is(data_dir: Path) -> None:
    json_store(data_dir, fmt=1)
    store = MemoryStore.open(data_dir)
    assert store.unit("83") is not None and store.unit("83").earlier == ()  # type: ignore[union-attr]
    assert len(store.children("831")) == 21


def test_nam_migrate_says_what_it_moved_and_keeps_the_backup(data_dir: Path) -> None:
    content = json_store(data_dir)
    runner = CliRunner()
    done = runner.invoke(main, ["--data", str(data_dir), "migrate"])
    assert done.exit_code == 0, done.output
    assert JSON_FILE in done.output and DB_FILE in done.output
    assert (data_dir / JSON_FILE).read_bytes() == content
    again = runner.invoke(main, ["--data", str(data_dir), "migrate"])
    assert again.exit_code == 0 and "nothing to migrate" in again.output


def test_a_migration_killed_half_way_leaves_the_json_store_to_migrate_again(
    data_dir: Path,
) -> None:
    content = json_store(data_dir)
    partial = data_dir / f".{DB_FILE}.999.partial"
    partial.write_bytes(b"half a database")
    store = MemoryStore.open(data_dir)
    assert not partial.exists() and len(store.children("831")) == 21
    assert (data_dir / JSON_FILE).read_bytes() == content


def graph_dump(store: MemoryStore) -> tuple[object, ...]:
    """Everything the graph holds, nodes and links with their data, in a comparable form."""
    g = store.g
    nodes = sorted((repr(n), repr(sorted(d.items()))) for n, d in g.nodes(data=True))
    edges = sorted(
        (repr(u), repr(v), k, repr(sorted(d.items())))
        for u, v, k, d in g.edges(keys=True, data=True)
    )
    preds = sorted((repr(v), repr(u), k) for v in g for u in g.pred[v] for k in g.pred[v][u])
    return tuple(nodes), tuple(edges), tuple(preds), tuple(sorted(store._assignments.items()))


def test_a_write_forks_the_generation_readers_hold(
    data_dir: Path, memory_store: MemoryStore
) -> None:
    """A write changes a fork of the graph, never the graph a pinned reader holds; the fork
    ends up exactly as the same change applied in place on a copy of its own."""
    district = memory_store.unit("831")
    assert district is not None
    commune, other = memory_store.children("831", ON)[:2]
    hamlet = memory_store.children(commune.code, ON)[0]
    cadre = next(memory_store.cadres_of([commune.code]))
    running = [a for a in memory_store.assignments(unit=hamlet.code) if a.in_force_on(ON)]
    changes = ChangeSet(
        units=[
            replace(district, name="Huyện Đổi Tên"),
            replace(hamlet, parent=other.code),  # a hamlet moves to another commune
        ],
        cadres=[replace(cadre, home_unit=other.code)],
        assignments=[replace(a, until=ON) for a in running]
        + [replace(running[0], id="new-1", cadre=cadre.id, since=ON)],
    )
    held = memory_store.pinned()
    before = graph_dump(held)
    in_place = MemoryStore.open(data_dir)
    in_place._apply(changes)
    memory_store.apply(changes)
    assert graph_dump(held) == before
    assert held.unit("831").name == "Huyện Châu Thành"  # type: ignore[union-attr]
    assert graph_dump(memory_store) == graph_dump(in_place) != before
    assert memory_store.generation() == held.generation() + 1
    assert memory_store.pinned().unit("831").name == "Huyện Đổi Tên"  # type: ignore[union-attr]


def test_a_generations_tables_are_left_out_of_the_cycle_collector_and_freed_with_it(
    memory_store: MemoryStore,
) -> None:
    """The cycle collector never walks a generation's big tables (they are untracked after
    each fork), and a generation that no reader holds any more is freed all the same: the
    record a write replaced is gone once its last reader is."""

    def tables(store: MemoryStore) -> list[object]:
        g = store.g
        assignments = store._assignments
        assert isinstance(assignments, SharedMap)
        return [g._node, g._succ, g._pred, *assignments._buckets]  # type: ignore[attr-defined]

    assert not any(gc.is_tracked(t) for t in tables(memory_store))
    held = memory_store.pinned()
    old = held.need_unit("831")
    memory_store.apply(ChangeSet(units=[replace(old, name="Huyện Mới")]))
    assert not any(gc.is_tracked(t) for t in tables(memory_store))
    gc.collect()
    assert sys.getrefcount(old) > 2  # the pinned reader's generation still holds it
    del held
    gc.collect()
    assert sys.getrefcount(old) == 2  # only this test does (and the call's argument)


def whole_and_part_answers(whole: MemoryStore, part: MemoryStore, code: str, day: date) -> None:
    """The questions a part is for answer in it as in the whole graph, for ``code`` and for
    some units below it, on ``day``."""
    assert part.coverage(code, day) == whole.coverage(code, day)
    policy = whole.policy_on(day)
    for level in policy.coverage:
        assert part.gaps(code, level, day) == whole.gaps(code, level, day)
    below = [u for u in whole.subtree(code) if u.exists_on(day)]
    for unit in below[:: max(1, len(below) // 40)]:
        assert part.chain(unit.code, day) == whole.chain(unit.code, day), unit.code
        assert part.coverage(unit.code, day) == whole.coverage(unit.code, day), unit.code


def test_a_part_of_the_graph_answers_as_the_whole_graph_on_both_maps(
    merged_dir: Path, tmp_path: Path
) -> None:
    """Bến Tre of 2023 and, after 1 July 2025, the Vĩnh Long it merged into: the part around
    any of their units holds both, and answers as the whole graph does on either day, also
    for a supporter who works in another province."""
    shutil.copytree(merged_dir, tmp_path / "nam")
    merged_dir = tmp_path / "nam"
    whole = MemoryStore.open(merged_dir)
    supporter = next(whole.cadres_of(["83"]))
    assert any(a.unit != "83" for a in whole.assignments(cadre=supporter.id))
    whole.apply(ChangeSet(cadres=[replace(supporter, home_unit="01")]))  # Hà Nội
    old_group = next(u for u in whole.subtree("831") if u.level == "household_group")
    for code in ("83", "831", old_group.code, "86"):
        part = MemoryStore.open(merged_dir, part=code)
        assert part.unit("83") is not None and part.unit("86") is not None
        assert part.counts()["cadres"] <= whole.counts()["cadres"]
        assert part.generation() == whole.generation()
        whole_and_part_answers(whole, part, "83", ON)
        whole_and_part_answers(whole, part, "86", REFORM)
        whole_and_part_answers(whole, part, "831", ON)
    # a province merged into another one is not in the part
    other = next(
        u.code for u in whole.units_at_levels(["province"]) if u.code not in ("83", "84", "86")
    )
    assert MemoryStore.open(merged_dir, part="83").unit(other) is None


def test_a_part_is_for_reading(data_dir: Path) -> None:
    part = MemoryStore.open(data_dir, part="831")
    hamlet = part.children("28801")[0]
    with pytest.raises(StoreError, match="only the part"):
        part.apply(ChangeSet(units=[replace(hamlet, name="Ấp Phần")]))
    with pytest.raises(NotFound):
        MemoryStore.open(data_dir, part="99999")


@pytest.mark.parametrize("order", ["unit first", "units below first", "together"])
def test_a_snapshot_counts_a_unit_and_the_units_below_it_once_and_exactly(
    merged_dir: Path, order: str
) -> None:
    """A request's snapshot keeps the coverage it worked out: a unit's pass counts the units
    directly below it too, and a unit whose units below are known is added up from them.
    Whatever the order, each answer is exactly the one a store without that memory gives."""
    from graph.stores import memory_questions as q

    store = MemoryStore.open(merged_dir)
    for root, on in (("83", ON), ("831", ON), ("28801", ON), ("86", REFORM), ("83", REFORM)):
        below = [u.code for u in store.children(root, on)]
        policy = store.policy_on(on)
        plain = {
            code: q.coverage(store.g, policy, unit.on(on), on, frozenset())
            for code, unit in store.units([root, *below]).items()
        }
        snapshot = store.pinned()
        if order == "unit first":
            got = {**snapshot.coverage_of([root], on), **snapshot.coverage_of(below, on)}
        elif order == "units below first":
            got = {**snapshot.coverage_of(below, on), **snapshot.coverage_of([root], on)}
        else:
            got = snapshot.coverage_of([root, *below], on)
        assert got == plain, (root, on)
        unit = store.unit(root)
        if unit is not None and unit.exists_on(on):  # the live store, asked the usual way
            assert got[root] == store.coverage(root, on)
