"""Reshuffles in the API: plans (made from an uploaded file, read back by id), applying them,
the record of applied ones, and history: what changed in a subtree, a cadre's past."""

from __future__ import annotations

from datetime import date
from pathlib import Path, PurePath
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload

from graph import answers, model
from graph.i18n import _
from graph.questions import changes_between
from graph.scope import OutOfScope
from graph.stores.port import NotFound, StoreBusy, StoreError
from loaders.problems import LoadError
from loaders.reshuffle import PlanRefused, StalePlan, apply_reshuffle, plan_reshuffle
from namgraph.api.access import made_by, unseen
from namgraph.api.errors import Code, bad_input, error, not_found, store_unavailable
from namgraph.api.types import Assignment, Cadre, CadreStatus, Ctx, LevelCoverage, Unit
from namgraph.api.uploads import upload_folder

__all__ = [
    "AppliedReshuffle",
    "CadreHistory",
    "Changes",
    "PlanApplication",
    "ReshufflePlan",
    "apply_plan",
    "cadre_history",
    "changes",
    "kept_plan",
    "make_plan",
]

UPLOAD_SUFFIXES = (".csv", ".xlsx")


async def _unit(info: Ctx, code: str) -> Unit | None:
    found = await info.context.loaders.units.load(code)
    return Unit.of(found) if found else None


async def _cadre(info: Ctx, cadre_id: str) -> Cadre | None:
    found = await info.context.loaders.cadres.load(cadre_id)
    return Cadre.of(found) if found else None


@strawberry.type(description="A problem of a reshuffle file: where it is and what to fix.")
class PlanProblem:
    file: str
    row: int | None
    column: str | None
    message: str
    rule: str
    severity: str
    code: str = strawberry.field(
        description="Stable, for scripts: not_utf8, sheet_extra, formula_cell, row_cap, ... "
        "or the validation rule's id."
    )

    @classmethod
    def of(cls, raw: dict[str, Any]) -> PlanProblem:
        rule = raw.get("rule", "input")
        return cls(
            file=raw["file"],
            row=raw.get("row"),
            column=raw.get("column"),
            message=raw["message"],
            rule=rule,
            severity=raw.get("severity", "error"),
            code=raw.get("code") or ("bad_value" if rule == "input" else rule),
        )


@strawberry.type(description="An assignment a plan ends or starts.")
class PlannedAssignment:
    id: strawberry.ID
    role: str
    since: date
    until: date | None
    _cadre: strawberry.Private[str]
    _unit: strawberry.Private[str]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> PlannedAssignment:
        until = raw.get("until")
        return cls(
            id=strawberry.ID(raw["id"]),
            role=raw["role"],
            since=date.fromisoformat(raw["since"]),
            until=date.fromisoformat(until) if until else None,
            _cadre=raw["cadre"],
            _unit=raw["unit"],
        )

    @strawberry.field
    async def cadre(self, info: Ctx) -> Cadre | None:
        return await _cadre(info, self._cadre)

    @strawberry.field
    async def unit(self, info: Ctx) -> Unit | None:
        return await _unit(info, self._unit)


@strawberry.type(description="A cadre's status a plan changes (from what, to what).")
class PlannedStatus:
    previous: CadreStatus
    status: CadreStatus
    _cadre: strawberry.Private[str]

    @strawberry.field
    async def cadre(self, info: Ctx) -> Cadre | None:
        return await _cadre(info, self._cadre)


@strawberry.type
class PlanSummary:
    ended: int
    started: int
    continued: int
    status_changes: int
    errors: int
    warnings: int


@strawberry.type(description="Coverage of a scope in a preview (as it is, or as it would be).")
class PlanCoverage:
    households: int
    households_reached: int
    ratio: float | None
    levels: list[LevelCoverage] = strawberry.field(description="Every level; complete.")

    @classmethod
    def of(cls, raw: dict[str, Any]) -> PlanCoverage:
        return cls(
            households=raw["households"],
            households_reached=raw["households_reached"],
            ratio=raw["ratio"],
            levels=[
                LevelCoverage(
                    level=lc["level"], units=lc["units"], covered=lc["covered"], ratio=lc["ratio"]
                )
                for lc in raw["levels"]
            ],
        )


@strawberry.type(description="Who could take over a unit: fewest units carried first.")
class PlanCandidate:
    units: int
    households: int
    max_units: int | None
    _cadre: strawberry.Private[str]

    @strawberry.field
    async def cadre(self, info: Ctx) -> Cadre | None:
        return await _cadre(info, self._cadre)


@strawberry.type(description="A unit that loses its own supporter under the plan.")
class PlanLoss:
    candidates: list[PlanCandidate] = strawberry.field(
        description="Not complete: the three cadres who could take it over with the most room "
        "and fewest units."
    )
    _unit: strawberry.Private[str]

    @strawberry.field
    async def unit(self, info: Ctx) -> Unit | None:
        return await _unit(info, self._unit)


@strawberry.type
class LevelCount:
    level: str
    units: int


@strawberry.type(description="Coverage of one scope before and after a plan, and what changes.")
class ScopePreview:
    before: PlanCoverage
    after: PlanCoverage
    lost: list[PlanLoss] = strawberry.field(
        description="Every unit that loses its own supporter; complete."
    )
    newly_broken_below: list[LevelCount] = strawberry.field(
        description="Per level, units whose chain the plan breaks above them; complete."
    )
    _scope: strawberry.Private[str]
    _gained: strawberry.Private[list[str]]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> ScopePreview:
        return cls(
            before=PlanCoverage.of(raw["before"]),
            after=PlanCoverage.of(raw["after"]),
            lost=[
                PlanLoss(
                    candidates=[
                        PlanCandidate(
                            units=c["units"],
                            households=c["households"],
                            max_units=c["max_units"],
                            _cadre=c["cadre"],
                        )
                        for c in lost["candidates"]
                    ],
                    _unit=lost["unit"]["code"],
                )
                for lost in raw["lost"]
            ],
            newly_broken_below=[LevelCount(level=k, units=v) for k, v in raw["broken"].items()],
            _scope=raw["scope"]["code"],
            _gained=[u["code"] for u in raw["gained"]],
        )

    @strawberry.field
    async def scope(self, info: Ctx) -> Unit | None:
        return await _unit(info, self._scope)

    @strawberry.field(description="Units covered after the plan and not before; complete.")
    async def gained(self, info: Ctx) -> list[Unit]:
        found = await info.context.loaders.units.load_many(self._gained)
        return [Unit.of(u) for u in found if u is not None]


@strawberry.type(description="The record of an applied reshuffle.")
class AppliedReshuffle:
    id: strawberry.ID
    file: str
    file_hash: str
    decision: str
    effective: date
    made_at: str
    made_by: str
    applied_at: str
    applied_by: str
    ended: int
    started: int
    status_changes: int

    @classmethod
    def of(cls, raw: dict[str, Any]) -> AppliedReshuffle:
        counts = raw.get("counts") or {}
        return cls(
            id=strawberry.ID(raw["id"]),
            file=raw["file"],
            file_hash=raw["file_hash"],
            decision=raw["decision"],
            effective=date.fromisoformat(raw["effective"]),
            made_at=raw["made_at"],
            made_by=raw["made_by"],
            applied_at=raw["applied_at"],
            applied_by=raw["applied_by"],
            ended=counts.get("end", 0),
            started=counts.get("start", 0),
            status_changes=counts.get("status", 0),
        )


@strawberry.type(description="A reshuffle plan: what it changes, its problems, its preview.")
class ReshufflePlan:
    id: strawberry.ID
    file: str
    file_hash: str
    kind: str = strawberry.field(description="changes (a list of changes) or roster.")
    decision: str
    effective: date
    made_at: str
    made_by: str
    summary: PlanSummary
    ended: list[PlannedAssignment] = strawberry.field(
        description="Every assignment it ends; complete."
    )
    started: list[PlannedAssignment] = strawberry.field(
        description="Every assignment it starts; complete."
    )
    status_changes: list[PlannedStatus] = strawberry.field(
        description="Every status it changes; complete."
    )
    problems: list[PlanProblem] = strawberry.field(
        description="Every error found in the file; complete."
    )
    warnings: list[PlanProblem] = strawberry.field(
        description="Every warning found in the file; complete."
    )
    preview: list[ScopePreview] = strawberry.field(
        description="One per scope the plan touches; complete."
    )
    _scope: strawberry.Private[str | None]

    @classmethod
    def of(cls, doc: dict[str, Any]) -> ReshufflePlan:
        s = doc["summary"]
        return cls(
            id=strawberry.ID(doc["id"]),
            file=doc["file"],
            file_hash=doc["file_hash"],
            kind=doc["kind"],
            decision=doc["decision"],
            effective=date.fromisoformat(doc["effective"]),
            made_at=doc["made_at"],
            made_by=doc["made_by"],
            summary=PlanSummary(
                ended=s["end"],
                started=s["start"],
                continued=s["continue"],
                status_changes=s["status"],
                errors=s["errors"],
                warnings=s["warnings"],
            ),
            ended=[PlannedAssignment.of(a) for a in doc["ended"]],
            started=[PlannedAssignment.of(a) for a in doc["started"]],
            status_changes=[
                PlannedStatus(
                    previous=CadreStatus(st["from"]),
                    status=CadreStatus(st["to"]),
                    _cadre=st["cadre"],
                )
                for st in doc["statuses"]
                # a reorganisation also lists cadres whose home unit moves to its successor
                # ("home 831" -> "home 86"): not a change of status
                if st["from"] in _STATUSES and st["to"] in _STATUSES
            ],
            problems=[PlanProblem.of(p) for p in doc["problems"]],
            warnings=[PlanProblem.of(p) for p in doc["warnings"]],
            preview=[ScopePreview.of(p) for p in doc["preview"]],
            _scope=doc.get("scope"),
        )

    @strawberry.field(description="The unit a roster covers; null for a list of changes.")
    async def scope(self, info: Ctx) -> Unit | None:
        return await _unit(info, self._scope) if self._scope else None

    @strawberry.field(description="Its record once applied; null while it is only a plan.")
    async def applied(self, info: Ctx) -> AppliedReshuffle | None:
        records = await info.context.call(info.context.store.applied_plans)
        found = next((r for r in records if r.get("id") == self.id), None)
        return AppliedReshuffle.of(found) if found else None


@strawberry.type(description="A dated status of a cadre.")
class StatusPeriod:
    status: CadreStatus
    since: date | None


@strawberry.type(description="A cadre's statuses and assignments over time.")
class CadreHistory:
    cadre: Cadre
    statuses: list[StatusPeriod] = strawberry.field(description="Every status, by date; complete.")
    assignments: list[Assignment] = strawberry.field(
        description="Every assignment, by date; complete."
    )


@strawberry.type(description="A status change of a cadre, with its date.")
class StatusChange:
    cadre: Cadre
    status: CadreStatus
    since: date


@strawberry.type(description="What changed in a subtree after `from`, up to and including `to`.")
class Changes:
    unit: Unit
    from_: date = strawberry.field(name="from")
    to: date
    started: list[Assignment] = strawberry.field(
        description="Every assignment that started; complete."
    )
    ended: list[Assignment] = strawberry.field(description="Every assignment that ended; complete.")
    status_changes: list[StatusChange] = strawberry.field(
        description="Every status change; complete."
    )
    units: list[Unit] = strawberry.field(
        description="Units that appeared or were dissolved; complete."
    )

    @classmethod
    def of(cls, c: answers.Changes) -> Changes:
        return cls(
            unit=Unit.of(c.unit),
            from_=c.start,
            to=c.end,
            started=[Assignment.of(a) for a in c.started],
            ended=[Assignment.of(a) for a in c.ended],
            status_changes=[
                StatusChange(cadre=Cadre.of(cadre), status=CadreStatus(str(status)), since=since)
                for cadre, status, since in c.statuses
            ],
            units=[Unit.of(u) for u in c.units],
        )


_STATUSES = frozenset(s.value for s in CadreStatus)

# --- resolvers --------------------------------------------------------------------------------


def _refused(exc: Exception) -> GraphQLError:
    if isinstance(exc, StalePlan):
        return error(Code.STALE_PLAN, str(exc))
    if isinstance(exc, OutOfScope):
        return error(Code.FORBIDDEN, str(exc))
    if isinstance(exc, NotFound):
        return not_found(exc.kind, exc.key)
    if isinstance(exc, StoreBusy):
        return error(Code.BUSY, str(exc))
    if isinstance(exc, StoreError):
        return store_unavailable(str(exc))
    if isinstance(exc, LoadError):
        return GraphQLError(
            "; ".join(str(p) for p in exc.problems[:20]),
            extensions={
                "code": str(Code.BAD_INPUT),
                "problems": [p.as_dict() for p in exc.problems[:50]],
            },
        )
    return bad_input(str(exc))


async def make_plan(
    info: Ctx,
    file: Upload,
    on: date | None,
    decision: str | None,
    scope: str | None,
    sheet: str | None = None,
) -> ReshufflePlan:
    limit = info.context.settings.max_upload_bytes
    if not isinstance(file, UploadFile):
        raise bad_input(
            _(
                "`file` must be an uploaded file: send the request as multipart/form-data with "
                "the file mapped to the variable (GraphQL multipart request), not as text"
            )
        )
    name = PurePath(str(file.filename or "reshuffle.csv")).name
    suffix = PurePath(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise bad_input(
            _("{file}: upload a .csv or .xlsx reshuffle file (`nam template reshuffle`)").format(
                file=repr(name)
            )
        )
    content = await file.read(limit + 1)
    audit = info.context.audit
    principal = info.context.principal
    if len(content) > limit:
        audit("refused", principal, "TOO_LARGE", field="planReshuffle", file=name)
        raise bad_input(
            _("{file} is larger than {limit} bytes; split the reshuffle").format(
                file=repr(name), limit=limit
            )
        )
    with upload_folder() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            document = await info.context.call(
                plan_reshuffle,
                info.context.store,
                path,
                on,
                decision,
                scope,
                made_by(principal),
                name,
                sheet,
                info.context.settings.upload_caps,
            )
        except (LoadError, NotFound, StoreError, ValueError) as exc:
            audit("write", principal, "refused", field="planReshuffle", file=name, reason=str(exc))
            raise _refused(exc) from None
    audit(
        "write",
        principal,
        "planned",
        field="planReshuffle",
        file=name,
        plan=document["id"],
        summary=document["summary"],
    )
    return ReshufflePlan.of(document)


async def kept_plan(info: Ctx, plan_id: str) -> ReshufflePlan | None:
    document = await info.context.call(info.context.store.plan_document, plan_id)
    if document is None:
        await unseen(info, "plan", plan_id)
    return ReshufflePlan.of(document) if document else None


@strawberry.type(description="What applying a plan did.")
class PlanApplication:
    plan: strawberry.ID
    written: bool = strawberry.field(
        description="False when the graph already held everything the plan says."
    )
    record: AppliedReshuffle | None


async def apply_plan(info: Ctx, plan_id: str) -> PlanApplication:
    principal = info.context.principal
    try:
        done = await info.context.call(
            apply_reshuffle, info.context.store, plan_id, made_by(principal)
        )
    except (PlanRefused, NotFound, StoreError) as exc:
        info.context.audit(
            "write", principal, "refused", field="applyPlan", plan=plan_id, reason=str(exc)
        )
        if isinstance(exc, NotFound):
            await unseen(info, "plan", plan_id)
        raise _refused(exc) from None
    info.context.audit(
        "write",
        principal,
        "applied" if done.written else "nothing to write",
        field="applyPlan",
        plan=plan_id,
        counts=done.record.get("counts"),
    )
    record = AppliedReshuffle.of(done.record) if done.written else None
    return PlanApplication(plan=strawberry.ID(plan_id), written=done.written, record=record)


async def changes(info: Ctx, unit: str, start: date, end: date) -> Changes:
    try:
        found = await info.context.call(changes_between, info.context.store, unit, start, end)
    except (NotFound, StoreError, ValueError) as exc:
        if isinstance(exc, NotFound):
            await unseen(info, exc.kind, exc.key)
        raise _refused(exc) from None
    return Changes.of(found)


async def cadre_history(info: Ctx, cadre_id: str) -> CadreHistory | None:
    store = info.context.store
    found: model.Cadre | None = await info.context.loaders.cadres.load(cadre_id)
    if found is None:
        await unseen(info, "cadre", cadre_id)
        return None
    held = await info.context.call(store.assignments, cadre=cadre_id)
    return CadreHistory(
        cadre=Cadre.of(found),
        statuses=[
            StatusPeriod(status=CadreStatus(str(p.status)), since=p.since) for p in found.history
        ],
        assignments=[Assignment.of(a) for a in held],
    )
