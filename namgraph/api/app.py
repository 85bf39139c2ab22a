"""The HTTP application: ``/graphql`` (with GraphiQL, whose files are under ``/graphiql``:
:mod:`namgraph.api.graphiql`), ``/reports``, ``/healthz``, ``/readyz``, the web console at ``/``
(:mod:`namgraph.console`); no ``/docs`` nor ``/openapi.json`` (the schema is
``schema.graphql``).

Every ``/graphql`` request passes the gate (:mod:`namgraph.api.gate`: origin, token, scope, rate,
size) and has its body read under the limit (:mod:`namgraph.api.body`) before GraphQL sees it; its
resolvers then read the store scoped to the caller. Every refusal, the framework's own
included, is a GraphQL-shaped JSON error with ``extensions.code``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.types import ExecutionResult

from graph.i18n import _
from graph.stores.port import GraphStore, StoreError
from graph.stores.read_log import logging_reads
from namgraph.api import downloads, graphiql, templates
from namgraph.api.audit import Audit
from namgraph.api.auth import Principal, Role
from namgraph.api.body import BodyGuard, JsonRefused, graphql_error, read_json
from namgraph.api.context import Context, bookkeeping
from namgraph.api.errors import Code, error, store_unavailable
from namgraph.api.gate import Gate
from namgraph.api.kept import Kept
from namgraph.api.schema import make_schema
from namgraph.api.settings import Settings
from namgraph.api.stamp import Stamp
from namgraph.api.uploads import sweep
from namgraph.console import router as console_router

__all__ = ["GraphQLDoor", "Router", "create_app"]


#: How many times a question is asked when writes keep landing while it is read (Neo4j).
READ_ATTEMPTS = 3

#: The caller of a request that asks nothing (the GraphiQL page): scoped to no unit at all.
NOBODY = Principal("none", "none", Role.ANALYST, "", "none")


class NoWebSockets:
    """Closes every WebSocket at once (policy violation): the API answers over HTTP only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


def coded_refusal(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The framework's refusal (no such path, a wrong method, a malformed form) as a GraphQL
    error with a code."""
    response = graphql_error(status, "NOT_FOUND" if status == 404 else "BAD_INPUT", message)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class GraphQLDoor:
    """Hands ``/graphql`` itself to the GraphQL view (:class:`Router`) and everything else to
    the application's routes. It sits inside the gate and the body guard, so every request it
    hands over has passed them."""

    def __init__(self, app: ASGIApp, graphql: ASGIApp) -> None:
        self.app = app
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ("/graphql", "/graphql/"):
            await self.graphql(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Router(GraphQL[Context, None]):
    """``/graphql``: strawberry's ASGI view, reached straight from the middleware (see
    :class:`GraphQLDoor`), without FastAPI's routing and dependency solving, which took about a
    fifth of a small request's time. Answers in UTF-8 JSON: Vietnamese names as written, not
    as \\u escapes. GraphiQL is namgraph's own page (:mod:`namgraph.api.graphiql`), which says
    whether the server runs in demo mode."""

    demo = False

    def __init__(
        self, schema: Any, context_getter: Callable[[Request], Awaitable[Context]]
    ) -> None:
        # multipart requests carry reshuffle files to planReshuffle (GraphQL multipart request
        # spec)
        super().__init__(schema, multipart_uploads_enabled=True)
        self.context_getter = context_getter

    async def get_context(self, request: Any, response: Any) -> Context:
        context = await self.context_getter(request)
        context.response = response  # its headers go out with the answer (Retry-After)
        return context

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """The JSON of a request (body, multipart ``operations`` and ``map``, GET
        ``variables``): UTF-8, well formed, not too deep; else a 400 with BAD_INPUT."""
        try:
            parsed = read_json(data)
        except JsonRefused as exc:
            raise HTTPException(400, str(exc)) from None
        if not isinstance(parsed, dict | list):
            raise HTTPException(
                400,
                _("the request must be a JSON object such as {example}").format(
                    example='{"query": "...", "variables": {}}'
                ),
            )
        return parsed

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        """A multipart request whose ``map`` does not fit its ``operations`` is BAD_INPUT."""
        try:
            return await super().parse_multipart(request)
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            raise HTTPException(
                400,
                _(
                    "the multipart request's `map` does not fit its `operations`: map each file "
                    "to a variable, e.g. {example} (GraphQL multipart request)"
                ).format(example='{"0": ["variables.file"]}'),
            ) from exc

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        """The framework's refusals (bad JSON, no query, a batch, a wrong method) as GraphQL
        errors with a code, not plain text."""
        try:
            return await super().run(*args, **kwargs)
        except HTTPException as exc:
            if exc.status_code == 405:  # a method other than GET and POST
                message = _("/graphql answers GET and POST requests only")
                return coded_refusal(405, message, {"Allow": "GET, POST"})
            return coded_refusal(exc.status_code, exc.reason)
        except StarletteHTTPException as exc:  # Starlette's own, reading a form, say
            return coded_refusal(exc.status_code, str(exc.detail), exc.headers)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """Every answer is of one write generation, named in ``extensions.generation``.

        The embedded store's requests read a snapshot, so their generation cannot move. On
        Neo4j (READ COMMITTED) a write may land between two of a request's reads: the question
        starts at the revision the store's last read saw (``seen_revision``, read before the
        question began), the revision is read again after the answer (at the end of each of its
        statements, when each could carry it: graph.stores.read_log), and a question that saw
        it move is asked again from there, up to three times. A request that wrote names the
        generation after its write."""
        for _attempt in range(READ_ATTEMPTS):
            with logging_reads() as reads:
                result = await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
            if context.wrote:
                context.generation = await bookkeeping(context.base, "generation")
                break
            if context.generation is None:  # nothing read
                break
            if context.kept_whole and not context.seen:  # all kept, at a revision read now
                break
            try:
                # every read ended with the revision read in its own statement: done already
                vouched = context.read_at is not None and reads.vouches(context.read_at)
                now = context.read_at if vouched else await bookkeeping(context.store, "revision")
            except StoreError as exc:  # the answer cannot be vouched for: none is given
                result = ExecutionResult(data=None, errors=[store_unavailable(str(exc))])
                context.generation = None
                break
            if now == context.read_at:  # the graph's id and generation, as at the start
                if context.answer_key is not None and self._whole(context, result):
                    context.answers[context.answer_key] = result.data
                context.keep_answers()
                break
            await context.pin()
        else:
            result = ExecutionResult(
                data=None,
                errors=[
                    error(
                        Code.BUSY,
                        f"the graph changed while each of {READ_ATTEMPTS} answers was being "
                        "read; ask again in a moment",
                    )
                ],
            )
            context.generation = None
        result.extensions = {**(result.extensions or {}), "generation": context.generation}
        return result

    @staticmethod
    def _whole(context: Context, result: ExecutionResult) -> bool:
        """A whole answer is kept only when it came without errors, put nothing on the audit
        trail and read nothing but kept questions."""
        return (
            not result.errors
            and not context.audited
            and context.all_kept
            and not context.kept_whole
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return graphiql.page(request.url.path, self.demo)


def create_app(store: GraphStore, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    sweep()  # upload files a killed server left behind
    schema = make_schema(settings)
    audit = Audit(settings.audit_log)
    gate = Gate(store, settings, audit)
    kept = Kept(settings.answer_cache)  # answers kept until the next write (namgraph.api.kept)
    if hasattr(store, "timeout"):
        setattr(store, "timeout", settings.query_timeout)  # noqa: B010 (Neo4j stops slow reads)

    async def context_getter(request: Request) -> Context:
        refresh = getattr(store, "refresh", None)
        stale = getattr(store, "stale", None)  # one quick read: has another process written?
        if refresh is not None and (stale is None or stale()):
            await run_in_threadpool(refresh)
        principal: Principal | None = request.state.principal
        if principal is None:  # the GraphiQL page: built with a context that can see nothing
            principal = NOBODY
        return await Context.pinned(
            store, settings, request.state.request_id, principal, audit, kept
        )

    router = Router(schema, context_getter)
    router.demo = settings.demo
    app = FastAPI(
        title="namgraph",
        description="Coverage of the nắm chain: who supports which unit, from the province down.",
        # no /docs, /redoc nor /openapi.json: they would be open to anyone, and Swagger UI
        # loads its code from a CDN; the API is GraphQL, its contract is schema.graphql
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.kept = kept
    app.state.gate = gate
    app.include_router(graphiql.router())  # /graphiql/*: GraphiQL's files, no data, no token
    app.include_router(downloads.router(store, settings, audit))  # /reports/{kind}.{xlsx|csv}
    app.include_router(templates.router(audit))  # /templates/{kind}.{xlsx|csv}
    app.include_router(console_router(store, settings))  # / and /console/*: no data, no token

    def body_refused(scope: Scope, code: str, reason: str) -> None:
        principal = scope.get("state", {}).get("principal")
        path = str(scope.get("path", ""))
        audit("refused", principal, code, reason=reason, method=scope.get("method"), path=path)

    # /graphql straight to its view, once the gate and the body guard have let it in
    app.add_middleware(GraphQLDoor, graphql=router)
    # bodies are read under the limit after the gate has let the request in
    app.add_middleware(BodyGuard, limit=lambda: gate.body_limit, refused=body_refused)
    # the schema has no subscriptions, and a WebSocket would pass by the gate: none are taken
    app.add_middleware(NoWebSockets)
    # first of all: the request's id and language, and the gate for the API's paths
    app.add_middleware(
        Stamp,
        gate=gate,
        gated=lambda path: path.startswith(("/graphql", downloads.PREFIX, templates.PREFIX)),
    )

    @app.exception_handler(StarletteHTTPException)
    async def coded_http_errors(request: Request, exc: StarletteHTTPException) -> Response:
        return coded_refusal(exc.status_code, str(exc.detail), exc.headers)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        try:
            ready = await run_in_threadpool(store.ping)
        except Exception as exc:  # any failure to reach the store means not ready
            return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
        if not ready:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ready", "policy": store.policy.id})

    return app
