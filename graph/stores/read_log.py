"""What the reads of one request saw of the graph's revision, read in the same statement.

On Neo4j (READ COMMITTED) a request's answer is vouched for by the revision read after its
last read: the same as the revision it started at means no write landed in between. A store
may read that revision at the end of each of its statements, after everything the statement
read (see :mod:`graph.stores.neo4j_tails`); when every read of the request did, and each saw
the revision the request started at, the read after is already done and the request skips it.

The API opens a :class:`ReadLog` for each attempt at a question (:func:`logging_reads`); the
store's worker threads see it through a context variable (the request's context is copied to
them). A read that cannot say which revision it ended at is logged as unknown, and one unknown
read, or none at all, means the read after is made as before.

>>> log = ReadLog()
>>> log.vouches(("e", 3))
False
>>> log.saw(("e", 3)); log.saw(("e", 3)); log.vouches(("e", 3))
True
>>> log.saw(None); log.vouches(("e", 3))
False
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["ReadLog", "current", "logging_reads"]

#: A revision: the graph's epoch (its id) and write generation.
Revision = tuple[str, int]

_CURRENT: ContextVar[ReadLog | None] = ContextVar("namgraph_read_log", default=None)


class ReadLog:
    """The revisions the reads of one attempt at a question ended at (None: not known)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[Revision | None] = set()

    def saw(self, revision: Revision | None) -> None:
        with self._lock:
            self._seen.add(revision)

    def vouches(self, start: Revision) -> bool:
        """True when there were reads and every one of them ended at ``start``: no write
        landed between the revision the question started at and its last read."""
        with self._lock:
            return self._seen == {start}


def current() -> ReadLog | None:
    """The log of the request this code runs for; None outside one (the CLI, a loader)."""
    return _CURRENT.get()


@contextmanager
def logging_reads() -> Iterator[ReadLog]:
    """Log the reads of what runs inside (and of the worker threads it hands reads to)."""
    log = ReadLog()
    token = _CURRENT.set(log)
    try:
        yield log
    finally:
        _CURRENT.reset(token)
