"""The GraphQL schema: the root query and its limits. ``schema.graphql`` is exported from here."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, get_directive_values, get_operation_ast, get_variable_values
from strawberry.directive import DirectiveLocation
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.directives import DirectivesExtension, DirectivesExtensionSync
from strawberry.file_uploads import Upload
from strawberry.types import ExecutionContext

from graph import answers, model
from graph.dates import today
from graph.i18n import _
from graph.orphans import orphaned
from graph.petitions import petitions_under
from graph.presence import active_coverage, active_gaps
from graph.questions import cadres_in, living_tops, what_if
from graph.stores.port import (
    GraphStore,
    LevelNotInPolicy,
    NotFound,
    StoreBusy,
    StoreError,
    StoreTimeout,
    UnitNotInForce,
)
from graph.validate import validate_store
from graph.yearly import yearly_record
from namgraph.api.access import require_writer, unseen
from namgraph.api.activity import PetitionReport, YearlyRecord
from namgraph.api.checked import KnownParsed, KnownValid
from namgraph.api.context import Context, ReadGeneration
from namgraph.api.errors import Code, bad_input, not_found, store_unavailable
from namgraph.api.errors import error as coded
from namgraph.api.lanes import HeavyLanes
from namgraph.api.limits import CostLimit
from namgraph.api.logs import log
from namgraph.api.prefetch import asks, look_ahead, prefetch, start
from namgraph.api.reshuffles import (
    AppliedReshuffle,
    CadreHistory,
    Changes,
    PlanApplication,
    ReshufflePlan,
    apply_plan,
    cadre_history,
    changes,
    kept_plan,
    make_plan,
)
from namgraph.api.settings import Settings
from namgraph.api.types import (
    Cadre,
    CadreConnection,
    CadreStatus,
    ChainLink,
    Coverage,
    Ctx,
    Edge,
    Gap,
    GapConnection,
    GapReason,
    Load,
    LoadOrder,
    PageInfo,
    PolicyLevel,
    Reach,
    SearchHit,
    Unit,
    Viewer,
    Violation,
    ViolationConnection,
    WhatIf,
    decode_cursor,
    encode_cursor,
    keyed_page,
    on_date,
    page_size,
)
from namgraph.reports.build import coverage_levels
from namgraph.reports.labels import level_name

__all__ = ["RequestDate", "make_schema", "schema_text"]

#: The operation directive that names a request's date.
AS_OF = "asOf"


@strawberry.directive(
    locations=[DirectiveLocation.QUERY],
    name=AS_OF,
    description='The date of the whole request: `query Dashboard @asOf(date: "2023-05-01") '
    "{ ... }`. Every field with an `asOf` argument answers for this date unless its own "
    "`asOf` names another; without the directive, the date is today in Việt Nam (the "
    "server's NAM_TZ). Every answer names its date in `extensions.asOf`.",
)
def as_of_directive(date: date) -> None:  # read by RequestDate, never called
    return None


class RequestDate(SchemaExtension):
    """Reads the request's date from ``query @asOf(date: ...)`` (else today in ``NAM_TZ``)
    into the context before the resolvers run, and names it in ``extensions.asOf``."""

    def __init__(self) -> None:
        self.on: date | None = None

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        self.on = _directive_date(execution) or today()
        context = execution.context
        if isinstance(context, Context):
            context.as_of = self.on
        yield

    def get_results(self) -> dict[str, Any]:
        return {"asOf": self.on.isoformat()} if self.on is not None else {}


def _directive_date(execution: ExecutionContext) -> date | None:
    """The date of the operation's ``@asOf`` directive; None without one, or when its
    variables do not fit (execution then reports them)."""
    document = execution.graphql_document
    operation = get_operation_ast(document, execution.operation_name) if document else None
    directive = execution.schema._schema.get_directive(AS_OF)
    if operation is None or directive is None or not operation.directives:
        return None
    variables = get_variable_values(
        execution.schema._schema,
        operation.variable_definitions or (),
        execution.variables or {},
    )
    if isinstance(variables, list):
        return None
    values = get_directive_values(directive, operation, variables)
    found = (values or {}).get("date")
    return found if isinstance(found, date) else None


def _domain(exc: Exception) -> GraphQLError:
    if isinstance(exc, UnitNotInForce):
        return GraphQLError(
            str(exc),
            extensions={
                "code": str(Code.NOT_FOUND),
                "ended": exc.ended.isoformat() if exc.ended else None,
                "starts": exc.starts.isoformat() if exc.starts else None,
                "successors": [
                    {"code": m.code, "on": m.on.isoformat(), "resolution": m.resolution}
                    for m in exc.successors
                ],
            },
        )
    if isinstance(exc, NotFound):
        return not_found(exc.kind, exc.key)
    if isinstance(exc, StoreTimeout):
        return coded(Code.TIMEOUT, str(exc))
    if isinstance(exc, StoreBusy):
        return coded(Code.BUSY, str(exc))
    if isinstance(exc, StoreError):
        return store_unavailable(str(exc))
    return bad_input(str(exc))


async def _refuse(info: Ctx, exc: Exception) -> GraphQLError:
    """The error for ``exc``; a code or id the caller's scope hides goes to the audit trail
    (the caller gets the same answer as for one that does not exist)."""
    if isinstance(exc, UnitNotInForce) and exc.successors:
        # name only the successors the caller's scope may see
        codes = [m.code for m in exc.successors]
        seen = await info.context.call(info.context.store.units, codes)
        exc.successors = tuple(m for m in exc.successors if m.code in seen)
    elif isinstance(exc, NotFound):
        await unseen(info, exc.kind, exc.key)
    return _domain(exc)


@strawberry.type(description="A unit whose parent has ended, with no successor named.")
class Orphan:
    unit: Unit
    ended_parent: Unit = strawberry.field(description="The parent as it was before it ended.")
    ended_on: date
    living_ancestor: Unit | None = strawberry.field(
        description="The nearest ancestor of the ended parent still alive on the date."
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="A unit by its code; null when there is none. Its name, kind and parent "
        "of the date (`asOf`, else the request's date; a unit that did not exist that day "
        "keeps its latest ones: `validFrom` and `validTo` say so)."
    )
    async def unit(self, info: Ctx, code: strawberry.ID, as_of: date | None = None) -> Unit | None:
        look = look_ahead(info)
        if look is not None:  # a walk down from here: its units at once (namgraph.api.prefetch)
            await prefetch(info, str(code), look)
        found = await info.context.loaders.units.load(str(code))
        if found is None:
            await unseen(info, "unit", str(code))
            return None
        on = on_date(info, as_of)
        return Unit.of(found.on(on), on if found.exists_on(on) else None)

    @strawberry.field(
        description="Units alive on the date whose parent has ended (no merge file named a "
        "successor), by code; with `unit`, those below that ended unit or one under it. "
        "Complete: not paged."
    )
    async def orphaned(
        self, info: Ctx, unit: strawberry.ID | None = None, as_of: date | None = None
    ) -> list[Orphan]:
        on = on_date(info, as_of)
        found = await info.context.call(
            orphaned, info.context.store, on, str(unit) if unit else None
        )
        return [
            Orphan(
                unit=Unit.of(o.unit, on),
                ended_parent=Unit.of(o.ended_parent),
                ended_on=o.ended_on,
                living_ancestor=Unit.of(o.living_ancestor, on) if o.living_ancestor else None,
            )
            for o in found
        ]

    @strawberry.field(
        description="Who is asking, what their token may do, and the units at the top of "
        "what it sees on the date."
    )
    async def viewer(self, info: Ctx, as_of: date | None = None) -> Viewer:
        context = info.context
        principal = context.principal
        on = on_date(info, as_of)
        if principal.scope is not None:
            found = await context.loaders.units.load(principal.scope)
            roots = [found] if found is not None else []
        else:
            roots = await context.call(living_tops, context.store, on)
        return Viewer(
            role=str(principal.role),
            demo=principal.kind == "demo",
            may_apply=principal.can_write,
            sees_contacts=principal.sees_contacts,
            roots=[Unit.of(u.on(on), on if u.exists_on(on) else None) for u in roots],
        )

    @strawberry.field(
        description="The levels of the policy in force on the date, top down; complete."
    )
    def levels(self, info: Ctx, as_of: date | None = None) -> list[PolicyLevel]:
        policy = info.context.store.policy_on(on_date(info, as_of))
        return [
            PolicyLevel(
                id=level.id,
                label=level_name(policy, level.id),
                counted=policy.coverage_rule(level.id) is not None,
            )
            for level in policy.levels
        ]

    @strawberry.field(description="A cadre by id; null when there is none.")
    async def cadre(self, info: Ctx, id: strawberry.ID) -> Cadre | None:
        if asks(info, "assignments"):  # its store call side by side with the cadre's
            start(info.context.loaders.assignments.load(str(id)))
        found = await info.context.loaders.cadres.load(str(id))
        if found is None:
            await unseen(info, "cadre", str(id))
        return Cadre.of(found) if found else None

    @strawberry.field(
        description="Units and cadres by name, with or without diacritics: the `first` best "
        "hits (default 10), best first. Not complete: a longer `text` narrows it."
    )
    async def search(self, info: Ctx, text: str, first: int | None = 10) -> list[SearchHit]:
        size = page_size(info, first)
        hits = await info.context.call(info.context.store.search, text, size)
        return [Unit.of(h) if isinstance(h, model.Unit) else Cadre.of(h) for h in hits]

    @strawberry.field(description="Coverage of a unit's subtree per level and end to end.")
    async def coverage(self, info: Ctx, unit: strawberry.ID, as_of: date | None = None) -> Coverage:
        try:
            return Coverage.of(
                await info.context.call(
                    info.context.store.coverage, str(unit), on_date(info, as_of)
                )
            )
        except (NotFound, StoreError) as exc:
            raise await _refuse(info, exc) from None

    @strawberry.field(
        description="Coverage of a unit's subtree counted under the active rule of the policy "
        "in force: a unit counts as covered only if its supporter was also present (attended "
        "a meeting or made a recorded visit) in the policy's period before the date. Same "
        "shape as `coverage`."
    )
    async def active_coverage(
        self, info: Ctx, unit: strawberry.ID, as_of: date | None = None
    ) -> Coverage:
        try:
            return Coverage.of(
                await info.context.call(
                    active_coverage, info.context.store, str(unit), on_date(info, as_of)
                )
            )
        except (NotFound, StoreError, ValueError) as exc:
            raise await _refuse(info, exc) from None

    @strawberry.field(
        description="The petitions raised under a unit up to the date: the open ones (with "
        "`overdue: true`, only those past the policy's answer deadline), where each is waiting, "
        "counts per level and per cadre, and the median days to an answer per unit one level "
        "down. Texts are shown to officers only."
    )
    async def petitions(
        self, info: Ctx, unit: strawberry.ID, as_of: date | None = None, overdue: bool = False
    ) -> PetitionReport:
        try:
            report = await info.context.call(
                petitions_under, info.context.store, str(unit), on_date(info, as_of)
            )
        except (NotFound, StoreError, ValueError) as exc:
            raise await _refuse(info, exc) from None
        return PetitionReport.of(report, overdue)

    @strawberry.field(
        description="A cadre's yearly record (phiếu đánh giá): units followed and days held, "
        "meetings attended against the minimum of their title, petitions received, passed on "
        "and answered in time, and the coverage of their units at the year's end (the "
        "request's date, for the current year)."
    )
    async def record(
        self, info: Ctx, cadre: strawberry.ID, year: int, as_of: date | None = None
    ) -> YearlyRecord:
        try:
            found = await info.context.call(
                yearly_record, info.context.store, str(cadre), year, on_date(info, as_of)
            )
        except (NotFound, StoreError, ValueError) as exc:
            raise await _refuse(info, exc) from None
        return YearlyRecord.of(found)

    @strawberry.field(
        description="Units at a level of a unit's subtree with no unbroken chain on the date, "
        "by code, a page at a time (`totalCount` counts them all). With `reason`, only gaps "
        "for these reasons; with `under`, only those in that unit's subtree (a district of "
        "the province, say). Without `level`, the first level below the unit at which "
        "coverage is counted (`level` in the answer names it). With `active: true`, under the "
        "active rule (see `activeCoverage`): gaps then include SUPPORTER_ABSENT."
    )
    async def gaps(
        self,
        info: Ctx,
        unit: strawberry.ID,
        level: str | None = None,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
        reason: list[GapReason] | None = None,
        under: strawberry.ID | None = None,
        active: bool = False,
    ) -> GapConnection:
        size = page_size(info, first)
        if after is not None:
            decode_cursor("gap", after)  # a bad cursor is refused before the store is asked
        store = info.context.store
        on = on_date(info, as_of)
        try:
            if level is None:
                level_id = await info.context.call(_first_counted_below, store, str(unit), on)
            else:
                level_id = store.policy_on(on).level_id(level) or level
            if active:
                found = await info.context.call(active_gaps, store, str(unit), level_id, on)
            else:
                found = await info.context.call(store.gaps, str(unit), level_id, on)
            if under is not None:
                found = await info.context.call(_gaps_under, store, found, str(under), on)
        except (NotFound, StoreError, ValueError) as exc:
            raise await _refuse(info, exc) from None
        if reason is not None:
            wanted = {r.value for r in reason}
            found = [g for g in found if str(g.reason) in wanted]
        page, page_info = keyed_page("gap", found, lambda g: g.unit.code, size, after)
        return GapConnection(
            level=level_id,
            total_count=len(found),
            page_info=page_info,
            edges=[Edge(cursor=cursor, node=Gap.of(g, on)) for cursor, g in page],
        )

    @strawberry.field(
        description="The chain upward from a unit, level by level, with supporters; complete."
    )
    async def chain(
        self, info: Ctx, unit: strawberry.ID, as_of: date | None = None
    ) -> list[ChainLink]:
        try:
            links = await info.context.call(
                info.context.store.chain, str(unit), on_date(info, as_of)
            )
        except (NotFound, StoreError) as exc:
            raise await _refuse(info, exc) from None
        return [ChainLink.of(link) for link in links]

    @strawberry.field(description="What a cadre reaches, and where the chain breaks below them.")
    async def reach(self, info: Ctx, cadre: strawberry.ID, as_of: date | None = None) -> Reach:
        try:
            return Reach.of(
                await info.context.call(info.context.store.reach, str(cadre), on_date(info, as_of))
            )
        except (NotFound, StoreError) as exc:
            raise await _refuse(info, exc) from None

    @strawberry.field(
        description="If these cadres leave on a date: coverage before and after, and what loses it."
    )
    async def what_if(
        self, info: Ctx, cadres: list[strawberry.ID], on: date, scope: strawberry.ID | None = None
    ) -> WhatIf:
        if not cadres:
            raise bad_input(_("name at least one cadre"))
        store = info.context.store
        try:
            answer = await info.context.call(
                what_if, store, [str(c) for c in cadres], on, str(scope) if scope else None
            )
        except (NotFound, StoreError) as exc:
            raise await _refuse(info, exc) from None
        return WhatIf.of(answer)

    @strawberry.field(description="A reshuffle plan by id; null when there is none.")
    async def plan(self, info: Ctx, id: strawberry.ID) -> ReshufflePlan | None:
        return await kept_plan(info, str(id))

    @strawberry.field(description="Every applied reshuffle, oldest first; complete.")
    async def reshuffles(self, info: Ctx) -> list[AppliedReshuffle]:
        records = await info.context.call(info.context.store.applied_plans)
        return [AppliedReshuffle.of(r) for r in records]

    @strawberry.field(description="What changed in a unit's subtree after `from`, up to `to`.")
    async def diff(
        self,
        info: Ctx,
        unit: strawberry.ID,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> Changes:
        return await changes(info, str(unit), from_, to)

    @strawberry.field(description="A cadre's statuses and assignments over time.")
    async def history(self, info: Ctx, cadre: strawberry.ID) -> CadreHistory | None:
        return await cadre_history(info, str(cadre))

    @strawberry.field(
        description="Validation findings for a unit's subtree (everything when no unit)."
    )
    async def violations(
        self,
        info: Ctx,
        unit: strawberry.ID | None = None,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ViolationConnection:
        size = page_size(info, first)
        try:
            found = await info.context.call(
                validate_store,
                info.context.store,
                on_date(info, as_of),
                str(unit) if unit else None,
            )
        except (NotFound, StoreError) as exc:
            raise await _refuse(info, exc) from None
        start = _violation_start(after)
        page = found[start : start + size]
        edges = [
            Edge(
                cursor=encode_cursor("violation", str(start + i)),
                node=Violation(
                    rule=v.rule,
                    severity=str(v.severity),
                    subject=v.subject,
                    attribute=v.attribute,
                    message=v.message,
                ),
            )
            for i, v in enumerate(page)
        ]
        errors = sum(1 for v in found if v.severity is model.Severity.ERROR)
        return ViolationConnection(
            total_count=len(found),
            errors=errors,
            warnings=len(found) - errors,
            page_info=PageInfo(
                has_next_page=start + size < len(found),
                end_cursor=edges[-1].cursor if edges else None,
            ),
            edges=edges,
        )

    @strawberry.field(
        description="Active cadres working in a unit's subtree with their load on the date, "
        "most units first (`orderBy` sorts by units or households, either way); with "
        "`overloadedOnly`, only those over their rule's limit. Ranked, not complete: the "
        "first `first` (default 100, at most 500); a shorter list is all of them."
    )
    async def workload(
        self,
        info: Ctx,
        unit: strawberry.ID,
        as_of: date | None = None,
        first: int | None = None,
        order_by: LoadOrder = LoadOrder.UNITS_DESC,
        overloaded_only: bool = False,
    ) -> list[Load]:
        size = page_size(info, first)
        try:
            loads = await info.context.call(
                info.context.store.load, str(unit), on_date(info, as_of)
            )
        except (NotFound, StoreError) as exc:
            raise await _refuse(info, exc) from None
        if overloaded_only:
            loads = [item for item in loads if item.overloaded]
        loads = sorted(loads, key=order_by.key)
        return [Load.of(item) for item in loads[:size]]

    @strawberry.field(
        description="Cadres whose home unit is the unit or one below it on the date, by id, "
        "whatever their status, a page at a time (`totalCount` counts them all). With "
        "`level`, only cadres of that level; with `title`, only those holding that title; "
        "with `status`, only those with that status on the date."
    )
    async def cadres(
        self,
        info: Ctx,
        unit: strawberry.ID,
        level: str | None = None,
        title: str | None = None,
        status: CadreStatus | None = None,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CadreConnection:
        size = page_size(info, first)
        if after is not None:
            decode_cursor("cadre", after)  # a bad cursor is refused before the store is asked
        on = on_date(info, as_of)
        try:
            found = await info.context.call(cadres_in, info.context.store, str(unit), on)
        except (NotFound, StoreError) as exc:
            raise await _refuse(info, exc) from None
        chosen = [
            c
            for c in found
            if (level is None or c.level == level)
            and (title is None or title in c.titles)
            and (status is None or str(c.status_on(on)) == status.value)
        ]
        page, page_info = keyed_page("cadre", chosen, lambda c: c.id, size, after)
        return CadreConnection(
            total_count=len(chosen),
            page_info=page_info,
            edges=[Edge(cursor=cursor, node=Cadre.of(c)) for cursor, c in page],
        )


def _gaps_under(
    store: GraphStore, found: list[answers.Gap], under: str, on: date
) -> list[answers.Gap]:
    """The gaps of ``found`` in the subtree of ``under`` on ``on`` (one store call for the
    ancestors of them all); :class:`NotFound` when there is no unit ``under``."""
    if store.unit(under) is None:
        raise NotFound("unit", under)
    above = store.ancestors_of([g.unit.code for g in found], on)
    return [
        g
        for g in found
        if g.unit.code == under or any(u.code == under for u in above.get(g.unit.code, ()))
    ]


def _violation_start(after: str | None) -> int:
    """Where the page after the cursor ``after`` starts; a cursor this API did not give out
    (not a position, or a negative one) is BAD_INPUT."""
    if after is None:
        return 0
    key = decode_cursor("violation", after)
    if not key.isascii() or not key.isdigit() or len(key) > 9:
        raise bad_input(
            _("cursor {cursor} is not one this API gave out; use pageInfo.endCursor").format(
                cursor=repr(after)
            )
        )
    return int(key) + 1


_LIMIT_WORDS = re.compile(r"maximum operation depth|aliases found|token", re.IGNORECASE)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Plan a reshuffle from an uploaded CSV or XLSX file (multipart request): "
        "diff it against the graph on its date, preview it, keep it. Nothing is applied."
    )
    async def plan_reshuffle(
        self,
        info: Ctx,
        file: Upload,
        on: date | None = None,
        decision: str | None = None,
        scope: strawberry.ID | None = None,
        sheet: Annotated[
            str | None,
            strawberry.argument(
                description="The sheet to read from a workbook with data on several sheets."
            ),
        ] = None,
    ) -> ReshufflePlan:
        require_writer(info, "planReshuffle")
        info.context.wrote = True  # a mutation is never asked twice
        return await make_plan(info, file, on, decision, str(scope) if scope else None, sheet)

    @strawberry.mutation(
        description="Apply a kept plan in one write, or refuse it writing nothing "
        "(STALE_PLAN when what it changes has changed since it was made)."
    )
    async def apply_plan(self, info: Ctx, id: strawberry.ID) -> PlanApplication:
        require_writer(info, "applyPlan")
        info.context.wrote = True  # its answer names the generation after the write
        return await apply_plan(info, str(id))


def error_code(error: GraphQLError) -> str:
    """The code an error leaves with: its own, else one derived from what went wrong."""
    given = (error.extensions or {}).get("code")
    if given:
        return str(given)
    original = error.original_error
    if original is None:
        return str(Code.QUERY_TOO_COMPLEX if _LIMIT_WORDS.search(error.message) else Code.BAD_INPUT)
    if isinstance(original, LevelNotInPolicy):  # a map older than its policy: says what to do
        return str(Code.BAD_INPUT)
    if isinstance(original, StoreTimeout):
        return str(Code.TIMEOUT)
    if isinstance(original, StoreError | OSError):
        return str(Code.STORE_UNAVAILABLE)
    return str(Code.INTERNAL)


class ErrorCodes(SchemaExtension):
    """Every error leaves with a code: validation errors are BAD_INPUT, unexpected ones INTERNAL."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = list(result.errors or []) if result else []
        errors += self.execution_context.pre_execution_errors or []
        for error in errors:
            error.extensions = {**(error.extensions or {}), "code": error_code(error)}


class Schema(strawberry.Schema):
    """Logs errors as JSON lines; a traceback only for the unexpected ones.

    Strawberry adds its directives extension to every schema that declares a directive; it
    wraps every field's resolver in a coroutine to run field directives, which made each of the
    thousands of fields of a dashboard a task of its own (about two fifths of its time).
    namgraph's one directive, ``@asOf``, sits on the operation (``RequestDate`` reads it), and
    validation refuses it on a field, so that extension is left out."""

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        return [
            extension
            for extension in super().get_extensions(sync)
            if not isinstance(extension, DirectivesExtension | DirectivesExtensionSync)
        ]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            code = error_code(error)
            unexpected = code in (Code.INTERNAL, Code.STORE_UNAVAILABLE)
            log(
                "graphql error",
                logging.ERROR if unexpected else logging.INFO,
                exc_info=error.original_error if unexpected else None,
                code=code,
                message=error.message,
                path=error.path,
            )
            context = execution_context.context if execution_context else None
            if code == Code.QUERY_TOO_COMPLEX and isinstance(context, Context):
                context.audit("refused", context.principal, code, reason=error.message)


#: How many query texts are kept parsed, and how many known valid (least recently used go
#: first; see namgraph.api.checked): unique texts cannot grow either.
KNOWN_TEXTS = 512


def make_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    extensions: list[object] = [
        ErrorCodes,
        RequestDate,
        HeavyLanes(settings.heavy_lanes, settings.heavy_wait).extension(),
        ReadGeneration,
        lambda: QueryDepthLimiter(max_depth=settings.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: KnownParsed(maxsize=KNOWN_TEXTS),
        lambda: CostLimit(settings.max_cost, settings.default_page),
        KnownValid.factory(KNOWN_TEXTS),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        directives=[as_of_directive],
        extensions=extensions,  # type: ignore[arg-type]
    )


def schema_text() -> str:
    """The SDL published as ``schema.graphql``."""
    return make_schema().as_str() + "\n"


def _first_counted_below(store: GraphStore, code: str, on: date) -> str:
    """The first level below the unit ``code`` at which the policy of ``on`` counts coverage."""
    found = store.unit(code)
    if found is None:
        raise NotFound("unit", code)
    policy = store.policy_on(on)
    level = found.on(on).level
    if not policy.has_level(level):
        raise ValueError(
            _("no level {level} in policy {policy}").format(level=level, policy=policy.id)
        )
    below = [counted for counted in coverage_levels(policy, level) if counted != level]
    if below:
        return below[0]
    raise ValueError(
        _("policy {policy} counts no coverage below the level {level}").format(
            policy=policy.id, level=level
        )
    )
