"""What a dashboard needs of the API, on both stores: one date per request, lists that page
or say they are complete, a unit's assignments, cadres, and filtered gaps and workloads."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

import graph.dates
from graph.dates import today
from graph.model import Status, StatusPeriod
from graph.questions import cadres_in
from graph.stores.port import ChangeSet, GraphStore
from namgraph.api.auth import Role
from namgraph.api.settings import Settings
from tests.access_world import World, nonexistent
from tests.test_api import Server

ON = date(2023, 5, 1)
D = date(2024, 3, 1)


@pytest.fixture
def api(store: GraphStore) -> Iterator[Server]:
    with Server(store) as server:
        yield server


def changed(store: GraphStore) -> tuple[str, str]:
    """From ``D``: 28801 (district 831) loses its supporter's assignment, and the supporter of
    28756 (district 829) retires. Returns the two cadres."""
    (ended,) = store.supporters(["28801"], ON)["28801"]
    (retired,) = store.supporters(["28756"], ON)["28756"]
    cadre = retired.cadre
    store.apply(
        ChangeSet(
            assignments=[dataclasses.replace(ended.assignment, until=D)],
            cadres=[
                dataclasses.replace(
                    cadre, history=(*cadre.history, StatusPeriod(Status.RETIRED, date(2024, 1, 1)))
                )
            ],
        )
    )
    return ended.cadre.id, cadre.id


def error_of(api: Server, query: str, **variables: Any) -> dict[str, Any]:
    body = api.query(query, **variables)
    assert body.get("data") in (None, {}) or "errors" in body, body
    (error,) = body["errors"]
    return dict(error)


# --- one date per request ---------------------------------------------------------------------

DATED = """query Dashboard @asOf(date: "2024-03-01") {
  coverage(unit: "83") { asOf levels { level covered } }
  before: coverage(unit: "83", asOf: "2024-02-29") { asOf levels { level covered } }
  unit(code: "28801") {
    supporters { cadre { id } }
    heldBefore: supporters(asOf: "2024-02-29") { cadre { id } }
    assignments(role: "support") { countsForCoverage cadre { id } }
    coverage { asOf }
    children { code }
  }
  gaps(unit: "83", level: "commune") { totalCount nodes { unit { code } } }
  cadre(id: "CADRE") { statusOn reach { asOf } assignments { id } }
}"""


def test_every_field_answers_for_the_request_date_unless_it_names_its_own(
    api: Server, store: GraphStore
) -> None:
    ended, retired = changed(store)
    body = api.query(DATED.replace("CADRE", retired))
    assert "errors" not in body, body["errors"]
    data = body["data"]
    assert body["extensions"]["asOf"] == "2024-03-01"
    assert data["coverage"]["asOf"] == "2024-03-01"
    assert data["coverage"]["levels"][1] == {"level": "commune", "covered": 155}
    assert data["before"]["asOf"] == "2024-02-29"  # its own asOf wins
    assert data["before"]["levels"][1] == {"level": "commune", "covered": 156}  # retired
    unit = data["unit"]
    assert unit["supporters"] == [] and unit["heldBefore"] == [{"cadre": {"id": ended}}]
    assert {"countsForCoverage": True, "cadre": {"id": ended}} not in unit["assignments"]
    assert unit["coverage"]["asOf"] == "2024-03-01"
    assert [g["unit"]["code"] for g in data["gaps"]["nodes"]] == ["28756", "28801"]
    assert data["cadre"]["statusOn"] == "RETIRED" and data["cadre"]["reach"]["asOf"] == "2024-03-01"


def test_the_request_date_may_be_a_variable_and_without_one_it_is_today(api: Server) -> None:
    query = 'query Q($day: Date!) @asOf(date: $day) { coverage(unit: "83") { asOf } }'
    body = api.query(query, day="2023-05-01")
    assert body["extensions"]["asOf"] == "2023-05-01"
    assert body["data"]["coverage"]["asOf"] == "2023-05-01"
    body = api.query('{ coverage(unit: "83") { asOf } }')
    assert body["extensions"]["asOf"] == body["data"]["coverage"]["asOf"] == today().isoformat()
    # a field's own asOf does not change the request's date
    body = api.query('{ coverage(unit: "83", asOf: "2023-05-01") { asOf } }')
    assert body["extensions"]["asOf"] == today().isoformat()


def test_the_request_date_sits_on_the_operation_and_is_refused_on_a_field(api: Server) -> None:
    # the schema runs no field directives (see namgraph.api.schema.Schema): validation must
    # refuse @asOf where it would otherwise be ignored
    body = api.query('{ coverage(unit: "83") @asOf(date: "2023-05-01") { asOf } }')
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_INPUT"]
    assert "asOf" in body["errors"][0]["message"]


def test_today_is_the_date_in_viet_nam(memory_api: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    evening = datetime(2024, 2, 29, 18, 30, tzinfo=UTC)  # already 1 March in Hà Nội
    monkeypatch.setattr(graph.dates, "_now", lambda: evening)
    monkeypatch.delenv("NAM_TZ", raising=False)
    body = memory_api.query('{ coverage(unit: "83") { asOf } }')
    assert body["extensions"]["asOf"] == body["data"]["coverage"]["asOf"] == "2024-03-01"
    monkeypatch.setenv("NAM_TZ", "UTC")
    body = memory_api.query('{ coverage(unit: "83") { asOf } }')
    assert body["extensions"]["asOf"] == body["data"]["coverage"]["asOf"] == "2024-02-29"


def test_today_helper_uses_nam_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    late = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)
    monkeypatch.delenv("NAM_TZ", raising=False)
    assert today(late) == date(2025, 1, 1)
    monkeypatch.setenv("NAM_TZ", "America/New_York")
    assert today(late) == date(2024, 12, 31)
    monkeypatch.setenv("NAM_TZ", "Mars/Olympus")
    with pytest.raises(ValueError, match="NAM_TZ='Mars/Olympus' is not a time zone"):
        today(late)
    with pytest.raises(ValueError, match="NAM_TZ='Mars/Olympus'"):
        Settings.from_env()  # the server does not start


@pytest.fixture
def memory_api(memory_store: GraphStore) -> Iterator[Server]:
    with Server(memory_store) as server:
        yield server


# --- paging and complete lists ------------------------------------------------------------------

CHILDREN = """query($code: ID!, $first: Int, $after: String) @asOf(date: "2023-05-01") {
  unit(code: $code) { childrenConnection(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { code } } nodes { code } } }
}"""


def test_children_connection_pages_through_every_child(api: Server, store: GraphStore) -> None:
    expected = [u.code for u in store.children("831", ON)]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = api.data(CHILDREN, code="831", first=5, after=after)["unit"]["childrenConnection"]
        assert page["totalCount"] == len(expected) == 21
        assert [e["node"] for e in page["edges"]] == page["nodes"]
        seen += [n["code"] for n in page["nodes"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == expected and pages == 5
    # the old list stops at its page size, and says so in its description
    capped = api.data('{ unit(code: "831") { children(first: 5, asOf: "2023-05-01") { code } } }')
    assert [u["code"] for u in capped["unit"]["children"]] == expected[:5]


ASSIGNMENTS = """query($role: String) @asOf(date: "2023-05-01") { unit(code: "28801") {
  supporters { cadre { id } }
  assignments(role: $role) { id role since decision countsForCoverage cadre { id } } } }"""


def test_a_units_assignments_include_those_that_do_not_count_for_coverage(
    api: Server, store: GraphStore
) -> None:
    unit = api.data(ASSIGNMENTS)["unit"]
    expected = [a for a in store.assignments_at(["28801"])["28801"] if a.in_force_on(ON)]
    (supporter,) = unit["supporters"]
    assert [(a["id"], a["role"], a["cadre"]["id"]) for a in unit["assignments"]] == [
        (a.id, a.role, a.cadre) for a in expected
    ]
    counting = [a["cadre"]["id"] for a in unit["assignments"] if a["countsForCoverage"]]
    assert counting == [supporter["cadre"]["id"]]
    roles = {a["role"] for a in unit["assignments"] if not a["countsForCoverage"]}
    assert roles == {"cluster_head", "support"}  # a cluster head, and a district member
    heads = api.data(ASSIGNMENTS, role="cluster_head")["unit"]["assignments"]
    assert [a["role"] for a in heads] == ["cluster_head"] and not heads[0]["countsForCoverage"]


CADRES = """query($unit: ID!, $level: String, $title: String, $status: CadreStatus,
    $first: Int, $after: String) @asOf(date: "2024-03-01") {
  cadres(unit: $unit, level: $level, title: $title, status: $status, first: $first,
    after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id level titles statusOn } } }"""


def test_cadres_of_a_subtree_page_and_filter(api: Server, store: GraphStore) -> None:
    _, retired = changed(store)
    everyone = cadres_in(store, "829", D)
    seen: list[str] = []
    after = None
    while True:
        page = api.data(CADRES, unit="829", first=500, after=after)["cadres"]
        assert page["totalCount"] == len(everyone) > 500
        seen += [c["id"] for c in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [c.id for c in everyone]
    district = api.data(CADRES, unit="829", level="district", first=500)["cadres"]
    assert district["totalCount"] == sum(c.level == "district" for c in everyone) > 0
    assert {c["level"] for c in district["nodes"]} == {"district"}
    hamlet = api.data(CADRES, unit="829", title="hamlet_cadre", first=500)["cadres"]
    assert hamlet["totalCount"] == sum("hamlet_cadre" in c.titles for c in everyone) > 0
    assert all("hamlet_cadre" in c["titles"] for c in hamlet["nodes"])
    # the province's cadres live in 83, not in a district
    gone = api.data(CADRES, unit="83", status="RETIRED", first=10)["cadres"]
    assert [c["id"] for c in gone["nodes"]] == [retired] and gone["totalCount"] == 1
    assert gone["nodes"][0]["statusOn"] == "RETIRED"
    active = api.data(CADRES, unit="83", status="ACTIVE", first=0)["cadres"]
    assert active["totalCount"] == len(cadres_in(store, "83", D)) - 1


def test_a_scoped_token_lists_only_the_cadres_of_its_scope(world: World) -> None:
    caller = world.callers[Role.DISTRICT_OFFICER]
    query = 'query @asOf(date: "2023-05-01") { cadres(unit: "KEY", first: 500) { totalCount nodes { id } } }'
    mine = world.ask(Role.DISTRICT_OFFICER, query.replace("KEY", caller.scope))["data"]["cadres"]
    expected = [c.id for c in cadres_in(world.oracle, caller.scope, ON)]
    assert [c["id"] for c in mine["nodes"]] == expected[:500]
    assert mine["totalCount"] == len(expected) and set(expected) <= caller.seen.cadres
    outside = world.ask(Role.DISTRICT_OFFICER, query.replace("KEY", caller.outside_unit))
    missing_key = nonexistent("unit", caller.outside_unit)
    missing = world.ask(Role.DISTRICT_OFFICER, query.replace("KEY", missing_key))
    assert outside["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert outside["errors"][0]["message"].replace(caller.outside_unit, "K") == missing["errors"][
        0
    ]["message"].replace(missing_key, "K")
    # the whole province is outside a district's scope
    province = world.ask(Role.DISTRICT_OFFICER, query.replace("KEY", "83"))
    assert province["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# --- filters and sorting ------------------------------------------------------------------------

GAPS = """query($reason: [GapReason!], $under: ID, $first: Int, $after: String)
    @asOf(date: "2024-03-01") {
  gaps(unit: "83", level: "commune", reason: $reason, under: $under, first: $first,
    after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { unit { code } reason } } }"""


def test_gaps_filter_by_reason_and_by_a_unit_below(api: Server, store: GraphStore) -> None:
    changed(store)
    every = api.data(GAPS)["gaps"]
    assert every["nodes"] == [
        {"unit": {"code": "28756"}, "reason": "SUPPORTER_RETIRED"},
        {"unit": {"code": "28801"}, "reason": "SUPPORTER_ENDED"},
    ]
    retired = api.data(GAPS, reason=["SUPPORTER_RETIRED"])["gaps"]
    assert retired["totalCount"] == 1 and retired["nodes"][0]["unit"]["code"] == "28756"
    one = api.data(GAPS, reason="SUPPORTER_ENDED")["gaps"]  # a single value is a list of one
    assert [g["unit"]["code"] for g in one["nodes"]] == ["28801"]
    in_831 = api.data(GAPS, under="831")["gaps"]
    assert in_831["totalCount"] == 1 and in_831["nodes"][0]["unit"]["code"] == "28801"
    assert api.data(GAPS, under="28756")["gaps"]["totalCount"] == 1  # the unit itself
    assert api.data(GAPS, under="831", reason=["SUPPORTER_RETIRED"])["gaps"]["totalCount"] == 0
    # a page goes on after the code of the cursor
    first = api.data(GAPS, first=1)["gaps"]
    assert first["pageInfo"]["hasNextPage"]
    rest = api.data(GAPS, first=1, after=first["pageInfo"]["endCursor"])["gaps"]
    assert [g["unit"]["code"] for g in rest["nodes"]] == ["28801"]
    assert not rest["pageInfo"]["hasNextPage"]
    error = error_of(api, GAPS, under="99999")
    assert error["extensions"]["code"] == "NOT_FOUND"


WORKLOAD = """query($order: LoadOrder!, $only: Boolean!) @asOf(date: "2023-05-01") {
  workload(unit: "831", first: 500, orderBy: $order, overloadedOnly: $only) {
    cadre { id } units households overloaded } }"""


@pytest.mark.parametrize("order", ["UNITS_DESC", "UNITS_ASC", "HOUSEHOLDS_DESC", "HOUSEHOLDS_ASC"])
def test_workload_sorts_by_load_either_way(api: Server, store: GraphStore, order: str) -> None:
    loads = api.data(WORKLOAD, order=order, only=False)["workload"]
    expected = store.load("831", ON)
    assert len(loads) == min(500, len(expected))
    field = "units" if order.startswith("UNITS") else "households"
    other = "households" if field == "units" else "units"
    keys = [(item[field], item[other]) for item in loads]
    descending = order.endswith("DESC")
    assert keys == sorted(keys, reverse=descending)
    assert keys[0] != keys[-1]


def test_workload_lists_only_the_overloaded_when_asked(api: Server, store: GraphStore) -> None:
    assert api.data(WORKLOAD, order="UNITS_DESC", only=True)["workload"] == []
    busiest = store.load("28801", ON)[0]
    assert busiest.max_units is not None
    held = [a for a in store.assignments(cadre=busiest.cadre.id) if a.in_force_on(ON)]
    taken = {a.unit for a in held}
    level = store.unit(held[0].unit).level  # type: ignore[union-attr]
    free = [u for u in store.subtree("28801") if u.level == level and u.code not in taken]
    extra = [
        dataclasses.replace(held[0], id=f"{held[0].id}-extra-{i}", unit=u.code)
        for i, u in enumerate(free[: busiest.max_units - busiest.units + 1])
    ]
    store.apply(ChangeSet(assignments=extra))
    over = api.data(WORKLOAD, order="UNITS_DESC", only=True)["workload"]
    assert [(w["cadre"]["id"], w["overloaded"]) for w in over] == [(busiest.cadre.id, True)]


# --- hostile inputs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, says",
    [
        ('{ unit(code: "831") { childrenConnection(first: -1) { totalCount } } }', "first must"),
        (
            '{ unit(code: "831") { childrenConnection(first: 100000) { totalCount } } }',
            "first must",
        ),
        ('{ unit(code: "831") { childrenConnection(after: "???") { totalCount } } }', "cursor"),
        (
            '{ unit(code: "831") { childrenConnection(after: "Z2FwOjI4ODAx") { totalCount } } }',
            "another list",  # a gap's cursor
        ),
        ('{ cadres(unit: "83", first: -5) { totalCount } }', "first must"),
        ('{ cadres(unit: "83", after: "%%%") { totalCount } }', "cursor"),
        ('{ cadres(unit: "83", status: SLEEPING) { totalCount } }', "CadreStatus"),
        ('{ workload(unit: "83", first: 600) { units } }', "first must"),
        ('{ workload(unit: "83", orderBy: BIGGEST) { units } }', "LoadOrder"),
        ('{ gaps(unit: "83", level: "commune", reason: [LATE]) { totalCount } }', "GapReason"),
        ('query @asOf(date: "31/02/2023") { coverage(unit: "83") { ratio } }', "Date"),
        ('query @asOf { coverage(unit: "83") { ratio } }', "date"),
        ('{ coverage(unit: "83") @asOf(date: "2023-05-01") { ratio } }', "may not be used"),
        (
            'query @asOf(date: "2023-05-01") @asOf(date: "2023-05-02") { unit(code: "83") { code } }',
            "only be used once",
        ),
    ],
)
def test_hostile_list_inputs_are_bad_input(memory_api: Server, query: str, says: str) -> None:
    error = error_of(memory_api, query)
    assert error["extensions"]["code"] == "BAD_INPUT", error
    assert says in error["message"]
