"""The report tables, from the answers of the store's questions (``gaps``, ``coverage``,
``load``) and nothing else: a report says what the CLI and the API say, laid out for a meeting.

Level names come from the policy in force on the date asked about, so the same code serves the
three-tier map and the two-tier one of 1 July 2025 (where a province's children are communes).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from graph.answers import Coverage
from graph.i18n import _
from graph.policy import Policy
from graph.stores.port import GraphStore, need_unit_on
from namgraph.reports import labels
from namgraph.reports.table import Column, Kind, Report, Sheet, Value

__all__ = ["coverage_levels", "coverage_report", "gaps_report", "workload_report"]

_CODE = Column(labels.UNIT_CODE, width=12)
_NAME = Column(labels.UNIT_NAME, width=26)
_LEVEL_ID = Column(labels.LEVEL_ID, width=10, machine=True)
_LEVEL = Column(labels.LEVEL, width=10)
_AS_OF = Column(labels.AS_OF, Kind.DATE, width=11)

GAP_COLUMNS = (
    _CODE,
    _NAME,
    _LEVEL_ID,
    _LEVEL,
    Column(labels.PARENT_CODE, width=12),
    Column(labels.PARENT_NAME, width=22),
    Column(labels.REASON_ID, width=16, machine=True),
    Column(labels.REASON, width=26),
    Column(labels.BROKEN_AT, width=12),
    _AS_OF,
)

WORKLOAD_COLUMNS = (
    Column(labels.CADRE_ID, width=11),
    Column(labels.CADRE_NAME, width=24),
    _LEVEL_ID,
    _LEVEL,
    Column(labels.CADRE_TITLES, width=26),
    Column(labels.HOME_CODE, width=11),
    Column(labels.HOME_NAME, width=22),
    Column(labels.UNITS_HELD, Kind.COUNT, width=10),
    Column(labels.MAX_UNITS, Kind.COUNT, width=10),
    Column(labels.HOUSEHOLDS_HELD, Kind.COUNT, width=10),
    Column(labels.OVERLOADED, Kind.FLAG, width=8),
    _AS_OF,
)


def level_label(policy: Policy, level_id: str) -> str:
    """The policy's name for a level; the id itself for a level the policy does not know (a
    district cadre's level under the two-tier policy, say)."""
    return labels.level_name(policy, level_id)


def coverage_levels(policy: Policy, level_id: str) -> list[str]:
    """The levels the policy counts for coverage at and below ``level_id``, top first: the
    levels of a coverage answer about a unit of that level."""
    start = policy.level(level_id).index if policy.has_level(level_id) else 0
    return [lvl.id for lvl in policy.levels[start:] if lvl.id in policy.coverage]


def coverage_level(policy: Policy, text: str) -> str:
    """The id of the level ``text`` names (an id, a label or an alias: ``xã``, ``commune``),
    which must have a coverage rule; :class:`ValueError` otherwise."""
    level_id = policy.level_id(text) or text
    if level_id not in policy.coverage:
        known = ", ".join(f"{lid} ({level_label(policy, lid)})" for lid in policy.coverage)
        raise ValueError(
            f"no level {text!r} with a coverage rule in policy {policy.id}; use one of: {known}"
        )
    return level_id


def names_on(store: GraphStore, codes: Collection[str], on: date) -> dict[str, str]:
    """The names of the units with these codes as they were on ``on``."""
    return {code: unit.on(on).name for code, unit in store.units(codes).items()}


def gaps_report(
    store: GraphStore,
    code: str,
    on: date,
    level: str | None = None,
    reasons: Collection[str] | None = None,
) -> Report:
    """Gaps under the unit ``code`` on ``on``: at ``level`` (an id or a Vietnamese name), or
    one sheet for each level the policy counts for coverage at and below the unit; with
    ``reasons`` (reason ids), only the gaps for those reasons."""
    unit = need_unit_on(store, code, on)
    policy = store.policy_on(on)
    levels = [coverage_level(policy, level)] if level else coverage_levels(policy, unit.level)
    if not levels:
        raise ValueError(f"policy {policy.id} counts no coverage at or below {unit.level}")
    sheets = []
    for level_id in levels:
        found = store.gaps(code, level_id, on)
        if reasons is not None:
            found = [g for g in found if str(g.reason) in reasons]
        parents = names_on(store, {g.unit.parent for g in found if g.unit.parent}, on)
        label = level_label(policy, level_id)
        rows: list[tuple[Value, ...]] = [
            (
                g.unit.code,
                g.unit.name,
                g.unit.level,
                level_label(policy, g.unit.level),
                g.unit.parent,
                parents.get(g.unit.parent or ""),
                str(g.reason),
                labels.reason_name(g.reason),
                g.broken_at,
                on,
            )
            for g in found
        ]
        sheets.append(Sheet(label, GAP_COLUMNS, rows))
    return Report(labels.GAPS_TITLE, unit, on, sheets)


def coverage_report(store: GraphStore, code: str, on: date) -> Report:
    """Coverage of each unit one level below ``code`` on ``on`` (districts of a province on
    the three-tier map, its communes on the two-tier one), then of ``code`` itself as the
    total: per level, and households reached end to end."""
    total = store.coverage(code, on)
    policy = store.policy_on(on)
    children = store.children(code, on)
    found = dict(store.coverage_of([child.code for child in children], on))
    for child in children:  # one left out (a map older than its policy) is asked alone: why
        if child.code not in found:
            found[child.code] = store.coverage(child.code, on)
    levels = [entry.level for entry in total.levels]
    columns = [_CODE, _NAME, _LEVEL_ID, _LEVEL]
    for level_id in levels:
        label = level_label(policy, level_id)
        columns += [
            Column(_(labels.LEVEL_UNITS).format(level=label), Kind.COUNT, width=9),
            Column(_(labels.LEVEL_COVERED).format(level=label), Kind.COUNT, width=9),
            Column(_(labels.LEVEL_RATIO).format(level=label), Kind.RATIO, width=8),
        ]
    columns += [
        Column(labels.HOUSEHOLDS, Kind.COUNT, width=10),
        Column(labels.HOUSEHOLDS_REACHED, Kind.COUNT, width=10),
        Column(labels.HOUSEHOLDS_RATIO, Kind.RATIO, width=8),
        _AS_OF,
    ]

    def row(answer: Coverage) -> tuple[Value, ...]:
        counted = {entry.level: entry for entry in answer.levels}
        cells: list[Value] = [
            answer.unit.code,
            answer.unit.name,
            answer.unit.level,
            level_label(policy, answer.unit.level),
        ]
        for level_id in levels:
            entry = counted.get(level_id)
            if entry is None:  # a level above this unit: nothing of it below
                cells += [None, None, None]
            else:
                cells += [entry.units, entry.covered, entry.ratio]
        cells += [answer.households, answer.households_reached, answer.ratio, on]
        return tuple(cells)

    rows = [row(found[child.code]) for child in children if child.code in found]
    rows.append(row(total))
    sheet = Sheet(labels.COVERAGE_SHEET, tuple(columns), rows, total_last=True)
    return Report(labels.COVERAGE_TITLE, total.unit, on, [sheet])


def workload_report(store: GraphStore, code: str, on: date) -> Report:
    """The load of each active cadre working in the subtree of ``code`` on ``on``, overloaded
    first, as the store orders it."""
    unit = need_unit_on(store, code, on)
    loads = store.load(code, on)
    policy = store.policy_on(on)
    homes = names_on(store, {item.cadre.home_unit for item in loads}, on)

    def titles(ids: tuple[str, ...]) -> str:
        return "; ".join(labels.title_name(policy, t) for t in ids)

    rows: list[tuple[Value, ...]] = [
        (
            item.cadre.id,
            item.cadre.name,
            item.cadre.level,
            level_label(policy, item.cadre.level),
            titles(item.cadre.titles),
            item.cadre.home_unit,
            homes.get(item.cadre.home_unit),
            item.units,
            item.max_units,
            item.households,
            item.overloaded,
            on,
        )
        for item in loads
    ]
    sheet = Sheet(labels.WORKLOAD_SHEET, WORKLOAD_COLUMNS, rows)
    return Report(labels.WORKLOAD_TITLE, unit, on, [sheet])
