"""Report files over HTTP, for the download buttons of a web console:
``GET /reports/{kind}.{xlsx|csv}?unit=CODE&asOf=DATE[&level=LEVEL]``.

``kind`` is ``gaps``, ``coverage`` or ``workload``; the file is the one ``nam report KIND UNIT
--as-of DATE --xlsx|--csv FILE`` writes, made by the same builders and writers
(:mod:`namgraph.reports`). ``asOf`` is a date (``2023-05-01`` or ``1/5/2023``; default today);
``level`` (gaps only) keeps one level (``commune``, ``xã``).

A download passes the same gate as ``/graphql`` (origin, token, scope, rate; see
:mod:`namgraph.api.gate`) and reads the store as the caller's scope sees it. A scoped caller
asking about a unit outside their scope gets 403 FORBIDDEN, the same answer word for word as
for a code that exists nowhere; the audit trail tells the two apart (``OUT_OF_SCOPE``). Every
file served is on the audit trail too (``download``). The file is built on the lanes of heavy
work (:mod:`namgraph.api.lanes`, ``NAM_HEAVY_LANES`` at once, each waiting up to
``NAM_HEAVY_WAIT`` s for its turn, then 503 BUSY), never on the event loop, so cheap questions
are not kept waiting behind it.

=======  ===================  ======================================================
status   code                 when
=======  ===================  ======================================================
400      BAD_INPUT            an unknown kind or format, no unit, a bad date or level
403      FORBIDDEN            a unit outside the token's scope (or nowhere, for a
                              scoped token)
404      NOT_FOUND            a unit that does not exist, or not on that date
503      BUSY, TIMEOUT,       every lane busy, the store too slow or unreachable
         STORE_UNAVAILABLE
=======  ===================  ======================================================

Refusals have the JSON body of every other refusal of the server: ``{"errors": [{"message":
..., "extensions": {"code": ...}}]}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from graph.answers import GapReason
from graph.dates import parse_date, today
from graph.i18n import _
from graph.stores.port import (
    GraphStore,
    NotFound,
    StoreBusy,
    StoreError,
    StoreTimeout,
    UnitNotInForce,
)
from namgraph import reports
from namgraph.api.audit import Audit
from namgraph.api.auth import Principal
from namgraph.api.body import graphql_error
from namgraph.api.errors import not_found
from namgraph.api.lanes import HeavyLanes
from namgraph.api.settings import Settings
from namgraph.reports.csvfile import csv_bytes

__all__ = ["FORMATS", "KINDS", "PREFIX", "router"]

PREFIX = "/reports"

#: The reports, by the name in the path; gaps alone takes a level.
KINDS: dict[str, Callable[..., reports.Report]] = {
    "gaps": reports.gaps_report,
    "coverage": reports.coverage_report,
    "workload": reports.workload_report,
}


def _xlsx(report: reports.Report) -> bytes:
    from namgraph.reports.xlsx import xlsx_bytes  # openpyxl: only when a workbook is asked for

    return xlsx_bytes(report)


#: Each format: its media type and its writer.
FORMATS: dict[str, tuple[str, Callable[[reports.Report], bytes]]] = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _xlsx),
    "csv": ("text/csv; charset=utf-8", csv_bytes),
}

#: The longest unit code or level name read from a request.
LONGEST = 64
#: What a file name keeps: letters (Vietnamese ones too), digits, spaces, ``-``, ``.``, ``_``.
_UNSAFE = re.compile(r"[^\w\s.-]", re.UNICODE)


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def response(self) -> Response:
        response = graphql_error(self.status, self.code, self.message)
        if self.retry_after is not None:
            response.headers["Retry-After"] = str(self.retry_after)
        return response


@dataclass(frozen=True)
class Asked:
    kind: str
    form: str
    unit: str
    on: date
    level: str | None
    reasons: frozenset[str] | None = None


@dataclass(frozen=True)
class File:
    content: bytes
    media_type: str
    name: str
    fallback: str
    rows: int
    generation: int


def router(store: GraphStore, settings: Settings, audit: Audit) -> APIRouter:
    """The download route over ``store``; the requests reach it through the gate (the app's
    middleware admits every path under :data:`PREFIX` as it admits ``/graphql``)."""
    lanes = HeavyLanes(settings.heavy_lanes, settings.heavy_wait)
    routes = APIRouter(prefix=PREFIX)

    @routes.get("/{name}")
    async def download(request: Request, name: str) -> Response:
        principal: Principal | None = request.state.principal
        if principal is None:  # not admitted by the gate: never served
            return graphql_error(401, "UNAUTHENTICATED", "send `Authorization: Bearer <token>`")
        try:
            asked = _asked(name, request)
            refresh = getattr(store, "refresh", None)
            if refresh is not None:
                await run_in_threadpool(refresh)
            file = await _built(lanes, store, principal, audit, asked)
        except Refused as refused:
            return refused.response()
        audit(
            "download",
            principal,
            "OK",
            kind=asked.kind,
            format=asked.form,
            unit=asked.unit,
            as_of=asked.on.isoformat(),
            report_level=asked.level,
            rows=file.rows,
        )
        return attachment(
            file.content,
            file.media_type,
            file.name,
            file.fallback,
            {"X-Namgraph-Generation": str(file.generation)},
        )

    return routes


def attachment(
    content: bytes, media_type: str, name: str, fallback: str, extra: dict[str, str] | None = None
) -> Response:
    """A file to save: its name in the reader's language (``filename*``, UTF-8) and a plain
    ASCII one for old clients, never cached, never sniffed."""
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''" + quote(name, safe="")
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            **(extra or {}),
        },
    )


def _asked(name: str, request: Request) -> Asked:
    """What the request asks for, or :class:`Refused` (BAD_INPUT)."""
    kind, dot, form = name.rpartition(".")
    if not dot or kind not in KINDS:
        raise Refused(
            400,
            "BAD_INPUT",
            _("no report {name}; ask for one of {kinds}").format(
                name=repr((kind or name)[:LONGEST]),
                kinds=", ".join(f"{PREFIX}/{k}.xlsx" for k in KINDS),
            ),
        )
    if form not in FORMATS:
        raise Refused(
            400,
            "BAD_INPUT",
            _("no format {form}; ask for {xlsx} or {csv}").format(
                form=repr(form[:LONGEST]), xlsx=f"{PREFIX}/{kind}.xlsx", csv=f"{PREFIX}/{kind}.csv"
            ),
        )
    query = request.query_params
    unit = (query.get("unit") or "").strip()
    if not unit or len(unit) > LONGEST:
        raise Refused(400, "BAD_INPUT", _("give the unit's code: ?unit=83"))
    text = query.get("asOf")
    try:
        on = today() if text is None else parse_date(text[:LONGEST])
    except ValueError as exc:
        raise Refused(400, "BAD_INPUT", f"asOf: {exc}") from None
    level = query.get("level")
    if level is not None:
        level = level.strip()
        if kind != "gaps":
            raise Refused(
                400, "BAD_INPUT", _("the {kind} report takes no level; gaps does").format(kind=kind)
            )
        if not level or len(level) > LONGEST:
            raise Refused(400, "BAD_INPUT", _("level: give a level such as commune or xã"))
    asked_reasons = query.getlist("reason")
    reasons = None
    if asked_reasons:
        if kind != "gaps":
            raise Refused(
                400,
                "BAD_INPUT",
                _("the {kind} report takes no reason; gaps does").format(kind=kind),
            )
        known = {str(r) for r in GapReason}
        reasons = frozenset(r.strip().lower()[:LONGEST] for r in asked_reasons)
        unknown = sorted(reasons - known)
        if unknown:
            raise Refused(
                400,
                "BAD_INPUT",
                _("reason: no reason {reason}; give one of {known}").format(
                    reason=repr(unknown[0]), known=", ".join(sorted(known))
                ),
            )
    return Asked(kind, form, unit, on, level, reasons)


async def _built(
    lanes: HeavyLanes, store: GraphStore, principal: Principal, audit: Audit, asked: Asked
) -> File:
    """The file, built on a lane's thread, or :class:`Refused`."""
    try:
        return await lanes.run(_build, store, principal, audit, asked)
    except TimeoutError:
        retry = max(1, round(lanes.wait))
        raise Refused(
            503,
            "BUSY",
            _(
                "the server is building {lanes} heavy answers already and this file waited "
                "{wait} s for its turn; ask again in {retry} s"
            ).format(lanes=lanes.lanes, wait=f"{lanes.wait:g}", retry=retry),
            retry_after=retry,
        ) from None


def _build(store: GraphStore, principal: Principal, audit: Audit, asked: Asked) -> File:
    """On a lane's thread: the store as the caller sees it now, the report, its file."""
    view = store.pinned()
    if principal.scope is not None:
        view = view.scoped(principal.scope)
    try:
        if principal.scope is not None and view.unit(asked.unit) is None:
            _out_of_scope(store, principal, audit, asked)
        builder = KINDS[asked.kind]
        if asked.kind == "gaps":
            report = builder(view, asked.unit, asked.on, asked.level, asked.reasons)
        else:
            report = builder(view, asked.unit, asked.on)
        media_type, write = FORMATS[asked.form]
        content = write(report)
        generation = view.generation()
    except UnitNotInForce as exc:
        if principal.scope is not None and exc.successors:  # name only the ones in scope
            seen = view.units([m.code for m in exc.successors])
            exc.successors = tuple(m for m in exc.successors if m.code in seen)
        raise Refused(404, "NOT_FOUND", str(exc)) from None
    except NotFound as exc:
        raise Refused(404, "NOT_FOUND", not_found(exc.kind, exc.key).message) from None
    except StoreTimeout as exc:
        raise Refused(503, "TIMEOUT", str(exc)) from None
    except StoreBusy as exc:
        raise Refused(503, "BUSY", str(exc)) from None
    except StoreError as exc:
        raise Refused(
            503,
            "STORE_UNAVAILABLE",
            _("the graph store cannot answer now ({detail}); retry shortly").format(detail=exc),
        ) from None
    except ValueError as exc:  # an unknown level, a policy that counts nothing there
        raise Refused(400, "BAD_INPUT", str(exc)) from None
    unit = report.unit
    title = f"{_(report.title)} - {unit.code} {unit.name} - {report.as_of.isoformat()}"
    name = " ".join(_UNSAFE.sub(" ", title).split()) + "." + asked.form
    fallback = f"{asked.kind}-{_UNSAFE.sub('', unit.code)}-{report.as_of}.{asked.form}"
    fallback = fallback.encode("ascii", "ignore").decode()
    return File(content, media_type, name, fallback, report.rows, generation)


def _out_of_scope(store: GraphStore, principal: Principal, audit: Audit, asked: Asked) -> None:
    """Refuse a unit the caller's scope does not hold, in the same words whether it exists
    elsewhere or nowhere; only the audit trail tells which."""
    if store.unit(asked.unit) is not None:
        audit(
            "refused",
            principal,
            "OUT_OF_SCOPE",
            path=f"{PREFIX}/{asked.kind}.{asked.form}",
            kind="unit",
            key=asked.unit,
        )
    raise Refused(
        403,
        "FORBIDDEN",
        _(
            "no unit {key} in your scope ({scope}); ask about a unit in it, or for a token of a "
            "wider scope"
        ).format(key=repr(asked.unit), scope=principal.scope),
    )
