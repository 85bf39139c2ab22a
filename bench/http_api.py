"""The GraphQL API over real HTTP: the app served by uvicorn in a thread of the bench process,
on a free loopback port, as ``tests/test_api.py`` serves it, and timed with an httpx client.

The cases carry the names of the store cases they answer (``coverage 83 (province)``, ...), so
the tables put the HTTP figure beside the store method's, plus the provincial dashboard: one
request for every district with its coverage and supporters and every commune with its
supporter, status and coverage (the query of ``tests/test_api.py``).

Request logs go where ``nam serve`` sends them, one JSON line per request, but to /dev/null:
their cost is counted, their lines are not printed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from graph.stores.port import GraphStore
from namgraph.api.app import create_app
from namgraph.api.dashboard import DASHBOARD
from namgraph.api.logs import JsonFormatter
from namgraph.api.settings import Settings

__all__ = [
    "CHAIN",
    "COVERAGE",
    "DASHBOARD",
    "GAPS",
    "TYPENAME",
    "ApiServer",
    "GraphQLFailed",
    "Reply",
    "quiet_request_logs",
    "reply",
]

TYPENAME = "{ __typename }"

COVERAGE = """query($unit: ID!, $asOf: Date) {
  coverage(unit: $unit, asOf: $asOf) { households householdsReached ratio
    levels { level units covered ratio } } }"""

GAPS = """query($unit: ID!, $level: String!, $asOf: Date) {
  gaps(unit: $unit, level: $level, asOf: $asOf) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { unit { code name } reason brokenAt } } } }"""

CHAIN = """query($unit: ID!, $asOf: Date) { chain(unit: $unit, asOf: $asOf) {
  level inChain covered unit { code name } supporters { since cadre { id name phone } } } }"""


class GraphQLFailed(RuntimeError):
    """A request that did not answer 200 with data and no errors."""


@dataclass(frozen=True)
class Reply:
    """The ``data`` of a clean GraphQL answer and the size of the response body."""

    data: Any
    size: int


@contextmanager
def quiet_request_logs() -> Iterator[None]:
    """The API's JSON request log lines, formatted as in production, written to /dev/null."""
    logger = logging.getLogger("namgraph")
    saved = (logger.handlers, logger.level, logger.propagate)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        handler = logging.StreamHandler(sink)
        handler.setFormatter(JsonFormatter())
        logger.handlers, logger.level, logger.propagate = [handler], logging.INFO, False
        try:
            yield
        finally:
            logger.handlers, logger.level, logger.propagate = saved


class ApiServer:
    """``namgraph.api.app.create_app(store, Settings())`` under uvicorn, in a daemon thread."""

    def __init__(self, store: GraphStore, settings: Settings | None = None) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        app = create_app(store, settings or Settings(demo=True))
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",  # as `nam serve` runs it
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="bench-api", daemon=True)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=600)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def post(self, query: str, **variables: Any) -> Reply:
        """POST /graphql; a clean answer, or :class:`GraphQLFailed`."""
        return reply(self.client.post("/graphql", json={"query": query, "variables": variables}))


def reply(response: httpx.Response) -> Reply:
    """A clean GraphQL answer (200, data and no errors), or :class:`GraphQLFailed`."""
    if response.status_code != 200:
        raise GraphQLFailed(f"HTTP {response.status_code}: {response.text[:1000]}")
    body = response.json()
    if body.get("errors"):
        raise GraphQLFailed(f"GraphQL errors: {body['errors']}"[:2000])
    return Reply(body["data"], len(response.content))
