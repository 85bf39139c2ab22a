"""Plans: what a load will create, change and end, and the problems found, before anything is
written. Applying a plan writes all of it in one step or nothing; a dry run is the same path
without the final write."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from enum import Enum
from typing import Any

from graph.activity import Attendance, Meeting, Petition
from graph.dates import today
from graph.i18n import _
from graph.model import Assignment, Cadre, Severity, Status, Unit, Violation
from graph.policy import Policy
from graph.records import assignment_row, cadre_row, unit_row
from graph.stores.port import ChangeSet, GraphStore, StoreError
from graph.validate import Snapshot, check
from loaders.problems import LoadError, Problem

__all__ = ["Origin", "Plan", "apply_plan", "make_plan", "record_diff"]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record came from: its file, row, and the column that holds each attribute."""

    file: str
    row: int | None = None
    columns: tuple[tuple[str, str], ...] = ()

    def column(self, attribute: str) -> str | None:
        return dict(self.columns).get(attribute, attribute or None)


@dataclass
class Plan:
    changes: ChangeSet = field(default_factory=ChangeSet)
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: Per province, what an administrative list does: units started, ended, renamed, moved.
    provinces: dict[str, dict[str, int]] = field(default_factory=dict)
    #: A digest of the records the plan writes, as it read them; the write checks it.
    digest: str = ""
    #: Per record changed or ended: the fields that change, before and after (plain values).
    diffs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, Any]:
        return {
            "create": len(self.created),
            "change": len(self.changed),
            "end": len(self.ended),
            "unchanged": self.unchanged,
            "units": len(self.changes.units),
            "cadres": len(self.changes.cadres),
            "assignments": len(self.changes.assignments),
            "meetings": len(self.changes.meetings),
            "attendance": len(self.changes.attendance),
            "petitions": len(self.changes.petitions),
            "errors": len(self.problems),
            "warnings": len(self.warnings),
        }

    def as_dict(self, limit: int = 200) -> dict[str, Any]:
        extra = {"provinces": self.provinces} if self.provinces else {}
        return {
            "summary": self.summary(),
            **extra,
            "created": self.created[:limit],
            "changed": self.changed[:limit],
            "ended": self.ended[:limit],
            "records": self.diffs[:limit],
            "problems": [p.as_dict() for p in self.problems],
            "warnings": [p.as_dict() for p in self.warnings[:limit]],
        }


#: A record a plan writes.
Record = Unit | Cadre | Assignment | Meeting | Attendance | Petition


def _ends(old: Record, new: Record) -> bool:
    if isinstance(old, Assignment) and isinstance(new, Assignment):
        return old.until is None and new.until is not None
    if isinstance(old, Cadre) and isinstance(new, Cadre):
        return old.status is Status.ACTIVE and new.status is not Status.ACTIVE
    if isinstance(old, Unit) and isinstance(new, Unit):
        return old.valid_to is None and new.valid_to is not None
    return False


def record_diff(before: Record, after: Record) -> dict[str, dict[str, Any]]:
    """The fields of a record that differ, each with its value before and after, as plain
    values (ISO dates, ids, lists): what a dry run shows, and ``--json`` gives.

    >>> from dataclasses import replace
    >>> a = Assignment("a1", "c1", "28801", "support", date(2022, 8, 26))
    >>> record_diff(a, replace(a, until=date(2024, 3, 1)))
    {'until': {'before': None, 'after': '2024-03-01'}}
    """
    return {
        f.name: {"before": _plain(getattr(before, f.name)), "after": _plain(getattr(after, f.name))}
        for f in fields(before)
        if getattr(before, f.name) != getattr(after, f.name)
    }


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def make_plan(
    store: GraphStore,
    units: Iterable[Unit] = (),
    cadres: Iterable[Cadre] = (),
    assignments: Iterable[Assignment] = (),
    origins: dict[str, Origin] | None = None,
    on: date | None = None,
    problems: Iterable[Problem] = (),
    warnings: Iterable[Problem] = (),
    limits: bool = True,
    policy: Policy | None = None,
    meetings: Iterable[Meeting] = (),
    attendance: Iterable[Attendance] = (),
    petitions: Iterable[Petition] = (),
) -> Plan:
    """Compare records with the store, validate what would change, and say what would happen.

    Validation is on ``on`` (today when None) under ``policy`` (the one in force that day).
    With ``limits``, the policy's maxima are checked too, counting every assignment the
    cadres and units named already hold: the same ``max-per-cadre`` and ``max-per-unit``
    warnings ``nam validate`` gives after the load.

    Meetings, attendance rows and petitions (:mod:`graph.activity`) are compared and counted
    the same way (subjects ``meeting:ID``, ``attendance:KEY`` and ``petition:ID``); their
    loaders check them (:mod:`loaders.activity`, :mod:`loaders.petitions`), and the chain's
    validation does not see them."""
    origins = origins or {}
    plan = Plan(problems=list(problems), warnings=list(warnings))
    units, cadres, assignments = list(units), list(cadres), list(assignments)
    old_units = store.units(u.code for u in units)
    old_cadres = store.cadres(c.id for c in cadres)
    old_assignments = store.assignments_by_id(a.id for a in assignments)
    meetings, attendance, petitions = list(meetings), list(attendance), list(petitions)
    old_meetings, old_attendance = _old_activity(store, meetings, attendance)
    old_petitions = store.petitions(p.id for p in petitions) if petitions else {}
    groups: tuple[tuple[str, list[Any], Mapping[str, Any]], ...] = (
        ("unit", units, old_units),
        ("cadre", cadres, old_cadres),
        ("assignment", assignments, old_assignments),
        ("meeting", meetings, old_meetings),
        ("attendance", attendance, old_attendance),
        ("petition", petitions, old_petitions),
    )
    for kind, records, old in groups:
        for record in records:
            key = _key(record)
            previous = old.get(key)
            subject = f"{kind}:{key}"
            if previous == record:
                plan.unchanged += 1
                continue
            if previous is None:
                plan.created.append(subject)
            elif _ends(previous, record):
                plan.ended.append(subject)
                plan.diffs.append(
                    {"subject": subject, "action": "end", "fields": record_diff(previous, record)}
                )
            else:
                plan.changed.append(subject)
                plan.diffs.append(
                    {
                        "subject": subject,
                        "action": "change",
                        "fields": record_diff(previous, record),
                    }
                )
            if isinstance(record, Unit):
                plan.changes.units.append(record)
            elif isinstance(record, Cadre):
                plan.changes.cadres.append(record)
            elif isinstance(record, Assignment):
                plan.changes.assignments.append(record)
            elif isinstance(record, Meeting):
                plan.changes.meetings.append(record)
            elif isinstance(record, Petition):
                plan.changes.petitions.append(record)
            else:
                plan.changes.attendance.append(record)
    changed = plan.changes
    plan.digest = _digest(
        changed.units, changed.cadres, changed.assignments, old_units, old_cadres, old_assignments
    ) + _activity_digest(changed, old_meetings, old_attendance, old_petitions)
    subjects = {
        s
        for s in (*plan.created, *plan.changed, *plan.ended)
        if not s.startswith(("meeting:", "attendance:", "petition:"))
    }
    if subjects:
        day = on or today()
        snap = context(store, plan.changes, day)
        rules = policy or store.policy_on(day)
        for violation in check(snap, rules, day, subjects=subjects, timeline=store.timeline):
            problem = _problem(violation, origins)
            (plan.problems if violation.severity is Severity.ERROR else plan.warnings).append(
                problem
            )
        if limits:
            plan.warnings.extend(_limits(store, plan.changes, origins, day))
    plan.problems.sort(key=lambda p: (p.file, p.row or 0, p.column or ""))
    return plan


def _key(record: Record) -> str:
    if isinstance(record, Unit):
        return record.code
    if isinstance(record, Attendance):
        return record.key
    return record.id


def _old_activity(
    store: GraphStore, meetings: list[Meeting], attendance: list[Attendance]
) -> tuple[Mapping[str, Meeting], Mapping[str, Attendance]]:
    """The meetings and attendance rows the store holds under the keys of these (the store is
    not asked when there are none: a plan of the chain's records reads no activity)."""
    old_meetings = store.meetings(m.id for m in meetings) if meetings else {}
    old_attendance = store.attendances(a.key for a in attendance) if attendance else {}
    return old_meetings, old_attendance


def _activity_digest(
    changes: ChangeSet,
    meetings: Mapping[str, Meeting],
    attendance: Mapping[str, Attendance],
    petitions: Mapping[str, Petition] | None = None,
) -> str:
    """What the store held of the activity a plan writes, as a digest ("" for a plan that
    writes none, so the digest of a plan of the chain's records is as it always was; a plan
    that writes no petitions digests as it did before petitions were kept)."""
    if not changes.meetings and not changes.attendance and not changes.petitions:
        return ""
    content = [
        [_plain(m) if (m := meetings.get(x.id)) else None for x in changes.meetings],
        [_plain(a) if (a := attendance.get(x.key)) else None for x in changes.attendance],
    ]
    if changes.petitions:
        held = petitions or {}
        content.append([_plain(p) if (p := held.get(x.id)) else None for x in changes.petitions])
    return "+" + hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def _limits(
    store: GraphStore, changes: ChangeSet, origins: dict[str, Origin], on: date
) -> list[Problem]:
    """The maxima the changed assignments pass on ``on``: units per cadre, supporters per
    unit, each counted with what the store already holds, placed on the first row naming it."""
    if not changes.assignments:
        return []
    cadre_ids = {a.cadre for a in changes.assignments}
    codes = {a.unit for a in changes.assignments}
    held: dict[str, Assignment] = {}
    for group in store.assignments_of(cadre_ids).values():
        held.update((a.id, a) for a in group)
    for group in store.assignments_at(codes).values():
        held.update((a.id, a) for a in group)
    held.update((a.id, a) for a in changes.assignments)
    snap = Snapshot()
    planned = {c.id: c for c in changes.cadres}
    everyone = {a.cadre for a in held.values()}
    snap.add(cadres=[planned.get(c.id, c) for c in store.cadres(everyone).values()])
    snap.add(cadres=[c for key, c in planned.items() if key not in snap.cadres])
    units = {a.unit for a in held.values()}
    snap.add(units=store.units(units).values())
    snap.add(units=changes.units)
    snap.add(assignments=held.values())
    subjects = {f"cadre:{c}" for c in cadre_ids} | {f"unit:{u}" for u in codes}
    found: list[Problem] = []
    for v in check(snap, store.policy_on(on), on, subjects, complete=True):
        if v.rule not in ("max-per-unit", "max-per-cadre"):
            continue
        kind, key = v.subject.split(":", 1)
        first = next(
            (
                origins[f"assignment:{a.id}"]
                for a in changes.assignments
                if (a.cadre if kind == "cadre" else a.unit) == key
                and f"assignment:{a.id}" in origins
            ),
            Origin("(input)"),
        )
        column = first.column("cadre" if kind == "cadre" else "unit")
        found.append(Problem(first.file, first.row, column, v.message, v.rule, str(v.severity)))
    return found


def _problem(v: Violation, origins: dict[str, Origin]) -> Problem:
    origin = origins.get(v.subject, Origin("(input)"))
    return Problem(
        origin.file, origin.row, origin.column(v.attribute), v.message, v.rule, str(v.severity)
    )


def context(store: GraphStore, changes: ChangeSet, on: date | None = None) -> Snapshot:
    """The changed records over what they refer to in the store: parents and their ancestors,
    home units, cadres and units named by assignments."""
    snap = Snapshot()
    planned_units = {u.code: u for u in changes.units}
    planned_cadres = {c.id: c for c in changes.cadres}
    wanted_cadres = {a.cadre for a in changes.assignments} - planned_cadres.keys()
    snap.add(cadres=store.cadres(wanted_cadres).values())
    all_cadres = [*planned_cadres.values(), *snap.cadres.values()]
    codes = {u.parent for u in changes.units if u.parent}
    codes |= {c.home_unit for c in all_cadres}
    codes |= {a.unit for a in changes.assignments}
    from_store = codes - planned_units.keys()
    found = store.units(from_store)
    snap.add(units=found.values())
    for above in store.ancestors_of(found, on).values():
        snap.add(units=above)
    gone = [code for code, unit in found.items() if on is not None and not unit.exists_on(on)]
    if gone:  # units that ended: their ancestors as they last were, for their last days
        for above in store.ancestors_of(gone).values():
            snap.add(units=above)
    if planned_cadres:  # a cadre who moved with a merge: the units merged into the new home
        homes = {c.home_unit for c in planned_cadres.values()}
        for merged in store.predecessors_of(homes).values():
            snap.add(units=(u for u in merged if u.code not in snap.units))
    snap.add(units=changes.units, cadres=changes.cadres, assignments=changes.assignments)
    return snap


class StaleLoad(StoreError):
    """What a load would write has changed since it was planned; nothing was written."""


def _digest(
    units: list[Unit],
    cadres: list[Cadre],
    assignments: list[Assignment],
    old_units: Mapping[str, Unit],
    old_cadres: Mapping[str, Cadre],
    old_assignments: Mapping[str, Assignment],
) -> str:
    content = [
        [unit_row(u) if (u := old_units.get(x.code)) else None for x in units],
        [cadre_row(c) if (c := old_cadres.get(x.id)) else None for x in cadres],
        [assignment_row(a) if (a := old_assignments.get(x.id)) else None for x in assignments],
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def apply_plan(store: GraphStore, plan: Plan) -> None:
    """Write the plan in one step; refuse a plan with problems (nothing is written), and one
    whose records have changed since it read them (another write came between: a roster load
    planned before a reshuffle was applied would write back what the reshuffle changed)."""
    if not plan.ok:
        raise LoadError(plan.problems)
    if not len(plan.changes):
        return
    changes = plan.changes

    def guard(view: GraphStore) -> None:
        units = view.units(u.code for u in changes.units)
        cadres = view.cadres(c.id for c in changes.cadres)
        assignments = view.assignments_by_id(a.id for a in changes.assignments)
        now = _digest(
            changes.units, changes.cadres, changes.assignments, units, cadres, assignments
        )
        old_meetings, old_attendance = _old_activity(view, changes.meetings, changes.attendance)
        old_petitions = view.petitions(p.id for p in changes.petitions) if changes.petitions else {}
        now += _activity_digest(changes, old_meetings, old_attendance, old_petitions)
        if now != plan.digest:
            raise StaleLoad(
                _(
                    "what this load writes has changed since it was planned (another load or "
                    "reshuffle was applied meanwhile); nothing was written: run the load again"
                )
            )

    store.apply(changes, guard=guard if plan.digest else None)
