"""Heavy questions take turns, so cheap ones are not kept waiting behind them.

A request is heavy when its top level asks a question over a whole subtree that takes seconds
on a province (``violations``, ``whatIf``), or when it asks several subtree questions at once
(aliases: ``a1: coverage(...) a2: coverage(...)``). Heavy requests run a few at a time
(``NAM_HEAVY_LANES``, default 1); the others wait their turn up to ``NAM_HEAVY_WAIT`` seconds
(default 10), then get the coded error ``BUSY`` with a ``Retry-After`` header, having read
nothing. Cheap requests (a unit, a chain, one coverage) never wait for a lane.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from graph.i18n import _
from namgraph.api.context import Context
from namgraph.api.errors import Code

__all__ = ["HEAVY", "SUBTREE", "HeavyLanes", "weight"]

V = TypeVar("V")

#: Top-level questions over a whole subtree, and what each weighs.
SUBTREE = {
    "coverage": 1,
    "activeCoverage": 2,  # coverage, and every supporter's attendance over the period
    "petitions": 1,
    "record": 1,
    "gaps": 1,
    "reach": 1,
    "workload": 1,
    "cadres": 1,
    "orphaned": 1,
    "diff": 1,
    "history": 1,
    "violations": 4,
    "whatIf": 4,
}
#: A request that weighs this much or more is heavy.
HEAVY = 4


def weight(document: DocumentNode | None, operation_name: str | None) -> int:
    """What the top level of the operation weighs (fragments at the top level count too)."""
    if document is None:
        return 0
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or _named(o) == operation_name]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.QUERY:
        return 0
    fragments = {
        d.name.value: d.selection_set
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    return _weigh(chosen[0].selection_set, fragments, set())


def _named(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


def _weigh(
    selections: SelectionSetNode | None, fragments: dict[str, SelectionSetNode], seen: set[str]
) -> int:
    total = 0
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            total += SUBTREE.get(selection.name.value, 0)
        elif isinstance(selection, InlineFragmentNode):
            total += _weigh(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                total += _weigh(fragments[name], fragments, seen | {name})
    return total


class HeavyLanes:
    """The lanes of one server: a semaphore, and how long a heavy request waits for it."""

    def __init__(self, lanes: int, wait: float) -> None:
        self.lanes = max(1, lanes)
        self.wait = wait
        self._free = asyncio.Semaphore(self.lanes)
        #: The lanes' own threads: a heavy request's questions (30 aliases, say) run one after
        #: another on one of them, never as 30 threads fighting cheap requests for the CPU.
        self.workers = ThreadPoolExecutor(self.lanes, thread_name_prefix="heavy-lane")

    async def run(self, fn: Callable[..., V], *args: Any) -> V:
        """``fn(*args)`` on one of the lanes' threads once a lane is free: heavy work that is
        not a GraphQL question (a report file). :class:`TimeoutError` when no lane was free
        within ``wait`` seconds; nothing has run then."""
        await asyncio.wait_for(self._free.acquire(), self.wait)
        try:
            loop = asyncio.get_running_loop()
            call = functools.partial(contextvars.copy_context().run, fn, *args)  # request id
            return await loop.run_in_executor(self.workers, call)
        finally:
            self._free.release()

    def extension(self) -> Callable[[], SchemaExtension]:
        lanes = self

        class Lane(SchemaExtension):
            async def on_execute(self) -> AsyncIterator[None]:
                context = self.execution_context
                if weight(context.graphql_document, context.operation_name) < HEAVY:
                    yield
                    return
                try:
                    await asyncio.wait_for(lanes._free.acquire(), lanes.wait)
                except TimeoutError:
                    retry = max(1, round(lanes.wait))
                    response = getattr(context.context, "response", None)
                    if response is not None:
                        response.headers["Retry-After"] = str(retry)
                    context.result = ExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                _(
                                    "the server is answering {lanes} heavy questions already and "
                                    "this one waited {wait} s for its turn; ask again in {retry} "
                                    "s, or ask fewer questions at once"
                                ).format(lanes=lanes.lanes, wait=f"{lanes.wait:g}", retry=retry),
                                extensions={"code": str(Code.BUSY), "retryAfter": retry},
                            )
                        ],
                    )
                    yield
                    return
                owner = context.context
                if isinstance(owner, Context):
                    owner.worker = lanes.workers
                try:
                    yield
                finally:
                    lanes._free.release()

        return Lane
