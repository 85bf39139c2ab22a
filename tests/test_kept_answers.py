"""Answers kept until the graph changes (namgraph.api.kept), on both stores.

A question asked again at the same write generation, by the same kind of caller, is answered
from kept answers without asking the store, and the answer is the one a server that keeps
nothing gives. A write, by whatever path, is seen by the very next question."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from graph.stores.neo4j import Neo4jStore
from graph.stores.port import ChangeSet, GraphStore
from namgraph.api.dashboard import DASHBOARD
from namgraph.api.kept import Kept
from namgraph.api.settings import Settings
from tests.conftest import Nam, write_csv
from tests.test_api import COVERAGE, GAPS, Server, revision_reads

D = "2024-03-01"
PLAIN = Settings(demo=True, answer_cache=0)


def test_a_dashboard_asked_again_costs_one_generation_read_and_is_the_uncached_answer(
    store: GraphStore,
) -> None:
    with Server(store) as kept, Server(store, PLAIN) as plain:
        first = kept.query(DASHBOARD, province="83", asOf="2023-05-01")
        kept.store.reset()
        again = kept.query(DASHBOARD, province="83", asOf="2023-05-01")
        assert dict(kept.store.by_method) == {"revision": 1}
        assert again == first == plain.query(DASHBOARD, province="83", asOf="2023-05-01")
        assert "errors" not in first and len(first["data"]["unit"]["children"]) == 9
        # a question of another shape is answered by the store once, then kept
        coverage = kept.query(COVERAGE, unit="83", asOf="2023-05-01")
        kept.store.reset()
        assert kept.query(COVERAGE, unit="83", asOf="2023-05-01") == coverage
        assert dict(kept.store.by_method) == {"revision": 1}
        assert coverage == plain.query(COVERAGE, unit="83", asOf="2023-05-01")
        # a different date is a different question
        kept.store.reset()
        later = kept.query(DASHBOARD, province="83", asOf=D)
        assert kept.store.by_method["coverage_within"] == 1
        assert later == plain.query(DASHBOARD, province="83", asOf=D)


def test_a_write_by_the_command_line_is_seen_by_the_next_question(
    store: GraphStore, nam: Nam, tmp_path: Path
) -> None:
    (supporter,) = store.supporters(["28801"], date(2023, 5, 1))["28801"]
    with Server(store) as api:
        before = api.query(GAPS, unit="83", level="commune", asOf=D)
        assert before == api.query(GAPS, unit="83", level="commune", asOf=D)  # kept
        assert before["data"]["gaps"]["totalCount"] == 0
        header = ["Mã cán bộ", "Mã đơn vị", "Nhiệm vụ", "Từ ngày", "Đến ngày"]
        row = [supporter.cadre.id, "28801", "theo dõi, hỗ trợ", "26/8/2022", "1/3/2024"]
        ended = write_csv(tmp_path / "end.csv", header, [row])
        assert nam("load", "assignments", str(ended)).exit_code == 0
        after = api.query(GAPS, unit="83", level="commune", asOf=D)
        assert after["data"]["gaps"]["totalCount"] == 1
        assert after["extensions"]["generation"] > before["extensions"]["generation"]
        assert after["data"]["gaps"]["edges"][0]["node"]["unit"]["code"] == "28801"


def test_a_question_started_at_the_revision_seen_before_a_write_is_asked_again(
    store: GraphStore, reopen: Callable[[], GraphStore]
) -> None:
    """On Neo4j a question starts at the revision the store's last read saw, and a write by
    another process since then is found by the read after it: the question is asked again,
    and the answer names the new generation. Answers kept or not."""
    for settings in (PLAIN, Settings(demo=True)):
        with Server(store, settings) as api:
            before = api.query(GAPS, unit="83", level="commune", asOf=D)
            assert before["data"]["gaps"]["totalCount"] == 0
            other = reopen()  # another process
            (supporter,) = other.supporters(["28801"], date(2023, 5, 1))["28801"]
            ended = replace(supporter.assignment, until=date(2024, 2, 1))
            other.apply(ChangeSet(assignments=[ended]))
            api.store.reset()
            after = api.query(GAPS, unit="83", level="commune", asOf=D)
            assert after["data"]["gaps"]["totalCount"] == 1, after
            assert after["extensions"]["generation"] == other.generation()
            if isinstance(store, Neo4jStore):  # started at the old revision, then again
                asked = 1 if settings.answer_cache else 2  # the first answer was a kept one
                # read alone once, after the first answer; the second answer's statement read
                # it after its question (graph.stores.neo4j_tails)
                assert api.store.by_method["revision"] == 1
                assert api.store.by_method["gaps"] == asked
            other.apply(ChangeSet(assignments=[supporter.assignment]))  # as it was


def test_an_answer_that_read_a_saved_plan_is_not_kept_whole(store: GraphStore) -> None:
    """A saved reshuffle plan is not part of a write generation (a preview saves one without
    a write): a request that read one asks the store again."""
    query = '{ plan(id: "0000000000000000") { id } }'
    with Server(store) as api:
        assert api.data(query) == {"plan": None}
        api.store.reset()
        assert api.data(query) == {"plan": None}
        assert api.store.by_method["plan_document"] == 1


def test_kept_answers_of_an_earlier_generation_or_another_graph_are_let_go() -> None:
    kept = Kept(size=2)
    kept.keep(("a", 5), {"x": [1], "y": 2})
    assert kept.find("x") == (True, [1])
    kept.keep(("a", 4), {"z": 3})  # a request that began before the write of 5: not kept
    assert kept.find("z") == (False, None)
    kept.keep(("b", 5), {"w": 4})  # the same number in a graph made anew: all let go
    assert (kept.find("x"), kept.find("w")) == ((False, None), (True, 4))
    kept.keep(("b", 6), {"p": 1, "q": 2, "r": 3})  # at most two kept, the oldest go first
    assert (len(kept), kept.find("p")[0], kept.find("r")[0]) == (2, False, True)
    answer = kept.find("r")
    mine = kept.find("q")[1]
    assert answer == (True, 3) and mine == 2
    listed = Kept(size=1)
    listed.keep(("a", 1), {"l": [1, 2]})
    given = listed.find("l")[1]
    given.append(3)  # a caller that changes its copy changes nobody else's
    assert listed.find("l") == (True, [1, 2])


def test_a_question_about_the_schema_alone_reads_nothing_from_the_graph(store: GraphStore) -> None:
    """``{ __typename }`` and introspection answer from the schema: no generation is read,
    and none is named; a question that also asks the graph reads one as always."""
    with Server(store, PLAIN) as api:
        api.query('{ unit(code: "83") { code } }')  # the server's first question
        api.store.reset()
        for query in (
            "{ __typename }",
            "query Ping { __typename ... on Query { __typename } }",
            '{ __type(name: "Unit") { name } }',
        ):
            body = api.query(query)
            assert "errors" not in body and body["extensions"]["generation"] is None, query
        assert dict(api.store.by_method) == {}
        body = api.query('{ __typename unit(code: "83") { code } }')
        assert body["data"] == {"__typename": "Query", "unit": {"code": "83"}}
        assert isinstance(body["extensions"]["generation"], int)
        assert api.store.by_method["revision"] == revision_reads(api.store)
