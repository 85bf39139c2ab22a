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
from graph.i18n import _, day, number, percent
from graph.policy import Policy
from namgraph.reports.labels import level_name as level_name
from namgraph.reports.labels import reason_name as reason_name
from namgraph.reports.labels import role_name as role_name
from namgraph.reports.labels import status_name as status_name


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
    return percent(value)


def coverage_table(c: Coverage, policy: Policy, note: str = "") -> Table:
    title = _("Coverage of {code} {name} on {date}").format(
        code=c.unit.code, name=c.unit.name, date=day(c.as_of)
    )
    table = Table(title=f"{title} ({note})" if note else title)
    table.add_column(_("level"))
    for name in (_("units"), _("covered"), _("ratio")):
        table.add_column(name, justify="right")
    for lc in c.levels:
        table.add_row(
            level_name(policy, lc.level), number(lc.units), number(lc.covered), pct(lc.ratio)
        )
    table.add_section()
    table.add_row(
        _("households (end to end)"),
        number(c.households),
        number(c.households_reached),
        pct(c.ratio),
    )
    return table


def preview_table(p: dict[str, Any], policy: Policy | None = None) -> Table:
    """One scope of a reshuffle plan's preview: coverage before and after, what changes."""
    scope = p["scope"]
    table = Table(
        _("level"),
        _("before"),
        _("after"),
        title=_("Preview: {code} {name}").format(code=scope["code"], name=scope["name"]),
        caption=_preview_caption(p, policy),
        caption_justify="left",
    )
    for was, now in zip(p["before"]["levels"], p["after"]["levels"], strict=True):
        table.add_row(
            _level(policy, was["level"]),
            f"{number(was['covered'])}/{number(was['units'])}",
            f"{number(now['covered'])}/{number(now['units'])}",
        )
    table.add_row(
        _("households reached"),
        number(p["before"]["households_reached"]),
        number(p["after"]["households_reached"]),
    )
    return table


def _level(policy: Policy | None, level_id: str) -> str:
    return level_id if policy is None else level_name(policy, level_id)


def _preview_caption(p: dict[str, Any], policy: Policy | None) -> str:
    lines = []
    for lost in p["lost"]:
        unit = lost["unit"]
        names = ", ".join(
            _("{id} {name} (carries {n})").format(id=c["cadre"], name=c["name"], n=c["units"])
            for c in lost["candidates"]
        )
        lines.append(
            _("loses coverage: {code} {name} ({level}); could take over: {names}").format(
                code=unit["code"],
                name=unit["name"],
                level=_level(policy, unit["level"]),
                names=names or _("nobody"),
            )
        )
    if p["broken"]:
        counts = ", ".join(f"{_level(policy, level)} {n}" for level, n in p["broken"].items())
        lines.append(_("newly below a broken chain: {counts}").format(counts=counts))
    for unit in p["gained"]:
        lines.append(
            _("gains coverage: {code} {name} ({level})").format(
                code=unit["code"], name=unit["name"], level=_level(policy, unit["level"])
            )
        )
    return "\n".join(lines) or _("no unit loses or gains coverage")


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
