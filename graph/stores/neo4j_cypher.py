"""The Cypher the Neo4j store runs. Every value travels as a parameter; the query texts are
built once, at import, from the constant fragments below, and labels come from the policy's
level ids (checked to be plain identifiers), never from data.

Every traversal starts at a node the query has already bound (a root unit, a cadre) and leaves
the far end unlabelled, filtering it in WHERE: with no label or index to start from, the
planner can only expand from the bound node, even right after a bulk load when its statistics
are stale. (A labelled far end let it scan every unit of a level for each row: minutes.)

The graph as analysts see it in Neo4j Browser::

    (:Unit:Commune {code, name, level, kind, households, valid_from, valid_to,
                    earlier_from, earlier_to, earlier_name, earlier_kind, earlier_parent})
    (:Unit)-[:PART_OF {valid_from, valid_to, latest}]->(:Unit)
    (:Unit)-[:MERGED_INTO {on}]->(:Unit)          from a merge file; resolution on the node

A unit's flat properties are its latest version; the ``earlier_*`` lists hold its earlier
versions (``earlier_from`` is 0001-01-01 for an undated first version, ``earlier_parent`` is ''
for none). Each version with a parent has its own ``PART_OF``, dated like the version, so
every walk down or up the hierarchy on a date follows only the links in force that day.
    (:Cadre {id, name, level, titles, status, status_since, phone})-[:WORKS_IN]->(:Unit)
    (:Cadre)-[:SUPPORTS {id, role, since, until, decision}]->(:Unit)

Every query takes ``$scope``, the code of the unit the caller is scoped to (null: the whole
graph), and keeps what lies outside it out of its answer (:mod:`graph.scope`).

Parameters shared by the questions: ``$on`` (a date), ``$without`` (cadre ids treated as gone),
``$absent`` (assignment ids that do not count: their supporter was not present),
``$rules`` (per unit level, the coverage rule: role, cadre_level, titles), ``$chain`` (the chain
levels), ``$household_level``.
"""

from __future__ import annotations

__all__ = [
    "AFTER_ROOT",
    "ANCESTORS",
    "CHAIN",
    "COVERAGE",
    "GAPS",
    "IMPORT_FILLS",
    "LOAD",
    "LOADS_OF",
    "MIGRATIONS",
    "OWNED",
    "REACH",
    "SEARCH",
    "SUPPORTERS",
    "TREE",
    "cadre_in_scope",
    "exists_on",
    "in_force",
    "in_scope",
    "in_scope_on",
    "matches",
    "path_on",
    "rel_on",
    "status_on",
]


def in_scope(n: str) -> str:
    """The unit ``n`` has lain in the caller's scope (``$scope``, a root unit code; null: all)
    on some day: a path up to the root, or to a unit a merge put into the scope
    (``$scope_tops``). The store then cuts it to its days in the scope (:mod:`graph.scope`)."""
    return (
        f"($scope IS NULL OR EXISTS {{ MATCH ({n})-[:PART_OF*0..]->(top_{n}) "
        f"WHERE top_{n}.code = $scope OR top_{n}.code IN $scope_tops }})"
    )


def in_scope_on(n: str) -> str:
    """The unit ``n`` lies in the caller's scope on $on: its links of that day lead to the root
    or to a unit a merge put into the scope."""
    return (
        f"($scope IS NULL OR EXISTS {{ MATCH p_{n} = ({n})-[:PART_OF*0..]->(top_{n}) "
        f"WHERE (top_{n}.code = $scope OR top_{n}.code IN $scope_tops) "
        f"AND all(r_{n} IN relationships(p_{n}) WHERE {rel_on('r_' + n)}) }})"
    )


def cadre_in_scope(c: str) -> str:
    """The cadre ``c`` works in the caller's scope or has supported a unit in it (the store
    then keeps those whose assignments meet their units' days in the scope)."""
    return (
        f"($scope IS NULL OR EXISTS {{ MATCH ({c})-[:WORKS_IN|SUPPORTS]->()-[:PART_OF*0..]->(top_{c}) "
        f"WHERE top_{c}.code = $scope OR top_{c}.code IN $scope_tops }})"
    )


#: A reshuffle plan or record ``r`` was made in a scope inside the caller's (any, unscoped).
OWNED = (
    "($scope IS NULL OR (r.access_scope IS NOT NULL AND EXISTS { "
    "MATCH (x:Unit {code: r.access_scope})-[:PART_OF*0..]->(top_x) WHERE top_x.code = $scope }))"
)


def _status_on(c: str, on: str = "$on") -> str:
    """The cadre's status on ``on``: the last history entry dated on or before it."""
    return (
        f"[i IN range(0, size({c}.history_status) - 1) "
        f"WHERE {c}.history_since[i] <= {on} | {c}.history_status[i]][-1]"
    )


def _exists_on(n: str) -> str:
    """The unit ``n`` has a version in force on $on (its latest, or an earlier one)."""
    return (
        f"((({n}.valid_from IS NULL OR {n}.valid_from <= $on) "
        f"AND ({n}.valid_to IS NULL OR $on < {n}.valid_to)) "
        f"OR ({n}.earlier_from IS NOT NULL AND any(i IN range(0, size({n}.earlier_from) - 1) "
        f"WHERE {n}.earlier_from[i] <= $on AND $on < {n}.earlier_to[i])))"
    )


def rel_on(r: str) -> str:
    """The ``PART_OF`` link ``r`` is in force on $on (the latest link when $on is null)."""
    return (
        f"(CASE WHEN $on IS NULL THEN {r}.latest ELSE "
        f"({r}.valid_from IS NULL OR {r}.valid_from <= $on) "
        f"AND ({r}.valid_to IS NULL OR $on < {r}.valid_to) END)"
    )


def _path_on(p: str, start: str) -> str:
    """Every link of the path ``p`` from ``start`` is in force on $on, and ``start`` exists."""
    return f"({_exists_on(start)} AND all(r_{p} IN relationships({p}) WHERE {rel_on('r_' + p)}))"


def _in_force(s: str) -> str:
    return f"({s}.since <= $on AND ({s}.until IS NULL OR $on < {s}.until))"


def _matches(s: str, c: str, r: str) -> str:
    """The assignment ``s`` of cadre ``c`` fits rule ``r`` (role, cadre level, titles)."""
    return (
        f"({s}.role = {r}.role AND {c}.level = {r}.cadre_level "
        f"AND (size({r}.titles) = 0 OR any(t IN {c}.titles WHERE t IN {r}.titles)))"
    )


def _covered(n: str, k: str = "k") -> str:
    """``n`` has an active supporter on $on under its level's coverage rule."""
    rule = f"$rules[{n}.level]"
    return (
        f"({rule} IS NOT NULL AND EXISTS {{ MATCH ({n})<-[s{k}:SUPPORTS]-(c{k}) "
        f"WHERE {_matches('s' + k, 'c' + k, rule)} AND {_in_force('s' + k)} "
        f"AND NOT c{k}.id IN $without AND NOT s{k}.id IN $absent "
        f"AND {_status_on('c' + k)} = 'active' }})"
    )


def _reason(n: str) -> str:
    """Why an uncovered unit has no supporter, the way the memory store says it: the cadres of
    a what-if leaving it, else what happened to its latest supporter, else no supporter."""
    rule = f"$rules[{n}.level]"
    force = _in_force("sr")
    status = _status_on("cr")
    since = (
        "[i IN range(0, size(cr.history_since) - 1) "
        "WHERE cr.history_since[i] <= $on | cr.history_since[i]][-1]"
    )
    left = _status_on("cr", "sr.until")  # the cadre's status on the day the assignment ended
    gone = f"CASE WHEN {force} THEN {status} ELSE {left} END"
    return f"""CASE WHEN EXISTS {{ MATCH ({n})<-[sr:SUPPORTS]-(cr)
      WHERE {_matches("sr", "cr", rule)} AND {force} AND cr.id IN $without }}
    THEN 'supporter_leaving'
    WHEN EXISTS {{ MATCH ({n})<-[sr:SUPPORTS]-(cr)
      WHERE {_matches("sr", "cr", rule)} AND {force} AND sr.id IN $absent AND {status} = 'active' }}
    THEN 'supporter_absent'
    ELSE coalesce(COLLECT {{
      MATCH ({n})<-[sr:SUPPORTS]-(cr)
      WHERE {_matches("sr", "cr", rule)} AND sr.since <= $on
        AND (({force} AND {status} IN ['retired', 'transferred'])
             OR (sr.until IS NOT NULL AND sr.until <= $on))
      WITH {gone} AS gone,
           CASE WHEN NOT {force} THEN sr.until
                WHEN {since} = date('0001-01-01') THEN sr.since
                ELSE {since} END AS stopped
      WITH CASE gone WHEN 'retired' THEN 'supporter_retired'
                     WHEN 'transferred' THEN 'supporter_transferred'
                     ELSE 'supporter_ended' END AS reason, stopped
      RETURN reason ORDER BY stopped DESC,
        CASE reason WHEN 'supporter_retired' THEN 3 WHEN 'supporter_transferred' THEN 2 ELSE 1 END DESC
      LIMIT 1 }}[0], 'no_supporter') END"""


def _chain_ok(nodes: str, k: str) -> str:
    return f"all(x{k} IN {nodes} WHERE NOT x{k}.level IN $chain OR {_covered('x' + k, k)})"


#: The topmost chain-level ancestor above ``root`` without coverage (null when none).
AFTER_ROOT = f"""
CALL (root) {{
  OPTIONAL MATCH q = (root)-[:PART_OF*1..]->(a)
  WHERE all(r_q IN relationships(q) WHERE {rel_on("r_q")})
    AND a.level IN $chain AND NOT {_covered("a", "a")}
  WITH a, length(q) AS d ORDER BY d DESC LIMIT 1
  RETURN a.code AS above
}}"""

#: The households of the groups below the uncovered chain-level units ``broken``, each group
#: counted once.
_CUT = f"""CALL (broken) {{
  UNWIND broken AS b
  MATCH q = (b)<-[:PART_OF*0..]-(g)
  WHERE g.level = $household_level AND all(r_q IN relationships(q) WHERE {rel_on("r_q")})
  WITH DISTINCT g
  RETURN sum(coalesce(g.households, 0)) AS cut
}}"""

#: Per root: each level's units, covered units and households, and the households the chain
#: reaches. Each unit's own coverage is worked out once, in one pass over the subtree; the
#: households cut off are then counted downward from the (few) uncovered chain-level units,
#: instead of checking the ancestors of every household group.
COVERAGE = f"""
UNWIND $codes AS code
MATCH (root:Unit {{code: code}}) WHERE {in_scope_on("root")}
{AFTER_ROOT}
CALL (root) {{
  MATCH p = (root)<-[:PART_OF*0..]-(u)
  WHERE {_path_on("p", "root")}
  WITH u, {_covered("u", "u")} AS covered
  WITH u.level AS level, count(u) AS units, sum(CASE WHEN covered THEN 1 ELSE 0 END) AS covered,
       sum(CASE WHEN u.level = $household_level THEN coalesce(u.households, 0) ELSE 0 END)
         AS households,
       collect(CASE WHEN NOT covered AND u.level IN $chain THEN u END) AS broken
  RETURN collect({{level: level, units: units, covered: covered}}) AS levels,
         sum(households) AS households,
         reduce(acc = [], b IN collect(broken) | acc + b) AS broken
}}
{_CUT}
RETURN code, root AS unit, levels, households,
       CASE WHEN above IS NULL THEN households - cut ELSE 0 END AS reached
"""


#: The coverage of units asked about together, some inside others (a dashboard asks a province,
#: its districts and its communes): each subtree is walked once from the topmost units asked
#: about, each unit's own coverage worked out once, and what it counts goes to every unit asked
#: about above it ($wanted: the codes asked, as a map). Per unit asked about, exactly what
#: COVERAGE answers for it alone: its households are cut off below the uncovered chain-level
#: units inside it, and all of them when one lies above it (in the walk, or above the top).
#: A unit that does not exist on $on is no top (COVERAGE counts nothing under it): the units
#: asked about below it (still hanging from it, an ended parent) walk from themselves.
COVERAGE_NESTED = f"""
UNWIND $codes AS code
MATCH (root:Unit {{code: code}}) WHERE {in_scope_on("root")}
WITH root WHERE {_exists_on("root")}
WITH collect(root) AS roots
UNWIND roots AS root
WITH root, roots
WHERE NOT EXISTS {{
  MATCH q = (root)-[:PART_OF*1..]->(a)
  WHERE a IN roots AND all(r_q IN relationships(q) WHERE {rel_on("r_q")}) }}
{AFTER_ROOT}
CALL (root, roots) {{
  MATCH p = (root)<-[:PART_OF*0..]-(u)
  WHERE {_path_on("p", "root")}
  WITH u, p, {_covered("u", "u")} AS covered
  UNWIND [a IN nodes(p) WHERE $wanted[a.code] IS NOT NULL] AS owner
  WITH owner, u, covered,
       CASE WHEN owner = u THEN
         any(x IN nodes(p)[..-1] WHERE x.level IN $chain AND NOT {_covered("x", "x")})
       END AS cut_above
  WITH owner, u.level AS level, count(u) AS units,
       sum(CASE WHEN covered THEN 1 ELSE 0 END) AS covered,
       sum(CASE WHEN u.level = $household_level THEN coalesce(u.households, 0) ELSE 0 END)
         AS households,
       collect(CASE WHEN NOT covered AND u.level IN $chain THEN u END) AS broken,
       collect(cut_above) AS cut_above
  WITH owner, collect({{level: level, units: units, covered: covered}}) AS levels,
       sum(households) AS households,
       reduce(acc = [], b IN collect(broken) | acc + b) AS broken,
       true IN reduce(acc = [], c IN collect(cut_above) | acc + c) AS cut_above
  WHERE owner IN roots
  {_CUT}
  RETURN owner, levels, households, cut, cut_above
}}
RETURN owner.code AS code, owner AS unit, levels, households,
       CASE WHEN above IS NULL AND NOT cut_above THEN households - cut ELSE 0 END AS reached
"""


def _down_to(start: str, end: str, levels: str) -> str:
    """A path ``p_{end}`` from ``start`` down to ``end`` by links in force on $on, through units
    of the ``levels`` only (a walk stops at the level asked about, never below it)."""
    return (
        f"p_{end} = ({start}) (()<-[r:PART_OF]-(n) WHERE n.level IN {levels} "
        f"AND {rel_on('r')})* ({end})"
    )


#: The gaps at $level under a root: its uncovered units there, each with the reason, and its
#: covered units there below an uncovered chain-level unit, each with the topmost such unit
#: ($upper: the levels above $level; $down: those and $level). Each unit's coverage is worked
#: out once; the chain above is looked at from the (few) uncovered chain-level units down,
#: instead of from every unit up, and no walk goes below $level.
GAPS = f"""
MATCH (root:Unit {{code: $code}}) WHERE {in_scope_on("root")} AND {_exists_on("root")}
{AFTER_ROOT}
CALL (root, above) {{
  MATCH {_down_to("root", "u", "$down")}
  WHERE u.level = $level AND NOT {_covered("u", "u")}
  RETURN u, {_reason("u")} AS reason, null AS broken_at
  UNION
  MATCH {_down_to("root", "u", "$down")}
  WHERE above IS NOT NULL AND u.level = $level AND {_covered("u", "u")}
  RETURN u, 'chain_broken_above' AS reason, above AS broken_at
  UNION
  MATCH {_down_to("root", "x", "$upper")}
  WHERE above IS NULL AND x.level IN $chain AND NOT {_covered("x", "x")}
  WITH x, length(p_x) AS depth
  MATCH {_down_to("x", "u", "$down")}
  WHERE length(p_u) > 0 AND u.level = $level
  WITH u, x, depth ORDER BY depth
  WITH u, collect(x.code)[0] AS broken_at
  WHERE {_covered("u", "u")}
  RETURN u, 'chain_broken_above' AS reason, broken_at
}}
RETURN u, reason, broken_at
ORDER BY u.code
"""

#: The properties a Cadre is made of (graph.stores.neo4j._cadre), without the search key and the
#: status the store keeps for Cypher: a map, lighter to send than the whole node.
_CADRE_FIELDS = ".id, .name, .level, .home_unit, .titles, .history_status, .history_since, .phone"

_SUPPORTING = f"""
CALL (n) {{
  OPTIONAL MATCH (n)<-[s:SUPPORTS]-(c)
  WHERE {_exists_on("n")} AND $rules[n.level] IS NOT NULL AND {_matches("s", "c", "$rules[n.level]")}
    AND {_in_force("s")} AND NOT c.id IN $without AND NOT s.id IN $absent
    AND {_status_on("c")} = 'active'
  WITH c, s ORDER BY s.since, c.id
  RETURN collect(CASE WHEN c IS NULL THEN null
                 ELSE {{cadre: c {{{_CADRE_FIELDS}}}, assignment: properties(s), unit: n.code}} END) AS supporters
}}"""

SUPPORTERS = f"""
UNWIND $codes AS code
MATCH (n:Unit {{code: code}}) WHERE {in_scope_on("n")}
{_SUPPORTING}
RETURN code, supporters
"""

CHAIN = f"""
MATCH (u:Unit {{code: $code}}) WHERE {in_scope_on("u")}
MATCH p = (u)-[:PART_OF*0..]->(top)
WHERE all(r_p IN relationships(p) WHERE {rel_on("r_p")})
  AND NOT EXISTS {{ MATCH (top)-[t:PART_OF]->() WHERE {rel_on("t")} }}
UNWIND range(0, length(p)) AS i
WITH nodes(p)[i] AS n, i WHERE {in_scope_on("n")}
{_SUPPORTING}
RETURN n, supporters ORDER BY i
"""

#: What a cadre reaches: the units they support directly on $on, each unit below them once with
#: its own coverage worked out once, then the units cut off, walked down from the (few)
#: uncovered chain-level units until another unit the cadre supports; the topmost of those
#: are the breaks.
REACH = f"""
MATCH (c:Cadre {{id: $id}}) WHERE {cadre_in_scope("c")}
WITH c, {_status_on("c")} AS status
CALL (c, status) {{
  OPTIONAL MATCH (c)-[s:SUPPORTS]->(d)
  WHERE status = 'active' AND {_in_force("s")} AND {_exists_on("d")} AND {in_scope_on("d")}
    AND $rules[d.level] IS NOT NULL AND {_matches("s", "c", "$rules[d.level]")}
  RETURN collect(DISTINCT d) AS direct
}}
CALL (direct) {{
  UNWIND direct AS d
  MATCH p = (d)<-[:PART_OF*0..]-(u)
  WHERE {_path_on("p", "d")}
  WITH DISTINCT u, direct
  WITH u, NOT u IN direct AND u.level IN $chain AND NOT {_covered("u", "u")} AS bad
  WITH u.level AS level, count(u) AS units,
       sum(CASE WHEN u.level = $household_level THEN coalesce(u.households, 0) ELSE 0 END)
         AS households,
       collect(CASE WHEN bad THEN u END) AS bad
  RETURN collect({{level: level, units: units}}) AS levels, sum(households) AS households,
         reduce(acc = [], b IN collect(bad) | acc + b) AS bad
}}
CALL (direct, bad) {{
  UNWIND bad AS b
  MATCH q = (b)<-[:PART_OF*0..]-(v)
  WHERE all(r_q IN relationships(q) WHERE {rel_on("r_q")})
    AND none(n IN nodes(q)[1..] WHERE n IN direct)
  WITH v, max(length(q)) > 0 AS under
  WITH v.level AS level, count(v) AS units,
       sum(CASE WHEN v.level = $household_level THEN coalesce(v.households, 0) ELSE 0 END)
         AS households,
       collect(CASE WHEN under THEN v.code END) AS under
  RETURN collect({{level: level, units: units}}) AS cut, sum(households) AS cut_households,
         reduce(acc = [], c IN collect(under) | acc + c) AS under
}}
RETURN c, status, direct, levels, cut, households - cut_households AS households,
       [b IN bad WHERE NOT b.code IN under | {{unit: b, reason: {_reason("b")}}}] AS broken
"""

_HOUSEHOLDS_BELOW = f"""
CALL (u) {{
  MATCH q = (u)<-[:PART_OF*0..]-(g)
  WHERE g.level = $household_level AND {_path_on("q", "u")}
  RETURN sum(coalesce(g.households, 0)) AS households
}}"""

_LOAD_ITEMS = f"""
CALL (c) {{
  OPTIONAL MATCH (c)-[s:SUPPORTS]->(u)
  WHERE {_in_force("s")} AND {_exists_on("u")} AND {in_scope_on("u")}
  WITH s, u WHERE u IS NOT NULL
  WITH s, u, [r IN $all_rules WHERE u.level = r.unit_level AND {_matches("s", "c", "r")} | r.id] AS matched
  WHERE size(matched) > 0
  {_HOUSEHOLDS_BELOW}
  RETURN collect({{unit: u.code, rules: matched, households: households}}) AS items
}}"""

LOAD = f"""
MATCH (root:Unit {{code: $code}}) WHERE {in_scope_on("root")}
MATCH p = (root)<-[:PART_OF*0..]-(home)
WHERE ($level IS NULL OR home.level = $level) AND {_path_on("p", "root")}
MATCH (home)<-[:WORKS_IN]-(c)
WHERE {_status_on("c")} = 'active'
{_LOAD_ITEMS}
RETURN c, items
"""

LOADS_OF = f"""
UNWIND $ids AS id
MATCH (c:Cadre {{id: id}}) WHERE {cadre_in_scope("c")}
{_LOAD_ITEMS}
RETURN c, items
"""

#: Each unit's ancestors, parent first, by the links in force on $on (the latest when null).
ANCESTORS = f"""
UNWIND $codes AS code MATCH (u:Unit {{code: code}}) WHERE {in_scope("u")}
OPTIONAL MATCH p = (u)-[:PART_OF*1..]->(top)
WHERE all(r_p IN relationships(p) WHERE {rel_on("r_p")})
  AND CASE WHEN $scope IS NULL
      THEN NOT EXISTS {{ MATCH (top)-[t:PART_OF]->() WHERE {rel_on("t")} }}
      ELSE top.code = $scope OR top.code IN $scope_tops END
WITH code, p ORDER BY length(p) DESC
WITH code, collect(p)[0] AS p
RETURN code, CASE WHEN p IS NULL THEN [] ELSE tail(nodes(p)) END AS above
"""

SEARCH = f"""
CALL () {{
  MATCH (u:Unit) WHERE (u.name_folded CONTAINS $key OR u.names_folded CONTAINS $key)
    AND {in_scope("u")}
  RETURN u AS n, 'unit' AS kind, $depth[u.level] AS depth, u.code AS key,
         coalesce(u.names_folded, u.name_folded) AS name
  UNION ALL
  MATCH (c:Cadre) WHERE c.name_folded CONTAINS $key AND {cadre_in_scope("c")}
  RETURN c AS n, 'cadre' AS kind, $cadre_depth AS depth, c.id AS key, c.name_folded AS name
}}
WITH n, kind, depth, key,
     CASE WHEN name = $key THEN 0
          WHEN name STARTS WITH $key OR name ENDS WITH ' ' + $key
               OR (' ' + name + ' ') CONTAINS (' ' + $key + ' ') THEN 1
          WHEN name CONTAINS ' ' + $key THEN 2
          ELSE 3 END AS rank
RETURN n, kind ORDER BY rank, depth, key LIMIT $limit
"""

#: Schema migrations, applied in order once each; the version is kept on the (:NamgraphMeta) node.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE CONSTRAINT unit_code IF NOT EXISTS FOR (u:Unit) REQUIRE u.code IS UNIQUE",
        "CREATE CONSTRAINT cadre_id IF NOT EXISTS FOR (c:Cadre) REQUIRE c.id IS UNIQUE",
        "CREATE INDEX unit_level IF NOT EXISTS FOR (u:Unit) ON (u.level)",
        "CREATE TEXT INDEX unit_name_folded IF NOT EXISTS FOR (u:Unit) ON (u.name_folded)",
        "CREATE TEXT INDEX cadre_name_folded IF NOT EXISTS FOR (c:Cadre) ON (c.name_folded)",
        "CREATE INDEX supports_id IF NOT EXISTS FOR ()-[s:SUPPORTS]-() ON (s.id)",
        "CREATE CONSTRAINT meta_key IF NOT EXISTS FOR (m:NamgraphMeta) REQUIRE m.key IS UNIQUE",
    ),
    (  # 2: reshuffle plans and the record of applied ones
        "CREATE CONSTRAINT reshuffle_id IF NOT EXISTS FOR (r:Reshuffle) REQUIRE r.id IS UNIQUE",
    ),
    (  # 3: dated PART_OF links; a graph from before had one undated link per unit
        "MATCH ()-[r:PART_OF]->() WHERE r.latest IS NULL SET r.latest = true",
    ),
    (  # 4: meetings and attendance (graph/activity.py)
        "CREATE CONSTRAINT meeting_id IF NOT EXISTS FOR (m:Meeting) REQUIRE m.id IS UNIQUE",
        "CREATE INDEX attended_key IF NOT EXISTS FOR ()-[a:ATTENDED]-() ON (a.key)",
        "CREATE CONSTRAINT petition_id IF NOT EXISTS FOR (p:Petition) REQUIRE p.id IS UNIQUE",
    ),
)

#: What Neo4j's offline importer cannot carry, made again on a graph it loaded (see
#: ``Neo4jStore._finish_import``): it reads an empty field as no property, so an empty list, or
#: a list of one empty text, arrives missing. Each list is as long as its companion that is never
#: empty (the dates of a unit's earlier versions, its successors' codes), and a cadre's titles and
#: history are lists even when empty. Run as autocommit statements, 10,000 nodes a transaction.
IMPORT_FILLS: tuple[str, ...] = tuple(
    f"MATCH (n:{label}) WHERE n.{key} IS NOT NULL AND n.{name} IS NULL "
    f"CALL (n) {{ SET n.{name} = [x IN n.{key} | ''] }} IN TRANSACTIONS OF 10000 ROWS"
    for label, key, name in (
        ("Unit", "earlier_from", "earlier_name"),
        ("Unit", "earlier_from", "earlier_kind"),
        ("Unit", "earlier_from", "earlier_parent"),
        ("Unit", "earlier_from", "earlier_decision"),
        ("Unit", "successor_code", "successor_resolution"),
    )
) + tuple(
    f"MATCH (n:Cadre) WHERE n.{name} IS NULL "
    f"CALL (n) {{ SET n.{name} = [] }} IN TRANSACTIONS OF 10000 ROWS"
    for name in ("titles", "history_status", "history_since")
)


#: The deepest tree (``Neo4jStore.tree``) one statement reads: province to household group.
TREE_DEPTH = 4
#: A unit, and the units below it down to a depth, by parent: for each depth its own text (the
#: depth is a bound of the pattern, never a parameter), from these constants alone.
TREE: dict[int, str] = {
    depth: (
        f"MATCH (root:Unit {{code: $code}}) WHERE {in_scope('root')} "
        + (
            "WITH root, root AS p "
            if depth == 1
            else f"OPTIONAL MATCH (root) (()<-[r:PART_OF]-() WHERE {rel_on('r')}){{0,{depth - 1}}} "
            "(p) WITH DISTINCT root, p "
        )
        + f"OPTIONAL MATCH (p)<-[c:PART_OF]-(u) WHERE {rel_on('c')} "
        "WITH root, p, u ORDER BY u.code "
        "RETURN root, p.code AS code, collect(u) AS units"
    )
    for depth in range(1, TREE_DEPTH + 1)
}

#: The fragments above, for the other modules' Cypher (graph/stores/neo4j_activity.py).
exists_on = _exists_on
in_force = _in_force
matches = _matches
path_on = _path_on
status_on = _status_on
