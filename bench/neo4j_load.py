"""Helpers of the Neo4j column: splitting a load by province, raw Cypher, readable errors,
the driver's retries, and a watchdog that ends questions running too long.

Nothing here times anything; :mod:`bench.questions` does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import neo4j
from graph.stores.neo4j import Neo4jStore

__all__ = [
    "Watchdog",
    "driver_retries",
    "error_code",
    "error_text",
    "explain",
    "raw_query",
]


def error_text(exc: BaseException) -> str:
    """The exception and its causes, with Neo4j's status codes, on one line."""
    parts: list[str] = []
    seen: set[int] = set()
    at: BaseException | None = exc
    while at is not None and id(at) not in seen:
        seen.add(id(at))
        code = getattr(at, "code", None)
        parts.append(f"{type(at).__name__}" + (f" [{code}]" if code else "") + f": {at}")
        at = at.__cause__ or at.__context__
    return " <- caused by ".join(parts)


def error_code(exc: BaseException) -> str:
    """The first Neo4j status code in the exception's chain, or its type's name."""
    at: BaseException | None = exc
    for _ in range(10):
        if at is None:
            break
        code = getattr(at, "code", None)
        if code:
            return str(code)
        at = at.__cause__ or at.__context__
    return type(exc).__name__


@contextmanager
def driver_retries() -> Iterator[list[str]]:
    """The driver's "Transaction failed and will be retried" warnings while inside: managed
    transactions (``execute_write``) run the whole unit of work again on a transient error."""
    seen: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if "will be retried" in message:
                seen.append(message)

    logger = logging.getLogger("neo4j.pool")
    handler = Catch(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


class Watchdog:
    """Terminates the transactions of the bench's server that run longer than ``limit``
    seconds (``SHOW TRANSACTIONS`` / ``TERMINATE TRANSACTIONS``, checked every second), so that
    one pathological question cannot hold the whole bench. The call then fails with Neo4j's
    "terminated" error, which the tables show as the case's error."""

    def __init__(self, driver: neo4j.Driver, database: str, limit: float) -> None:
        self.driver = driver
        self.database = database
        self.limit = limit
        self.terminated: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="bench-watchdog", daemon=True)

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            try:
                records, _, _ = self.driver.execute_query(
                    "SHOW TRANSACTIONS YIELD transactionId AS id, elapsedTime, currentQuery "
                    "WHERE elapsedTime.milliseconds > $ms "
                    "AND NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS' "
                    "RETURN id, currentQuery",
                    ms=int(self.limit * 1000),
                    database_=self.database,
                )
                ids = [r["id"] for r in records]
                if ids:
                    self.driver.execute_query(
                        "TERMINATE TRANSACTIONS $ids", ids=ids, database_=self.database
                    )
                    self.terminated += [" ".join(r["currentQuery"].split())[:160] for r in records]
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError):
                continue  # the server is busy or going away: the next round tries again


def _params(store: Neo4jStore, on: date, **extra: Any) -> dict[str, Any]:
    """The parameters ``Neo4jStore._ask`` passes: on, without, absent, the scope (none: the
    whole graph), the policy's, and the question's."""
    return {
        "on": on,
        "without": [],
        "absent": [],
        "scope": store.scope,
        "scope_tops": [],
        **store._policy_params(store.policy_on(on)),
        **extra,
    }


def raw_query(
    store: Neo4jStore, query: str, on: date, **extra: Any
) -> Callable[[], list[neo4j.Record]]:
    """The query text alone through the driver (``execute_query``, read routing): no unit check
    before it and no conversion of the records after it, unlike the store method."""
    params = _params(store, on, **extra)

    def run() -> list[neo4j.Record]:
        records, _, _ = store.driver.execute_query(
            query,
            params,
            database_=store.database,
            routing_=neo4j.RoutingControl.READ,
        )
        return records

    return run


def explain(
    store: Neo4jStore, query: str, on: date, profile: bool = False, **extra: Any
) -> Iterator[str]:
    """The plan of a query (``PROFILE`` runs it), operator by operator, indented as a tree."""
    params = _params(store, on, **extra)
    prefix = "PROFILE " if profile else "EXPLAIN "
    with store.driver.session(database=store.database) as session:
        result = session.run(prefix + query, params)
        summary = result.consume()
    plan = summary.profile if profile else summary.plan
    if plan is None:
        return

    def walk(node: Any, depth: int) -> Iterator[str]:
        args = node.get("args", {})
        hits = args.get("DbHits", node.get("dbHits"))
        rows = args.get("Rows", node.get("rows"))
        details = str(args.get("Details", ""))[:140]
        figures = "" if hits is None else f" rows={rows} dbHits={hits}"
        yield f"{'  ' * depth}{node.get('operatorType', '?')}{figures} {details}".rstrip()
        for child in node.get("children", []):
            yield from walk(child, depth + 1)

    yield from walk(plan, 0)
