"""What analysts get in Neo4j Browser: the saved queries answer like the product does, and the
style sheet colours every level. The saved queries run on the Neo4j test server; the memory
store, on the same data, is the oracle."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from graph.answers import GapReason
from graph.policy import available_policies, load_policy
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import level_label
from graph.stores.port import ChangeSet, GraphStore
from neo4j import Driver
from tests.conftest import NEO4J_DATABASE, ON, ROOT, Neo4jBenTre

QUERIES = ROOT / "browser" / "queries"
PARAM = re.compile(r"^// :param (\w+) => (.+)$", re.MULTILINE)


def saved(name: str) -> tuple[str, dict[str, str]]:
    (path,) = QUERIES.glob(f"*{name}.cypher")
    text = path.read_text(encoding="utf-8")
    return text, dict(PARAM.findall(text))


def run(driver: Driver, name: str, **overrides: Any) -> list[dict[str, Any]]:
    """Run a saved query with the parameters its header documents, some overridden."""
    text, documented = saved(name)
    params: dict[str, Any] = {}
    for key, expression in documented.items():
        records, _, _ = driver.execute_query(f"RETURN {expression} AS v", database_=NEO4J_DATABASE)
        params[key] = records[0]["v"]
    params.update(overrides)
    records, _, _ = driver.execute_query(text, params, database_=NEO4J_DATABASE)
    return [record.data() for record in records]


@pytest.fixture
def both(
    neo4j_ben_tre: Neo4jBenTre, memory_store: MemoryStore
) -> tuple[Driver, GraphStore, GraphStore]:
    """The same Bến Tre province in Neo4j and in the memory store (the oracle)."""
    neo = neo4j_ben_tre.checkout()
    return neo4j_ben_tre.driver, neo, memory_store


def apply_both(stores: tuple[Driver, GraphStore, GraphStore], changes: ChangeSet) -> None:
    for store in stores[1:]:
        store.apply(changes)  # type: ignore[union-attr]


def test_every_saved_query_runs_with_the_parameters_it_documents(
    both: tuple[Driver, GraphStore, GraphStore],
) -> None:
    files = sorted(QUERIES.glob("*.cypher"))
    assert len(files) == 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("// "), f"{path.name}: the first line names the query in Browser"
        assert PARAM.search(text), f"{path.name}: document the parameters as // :param lines"
        run(both[0], path.stem.split("-", 1)[1])


@pytest.mark.parametrize("on", [date(2022, 1, 1), ON])
def test_gaps_query_lists_what_the_store_lists(
    both: tuple[Driver, GraphStore, GraphStore], on: date
) -> None:
    driver, _, oracle = both
    rows = run(driver, "gaps-at-a-level", on=on)
    expected = [
        g.unit.code
        for g in oracle.gaps("83", "commune", on)
        if g.reason != GapReason.CHAIN_BROKEN_ABOVE
    ]
    assert [r["code"] for r in rows] == expected
    assert len(expected) == (157 if on.year == 2022 else 0)


def test_gaps_and_reshuffle_queries_see_an_ended_assignment(
    both: tuple[Driver, GraphStore, GraphStore],
) -> None:
    driver, _, oracle = both
    (supporter,) = oracle.supporters(["28801"], ON)["28801"]
    ended = replace(supporter.assignment, until=date(2024, 3, 1))
    apply_both(both, ChangeSet(assignments=[ended]))
    rows = run(driver, "gaps-at-a-level", on=date(2024, 3, 1))
    assert (
        [r["code"] for r in rows]
        == ["28801"]
        == [g.unit.code for g in oracle.gaps("83", "commune", date(2024, 3, 1))]
    )
    changes = run(driver, "what-a-reshuffle-changed")
    assert [(r["change"], r["unit"], r["cadre"]) for r in changes] == [
        ("ended", "28801", supporter.cadre.id)
    ]
    assert changes[0]["day"].to_native() == date(2024, 3, 1)


def test_chain_query_names_the_same_supporters_as_the_store(
    both: tuple[Driver, GraphStore, GraphStore],
) -> None:
    driver, _, oracle = both
    _, documented = saved("chain-of-a-household-group")
    group = documented["group"].strip("'")
    rows = run(driver, "chain-of-a-household-group")
    expected = [[s.cadre.id for s in link.supporters] for link in oracle.chain(group, ON)]
    assert [r["cadre_ids"] for r in rows] == expected
    assert [r["level"] for r in rows] == [
        "household_group",
        "hamlet",
        "commune",
        "district",
        "province",
    ]


def test_reach_query_counts_the_households_the_store_counts(
    both: tuple[Driver, GraphStore, GraphStore],
) -> None:
    driver, _, oracle = both
    _, documented = saved("reach-of-a-cadre")
    cadre = documented["cadre"].strip("'")
    rows = run(driver, "reach-of-a-cadre")
    reach = oracle.reach(cadre, ON)
    assert [r["unit"] for r in rows] == [u.code for u in reach.direct]
    assert sum(r["households"] for r in rows) == reach.households > 0


def test_overloaded_query_finds_the_cadres_the_store_flags(
    both: tuple[Driver, GraphStore, GraphStore],
) -> None:
    driver, _, oracle = both
    assert run(driver, "overloaded-cadres") == []
    groups = [u for u in oracle.subtree("28801") if u.level == "household_group"]
    cadre = oracle.supporters([groups[0].code], ON)[groups[0].code][0].cadre
    extra = [
        replace(
            oracle.supporters([g.code], ON)[g.code][0].assignment,
            id=f"extra-{g.code}",
            cadre=cadre.id,
        )
        for g in groups[1:4]
    ]
    apply_both(both, ChangeSet(assignments=extra))
    rows = run(driver, "overloaded-cadres")
    flagged = [item.cadre.id for item in oracle.load("83", ON) if item.overloaded]
    assert [r["cadre"] for r in rows] == flagged == [cadre.id]


@pytest.mark.parametrize("policy", available_policies())
def test_the_style_sheet_colours_and_captions_every_level(policy: str) -> None:
    grass = (ROOT / "browser" / "namgraph.grass").read_text(encoding="utf-8")
    for level in load_policy(policy).levels:
        block = re.search(r"node\." + level_label(level.id) + r" \{(.*?)\n\}", grass, re.DOTALL)
        assert block, f"no style for {level.id}"
        assert "color:" in block.group(1) and 'caption: "{name}"' in block.group(1)
    for kind in ("Cadre", "SUPPORTS", "PART_OF"):
        assert f".{kind} {{" in grass


def test_the_readme_says_where_the_saved_queries_and_style_are() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "browser/queries" in readme and "browser/namgraph.grass" in readme
