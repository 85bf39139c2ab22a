"""Reshuffles through the GraphQL API over real HTTP, on both stores: a file uploaded as a
multipart request becomes a plan with its preview, read back by id, applied once; the history
questions then answer for the days before and after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.stores.port import GraphStore
from namgraph.api.settings import Settings
from tests.test_api import Server
from tests.test_reshuffle import DECISION, HEADER, E, Scenario, standing_members

PLAN = """mutation($file: Upload!) { planReshuffle(file: $file) {
  id file kind decision effective
  summary { ended started continued statusChanges errors warnings }
  statusChanges { previous status cadre { id } }
  started { cadre { id } unit { code } since }
  problems { row column message }
  preview { scope { code }
    before { levels { level units covered } householdsReached }
    after { levels { level units covered } householdsReached }
    lost { unit { code name } candidates { units cadre { id level } } }
    newlyBrokenBelow { level units } } } }"""

APPLY = "mutation($id: ID!) { applyPlan(id: $id) { plan written record { id appliedBy ended } } }"


@pytest.fixture
def api(store: GraphStore) -> Iterator[Server]:
    with Server(store) as server:
        yield server


def upload(api: Server, path: Path, query: str = PLAN, name: str | None = None) -> dict[str, Any]:
    operations = {"query": query, "variables": {"file": None}}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name or path.name, path.read_bytes(), "text/csv")},
        headers={"X-Namgraph-Request": "1"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_reshuffle_is_planned_from_an_upload_read_back_and_applied_once(
    api: Server, store: GraphStore, tmp_path: Path
) -> None:
    s = Scenario(store, tmp_path)
    body = upload(api, s.file)
    assert "errors" not in body, body
    plan = body["data"]["planReshuffle"]
    assert plan["file"] == "reshuffle.csv" and plan["decision"] == DECISION
    assert plan["summary"] == {
        "ended": 5,
        "started": 3,
        "continued": 0,
        "statusChanges": 5,
        "errors": 0,
        "warnings": plan["summary"]["warnings"],
    }
    assert {st["cadre"]["id"] for st in plan["statusChanges"]} == set(s.retiring)
    assert all(st["status"] == "RETIRED" for st in plan["statusChanges"])
    (preview,) = plan["preview"]
    commune = {lc["level"]: lc for lc in preview["after"]["levels"]}["commune"]
    assert (commune["covered"], commune["units"]) == (155, 157)
    assert {lost["unit"]["code"] for lost in preview["lost"]} == s.lost
    assert all(lost["candidates"] for lost in preview["lost"])

    kept = api.data(
        "query($id: ID!) { plan(id: $id) { id effective applied { id } } }", id=plan["id"]
    )
    assert kept["plan"] == {"id": plan["id"], "effective": E.isoformat(), "applied": None}
    assert api.data('{ plan(id: "0000") { id } }') == {"plan": None}

    applied = api.data(APPLY, id=plan["id"])["applyPlan"]
    assert applied == {
        "plan": plan["id"],
        "written": True,
        "record": {"id": plan["id"], "appliedBy": "demo (token demo, province_admin)", "ended": 5},
    }
    coverage = """query($d: Date) { coverage(unit: "83", asOf: $d) { levels { level covered } } }"""
    for day, covered in ((E - timedelta(days=1), 157), (E, 155)):
        levels = api.data(coverage, d=day.isoformat())["coverage"]["levels"]
        assert {lc["level"]: lc["covered"] for lc in levels}["commune"] == covered
    assert [r["id"] for r in api.data("{ reshuffles { id } }")["reshuffles"]][-1] == plan["id"]

    again = api.query(APPLY, id=plan["id"])
    (error,) = again["errors"]
    assert error["extensions"]["code"] == "BAD_INPUT" and "was applied" in error["message"]


def test_a_stale_plan_is_refused_with_its_code(
    api: Server, store: GraphStore, tmp_path: Path
) -> None:
    s = Scenario(store, tmp_path)
    first = upload(api, s.file)["data"]["planReshuffle"]["id"]
    from tests.conftest import write_csv

    conflicting = write_csv(
        tmp_path / "conflicting.csv",
        HEADER,
        [["phân công", standing_members(store)[4], s.communes[0], "", "1/6/2023", "QĐ khác"]],
    )
    second = upload(api, conflicting)["data"]["planReshuffle"]["id"]
    assert api.data(APPLY, id=second)["applyPlan"]["written"]
    (error,) = api.query(APPLY, id=first)["errors"]
    assert error["extensions"]["code"] == "STALE_PLAN" and "plan the file again" in error["message"]
    (error,) = api.query(APPLY, id="feedface")["errors"]
    assert error["extensions"]["code"] == "NOT_FOUND"


def test_diff_and_history_answer_for_the_days_around_a_reshuffle(
    api: Server, store: GraphStore, tmp_path: Path
) -> None:
    s = Scenario(store, tmp_path)
    plan = upload(api, s.file)["data"]["planReshuffle"]["id"]
    api.data(APPLY, id=plan)
    diff = """query($from: Date!, $to: Date!) { diff(unit: "83", from: $from, to: $to) {
      from to started { id cadre { id } unit { code } } ended { cadre { id } until }
      statusChanges { cadre { id } status since } units { code } } }"""
    day_before = (E - timedelta(days=1)).isoformat()
    changed = api.data(diff, **{"from": day_before, "to": E.isoformat()})["diff"]
    assert sorted((a["cadre"]["id"], a["unit"]["code"]) for a in changed["started"]) == sorted(
        zip(s.replacements, s.communes[:3], strict=True)
    )
    assert sorted(a["cadre"]["id"] for a in changed["ended"]) == sorted(s.retiring)
    assert all(a["until"] == E.isoformat() for a in changed["ended"])
    assert sorted(c["cadre"]["id"] for c in changed["statusChanges"]) == sorted(s.retiring)
    assert changed["units"] == []
    # nothing changed on the day before, nor after the effective date
    quiet = api.data(diff, **{"from": E.isoformat(), "to": "2024-01-01"})["diff"]
    assert quiet["started"] == quiet["ended"] == quiet["statusChanges"] == []
    # a district's diff only holds what happened inside it
    district = store.ancestors(s.communes[0])[0].code
    inside = api.data(
        diff.replace('unit: "83"', f'unit: "{district}"'),
        **{"from": day_before, "to": E.isoformat()},
    )["diff"]
    assert [a["unit"]["code"] for a in inside["started"]] == [s.communes[0]]

    history = """query($id: ID!) { history(cadre: $id) {
      statuses { status since } assignments { unit { code } since until } } }"""
    retiree = api.data(history, id=s.retiring[0])["history"]
    assert [p["status"] for p in retiree["statuses"]] == ["ACTIVE", "RETIRED"]
    assert retiree["statuses"][-1]["since"] == E.isoformat()
    (held,) = retiree["assignments"]
    assert held["unit"]["code"] == s.communes[0] and held["until"] == E.isoformat()
    assert api.data('{ history(cadre: "nobody") { cadre { id } } }') == {"history": None}
    (error,) = api.query(diff, **{"from": E.isoformat(), "to": day_before})["errors"]
    assert error["extensions"]["code"] == "BAD_INPUT" and "swap" in error["message"]


def test_uploads_that_are_not_reshuffle_files_are_refused_before_planning(
    store: GraphStore, tmp_path: Path
) -> None:
    with Server(store, Settings(demo=True, max_upload_bytes=1000)) as api:
        text = tmp_path / "notes.txt"
        text.write_text("hello", encoding="utf-8")
        (error,) = upload(api, text)["errors"]
        assert error["extensions"]["code"] == "BAD_INPUT" and ".csv or .xlsx" in error["message"]
        big = tmp_path / "big.csv"
        big.write_text("Mã cán bộ\n" + "83-0001\n" * 400, encoding="utf-8")
        (error,) = upload(api, big)["errors"]
        assert error["extensions"]["code"] == "BAD_INPUT" and "larger than 1000" in error["message"]
        empty = tmp_path / "empty.csv"
        empty.write_bytes(b"")
        (error,) = upload(api, empty)["errors"]
        assert error["extensions"]["code"] == "BAD_INPUT" and "empty" in error["message"]
