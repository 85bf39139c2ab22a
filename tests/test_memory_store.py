"""The embedded store: saved whole or not at all, refused when someone else wrote first."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from graph.stores.memory import FORMAT, STORE_FILE, MemoryStore
from graph.stores.port import ChangeSet, StoreError
from tests.conftest import ON, tree_digest


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

    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        memory_store.apply(ChangeSet(units=[replace(hamlet, name="Ấp Không Lưu")]))
    monkeypatch.undo()
    assert tree_digest(data_dir) == before
    assert memory_store.unit(hamlet.code) == hamlet
    assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []


def test_a_store_read_before_another_write_is_refused(data_dir: Path) -> None:
    first, second = MemoryStore.open(data_dir), MemoryStore.open(data_dir)
    hamlet = first.children("28801")[0]
    first.apply(ChangeSet(units=[replace(hamlet, name="Ấp Một")]))
    after_first = tree_digest(data_dir)
    with pytest.raises(StoreError, match="changed by another process"):
        second.apply(ChangeSet(units=[replace(hamlet, name="Ấp Hai")]))
    assert tree_digest(data_dir) == after_first


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


def test_the_store_file_is_json_with_a_format_number(data_dir: Path) -> None:
    import orjson

    doc = orjson.loads((data_dir / STORE_FILE).read_bytes())
    assert doc["format"] == FORMAT and doc["policy"] == "ben-tre-559"
    assert len(doc["units"]) == 1 + 9 + 157 + sum(1 for u in doc["units"] if "." in u[0])


def test_a_store_file_of_format_1_opens_as_it_is(data_dir: Path) -> None:
    import orjson

    path = data_dir / STORE_FILE
    doc = orjson.loads(path.read_bytes())
    doc["format"] = 1
    doc["units"] = [row[:8] for row in doc["units"]]
    path.write_bytes(orjson.dumps(doc))
    store = MemoryStore.open(data_dir)
    assert store.unit("83") is not None and store.unit("83").earlier == ()  # type: ignore[union-attr]
    assert len(store.children("831")) == 21


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
