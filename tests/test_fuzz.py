"""Schema-driven fuzzing of the GraphQL endpoint, on both stores: hypothesis-graphql writes
valid queries over the whole schema, with ids drawn from codes in scope, out of scope, made up
and hostile, and dates and texts of every kind. No answer may be a server error (500 or an
INTERNAL code) and none may hold a code or id from outside the caller's scope.

The runs are derandomized: the same examples every time, so a failure found here is found again.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from namgraph.api.auth import Role
from namgraph.api.schema import schema_text
from tests.access_world import World, nonexistent, strings

EXAMPLES = 120

HOSTILE = [
    "",
    " ",
    "' OR 1=1 --",
    '") MATCH (n) DETACH DELETE n //',
    "${scope}",
    "$scope",
    "83') RETURN 1 UNION MATCH (c:Cadre) RETURN c.phone //",
    "../../etc/passwd",
    "\u0000",
    "Tỉnh Bến Tre",
    "x" * 300,
]


def _string(value: str) -> graphql.StringValueNode:
    return graphql.StringValueNode(value=value)


def ids(world: World, role: Role) -> st.SearchStrategy[str]:
    caller = world.callers[role]
    inside = _spread(caller.seen.units, 20) + _spread(caller.seen.cadres, 20)
    hidden_cadres = {key for key in caller.hidden if world.oracle.cadre(key) is not None}
    outside = _spread(caller.hidden - hidden_cadres, 20) + _spread(hidden_cadres, 20)
    outside += [caller.outside_unit, caller.outside_cadre]
    missing = ["99999", "99-9999", "f" * 16]
    return st.sampled_from(inside + outside + missing + HOSTILE)


def _spread(keys: set[str], n: int) -> list[str]:
    """``n`` keys from across the sorted set (provinces, districts, communes, ... alike)."""
    ordered = sorted(keys)
    step = max(1, len(ordered) // n)
    return ordered[::step][:n]


_ORDINARY_DATES = st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 31))
#: Dates: mostly in the years the graph covers, some anywhere, a few not dates at all (a query
#: has many date arguments, and one bad one refuses the whole query before the resolvers).
DATES = st.one_of(
    *[_ORDINARY_DATES.map(lambda d: _string(d.isoformat()))] * 8,
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(
        lambda d: _string(d.isoformat())
    ),
    st.sampled_from(["2023-13-01", "yesterday", "", "2023-02-30"]).map(_string),
)

#: Page sizes: mostly ordinary, sometimes past the cap or negative.
INTS = st.one_of(
    st.integers(min_value=0, max_value=50),
    st.sampled_from([-1, 501, 2**31 - 1, -(2**31)]),
).map(lambda n: graphql.IntValueNode(value=str(n)))


def ask(world: World, token: str, query: str) -> dict[str, Any]:
    response = world.api.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in (200, 400), (query, response.status_code, response.text)
    body: dict[str, Any] = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL" not in codes, (query, body)
    return body


def root_fields(query: str) -> list[str]:
    """The query split into one query per root field: with several, which failing field's
    error is reported is a race, so out-of-scope and made-up keys are compared field by field."""
    document = graphql.parse(query)
    out = []
    for definition in document.definitions:
        assert isinstance(definition, graphql.OperationDefinitionNode)
        for selection in definition.selection_set.selections:
            single = graphql.OperationDefinitionNode(
                operation=definition.operation,
                variable_definitions=definition.variable_definitions,
                directives=definition.directives,
                selection_set=graphql.SelectionSetNode(selections=(selection,)),
            )
            out.append(graphql.print_ast(graphql.DocumentNode(definitions=(single,))))
    return out


def made_up(key: str) -> str:
    """A key shaped like ``key`` that names nothing."""
    return nonexistent("unit" if key.isdigit() else "cadre", key)


@pytest.mark.parametrize(
    "role", [Role.DISTRICT_OFFICER, Role.ANALYST, Role.COMMUNE_OFFICER], ids=str
)
def test_fuzzed_queries_never_fail_the_server_nor_leak(world: World, role: Role) -> None:
    """Each root field of a fuzzed query that names an out-of-scope code or id is asked alone,
    and again with made-up keys in their place: the two answers must be the same, key for key."""
    caller = world.callers[role]
    strategy = queries(
        schema_text(),
        custom_scalars={"ID": ids(world, role).map(_string), "Date": DATES, "Int": INTS},
        allow_x00=False,
    )
    outcomes: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(query=strategy)
    def check(query: str) -> None:
        body = ask(world, caller.token, query)
        leaked = [s for s in strings(body.get("data")) if s in caller.hidden]
        assert not leaked, (query, leaked)
        for single in root_fields(query):
            named = sorted({k for k in caller.hidden if f'"{k}"' in single}, key=len, reverse=True)
            if not named:
                continue
            # one made-up key per key: two keys of one shape (a unit code and a group code
            # given as cadre ids, say) must not share one, or the answer cannot be mapped back
            fakes: dict[str, str] = {}
            for key in named:
                fake = made_up(key)
                while fake in fakes.values():
                    fake = "9" + fake
                fakes[key] = fake
            swapped = single
            for key in named:
                swapped = swapped.replace(f'"{key}"', f'"{fakes[key]}"')
            seen_out = json.dumps(ask(world, caller.token, single), ensure_ascii=False)
            seen_none = json.dumps(ask(world, caller.token, swapped), ensure_ascii=False)
            for key in sorted(named, key=lambda k: len(fakes[k]), reverse=True):
                seen_none = seen_none.replace(fakes[key], key)
            assert seen_out == seen_none, (single, seen_out, seen_none)
            outcomes["named an outside key"] = outcomes.get("named an outside key", 0) + 1
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        outcome = "data" if body.get("data") else str(codes[0] if codes else "empty")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    check()
    # the fuzzing reached the resolvers, not only the validation, and tried outside keys
    assert outcomes.get("data", 0) >= EXAMPLES // 6, outcomes
    assert outcomes.get("named an outside key", 0) >= EXAMPLES // 10, outcomes
