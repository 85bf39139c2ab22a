"""What every HTTP request goes through first: its id, its language, the gate for the paths that
need a token, a coded answer for a fault of ours, one log line.

A plain ASGI middleware (not Starlette's ``BaseHTTPMiddleware``, which runs the rest of the
application in a task of its own and passes the response through a stream: about a fifth of
the server's time for an empty request)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.i18n import _, from_accept_language, set_language
from namgraph.api.body import graphql_error
from namgraph.api.gate import Gate, Refusal
from namgraph.api.logs import log, request_id

__all__ = ["Stamp"]


class Stamp:
    """Sets ``request.state.request_id`` (``X-Request-Id``, else a new one) and the language of
    every message (``Accept-Language``, else Vietnamese); lets the gate admit the requests to
    ``gated`` paths (``request.state.principal``); answers the request id and the language in
    the headers of every response."""

    def __init__(self, app: ASGIApp, gate: Gate, gated: Callable[[str], bool]) -> None:
        self.app = app
        self.gate = gate
        self.gated = gated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
        token = request_id.set(rid)
        spoken = set_language(from_accept_language(request.headers.get("accept-language")))
        started = time.perf_counter()
        request.state.principal = None
        status = 0

        async def stamped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = rid
                headers["content-language"] = spoken
            await send(message)

        try:
            try:
                if self.gated(request.url.path):
                    request.state.principal = await self.gate.admit(request)
                await self.app(scope, receive, stamped)
            except Refusal as refusal:
                if status:
                    raise
                await refusal.response()(scope, receive, stamped)
            except Exception as exc:  # a fault of ours: logged with its traceback, in JSON
                log("unexpected", logging.ERROR, exc_info=exc, path=request.url.path)
                if status:  # the answer has begun: nothing else can be said
                    raise
                await graphql_error(
                    500,
                    "INTERNAL",
                    _("the server failed on this request; quote request id {rid}").format(rid=rid),
                )(scope, receive, stamped)
            log(
                "request",
                method=request.method,
                path=request.url.path,
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
        finally:
            request_id.reset(token)
