"""A first load through Neo4j's offline importer (`nam export neo4j --files DIR`, then
``neo4j-admin database import full``) gives the same graph as the copy over Bolt.

The importer needs a stopped server, so the integration test starts a Neo4j of its own from
the project's cached classpath (the one `make test` fetched), imports into it, starts it and
compares every node and link with the test server's copy of the same graph."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.activity import Attendance, Handover, Meeting, Petition
from graph.model import Cadre
from graph.stores.config import dump
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.neo4j_activity import attendance_row, meeting_row, petition_row
from graph.stores.neo4j_import import ARRAY_DELIMITER, write_import_files
from graph.stores.port import ChangeSet, StoreError
from neo4j import Driver
from tests.conftest import NEO4J_DATABASE, NEO4J_PASSWORD, ROOT, Neo4jBenTre, later_policies

ON = date(2023, 5, 1)
LIB = Path(os.environ.get("NAM_TEST_NEO4J_LIB", ROOT / ".neo4j" / "lib"))
BOLT, HTTP = 17717, 17504  # the test servers use 17687/17697 and 17474/17484


def _changes(data: Path) -> ChangeSet:
    return dump(MemoryStore.open(data))


def _write(changes: ChangeSet, data: Path, directory: Path) -> Any:
    later = [
        (start, Path(file).read_text(encoding="utf-8")) for start, file in later_policies(data)
    ]
    return write_import_files(
        changes, directory, (data / "policy.yaml").read_text(encoding="utf-8"), later
    )


def test_text_with_quotes_commas_and_line_breaks_is_quoted_and_only_its_file_is_multiline(
    ben_tre_dir: Path, tmp_path: Path
) -> None:
    changes = _changes(ben_tre_dir)
    odd = dataclasses.replace(changes.cadres[0], name='Lê "Út", tổ 3\nấp Mỹ')
    files = _write(
        ChangeSet(changes.units, [odd, *changes.cadres[1:]], changes.assignments),
        ben_tre_dir,
        tmp_path,
    )
    assert files.multiline == ["cadres.csv", "meta.csv"]  # the meta node holds the policies
    text = (tmp_path / "cadres.csv").read_text(encoding="utf-8")
    assert '"Lê ""Út"", tổ 3\nấp Mỹ"' in text
    arguments = files.arguments("neo4j", Path("."))
    assert arguments[0] == "neo4j"  # before the options that take several files
    assert "--multiline-fields=cadres.csv,meta.csv" in arguments
    assert files.records == len(changes)


def test_a_text_holding_the_list_separator_is_refused_with_its_record(
    ben_tre_dir: Path, tmp_path: Path
) -> None:
    changes = _changes(ben_tre_dir)
    bad = dataclasses.replace(changes.units[5], name=f"Ấp{ARRAY_DELIMITER}1")
    with pytest.raises(StoreError, match=f"unit {bad.code} holds the control character U\\+001F"):
        _write(
            ChangeSet([*changes.units[:5], bad, *changes.units[6:]], [], []), ben_tre_dir, tmp_path
        )


# --- into a real Neo4j ----------------------------------------------------------------------


class ImportServer:
    """A Neo4j server of the test's own, for the importer (which needs it stopped)."""

    def __init__(self, root: Path) -> None:
        self.env = {
            **os.environ,
            "NEO4J_ROOT": str(root),
            "NEO4J_LIB": str(LIB),
            "NEO4J_BOLT_PORT": str(BOLT),
            "NEO4J_HTTP_PORT": str(HTTP),
            "NEO4J_PASSWORD": NEO4J_PASSWORD,
            "NEO4J_HEAP_SIZE": "512m",
            "NEO4J_PAGECACHE_SIZE": "256m",
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(ROOT / "neo4j" / "neo4j.sh"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr


@pytest.fixture
def import_server(tmp_path: Path) -> Iterator[ImportServer]:
    if not (LIB / ".resolved").is_file() or shutil.which("java") is None:
        reason = f"no cached Neo4j classpath at {LIB} or no Java (`make test` fetches it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    server = ImportServer(tmp_path / "neo4j")
    yield server
    server.run("stop")


def _nodes(driver: Driver) -> dict[tuple[str, ...], dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE n:Unit OR n:Cadre "
        "RETURN labels(n) AS labels, coalesce(n.code, n.id) AS key, properties(n) AS props",
        database_=NEO4J_DATABASE,
    )
    return {(r["key"], *sorted(r["labels"])): r["props"] for r in records}


def _links(driver: Driver) -> list[tuple[Any, ...]]:
    records, _, _ = driver.execute_query(
        "MATCH (a)-[r]->(b) WHERE (a:Unit OR a:Cadre) AND (b:Unit OR b:Cadre) "
        "RETURN type(r) AS type, coalesce(a.code, a.id) AS a, coalesce(b.code, b.id) AS b, "
        "properties(r) AS props",
        database_=NEO4J_DATABASE,
    )
    return sorted(
        (r["type"], r["a"], r["b"], sorted((k, repr(v)) for k, v in r["props"].items()))
        for r in records
    )


def test_the_importer_loads_the_graph_the_bolt_copy_writes(
    neo4j_merged: Neo4jBenTre, merged_dir: Path, import_server: ImportServer, tmp_path: Path
) -> None:
    """Bến Tre with the 2025 map and its merges (earlier versions, successors, dated links),
    one cadre renamed with a quote, a comma and a line break."""
    bolt = neo4j_merged.checkout()
    changes = _changes(merged_dir)
    renamed: Cadre = dataclasses.replace(changes.cadres[0], name='Lê "Út", tổ 3\nấp Mỹ')
    activity = _activity()
    bolt.apply(activity)
    files = _write(
        ChangeSet(
            changes.units,
            [renamed, *changes.cadres[1:]],
            changes.assignments,
            activity.meetings,
            activity.attendance,
            activity.petitions,
        ),
        merged_dir,
        tmp_path / "files",
    )
    report = import_server.run(
        "admin", "database", "import", "full", *files.arguments(NEO4J_DATABASE)
    )
    assert "IMPORT DONE" in report
    assert (tmp_path / "files" / "import.report").is_file()  # beside the files
    import_server.run("start")
    driver = Neo4jStore.connect(f"bolt://127.0.0.1:{BOLT}", "neo4j", NEO4J_PASSWORD)
    try:
        unfinished = Neo4jStore(driver, NEO4J_DATABASE, bolt.timeline.first, bolt.policy_text)
        with pytest.raises(StoreError, match="loaded with neo4j-admin and is not set up yet"):
            unfinished.revision()  # nobody reads it before it is set up

        imported = Neo4jStore.open(driver, NEO4J_DATABASE)  # the first opening sets it up
        epoch, generation = imported.revision()
        assert epoch and generation == 2

        ours, theirs = _nodes(driver), _nodes(bolt.driver)
        assert ours.keys() == theirs.keys()
        assert len(ours) == len(changes.units) + len(changes.cadres)
        key = (renamed.id, "Cadre")
        assert ours.pop(key)["name"] == renamed.name
        theirs.pop(key)
        assert ours == theirs  # every property of every unit and cadre, types included
        assert _links(driver) == _links(bolt.driver)

        # meetings, attendance and petitions, with their empty notes, reasons and hand-overs
        assert imported.meetings([m.id for m in activity.meetings]) == {
            m.id: m for m in activity.meetings
        }
        assert imported.attendances([a.key for a in activity.attendance]) == {
            a.key: a for a in activity.attendance
        }
        assert imported.petitions([p.id for p in activity.petitions]) == {
            p.id: p for p in activity.petitions
        }
        assert imported.absent_supporters("831", ON) == bolt.absent_supporters("831", ON)
        assert imported.coverage("83", ON) == bolt.coverage("83", ON)
        assert imported.chain("28801.01.01", ON) == bolt.chain("28801.01.01", ON)
        indexes, _, _ = driver.execute_query(
            "SHOW INDEXES YIELD name, state RETURN collect(name) AS names, "
            "all(s IN collect(state) WHERE s = 'ONLINE') AS online",
            database_=NEO4J_DATABASE,
        )
        assert {"unit_code", "cadre_id", "unit_name_folded"} <= set(indexes[0]["names"])
        assert indexes[0]["online"]
        assert Neo4jStore.open(driver, NEO4J_DATABASE).revision() == (epoch, generation)
    finally:
        driver.close()


def _activity() -> ChangeSet:
    """Meetings, attendance and petitions in district 831, with empty and awkward texts."""
    cell = Meeting("HOP-1", "28801.01", date(2023, 3, 12), "regular")
    visit = Meeting("HOP-2", "28801.01.01", date(2023, 4, 2), "visit", 'Ghi "chú", có dấu phẩy')
    return ChangeSet(
        meetings=[cell, visit],
        attendance=[
            Attendance(cell.id, "831-0001"),
            Attendance(cell.id, "83-0024", present=False, reason="ốm"),
            Attendance(visit.id, "831-0001"),
        ],
        petitions=[
            Petition("KN-1", "28801.01", date(2023, 2, 1), "831-0001"),
            Petition(
                "KN-2",
                "28801.01",
                date(2023, 2, 2),
                "831-0001",
                "complaint",
                "Đường ngập, cống tắc",
                (Handover("83-0024", date(2023, 2, 5)),),
                answered=date(2023, 2, 20),
            ),
        ],
    )


def test_every_property_the_bolt_copy_writes_has_its_column(merged_dir: Path) -> None:
    from graph.stores import neo4j as bolt
    from graph.stores import neo4j_import as files

    changes = _changes(merged_dir)
    unit_keys = {k for u in changes.units for k in bolt._unit_row(u)}
    assert {"earlier_from", "successor_code"} <= unit_keys  # units with history, merged ones
    assert unit_keys == {name for name, _ in files._UNIT_COLUMNS}
    cadre_keys = {k for c in changes.cadres for k in bolt._cadre_row(c)}
    assert cadre_keys == {name for name, _ in files._CADRE_COLUMNS}
    assignment_keys = {k for a in changes.assignments for k in bolt._assignment_row(a)}
    assert assignment_keys == {"cadre", "unit", *(name for name, _ in files._SUPPORTS_COLUMNS)}
    activity = _activity()
    assert {k for m in activity.meetings for k in meeting_row(m)} == {
        name for name, _ in files._MEETING_COLUMNS
    }
    assert {k for p in activity.petitions for k in petition_row(p)} == {
        name for name, _ in files._PETITION_COLUMNS
    }
    assert {k for a in activity.attendance for k in attendance_row(a)} == {
        "meeting",
        "cadre",
        *(name for name, _ in files._ATTENDED_COLUMNS),
    }
