"""Validation of the nắm graph with networkx.

The rules, each with an id that users can look up:

=================  ========  ==============================================================
rule               severity  finding
=================  ========  ==============================================================
unit-level         error     the unit's level is not one of the policy's levels
unit-code          error     the code does not have the form the level's official codes have
unit-kind          warning   the kind is not one the policy lists for the level
unit-parent        error     the parent code resolves to no unit
unit-root          error     a unit below the top level has no parent
level-order        error     the parent is not of the level just above the unit's
cycle              error     the parent links loop back (the hierarchy must be a forest)
households         error     household counts missing, negative, or on a level without them
unit-dates         error     valid_to is not after valid_from
cadre-level        error     a cadre's level is not a level that has cadres
cadre-home         error     the home unit is missing or not of the cadre's level
cadre-title        error     a title the policy does not know
cadre-history      error     status periods out of date order, or undated after the first
assignment-cadre   error     the assignment names no known cadre
assignment-unit    error     the assignment names no known unit
assignment-dates   error     until is not after since
assignment-policy  error     no policy rule lets this cadre hold this role over this level
jurisdiction       error     the unit is outside the cadre's home unit
inactive-counted   warning   in force although the cadre is retired or transferred: end it
unit-ended         warning   in force on a unit that no longer exists: end it
min-per-unit       warning   fewer supporters than the policy asks (a coverage gap)
max-per-unit       warning   more supporters than the policy allows
max-per-cadre      warning   a cadre carries more units than the policy allows
=================  ========  ==============================================================

Local rules look at one record and what it refers to, so they run on a loader's plan; the
``min``/``max`` counts need the whole subtree and run in :func:`validate_store`.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeAlias

import networkx as nx

from graph.i18n import N_, _
from graph.i18n import day as written_day
from graph.model import Assignment, Cadre, Severity, Status, Unit, Violation
from graph.policy import Policy
from graph.stores.port import GraphStore
from graph.timeline import PolicyTimeline

__all__ = ["HIDDEN", "Snapshot", "check", "snapshot_of", "validate_store", "visible_only"]

E, W = Severity.ERROR, Severity.WARNING
Tree: TypeAlias = "nx.DiGraph[str]"


@dataclass
class Snapshot:
    """The records validation looks at, keyed, with the unit hierarchy as a networkx graph."""

    units: dict[str, Unit] = field(default_factory=dict)
    cadres: dict[str, Cadre] = field(default_factory=dict)
    assignments: dict[str, Assignment] = field(default_factory=dict)
    _merged: dict[str, list[tuple[Unit, date]]] | None = field(default=None, repr=False)

    def add(
        self,
        units: Iterable[Unit] = (),
        cadres: Iterable[Cadre] = (),
        assignments: Iterable[Assignment] = (),
    ) -> None:
        self.units.update((u.code, u) for u in units)
        self._merged = None
        self.cadres.update((c.id, c) for c in cadres)
        self.assignments.update((a.id, a) for a in assignments)

    def merged_into(self) -> dict[str, list[tuple[Unit, date]]]:
        """For each unit, the units held that went into it, with the date (built once)."""
        if self._merged is None:
            self._merged = {}
            for u in self.units.values():
                for m in u.successors:
                    self._merged.setdefault(m.code, []).append((u, m.on))
        return self._merged

    def hierarchy(self, on: date | None = None) -> Tree:
        """Edges child -> parent between the units held, by the parents of ``on`` (None: the
        latest versions')."""
        tree: Tree = nx.DiGraph()
        tree.add_nodes_from(self.units)
        for u in self.units.values():
            parent = u.parent_on(on)
            if parent in self.units:
                tree.add_edge(u.code, parent)
        return tree


def _unit(u: Unit) -> str:
    return f"unit:{u.code}"


def _cadre(c: Cadre) -> str:
    return f"cadre:{c.id}"


def _assignment(a: Assignment) -> str:
    return f"assignment:{a.id}"


def check(
    snap: Snapshot,
    policy: Policy,
    on: date,
    subjects: set[str] | None = None,
    complete: bool = False,
    timeline: PolicyTimeline | None = None,
) -> list[Violation]:
    """Every violation in ``snap`` about ``subjects`` (all when ``None``).

    ``complete`` says the snapshot holds every supporter of its units, so that per-unit and
    per-cadre counts can be checked too."""
    tree = snap.hierarchy(on)
    found: list[Violation] = []
    found.extend(_units(snap, policy, tree, on))
    found.extend(_cadres(snap, policy, tree))
    found.extend(_assignments(snap, policy, tree, on, timeline))
    if complete:
        found.extend(_counts(snap, policy, on))
    if subjects is not None:
        found = [v for v in found if v.subject in subjects]
    if timeline is not None:
        found = _before_reorganisation(found, snap, timeline, on)
    for v in found:
        v.extra["refs"] = _refs(snap, v)
    found.sort(key=lambda v: (v.severity != E, v.subject, v.rule))
    return found


def _refs(snap: Snapshot, v: Violation) -> list[str]:
    """The codes and ids a violation's message may name: its subject and what the subject
    refers to (parents, home unit, the cadre and unit of an assignment)."""
    kind, _sep, key = v.subject.partition(":")
    if kind == "unit":
        unit = snap.units.get(key)
        return [key, *sorted(unit.parents())] if unit else [key]
    if kind == "cadre":
        cadre = snap.cadres.get(key)
        return [key, cadre.home_unit] if cadre else [key]
    if kind == "assignment":
        a = snap.assignments.get(key)
        if a is None:
            return []
        cadre = snap.cadres.get(a.cadre)
        return [a.cadre, a.unit, *([cadre.home_unit] if cadre else [])]
    return []


#: The words a scoped caller reads in place of a code or id outside the scope (a message id:
#: translated with ``_()`` where it is written).
HIDDEN = N_("(outside the scope)")


def visible_only(view: GraphStore, found: list[Violation]) -> list[Violation]:
    """The violations a scoped ``view`` may see: those about a unit, cadre or assignment inside
    it, with every code or id outside it in their messages replaced by :data:`HIDDEN`."""
    subjects: dict[str, set[str]] = {"unit": set(), "cadre": set(), "assignment": set()}
    refs: set[str] = set()
    for v in found:
        kind, _sep, key = v.subject.partition(":")
        subjects.setdefault(kind, set()).add(key)
        refs.update(v.extra.get("refs", ()))
    seen = {
        "unit": set(view.units(subjects["unit"])),
        "cadre": set(view.cadres(subjects["cadre"])),
        "assignment": set(view.assignments_by_id(subjects["assignment"])),
    }
    shown = set(view.units(refs)) | set(view.cadres(refs))
    hidden = _(HIDDEN)
    out: list[Violation] = []
    for v in found:
        kind, _sep, key = v.subject.partition(":")
        if key not in seen.get(kind, set()):
            continue
        message = v.message
        for ref in v.extra.get("refs", ()):
            if ref not in shown:
                message = re.sub(
                    rf"(?<![\w.-]){re.escape(ref)}(?![\w-]|\.\w)", lambda _m: hidden, message
                )
        out.append(dataclasses.replace(v, message=message, extra=dict(v.extra)))
    return out


#: What a new map or policy can break in records that were right before it.
_MAP_RULES = frozenset(
    {"jurisdiction", "assignment-policy", "cadre-level", "cadre-title", "cadre-home"}
)


def _before_reorganisation(
    found: list[Violation], snap: Snapshot, timeline: PolicyTimeline, on: date
) -> list[Violation]:
    """Errors that the latest change of the map or the policy (on or before ``on``) caused in
    records that were right the day before it, as ``needs_reorganisation`` warnings: the map
    changes before the chain is moved, and ``nam reshuffle plan --reorganisation`` moves it."""
    days = {start for start, _until, _policy in timeline if start is not None and start <= on}
    for unit in snap.units.values():
        for version in unit.versions():
            days |= {d for d in (version.valid_from, version.valid_to) if d and d <= on}
    if not days or not any(v.severity is E and v.rule in _MAP_RULES for v in found):
        return found
    changed = max(days)
    before = changed - timedelta(days=1)
    policy, tree = timeline.on(before), snap.hierarchy(before)
    out: list[Violation] = []
    for v in found:
        kind, _sep, key = v.subject.partition(":")
        right_before: bool | None = None
        if v.severity is E and v.rule in _MAP_RULES:
            if kind == "assignment" and key in snap.assignments:
                a = snap.assignments[key]
                if a.since <= before:
                    again = _assignment_rules(snap, policy, tree, before, a, v.subject, before)
                    right_before = not any(w.rule == v.rule for w in again)
            elif kind == "cadre" and key in snap.cadres:
                again = _cadre_rules(snap, policy, snap.cadres[key])
                right_before = not any(w.rule == v.rule for w in again)
        if right_before:
            out.append(
                Violation(
                    "needs_reorganisation",
                    W,
                    v.subject,
                    _(
                        "{message} (right until the map or policy changed on {day}: "
                        "`nam reshuffle plan --reorganisation {date}` moves the chain)"
                    ).format(message=v.message, day=written_day(changed), date=changed.isoformat()),
                    v.attribute,
                    {"rule": v.rule},
                )
            )
        else:
            out.append(v)
    out.sort(key=lambda v: (v.severity != E, v.subject, v.rule))
    return out


def _units(snap: Snapshot, policy: Policy, tree: Tree, on: date) -> Iterator[Violation]:
    for component in nx.strongly_connected_components(tree):
        if len(component) == 1 and not any(tree.has_edge(c, c) for c in component):
            continue
        cycle = sorted(component)
        path = " -> ".join([*cycle, cycle[0]])
        for code in cycle:
            yield Violation(
                "cycle",
                E,
                f"unit:{code}",
                _("parent links loop ({path}); give one of these units its real parent").format(
                    path=path
                ),
                "parent",
            )
    for record in snap.units.values():
        s = _unit(record)
        if record.valid_from and record.valid_to and record.valid_to <= record.valid_from:
            yield Violation(
                "unit-dates",
                E,
                s,
                _("valid_to {to} is not after valid_from {start}; swap or fix them").format(
                    to=written_day(record.valid_to), start=written_day(record.valid_from)
                ),
                "valid_to",
            )
        if not record.exists_on(on) and not policy.has_level(record.level):
            continue  # a unit of another map (a district after 1 July 2025): not this day's
        u = record.on(on)
        if not policy.has_level(u.level):
            names = ", ".join(level.id for level in policy.levels)
            yield Violation(
                "unit-level",
                E,
                s,
                _("level {level} is not one of: {levels}").format(
                    level=repr(u.level), levels=names
                ),
                "level",
            )
            continue
        level = policy.level(u.level)
        if level.code_pattern is not None and not level.code_pattern.match(u.code):
            yield Violation(
                "unit-code",
                E,
                s,
                _("{code} is not a {level} code (expected {pattern})").format(
                    code=repr(u.code), level=level.id, pattern=level.code_pattern.pattern
                ),
                "code",
            )
        if u.kind and level.kinds and u.kind not in level.kinds:
            yield Violation(
                "unit-kind",
                W,
                s,
                _("kind {kind} is unusual for a {level}; expected one of {kinds}").format(
                    kind=repr(u.kind), level=level.id, kinds=", ".join(level.kinds)
                ),
                "kind",
            )
        above = policy.parent_level(u.level)
        if not u.exists_on(on):
            pass  # where it hangs is a question of the days it exists
        elif u.parent is None:
            if above is not None:
                yield Violation(
                    "unit-root",
                    E,
                    s,
                    _("a {level} needs a parent {above}; fill in the parent code").format(
                        level=u.level, above=above
                    ),
                    "parent",
                )
        elif u.parent not in snap.units:
            yield Violation(
                "unit-parent",
                E,
                s,
                _("parent {parent} is no known unit; load it first or fix the code").format(
                    parent=repr(u.parent)
                ),
                "parent",
            )
        elif above is None or snap.units[u.parent].level != above:
            parent = snap.units[u.parent]
            yield Violation(
                "level-order",
                E,
                s,
                (
                    _("a {level}'s parent must be a {above}, but {parent} is a {parent_level}")
                    if above
                    else _(
                        "a {level}'s parent must be a nothing (top level), but {parent} is a "
                        "{parent_level}"
                    )
                ).format(level=u.level, above=above, parent=parent.code, parent_level=parent.level),
                "parent",
            )
        if level.has_households:
            if u.households is None or u.households < 0:
                yield Violation(
                    "households",
                    E,
                    s,
                    _("give the number of households (a whole number, 0 or more)"),
                    "households",
                )
        elif u.households:
            yield Violation(
                "households",
                E,
                s,
                _("households are counted on {level} units only; leave it empty").format(
                    level=policy.household_level
                ),
                "households",
            )


def _within(tree: Tree, code: str, home: str) -> bool:
    """True when ``code`` is ``home`` or below it: walk the parent links up (a forest has one
    path up, so this is at most the depth of the hierarchy)."""
    seen = {code}
    node = code
    while node != home:
        parents = list(tree.successors(node)) if node in tree else []
        if not parents or parents[0] in seen:
            return False
        node = parents[0]
        seen.add(node)
    return True


def _cadres(snap: Snapshot, policy: Policy, tree: Tree) -> Iterator[Violation]:
    for c in snap.cadres.values():
        yield from _cadre_rules(snap, policy, c)


def _cadre_rules(snap: Snapshot, policy: Policy, c: Cadre) -> Iterator[Violation]:
    s = _cadre(c)
    if not policy.has_level(c.level) or not policy.level(c.level).has_cadres:
        levels = ", ".join(level.id for level in policy.levels if level.has_cadres)
        yield Violation(
            "cadre-level",
            E,
            s,
            _("cadre level {level} is not one of: {levels}").format(
                level=repr(c.level), levels=levels
            ),
            "level",
        )
    home = snap.units.get(c.home_unit)
    if home is None:
        yield Violation(
            "cadre-home",
            E,
            s,
            _("home unit {unit} is no known unit; load it first").format(unit=repr(c.home_unit)),
            "home_unit",
        )
    elif home.level != c.level:
        yield Violation(
            "cadre-home",
            E,
            s,
            _("a {level} cadre's home unit must be a {level}, but {home} is a {home_level}").format(
                level=c.level, home=home.code, home_level=home.level
            ),
            "home_unit",
        )
    for title in c.titles:
        if title not in policy.titles:
            yield Violation(
                "cadre-title",
                E,
                s,
                _("title {title} is not in the policy; known titles: {titles}").format(
                    title=repr(title), titles=", ".join(policy.titles)
                ),
                "titles",
            )
    dates = [p.since for p in c.history if p.since is not None]
    if dates != sorted(dates):
        yield Violation(
            "cadre-history", E, s, _("status periods must be in date order"), "status_since"
        )
    if any(p.since is None for p in c.history[1:]):
        yield Violation(
            "cadre-history",
            E,
            s,
            _(
                "only a cadre's first status may be undated: give the date this status began "
                "(Trạng thái từ ngày)"
            ),
            "status_since",
        )


def _assignments(
    snap: Snapshot, policy: Policy, tree: Tree, on: date, timeline: PolicyTimeline | None
) -> Iterator[Violation]:
    """With a ``timeline``, an assignment not in force on ``on`` is held to the policy and the
    map of a day it was in force (its last day when it has ended, else its first): the rules
    that applied to it, not today's."""
    trees: dict[date, Tree] = {on: tree}
    for record in snap.assignments.values():
        s = _assignment(record)
        a = record
        day = on
        if timeline is not None and not a.in_force_on(on):
            day = a.until - timedelta(days=1) if a.until is not None and a.until <= on else a.since
        if day not in trees:
            trees[day] = snap.hierarchy(day)
        policy_then = timeline.on(day) if timeline is not None else policy
        yield from _assignment_rules(snap, policy_then, trees[day], on, a, s, day)


def _homes(snap: Snapshot, home: str, day: date) -> list[str]:
    """The cadre's home unit, and on a day before a merge the units that went into it then:
    a cadre who moved with a merge kept the jurisdiction of the unit they came from for the
    days before it (home units are not dated, so any cadre of the successor is given it)."""
    into = snap.merged_into()
    if home not in into:
        return [home]
    return [home, *(u.code for u, on in into[home] if on > day and u.exists_on(day))]


def _assignment_rules(
    snap: Snapshot, policy: Policy, tree: Tree, on: date, a: Assignment, s: str, day: date
) -> Iterator[Violation]:
    if a.until is not None and a.until <= a.since:
        yield Violation(
            "assignment-dates",
            E,
            s,
            _("until {until} is not after since {since}; fix the dates").format(
                until=written_day(a.until), since=written_day(a.since)
            ),
            "until",
        )
    if a.role not in policy.roles:
        yield Violation(
            "assignment-policy",
            E,
            s,
            _("role {role} is not one of: {roles}").format(
                role=repr(a.role), roles=", ".join(policy.roles)
            ),
            "role",
        )
        return
    cadre, unit = snap.cadres.get(a.cadre), snap.units.get(a.unit)
    if cadre is None:
        yield Violation(
            "assignment-cadre",
            E,
            s,
            _("cadre {cadre} is not known; load the cadre first").format(cadre=repr(a.cadre)),
            "cadre",
        )
    if unit is None:
        yield Violation(
            "assignment-unit",
            E,
            s,
            _("unit {unit} is not known; load the unit first").format(unit=repr(a.unit)),
            "unit",
        )
    if cadre is None or unit is None:
        return
    rules = policy.rules_for(cadre, a.role, unit.level)
    if not rules:
        allowed = sorted(
            {r.unit_level for r in policy.rules if r.role == a.role and r.admits(cadre)}
        )
        yield Violation(
            "assignment-policy",
            E,
            s,
            (
                _(
                    "the policy does not let {cadre} ({level}) hold {role} over a {unit_level}; "
                    "a {level} cadre with these titles may hold it over: {allowed}"
                )
                if allowed
                else _(
                    "the policy does not let {cadre} ({level}) hold {role} over a {unit_level}; "
                    "the policy gives this cadre no such role"
                )
            ).format(
                cadre=cadre.id,
                level=cadre.level,
                role=repr(a.role),
                unit_level=unit.level,
                allowed=", ".join(allowed),
            ),
            "unit",
        )
    elif any(r.jurisdiction_home for r in rules) and not any(
        _within(tree, unit.code, home) for home in _homes(snap, cadre.home_unit, day)
    ):
        yield Violation(
            "jurisdiction",
            E,
            s,
            _(
                "{unit} is outside {cadre}'s home unit {home}; assign a cadre of that area instead"
            ).format(unit=unit.code, cadre=cadre.id, home=cadre.home_unit),
            "unit",
        )
    if a.in_force_on(on):
        status = cadre.status_on(on)
        if status in (Status.RETIRED, Status.TRANSFERRED):
            yield Violation(
                "inactive-counted",
                W,
                s,
                (
                    _(
                        "{cadre} is retired but this assignment is still in force; "
                        "give it an end date"
                    )
                    if status is Status.RETIRED
                    else _(
                        "{cadre} is transferred but this assignment is still in force; "
                        "give it an end date"
                    )
                ).format(cadre=cadre.id),
                "until",
            )
        if not unit.exists_on(on):
            yield Violation(
                "unit-ended",
                W,
                s,
                _("{unit} no longer exists on {on} but the assignment is in force; end it").format(
                    unit=unit.code, on=written_day(on)
                ),
                "until",
            )


def _counts(snap: Snapshot, policy: Policy, on: date) -> Iterator[Violation]:
    per_unit: dict[tuple[str, str], int] = defaultdict(int)
    per_cadre: dict[tuple[str, str], int] = defaultdict(int)
    for a in snap.assignments.values():
        cadre, unit = snap.cadres.get(a.cadre), snap.units.get(a.unit)
        if cadre is None or unit is None or not a.in_force_on(on) or not cadre.active_on(on):
            continue
        for rule in policy.rules_for(cadre, a.role, unit.level):
            per_unit[rule.id, unit.code] += 1
            per_cadre[rule.id, cadre.id] += 1
    for rule in policy.rules:
        for u in snap.units.values():
            if u.level != rule.unit_level or not u.exists_on(on):
                continue
            n = per_unit.get((rule.id, u.code), 0)
            if n < rule.min_per_unit:
                yield Violation(
                    "min-per-unit",
                    W,
                    _unit(u),
                    _(
                        "{code} {name} has {n} active supporter(s) under rule {rule}; "
                        "the policy asks for at least {min}"
                    ).format(code=u.code, name=u.name, n=n, rule=rule.id, min=rule.min_per_unit),
                )
            if rule.max_per_unit is not None and n > rule.max_per_unit:
                yield Violation(
                    "max-per-unit",
                    W,
                    _unit(u),
                    _(
                        "{code} {name} has {n} supporters under rule {rule}; "
                        "the policy allows {max}"
                    ).format(code=u.code, name=u.name, n=n, rule=rule.id, max=rule.max_per_unit),
                )
        if rule.max_per_cadre is not None:
            for (rule_id, cadre_id), n in per_cadre.items():
                if rule_id == rule.id and n > rule.max_per_cadre:
                    yield Violation(
                        "max-per-cadre",
                        W,
                        f"cadre:{cadre_id}",
                        _(
                            "{cadre} carries {n} units under rule {rule}; the policy allows {max}"
                        ).format(cadre=cadre_id, n=n, rule=rule.id, max=rule.max_per_cadre),
                    )


def snapshot_of(store: GraphStore, code: str | None = None) -> Snapshot:
    """The subtree below ``code`` (everything when ``None``), its ancestors, its cadres and
    every assignment into it, streamed from the store."""
    snap = Snapshot()
    units = list(store.subtree(code))
    snap.add(units=units)
    if code is not None:
        snap.add(units=store.ancestors(code))
    codes = [u.code for u in units]
    snap.add(cadres=store.cadres_of(codes))
    snap.add(assignments=store.assignments_to(codes))
    missing = {a.cadre for a in snap.assignments.values()} - snap.cadres.keys()
    snap.add(cadres=store.cadres(missing).values())
    homes = {c.home_unit for c in snap.cadres.values()} - snap.units.keys()
    snap.add(units=store.units(homes).values())
    # units the assignments name, and every parent any version names, up to the top: a unit
    # that moved into the subtree, or an assignment to one that merged into it, is checked
    # against the map of its own days
    wanted = {a.unit for a in snap.assignments.values()} - snap.units.keys()
    for _round in range(len(store.timeline.ranks()) + 1):
        wanted |= {p for u in snap.units.values() for p in u.parents()} - snap.units.keys()
        if not wanted:
            break
        snap.add(units=store.units(wanted).values())
        wanted = set()
    return snap


def validate_store(store: GraphStore, on: date, code: str | None = None) -> list[Violation]:
    """Every violation in ``code``'s subtree (the whole graph when None) on ``on``.

    Through a scoped view, the findings are the whole graph's, shown as the scope may see them:
    validation runs on the whole province around the scope (a cadre's load counts every unit
    they carry, a unit's parent is known even above the scope), and only what lies inside the
    scope is kept, its messages masked (:func:`visible_only`). So a scope never sees a finding
    the whole graph does not have, nor a code it may not see."""
    if store.scope is not None:
        whole = store.unscoped()
        above = whole.ancestors(store.scope)
        top = above[-1].code if above else store.scope
        found = validate_store(whole, on, top)
        if code is not None:
            part = snapshot_of(whole, code)
            wanted = {f"unit:{u.code}" for u in store.subtree(code)}
            wanted |= {f"cadre:{c}" for c in part.cadres}
            wanted |= {f"assignment:{a}" for a in part.assignments}
            found = [v for v in found if v.subject in wanted]
        return visible_only(store, found)
    snap = snapshot_of(store, code)
    inside = {f"unit:{u.code}" for u in store.subtree(code)} if code else None
    if inside is None:
        return check(snap, store.policy_on(on), on, complete=True, timeline=store.timeline)
    subjects = (
        inside | {f"cadre:{c}" for c in snap.cadres} | {f"assignment:{a}" for a in snap.assignments}
    )
    return check(
        snap, store.policy_on(on), on, subjects=subjects, complete=True, timeline=store.timeline
    )
