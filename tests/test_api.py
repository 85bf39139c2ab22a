"""The GraphQL API over real HTTP, on the generated Bến Tre province."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from graph.stores.counting import CountingStore
from graph.stores.memory import MemoryStore
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import GraphStore
from namgraph.api.app import create_app
from namgraph.api.dashboard import DASHBOARD
from namgraph.api.logs import JsonFormatter
from namgraph.api.schema import schema_text
from namgraph.api.settings import Settings
from tests.conftest import ROOT, Nam, write_csv

D = "2024-03-01"


class Server:
    def __init__(self, store: GraphStore, settings: Settings | None = None) -> None:
        self.store = CountingStore(store)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.app = app = create_app(self.store, settings or Settings(demo=True))  # type: ignore[arg-type]
        config = uvicorn.Config(  # as `nam serve` runs it
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="off",
            proxy_headers=False,
            http="h11",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=300)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the API server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": text, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, text: str, **variables: Any) -> Any:
        body = self.query(text, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def api(store: GraphStore) -> Iterator[Server]:
    with Server(store) as server:
        yield server


COVERAGE = """query($unit: ID!, $asOf: Date) {
  coverage(unit: $unit, asOf: $asOf) { households householdsReached ratio
    levels { level units covered ratio } } }"""


def test_coverage_of_ben_tre_lists_9_districts_and_157_communes_at_100_percent(
    api: Server, store: GraphStore
) -> None:
    answer = api.data(COVERAGE, unit="83", asOf="2023-05-01")["coverage"]
    expected = store.coverage("83", date(2023, 5, 1))
    assert answer["levels"][:2] == [
        {"level": "district", "units": 9, "covered": 9, "ratio": 1.0},
        {"level": "commune", "units": 157, "covered": 157, "ratio": 1.0},
    ]
    assert [(lv["level"], lv["units"], lv["covered"]) for lv in answer["levels"][2:]] == [
        ("hamlet", expected.level("hamlet").units, expected.level("hamlet").units),
        (
            "household_group",
            expected.level("household_group").units,
            expected.level("household_group").units,
        ),
    ]
    assert answer["households"] == answer["householdsReached"] == expected.households
    assert answer["ratio"] == 1.0


GAPS = """query($unit: ID!, $level: String!, $asOf: Date, $first: Int, $after: String) {
  gaps(unit: $unit, level: $level, asOf: $asOf, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { unit { code name } reason brokenAt } } } }"""


def test_after_one_assignment_ends_gaps_is_that_commune_and_coverage_drops_by_its_households(
    api: Server, store: GraphStore, nam: Nam, tmp_path: Path
) -> None:
    (supporter,) = store.supporters(["28801"], date(2023, 5, 1))["28801"]
    before = api.data(COVERAGE, unit="83", asOf=D)["coverage"]
    header = ["Mã cán bộ", "Mã đơn vị", "Nhiệm vụ", "Từ ngày", "Đến ngày"]
    row = [supporter.cadre.id, "28801", "theo dõi, hỗ trợ", "26/8/2022", "1/3/2024"]
    assert (
        nam("load", "assignments", str(write_csv(tmp_path / "end.csv", header, [row]))).exit_code
        == 0
    )

    gaps = api.data(GAPS, unit="83", level="commune", asOf=D)["gaps"]
    assert gaps["totalCount"] == 1
    assert [e["node"] for e in gaps["edges"]] == [
        {
            "unit": {"code": "28801", "name": "Thị trấn Châu Thành"},
            "reason": "SUPPORTER_ENDED",
            "brokenAt": None,
        }
    ]
    after = api.data(COVERAGE, unit="83", asOf=D)["coverage"]
    lost = sum(u.households or 0 for u in store.subtree("28801") if u.level == "household_group")
    assert before["householdsReached"] - after["householdsReached"] == lost > 0
    assert after["levels"][1] == {
        "level": "commune",
        "units": 157,
        "covered": 156,
        "ratio": round(156 / 157, 6),
    }
    # the day before, the API still answers 157 of 157
    day_before = api.data(COVERAGE, unit="83", asOf="2024-02-29")["coverage"]
    assert day_before["levels"][1]["covered"] == 157


CHAIN = """query($unit: ID!) { chain(unit: $unit, asOf: "2023-05-01") {
  level inChain covered unit { code } supporters { since cadre { id level titles phone } } } }"""


def test_chain_of_a_household_group_names_its_four_supporters(
    api: Server, store: GraphStore
) -> None:
    group = next(u for u in store.subtree("28801") if u.level == "household_group")
    links = api.data(CHAIN, unit=group.code)["chain"]
    on = date(2023, 5, 1)
    expected = [
        store.supporters([code], on)[code][0].cadre.id
        for code in (group.code, group.parent, "28801", "831")
    ]
    assert [link["level"] for link in links] == [
        "household_group",
        "hamlet",
        "commune",
        "district",
        "province",
    ]
    assert [link["supporters"][0]["cadre"]["id"] for link in links[:4]] == expected
    assert [link["supporters"][0]["cadre"]["level"] for link in links[:4]] == [
        "commune",
        "district",
        "province",
        "province",
    ]
    assert "provincial_standing_committee" in links[3]["supporters"][0]["cadre"]["titles"]
    assert links[4]["supporters"] == [] and links[4]["unit"]["code"] == "83"
    assert all(link["supporters"][0]["since"] == "2022-08-26" for link in links[:4])


def test_search_finds_units_without_diacritics(api: Server) -> None:
    hits = api.data(
        '{ search(text: "Chau Thanh", first: 5) { __typename ... on Unit { code name } } }'
    )
    codes = [h["code"] for h in hits["search"] if h["__typename"] == "Unit"]
    assert codes[:2] == ["831", "28801"]
    assert hits["search"][0]["name"] == "Huyện Châu Thành"
    plain = api.data('{ search(text: "ben tre") { ... on Unit { code } } }')["search"]
    assert {"code": "83"} in plain and {"code": "829"} in plain


def revision_reads(store: GraphStore) -> int:
    """The revision reads of a question that reads the graph: the embedded store's before and
    after (in memory, a snapshot's); on Neo4j none of its own once the question has been asked
    before, the question starting at the revision the store's last read saw (``seen_revision``)
    and each of its statements reading it after what it read (graph.stores.neo4j_tails)."""
    inner = getattr(store, "inner", store)
    return 0 if isinstance(inner, Neo4jStore) else 2


def without_none(calls: dict[str, int]) -> dict[str, int]:
    return {name: count for name, count in calls.items() if count}


def test_the_provincial_dashboard_answers_in_one_request_with_a_fixed_number_of_round_trips(
    api: Server,
) -> None:
    api.data(DASHBOARD, province="83", asOf=D)  # the server's first question (not kept for this)
    api.store.reset()
    province = api.data(DASHBOARD, province="83", asOf="2023-05-01")["unit"]
    province_calls = dict(api.store.by_method)
    districts = province["children"]
    communes = [c for d in districts for c in d["children"]]
    assert (len(districts), len(communes)) == (9, 157)
    assert all(d["coverage"]["ratio"] == 1.0 and len(d["supporters"]) == 1 for d in districts)
    assert all(
        c["coverage"]["ratio"] == 1.0 and c["supporters"][0]["cadre"]["statusOn"] == "ACTIVE"
        for c in communes
    )
    # the units in one store call, then the supporters of every level in one and the coverage
    # of every level in one, those two at once (namgraph.api.prefetch), and the write
    # generation checked (an answer is of one generation; on Neo4j read at the end of each
    # statement): three round trips on Neo4j, five calls on the embedded store, whatever the
    # number of units
    assert province_calls == without_none(
        {"revision": revision_reads(api.store), "tree": 1, "coverage_within": 1, "supporters": 1}
    )
    api.store.reset()
    api.data(DASHBOARD, province="831", asOf="2023-05-01")
    assert sum(api.store.by_method.values()) <= sum(province_calls.values())


def test_a_cadre_with_the_units_supported_costs_one_round_trip_for_both(store: GraphStore) -> None:
    query = """query($id: ID!) { cadre(id: $id) { id name
      assignments(asOf: "2023-05-01") { role since unit { code name level } } } }"""
    with Server(store, Settings(demo=True, answer_cache=0)) as api:
        first = api.data(query, id="83-0002")  # the server's first question
        api.store.reset()
        cadre = api.data(query, id="83-0002")["cadre"]
        # the cadre, and side by side its assignments with their units
        assert dict(api.store.by_method) == without_none(
            {"revision": revision_reads(api.store), "cadres": 1, "assignments_and_units": 1}
        )
        assert cadre == first["cadre"] and cadre["assignments"]
        for held in cadre["assignments"]:
            unit = store.unit(held["unit"]["code"])
            assert unit is not None and held["unit"]["name"] == unit.name


#: Shapes of dashboards: each walks down from one unit (fragments, aliases, four levels deep,
#: a second date), with the store calls it costs at most besides the two revision reads: the
#: tree, the supporters, the coverage of all the depths that ask for it.
SHAPES = [
    (
        """query($u: ID!) { unit(code: $u) { code children(asOf: "2023-05-01") { code
             children(asOf: "2023-05-01") { code supporters(asOf: "2023-05-01") { since } } } } }""",
        2,
    ),
    (
        """query($u: ID!) @asOf(date: "2023-05-01") { unit(code: $u) { ...U
             children { ...U children { code ...U } } } }
           fragment U on Unit { code name coverage { ratio levels { level units covered } }
             supporters { cadre { id name } } }""",
        3,
    ),
    (  # a page, and a field that may be skipped: answered as before below them
        """query($u: ID!) { unit(code: $u) { code
             a: children(asOf: "2023-05-01") { code coverage(asOf: "2023-05-01") { ratio } }
             b: children(asOf: "2023-05-01", first: 3) { code ... on Unit {
               children(asOf: "2023-05-01") { code supporters(asOf: "2023-05-01") { since } } } }
             c: children(asOf: "2023-05-01") @skip(if: false) { code coverage(asOf: "2023-05-01") { households } }
             coverage(asOf: "2023-05-01") { households } } }""",
        4,
    ),
    (  # a second date below: answered as before from there
        """query($u: ID!) { unit(code: $u) { code children(asOf: "2023-05-01") { code
             coverage(asOf: "2023-05-01") { ratio }
             children(asOf: "2022-01-01") { code coverage(asOf: "2022-01-01") { ratio } } } } }""",
        4,
    ),
]


@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_a_walk_down_from_a_unit_is_read_ahead_in_few_round_trips_with_the_same_answers(
    store: GraphStore, shape: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    query, most = SHAPES[shape]
    with Server(store, Settings(demo=True, answer_cache=0)) as api:
        api.data('{ unit(code: "83") { code } }')  # the server's first question
        for unit in ("83", "831", "99999"):
            api.query(query, u=unit)  # its statements sent once
            api.store.reset()
            ahead = api.query(query, u=unit)
            calls = dict(api.store.by_method)
            assert calls.pop("revision", 0) == revision_reads(api.store), ahead
            assert sum(calls.values()) <= most, calls
            if unit == "83":
                assert "tree" in calls
            with monkeypatch.context() as patched:
                patched.setattr("namgraph.api.schema.look_ahead", lambda info: None)
                level_by_level = api.query(query, u=unit)
            assert ahead == level_by_level
            assert ahead.get("errors") is None


def test_unknown_codes_give_not_found_with_what_to_do(api: Server) -> None:
    body = api.query('{ coverage(unit: "99999") { ratio } }')
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "no unit '99999'" in error["message"] and "search" in error["message"]
    assert api.data('{ unit(code: "99999") { code } }') == {"unit": None}
    body = api.query('{ reach(cadre: "nobody") { households } }')
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "query, says",
    [
        ('{ gaps(unit: "83", level: "province") { totalCount } }', "no coverage rule"),
        ('{ coverage(unit: "83", asOf: "31/02/2023") { ratio } }', "Date"),
        (
            '{ gaps(unit: "83", level: "commune", first: 100000) { totalCount } }',
            "first must be between 0 and 500",
        ),
        ('{ gaps(unit: "83", level: "commune", after: "???") { totalCount } }', "cursor"),
        ("{ nothing }", "Cannot query field 'nothing'"),
        ('{ whatIf(cadres: [], on: "2024-01-01") { householdsLost } }', "at least one cadre"),
    ],
)
def test_bad_input_gives_bad_input(api: Server, query: str, says: str) -> None:
    (error,) = api.query(query)["errors"]
    assert error["extensions"]["code"] == "BAD_INPUT", error
    assert says in error["message"]


def test_deep_and_costly_queries_are_refused_before_they_reach_the_store(store: GraphStore) -> None:
    settings = Settings(demo=True, max_depth=6, max_cost=5000)
    with Server(store, settings) as api:
        api.store.reset()
        deep = '{ unit(code: "83") { parent { parent { parent { parent { parent { parent { code } } } } } } } }'
        (error,) = api.query(deep)["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and "depth" in error["message"]
        costly = '{ unit(code: "83") { children { children { children { code } } } } }'
        (error,) = api.query(costly)["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "more than the limit of 5000" in error["message"]
        aliases = "{ " + " ".join(f'a{i}: unit(code: "83") {{ code }}' for i in range(40)) + " }"
        (error,) = api.query(aliases)["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert api.store.calls == 0


def test_what_if_over_http_predicts_the_coverage_after(api: Server, store: GraphStore) -> None:
    (supporter,) = store.supporters(["28801"], date(2023, 5, 1))["28801"]
    answer = api.data(
        """query($c: ID!) { whatIf(cadres: [$c], on: "2024-03-01") { householdsLost
          before { householdsReached } after { householdsReached levels { level covered } }
          lost { unit { code } candidates { cadre { id level } units } } } }""",
        c=supporter.cadre.id,
    )["whatIf"]
    assert [t["unit"]["code"] for t in answer["lost"]] == ["28801"]
    assert (
        answer["before"]["householdsReached"] - answer["after"]["householdsReached"]
        == answer["householdsLost"]
    )
    assert all(c["cadre"]["level"] == "province" for c in answer["lost"][0]["candidates"])


def test_gaps_pages_with_cursors_without_repeats(api: Server) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = api.data(
            GAPS, unit="831", level="household_group", asOf="2022-01-01", first=500, after=after
        )["gaps"]
        seen += [e["node"]["unit"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert page["totalCount"] == len(seen) == len(set(seen)) == 1702
    assert seen == sorted(seen)


def test_reach_load_violations_and_cadre_fields(api: Server) -> None:
    data = api.data("""{ cadre(id: "83-0010") { name level status homeUnit { code }
        assignments { role since unit { code } } load(asOf: "2023-05-01") { units households overloaded }
        reach(asOf: "2023-05-01") { households levels { level units reached } breaks { unit { code } } } }
      workload(unit: "28801", asOf: "2023-05-01", first: 3) { cadre { id } units }
      violations(unit: "831", asOf: "2023-05-01") { totalCount errors warnings } }""")
    cadre = data["cadre"]
    assert cadre["homeUnit"] == {"code": "83"} and cadre["status"] == "ACTIVE"
    assert (
        cadre["load"]["units"] == 1
        and cadre["load"]["households"] == cadre["reach"]["households"] > 0
    )
    assert cadre["reach"]["breaks"] == []
    assert len(data["workload"]) == 3
    assert data["violations"] == {"totalCount": 0, "errors": 0, "warnings": 0}


def test_health_readiness_and_request_ids(api: Server) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    response = api.client.get("/healthz", headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert len(api.client.get("/healthz").headers["x-request-id"]) == 32
    page = api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert 'class="banner demo"' in page.text  # the test servers run in demo mode, and say so


def test_log_lines_are_json_with_the_request_id() -> None:
    import logging

    record = logging.LogRecord("namgraph", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"request_id": "abc", "status": 200}
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "request" and line["request_id"] == "abc" and line["status"] == 200


def test_schema_graphql_is_the_exported_schema() -> None:
    published = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert published == schema_text(), "schema.graphql is stale: run `nam schema > schema.graphql`"


def test_every_log_line_of_a_request_carries_its_request_id(api: Server) -> None:
    import logging

    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(JsonFormatter().format(record)))

    handler = Collect()
    logger = logging.getLogger("namgraph")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        api.client.post(
            "/graphql",
            json={"query": '{ coverage(unit: "99999") { ratio } }'},
            headers={"x-request-id": "r-42"},
        )
        # The server logs the request once its answer is sent, so the client may read the
        # answer a moment before that line is written (the server runs in another thread).
        deadline = time.monotonic() + 10
        while not any(line["msg"] == "request" for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.01)
    finally:
        logger.removeHandler(handler)
    mine = [line for line in lines if line.get("request_id") == "r-42"]
    assert [line["msg"] for line in mine] == ["graphql error", "request"]
    assert mine[0]["code"] == "NOT_FOUND" and mine[1]["status"] == 200


@pytest.mark.parametrize("trusted", [(), ("127.0.0.0/8",)])
def test_anonymous_callers_are_limited_per_client_and_a_proxy_is_believed_only_if_trusted(
    memory_store: MemoryStore, trusted: tuple[str, ...]
) -> None:
    """Demo mode: one busy dashboard does not throttle everyone. The client is the peer, or,
    behind a proxy named in NAM_TRUSTED_PROXIES, the address the proxy says it saw."""
    settings = Settings(demo=True, rate_per_minute=3, trusted_proxies=trusted)
    with Server(memory_store, settings) as api:  # its peer is 127.0.0.1
        api.app.state.gate.buckets.clock = lambda: 1000.0  # held still: nothing refills

        def ask(client: str) -> int:
            headers = {"X-Forwarded-For": f"203.0.113.66, {client}"}  # the left one is a lie
            body = {"query": '{ unit(code: "83") { code } }'}
            return api.client.post("/graphql", json=body, headers=headers).status_code

        assert [ask("198.51.100.7") for _ in range(4)] == [200, 200, 200, 429]
        second = ask("198.51.100.8")
        if trusted:
            assert second == 200  # another office behind the same proxy has its own rate
        else:
            assert second == 429  # an untrusted peer cannot choose its own key


def test_a_bad_trusted_proxy_stops_the_server_with_its_name(memory_store: MemoryStore) -> None:
    with pytest.raises(ValueError, match=r"NAM_TRUSTED_PROXIES: 'proxy\.local'"):
        create_app(memory_store, Settings(demo=True, trusted_proxies=("proxy.local",)))


def test_reading_ahead_asks_no_more_than_the_pages_the_query_shows(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    inside = threading.local()
    coverage_of = type(store).coverage_of

    def spy(self: GraphStore, codes: Any, on: date) -> Any:
        """The codes the API asks (not those the store asks itself on the way)."""
        codes = list(codes)
        if not getattr(inside, "busy", False):
            asked.extend(codes)
        inside.busy = True
        try:
            return coverage_of(self, codes, on)  # type: ignore[arg-type]
        finally:
            inside.busy = False

    monkeypatch.setattr(type(store), "coverage_of", spy)
    query = """{ unit(code: "83") { children(asOf: "2023-05-01", first: 2, after: "829") {
        code children(asOf: "2023-05-01", first: 1) { code coverage(asOf: "2023-05-01") { ratio }
        children(asOf: "2023-05-01", first: 1) { code coverage(asOf: "2023-05-01") { ratio } } } } } }"""
    with Server(store, Settings(demo=True, answer_cache=0)) as api:
        districts = api.data(query)["unit"]["children"]
        assert "tree" not in api.store.by_method  # pages: not read ahead
    shown = [c["code"] for d in districts for c in d["children"]]
    shown += [h["code"] for d in districts for c in d["children"] for h in c["children"]]
    assert [d["code"] for d in districts] == ["831", "832"] and len(shown) == 4
    assert sorted(asked) == sorted(shown)  # not the 157 communes nor their 873 hamlets
