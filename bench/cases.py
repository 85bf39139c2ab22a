"""The questions timed on every target, as cases: the store's own methods, the Neo4j store's
query texts alone through the driver, and POST /graphql to the API; with the short words that
sum up each answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import neo4j
from bench.http_api import (
    CHAIN,
    COVERAGE,
    DASHBOARD,
    GAPS,
    TYPENAME,
    ApiServer,
    Reply,
)
from bench.measure import ON, Case, Scale, case
from bench.neo4j_load import raw_query
from bench.tables import plural
from graph.answers import ChainLink, Coverage, Gap, Load, Reach, WhatIf
from graph.model import Cadre, Severity, Unit, Violation
from graph.questions import what_if
from graph.stores import neo4j_cypher
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import GraphStore
from graph.validate import validate_store

__all__ = ["cypher_cases", "http_cases", "kept_cases", "store_cases"]


def _coverage_name(code: str, what: str) -> str:
    return f"coverage {code} ({what})"


def _gaps_name(code: str, level: str) -> str:
    return f"gaps {code} {level}"


def _chain_name(code: str) -> str:
    return f"chain {code} (household group)"


def store_cases(store: GraphStore, scale: Scale) -> list[Case]:
    """The questions of a scale, asked of any store on :data:`ON`."""
    group = _group(store, scale)
    cadre = _provincial_cadre(store, scale.district)  # supports the district: reaches it all
    leaver = _provincial_cadre(store, _first_commune(store, scale.district))
    province, district = scale.province, scale.district
    found: list[Case] = [
        case(_coverage_name(province, "province"), _coverage(store, province), _cov)
    ]
    found += [
        case(_coverage_name(code, "large province"), _coverage(store, code), _cov)
        for code in scale.large
    ]
    found += [
        case(_coverage_name(district, "district"), _coverage(store, district), _cov),
        case(
            _gaps_name(province, "commune"),
            lambda: store.gaps(province, "commune", ON),
            _gaps,
        ),
        case(
            _gaps_name(province, "household_group"),
            lambda: store.gaps(province, "household_group", ON),
            _gaps,
        ),
        case(_chain_name(group), lambda: store.chain(group, ON), _chain),
        case(f"reach {cadre} (provincial cadre)", lambda: store.reach(cadre, ON), _reach),
        case(f"load {district} (district)", lambda: store.load(district, ON), _load),
        case(f"what_if {leaver} (provincial cadre)", _what_if_of(store, leaver), _what_if),
    ]
    for code in scale.large:
        other = _provincial_cadre(store, _first_commune(store, code))
        found.append(
            case(f"what_if {other} (cadre of {code})", _what_if_of(store, other), _what_if)
        )
    found += [case(f"search {text!r}", _search(store, text), _hits) for text in scale.searches]
    found.append(
        case(f"validate {district} (district)", lambda: validate_store(store, ON, district), _val)
    )
    # as a district officer sees it: the same questions through the store scoped to the district
    scoped = store.scoped(district)
    officer = f"as officer of {district}"
    found += [
        case(_coverage_name(district, officer), _coverage(scoped, district), _cov),
        case(f"reach {cadre} ({officer})", lambda: scoped.reach(cadre, ON), _reach),
        case(f"load {district} ({officer})", lambda: scoped.load(district, ON), _load),
    ]
    found += [
        case(f"search {text!r} ({officer})", _search(scoped, text), _hits)
        for text in scale.searches
    ]
    return found


def cypher_cases(store: Neo4jStore, scale: Scale) -> list[Case]:
    """The Neo4j store's query texts alone, with the parameters its questions pass, for the
    cases of the overhead table: coverage of the province, its gaps at commune level, and the
    chain of the household group."""
    group = _group(store, scale)
    province = scale.province

    def raw(name: str, query: str, **params: Any) -> Case:
        return case(name, raw_query(store, query, ON, **params), _rows, "cypher")

    return [
        raw(_coverage_name(province, "province"), neo4j_cypher.COVERAGE, codes=[province]),
        raw(_gaps_name(province, "commune"), neo4j_cypher.GAPS, code=province, level="commune"),
        raw(_chain_name(group), neo4j_cypher.CHAIN, code=group),
    ]


def http_cases(api: ApiServer, store: GraphStore, scale: Scale) -> list[Case]:
    """POST /graphql for the coverage of the province, its gaps at commune level, the chain of
    the household group, and the provincial dashboard (of the scale's province, and of
    ``scale.dashboards``)."""
    group = _group(store, scale)
    province = scale.province
    on = ON.isoformat()

    def post(query: str, **variables: Any) -> Callable[[], Reply]:
        return lambda: api.post(query, asOf=on, **variables)

    found = [
        case(
            _coverage_name(province, "province"),
            post(COVERAGE, unit=province),
            _http_cov,
            "http",
        ),
        case(
            _gaps_name(province, "commune"),
            post(GAPS, unit=province, level="commune"),
            _http_gaps,
            "http",
        ),
        case(_chain_name(group), post(CHAIN, unit=group), _http_chain, "http"),
        case(
            f"dashboard {province} (province)",
            post(DASHBOARD, province=province),
            _http_dashboard,
            "http",
        ),
    ]
    found += [
        case(
            f"dashboard {code} (large province)",
            post(DASHBOARD, province=code),
            _http_dashboard,
            "http",
        )
        for code in scale.dashboards
    ]
    return found


def kept_cases(api: ApiServer, scale: Scale) -> list[Case]:
    """POST /graphql to a server that keeps answers until the next write: an empty request
    (``{ __typename }``: the API's own cost, no store) and the provincial dashboard reloaded
    (every call after the untimed first one is given the kept answer)."""
    on = ON.isoformat()
    province = scale.province
    return [
        case("empty request { __typename }", lambda: api.post(TYPENAME), _http_typename, "http"),
        case(
            f"dashboard {province} (province) again, kept",
            lambda: api.post(DASHBOARD, province=province, asOf=on),
            _http_dashboard,
            "http",
        ),
    ]


def _http_typename(reply: Reply) -> str:
    return str(reply.data["__typename"])


def _coverage(store: GraphStore, code: str) -> Callable[[], Coverage]:
    return lambda: store.coverage(code, ON)


def _what_if_of(store: GraphStore, cadre: str) -> Callable[[], WhatIf]:
    return lambda: what_if(store, [cadre], ON)


def _search(store: GraphStore, text: str) -> Callable[[], list[Unit | Cadre]]:
    return lambda: store.search(text, 10)


def _group(store: GraphStore, scale: Scale) -> str:
    """The scale's household group, or the first one of its district."""
    if store.unit(scale.group) is not None:
        return scale.group
    household = store.policy.household_level
    for unit in store.subtree(scale.district):
        if unit.level == household:
            return unit.code
    raise SystemExit(f"no household group under {scale.district}")


def _first_commune(store: GraphStore, code: str) -> str:
    for unit in store.subtree(code):
        if unit.level == "commune":
            return unit.code
    raise SystemExit(f"no commune under {code}")


def _provincial_cadre(store: GraphStore, code: str) -> str:
    """A provincial cadre who supports the unit ``code`` (any one, failing that)."""
    top = store.policy.top_level
    for a in store.assignments(unit=code):
        cadre = store.cadre(a.cadre)
        if cadre is not None and cadre.level == top and a.in_force_on(ON):
            return cadre.id
    for a in store.assignments():
        cadre = store.cadre(a.cadre)
        if cadre is not None and cadre.level == top and a.in_force_on(ON):
            return cadre.id
    raise SystemExit("no provincial cadre with an assignment in force")


def _pct(ratio: float | None) -> str:
    return "-" if ratio is None else f"{100 * ratio:.1f}%"


def _cov(c: Coverage) -> str:
    units = sum(level.units for level in c.levels)
    return f"{units:,} units, {c.households:,} hh, {_pct(c.ratio)} reached"


def _gaps(found: list[Gap]) -> str:
    return f"{len(found):,} gaps"


def _chain(links: list[ChainLink]) -> str:
    covered = sum(1 for link in links if link.covered)
    return f"{len(links)} links, {covered} covered"


def _reach(r: Reach) -> str:
    units = sum(level.units for level in r.levels)
    return f"{len(r.direct)} direct, {units:,} units, {r.households:,} hh"


def _load(loads: list[Load]) -> str:
    over = sum(1 for item in loads if item.overloaded)
    return f"{len(loads):,} cadres, {over} overloaded"


def _what_if(w: WhatIf) -> str:
    return f"{len(w.lost)} units lost, {w.households_lost:,} hh lost"


def _hits(hits: list[Unit | Cadre]) -> str:
    return f"{len(hits)} hits" + (f", first {_key(hits[0])}" if hits else "")


def _key(hit: Unit | Cadre) -> str:
    return hit.code if isinstance(hit, Unit) else hit.id


def _val(found: list[Violation]) -> str:
    errors = sum(1 for v in found if v.severity is Severity.ERROR)
    return f"{errors} errors, {len(found) - errors} warnings"


def _rows(records: list[neo4j.Record]) -> str:
    return plural(len(records), "row")


def _http_cov(reply: Reply) -> str:
    c = reply.data["coverage"]
    units = sum(level["units"] for level in c["levels"])
    return f"{units:,} units, {c['households']:,} hh, {_pct(c['ratio'])} reached"


def _http_gaps(reply: Reply) -> str:
    return f"{reply.data['gaps']['totalCount']:,} gaps"


def _http_chain(reply: Reply) -> str:
    links = reply.data["chain"]
    covered = sum(1 for link in links if link["covered"])
    return f"{len(links)} links, {covered} covered"


def _http_dashboard(reply: Reply) -> str:
    unit = reply.data["unit"]
    districts = unit["children"]
    communes = sum(len(d["children"]) for d in districts)
    return (
        f"{len(districts)} districts, {communes:,} communes, {_pct(unit['coverage']['ratio'])} "
        f"reached, {reply.size / 2**10:,.0f} KiB"
    )
