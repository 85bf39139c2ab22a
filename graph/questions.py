"""Questions answered the same way on every store, from the store's own answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from graph.answers import Load, Takeover, WhatIf
from graph.model import Cadre, Unit
from graph.store import GraphStore, NotFound

__all__ = ["top_of", "what_if"]


def top_of(store: GraphStore, code: str) -> Unit:
    """The top-level unit (the province) above ``code``, or the unit itself."""
    unit = store.unit(code)
    if unit is None:
        raise NotFound("unit", code)
    above = store.ancestors(code)
    return above[-1] if above else unit


def what_if(
    store: GraphStore,
    cadre_ids: Iterable[str],
    on: date,
    scope: str | None = None,
    candidates: int = 3,
) -> WhatIf:
    """What loses coverage if these cadres leave on ``on``, and who could take each unit over.

    Coverage of ``scope`` (by default the province of the first cadre) is compared with and
    without the cadres; the units they alone covered are listed, each with the active cadres of
    the right level in the right area that carry the fewest units."""
    ids = list(dict.fromkeys(cadre_ids))
    found = store.cadres(ids)
    for cadre_id in ids:
        if cadre_id not in found:
            raise NotFound("cadre", cadre_id)
    cadres: tuple[Cadre, ...] = tuple(found[i] for i in ids)
    root = store.unit(scope) if scope else top_of(store, cadres[0].home_unit)
    if root is None:
        raise NotFound("unit", scope or "")
    before = store.coverage(root.code, on)
    after = store.coverage(root.code, on, without=ids)
    supported = sorted(
        {a.unit for cadre_id in ids for a in store.assignments(cadre=cadre_id) if a.in_force_on(on)}
    )
    inside = {root.code}
    now = store.supporters(supported, on)
    then = store.supporters(supported, on, without=ids)
    lost_units = [code for code in supported if now.get(code) and not then.get(code)]
    units = store.units(lost_units)
    loads: dict[str, list[Load]] = {}
    lost: list[Takeover] = []
    for code in lost_units:
        unit = units[code]
        chain = [unit, *store.ancestors(code)]
        if root.code not in {u.code for u in chain}:
            continue
        inside.add(code)
        rule = store.policy.coverage_rule(unit.level)
        area = next((u for u in chain if rule and u.level == rule.cadre_level), None)
        picks: tuple[Load, ...] = ()
        if rule is not None and area is not None:
            if area.code not in loads:
                loads[area.code] = store.load(area.code, on, rule.cadre_level)
            ranked = sorted(
                (
                    load
                    for load in loads[area.code]
                    if rule.admits(load.cadre) and load.cadre.id not in ids
                ),
                key=lambda load: (load.units, load.households, load.cadre.id),
            )
            picks = tuple(ranked[:candidates])
        lost.append(Takeover(unit, picks))
    return WhatIf(cadres=cadres, on=on, before=before, after=after, lost=tuple(lost))
