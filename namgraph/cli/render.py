"""Answers as JSON-ready dicts (``--json``) and as tables for people."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from graph.answers import ChainLink, Changes, Coverage, Gap, Load, Reach, WhatIf
from graph.documents import assignment_dict as assignment_dict
from graph.documents import cadre_dict as cadre_dict
from graph.documents import coverage_dict as coverage_dict
from graph.documents import unit_dict as unit_dict
from graph.documents import unit_now as unit_now
from graph.policy import Policy


def gap_dict(g: Gap) -> dict[str, Any]:
    return {"unit": unit_dict(g.unit), "reason": str(g.reason), "broken_at": g.broken_at}


def chain_dict(link: ChainLink) -> dict[str, Any]:
    return {
        "unit": unit_dict(link.unit),
        "rule": link.rule,
        "in_chain": link.in_chain,
        "covered": link.covered,
        "supporters": [
            {
                **cadre_dict(s.cadre),
                "phone": s.cadre.phone,
                "role": s.assignment.role,
                "since": s.assignment.since.isoformat(),
                "decision": s.assignment.decision,
            }
            for s in link.supporters
        ],
    }


def reach_dict(r: Reach) -> dict[str, Any]:
    return {
        "cadre": cadre_dict(r.cadre),
        "as_of": r.as_of.isoformat(),
        "status": str(r.status) if r.status else None,
        "direct": [unit_dict(u) for u in r.direct],
        "levels": [
            {"level": lr.level, "units": lr.units, "reached": lr.reached} for lr in r.levels
        ],
        "households": r.households,
        "breaks": [gap_dict(g) for g in r.breaks],
    }


def load_dict(item: Load) -> dict[str, Any]:
    return {
        "cadre": cadre_dict(item.cadre),
        "units": item.units,
        "households": item.households,
        "max_units": item.max_units,
        "overloaded": item.overloaded,
    }


def whatif_dict(w: WhatIf) -> dict[str, Any]:
    return {
        "cadres": [cadre_dict(c) for c in w.cadres],
        "on": w.on.isoformat(),
        "before": coverage_dict(w.before),
        "after": coverage_dict(w.after),
        "households_lost": w.households_lost,
        "lost": [
            {"unit": unit_dict(t.unit), "candidates": [load_dict(c) for c in t.candidates]}
            for t in w.lost
        ],
    }


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def coverage_table(c: Coverage, policy: Policy, note: str = "") -> Table:
    title = f"Coverage of {c.unit.code} {c.unit.name} on {c.as_of}"
    table = Table(title=f"{title} ({note})" if note else title)
    for name in ("level", "units", "covered", "ratio"):
        table.add_column(name, justify="left" if name == "level" else "right")
    for lc in c.levels:
        table.add_row(policy.level(lc.level).label, str(lc.units), str(lc.covered), pct(lc.ratio))
    table.add_section()
    table.add_row(
        "households (end to end)", str(c.households), str(c.households_reached), pct(c.ratio)
    )
    return table


def preview_table(p: dict[str, Any]) -> Table:
    """One scope of a reshuffle plan's preview: coverage before and after, what changes."""
    scope = p["scope"]
    table = Table(
        "level",
        "before",
        "after",
        title=f"Preview: {scope['code']} {scope['name']}",
        caption=_preview_caption(p),
        caption_justify="left",
    )
    for was, now in zip(p["before"]["levels"], p["after"]["levels"], strict=True):
        table.add_row(
            was["level"],
            f"{was['covered']}/{was['units']}",
            f"{now['covered']}/{now['units']}",
        )
    table.add_row(
        "households reached",
        f"{p['before']['households_reached']:,}",
        f"{p['after']['households_reached']:,}",
    )
    return table


def _preview_caption(p: dict[str, Any]) -> str:
    lines = []
    for lost in p["lost"]:
        unit = lost["unit"]
        names = ", ".join(
            f"{c['cadre']} {c['name']} (carries {c['units']})" for c in lost["candidates"]
        )
        lines.append(
            f"loses coverage: {unit['code']} {unit['name']} ({unit['level']}); "
            f"could take over: {names or 'nobody'}"
        )
    if p["broken"]:
        counts = ", ".join(f"{level} {n}" for level, n in p["broken"].items())
        lines.append(f"newly below a broken chain: {counts}")
    for unit in p["gained"]:
        lines.append(f"gains coverage: {unit['code']} {unit['name']} ({unit['level']})")
    return "\n".join(lines) or "no unit loses or gains coverage"


def changes_dict(c: Changes) -> dict[str, Any]:
    return {
        "unit": unit_dict(c.unit),
        "from": c.start.isoformat(),
        "to": c.end.isoformat(),
        "started": [assignment_dict(a) for a in c.started],
        "ended": [assignment_dict(a) for a in c.ended],
        "statuses": [
            {"cadre": cadre_dict(cadre), "status": str(status), "since": since.isoformat()}
            for cadre, status, since in c.statuses
        ],
        "units": [unit_dict(u) for u in c.units],
    }
