"""Records and answers as JSON-ready dicts: the CLI's ``--json`` and the documents the
store keeps (reshuffle plans) share them."""

from __future__ import annotations

from typing import Any

from graph.answers import Coverage
from graph.model import Assignment, Cadre, Unit

__all__ = ["assignment_dict", "cadre_dict", "coverage_dict", "unit_dict", "unit_now"]


def unit_dict(u: Unit) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": u.code,
        "name": u.name,
        "level": u.level,
        "kind": u.kind,
        "parent": u.parent,
        "households": u.households,
        "valid_from": u.valid_from.isoformat() if u.valid_from else None,
        "valid_to": u.valid_to.isoformat() if u.valid_to else None,
    }
    if u.earlier:
        out["former_names"] = sorted({v.name for v in u.earlier} - {u.name})
    if u.successors:
        out["successors"] = [
            {"code": m.code, "on": m.on.isoformat(), "resolution": m.resolution}
            for m in u.successors
        ]
    return out


def unit_now(u: Unit) -> str:
    """What became of a unit, in a few words: ended (into what), or its former names.

    >>> from datetime import date
    >>> from graph.model import Succession
    >>> unit_now(Unit("28757", "Phường Phú Tân", "commune", valid_to=date(2025, 7, 1),
    ...      successors=(Succession("28756", date(2025, 7, 1)),)))
    'ended 2025-07-01, into 28756'
    """
    if u.ended is not None:
        into = ", ".join(m.code for m in u.successors)
        return f"ended {u.ended}" + (f", into {into}" if into else "")
    former = sorted({v.name for v in u.earlier} - {u.name})
    return f"formerly {', '.join(former)}" if former else ""


def cadre_dict(c: Cadre) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "level": c.level,
        "home_unit": c.home_unit,
        "titles": list(c.titles),
        "status": str(c.status),
        "status_since": c.status_since.isoformat() if c.status_since else None,
    }


def coverage_dict(c: Coverage) -> dict[str, Any]:
    return {
        "unit": unit_dict(c.unit),
        "as_of": c.as_of.isoformat(),
        "levels": [
            {"level": lc.level, "units": lc.units, "covered": lc.covered, "ratio": lc.ratio}
            for lc in c.levels
        ],
        "households": c.households,
        "households_reached": c.households_reached,
        "ratio": c.ratio,
    }


def assignment_dict(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "cadre": a.cadre,
        "unit": a.unit,
        "role": a.role,
        "since": a.since.isoformat(),
        "until": a.until.isoformat() if a.until else None,
        "decision": a.decision,
    }
