"""The HTTP application: ``/graphql`` (with GraphiQL), ``/healthz``, ``/readyz``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from strawberry.fastapi import GraphQLRouter

from api.context import Context
from api.logs import log, request_id
from api.schema import make_schema
from api.settings import Settings
from graph.store import GraphStore

__all__ = ["Router", "create_app"]


class Router(GraphQLRouter[Context, None]):
    """Answers in UTF-8 JSON: Vietnamese names as written, not as \\u escapes."""

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(store: GraphStore, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    schema = make_schema(settings)

    async def context_getter(request: Request) -> Context:
        refresh = getattr(store, "refresh", None)
        if refresh is not None:
            await run_in_threadpool(refresh)
        return Context(store=store, settings=settings, request_id=request.state.request_id)

    # multipart requests carry reshuffle files to planReshuffle (GraphQL multipart request spec)
    router = Router(schema, context_getter=context_getter, multipart_uploads_enabled=True)
    app = FastAPI(
        title="namgraph",
        description="Coverage of the nắm chain: who supports which unit, from the province down.",
    )
    app.include_router(router, prefix="/graphql")

    @app.middleware("http")
    async def stamp_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
        token = request_id.set(rid)
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["x-request-id"] = rid
        log(
            "request",
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        request_id.reset(token)
        return response

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
