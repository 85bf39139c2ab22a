"""Answers kept between requests, for as long as the graph does not change.

A dashboard asks the same questions again and again (the provincial overview reloaded, the
same gaps by another officer of the same district). The answer to a read question is a
function of the graph at one write generation, the caller's scope, the question's arguments
and the language of its messages; so an answer is kept under exactly that, and found again
only by a request that reads the same graph:

- the key holds the store's revision (:meth:`graph.stores.port.GraphStore.revision`): the
  graph's identity and its write generation. Every write, by any path (the API, the command
  line, another process, another server on the same Neo4j), moves the generation, so no answer
  read before a write is ever given after it; a graph dropped and made anew has another
  identity, even at the same generation number;
- an answer is kept only once its request has checked that the generation did not move while
  it read (``namgraph.api.app.Router.execute_single``); on Neo4j, which reads at READ COMMITTED,
  an answer that may have seen part of a later write is never kept;
- only questions named in :data:`QUESTIONS` are kept: reads whose answers are immutable
  values, never writes, and never a mutation's reads;
- when a later generation is seen, the answers of earlier ones are let go, and at most
  ``size`` answers are kept (least recently used go first).

``NAM_ANSWER_CACHE=0`` turns it off (``namgraph.api.settings``)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from graph.stores.port import GraphStore

__all__ = ["QUESTIONS", "Kept", "Revision", "key_of"]

#: A store's identity and write generation (``GraphStore.revision``).
Revision = tuple[str, int]

#: The store calls whose answers are kept: read questions (store methods, data-loader batches
#: and the question functions that take the store first), each answering with values that
#: nobody changes afterwards (frozen records, and lists that are copied when given out).
QUESTIONS = frozenset(
    {
        # GraphStore methods
        "ancestors_of",
        "assignments_and_units",
        "assignments_at",
        "assignments_of",
        "cadres",
        "chain",
        "children_of",
        "coverage",
        "coverage_of",
        "coverage_within",
        "gaps",
        "load",
        "loads_of",
        "reach",
        "search",
        "tree",
        "units",
        # data-loader batches (namgraph.api.context.Loaders)
        "candidates",
        "supporters",
        # question functions over a store (graph.questions, graph.validate, namgraph.api.schema)
        "_first_counted_below",
        "_gaps_under",
        "cadres_in",
        "living_tops",
        "validate_store",
        "what_if",
    }
)

_STORE = "<store>"


def _frozen(value: Any) -> Hashable:
    """``value`` as part of a key: stores stand for the request's view (its scope is in the
    key), lists and sets become tuples and frozensets; anything else must hash as it is."""
    if isinstance(value, GraphStore):
        return _STORE
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_frozen(v) for v in value)
    if isinstance(value, Mapping):
        raise TypeError("a mapping argument is not kept")
    hash(value)
    return value  # type: ignore[no-any-return]


def key_of(
    revision: Revision,
    scope: str | None,
    language: str,
    fn: Any,
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
) -> Hashable | None:
    """The key of a question's answer, or None when it is not one to keep."""
    name = getattr(fn, "__name__", None)
    if name not in QUESTIONS:
        return None
    owner = getattr(fn, "__self__", None)
    if owner is not None and not isinstance(owner, GraphStore):
        return None
    try:
        frozen = (_frozen(args), _frozen(sorted(kwargs.items())))
    except TypeError:
        return None
    return (revision, scope, language, getattr(fn, "__qualname__", name), frozen)


def given(answer: Any) -> Any:
    """A kept answer as a caller gets it: containers copied, so no caller changes another's."""
    if isinstance(answer, list):
        return list(answer)
    if isinstance(answer, dict):
        return dict(answer)
    return answer


class Kept:
    """The answers kept for one server (thread-safe: store calls run in worker threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._revision: Revision | None = None
        self._lock = threading.Lock()
        #: Answers given from here, and answers kept (for tests and the bench).
        self.hits = 0
        self.kept = 0

    def __len__(self) -> int:
        return len(self._answers)

    def find(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key not in self._answers:
                return False, None
            self._answers.move_to_end(key)
            self.hits += 1
            return True, given(self._answers[key])

    def keep(self, revision: Revision, answers: Mapping[Hashable, Any]) -> None:
        """Keep a request's answers, all read at ``revision`` (checked by the caller)."""
        if self.size <= 0 or not answers:
            return
        with self._lock:
            if self._revision != revision:
                older = self._revision is not None and self._revision[0] == revision[0]
                if older and revision[1] < self._revision[1]:  # type: ignore[index]
                    return  # a request that began before a write: its answers are old
                self._answers.clear()  # a later generation, or another graph: let go
                self._revision = revision
            for key, answer in answers.items():
                self._answers[key] = given(answer)
                self._answers.move_to_end(key)
            self.kept += len(answers)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
