"""Per-request context: the store and data loaders that batch its reads.

Each loader turns the many small reads of one GraphQL request (the coverage of every commune
of a province, say) into one store call per level of the query, whatever the number of units.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections import defaultdict
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
)
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.fastapi import BaseContext
from strawberry.types.graphql import OperationType

from graph.answers import Coverage, Load, Supporter, Takeover
from graph.faults import pause_at
from graph.i18n import _
from graph.model import Assignment, Cadre, Unit
from graph.questions import takeovers
from graph.stores.port import GraphStore, StoreTimeout
from namgraph.api.audit import Audit
from namgraph.api.auth import Principal
from namgraph.api.settings import Settings

__all__ = ["Context", "Loaders", "ReadGeneration"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _read(fn: Callable[..., V], *args: Any, **kwargs: Any) -> V:
    """One store call (in a worker thread), with the ``read-done`` fault point after it."""
    answer = fn(*args, **kwargs)
    pause_at("read-done")
    return answer


#: How a store call is run off the event loop: ``run(fn, *args)``.
Runner = Callable[..., Awaitable[Any]]


def _plain(fetch: Callable[[list[str]], Mapping[str, V]], run: Runner) -> DataLoader[str, V | None]:
    async def load(keys: list[str]) -> Sequence[V | None]:
        found: Mapping[str, V] = await run(fetch, keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _dated(
    fetch: Callable[[list[str], date], Mapping[str, V]],
    run: Runner,
    empty: Callable[[], V] | None = None,
) -> DataLoader[tuple[str, date], V | None]:
    """Keys are (key, date); one store call per distinct date in the batch."""

    async def load(keys: list[tuple[str, date]]) -> Sequence[V | None]:
        by_date: dict[date, list[str]] = defaultdict(list)
        for key, on in keys:
            by_date[on].append(key)
        found: dict[tuple[str, date], V] = {}
        for on, codes in by_date.items():
            answer: Mapping[str, V] = await run(fetch, codes, on)
            found.update(((code, on), value) for code, value in answer.items())
        return [found.get(key, empty() if empty else None) for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    units: DataLoader[str, Unit | None]
    cadres: DataLoader[str, Cadre | None]
    ancestors: DataLoader[str, list[Unit] | None]
    ancestors_on: DataLoader[tuple[str, date], list[Unit] | None]
    assignments: DataLoader[str, list[Assignment] | None]
    assignments_at: DataLoader[str, list[Assignment] | None]
    children: DataLoader[tuple[str, date], list[Unit] | None]
    coverage: DataLoader[tuple[str, date], Coverage | None]
    supporters: DataLoader[tuple[str, date], tuple[Supporter, ...] | None]
    loads: DataLoader[tuple[str, date], Load | None]
    takeovers: DataLoader[tuple[str, date], Takeover | None]

    @classmethod
    def over(cls, store: GraphStore, run: Runner) -> Loaders:
        def supporters(codes: Iterable[str], on: date) -> Mapping[str, tuple[Supporter, ...]]:
            return store.supporters(codes, on)

        def candidates(codes: Iterable[str], on: date) -> Mapping[str, Takeover]:
            return {t.unit.code: t for t in takeovers(store, codes, on, candidates=10)}

        return cls(
            units=_plain(store.units, run),
            cadres=_plain(store.cadres, run),
            ancestors=_plain(store.ancestors_of, run),
            ancestors_on=_dated(store.ancestors_of, run),
            assignments=_plain(store.assignments_of, run),
            assignments_at=_plain(store.assignments_at, run),
            children=_dated(store.children_of, run),
            coverage=_dated(store.coverage_of, run),
            supporters=_dated(supporters, run),
            loads=_dated(store.loads_of, run),
            takeovers=_dated(candidates, run),
        )


class Context(BaseContext):
    """What every resolver of one request shares: who asks, and the store as they may see it.

    ``store`` is scoped to the caller (:mod:`graph.scope`), so every resolver and data loader
    reads only what the caller may see; ``base`` is the whole store, for the audit trail only."""

    def __init__(
        self,
        store: GraphStore,
        settings: Settings,
        request_id: str = "",
        principal: Principal | None = None,
        audit: Audit | None = None,
        base: GraphStore | None = None,
        generation: int | None = None,
    ) -> None:
        super().__init__()
        self.principal = principal or Principal.demo()
        self.store = store
        self.base = base or store
        self.settings = settings
        self.request_id = request_id
        self.audit = audit or Audit()
        #: Where this request's store calls run: the shared thread pool, or for a heavy
        #: request its lane's own thread (see namgraph.api.lanes), so its questions run one at a time.
        self.worker: Executor | None = None
        self._turns = asyncio.Lock()
        self.loaders = Loaders.over(self.store, self.run)
        #: The write generation every read of this request sees (see :meth:`pin`).
        self.generation = generation
        #: True for a mutation: it is never asked twice, and its answer names the generation
        #: after it.
        self.wrote = False
        #: The request's date (``query @asOf(date: ...)``, else today in ``NAM_TZ``): every
        #: field's ``asOf`` when it names none (see namgraph.api.schema.RequestDate).
        self.as_of: date | None = None

    @classmethod
    async def pinned(
        cls,
        base: GraphStore,
        settings: Settings,
        request_id: str,
        principal: Principal,
        audit: Audit,
    ) -> Context:
        context = cls(base, settings, request_id, principal, audit, base)
        await context.pin()
        return context

    async def pin(self) -> None:
        """Read from here on at the store's current generation: the embedded store's snapshot
        of it, as the caller's scope sees it; fresh data loaders, so nothing read before
        carries over."""
        store = await run_in_threadpool(self.base.pinned)
        if self.principal.scope is not None:
            store = await run_in_threadpool(store.scoped, self.principal.scope)
        self.store = store
        self.loaders = Loaders.over(store, self.run)
        self.generation = None  # read when the question starts (ReadGeneration)

    async def run(self, fn: Callable[..., V], *args: Any, **kwargs: Any) -> V:
        """One store call, off the event loop, on this request's worker."""
        if self.worker is None:
            return await run_in_threadpool(_read, fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        # the caller's context (its language, its request id) goes with the call
        call = contextvars.copy_context().run
        return await loop.run_in_executor(
            self.worker, functools.partial(call, _read, fn, *args, **kwargs)
        )

    async def call(self, fn: Callable[..., V], *args: Any, **kwargs: Any) -> V:
        """Run one store call off the event loop, stopped at the configured time limit."""
        limit = self.settings.query_timeout
        if self.worker is not None:  # a heavy request: its questions take turns, each timed
            async with self._turns:  # from its own start, not from when it was asked
                return await self._timed(fn, limit, *args, **kwargs)
        return await self._timed(fn, limit, *args, **kwargs)

    async def _timed(self, fn: Callable[..., V], limit: float, *args: Any, **kwargs: Any) -> V:
        try:
            return await asyncio.wait_for(self.run(fn, *args, **kwargs), limit)
        except TimeoutError:
            raise StoreTimeout(
                _(
                    "the question took longer than {limit} s and was stopped; ask about a "
                    "smaller unit"
                ).format(limit=f"{limit:g}")
            ) from None


class ReadGeneration(SchemaExtension):
    """Reads the write generation just before a question runs; a request refused before it
    runs (too deep, too costly, malformed) never reaches the store."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        # a mutation names the generation after it, once it has written (see namgraph.api.app)
        query = execution.operation_type is OperationType.QUERY
        if query and isinstance(context, Context) and context.generation is None:
            context.generation = await run_in_threadpool(context.store.generation)
        yield
