"""The generic alternative namgraph is measured against: @neo4j/graphql on the same Neo4j.

A team that wants a GraphQL API over namgraph's graph without namgraph would write type
definitions over its labels for @neo4j/graphql (the official Neo4j GraphQL library for Node)
and put the coverage rule and the hierarchy's dated links into ``@cypher`` fields. This module
writes those type definitions, starts that server (``bench/peer/server.mjs``, Apollo Server,
pinned npm versions in ``bench/peer/package-lock.json``) against the bench's Neo4j, and posts to
it the same GraphQL texts namgraph is asked (:mod:`bench.http_api`): the peer's schema mirrors
namgraph's field names, so one query text serves both and the answers can be compared.

The ``@cypher`` statements are namgraph's own Cypher fragments (:mod:`graph.stores.neo4j_cypher`:
the same coverage rule, dated links, statuses and the single-pass coverage count), with the
policy's values passed the library's way (the context's ``cypherParams``, which it gives
every statement as parameters) and the field's ``asOf``
argument as the date. Both servers therefore do the same work in the database; what differs
is the API layer and the round trips (the library compiles a whole query into one Cypher
statement; namgraph makes one store call per level of the query).

Without Node.js and npm the peer is skipped with a note. Its packages are installed once
with ``npm ci`` from the lock file (the npm registry must be reachable that first time).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.http_api import Reply, reply
from graph.policy import Policy
from graph.stores import neo4j_cypher as cy

__all__ = ["PEER_DIR", "PeerServer", "missing", "type_defs"]

PEER_DIR = Path(__file__).parent / "peer"

#: namgraph's query parameters and what they are in a peer statement.
_PARAMS = {
    "on": "$asOf",
    "rules": "$rules",
    "all_rules": "$all_rules",
    "chain": "$chain",
    "household_level": "$household_level",
    "scope": "$scope",
    "scope_tops": "$scope_tops",
    "without": "$without",
    "absent": "$absent",
}


def _peer(cypher: str, **bound: str) -> str:
    """namgraph's Cypher as a peer statement: its parameters renamed (``bound`` gives those
    that are values of the statement, such as ``codes``)."""
    names = {**_PARAMS, **bound}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            raise ValueError(f"no peer value for ${name}")
        return names[name]

    return re.sub(r"\$([A-Za-z_]\w*)", rename, cypher)


def _block(statement: str) -> str:
    if '"""' in statement:
        raise ValueError("a statement may not hold triple quotes")
    return '"""\n' + statement.strip() + '\n"""'


#: The unit's name on $asOf: its latest version's, or that of the earlier version in force.
_NAME_ON = (
    "CASE WHEN u.valid_from IS NULL OR u.valid_from <= $asOf THEN u.name "
    "ELSE coalesce([i IN range(0, size(coalesce(u.earlier_from, [])) - 1) "
    "WHERE u.earlier_from[i] <= $asOf AND $asOf < u.earlier_to[i] | u.earlier_name[i]][0], "
    "u.name) END"
)


def _coverage(root: str) -> str:
    """Coverage of the bound unit ``root`` as namgraph answers it: namgraph's COVERAGE count,
    then the levels below the unit in the policy's order, each with its ratio."""
    return f"""
CALL ({root}) {{
{_peer(cy.COVERAGE, codes=f"[{root}.code]")}
}}
WITH {root}, levels, households, reached,
     coalesce($levels_from[{root}.level], []) AS order
RETURN {{
  households: households,
  householdsReached: reached,
  ratio: CASE WHEN households = 0 THEN null ELSE round(toFloat(reached) / households, 6) END,
  levels: [l IN order | {{
    level: l,
    units: coalesce(head([t IN levels WHERE t.level = l | t.units]), 0),
    covered: coalesce(head([t IN levels WHERE t.level = l | t.covered]), 0),
    ratio: CASE WHEN coalesce(head([t IN levels WHERE t.level = l | t.units]), 0) = 0 THEN null
           ELSE round(toFloat(head([t IN levels WHERE t.level = l | t.covered]))
                      / head([t IN levels WHERE t.level = l | t.units]), 6) END
  }}]
}} AS c"""


def _chain() -> str:
    """namgraph's CHAIN up to its last clause, which returns the rows in order."""
    last = "RETURN n, supporters ORDER BY i"
    text = _peer(cy.CHAIN, code="$unit").rstrip()
    if not text.endswith(last):
        raise ValueError("CHAIN no longer ends as the peer expects")
    return text.removesuffix(last) + "WITH n, supporters, i ORDER BY i"


def type_defs() -> str:
    """The peer's type definitions: namgraph's types and field names, over its labels."""
    children = f"""
MATCH (this)<-[r:PART_OF]-(u) WHERE {_peer(cy.rel_on("r"))}
WITH u ORDER BY u.code
RETURN u"""
    coverage = _coverage("this")
    top_coverage = "MATCH (root:Unit {code: $unit})\n" + _coverage("root")
    supporters = f"""
WITH this AS n
{_peer(cy._SUPPORTING)}
UNWIND supporters AS found
WITH found.cadre AS c, found.assignment AS s
RETURN {{
  since: s.since,
  role: s.role,
  cadre: {{id: c.id, name: c.name, phone: c.phone, statusOn: toUpper({_peer(cy._status_on("c"))})}}
}} AS x"""
    chain = f"""
{_chain()}
RETURN {{
  level: n.level,
  inChain: n.level IN $chain,
  covered: size(supporters) > 0,
  unit: {{code: n.code, name: {_NAME_ON.replace("u.", "n.")}}},
  supporters: [found IN supporters | {{
    since: found.assignment.since,
    role: found.assignment.role,
    cadre: {{id: found.cadre.id, name: found.cadre.name, phone: found.cadre.phone,
             statusOn: toUpper({_peer(cy._status_on("found.cadre"))})}}
  }}]
}} AS link"""
    assignments = f"""
MATCH (this)-[s:SUPPORTS]->(u)
WHERE {_peer(cy._in_force("s"))}
WITH s, u ORDER BY s.since, s.id
RETURN {{id: s.id, role: s.role, since: s.since, until: s.until, decision: s.decision,
         unit: {{code: u.code, name: {_NAME_ON}}}}} AS a"""
    unit = "MATCH (u:Unit {code: $code}) RETURN u"
    cadre = "MATCH (c:Cadre {id: $id}) RETURN c"
    name_on = _NAME_ON.replace("$asOf", "coalesce($asOf, $default_on)")
    name = f"WITH this AS u RETURN {name_on} AS name"
    return f"""
type Unit @node {{
  code: ID!
  kind: String!
  level: String!
  name(asOf: Date): String! @cypher(statement: {_block(name)}, columnName: "name")
  children(asOf: Date): [Unit!]! @cypher(statement: {_block(children)}, columnName: "u")
  coverage(asOf: Date): Coverage! @cypher(statement: {_block(coverage)}, columnName: "c")
  supporters(asOf: Date): [Supporter!]! @cypher(statement: {_block(supporters)}, columnName: "x")
}}

type Coverage {{
  households: Int!
  householdsReached: Int!
  ratio: Float
  levels: [LevelCoverage!]!
}}

type LevelCoverage {{
  level: String!
  units: Int!
  covered: Int!
  ratio: Float
}}

type Supporter {{
  since: Date!
  role: String!
  cadre: SupporterCadre!
}}

type SupporterCadre {{
  id: ID!
  name: String!
  phone: String
  statusOn(asOf: Date): String
}}

type Cadre @node {{
  id: ID!
  name: String!
  level: String!
  phone: String
  assignments(asOf: Date): [Assignment!]! @cypher(statement: {_block(assignments)}, columnName: "a")
}}

type Assignment {{
  id: ID!
  role: String!
  since: Date!
  until: Date
  decision: String!
  unit: NamedUnit!
}}

type NamedUnit {{
  code: ID!
  name: String!
}}

type ChainLink {{
  level: String!
  inChain: Boolean!
  covered: Boolean!
  unit: NamedUnit!
  supporters: [Supporter!]!
}}

type Query {{
  unit(code: ID!): Unit @cypher(statement: {_block(unit)}, columnName: "u")
  cadre(id: ID!): Cadre @cypher(statement: {_block(cadre)}, columnName: "c")
  coverage(unit: ID!, asOf: Date): Coverage! @cypher(statement: {_block(top_coverage)}, columnName: "c")
  chain(unit: ID!, asOf: Date): [ChainLink!]! @cypher(statement: {_block(chain)}, columnName: "link")
}}
"""


def cypher_params(params: dict[str, Any], policy: Policy, on: str) -> dict[str, Any]:
    """What the statements read as ``$cypherParams``: namgraph's policy parameters (the
    Neo4j store's own), the levels coverage is counted at below each level, no scope, nobody
    left out (no cadre gone, no supporter absent), and the date a field without ``asOf`` is
    asked on."""
    levels_from = {
        level.id: [lvl.id for lvl in policy.levels[level.index :] if lvl.id in policy.coverage]
        for level in policy.levels
    }
    return {
        **params,
        "levels_from": levels_from,
        "scope": None,
        "scope_tops": [],
        "without": [],
        "absent": [],
        "default_on": on,
    }


def missing() -> str | None:
    """Why the peer cannot run here, or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} not found: the @neo4j/graphql reference was skipped"
    return None


def install() -> None:
    """The peer's packages, from the lock file, once."""
    if (PEER_DIR / "node_modules" / "@neo4j" / "graphql").is_dir():
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=PEER_DIR,
        check=True,
        capture_output=True,
        timeout=600,
    )


class PeerServer:
    """The @neo4j/graphql server over a Neo4j, in a child process."""

    def __init__(self, uri: str, password: str, params: dict[str, Any], user: str = "neo4j"):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.folder = Path(tempfile.mkdtemp(prefix="namgraph-peer-"))
        (self.folder / "typeDefs.graphql").write_text(type_defs(), encoding="utf-8")
        (self.folder / "params.json").write_text(json.dumps(params), encoding="utf-8")
        self.env = {
            "PATH": _path(),
            "NEO4J_URI": uri,
            "NEO4J_USER": user,
            "NEO4J_PASSWORD": password,
            "PEER_PORT": str(self.port),
        }
        self.process: subprocess.Popen[str] | None = None
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=600)

    def __enter__(self) -> PeerServer:
        install()
        self.process = subprocess.Popen(
            [
                "node",
                str(PEER_DIR / "server.mjs"),
                str(self.folder / "typeDefs.graphql"),
                str(self.folder / "params.json"),
            ],
            cwd=PEER_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 120
        seen: list[str] = []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("ready"):
                return self
        self.__exit__()
        raise RuntimeError("the @neo4j/graphql server did not start:\n" + "".join(seen[-40:]))

    def __exit__(self, *_: object) -> None:
        self.client.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def post(self, query: str, **variables: Any) -> Reply:
        """POST /graphql; a clean answer, or :class:`GraphQLFailed`."""
        return reply(self.client.post("/", json={"query": query, "variables": variables}))


def _path() -> str:
    import os

    return os.environ.get("PATH", "/usr/bin:/bin")
