"""Abusive requests are refused with a clear error before they reach the store, on both stores:
deep nesting, huge pages, alias floods, long documents, batches, oversized uploads, too many
requests; a question that runs too long is stopped; introspection can be turned off."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from namgraph.api.auth import Role
from namgraph.api.checked import KnownParsed
from namgraph.api.schema import KNOWN_TEXTS
from tests.access_world import World, open_world
from tests.conftest import TwoProvinces

Open = Callable[..., Any]


@pytest.fixture
def open_with(two: TwoProvinces) -> Open:
    """A server over the two provinces with the given settings (the defaults otherwise)."""

    @contextmanager
    def start(**settings: Any) -> Iterator[World]:
        defaults = dict(max_cost=250_000, max_depth=12, max_tokens=4000, rate_per_minute=600)
        yield from open_world(two.store(), two.data, two.folder, **{**defaults, **settings})

    return start


def refused(world: World, query: str, role: Role = Role.DISTRICT_OFFICER) -> dict[str, Any]:
    body = world.ask(role, query)
    assert body.get("data") is None, body
    (error,) = body["errors"]
    return dict(error)


def warm(world: World) -> None:
    """One good request (the gate checks the token's scope once), then count from zero."""
    assert "errors" not in world.ask(Role.DISTRICT_OFFICER, "{ reshuffles { id } }")
    world.api.store.reset()


def test_deep_huge_and_flooding_queries_never_reach_the_store(open_with: Open) -> None:
    with open_with() as world:
        warm(world)
        deep = '{ unit(code: "83") ' + "{ parent " * 14 + "{ code }" + " }" * 14 + " }"
        error = refused(world, deep)
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and "depth" in error["message"]

        huge = '{ search(text: "a", first: 100000) { ... on Unit { code name kind } } }'
        error = refused(world, huge)
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "smaller pages (first:)" in error["message"]

        pages = "{ children(first: 400) " * 3 + "{ code }" + " }" * 3
        nested = '{ unit(code: "83") ' + pages + " }"
        error = refused(world, nested)
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"

        flood = "{ " + " ".join(f'a{i}: unit(code: "83") {{ code }}' for i in range(40)) + " }"
        error = refused(world, flood)
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and "aliases" in error["message"]

        long = "{ " + " ".join("__typename" for _ in range(5000)) + " }"
        error = refused(world, long)
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert world.api.store.calls == 0
        lines = [r for r in world.audit_lines() if r["outcome"] == "QUERY_TOO_COMPLEX"]
        assert len(lines) == 5 and all(r["role"] == "district_officer" for r in lines)


def test_a_text_once_valid_is_still_costed_with_each_request_s_variables(open_with: Open) -> None:
    """Validation of a text is remembered once it passed (namgraph.api.checked); the cost rule,
    which reads the variables, still runs on every request."""
    inline = 'query($n: Int) { search(text: "an", first: $n) { ... on Unit { code } } }'
    spread = (
        "query($n: Int) { ...F } "
        'fragment F on Query { search(text: "an", first: $n) { ... on Unit { code } } }'
    )
    with open_with() as world:
        for query in (inline, spread):
            for _ in range(2):
                assert "errors" not in world.ask(Role.ANALYST, query, n=5)
            body = world.ask(Role.ANALYST, query, n=1_000_000)
            (error,) = body["errors"]
            assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
            assert "errors" not in world.ask(Role.ANALYST, query, n=5)
        # and a text that fails a fixed rule fails every time
        for _ in range(2):
            unknown = world.ask(Role.ANALYST, '{ unit(code: "83") { nosuchfield } }')
            (error,) = unknown["errors"]
            assert error["extensions"]["code"] == "BAD_INPUT" and "nosuchfield" in error["message"]


def test_parsed_texts_are_kept_under_their_token_limit_and_bounded(open_with: Open) -> None:
    """A text parsed once is not parsed again (namgraph.api.checked.KnownParsed), but the token
    limit is part of what is kept, a text that does not parse is refused with its code every
    time, and no more than KNOWN_TEXTS documents are kept however many texts arrive."""
    many = "{ " + " ".join("__typename" for _ in range(300)) + " }"
    with open_with(max_tokens=4000) as world:
        for _ in range(2):
            assert "errors" not in world.ask(Role.ANALYST, many)
            (error,) = world.ask(Role.ANALYST, "{ unit(code: ) { code } }")["errors"]
            assert error["extensions"]["code"] == "BAD_INPUT" and "Syntax Error" in error["message"]
    with open_with(max_tokens=100) as world:  # the same text, parsed before under 4000
        for _ in range(2):
            error = refused(world, many)
            assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    with open_with(rate_per_minute=10_000) as world:
        for i in range(KNOWN_TEXTS + 40):
            assert "errors" not in world.ask(Role.ANALYST, f"{{ t{i}: __typename }}")
        kept = KnownParsed(maxsize=KNOWN_TEXTS).cached_parse_document.cache_info()
        assert kept.maxsize == KNOWN_TEXTS and kept.currsize <= KNOWN_TEXTS
        assert kept.hits > 0


def test_a_page_beyond_the_cap_is_refused_before_the_store(open_with: Open) -> None:
    with open_with(max_cost=10**9) as world:  # the cost rule lets it through; the page cap not
        warm(world)
        error = refused(world, '{ search(text: "a", first: 100000) { __typename } }')
        assert error["extensions"]["code"] == "BAD_INPUT"
        assert "first must be between 0 and 500" in error["message"]
        assert world.api.store.calls == 0


def test_batches_and_oversized_bodies_are_refused_at_the_door(open_with: Open) -> None:
    with open_with(max_upload_bytes=10_000) as world:
        warm(world)
        token = world.callers[Role.LOADER].token
        headers = {"Authorization": f"Bearer {token}", "X-Namgraph-Request": "1"}
        batch = [{"query": "{ reshuffles { id } }"}] * 3
        response = world.api.client.post("/graphql", json=batch, headers=headers)
        assert response.status_code == 400 and "batch" in response.text.lower()

        big = b"Thao t\xc3\xa1c,M\xc3\xa3 c\xc3\xa1n b\xe1\xbb\x99\n" + b"x" * 200_000
        response = world.api.client.post(
            "/graphql",
            data={
                "operations": json.dumps(
                    {
                        "query": "mutation($f: Upload!) { planReshuffle(file: $f) { id } }",
                        "variables": {"f": None},
                    }
                ),
                "map": json.dumps({"0": ["variables.f"]}),
            },
            files={"0": ("big.csv", big, "text/csv")},
            headers=headers,
        )
        assert response.status_code == 413, response.text
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "TOO_LARGE"
        assert "split the reshuffle file" in error["message"]
        assert world.api.store.calls == 0
        line = world.audit_lines()[-1]
        assert line["outcome"] == "TOO_LARGE" and line["role"] == "loader"


def test_each_token_has_its_rate(open_with: Open) -> None:
    with open_with(rate_per_minute=5) as world:
        # the buckets' clock is held still: a slow store must not refill them between requests
        now = [1000.0]
        world.api.app.state.gate.buckets.clock = lambda: now[0]
        for _ in range(5):
            assert "errors" not in world.ask(Role.ANALYST, "{ reshuffles { id } }")
        headers = {"Authorization": f"Bearer {world.callers[Role.ANALYST].token}"}
        response = world.api.client.post(
            "/graphql", json={"query": "{ reshuffles { id } }"}, headers=headers
        )
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # one request comes back every 60/5 = 12 seconds
        now[0] += 12.5
        assert "errors" not in world.ask(Role.ANALYST, "{ reshuffles { id } }")
        again = world.api.client.post(
            "/graphql", json={"query": "{ reshuffles { id } }"}, headers=headers
        )
        assert again.status_code == 429
        # another token has its own
        assert "errors" not in world.ask(Role.LOADER, "{ reshuffles { id } }")


def test_a_question_that_runs_too_long_is_stopped(open_with: Open) -> None:
    with open_with(query_timeout=0.001) as world:
        body = world.ask(Role.PROVINCE_ADMIN, '{ coverage(unit: "83") { households } }')
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "TIMEOUT", error
        assert "took longer than" in error["message"]


def test_introspection_can_be_turned_off(open_with: Open) -> None:
    with open_with(introspection=False) as world:
        body = world.ask(Role.ANALYST, "{ __schema { types { name } } }")
        assert body.get("data") is None and body["errors"]
        assert all("introspection" in e["message"].lower() for e in body["errors"]), body
    with open_with() as world:
        body = world.ask(Role.ANALYST, "{ __schema { queryType { name } } }")
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"
