"""Looking ahead from `unit(code)`: a query that walks down from one unit gets its units in one
store call, then the supporters it asks for at any depth in one and the coverage it asks for at
any depth in one, those two at once.

Without it a dashboard costs a store call per level of the query and per kind of answer (the
provincial dashboard: the unit, children twice, coverage three times, supporters twice, one
after another down the levels). With it: the tree (:meth:`graph.stores.port.GraphStore.tree`),
then the supporters and the coverage side by side
(:meth:`graph.stores.port.GraphStore.coverage_within` walks each subtree once for all the
levels asked), besides the revision checked after them (on the embedded store, read before and
after, in memory): four round trips to Neo4j. The answers are
the ones the resolvers would get one level at a time: the data loaders are primed with them,
and every resolver still reads through its loader. A unit a batch cannot count (its level not
in the policy of the day) is left out of it and asked alone by its field, which gets the
error; a store call that fails (unavailable, too slow) fails every field it was read for.

Only `children` fields that share one date, ask for no page (`first`, `after`) and carry no
`@skip` or `@include` are looked ahead through: each shows all its units (up to the default
page), which is what the cost limit counted, so what is read ahead is no more than the answer
shows. Below any other `children` field, and deeper than
:data:`graph.stores.neo4j_cypher.TREE_DEPTH`, a query is answered level by level as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from graph.dates import today
from graph.stores.neo4j_cypher import TREE_DEPTH

if TYPE_CHECKING:
    from strawberry.dataloader import DataLoader

    from namgraph.api.context import Context
    from namgraph.api.types import Ctx

__all__ = ["Look", "asks", "look_ahead", "prefetch", "start"]


@dataclass
class Look:
    """What a query asks below one unit, on one date: how many levels of `children`, and at
    which depths (0: the unit itself) `coverage` and `supporters`."""

    on: date
    depth: int = 0
    coverage: set[int] = field(default_factory=set)
    supporters: set[int] = field(default_factory=set)


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    """The fields of a selection, through fragments; none that ``@skip`` or ``@include``
    might leave out (their resolvers answer them as before)."""
    for selection in selections:
        if "skip" in selection.directives or "include" in selection.directives:
            continue
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def _date(value: Any, default: date) -> date | None:
    """A field's `asOf` as the resolver will read it; None when it is not a date (the
    resolver then reports the error itself)."""
    if value is None:
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def look_ahead(info: Ctx) -> Look | None:
    """The look of the field being resolved (`unit`), or None when it asks for no children."""
    default = info.context.as_of or today()
    look: Look | None = None
    level = [f for f in info.selected_fields if isinstance(f, SelectedField)]
    for depth in range(TREE_DEPTH + 1):
        below: list[SelectedField] = []
        for selected in _fields(s for f in level for s in f.selections):
            on = _date(selected.arguments.get("asOf"), default)
            if on is None or selected.name not in ("children", "coverage", "supporters"):
                continue
            if look is None:
                look = Look(on)
            if on != look.on:
                continue  # another date: answered as before
            if selected.name == "coverage":
                look.coverage.add(depth)
            elif selected.name == "supporters":
                look.supporters.add(depth)
            elif depth < TREE_DEPTH and not {"first", "after"} & set(selected.arguments):
                below.append(selected)
        if not below:
            break
        assert look is not None
        look.depth = depth + 1
        level = below
    return look if look is not None and look.depth > 0 else None


def asks(info: Ctx, name: str) -> bool:
    """Whether the field being resolved asks for its field ``name`` (through fragments; not
    under ``@skip`` or ``@include``)."""
    level = [f for f in info.selected_fields if isinstance(f, SelectedField)]
    return any(
        selected.name == name for selected in _fields(s for f in level for s in f.selections)
    )


def start(future: Awaitable[Any]) -> asyncio.Future[Any]:
    """Let a load started ahead run (each field that needs it awaits it)."""
    started = asyncio.ensure_future(future)
    started.add_done_callback(_quiet)
    return started


def _quiet(future: asyncio.Future[Any]) -> None:
    """A batch started ahead is awaited by the fields that asked for it; should none of them
    be reached (an error above), its outcome is not left unread."""
    if not future.cancelled():
        future.exception()


async def prefetch(info: Ctx, code: str, look: Look) -> None:
    """Read the tree below ``code`` in one store call and prime the loaders with it, then start
    the coverage and the supporters the query will ask, one store call each (not awaited
    here: each field awaits its own answer, so an error lands where it belongs)."""
    context = info.context
    loaders = context.loaders
    root, below = await context.run(context.store.tree, code, look.on, look.depth)
    loaders.units.prime(code, root)
    for parent, units in below.items():
        loaders.children.prime((parent, look.on), units)
    if root is None:
        return
    size = context.settings.default_page  # what an unpaged `children` shows of each parent
    by_depth = [[code]]
    for _level in range(look.depth):
        by_depth.append([u.code for parent in by_depth[-1] for u in below.get(parent, [])[:size]])
    pending: list[asyncio.Future[Any]] = []
    supporters = [c for depth in sorted(look.supporters) for c in by_depth[depth]]
    if supporters:
        pending.append(start(loaders.supporters.load_many([(c, look.on) for c in supporters])))
    if len(look.coverage) > 1:  # units inside others: one call that walks each subtree once
        codes = [c for depth in sorted(look.coverage) for c in by_depth[depth]]
        pending += _ahead(context, loaders.coverage, context.store.coverage_within, codes, look.on)
    elif look.coverage:
        (depth,) = look.coverage
        pending += _ahead(
            context, loaders.coverage, context.store.coverage_of, by_depth[depth], look.on
        )
    if pending:
        # the unit is answered once what was read ahead is in (failed or not: each error is
        # raised by the field that asks), so the fields below find it all there and are
        # answered at once (namgraph.api.context.answer); and nothing started here outlives
        # the request
        await asyncio.wait(pending)


def _ahead(
    context: Context,
    loader: DataLoader[tuple[str, date], Any],
    fetch: Callable[[list[str], date], Mapping[str, Any]],
    codes: list[str],
    on: date,
) -> list[asyncio.Future[Any]]:
    """Ask ``fetch`` about ``codes`` now, in a store call of its own, and leave each answer in
    the loader, where the field that asks for it finds it (or its error); the call's own
    future, done once every answer is in."""
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[Any]] = {}
    for code in codes:
        if loader.cache_map.get((code, on)) is None:
            waiting[code] = loop.create_future()
            loader.cache_map.set((code, on), waiting[code])
    if not waiting:
        return []

    def settle(call: asyncio.Future[Mapping[str, Any]]) -> None:
        for code, future in waiting.items():
            if future.done():
                continue
            if call.cancelled():
                future.cancel()
            elif call.exception() is not None:
                future.set_exception(call.exception())  # type: ignore[arg-type]
            else:
                future.set_result(call.result().get(code))
            future.add_done_callback(_quiet)

    call = asyncio.ensure_future(context.run(fetch, list(waiting), on))
    call.add_done_callback(settle)
    return [call]
