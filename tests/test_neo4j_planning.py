"""After a large write, Neo4j plans from fresh statistics (graph.stores.neo4j_planning): right
after a graph is dropped and loaded again, the questions a scoped caller and a dashboard ask
seek units by their code instead of scanning every unit for each code asked. Writes do not
wait for statistics at all: every keyed lookup in them seeks its index by hint."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from graph.stores import neo4j_activity as act
from graph.stores.neo4j import _UNCREATE, Neo4jStore
from graph.stores.neo4j_planning import refresh_statistics
from graph.stores.port import ChangeSet
from tests.conftest import NEO4J_DATABASE, Neo4jBenTre

ON = date(2023, 5, 1)
#: Operators that read every unit (or every entry of an index) where one is looked up.
SCANS = {"NodeIndexScan", "NodeByLabelScan", "AllNodesScan", "NodeUniqueIndexScan"}
#: The same for links: every link of a type, or every entry of a link index.
LINK_SCANS = {
    f"{way}{scan}"
    for way in ("Directed", "Undirected")
    for scan in ("RelationshipIndexScan", "RelationshipTypeScan", "AllRelationshipsScan")
}
#: A lookup by key in a MATCH: ``(u:Unit {code: ...})`` or ``()-[old:SUPPORTS {id: ...}]->()``.
KEYED = re.compile(r"(?:\(|\[)(\w+):(\w+) \{(\w+):")


def operators(plan: Any) -> set[str]:
    found = {str(plan["operatorType"]).split("@")[0]}
    for child in plan.get("children", []):
        found |= operators(child)
    return found


def asked(store: Neo4jStore, questions: Any) -> list[tuple[str, dict[str, Any]]]:
    """The statements ``questions(store)`` sends, with their parameters."""
    sent: list[tuple[str, dict[str, Any]]] = []
    read = store._read

    def recording(query: str, **params: Any) -> Any:
        sent.append((query, params))
        return read(query, **params)

    store._read = recording  # type: ignore[method-assign]
    questions(store)
    return sent


def test_right_after_a_reload_units_are_sought_by_code_not_scanned(
    neo4j_ben_tre: Neo4jBenTre,
) -> None:
    driver = neo4j_ben_tre.driver
    Neo4jStore.drop(driver, NEO4J_DATABASE)
    # what the server knows of an empty graph: its indexes sampled empty, no plans kept
    driver.execute_query("CALL db.prepareForReplanning(600)", database_=NEO4J_DATABASE)
    neo4j_ben_tre.loaded = None  # loaded again, as after `nam export neo4j --replace`
    store = neo4j_ben_tre.checkout()
    sent = asked(store, lambda s: (s.scoped("831"), s.coverage("83", ON)))
    assert len(sent) >= 4
    for query, params in sent:
        params = {"scope": None, "absent": [], "scope_tops": [], **params}
        summary = driver.execute_query("PROFILE " + query, params, database_=NEO4J_DATABASE)[1]
        plan = summary.profile
        assert plan is not None
        assert not operators(plan) & SCANS, (" ".join(query.split())[:120], operators(plan))


def test_the_server_samples_again_and_plans_anew(neo4j_ben_tre: Neo4jBenTre) -> None:
    neo4j_ben_tre.checkout()
    assert refresh_statistics(neo4j_ben_tre.driver, NEO4J_DATABASE) == "db.prepareForReplanning"


def test_every_keyed_lookup_of_a_write_seeks_its_index(neo4j_ben_tre: Neo4jBenTre) -> None:
    """A write into an emptied graph used to be planned from the statistics of the empty
    indexes: `nam export neo4j --replace` scanned the whole attendance index for every row it
    wrote. Each lookup by key in a write's MATCH now carries a seek hint, which the server
    accepts and plans as a seek (EXPLAIN plans without running)."""
    store = neo4j_ben_tre.checkout()
    driver = neo4j_ben_tre.driver
    writes = [s.query for s in store._statements(ChangeSet())]
    writes += [*_UNCREATE, *act.UNCREATE]
    assert len(writes) >= 10
    for query in writes:
        for clause in re.split(r"\b(?=MERGE|MATCH|CREATE)", query):
            if not clause.startswith("MATCH"):
                continue  # MERGE seeks its unique constraint's index; CREATE looks up nothing
            for name, label, key in KEYED.findall(clause):
                assert f"USING INDEX SEEK {name}:{label}({key})" in query, (name, query)
        summary = driver.execute_query("EXPLAIN " + query, rows=[], database_=NEO4J_DATABASE)[1]
        assert summary.plan is not None
        found = operators(summary.plan)
        assert not found & (SCANS | LINK_SCANS), (" ".join(query.split())[:120], found)
