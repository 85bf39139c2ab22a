"""The questions, answered over the embedded store's networkx graph.

Small pure functions of ``(graph, policy, ...)``; the Neo4j store answers the same questions in
Cypher, and the conformance tests demand the same answers from both. Semantics, shared by both:

- A unit *counts* on a date when that date lies in its validity interval.
- A unit is *covered* on a date when at least one cadre active that day holds an assignment in
  force that day which matches the policy's coverage rule for the unit's level.
- A household group is *reached* when it and every ancestor at a chain level is covered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, TypeAlias

import networkx as nx

from graph.answers import (
    ChainLink,
    Coverage,
    Gap,
    GapReason,
    LevelCoverage,
    LevelReach,
    Load,
    LoadItem,
    Reach,
    Supporter,
    make_load,
)
from graph.i18n import _
from graph.model import Cadre, Status, Unit
from graph.policy import Policy, Rule
from graph.stores.memory_tables import tables
from graph.stores.port import counted_levels, level_of
from graph.text import fold

Without = frozenset[str]


class Leaving(frozenset[str]):
    """The cadre ids treated as gone (a what-if), and in ``absent`` the assignment ids that do
    not count for coverage (their supporter was not present: :mod:`graph.presence`)."""

    absent: frozenset[str]

    def __new__(cls, cadres: Iterable[str] = (), absent: Iterable[str] = ()) -> Leaving:
        made = super().__new__(cls, cadres)
        made.absent = frozenset(absent)
        return made


_NOBODY: frozenset[str] = frozenset()


def leaving(without: Iterable[str], absent: Iterable[str] = ()) -> Leaving:
    return Leaving(without, absent)


def absent_of(without: frozenset[str]) -> frozenset[str]:
    """The assignments ``without`` says do not count (none for a plain set of cadres)."""
    return without.absent if isinstance(without, Leaving) else _NOBODY


Graph: TypeAlias = "nx.MultiDiGraph[Any]"


def children(g: Graph, code: str, on: date | None) -> list[Unit]:
    """The units hanging from ``code`` on ``on``, as they were that day; with ``on`` None, every
    unit that ever hung from it, as it is now."""
    found: list[Unit] = []
    for node in g.pred[code]:
        if isinstance(node, str):
            unit: Unit | None = g.nodes[node].get("unit")
            if unit is None:
                continue
            if on is None:
                if code in unit.parents():
                    found.append(unit)
            elif unit.parent_on(on) == code:
                found.append(unit.on(on))
    found.sort(key=lambda u: u.code)
    return found


def ancestors(g: Graph, unit: Unit, on: date | None = None) -> list[Unit]:
    """Parent first, up to the top, by the parents of ``on`` (None: the latest versions')."""
    out: list[Unit] = []
    seen = {unit.code}
    parent = unit.parent_on(on)
    while parent and parent not in seen and parent in g:
        seen.add(parent)
        found: Unit | None = g.nodes[parent].get("unit")
        if found is None:
            break
        out.append(found.on(on))
        parent = found.parent_on(on)
    return out


def subtree(g: Graph, root: Unit, on: date | None) -> Iterator[Unit]:
    """Pre-order, children by code; a unit that does not count on ``on`` hides its subtree.
    With ``on`` None, every unit that was ever below ``root``, once each."""
    stack = [root]
    seen: set[str] = set()
    while stack:
        unit = stack.pop()
        if on is not None and not unit.exists_on(on):
            continue
        if unit.code in seen:
            continue
        seen.add(unit.code)
        yield unit
        stack.extend(reversed(children(g, unit.code, on)))


def _supporting(
    g: Graph, rule: Rule, unit: Unit, on: date, without: Without
) -> Iterator[Supporter]:
    # the unit's assignments from the tables, not its neighbours in the graph: a province's
    # or a district's are mostly the cadres who work there
    absent = absent_of(without)
    for support in tables(g).supports(unit.code):
        if not support.since <= on < support.until:
            continue
        cadre = support.cadre
        if cadre.id in without or not cadre.active_on(on) or support.assignment.id in absent:
            continue
        if rule.matches(cadre, support.assignment.role, unit.level):
            yield Supporter(cadre, support.assignment)


def supporters(
    g: Graph, policy: Policy, unit: Unit, on: date, without: Without
) -> tuple[Supporter, ...]:
    rule = policy.coverage_rule(unit.level)
    if rule is None or not unit.exists_on(on):
        return ()
    found = sorted(
        _supporting(g, rule, unit, on, without), key=lambda s: (s.assignment.since, s.cadre.id)
    )
    return tuple(found)


def _covered(g: Graph, rule: Rule, unit: Unit, on: date, without: Without) -> bool:
    return tables(g).covered(rule, unit, on, without)


def why_uncovered(g: Graph, rule: Rule, unit: Unit, on: date, without: Without) -> GapReason:
    """Why an uncovered unit has no supporter on ``on``: the cadres of a what-if leaving it,
    else what happened to its latest supporter (the one whose support stopped last: retired,
    transferred, or the assignment ended), else nobody ever supported it."""
    latest: tuple[date, int, GapReason] | None = None
    absent = absent_of(without)
    missed = False
    for node, edges in g.pred[unit.code].items():
        if isinstance(node, str):
            continue
        cadre: Cadre = g.nodes[node]["cadre"]
        for data in edges.values():
            a = data.get("a")
            if a is None or not rule.matches(cadre, a.role, unit.level) or a.since > on:
                continue
            if a.in_force_on(on):
                if cadre.id in without:
                    return GapReason.SUPPORTER_LEAVING
                if a.id in absent and cadre.active_on(on):
                    missed = True
                    continue
                status, since = cadre.status_on(on), cadre.status_since_on(on)
                stopped = since or a.since
            elif a.until is not None and a.until <= on:
                status, stopped = cadre.status_on(a.until), a.until
            else:
                continue
            if status is Status.RETIRED:
                reason = GapReason.SUPPORTER_RETIRED
            elif status is Status.TRANSFERRED:
                reason = GapReason.SUPPORTER_TRANSFERRED
            elif a.in_force_on(on):
                continue  # in force and not gone: not why the unit is uncovered
            else:
                reason = GapReason.SUPPORTER_ENDED
            candidate = (stopped, _RANK[reason], reason)
            if latest is None or candidate[:2] > latest[:2]:
                latest = candidate
    if missed:
        return GapReason.SUPPORTER_ABSENT
    return latest[2] if latest else GapReason.NO_SUPPORTER


#: On the same day, a cadre leaving explains more than an assignment ending.
_RANK = {
    GapReason.SUPPORTER_ENDED: 1,
    GapReason.SUPPORTER_TRANSFERRED: 2,
    GapReason.SUPPORTER_RETIRED: 3,
}


def broken_above(
    g: Graph, policy: Policy, unit: Unit, on: date, without: Without = frozenset()
) -> str | None:
    """The code of the topmost ancestor at a chain level that is not covered on ``on``."""
    broken: str | None = None
    for ancestor in ancestors(g, unit, on):
        rule = policy.coverage_rule(ancestor.level)
        in_chain = ancestor.level in policy.chain and rule is not None
        if in_chain and rule is not None and not _covered(g, rule, ancestor, on, without):
            broken = ancestor.code
    return broken


class _Tally:
    """What one pass adds up for a unit's subtree: units and covered units per level, and
    households in all and reached."""

    __slots__ = ("counts", "households", "reached")

    def __init__(self, levels: list[str]) -> None:
        self.counts = {level: [0, 0] for level in levels}
        self.households = 0
        self.reached = 0

    def coverage(self, unit: Unit, on: date) -> Coverage:
        return Coverage(
            unit=unit,
            as_of=on,
            levels=tuple(LevelCoverage(level, *tally) for level, tally in self.counts.items()),
            households=self.households,
            households_reached=self.reached,
        )


def coverage_from_parts(
    g: Graph, policy: Policy, root: Unit, on: date, parts: dict[str, Coverage]
) -> Coverage | None:
    """``root``'s coverage added up from the coverage of each unit directly below it (``parts``
    by code), with the root's own level counted here; None when one of them is missing. It is
    exactly what :func:`coverage` answers: a unit's own pass starts from the chain above it,
    the root included."""
    if root.level == policy.household_level or not root.exists_on(on):
        return None  # a household group has households of its own: count it in a pass
    below = children(g, root.code, on)
    if any(child.code not in parts for child in below if child.exists_on(on)):
        return None
    whole = _Tally(counted_levels(policy, root, on))
    rule = policy.coverage.get(root.level)
    if rule is not None:
        whole.counts[root.level][0] += 1
        whole.counts[root.level][1] += _covered(g, rule, root, on, frozenset())
    for child in below:
        if not child.exists_on(on):
            continue
        part = parts[child.code]
        whole.households += part.households
        whole.reached += part.households_reached
        for level in part.levels:
            counts = whole.counts[level.level]
            counts[0] += level.units
            counts[1] += level.covered
    return whole.coverage(root, on)


def coverage(
    g: Graph,
    policy: Policy,
    root: Unit,
    on: date,
    without: Without,
    parts: dict[str, Coverage] | None = None,
) -> Coverage:
    """Coverage of ``root``'s subtree on ``on``, in one pass; with ``parts``, the same pass
    also fills it with the coverage of each unit directly below the root (each exactly what
    asking for that unit would answer: its own pass starts from the chain above it, which is
    the root's)."""
    chain = set(policy.chain)
    household_level = policy.household_level
    whole = _Tally(counted_levels(policy, root, on))
    below: dict[str, tuple[Unit, _Tally]] = {}
    if not root.exists_on(on):
        return whole.coverage(root, on)
    found = tables(g)
    above = broken_above(g, policy, root, on, without)
    # the units below the root come undated from the tables (each exists on ``on``): a pass
    # reads only their codes, levels and households
    stack: list[tuple[Unit, bool, _Tally | None]] = [(root, above is None, None)]
    rules = policy.coverage
    covered_by = found.covered
    children_on = found.children_on
    counts_of = whole.counts
    while stack:
        unit, ok, part = stack.pop()
        level = unit.level
        rule = rules.get(level)
        if rule is not None:
            covered = covered_by(rule, unit, on, without)
            counts = counts_of[level]
            counts[0] += 1
            counts[1] += covered
            if part is not None:
                counts = part.counts[level]
                counts[0] += 1
                counts[1] += covered
            if not covered and level in chain:
                ok = False
        if level == household_level:
            count = unit.households or 0
            whole.households += count
            whole.reached += count if ok else 0
            if part is not None:
                part.households += count
                part.reached += count if ok else 0
        for child in children_on(unit.code, on):
            child_part = part
            if part is None and parts is not None and policy.has_level(child.level):
                # (a child of a level the policy has not is not kept: asked about, it is refused)
                child_part = _Tally(counted_levels(policy, child, on))
                below[child.code] = (child.on(on), child_part)
            stack.append((child, ok, child_part))
    if parts is not None:
        parts.update((code, tally.coverage(unit, on)) for code, (unit, tally) in below.items())
    return whole.coverage(root, on)


def gaps(g: Graph, policy: Policy, root: Unit, level: str, on: date, without: Without) -> list[Gap]:
    rule = policy.coverage_rule(level)
    if rule is None:
        ruled = ", ".join(policy.coverage)
        raise ValueError(
            _("level {level} has no coverage rule in the policy; use one of: {levels}").format(
                level=repr(level), levels=ruled
            )
        )
    if not root.exists_on(on):
        return []
    if policy.level(level).index < level_of(policy, root, on).index:
        return []
    chain = set(policy.chain)
    found: list[Gap] = []
    walk = tables(g)
    # below the root, units come undated from the tables; a gap gets its unit as it was on ``on``
    stack: list[tuple[Unit, str | None]] = [(root, broken_above(g, policy, root, on, without))]
    while stack:
        unit, broken = stack.pop()
        if unit.level == level:
            if not walk.covered(rule, unit, on, without):
                dated = unit.on(on)
                found.append(Gap(dated, why_uncovered(g, rule, dated, on, without)))
            elif broken is not None:
                found.append(Gap(unit.on(on), GapReason.CHAIN_BROKEN_ABOVE, broken))
            continue
        unit_rule = policy.coverage.get(unit.level)
        checks = broken is None and unit.level in chain and unit_rule is not None
        if checks and unit_rule is not None and not walk.covered(unit_rule, unit, on, without):
            broken = unit.code
        for child in walk.children_on(unit.code, on):
            stack.append((child, broken))
    found.sort(key=lambda gap: gap.unit.code)
    return found


def chain(g: Graph, policy: Policy, unit: Unit, on: date) -> list[ChainLink]:
    links = []
    for member in [unit.on(on), *ancestors(g, unit, on)]:
        rule = policy.coverage_rule(member.level)
        links.append(
            ChainLink(
                unit=member,
                rule=rule.id if rule else None,
                in_chain=member.level in policy.chain,
                supporters=supporters(g, policy, member, on, frozenset()),
            )
        )
    return links


def reach(g: Graph, policy: Policy, cadre: Cadre, on: date) -> Reach:
    status = cadre.status_on(on)
    direct: dict[str, Unit] = {}
    if status is Status.ACTIVE:
        for _cadre, code, data in g.out_edges(("cadre", cadre.id), data=True):
            a = data.get("a")
            unit: Unit | None = g.nodes[code].get("unit")
            if a is None or unit is None or not a.in_force_on(on) or not unit.exists_on(on):
                continue
            if policy.covers(cadre, a.role, unit.level):
                direct[unit.code] = unit.on(on)
    chain = set(policy.chain)
    household_level = policy.household_level
    totals: dict[str, list[int]] = {}
    households = 0
    breaks: list[Gap] = []
    seen: set[str] = set()
    for start in sorted(direct.values(), key=lambda u: u.code):
        stack: list[tuple[Unit, bool]] = [(start, True)]
        while stack:
            unit, ok = stack.pop()
            if unit.code in seen:
                continue
            seen.add(unit.code)
            rule = policy.coverage.get(unit.level)
            checks = ok and unit.code not in direct and unit.level in chain
            if checks and rule is not None and not _covered(g, rule, unit, on, frozenset()):
                breaks.append(Gap(unit, why_uncovered(g, rule, unit, on, frozenset())))
                ok = False
            tally = totals.setdefault(unit.level, [0, 0])
            tally[0] += 1
            tally[1] += ok
            if ok and unit.level == household_level:
                households += unit.households or 0
            for child in children(g, unit.code, on):
                stack.append((child, ok))
    levels = tuple(
        LevelReach(level.id, *totals[level.id]) for level in policy.levels if level.id in totals
    )
    breaks.sort(key=lambda gap: gap.unit.code)
    return Reach(
        cadre=cadre,
        as_of=on,
        status=status,
        direct=tuple(sorted(direct.values(), key=lambda u: u.code)),
        levels=levels,
        households=households,
        breaks=tuple(breaks),
    )


def households_below(g: Graph, policy: Policy, root: Unit, on: date) -> dict[str, int]:
    """Households in each unit's subtree on ``on``, for every unit below ``root``."""
    order = list(subtree(g, root, on))
    totals: dict[str, int] = {}
    for unit in reversed(order):
        own = unit.households or 0 if unit.level == policy.household_level else 0
        totals[unit.code] = totals.get(unit.code, 0) + own
        parent = unit.parent_on(on)
        if parent is not None and unit.code != root.code:
            totals[parent] = totals.get(parent, 0) + totals[unit.code]
    return totals


def load(g: Graph, policy: Policy, root: Unit, on: date, level: str | None = None) -> list[Load]:
    below = households_below(g, policy, root, on)
    loads: list[Load] = []
    for home in subtree(g, root, on):
        if level is not None and home.level != level:
            continue
        for node, edges in g.pred[home.code].items():
            if isinstance(node, str) or "WORKS_IN" not in edges:
                continue
            cadre: Cadre = g.nodes[node]["cadre"]
            if cadre.active_on(on):
                loads.append(load_of(g, policy, cadre, on, below))
    loads.sort(key=lambda item: (-item.units, -item.households, item.cadre.id))
    return loads


def load_of(
    g: Graph, policy: Policy, cadre: Cadre, on: date, below: dict[str, int] | None = None
) -> Load:
    """The cadre's load on ``on``; ``below`` caches households per unit code."""
    below = {} if below is None else below
    items: list[LoadItem] = []
    for _cadre, code, data in g.out_edges(("cadre", cadre.id), data=True):
        a = data.get("a")
        unit: Unit | None = g.nodes[code].get("unit")
        if a is None or unit is None or not a.in_force_on(on) or not unit.exists_on(on):
            continue
        matched = tuple(rule.id for rule in policy.rules_for(cadre, a.role, unit.level))
        if not matched:
            continue
        if code not in below:
            below.update(households_below(g, policy, unit, on))
        items.append(LoadItem(code, matched, below.get(code, 0)))
    return make_load(policy, cadre, items)


def search(
    g: Graph,
    ranks: Mapping[str, int],
    text: str,
    limit: int,
) -> list[Unit | Cadre]:
    """Units and cadres whose name contains ``text``, diacritics and case ignored.

    Exact names first, then names that start with it, then a word that starts with it."""
    key = fold(text)
    if not key:
        return []
    ranked: list[tuple[int, int, str, str | tuple[str, str]]] = []
    for node, name in g.nodes(data="folded"):  # the name folded (old names too, for a unit)
        if name is None:
            continue
        position = name.find(key)
        if position < 0:
            continue
        if name == key:
            rank = 0
        elif position == 0 or name.endswith(" " + key) or f" {key} " in f" {name} ":
            rank = 1
        elif f" {key}" in name:
            rank = 2
        else:
            rank = 3
        if isinstance(node, str):
            depth = ranks.get(g.nodes[node]["unit"].level, len(ranks))
            ranked.append((rank, depth, node, node))
        else:
            ranked.append((rank, len(ranks), node[1], node))
    ranked.sort(key=lambda item: item[:3])
    out: list[Unit | Cadre] = []
    for *_rank, node in ranked[:limit]:
        data = g.nodes[node]
        out.append(data["unit"] if isinstance(node, str) else data["cadre"])
    return out
