"""Heavy questions take turns on their own thread; cheap ones do not wait behind them."""

from __future__ import annotations

import threading
import time
from typing import Any

from graphql import parse

from graph.faults import hooked
from graph.stores.port import GraphStore
from namgraph.api.lanes import HEAVY, weight
from namgraph.api.settings import Settings
from tests.test_api import Server

HEAVY_QUERY = (
    "{ "
    + " ".join(
        f'c{i}: coverage(unit: "83", asOf: "2023-05-0{i + 1}") {{ householdsReached }}'
        for i in range(4)
    )
    + " }"
)
CHEAP = '{ unit(code: "831") { name } }'


def weighs(query: str) -> int:
    return weight(parse(query), None)


def test_what_makes_a_request_heavy() -> None:
    assert weighs(HEAVY_QUERY) >= HEAVY
    assert weighs('{ violations(unit: "83") { totalCount } }') >= HEAVY
    assert weighs("{ ...f } fragment f on Query { " + HEAVY_QUERY[2:-2] + " }") >= HEAVY
    # a dashboard: one coverage at the top, the rest batched per level below it
    assert (
        weighs(
            '{ coverage(unit: "83") { ratio } unit(code: "83") { children { '
            "coverage { ratio } } } }"
        )
        < HEAVY
    )
    assert weighs(CHEAP) == 0
    assert weight(parse('mutation { applyPlan(id: "x") { written } }'), None) == 0


def test_a_heavy_request_waits_its_turn_or_gets_busy_and_cheap_ones_pass(
    store: GraphStore,
) -> None:
    inside = threading.Event()
    release = threading.Event()

    def hold_the_lane() -> None:
        if threading.current_thread().name.startswith("heavy-lane") and not inside.is_set():
            inside.set()
            release.wait(timeout=60)

    settings = Settings(demo=True, heavy_lanes=1, heavy_wait=0.5)
    answers: dict[str, Any] = {}
    with Server(store, settings) as api, hooked("read-done", hold_the_lane):
        first = threading.Thread(target=lambda: answers.update(first=api.query(HEAVY_QUERY)))
        first.start()
        assert inside.wait(timeout=60), "the heavy request never reached its lane"
        # the lane is taken: a second heavy request waits 0.5 s, then is told to come back
        response = api.client.post("/graphql", json={"query": HEAVY_QUERY})
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "BUSY"
        assert response.headers["retry-after"] == "1"
        # a cheap request does not wait for the lane
        started = time.monotonic()
        cheap = api.data(CHEAP)
        assert cheap["unit"]["name"] == "Huyện Châu Thành"
        assert first.is_alive() and time.monotonic() - started < 30
        release.set()
        first.join(timeout=120)
    body = answers["first"]
    assert "errors" not in body and len(body["data"]) == 4
