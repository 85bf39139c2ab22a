"""Per-request context: the store and data loaders that batch its reads.

Each loader turns the many small reads of one GraphQL request (the coverage of every commune
of a province, say) into one store call per level of the query, whatever the number of units.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
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
from datetime import date
from functools import cached_property
from typing import Any, TypeVar, cast

import orjson
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language import (
    FieldNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from graph.answers import Coverage, Load, Supporter, Takeover
from graph.faults import pause_at
from graph.i18n import _, language
from graph.model import Assignment, Cadre, Unit
from graph.questions import takeovers
from graph.stores.port import GraphStore, StoreError, StoreTimeout
from namgraph.api.audit import Audit
from namgraph.api.auth import Principal
from namgraph.api.errors import store_unavailable
from namgraph.api.kept import Kept, Revision, key_of
from namgraph.api.settings import Settings

__all__ = ["Context", "Loaders", "ReadGeneration", "answer", "bookkeeping"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


def answer(loader: DataLoader[K, V], key: K, make: Callable[[V], R]) -> R:
    """``make`` of the loader's answer for ``key``: at once when the answer is in (primed, or
    read ahead and finished), else once it comes. A field answered at once costs graphql-core
    no coroutine: the provincial dashboard's thousand fields under a look-ahead are answered
    without one. Typed as the answer (strawberry reads a resolver's return type for the
    schema); when it is not in yet this returns an awaitable, which graphql-core awaits."""
    future = loader.cache_map.get(key)
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return make(future.result())
    return cast(R, _then(loader.load(key), make))


async def _then(pending: Awaitable[V], make: Callable[[V], R]) -> R:
    made = make(await pending)
    if inspect.isawaitable(made):  # make asks the store itself (see types.Unit.coverage)
        return cast(R, await made)
    return made


def _read(fn: Callable[..., V], *args: Any, **kwargs: Any) -> V:
    """One store call (in a worker thread), with the ``read-done`` fault point after it."""
    answer = fn(*args, **kwargs)
    pause_at("read-done")
    return answer


async def bookkeeping(store: GraphStore, name: str) -> Any:
    """The store's bookkeeping call ``name`` (``revision``, ``generation``, ``pinned``): on the
    event loop when the store names it among those that never wait (``quick_bookkeeping``: all
    three on the embedded store, which keeps them in memory; only ``pinned`` on Neo4j), where
    handing it to a worker thread cost more than the call (three of the five thread hops of a
    small question on the embedded store); on a worker thread otherwise (Neo4j asks the server
    its revision)."""
    call = getattr(store, name)
    if name in getattr(store, "quick_bookkeeping", ()):
        return call()
    return await run_in_threadpool(call)


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


class Loaders:
    """The request's data loaders, each made when a resolver first needs it (most requests use
    two or three of them)."""

    def __init__(self, store: GraphStore, run: Runner) -> None:
        self.store = store
        self.run = run

    @classmethod
    def over(cls, store: GraphStore, run: Runner) -> Loaders:
        return cls(store, run)

    @cached_property
    def units(self) -> DataLoader[str, Unit | None]:
        return _plain(self.store.units, self.run)

    @cached_property
    def cadres(self) -> DataLoader[str, Cadre | None]:
        return _plain(self.store.cadres, self.run)

    @cached_property
    def ancestors(self) -> DataLoader[str, list[Unit] | None]:
        return _plain(self.store.ancestors_of, self.run)

    @cached_property
    def ancestors_on(self) -> DataLoader[tuple[str, date], list[Unit] | None]:
        return _dated(self.store.ancestors_of, self.run)

    @cached_property
    def assignments(self) -> DataLoader[str, list[Assignment] | None]:
        """A cadre's assignments, read with their units, which the units loader then has:
        a cadre with the units supported costs one round trip for both."""
        store, units = self.store, self.units

        async def load(keys: list[str]) -> Sequence[list[Assignment] | None]:
            found, seen = await self.run(store.assignments_and_units, keys)
            for code, unit in seen.items():
                units.prime(code, unit)
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def assignments_at(self) -> DataLoader[str, list[Assignment] | None]:
        return _plain(self.store.assignments_at, self.run)

    @cached_property
    def children(self) -> DataLoader[tuple[str, date], list[Unit] | None]:
        return _dated(self.store.children_of, self.run)

    @cached_property
    def coverage(self) -> DataLoader[tuple[str, date], Coverage | None]:
        return _dated(self.store.coverage_of, self.run)

    @cached_property
    def supporters(self) -> DataLoader[tuple[str, date], tuple[Supporter, ...] | None]:
        store = self.store

        def supporters(codes: Iterable[str], on: date) -> Mapping[str, tuple[Supporter, ...]]:
            return store.supporters(codes, on)

        return _dated(supporters, self.run)

    @cached_property
    def loads(self) -> DataLoader[tuple[str, date], Load | None]:
        return _dated(self.store.loads_of, self.run)

    @cached_property
    def takeovers(self) -> DataLoader[tuple[str, date], Takeover | None]:
        store = self.store

        def candidates(codes: Iterable[str], on: date) -> Mapping[str, Takeover]:
            return {t.unit.code: t for t in takeovers(store, codes, on, candidates=10)}

        return _dated(candidates, self.run)


class Context:
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
        kept: Kept | None = None,
    ) -> None:
        self.principal = principal or Principal.demo()
        #: The response the answer goes out with: a header set here is sent (``Retry-After``).
        self.response: Any = None
        self.store = store
        self.base = base or store
        self.settings = settings
        self.request_id = request_id
        self.trail = audit or Audit()
        #: Whether this request has put anything on the audit trail (its answer is then never
        #: given again from namgraph.api.kept: the trail must see every such request).
        self.audited = False
        #: Whether every store call of this request was one whose answer may be kept (a saved
        #: reshuffle plan, say, is not of a write generation: a request that read one is not
        #: given again whole).
        self.all_kept = True
        #: Where this request's store calls run: the shared thread pool, or for a heavy
        #: request its lane's own thread (see namgraph.api.lanes), so its questions run one at a time.
        self.worker: Executor | None = None
        self._turns = asyncio.Lock()
        self.loaders = Loaders.over(self.store, self.run)
        #: The write generation every read of this request sees (see :meth:`pin`).
        self.generation = generation
        #: The answers kept between requests (namgraph.api.kept), and this request's own
        #: answers to keep there once its generation has been checked (namgraph.api.app).
        self.kept = kept
        #: The revision the question started at, and whether it is one the store kept from an
        #: earlier read (``seen_revision``): then even an answer given whole from the kept ones
        #: is checked against a fresh read before it goes out.
        self.read_at: Revision | None = None
        self.seen = False
        self.answers: dict[Hashable, Any] = {}
        #: The key of this request's whole answer among the kept ones, and whether it was
        #: given from there (ReadGeneration).
        self.answer_key: Hashable | None = None
        self.kept_whole = False
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
        kept: Kept | None = None,
    ) -> Context:
        context = cls(base, settings, request_id, principal, audit, base, kept=kept)
        await context.pin()
        return context

    async def pin(self) -> None:
        """Read from here on at the store's current generation: the embedded store's snapshot
        of it, as the caller's scope sees it; fresh data loaders, so nothing read before
        carries over."""
        store = await bookkeeping(self.base, "pinned")
        if self.principal.scope is not None:
            store = await run_in_threadpool(store.scoped, self.principal.scope)
        self.store = store
        self.loaders = Loaders.over(store, self.run)
        self.generation = None  # read when the question starts (ReadGeneration)
        self.read_at = None
        self.seen = False
        self.answers = {}

    @property
    def revision(self) -> Revision | None:
        """The revision the question started at, when answers are kept (a mutation's reads,
        which start at none, are never kept nor taken from kept answers)."""
        return self.read_at if self.kept is not None and self.kept.size > 0 else None

    def audit(self, event: str, principal: Principal | None, outcome: str, **asked: Any) -> None:
        """Put a line on the audit trail (namgraph.api.audit)."""
        self.audited = True
        self.trail(event, principal, outcome, **asked)

    def keep_answers(self) -> None:
        """Keep this request's answers for later requests: called once the generation it read
        at has been seen unchanged after its last read."""
        if self.kept is not None and self.revision is not None:
            self.kept.keep(self.revision, self.answers)
        self.answers = {}

    async def run(self, fn: Callable[..., V], *args: Any, **kwargs: Any) -> V:
        """One store call, off the event loop, on this request's worker; or its answer kept
        from an earlier request at the same revision (namgraph.api.kept)."""
        key = None
        if self.revision is not None and self.kept is not None:
            key = key_of(self.revision, self.principal.scope, language(), fn, args, kwargs)
            self.all_kept = self.all_kept and key is not None
            if key is not None:
                found, kept = self.kept.find(key)
                if found:
                    return cast(V, kept)
        answer = await self._run(fn, *args, **kwargs)
        if key is not None:
            self.answers[key] = answer
        return answer

    async def _run(self, fn: Callable[..., V], *args: Any, **kwargs: Any) -> V:
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
        if not isinstance(context, Context):
            yield
            return
        # a mutation starts at no revision: its reads are never kept nor taken from kept ones
        if query and context.generation is None and not _schema_only(execution):
            # Neo4j: the revision an earlier read saw, checked by one read after the question
            # (namgraph.api.app); else read now
            seen = getattr(context.store, "seen_revision", None)
            revision = seen() if seen is not None else None
            context.seen = revision is not None
            if revision is None:
                try:
                    revision = await bookkeeping(context.store, "revision")
                except StoreError as exc:  # down, or being written in parts: nothing is asked
                    execution.result = GraphQLExecutionResult(
                        data=None, errors=[store_unavailable(str(exc))]
                    )
                    yield
                    return
            context.generation = revision[1]
            context.read_at = revision
            if context.kept is not None and context.kept.size > 0:  # answers are kept
                context.answer_key = _answer_key(context, execution)
                if context.answer_key is not None:
                    found, data = context.kept.find(context.answer_key)
                    if found:  # the same question, by the same kind of caller, same graph
                        execution.result = GraphQLExecutionResult(data=data, errors=None)
                        context.kept_whole = True
        yield


def _schema_only(execution: ExecutionContext) -> bool:
    """True for a question about the schema alone (``{ __typename }``, introspection): its
    answer reads nothing from the graph, so it names no write generation."""
    document = execution.graphql_document
    if document is None:
        return False
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (
            execution.operation_name is None
            or (d.name and d.name.value) == execution.operation_name
        )
    ]
    return len(operations) == 1 and _meta_only(operations[0].selection_set)


def _meta_only(selections: SelectionSetNode) -> bool:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            if not selection.name.value.startswith("__"):
                return False
        elif isinstance(selection, InlineFragmentNode):
            if not _meta_only(selection.selection_set):
                return False
        else:  # a fragment spread: not looked into
            return False
    return True


def _answer_key(context: Context, execution: ExecutionContext) -> Hashable | None:
    """The key of a request's whole answer among the kept ones (namgraph.api.kept): the
    graph's revision, what the caller may see (role, scope, kind of token), the language, the
    request's date and the request itself; None for a request with an upload."""
    try:
        variables = orjson.dumps(execution.variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    p = context.principal
    return (
        "answer",
        context.revision,
        (str(p.role), p.scope, p.kind),
        language(),
        context.as_of,
        execution.query,
        variables,
        execution.operation_name,
    )
