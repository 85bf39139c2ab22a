"""Questions answered the same way on every store, from the store's own answers."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date

from graph.answers import Changes, Load, Takeover, WhatIf
from graph.dates import in_force
from graph.i18n import _, day
from graph.model import Cadre, Unit
from graph.policy import Rule
from graph.stores.port import GraphStore, NotFound, need_unit_on

__all__ = [
    "Takeover",
    "cadres_in",
    "changes_between",
    "takeovers",
    "top_of",
    "units_below",
    "what_if",
]


def top_of(store: GraphStore, code: str) -> Unit:
    """The top-level unit (the province) above ``code``, or the unit itself."""
    unit = store.unit(code)
    if unit is None:
        raise NotFound("unit", code)
    above = store.ancestors(code)
    return above[-1] if above else unit


def units_below(store: GraphStore, code: str, on: date) -> list[str]:
    """The codes of the units below ``code`` on ``on``, the unit itself first: one store call
    per level. :class:`NotFound` (or :class:`UnitNotInForce`) when there is no such unit that
    day."""
    root = need_unit_on(store, code, on)
    codes = [root.code]
    seen = {root.code}
    frontier = [root.code]
    while frontier:
        below = store.children_of(frontier, on)
        frontier = [u.code for units in below.values() for u in units if u.code not in seen]
        seen.update(frontier)
        codes += frontier
    return codes


def cadres_in(store: GraphStore, code: str, on: date) -> list[Cadre]:
    """The cadres whose home unit is ``code`` or a unit below it on ``on``, whatever their
    status, by id."""
    return sorted(store.cadres_of(units_below(store, code, on)), key=lambda c: c.id)


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
    if scope is None and store.scope is not None:
        scope = store.scope  # a scoped caller: their scope, never a unit they cannot see
    root = store.unit(scope) if scope else top_of(store, cadres[0].home_unit)
    if root is None:
        raise NotFound("unit", scope or "")
    before = store.coverage(root.code, on)
    after = store.coverage(root.code, on, without=ids)
    supported = sorted(
        {a.unit for cadre_id in ids for a in store.assignments(cadre=cadre_id) if a.in_force_on(on)}
    )
    now = store.supporters(supported, on)
    then = store.supporters(supported, on, without=ids)
    lost_units = [code for code in supported if now.get(code) and not then.get(code)]
    lost = [
        t
        for t in takeovers(store, lost_units, on, exclude=ids, candidates=candidates)
        if t.unit.code == root.code or root.code in t.above
    ]
    return WhatIf(cadres=cadres, on=on, before=before, after=after, lost=tuple(lost))


def takeovers(
    store: GraphStore,
    codes: Iterable[str],
    on: date,
    exclude: Collection[str] = (),
    candidates: int = 3,
    room_first: bool = False,
) -> list[Takeover]:
    """For each unit, the active cadres who could take its support over on ``on``.

    A candidate is of the level and titles of the rule that covers the unit's level and works
    in the unit's area (the unit above it at the cadre's level); the fewest units carried come
    first. With ``room_first``, cadres who can take one more unit under that rule without
    passing its maximum per cadre come before those who cannot."""
    wanted = list(dict.fromkeys(codes))
    units = store.units(wanted)
    above = store.ancestors_of(wanted, on)
    policy = store.policy_on(on)
    # the area and rule of each unit, then every candidate of every area in a few batches
    placed: dict[str, tuple[Unit, list[Unit], Rule | None, Unit | None]] = {}
    for code in wanted:
        unit = units.get(code)
        if unit is None:
            continue
        chain = [unit, *above.get(code, [])]
        rule = policy.coverage_rule(unit.level)
        area = next((u for u in chain if rule and u.level == rule.cadre_level), None)
        placed[code] = (unit, chain, rule, area)
    rules = {area.code: rule for _, _, rule, area in placed.values() if rule and area}
    pool: dict[str, list[Cadre]] = {code: [] for code in rules}
    for cadre in store.cadres_of(sorted(rules)):
        rule = rules.get(cadre.home_unit)
        if (
            rule is not None
            and cadre.level == rule.cadre_level
            and rule.admits(cadre)
            and cadre.active_on(on)
            and cadre.id not in exclude
        ):
            pool[cadre.home_unit].append(cadre)
    loads = store.loads_of([c.id for found in pool.values() for c in found], on)
    room: dict[str, bool] = {}
    if room_first:
        by_rule: dict[str, tuple[Rule, list[Cadre]]] = {}
        for area_code, found in pool.items():
            rule = rules[area_code]
            by_rule.setdefault(rule.id, (rule, []))[1].extend(found)
        for rule, found in by_rule.values():
            room.update(_room(store, rule, found, on))
    out: list[Takeover] = []
    for unit, chain, rule, area in placed.values():
        picks: tuple[Load, ...] = ()
        if rule is not None and area is not None:
            ranked = sorted(
                (loads[c.id] for c in pool[area.code] if c.id in loads),
                key=lambda load: (
                    room_first and not room.get(load.cadre.id, False),
                    load.units,
                    load.households,
                    load.cadre.id,
                ),
            )
            picks = tuple(ranked[:candidates])
        out.append(Takeover(unit, picks, tuple(u.code for u in chain[1:])))
    return out


def _room(store: GraphStore, rule: Rule, cadres: list[Cadre], on: date) -> dict[str, bool]:
    """Whether each cadre can take one more unit under ``rule`` on ``on``."""
    if rule.max_per_cadre is None:
        return {c.id: True for c in cadres}
    held = store.assignments_of(c.id for c in cadres)
    in_force = {
        cadre_id: [a for a in found if a.in_force_on(on) and a.role == rule.role]
        for cadre_id, found in held.items()
    }
    levels = {
        u.code: u.level
        for u in store.units({a.unit for v in in_force.values() for a in v}).values()
    }
    return {
        cadre_id: sum(1 for a in found if levels.get(a.unit) == rule.unit_level)
        < rule.max_per_cadre
        for cadre_id, found in in_force.items()
    }


def changes_between(store: GraphStore, code: str, start: date, end: date) -> Changes:
    """What changed in the subtree of ``code`` after ``start`` up to and including ``end``."""
    if end < start:
        raise ValueError(
            _("the end date {end} is before the start date {start}; swap them").format(
                end=day(end), start=day(start)
            )
        )
    root = store.unit(code)
    if root is None:
        raise NotFound("unit", code)
    units, assignments, cadres = store.changed_between(code, start, end)
    # units that went into units of the subtree (merge files) end there too
    merged = store.predecessors_of([u.code for u in units])
    units = list({u.code: u for u in [*units, *(p for ps in merged.values() for p in ps)]}.values())
    units = [u for u in units if u.change_between(start, end) is not None]
    statuses = sorted(
        (
            (cadre, period.status, period.since)
            for cadre in cadres
            for period in cadre.history
            if period.since is not None and start < period.since <= end
        ),
        key=lambda item: (item[2], item[0].id),
    )
    by_date = sorted(assignments, key=lambda a: (a.since, a.id))
    return Changes(
        unit=root,
        start=start,
        end=end,
        started=tuple(a for a in by_date if start < a.since <= end),
        ended=tuple(
            sorted(
                (a for a in by_date if a.until is not None and start < a.until <= end),
                key=lambda a: (a.until or a.since, a.id),
            )
        ),
        statuses=tuple(statuses),
        units=tuple(sorted(units, key=lambda u: u.code)),
    )


def living_tops(store: GraphStore, on: date) -> list[Unit]:
    """The units of the top level of the policy of ``on`` alive that day, by code: the roots
    of what ``store`` holds (the scope's root, for a scoped store)."""
    tops = store.units_at_levels([store.policy_on(on).top_level])
    return sorted((u for u in tops if in_force(u.valid_from, u.valid_to, on)), key=lambda u: u.code)
