"""Writes too large for one Neo4j transaction, cut into parts sized from the server's limit.

Neo4j refuses a transaction whose state passes the transaction memory limit
(``dbms.memory.transaction.total.max``, 70% of the heap unless set; ``db.memory.transaction.max``
per transaction when set). Hà Nội's generated roster, 172,854 records, passed the 716.8 MiB of
a 1 GB heap in one transaction and wrote nothing. A change set is written as a list of
statements, each run for batches of rows; a large one is cut into parts of whole batches, each
part a transaction of at most :func:`rows_per_part` rows (see ``Neo4jStore.apply`` for how the
parts stay all or nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from neo4j.exceptions import Neo4jError

from neo4j import Driver

__all__ = ["Rows", "Statement", "cut_into_parts", "limit_bytes", "rows_per_part"]

T = TypeVar("T")

#: Transaction memory one written row may take, with room to spare for the readers that share
#: the server's pool: 2.4-2.6 KiB was measured (SHOW TRANSACTIONS' estimatedUsedHeapMemory with
#: 20,000 and 60,000 rows of Hà Nội's units written and not committed, Neo4j 5.26).
ROW_BYTES = 8 * 1024
#: The fewest and the most rows a part holds whatever the limit says.
FEWEST, MOST = 2_000, 200_000
#: Rows per part when the server does not say its limit (a user without the privilege).
UNKNOWN = 50_000

_UNITS = {"B": 1, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}
_SIZE = re.compile(r"^\s*([0-9.]+)\s*([KMGT]IB|B)?\s*$", re.IGNORECASE)


class Rows(Sequence[dict[str, Any]]):
    """The rows of a statement, each made from its record only when read: the parts of a whole
    country's copy (3.2 million records, each unit's in three statements) need not all exist
    at once, only the part being sent. A slice is another such view."""

    def __init__(
        self,
        items: Sequence[T],
        make: Callable[[T], dict[str, Any]],
        start: int = 0,
        stop: int | None = None,
    ) -> None:
        self.items: Sequence[Any] = items
        self.make: Callable[[Any], dict[str, Any]] = make
        self.start = start
        self.stop = len(items) if stop is None else stop

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Rows: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | Rows:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("rows are sliced in order")
            return Rows(self.items, self.make, self.start + start, self.start + max(start, stop))
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self.make(self.items[self.start + index % len(self)])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.start, self.stop):
            yield self.make(self.items[i])


@dataclass(frozen=True)
class Statement:
    """One statement of a write (a LiteralString: never made from user input) and the rows it
    is run for, in batches of ``$rows`` (a list, or :class:`Rows` made when sent)."""

    query: str
    rows: Sequence[dict[str, Any]]


def size_in_bytes(text: str) -> int | None:
    """``716.80MiB`` -> 751619276; ``0B`` (no limit) and what cannot be read -> None."""
    match = _SIZE.match(text)
    if match is None:
        return None
    value = float(match.group(1)) * _UNITS[(match.group(2) or "B").upper()]
    return int(value) or None


def limit_bytes(driver: Driver, database: str) -> int | None:
    """The most transaction memory one write may take on this server: the smaller of the
    per-transaction limit and the shared pool's, else 70% of the heap (Neo4j's default); None
    when the server does not say (SHOW SETTINGS needs a privilege a reader may lack)."""
    try:
        records, _, _ = driver.execute_query(
            "SHOW SETTINGS YIELD name, value WHERE name IN ['db.memory.transaction.max', "
            "'db.memory.transaction.total.max', 'dbms.memory.transaction.total.max', "
            "'server.memory.heap.max_size'] RETURN name, value",
            database_=database,
        )
    except Neo4jError:
        return None
    values = {str(r["name"]): size_in_bytes(str(r["value"])) for r in records}
    limits = [
        v for name, v in values.items() if name != "server.memory.heap.max_size" and v is not None
    ]
    if limits:
        return min(limits)
    heap = values.get("server.memory.heap.max_size")
    return int(heap * 0.7) if heap else None


def rows_per_part(limit: int | None) -> int:
    """How many rows one transaction may write under a memory limit of ``limit`` bytes."""
    if limit is None:
        return UNKNOWN
    return max(FEWEST, min(MOST, limit // ROW_BYTES))


def cut_into_parts(statements: list[Statement], most: int, batch: int) -> list[list[Statement]]:
    """The statements, in order, cut into parts of at most ``most`` rows, each part filled
    before the next begins; a statement's rows may be spread over several parts, in batches of
    at most ``batch`` rows. Every row keeps its place in the order, so each part's references
    are in it or in an earlier part."""
    parts: list[list[Statement]] = [[]]
    held = 0
    for statement in statements:
        start = 0
        while start < len(statement.rows):
            if held == most:
                parts.append([])
                held = 0
            take = min(batch, most - held, len(statement.rows) - start)
            parts[-1].append(Statement(statement.query, statement.rows[start : start + take]))
            held += take
            start += take
    return [part for part in parts if part]
