"""The world the access tests run in: Bến Tre and Đà Nẵng in one graph, a token for every
role, and what each token may and may not see, worked out from the whole graph.

The queries are generated from the schema itself: every query field that takes a unit code, a
cadre id or a plan id is asked with an out-of-scope key, with a key that does not exist and with
a key in scope, selecting every field reachable without arguments down to a fixed depth."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)
from graphql.pyutils import Undefined

from graph.stores.memory import MemoryStore
from graph.stores.port import GraphStore
from namgraph.api.auth import Keyring, Role
from namgraph.api.schema import make_schema
from namgraph.api.settings import Settings
from tests.conftest import ON
from tests.test_api import Server

PROVINCE, OTHER_PROVINCE = "83", "48"

#: Arguments that name something a scope may hide, by the kind of thing they name.
KEY_KINDS = {
    "code": "unit",
    "unit": "unit",
    "under": "unit",
    "scope": "unit",
    "cadre": "cadre",
    "cadres": "cadre",
}


@dataclass
class Seen:
    """What a scope holds, worked out on the whole graph (the oracle)."""

    root: str
    units: set[str]
    cadres: set[str]

    @classmethod
    def of(cls, store: GraphStore, root: str) -> Seen:
        units = {u.code for u in store.subtree(root)}
        cadres = {c.id for c in store.cadres_of(list(units))}
        cadres |= {a.cadre for group in store.assignments_at(list(units)).values() for a in group}
        return cls(root, units, cadres)


@dataclass
class Caller:
    role: Role
    scope: str
    token: str
    seen: Seen
    outside_unit: str = ""
    outside_cadre: str = ""
    hidden: set[str] = field(default_factory=set)  # every out-of-scope code and id


def scopes(store: GraphStore) -> dict[Role, str]:
    districts = [u.code for u in store.children(PROVINCE, ON)]
    district = districts[1]
    commune = store.children(district, ON)[0].code
    return {
        Role.PROVINCE_ADMIN: PROVINCE,
        Role.DISTRICT_OFFICER: district,
        Role.COMMUNE_OFFICER: commune,
        Role.ANALYST: district,
        Role.LOADER: district,
    }


def callers(store: GraphStore, keyring: Keyring) -> dict[Role, Caller]:
    all_units = {u.code for u in store.subtree()}
    all_cadres = {c.id for c in store.cadres_of(list(all_units))}
    out: dict[Role, Caller] = {}
    expires = datetime.now(UTC) + timedelta(days=1)
    for role, scope in scopes(store).items():
        token, _ = keyring.issue(role, scope, expires, f"test {role}")
        seen = Seen.of(store, scope)
        caller = Caller(role, scope, token, seen)
        caller.hidden = (all_units - seen.units) | (all_cadres - seen.cadres)
        # an out-of-scope commune and a working cadre outside, both with plenty to tell
        caller.outside_unit = min(
            code
            for code in all_units - seen.units
            if (u := store.unit(code)) is not None and u.level == "commune"
        )
        caller.outside_cadre = min(
            c for c in all_cadres - seen.cadres if store.assignments(cadre=c)
        )
        out[role] = caller
    return out


def nonexistent(kind: str, like: str) -> str:
    """A key shaped like ``like`` that names nothing."""
    if kind == "unit":
        return "9" * len(like)
    if kind == "plan":
        return "f" * 16
    return re.sub(r"\d", "9", like)


# --- queries from the schema --------------------------------------------------------------------


def graphql_schema() -> GraphQLSchema:
    return make_schema()._schema


def _named(kind: Any) -> Any:
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def _required(f: GraphQLField) -> bool:
    return any(
        isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined for a in f.args.values()
    )


def selection(kind: Any, depth: int) -> str:
    """Every field of ``kind`` that needs no argument, down to ``depth`` levels of objects;
    ``__typename`` everywhere."""
    kind = _named(kind)
    if isinstance(kind, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(kind, GraphQLUnionType):
        members = " ".join(f"... on {m.name} {selection(m, depth)}" for m in kind.types)
        return "{ __typename " + members + " }"
    assert isinstance(kind, GraphQLObjectType)
    parts = ["__typename"]
    for name, f in kind.fields.items():
        if _required(f):
            continue
        inner = _named(f.type)
        if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
            parts.append(name)
        elif depth > 0:
            parts.append(f"{name} {selection(inner, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


def literal(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Ask:
    field: str
    argument: str  # the key argument varied
    kind: str
    query: str


def asks(caller: Caller, keys: dict[str, str], depth: int = 2) -> Iterator[Ask]:
    """For every query field with a key argument, one query per key argument, with ``keys``
    (unit, cadre, plan) for it and in-scope values for the rest."""
    schema = graphql_schema()
    assert schema.query_type is not None
    inside = {"unit": caller.scope, "cadre": min(caller.seen.cadres)}
    for name, f in schema.query_type.fields.items():
        key_args = [a for a in f.args if _kind(name, a) is not None]
        for varied in key_args:
            kind = _kind(name, varied)
            assert kind is not None
            args = []
            for arg_name, arg in f.args.items():
                arg_kind = _kind(name, arg_name)
                if arg_name == varied:
                    value: Any = keys[kind]
                elif arg_kind is not None:
                    value = inside[arg_kind]
                else:
                    value = _plain_value(name, arg_name, arg)
                    if value is None:
                        continue
                if arg_name == "cadres":
                    value = [value]
                args.append(f"{arg_name}: {literal(value)}")
            query = f"{{ {name}({', '.join(args)}) {selection(f.type, depth)} }}"
            yield Ask(name, varied, kind, query)


def _kind(field_name: str, argument: str) -> str | None:
    if argument == "id":
        return {"cadre": "cadre", "plan": "plan"}.get(field_name)
    return KEY_KINDS.get(argument)


def _plain_value(field_name: str, argument: str, arg: Any) -> Any:
    """A value for an argument that names nothing a scope hides (None: leave it out)."""
    values: dict[str, Any] = {
        "level": "household_group",
        "on": "2023-06-01",
        "from": "2023-01-01",
        "to": "2024-06-01",
        "asOf": ON.isoformat(),
        "text": "Tổ 1",
        "first": 50,
        "year": ON.year,
    }
    if argument in values:
        return values[argument]
    if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
        raise AssertionError(
            f"the leak test has no value for required argument {argument!r} of {field_name}; "
            "teach tests/access_world.py about it"
        )
    return None


_DATES = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}")
_CODES = re.compile(r"(?<![\w.-])\d+(?:\.\d+)*(?:-\d+)?(?![\w-])")


def codes_in(text: str) -> set[str]:
    """Every unit code or cadre id a text could name (dates left out): to look for hidden ones
    inside messages, not only in whole answer strings.

    >>> sorted(codes_in("28801.01 is outside 83-0024's home unit 83 on 2023-05-01."))
    ['28801.01', '83', '83-0024']
    """
    return set(_CODES.findall(_DATES.sub(" ", text)))


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON answer."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def masked(body: dict[str, Any], key: str) -> str:
    """An answer with ``key`` written as <KEY>, to compare answers for two keys."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True).replace(key, "<KEY>")


# --- a server over it ----------------------------------------------------------------------

#: Limits out of the way of what these tests ask: the whole schema, in every role. The store's
#: time limit too: a reshuffle preview on Neo4j took close to its 20 s on a busy 2-core
#: machine and was stopped (STORE_UNAVAILABLE); the limit itself has tests of its own.
OPEN_LIMITS = dict(
    max_cost=10**8, max_depth=30, max_tokens=50_000, rate_per_minute=100_000, query_timeout=300.0
)


@dataclass
class World:
    api: Server
    callers: dict[Role, Caller]
    oracle: MemoryStore
    keyring: Keyring
    audit: Path
    folder: Path

    def ask(self, role: Role | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.callers[role].token}"} if role else {}
        response = self.api.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def upload(self, role: Role | None, query: str, path: Path, token: str = "") -> dict[str, Any]:
        response = self.api.client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (path.name, path.read_bytes(), "text/csv")},
            headers={
                "Authorization": f"Bearer {self.callers[role].token if role else token}",
                "X-Namgraph-Request": "1",
            },
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def audit_lines(self) -> list[dict[str, Any]]:
        if not self.audit.exists():
            return []
        return [json.loads(line) for line in self.audit.read_text(encoding="utf-8").splitlines()]


def open_world(store: GraphStore, data: Path, folder: Path, **limits: Any) -> Iterator[World]:
    keyring = Keyring.open(folder / "auth.json")
    oracle = MemoryStore.open(data)
    who = callers(oracle, keyring)
    audit = folder / "audit.log"
    settings = Settings(
        auth_file=folder / "auth.json", audit_log=audit, **{**OPEN_LIMITS, **limits}
    )
    with Server(store, settings) as api:
        yield World(api, who, oracle, keyring, audit, folder)
