"""Merge files: which old units went into which new unit, on which date, by which resolution.

The official lists say which units exist on a date; which old commune went into which new one
is in the resolutions, so staff bring it as a merge file (``nam template merges``). From the
merge date, what still hung from an old unit hangs from its successor: the hamlets and
household groups of a merged commune, the communes of a dissolved district. The old unit
records its successors, and ends on the merge date if no list has ended it yet.

A split (one old unit into several new ones on the same date) must say where each child of the
old unit goes, on rows with ``child_code`` and ``new_parent``.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import networkx as nx

from graph.dates import parse_date
from graph.i18n import _
from graph.i18n import day as written_day
from graph.model import Succession, Unit
from graph.stores.port import GraphStore
from loaders.columns import MERGES
from loaders.plan import Origin, Plan, make_plan
from loaders.problems import LoadError, Problem
from loaders.tabular import Table, read_table

__all__ = ["Merge", "moved_child", "plan_merges"]


@dataclass(frozen=True, slots=True)
class Merge:
    old: str
    new: str
    on: date
    resolution: str
    row: int


def plan_merges(store: GraphStore, path: Path, sheet: str | None = None) -> Plan:
    """The plan that records the file's merges and moves what hung from each old unit."""
    table = read_table(path, MERGES, sheet)
    problems: list[Problem] = []
    merges, splits = _read(table, problems)
    codes = {m.old for m in merges} | {m.new for m in merges}
    codes |= {child for child, _, _ in splits.values()}
    known = store.units(codes)
    _check(table, merges, splits, known, problems)
    if problems:
        raise LoadError(problems)

    records: dict[str, Unit] = {}
    origins: dict[str, Origin] = {}

    def current(code: str) -> Unit:
        return records.get(code) or known[code]

    by_old: dict[tuple[str, date], list[Merge]] = defaultdict(list)
    for m in merges:
        by_old[m.old, m.on].append(m)
    for (old_code, on), into in sorted(by_old.items(), key=lambda item: (item[0][1], item[0][0])):
        old = current(old_code)
        successors = tuple(Succession(m.new, on, m.resolution) for m in into)
        kept = tuple(s for s in old.successors if s.on != on)
        updated = dataclasses.replace(old, successors=(*kept, *successors))
        if updated.exists_on(on) and (updated.valid_to is None or updated.valid_to > on):
            updated = dataclasses.replace(updated, valid_to=on)  # no list has ended it yet
        records[old_code] = updated
        origins[f"unit:{old_code}"] = _origin(table, into[0].row, "old_code")
        day_before = on - timedelta(days=1)
        below = store.children_of([old_code], day_before).get(old_code, [])
        for child in below:
            whole = current(child.code) if child.code in records else store.unit(child.code)
            if whole is None or not whole.exists_on(on) or whole.parent_on(on) != old_code:
                continue  # it ends then, or a list already moved it
            split = splits.get((old_code, on, child.code))
            target = split[1] if split is not None else into[0].new
            records[child.code] = moved_child(whole, target, on, into[0].resolution)
            origins[f"unit:{child.code}"] = _origin(
                table, split[2] if split is not None else into[0].row, "new_code"
            )
    if not records:
        return make_plan(store, origins=origins, warnings=table.warnings)
    latest = max(m.on for m in merges)
    return make_plan(
        store, units=records.values(), origins=origins, on=latest, warnings=table.warnings
    )


def moved_child(unit: Unit, parent: str, on: date, decision: str) -> Unit:
    """``unit`` hanging from ``parent`` from ``on`` (its version then in force ends that day)."""
    version = unit.version_on(on)
    assert version is not None
    if version.valid_from == on:
        return dataclasses.replace(unit, parent=parent, decision=decision)
    latest = dataclasses.replace(unit.latest, valid_to=on)
    return dataclasses.replace(
        unit,
        parent=parent,
        valid_from=on,
        valid_to=None,
        decision=decision,
        earlier=(*unit.earlier, latest),
    )


def _list_date(unit: Unit, on: date) -> tuple[bool, date] | None:
    """What the administrative lists say against ``unit`` ending on ``on``: whether a list
    still has it (else one ended it), and on which date (None: they agree, or no list has ended
    it yet, and the merge ends it)."""
    if unit.started is not None and on <= unit.started:
        return None  # refused as a merge before the start
    if unit.exists_on(on):
        later = sorted(
            day
            for v in unit.versions()
            for day in (v.valid_from, v.valid_to)
            if day is not None and day > on
        )
        if later:
            return True, later[0]
        return None
    if unit.exists_on(on - timedelta(days=1)):
        return None
    ends = [v.valid_to for v in unit.versions() if v.valid_to is not None and v.valid_to < on]
    return (False, max(ends)) if ends else None


def _read(
    table: Table, problems: list[Problem]
) -> tuple[list[Merge], dict[tuple[str, date, str], tuple[str, str, int]]]:
    merges: list[Merge] = []
    splits: dict[tuple[str, date, str], tuple[str, str, int]] = {}
    seen: dict[tuple[str, str, date], int] = {}
    for row in table.rows:
        old, new = row.get("old_code"), row.get("new_code")
        raw = row.get("effective")
        try:
            on = parse_date(raw)
        except ValueError as exc:
            problems.append(table.problem(row.number, "effective", str(exc), "bad_date"))
            continue
        child, parent = row.get("child_code"), row.get("new_parent")
        if child or parent:
            if not (child and parent):
                problems.append(
                    table.problem(
                        row.number,
                        "new_parent" if child else "child_code",
                        _("a split row names both the child and its new parent"),
                        "merge_split_row",
                    )
                )
                continue
            splits[old, on, child] = (child, parent, row.number)
            continue
        key = (old, new, on)
        if key in seen:
            problems.append(
                table.problem(
                    row.number,
                    "old_code",
                    _("{old} into {new} on {on} is also on row {row}; once is enough").format(
                        old=old, new=new, on=written_day(on), row=seen[key]
                    ),
                    "duplicate",
                )
            )
            continue
        seen[key] = row.number
        merges.append(Merge(old, new, on, row.get("resolution"), row.number))
    return merges, splits


def _check(
    table: Table,
    merges: list[Merge],
    splits: dict[tuple[str, date, str], tuple[str, str, int]],
    known: Mapping[str, Unit],
    problems: list[Problem],
) -> None:
    into: dict[tuple[str, date], list[Merge]] = defaultdict(list)
    for m in merges:
        into[m.old, m.on].append(m)
        for column, code in (("old_code", m.old), ("new_code", m.new)):
            if code not in known:
                problems.append(
                    table.problem(
                        m.row,
                        column,
                        _(
                            "{code} is no unit in the graph; check the code (load the "
                            "administrative lists first)"
                        ).format(code=repr(code)),
                        "merge_unknown_code",
                    )
                )
        old, new = known.get(m.old), known.get(m.new)
        if old is not None and old.started is not None and m.on <= old.started:
            problems.append(
                table.problem(
                    m.row,
                    "effective",
                    _("{code} {name} began on {started}; a merge of it must come later").format(
                        code=m.old, name=old.name, started=written_day(old.started)
                    ),
                    "merge_before_start",
                )
            )
        if old is not None and old.level != (new.level if new else old.level):
            pass  # a district into a province (dissolved) is allowed: its children move up
        listed = _list_date(old, m.on) if old is not None else None
        if listed is not None and old is not None:
            still, listed_on = listed
            problems.append(
                table.problem(
                    m.row,
                    "effective",
                    (
                        _(
                            "an administrative list still has {code} {name} on {listed}, but "
                            "this row merges it on {on}; make the two dates agree (the merge "
                            "date is the day the unit ends)"
                        )
                        if still
                        else _(
                            "the administrative list ends {code} {name} on {listed}, but this "
                            "row merges it on {on}; make the two dates agree (the merge date is "
                            "the day the unit ends)"
                        )
                    ).format(
                        code=old.code,
                        name=old.name,
                        listed=written_day(listed_on),
                        on=written_day(m.on),
                    ),
                    "merge_date_mismatch",
                )
            )
        if new is not None and not new.exists_on(m.on):
            problems.append(
                table.problem(
                    m.row,
                    "new_code",
                    _(
                        "{code} {name} does not exist on {on}; load the administrative list in "
                        "force that day first (nam load admin FILE --on {date})"
                    ).format(
                        code=m.new, name=new.name, on=written_day(m.on), date=m.on.isoformat()
                    ),
                    "merge_successor_missing",
                )
            )
    for (old_code, on), targets in into.items():
        if len({m.new for m in targets}) > 1 and not any(
            key[0] == old_code and key[1] == on for key in splits
        ):
            problems.append(
                table.problem(
                    targets[1].row,
                    "new_code",
                    _(
                        "{code} goes into {targets} on {on}: a split must say where each of its "
                        "units goes, on rows with the child's code and its new parent"
                    ).format(
                        code=old_code,
                        targets=", ".join(m.new for m in targets),
                        on=written_day(on),
                    ),
                    "merge_split_unspecified",
                )
            )
    for (old_code, on, _child), (_same_child, parent, row) in splits.items():
        allowed = {m.new for m in into.get((old_code, on), [])}
        if parent not in allowed:
            problems.append(
                table.problem(
                    row,
                    "new_parent",
                    (
                        _("{parent} is not one of the units {code} goes into on {on} ({units})")
                        if allowed
                        else _("{parent} is not one of the units {code} goes into on {on} (none)")
                    ).format(
                        parent=parent,
                        code=old_code,
                        on=written_day(on),
                        units=", ".join(sorted(allowed)),
                    ),
                    "merge_split_row",
                )
            )
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_edges_from((m.old, m.new) for m in merges if m.old != m.new)
    for m in merges:
        if m.old == m.new:
            problems.append(
                table.problem(
                    m.row, "new_code", _("a unit cannot merge into itself"), "merge_cycle"
                )
            )
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    codes = [a for a, _b in cycle]
    first = min((m for m in merges if m.old in codes), key=lambda m: m.row)
    problems.append(
        table.problem(
            first.row,
            "old_code",
            _("the merges loop ({path}); a unit cannot go, through others, into itself").format(
                path=" -> ".join([*codes, codes[0]])
            ),
            "merge_cycle",
        )
    )


def _origin(table: Table, row: int, column: str) -> Origin:
    header = table.headers.get(column, column)
    return Origin(table.file, row, (("parent", header), ("code", header)))
