"""Meetings and attendance (:mod:`graph.activity`) in Neo4j: their Cypher and their rows.

As analysts see them in Neo4j Browser::

    (:Meeting {id, unit, on, kind, note})-[:HELD_AT]->(:Unit)
    (:Cadre)-[:ATTENDED {key, present, reason}]->(:Meeting)
    (:Petition {id, unit, raised, received_by, kind, text, handover_cadres, handover_dates,
                answered, closed})-[:RAISED_AT]->(:Unit)
    (:Cadre)-[:HANDLED {step, on}]->(:Petition)    step 0: received; 1, 2, ...: passed on

Every value travels as a parameter; the texts below are constants. As in
:mod:`graph.stores.neo4j_cypher`, every walk starts at a node already bound (a unit, a cadre, a
key's index) and leaves the far end unlabelled: a labelled far end lets the planner start from
every meeting of a label (and after a bulk load, with stale statistics, it did: minutes).
"""

from __future__ import annotations

from typing import Any

from graph.activity import MOST_BELOW, Attendance, Handover, Meeting, Petition
from graph.stores.neo4j_cypher import (
    exists_on,
    in_force,
    in_scope,
    in_scope_on,
    matches,
    path_on,
    rel_on,
    status_on,
)

__all__ = [
    "ABSENT",
    "ATTENDANCE",
    "ATTENDANCES",
    "ATTENDED",
    "MEETINGS",
    "MEETINGS_AT",
    "MEETINGS_BY_ID",
    "PETITIONS",
    "PETITIONS_AT",
    "PETITIONS_BY_ID",
    "PETITIONS_OF",
    "UNCREATE",
    "attendance",
    "attendance_row",
    "meeting",
    "meeting_row",
    "petition",
    "petition_row",
]

#: Write meetings: each hangs from its unit (moved when a reload gives it another).
MEETINGS = (
    "UNWIND $rows AS row MERGE (m:Meeting {id: row.id}) SET m = row "
    "WITH m, row OPTIONAL MATCH (m)-[old:HELD_AT]->() DELETE old "
    "WITH DISTINCT m, row MATCH (u:Unit {code: row.unit}) USING INDEX SEEK u:Unit(code) "
    "MERGE (m)-[:HELD_AT]->(u)"
)
#: Write attendance rows: one ATTENDED link per cadre and meeting, replaced on a reload.
ATTENDANCE = (
    "UNWIND $rows AS row OPTIONAL MATCH ()-[old:ATTENDED {key: row.key}]->() "
    "USING INDEX SEEK old:ATTENDED(key) DELETE old "
    "WITH DISTINCT row MATCH (c:Cadre {id: row.cadre}), (m:Meeting {id: row.meeting}) "
    "USING INDEX SEEK c:Cadre(id) USING INDEX SEEK m:Meeting(id) "
    "CREATE (c)-[:ATTENDED {key: row.key, present: row.present, reason: row.reason}]->(m)"
)
#: Write petitions: each hangs from its unit, and links the cadres who handled it.
PETITIONS = (
    "UNWIND $rows AS row MERGE (p:Petition {id: row.id}) SET p = row "
    "WITH p, row OPTIONAL MATCH (p)-[old:RAISED_AT]->() DELETE old "
    "WITH DISTINCT p, row OPTIONAL MATCH (p)<-[old:HANDLED]-() DELETE old "
    "WITH DISTINCT p, row MATCH (u:Unit {code: row.unit}) USING INDEX SEEK u:Unit(code) "
    "MERGE (p)-[:RAISED_AT]->(u) "
    "WITH p, row UNWIND range(0, size(row.handover_cadres)) AS step "
    "MATCH (c:Cadre {id: CASE step WHEN 0 THEN row.received_by "
    "ELSE row.handover_cadres[step - 1] END}) USING INDEX SEEK c:Cadre(id) "
    "CREATE (c)-[:HANDLED {step: step, on: CASE step WHEN 0 THEN row.raised "
    "ELSE row.handover_dates[step - 1] END}]->(p)"
)
#: What a write in parts created, deleted again: attendance, meetings, petitions.
UNCREATE = (
    "UNWIND $rows AS row OPTIONAL MATCH ()-[a:ATTENDED {key: row.id}]->() "
    "USING INDEX SEEK a:ATTENDED(key) DELETE a",
    "UNWIND $rows AS row MATCH (m:Meeting {id: row.id}) USING INDEX SEEK m:Meeting(id) "
    "DETACH DELETE m",
    "UNWIND $rows AS row MATCH (p:Petition {id: row.id}) USING INDEX SEEK p:Petition(id) "
    "DETACH DELETE p",
)

MEETINGS_BY_ID = f"""
UNWIND $ids AS id
MATCH (m:Meeting {{id: id}})-[:HELD_AT]->(u) WHERE {in_scope("u")}
RETURN m, u
"""

ATTENDANCES = f"""
UNWIND $keys AS key
MATCH (c)-[a:ATTENDED {{key: key}}]->(m)-[:HELD_AT]->(u) WHERE {in_scope("u")}
RETURN a, c.id AS cadre, m, u
"""

MEETINGS_AT = f"""
UNWIND $codes AS code
MATCH (u:Unit {{code: code}})<-[:HELD_AT]-(m)
WHERE m.on >= $start AND m.on < $end AND {in_scope("u")}
RETURN m, u ORDER BY m.on, m.id
"""

ATTENDED = f"""
UNWIND $ids AS id
MATCH (c:Cadre {{id: id}})-[a:ATTENDED]->(m)-[:HELD_AT]->(u)
WHERE m.on >= $start AND m.on < $end AND {in_scope("u")}
RETURN c.id AS cadre, a, m, u ORDER BY m.on, m.id
"""


PETITIONS_BY_ID = f"""
UNWIND $ids AS id
MATCH (p:Petition {{id: id}})-[:RAISED_AT]->(u) WHERE {in_scope("u")}
RETURN p, u
"""

PETITIONS_AT = f"""
UNWIND $codes AS code
MATCH (u:Unit {{code: code}})<-[:RAISED_AT]-(p)
WHERE p.raised >= $start AND p.raised < $end AND {in_scope("u")}
RETURN p, u ORDER BY p.raised, p.id
"""

PETITIONS_OF = f"""
UNWIND $ids AS id
MATCH (c:Cadre {{id: id}})-[:HANDLED]->(p)-[:RAISED_AT]->(u)
WHERE p.raised >= $start AND p.raised < $end AND {in_scope("u")}
WITH DISTINCT c, p, u
RETURN c.id AS cadre, p, u ORDER BY p.raised, p.id
"""


def _link_on(r: str, day: str) -> str:
    return (
        f"(({r}.valid_from IS NULL OR {r}.valid_from <= {day}) "
        f"AND ({r}.valid_to IS NULL OR {day} < {r}.valid_to))"
    )


#: The assignments of absent supporters (graph.presence) under $code on $on: each assignment in
#: force that counts for coverage, in the subtree and in the chain above, made by $start (the
#: period's first day), whose cadre attended no meeting of the presence rule's kinds, held in
#: [$start, $end) at the unit or up to the rule's `below` levels under it by the links of the
#: meeting's day ($presence: per level, below and kinds).
ABSENT = f"""
MATCH (root:Unit {{code: $code}}) WHERE {in_scope_on("root")} AND {exists_on("root")}
CALL (root) {{
  MATCH p = (root)<-[:PART_OF*0..]-(u) WHERE {path_on("p", "root")}
  RETURN u
  UNION
  MATCH q = (root)-[:PART_OF*1..]->(u)
  WHERE u.level IN $chain AND all(r_q IN relationships(q) WHERE {rel_on("r_q")})
  RETURN u
}}
WITH u, $rules[u.level] AS rule, $presence[u.level] AS pr
WHERE rule IS NOT NULL
MATCH (u)<-[s:SUPPORTS]-(c)
WHERE {matches("s", "c", "rule")} AND {in_force("s")} AND s.since <= $start
  AND {status_on("c")} = 'active'
  AND NOT EXISTS {{
    MATCH (c)-[a:ATTENDED]->(m)-[:HELD_AT]->(x)
    WHERE a.present AND m.on >= $start AND m.on < $end
      AND (size(pr.kinds) = 0 OR m.kind IN pr.kinds) AND {in_scope("x")}
      AND (x = u OR (pr.below > 0 AND EXISTS {{
        MATCH h = (x)-[:PART_OF*1..{MOST_BELOW}]->(u)
        WHERE length(h) <= pr.below AND all(r_h IN relationships(h) WHERE {_link_on("r_h", "m.on")})
      }}))
  }}
RETURN DISTINCT s.id AS id
"""


def petition_row(p: Petition) -> dict[str, Any]:
    return {
        "id": p.id,
        "unit": p.unit,
        "raised": p.raised,
        "received_by": p.received_by,
        "kind": p.kind,
        "text": p.text,
        "handover_cadres": [h.cadre for h in p.handovers],
        "handover_dates": [h.on for h in p.handovers],
        "answered": p.answered,
        "closed": p.closed,
    }


def petition(props: Any) -> Petition:
    def day(value: Any) -> Any:
        return value.to_native() if value is not None else None

    handovers = tuple(
        Handover(cadre, on.to_native())
        for cadre, on in zip(
            props.get("handover_cadres") or [], props.get("handover_dates") or [], strict=True
        )
    )
    return Petition(
        props["id"],
        props["unit"],
        props["raised"].to_native(),
        props["received_by"],
        props["kind"],
        props.get("text") or "",
        handovers,
        day(props.get("answered")),
        day(props.get("closed")),
    )


def meeting_row(m: Meeting) -> dict[str, Any]:
    return {"id": m.id, "unit": m.unit, "on": m.on, "kind": m.kind, "note": m.note}


def attendance_row(a: Attendance) -> dict[str, Any]:
    return {
        "key": a.key,
        "meeting": a.meeting,
        "cadre": a.cadre,
        "present": a.present,
        "reason": a.reason,
    }


def meeting(props: Any) -> Meeting:
    return Meeting(
        props["id"], props["unit"], props["on"].to_native(), props["kind"], props["note"]
    )


def attendance(props: Any, cadre: str, meeting_id: str) -> Attendance:
    return Attendance(meeting_id, cadre, bool(props["present"]), props.get("reason") or "")
