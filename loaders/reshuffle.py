"""Reshuffles as plans: read a reshuffle file, diff it against the graph on its effective date,
preview what it breaks and mends, keep the plan, and apply it later in one write or not at all.

A reshuffle file is either a **list of changes**, one per row (the ``Thao tác`` / ``action``
column)::

    end       cadre [unit] [role]     the cadre's assignments in force end on the date
    start     cadre unit [role]       a new assignment from the date
    move      cadre unit to_unit      end one assignment, start the same role on another unit
    retire    cadre                   retired from the date; every assignment in force ends
    transfer  cadre                   transferred away from the date; the same

or, without that column, the **full roster** of a scope's own cadres (those whose home unit is
``--scope``) on the date: one row per assignment (cadre, unit, role). Assignments of those
cadres in force and not listed end; listed and not in force start; the rest continue.

Every file has one effective date and a decision (columns, or ``--on`` and ``--decision``).
Nothing is ever deleted: ending an assignment gives it an ``until`` date, retiring a cadre adds
a dated status. A plan is a document kept by the store under an id. It remembers a digest of
the part of the graph it read (the named cadres and their assignments, the named units'
assignments, the scope's cadres); applying it recomputes that digest inside the write and
refuses the plan as stale when it differs. Planning the same file again after it was applied
finds nothing to change.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from graph.answers import Coverage, GapReason, Takeover
from graph.dates import parse_date
from graph.documents import assignment_dict, coverage_dict, unit_dict
from graph.faults import pause_at
from graph.i18n import N_, _
from graph.i18n import day as written_day
from graph.model import Assignment, Cadre, Status, StatusPeriod, Unit, Violation
from graph.policy import Policy
from graph.questions import takeovers
from graph.records import (
    assignment_from_row,
    assignment_row,
    cadre_from_row,
    cadre_row,
    unit_row,
)
from graph.scope import ACCESS_KEY
from graph.stores.port import ChangeSet, GraphStore, NotFound
from graph.text import fold
from graph.validate import Snapshot, check
from loaders.caps import Caps
from loaders.columns import RESHUFFLE
from loaders.plan import Origin, Plan, make_plan
from loaders.problems import LoadError, Problem
from loaders.records import assignment_id, far_ahead
from loaders.tabular import Row, Table, read_table

__all__ = [
    "ACTIONS",
    "AppliedPlan",
    "PlanRefused",
    "ScopePreview",
    "StalePlan",
    "apply_reshuffle",
    "plan_changes",
    "plan_reshuffle",
    "scope_digest",
]

#: Each action with the words staff write for it (compared without diacritics).
ACTIONS: dict[str, tuple[str, ...]] = {
    "end": ("end", "kết thúc", "thôi", "thôi phân công", "chấm dứt"),
    "start": ("start", "bắt đầu", "phân công", "giao", "phân công mới"),
    "move": ("move", "chuyển", "chuyển địa bàn", "điều chỉnh địa bàn"),
    "retire": ("retire", "nghỉ hưu", "nghỉ", "nghỉ chế độ"),
    "transfer": ("transfer", "chuyển công tác", "điều động", "luân chuyển"),
}
_ACTION_WORDS = {fold(word): action for action, words in ACTIONS.items() for word in words}
_LEAVING = {"retire": Status.RETIRED, "transfer": Status.TRANSFERRED}
#: What a row of each action that needs a unit says when the unit is empty.
_NEEDS_UNIT = {
    "start": N_("empty; start needs the unit's code (Mã đơn vị)"),
    "move": N_("empty; move needs the unit's code (Mã đơn vị)"),
    "keep": N_("empty; keep needs the unit's code (Mã đơn vị)"),
}
#: What a row says when the cadre it retires or transfers has already left.
_ALREADY: dict[Status | None, str] = {
    Status.TRANSFERRED: N_("{cadre} is already transferred on {on}"),
    Status.RETIRED: N_("{cadre} is already retired on {on}"),
    None: N_("{cadre} has no recorded status yet on {on}"),
}


class PlanRefused(Exception):
    """A plan that cannot be applied; nothing was written."""


class StalePlan(PlanRefused):
    """The part of the graph a plan read has changed since the plan was made."""


@dataclass(frozen=True, slots=True)
class Step:
    """One row of a reshuffle file, checked."""

    row: int
    action: str  # one of ACTIONS, or "keep" for a roster row
    cadre: str
    unit: str = ""
    to_unit: str = ""
    role: str | None = None
    decision: str = ""


@dataclass(frozen=True)
class ScopePreview:
    """Coverage of one scope before and after a plan, and the units that lose or gain it."""

    scope: Unit
    before: Coverage
    after: Coverage
    lost: tuple[Takeover, ...]  # units that lose their own supporter, with candidates
    broken: Mapping[str, int]  # per level: units newly below a break in the chain
    gained: tuple[Unit, ...]  # units covered after and not before

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": unit_dict(self.scope),
            "before": coverage_dict(self.before),
            "after": coverage_dict(self.after),
            "lost": [
                {
                    "unit": unit_dict(t.unit),
                    "candidates": [
                        {
                            "cadre": load.cadre.id,
                            "name": load.cadre.name,
                            "units": load.units,
                            "households": load.households,
                            "max_units": load.max_units,
                        }
                        for load in t.candidates
                    ],
                }
                for t in self.lost
            ],
            "broken": dict(self.broken),
            "gained": [unit_dict(u) for u in self.gained],
        }


@dataclass
class AppliedPlan:
    """What applying a plan did: its record, or nothing when there was nothing to change."""

    plan_id: str
    written: bool
    record: dict[str, Any] = field(default_factory=dict)


# --- planning -------------------------------------------------------------------------------


def plan_reshuffle(
    store: GraphStore,
    path: Path,
    on: date | None = None,
    decision: str | None = None,
    scope: str | None = None,
    by: str | None = None,
    name: str | None = None,
    sheet: str | None = None,
    caps: Caps | None = None,
) -> dict[str, Any]:
    """Read ``path``, diff it against the store, preview it, keep it; return the plan document.

    Problems with the file (rows, columns, unknown codes, what the policy forbids) are in the
    document's ``problems``; such a plan is kept (to be read) but cannot be applied. A file that
    cannot be read at all raises :class:`LoadError`. ``name`` is what problems call the file
    (an upload's own name), ``sheet`` a workbook's sheet, ``caps`` its size limits."""
    table = read_table(path, RESHUFFLE, sheet, name=name, caps=caps)
    raw = path.read_bytes()
    file_name = name or str(path)
    reader = _StepReader(table, store.policy)
    steps = [step for row in table.rows if (step := reader.step(row)) is not None]
    roster = not reader.with_actions
    effective = reader.effective(on)
    chosen = reader.decision(decision)
    if roster and not scope:
        reader.problems.append(
            Problem(
                file_name,
                None,
                RESHUFFLE.column("action").header,
                _(
                    "no action column, so this is read as the full roster of a scope: "
                    "give the scope (--scope CODE), or add the action column ({actions})"
                ).format(actions=", ".join(ACTIONS)),
                code="roster_without_scope",
            )
        )
    if effective is None:
        raise LoadError(reader.problems)
    # the digest must be of the graph the diff read: a write between the two makes the plan
    # again (a write after the digest, during the preview say, makes the plan stale)
    read_so_far = len(reader.problems), len(reader.warnings)
    for _attempt in range(3):
        del reader.problems[read_so_far[0] :], reader.warnings[read_so_far[1] :]
        generation = store.generation()
        diff = _Diff(store, effective, chosen, reader)
        if roster and scope:
            diff.roster(scope, steps)
        else:
            diff.changes(steps)
        reads = diff.reads(scope if roster else None)
        pause_at("plan-read")
        digest = scope_digest(store, reads)
        if store.generation() == generation:
            break
    else:
        raise StalePlan(
            _("the graph changed three times while this plan was being made; plan it again")
        )
    pause_at("plan-preview")
    changes = diff.change_set()
    origins = {
        key: Origin(file_name, row, tuple(table.headers.items())) for key, row in diff.rows.items()
    }
    checked = make_plan(
        store,
        cadres=changes.cadres,
        assignments=changes.assignments,
        origins=origins,
        on=effective,
        problems=reader.problems,
        warnings=reader.warnings,
        limits=False,  # counted below, with what the plan ends
    )
    limits = [_problem_at(v, diff, file_name, table) for v in _limits(store, diff, effective)]
    checked.warnings.extend(limits)
    scopes = [scope] if scope else _scopes(store, diff.touched_units(), effective)
    previews = preview(store, changes, scopes, effective) if len(changes) else []
    file_hash = hashlib.sha256(raw).hexdigest()
    key = [file_hash, effective.isoformat(), chosen, scope, digest]
    if store.scope is not None:  # made through a scoped view: a plan of that scope only
        key.append(store.scope)
    plan_id = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]
    document: dict[str, Any] = {
        "id": plan_id,
        "file": file_name,
        "file_hash": file_hash,
        "kind": "roster" if roster else "changes",
        "decision": chosen,
        "effective": effective.isoformat(),
        "scope": scope,
        ACCESS_KEY: store.scope,
        "made_at": _now(),
        "made_by": by or _user(),
        "policy": store.policy.id,
        "summary": {
            "end": len(diff.ended),
            "start": len(diff.started),
            "continue": diff.continued,
            "status": len(diff.statuses),
            "errors": len(checked.problems),
            "warnings": len(checked.warnings),
        },
        **plan_body(diff.ended, diff.started, diff.statuses, checked, previews, changes),
        "reads": reads,
        "digest": digest,
    }
    store.save_plan(plan_id, document)
    return document


def plan_body(
    ended: Iterable[Assignment],
    started: Iterable[Assignment],
    statuses: list[dict[str, Any]],
    checked: Plan,
    previews: list[ScopePreview],
    changes: ChangeSet,
) -> dict[str, Any]:
    """What every kept plan document says of its changes, problems and preview."""
    return {
        "ended": [assignment_dict(a) for a in ended],
        "started": [assignment_dict(a) for a in started],
        "statuses": statuses,
        "problems": [p.as_dict() for p in checked.problems],
        "warnings": [p.as_dict() for p in checked.warnings],
        "preview": [p.as_dict() for p in previews],
        "changes": {
            "cadres": [cadre_row(c) for c in changes.cadres],
            "assignments": [assignment_row(a) for a in changes.assignments],
        },
    }


class _StepReader:
    """Reads the rows of a reshuffle file, collecting problems with their row and column."""

    def __init__(self, table: Table, policy: Policy) -> None:
        self.table = table
        self.policy = policy
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = list(table.warnings)
        self.dates: dict[date, int] = {}
        self.decisions: dict[str, int] = {}
        # a list of changes; without any action the file is a roster
        self.with_actions = any(row.get("action") for row in table.rows)

    def fail(self, row: int | None, key: str | None, message: str, code: str = "") -> None:
        self.problems.append(self.table.problem(row, key, message, code=code))

    def step(self, row: Row) -> Step | None:
        cadre = row.get("cadre")
        if not cadre:
            self.fail(row.number, "cadre", _("empty; give the cadre's id (Mã cán bộ)"))
        if text := row.get("on"):
            try:
                day = parse_date(text)
            except ValueError as err:
                self.fail(row.number, "on", str(err))
            else:
                if day is None:
                    self.fail(
                        row.number,
                        "on",
                        _("{value} is not a date such as 1/6/2023").format(value=repr(text)),
                    )
                else:
                    self.dates.setdefault(day, row.number)
        if text := row.get("decision"):
            self.decisions.setdefault(text, row.number)
        role: str | None = None
        if text := row.get("role"):
            role = self.policy.role_id(text)
            if role is None:
                roles = ", ".join(r.label for r in self.policy.roles.values())
                self.fail(
                    row.number,
                    "role",
                    _("{value} is not a role of this policy ({roles})").format(
                        value=repr(text), roles=roles
                    ),
                )
                return None
        action = "keep"
        if text := row.get("action"):
            found = _ACTION_WORDS.get(fold(text))
            if found is None:
                words = "; ".join(f"{a} ({', '.join(w[1:3])})" for a, w in ACTIONS.items())
                self.fail(
                    row.number,
                    "action",
                    _("{value} is not an action; use one of: {actions}").format(
                        value=repr(text), actions=words
                    ),
                )
                return None
            action = found
        elif self.with_actions:
            self.fail(
                row.number,
                "action",
                _("empty; give one of: {actions}").format(actions=", ".join(ACTIONS)),
            )
            return None
        unit, to_unit = row.get("unit"), row.get("to_unit")
        needs_unit = action in ("start", "move", "keep")
        if needs_unit and not unit:
            self.fail(row.number, "unit", _(_NEEDS_UNIT[action]))
        if action == "move" and not to_unit:
            self.fail(row.number, "to_unit", _("empty; move needs the new unit (Đến đơn vị)"))
        if not cadre or (needs_unit and not unit) or (action == "move" and not to_unit):
            return None
        return Step(row.number, action, cadre, unit, to_unit, role, row.get("decision"))

    def effective(self, on: date | None) -> date | None:
        day = self._effective(on)
        if day is not None and far_ahead(day):
            self.warnings.append(
                self.table.problem(
                    None if on is not None else self.dates.get(day),
                    None if on is not None else "on",
                    _(
                        "the effective date {date} is more than five years ahead; "
                        "planned as written (check the year)"
                    ).format(date=written_day(day)),
                    code="date_far_ahead",
                    severity="warning",
                )
            )
        return day

    def _effective(self, on: date | None) -> date | None:
        if on is not None:
            for day, number in self.dates.items():
                if day != on:
                    self.fail(
                        number,
                        "on",
                        _(
                            "{date} differs from the plan's date {on}; "
                            "one reshuffle has one effective date: split the file"
                        ).format(date=written_day(day), on=written_day(on)),
                    )
            return on
        if len(self.dates) == 1:
            return next(iter(self.dates))
        if not self.dates:
            self.fail(None, "on", _("no effective date: fill in the column or give --on DATE"))
        else:
            listed = ", ".join(
                _("{date} (row {row})").format(date=written_day(d), row=n)
                for d, n in sorted(self.dates.items())
            )
            self.fail(
                None,
                "on",
                _("rows give several dates ({dates}); split the file").format(dates=listed),
            )
        return None

    def decision(self, given: str | None) -> str:
        if given:
            return given
        if self.decisions:
            return "; ".join(self.decisions)
        self.fail(None, "decision", _("no decision: fill in the column or give --decision TEXT"))
        return ""


class _Diff:
    """The changes a reshuffle makes to the graph as of its effective date."""

    def __init__(self, store: GraphStore, on: date, decision: str, reader: _StepReader) -> None:
        self.store = store
        self.on = on
        self.decision = decision
        self.reader = reader
        self.cadres: dict[str, Cadre] = {}
        self.new_cadres: dict[str, Cadre] = {}
        self.current: dict[str, Assignment] = {}  # id -> assignment, as the plan leaves it
        self.changed: dict[str, Assignment] = {}
        self.ended: list[Assignment] = []
        self.started: list[Assignment] = []
        self.continued = 0
        self.statuses: list[dict[str, Any]] = []
        self.rows: dict[str, int] = {}
        self.units: set[str] = set()

    # reading what the steps name
    def _load(self, cadre_ids: Iterable[str], codes: Iterable[str]) -> None:
        ids = sorted(set(cadre_ids) - self.cadres.keys())
        self.cadres.update(self.store.cadres(ids))
        wanted = sorted(set(codes) - self.units)
        found = self.store.units(wanted)
        self.units |= set(found)
        for found_list in (
            *self.store.assignments_of(ids).values(),
            *self.store.assignments_at(found).values(),
        ):
            for a in found_list:
                self.current.setdefault(a.id, a)

    def _known(self, step: Step) -> bool:
        ok = True
        if step.cadre not in self.cadres:
            self.reader.fail(
                step.row,
                "cadre",
                _("no cadre {cadre} in the graph; load it first").format(cadre=repr(step.cadre)),
            )
            ok = False
        for key, code in (("unit", step.unit), ("to_unit", step.to_unit)):
            if code and code not in self.units:
                self.reader.fail(
                    step.row,
                    key,
                    _("no unit {code} in the graph; check the code").format(code=repr(code)),
                )
                ok = False
        return ok

    def changes(self, steps: list[Step]) -> None:
        self._load((s.cadre for s in steps), (c for s in steps for c in (s.unit, s.to_unit) if c))
        for step in steps:
            if not self._known(step):
                continue
            if step.action in _LEAVING:
                self._leave(step, _LEAVING[step.action])
            elif step.action == "end":
                self._end(step, step.unit or None)
            elif step.action == "start":
                self._start(step, step.unit)
            elif step.action == "move" and self._end(step, step.unit):
                self._start(step, step.to_unit)

    def roster(self, scope: str, steps: list[Step]) -> None:
        if self.store.unit(scope) is None:
            self.reader.fail(
                None,
                None,
                _("no unit {code} for --scope; check the code").format(code=repr(scope)),
            )
            return
        own = [c.id for c in self.store.cadres_of([scope])]
        self._load([*own, *(s.cadre for s in steps)], (s.unit for s in steps))
        listed: dict[tuple[str, str, str], Step] = {}
        for step in steps:
            if not self._known(step):
                continue
            home = self.cadres[step.cadre].home_unit
            if home != scope:
                self.reader.fail(
                    step.row,
                    "cadre",
                    (
                        _(
                            "{cadre} works in {home}, not in the scope {scope}; "
                            "a roster lists the scope's own cadres"
                        )
                        if self.store.units([home])
                        else _(
                            "{cadre} works in a unit outside your scope, not in the scope "
                            "{scope}; a roster lists the scope's own cadres"
                        )
                    ).format(cadre=step.cadre, home=home, scope=scope),
                )
                continue
            listed.setdefault((step.cadre, step.unit, step.role or "support"), step)
        in_force = {
            (a.cadre, a.unit, a.role): a
            for a in self.current.values()
            if a.cadre in own and a.in_force_on(self.on)
        }
        for key, a in sorted(in_force.items()):
            if key not in listed:
                self._set(replace(a, until=self.on), None, ended=True)
        for key, step in listed.items():
            if key in in_force:
                self.continued += 1
            else:
                self._start(step, step.unit)

    def _in_force(self, cadre: str) -> list[Assignment]:
        return sorted(
            (a for a in self.current.values() if a.cadre == cadre and a.in_force_on(self.on)),
            key=lambda a: a.id,
        )

    def _set(self, a: Assignment, row: int | None, ended: bool) -> None:
        self.current[a.id] = a
        self.changed[a.id] = a
        (self.ended if ended else self.started).append(a)
        if row is not None:
            self.rows[f"assignment:{a.id}"] = row

    def _leave(self, step: Step, status: Status) -> None:
        cadre = self.new_cadres.get(step.cadre) or self.cadres[step.cadre]
        now = cadre.status_on(self.on)
        if now is status and cadre.status_since == self.on:
            return  # already recorded: planning the same file again changes nothing
        if now is not Status.ACTIVE:
            self.reader.fail(
                step.row,
                "action",
                _(_ALREADY[now]).format(cadre=cadre.id, on=written_day(self.on)),
            )
            return
        last = cadre.status_since
        if last is not None and last > self.on:
            self.reader.fail(
                step.row,
                "on",
                _(
                    "{cadre} has a later status change ({last}); "
                    "a reshuffle cannot go back before it"
                ).format(cadre=cadre.id, last=written_day(last)),
            )
            return
        changed = replace(cadre, history=(*cadre.history, StatusPeriod(status, self.on)))
        self.new_cadres[cadre.id] = changed
        self.rows[f"cadre:{cadre.id}"] = step.row
        self.statuses.append(
            {"cadre": cadre.id, "name": cadre.name, "from": str(now), "to": str(status)}
        )
        for a in self._in_force(cadre.id):
            self._set(replace(a, until=self.on), step.row, ended=True)

    def _end(self, step: Step, unit: str | None) -> bool:
        mine = [
            a
            for a in self.current.values()
            if a.cadre == step.cadre
            and (unit is None or a.unit == unit)
            and (step.role is None or a.role == step.role)
        ]
        live = [a for a in mine if a.in_force_on(self.on)]
        for a in sorted(live, key=lambda a: a.id):
            self._set(replace(a, until=self.on), step.row, ended=True)
        if live or any(a.until == self.on for a in mine):
            return True
        self.reader.fail(
            step.row,
            "unit" if unit else "cadre",
            (
                _(
                    "{cadre} holds no assignment to {unit} in force on {on}; "
                    "check the codes and the date"
                )
                if unit
                else _("{cadre} holds no assignment in force on {on}; check the codes and the date")
            ).format(cadre=step.cadre, unit=unit, on=written_day(self.on)),
        )
        return False

    def _start(self, step: Step, unit: str) -> None:
        role = step.role or "support"
        for a in self.current.values():
            if (a.cadre, a.unit, a.role) == (step.cadre, unit, role) and a.in_force_on(self.on):
                self.continued += 1
                return
        key = assignment_id(step.cadre, unit, role, self.on)
        self._set(
            Assignment(key, step.cadre, unit, role, self.on, None, step.decision or self.decision),
            step.row,
            ended=False,
        )

    def change_set(self) -> ChangeSet:
        return ChangeSet(
            cadres=list(self.new_cadres.values()),
            assignments=sorted(self.changed.values(), key=lambda a: a.id),
        )

    def touched_units(self) -> list[str]:
        codes = {a.unit for a in self.changed.values()}
        if not codes:
            codes = {c.home_unit for c in self.new_cadres.values()}
        return sorted(codes)

    def reads(self, scope: str | None) -> dict[str, list[str]]:
        cadres = set(self.cadres) | {a.cadre for a in self.changed.values()}
        units = sorted(self.units | {a.unit for a in self.changed.values()})
        return {
            "cadres": sorted(cadres),
            "units": units,
            "homes": [scope] if scope else [],
            # the units themselves too: one moved elsewhere may break the jurisdiction rule
            "unit_records": units,
        }


def _limits(store: GraphStore, diff: _Diff, on: date) -> list[Violation]:
    """The policy's maxima the plan would pass: supporters per unit it starts assignments on,
    units per cadre it gives an assignment to (counted with everything they already hold)."""
    if not diff.started:
        return []
    snap = Snapshot()
    current = list(diff.current.values())
    snap.add(units=store.units({a.unit for a in current}).values())
    snap.add(cadres=[diff.new_cadres.get(key, cadre) for key, cadre in diff.cadres.items()])
    snap.add(assignments=current)
    subjects = {f"unit:{a.unit}" for a in diff.started} | {f"cadre:{a.cadre}" for a in diff.started}
    return [
        v
        for v in check(
            snap, store.policy_on(on), on, subjects, complete=True, timeline=store.timeline
        )
        if v.rule in ("max-per-unit", "max-per-cadre")
    ]


def _problem_at(v: Violation, diff: _Diff, file_name: str, table: Table) -> Problem:
    """A count warning placed on the first row that starts an assignment for its subject."""
    kind, key = v.subject.split(":", 1)
    field_name = "unit" if kind == "unit" else "cadre"
    row = next(
        (
            diff.rows.get(f"assignment:{a.id}")
            for a in diff.started
            if (a.unit if kind == "unit" else a.cadre) == key
        ),
        None,
    )
    column = table.headers.get(field_name, RESHUFFLE.column(field_name).header)
    return Problem(file_name, row, column, v.message, v.rule, str(v.severity))


def _scopes(store: GraphStore, codes: list[str], on: date) -> list[str]:
    """The lowest unit above or at every code on the map of ``on`` (a file of 2023 previews
    its province of 2023, not what that province became); the top units of each when there
    is none."""
    if not codes:
        return []
    above = store.ancestors_of(codes, on)
    chains = [[code, *(u.code for u in above.get(code, []))] for code in codes]
    common = set(chains[0]).intersection(*chains[1:])
    if common:
        return [next(code for code in chains[0] if code in common)]
    return sorted({chain[-1] for chain in chains})


# --- preview --------------------------------------------------------------------------------


def preview(
    store: GraphStore, changes: ChangeSet, scopes: list[str], on: date, candidates: int = 3
) -> list[ScopePreview]:
    """Coverage of each scope before and after ``changes`` (tried, not kept), the units that
    lose their supporter with who could take them over, and those that gain one."""
    levels = list(store.policy_on(on).coverage)
    before = {
        code: (store.coverage(code, on), {lvl: store.gaps(code, lvl, on) for lvl in levels})
        for code in scopes
    }
    out: list[ScopePreview] = []
    # the whole graph: a candidate's load counts every unit they support, wherever it is
    with store.trial(changes) as tried:
        for code in scopes:
            coverage, gaps_before = before[code]
            after = tried.coverage(code, on)
            was = {g.unit.code for found in gaps_before.values() for g in found}
            lost: list[str] = []
            broken: dict[str, int] = {}
            now: set[str] = set()
            for level in levels:
                for gap in tried.gaps(code, level, on):
                    now.add(gap.unit.code)
                    if gap.unit.code in was:
                        continue
                    if gap.reason is GapReason.CHAIN_BROKEN_ABOVE:
                        broken[level] = broken.get(level, 0) + 1
                    else:
                        lost.append(gap.unit.code)
            gained = [
                g.unit for found in gaps_before.values() for g in found if g.unit.code not in now
            ]
            leaving = {a.cadre for a in changes.assignments if a.until is not None}
            picks = takeovers(
                tried, lost, on, exclude=leaving, candidates=candidates, room_first=True
            )
            out.append(
                ScopePreview(coverage.unit, coverage, after, tuple(picks), broken, tuple(gained))
            )
    return out


# --- applying -------------------------------------------------------------------------------


def plan_changes(document: Mapping[str, object]) -> ChangeSet:
    """The records a kept plan writes."""
    raw = document["changes"]
    assert isinstance(raw, dict)
    return ChangeSet(
        cadres=[cadre_from_row(r) for r in raw["cadres"]],
        assignments=[assignment_from_row(r) for r in raw["assignments"]],
    )


def scope_digest(store: GraphStore, reads: Mapping[str, list[str]]) -> str:
    """A digest of the part of the graph a plan read: the named cadres and every assignment of
    theirs, every assignment to the named units, who works in the scope, and (``unit_records``)
    the named units themselves: their versions, parents and successors."""
    cadre_ids = list(reads.get("cadres", []))
    codes = list(reads.get("units", []))
    cadres = store.cadres(cadre_ids)
    found: dict[str, Assignment] = {}
    for group in (*store.assignments_of(cadre_ids).values(), *store.assignments_at(codes).values()):
        found.update((a.id, a) for a in group)
    homes = sorted(c.id for c in store.cadres_of(list(reads.get("homes", []))))
    content: dict[str, Any] = {
        "cadres": [cadre_row(cadres[i]) if i in cadres else None for i in sorted(cadre_ids)],
        "assignments": [assignment_row(found[k]) for k in sorted(found)],
        "homes": homes,
    }
    if "unit_records" in reads:  # plans made before units were guarded have none
        units = store.units(reads["unit_records"])
        content["units"] = [unit_row(units[k]) for k in sorted(units)]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def apply_reshuffle(store: GraphStore, plan_id: str, by: str | None = None) -> AppliedPlan:
    """Apply a kept plan in one write, or refuse it (:class:`PlanRefused`) writing nothing."""
    document = store.plan_document(plan_id)
    if document is None:
        raise NotFound("plan", plan_id)
    for done in store.applied_plans():
        if done.get("id") == plan_id:
            raise PlanRefused(
                _("plan {plan} was applied on {at} by {by}; nothing was written").format(
                    plan=plan_id, at=done.get("applied_at"), by=done.get("applied_by")
                )
            )
    problems = document.get("problems")
    if isinstance(problems, list) and problems:
        raise PlanRefused(
            _(
                "plan {plan} has problems ({count}; `nam reshuffle show {plan}` lists them): "
                "fix the file and plan it again. Nothing was written."
            ).format(plan=plan_id, count=len(problems))
        )
    changes = plan_changes(document)
    if not len(changes):
        return AppliedPlan(plan_id, written=False)
    reads = document["reads"]
    assert isinstance(reads, dict)

    def guard(view: GraphStore) -> None:
        if scope_digest(view, reads) != document["digest"]:
            raise StalePlan(
                _(
                    "plan {plan} was made on {at} and what it changes has changed since "
                    "(another plan or load was applied); nothing was written: plan the file "
                    "again (`nam reshuffle plan {file}`)"
                ).format(plan=plan_id, at=document["made_at"], file=document["file"])
            )

    summary = document["summary"]
    assert isinstance(summary, dict)
    record: dict[str, Any] = {
        "id": plan_id,
        "file": document["file"],
        "file_hash": document["file_hash"],
        "decision": document["decision"],
        "effective": document["effective"],
        "made_at": document["made_at"],
        "made_by": document["made_by"],
        "applied_at": _now(),
        "applied_by": by or _user(),
        "counts": {k: summary[k] for k in ("end", "start", "continue", "status")},
        ACCESS_KEY: document.get(ACCESS_KEY),
    }
    store.apply(changes, guard=guard, record=record)
    return AppliedPlan(plan_id, written=True, record=record)


# --- helpers --------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
