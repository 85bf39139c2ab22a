"""Carry the chain across a reorganisation of the map, as an ordinary reshuffle plan.

After the lists and merge files of a date D are loaded, the chain still hangs on the old map:
provincial cadres support communes that were merged, district cadres support hamlets although
districts are gone. ``nam reshuffle plan --reorganisation D`` puts every assignment in force on
the day before D in exactly one place:

- **continue**: its unit lives on and the policy in force on D still allows it;
- **carried**: its unit was merged into one successor that the policy lets the cadre support:
  it ends on D and the same cadre, in the same role, supports the successor from D (its decision
  names the original decision and the carrying one; the original start stays on the ended
  record, so questions about earlier dates are unchanged); two carried into the same unit, or
  one already held, collapse into one;
- **ended** with a reason: ``unit_dissolved`` (the unit ended with no successor the cadre may
  support, or the cadre's level is gone from the policy) or ``not_in_policy`` (the policy in
  force on D has no rule for it);
- **needs a decision**: the unit was split between several successors, or ended with none;
  these rows stay listed (``--out FILE`` writes them as a reshuffle file to edit) until a later
  plan settles them.

A cadre whose home unit ended moves with a merge to a successor of the same level; one whose
home unit has none is listed as needing a decision. The plan is kept, previewed and applied
like any reshuffle, with the same stale-plan guard.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from graph.model import Assignment, Cadre, Unit
from graph.scope import ACCESS_KEY
from graph.stores.port import ChangeSet, GraphStore, need_unit_on
from loaders.columns import RESHUFFLE
from loaders.plan import make_plan
from loaders.records import assignment_id
from loaders.reshuffle import _now, _user, plan_body, preview, scope_digest

__all__ = ["decisions_csv", "plan_reorganisation"]


def plan_reorganisation(
    store: GraphStore,
    on: date,
    scope: str | None = None,
    decision: str = "",
    by: str | None = None,
) -> dict[str, Any]:
    """Plan, preview and keep the move of the chain onto the map of ``on``."""
    before = on - timedelta(days=1)
    policy = store.policy_on(on)
    chosen = decision or f"sắp xếp lại đơn vị hành chính từ {on.day}/{on.month}/{on.year}"
    roots = [need_unit_on(store, scope, on).code] if scope else _tops(store, on)
    units = _considered(store, roots, on, before)
    held = [
        a
        for group in store.assignments_at(list(units)).values()
        for a in group
        if a.in_force_on(before) and (a.until is None or a.until > on)
    ]
    held = sorted({a.id: a for a in held}.values(), key=lambda a: a.id)
    working = {c.id: c for c in store.cadres_of(list(units))}
    cadre_ids = sorted({a.cadre for a in held} | set(working))
    cadres = {**working, **store.cadres(sorted({a.cadre for a in held} - set(working)))}
    homes = store.units({c.home_unit for c in cadres.values()})
    mine = {
        a.id: a for group in store.assignments_of(cadre_ids).values() for a in group
    }  # to collapse carried ones into what a cadre already holds
    held_keys = {(a.cadre, a.unit, a.role) for a in mine.values() if a.in_force_on(on)}

    ended: list[Assignment] = []
    started: dict[str, Assignment] = {}
    rows: dict[str, list[dict[str, Any]]] = {
        "continue": [],
        "carried": [],
        "ended": [],
        "undecided": [],
    }
    for a in held:
        cadre, unit = cadres.get(a.cadre), units.get(a.unit)
        if cadre is None or unit is None:
            continue
        level_gone = not policy.has_level(cadre.level)
        if unit.exists_on(on):
            if policy.rules_for(cadre, a.role, unit.level):
                rows["continue"].append({"assignment": a.id})
                continue
            reason = "unit_dissolved" if level_gone else "not_in_policy"
            ended.append(_end(a, on, chosen, reason))
            rows["ended"].append({"assignment": a.id, "reason": reason})
            continue
        into = [s for s in unit.successors if s.on <= on]
        if len(into) != 1:
            why = "split" if into else "no_successor"
            rows["undecided"].append(
                {
                    "assignment": a.id,
                    "cadre": a.cadre,
                    "unit": a.unit,
                    "role": a.role,
                    "why": why,
                    "successors": [s.code for s in into],
                }
            )
            continue
        target = units.get(into[0].code) or store.unit(into[0].code)
        if target is None or level_gone or not policy.rules_for(cadre, a.role, target.level):
            ended.append(_end(a, on, chosen, "unit_dissolved"))
            rows["ended"].append({"assignment": a.id, "reason": "unit_dissolved"})
            continue
        ended.append(_end(a, on, chosen, "carried"))
        key = (a.cadre, target.code, a.role)
        if key in held_keys:
            rows["carried"].append({"assignment": a.id, "to": target.code, "collapsed": True})
            continue
        held_keys.add(key)
        new = Assignment(
            assignment_id(a.cadre, target.code, a.role, on),
            a.cadre,
            target.code,
            a.role,
            on,
            None,
            f"{a.decision}; chuyển theo {chosen}" if a.decision else chosen,
        )
        started[new.id] = new
        rows["carried"].append({"assignment": a.id, "to": target.code, "collapsed": False})

    moved: list[Cadre] = []
    statuses: list[dict[str, Any]] = []
    for cadre in sorted(cadres.values(), key=lambda c: c.id):
        home = homes.get(cadre.home_unit)
        if home is None or home.exists_on(on):
            continue
        into = [s for s in home.successors if s.on <= on]
        successor = store.unit(into[0].code) if len(into) == 1 else None
        if successor is not None and successor.level == home.level:
            moved.append(replace(cadre, home_unit=successor.code))
            statuses.append(
                {
                    "cadre": cadre.id,
                    "name": cadre.name,
                    "from": f"home {home.code}",
                    "to": f"home {successor.code}",
                }
            )
        else:
            rows["undecided"].append(
                {
                    "cadre": cadre.id,
                    "why": "home_unit_ended",
                    "unit": home.code,
                    "successors": [s.code for s in into],
                }
            )

    changes = ChangeSet(
        cadres=moved, assignments=sorted([*ended, *started.values()], key=lambda a: a.id)
    )
    checked = make_plan(store, cadres=changes.cadres, assignments=changes.assignments, on=on)
    previews = preview(store, changes, roots, on) if len(changes) and scope else []
    reads = {
        "cadres": cadre_ids,
        "units": sorted(units),
        "homes": [],
        "unit_records": sorted(units),
    }
    digest = scope_digest(store, reads)
    plan_key = ["reorganisation", on.isoformat(), chosen, scope, digest, store.scope]
    plan_id = hashlib.sha256(json.dumps(plan_key).encode()).hexdigest()[:16]
    document: dict[str, Any] = {
        "id": plan_id,
        "file": f"reorganisation {on.isoformat()}" + (f" of {scope}" if scope else ""),
        "file_hash": "",
        "kind": "reorganisation",
        "decision": chosen,
        "effective": on.isoformat(),
        "scope": scope,
        ACCESS_KEY: store.scope,
        "made_at": _now(),
        "made_by": by or _user(),
        "policy": policy.id,
        "summary": {
            "end": len(ended),
            "start": len(started),
            "continue": len(rows["continue"]),
            "status": len(statuses),
            "carried": len(rows["carried"]),
            "ended_with_reason": len(rows["ended"]),
            "undecided": len(rows["undecided"]),
            "errors": len(checked.problems),
            "warnings": len(checked.warnings),
        },
        **plan_body(ended, started.values(), statuses, checked, previews, changes),
        "reorganisation": rows,
        "reads": reads,
        "digest": digest,
    }
    store.save_plan(plan_id, document)
    return document


def decisions_csv(document: dict[str, Any], on: date) -> str:
    """The rows of a reorganisation plan that need a decision, as a reshuffle file to edit: each
    proposes ending the assignment; change the action to "chuyển" and fill in "Đến đơn vị" to
    move it instead, then `nam reshuffle plan` the file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.header for column in RESHUFFLE.columns])
    day = f"{on.day}/{on.month}/{on.year}"
    for row in document["reorganisation"]["undecided"]:
        if "assignment" not in row:
            continue
        successors = row.get("successors") or []
        writer.writerow(
            [
                "kết thúc",
                row["cadre"],
                row["unit"],
                successors[0] if successors else "",
                row["role"],
                day,
                document["decision"],
            ]
        )
    return buffer.getvalue()


def _end(a: Assignment, on: date, decision: str, reason: str) -> Assignment:
    why = f"{decision} ({reason})"
    return replace(a, until=on, decision=f"{a.decision}; {why}" if a.decision else why)


def _tops(store: GraphStore, on: date) -> list[str]:
    top = store.policy_on(on).top_level
    return [u.code for u in store.units_at_levels([top]) if u.exists_on(on)]


def _considered(store: GraphStore, roots: list[str], on: date, before: date) -> dict[str, Unit]:
    """The units under ``roots`` on ``on``, the units merged into them, and what lay below
    those on the day before."""
    found: dict[str, Unit] = {}
    frontier = list(roots)
    for code, unit in store.units(roots).items():
        found[code] = unit
    while frontier:
        below = store.children_of(frontier, on)
        frontier = [u.code for units in below.values() for u in units if u.code not in found]
        found.update(store.units(frontier))
    merged = store.predecessors_of(list(found))
    old = {u.code: u for group in merged.values() for u in group if u.code not in found}
    frontier = list(old)
    while frontier:
        found.update(store.units(frontier))
        below = store.children_of(frontier, before)
        frontier = [u.code for units in below.values() for u in units if u.code not in found]
    return found
