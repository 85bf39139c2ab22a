"""Who may see and change what, over real HTTP with real tokens, on both stores.

The leak test is generated from the schema (tests/access_world.py): for every role, every query
field that takes a unit code, cadre id or plan id answers an out-of-scope key exactly as it
answers a key that does not exist, and no answer in scope holds a code or id from outside."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from starlette.websockets import WebSocketDisconnect

from graph.stores.memory import MemoryStore
from namgraph.api.app import create_app
from namgraph.api.auth import Role
from namgraph.api.settings import Settings
from tests.access_world import (
    World,
    asks,
    codes_in,
    graphql_schema,
    masked,
    nonexistent,
    strings,
)
from tests.conftest import write_csv
from tests.test_reshuffle import HEADER

ROLES = list(Role)
PLAN_ID = "mutation($file: Upload!) { planReshuffle(file: $file) { id } }"


# --- the leak test ----------------------------------------------------------------------------


def test_out_of_scope_keys_answer_exactly_like_missing_ones(world: World) -> None:
    """Every role in turn, in one world: one server and one load of the graph for all of them
    (each role keeps a plan elsewhere, which a reload after every role would throw away)."""
    differences: list[str] = []
    asked: set[tuple[str, str]] = set()
    for role in ROLES:
        differences += out_of_scope_differences(world, role, asked)
    assert not differences, "\n".join(differences[:3])
    query_type = graphql_schema().query_type
    assert query_type is not None
    with_keys = {
        (name, arg)
        for name, f in query_type.fields.items()
        for arg in f.args
        if arg in ("code", "unit", "under", "scope", "cadre", "cadres") or (arg == "id")
    }
    assert asked == with_keys  # every key argument of every query field was tried


def out_of_scope_differences(world: World, role: Role, asked: set[tuple[str, str]]) -> list[str]:
    """Where a ``role`` caller's answer about a key outside its scope differs from its answer
    about a key that exists nowhere; every (field, argument) asked is added to ``asked``."""
    caller = world.callers[role]
    other_plan = plan_elsewhere(world, role)
    outside = {"unit": caller.outside_unit, "cadre": caller.outside_cadre, "plan": other_plan}
    missing = {kind: nonexistent(kind, key) for kind, key in outside.items()}
    differences = []
    for out_ask, none_ask in zip(asks(caller, outside), asks(caller, missing), strict=True):
        key, absent = outside[out_ask.kind], missing[out_ask.kind]
        seen_out = world.ask(role, out_ask.query)
        seen_none = world.ask(role, none_ask.query)
        if masked(seen_out, key) != masked(seen_none, absent):
            differences.append(
                f"{role}: {out_ask.query}\n  outside: {masked(seen_out, key)}"
                f"\n  missing: {masked(seen_none, absent)}"
            )
        asked.add((out_ask.field, out_ask.argument))
    return differences


def test_answers_in_scope_hold_nothing_from_outside(world: World) -> None:
    """Every role in turn, in one world (one server, one load of the graph)."""
    for role in ROLES:
        answers_in_scope_hold_nothing_from_outside(world, role)


def answers_in_scope_hold_nothing_from_outside(world: World, role: Role) -> None:
    caller = world.callers[role]
    inside = {"unit": caller.scope, "cadre": min(caller.seen.cadres), "plan": "f" * 16}
    leaks, answered = [], 0
    queries = [a.query for a in asks(caller, inside)]
    outside_cadre = world.oracle.cadre(caller.outside_cadre)
    outside_unit = world.oracle.unit(caller.outside_unit)
    assert outside_cadre is not None and outside_unit is not None
    hits = "{ __typename ... on Unit { code } ... on Cadre { id } }"
    queries += [
        f"{{ search(text: {json.dumps(name)}, first: 500) {hits} }}"
        for name in ("Tổ 1", outside_cadre.name, outside_unit.name)
    ]
    queries += [
        "{ violations(first: 500) { totalCount nodes { subject message } } }",
        "{ reshuffles { id file } }",
    ]
    for query in queries:
        body = world.ask(role, query)
        if body.get("data") and any(v for v in body["data"].values()):
            answered += 1
        leaks += [
            (query, s) for s in strings(body) if s in caller.hidden or codes_in(s) & caller.hidden
        ]
    assert not leaks, (role, leaks[:5])
    assert answered >= len(queries) // 2, role  # the scope is not empty: the answers say something


def plan_elsewhere(world: World, role: Role) -> str:
    """A plan kept by a scope the caller cannot see (the district of the caller's out-of-scope
    commune), made through the API by a loader there."""
    caller = world.callers[role]
    commune = world.oracle.unit(caller.outside_unit)
    assert commune is not None and commune.parent is not None
    other = commune.parent
    token, _ = world.keyring.issue(
        Role.LOADER, other, datetime.now(UTC) + timedelta(hours=1), "elsewhere"
    )
    cadre = min(c.id for c in world.oracle.cadres_of([other]))
    path = write_csv(
        world.folder / f"elsewhere-{other}.csv",
        HEADER,
        [["nghỉ hưu", cadre, "", "", "1/6/2023", "QĐ 1"]],
    )
    body = world.upload(None, PLAN_ID, path, token=token)
    assert "errors" not in body, body
    plan_id: str = body["data"]["planReshuffle"]["id"]
    return plan_id


# --- authentication ---------------------------------------------------------------------------


def test_production_refuses_anonymous_and_bad_tokens_before_the_store(world: World) -> None:
    client = world.api.client
    world.api.store.reset()
    query = {"query": '{ unit(code: "83") { name } }'}
    cases = {
        "no token": {},
        "not bearer": {"Authorization": "Basic bmFtOm5hbQ=="},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "unknown key": {"Authorization": "Bearer nam_k_000000000000_abc"},
    }
    for case, headers in cases.items():
        response = client.post("/graphql", json=query, headers=headers)
        assert response.status_code == 401, (case, response.text)
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED", case
        assert "Bearer" in response.headers["www-authenticate"]
    assert world.api.store.calls == 0
    refused = [line for line in world.audit_lines() if line["event"] == "refused"]
    assert len(refused) == len(cases) and all(r["outcome"] == "UNAUTHENTICATED" for r in refused)


def test_no_websocket_gets_past_the_gate(memory_store: MemoryStore) -> None:
    with warnings.catch_warnings():  # Starlette's test client speaks WebSocket; it warns on import
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    client = TestClient(create_app(memory_store, Settings()))
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]),
    ):
        pass
    assert closed.value.code == 1008


def test_graphiql_asks_for_a_token_outside_demo_mode(world: World) -> None:
    page = world.api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "Bearer" in page.text and 'class="banner token"' in page.text
    assert "banner demo" not in page.text


def test_an_expired_or_revoked_token_is_refused(world: World) -> None:
    query = {"query": '{ unit(code: "83") { name } }'}
    now = datetime.now(UTC)
    expired, _ = world.keyring.issue(Role.ANALYST, "83", now - timedelta(minutes=1), "was")
    response = world.api.client.post(
        "/graphql", json=query, headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401 and "expired" in response.text
    token, record = world.keyring.issue(Role.ANALYST, "83", now + timedelta(hours=1), "is")
    headers = {"Authorization": f"Bearer {token}"}
    assert world.api.client.post("/graphql", json=query, headers=headers).status_code == 200
    world.keyring.revoke(record["id"])  # another process: the server sees it at once
    response = world.api.client.post("/graphql", json=query, headers=headers)
    assert response.status_code == 401 and "revoked" in response.text


def test_a_token_whose_scope_cannot_be_a_scope_is_refused(world: World) -> None:
    hamlet = next(u.code for u in world.oracle.subtree("83") if u.level == "hamlet")
    token, _ = world.keyring.issue(
        Role.ANALYST, hamlet, datetime.now(UTC) + timedelta(hours=1), "too deep"
    )
    response = world.api.client.post(
        "/graphql",
        json={"query": "{ reshuffles { id } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert "a scope must be a unit of one of these levels" in response.text


# --- roles ------------------------------------------------------------------------------------

CADRE_PHONE = "query($id: ID!) { cadre(id: $id) { id phone } }"


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_contact_phones_only_for_the_roles_that_need_them(world: World, role: Role) -> None:
    caller = world.callers[role]
    cadre = min(caller.seen.cadres)
    phone = world.ask(role, CADRE_PHONE, id=cadre)["data"]["cadre"]["phone"]
    if role in (Role.PROVINCE_ADMIN, Role.DISTRICT_OFFICER, Role.COMMUNE_OFFICER):
        expected = world.oracle.cadre(cadre)
        assert expected is not None and phone == expected.phone and phone
    else:
        assert phone is None


@pytest.mark.parametrize(
    "role", [Role.DISTRICT_OFFICER, Role.COMMUNE_OFFICER, Role.ANALYST], ids=str
)
def test_readers_may_not_plan_or_apply(world: World, role: Role) -> None:
    caller = world.callers[role]
    cadre = min(c.id for c in world.oracle.cadres_of([caller.scope]))
    path = write_csv(
        world.folder / "mine.csv", HEADER, [["nghỉ hưu", cadre, "", "", "1/6/2023", "QĐ 1"]]
    )
    assert "errors" not in world.ask(role, "{ reshuffles { id } }")  # the gate knows the token
    world.api.store.reset()
    (error,) = world.upload(role, PLAN_ID, path)["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and "may only read" in error["message"]
    (error,) = world.ask(role, 'mutation { applyPlan(id: "ffff") { written } }')["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert world.api.store.calls == 0  # refused before the store was asked anything
    refused = [r for r in world.audit_lines() if r["outcome"] == "FORBIDDEN"]
    assert {r["field"] for r in refused} == {"planReshuffle", "applyPlan"}
    assert all(r["role"] == str(role) and r["scope"] == caller.scope for r in refused)


STATUS_ON = 'query($id: ID!) { cadre(id: $id) { statusOn(asOf: "2023-06-02") } }'
PROBLEMS = (
    "mutation($file: Upload!) { planReshuffle(file: $file) { problems { row column message } } }"
)


def test_a_loader_plans_and_applies_in_its_scope_only(world: World) -> None:
    loader = world.callers[Role.LOADER]
    mine = min(c.id for c in world.oracle.cadres_of([loader.scope]))
    path = write_csv(
        world.folder / "mine.csv", HEADER, [["nghỉ hưu", mine, "", "", "1/6/2023", "QĐ 1"]]
    )
    plan = world.upload(Role.LOADER, PLAN_ID, path)["data"]["planReshuffle"]["id"]
    applied = world.ask(
        Role.LOADER, "mutation($id: ID!) { applyPlan(id: $id) { written } }", id=plan
    )
    assert applied["data"]["applyPlan"]["written"]
    status = world.ask(Role.LOADER, STATUS_ON, id=mine)
    assert status["data"]["cadre"]["statusOn"] == "RETIRED"
    for role, sees in (
        (Role.PROVINCE_ADMIN, True),  # the district is inside the province
        (Role.DISTRICT_OFFICER, True),  # the same district
        (Role.COMMUNE_OFFICER, False),  # one commune of it: not the loader's record
    ):
        records = world.ask(role, "{ reshuffles { id } }")["data"]["reshuffles"]
        assert ({"id": plan} in records) is sees, role

    # a cadre outside the scope is, in a reshuffle file, a cadre that does not exist
    problems = {}
    for name, cadre in (
        ("outside", loader.outside_cadre),
        ("missing", nonexistent("cadre", loader.outside_cadre)),
    ):
        bad = write_csv(
            world.folder / f"{name}.csv", HEADER, [["nghỉ hưu", cadre, "", "", "1/6/2023", "QĐ 1"]]
        )
        body = world.upload(
            Role.LOADER,
            "mutation($file: Upload!) { planReshuffle(file: $file) { problems { row column message } } }",
            bad,
        )
        problems[name] = json.dumps(body, ensure_ascii=False).replace(cadre, "<KEY>")
    assert problems["outside"] == problems["missing"] and "<KEY>" in problems["outside"]

    writes = [r for r in world.audit_lines() if r["event"] == "write"]
    assert [(r["field"], r["outcome"]) for r in writes][:2] == [
        ("planReshuffle", "planned"),
        ("applyPlan", "applied"),
    ]
    assert all(r["token"] and r["role"] == "loader" and r["scope"] == loader.scope for r in writes)


def test_an_out_of_scope_lookup_is_on_the_audit_trail(world: World) -> None:
    caller = world.callers[Role.DISTRICT_OFFICER]
    outside = world.ask(
        Role.DISTRICT_OFFICER, f'{{ unit(code: "{caller.outside_unit}") {{ name }} }}'
    )
    assert outside["data"] == {"unit": None}
    missing = nonexistent("unit", caller.outside_unit)
    # the same answer as for a code that does not exist, to the generation it names
    assert world.ask(Role.DISTRICT_OFFICER, f'{{ unit(code: "{missing}") {{ name }} }}') == outside
    (line,) = [r for r in world.audit_lines() if r["outcome"] == "OUT_OF_SCOPE"]
    assert line["key"] == caller.outside_unit and line["kind"] == "unit"
    assert line["role"] == "district_officer" and line["scope"] == caller.scope
    assert line["token"]
