"""The revision read at the end of a question's own statement, on Neo4j (graph.stores.neo4j_tails).

A request on Neo4j is vouched for by the revision read after its last read. When every
statement of the request carries that read after everything it read, the read alone is not
sent: one round trip fewer. Here: that the server runs the revision read last in every
statement the API's questions send, that the answers are the ones plain statements give, and
that a statement that cannot carry the read is answered plain and checked as before."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from neo4j.exceptions import Neo4jError

from graph.stores import neo4j_tails as tails
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import ChangeSet
from graph.stores.read_log import current, logging_reads
from namgraph.api.dashboard import DASHBOARD
from namgraph.api.settings import Settings
from tests.conftest import Neo4jBenTre
from tests.test_api import CHAIN, COVERAGE, GAPS, Server

D = "2023-05-01"
PLAIN = Settings(demo=True, answer_cache=0)

#: Questions of every kind the dashboards ask, each with its variables.
QUESTIONS: list[tuple[str, dict[str, Any]]] = [
    ("{ __typename }", {}),
    ('{ unit(code: "831") { code name children { code name } } }', {}),
    (CHAIN, {"unit": "28801.01.01", "asOf": D}),
    (COVERAGE, {"unit": "831", "asOf": D}),
    (GAPS, {"unit": "83", "level": "commune", "asOf": D}),
    (DASHBOARD, {"province": "83", "asOf": D}),
    (
        """query($id: ID!) { cadre(id: $id) { id name
             assignments(asOf: "2023-05-01") { role since unit { code name } } } }""",
        {"id": "83-0002"},
    ),
    ('{ reach(cadre: "83-0002", asOf: "2023-05-01") { households direct { code } } }', {}),
    ('{ search(text: "ben tre") { ... on Unit { code } } }', {}),
]


def _operator(plan: Any) -> str:
    return str(plan.get("operatorType", "")).split("@")[0]


def _walk(plan: Any) -> list[Any]:
    found = [plan]
    for child in plan.get("children", []):
        found += _walk(child)
    return found


def _meta_read(plan: Any) -> bool:
    details = str(plan.get("args", plan.get("arguments", {})).get("Details", ""))
    return "Seek" in _operator(plan) and "NamgraphMeta" in details


def _reads(plan: Any) -> list[Any]:
    """The operators that read the graph: scans, seeks and expands."""
    return [
        p for p in _walk(plan) if any(word in _operator(p) for word in ("Scan", "Seek", "Expand"))
    ]


def read_last(plan: Any) -> bool:
    """True when the plan reads the meta node in the right side of an apply whose left side
    ends in an eager aggregation (every row of the question in before it hands on its one),
    and nothing else is read on that right side."""
    for apply in _walk(plan):
        children = apply.get("children", [])
        if not _operator(apply).startswith("Apply") or len(children) != 2:
            continue
        left, right = children
        reads = _reads(right)
        while (
            _operator(left) in ("Filter", "Projection", "CacheProperties")
            and len(left.get("children", [])) == 1
        ):
            left = left["children"][0]
        if _operator(left) == "EagerAggregation" and reads and all(_meta_read(p) for p in reads):
            return True
    return False


@pytest.fixture
def graph(neo4j_ben_tre: Neo4jBenTre) -> Neo4jStore:
    return neo4j_ben_tre.checkout()


@pytest.fixture(autouse=True)
def nothing_learnt() -> None:
    """Each test learns the columns of the statements it sends itself."""
    tails._COLUMNS.clear()


def test_every_statement_of_the_questions_reads_the_revision_after_all_it_read(
    graph: Neo4jStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Server(graph, PLAIN) as api:
        for query, variables in QUESTIONS:  # the first time: plain, and its columns learnt
            api.query(query, **variables)
        answers = []
        for query, variables in QUESTIONS:
            api.store.reset()
            answers.append(api.query(query, **variables))
            if query != "{ __typename }":  # every read carried the revision: none alone
                assert "revision" not in api.store.by_method, (query, api.store.by_method)
        with monkeypatch.context() as plain:
            plain.setattr(tails, "columns_of", lambda query: None)
            for (query, variables), answer in zip(QUESTIONS, answers, strict=True):
                api.store.reset()
                assert api.query(query, **variables) == answer
                if query != "{ __typename }":
                    assert api.store.by_method["revision"] == 1
    assert all("errors" not in a for a in answers), answers
    learnt = [(q, c) for q, c in tails._COLUMNS.items() if c is not None]
    assert len(learnt) >= 8
    with graph.driver.session(database=graph.database) as session:
        for query, columns in learnt:
            plan = session.run("EXPLAIN " + tails.tailed(query, columns)).consume().plan
            assert plan is not None and read_last(plan), query


def test_the_chain_is_one_round_trip(graph: Neo4jStore) -> None:
    with Server(graph, PLAIN) as api:
        first = api.query(CHAIN, unit="28801.01.01", asOf=D)
        api.store.reset()
        again = api.query(CHAIN, unit="28801.01.01", asOf=D)
        assert dict(api.store.by_method) == {"chain": 1}
        assert again == first and len(first["data"]["chain"]) == 5


def test_a_statement_that_cannot_carry_the_revision_is_read_plain_and_not_vouched(
    graph: Neo4jStore,
) -> None:
    query = "UNWIND [1, 2] AS x RETURN x + 1 ORDER BY x + 1"  # a column without a name
    revision = graph.revision()
    for _ in range(2):  # learnt, then refused by the server, then plain from then on
        with logging_reads() as log:
            assert [r[0] for r in graph._read(query)] == [2, 3]
            assert not log.vouches(revision)
    assert tails.columns_of(query) is None
    named = "UNWIND [1, 2] AS x RETURN x + 1 AS y ORDER BY y DESC"
    with logging_reads() as log:
        graph._read(named)
    with logging_reads() as log:
        assert [r["y"] for r in graph._read(named)] == [3, 2]  # as a plain statement
        assert log.vouches(revision)
    assert current() is None  # no log outside a request: the CLI reads plain
    assert [r["y"] for r in graph._read(named)] == [3, 2]


class _RefusingTails:
    """A driver whose sessions refuse every statement that carries the revision read."""

    def __init__(self, driver: Any, error: Exception) -> None:
        self.driver, self.error = driver, error

    def session(self, **options: Any) -> Any:
        real, error = self.driver.session(**options), self.error

        class Session:
            def __enter__(self) -> Session:
                real.__enter__()
                return self

            def __exit__(self, *exc: object) -> None:
                real.__exit__(*exc)

            def run(self, statement: Any, params: Any = None) -> Any:
                if str(getattr(statement, "text", statement)).startswith("CALL () {"):
                    raise error
                return real.run(statement, params)

        return Session()


@pytest.mark.parametrize(
    "code",
    [
        "Neo.ClientError.General.TransactionOutOfMemoryError",
        "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
    ],
)
def test_a_question_too_large_to_collect_is_answered_plain_from_then_on(
    graph: Neo4jStore, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    on = date(2023, 5, 1)
    with logging_reads():
        answer = graph.chain("28801.01.01", on)  # learnt
    (query,) = [q for q, c in tails._COLUMNS.items() if c is not None]
    error = Neo4jError._hydrate_neo4j(code=code, message="the memory limit was reached")
    monkeypatch.setattr(graph, "driver", _RefusingTails(graph.driver, error))
    began = time.monotonic()
    with logging_reads() as log:
        assert graph.chain("28801.01.01", on) == answer
        assert not log.vouches(graph.revision())  # read plain: the read alone follows
    assert time.monotonic() - began < 2  # not asked again and again first
    assert tails.columns_of(query) is None


def test_a_write_between_two_statements_of_one_request_is_not_vouched(graph: Neo4jStore) -> None:
    on = date(2023, 5, 1)
    with logging_reads():
        graph.chain("28801.01.01", on)  # learnt
    start = graph.revision()
    with logging_reads() as log:
        graph.chain("28801.01.01", on)
        assert log.vouches(start)
        other = threading.Thread(target=graph.apply, args=(_nothing_changed(graph),))
        other.start()  # another writer, outside this request (a thread has no log)
        other.join()
        graph.chain("28801.01.01", on)
        assert not log.vouches(start)
    assert graph.seen_revision() == graph.revision() != start


def test_a_scoped_view_starts_at_the_revision_its_scope_days_were_read_at(
    graph: Neo4jStore,
) -> None:
    """A later revision, read by another request, would vouch for a question cut by the
    days of an older graph."""
    view = graph.scoped("831")
    start = view.seen_revision()
    assert start == graph.revision()
    other = threading.Thread(target=graph.apply, args=(_nothing_changed(graph),))
    other.start()
    other.join()
    assert graph.revision() != start == view.seen_revision()
    assert graph.scoped("831").seen_revision() == graph.revision()


def _nothing_changed(graph: Neo4jStore) -> ChangeSet:
    """A change set that writes a new generation and leaves the graph as it was."""
    (supporter,) = graph.supporters(["28801"], date(2023, 5, 1))["28801"]
    return ChangeSet(assignments=[replace(supporter.assignment)])
