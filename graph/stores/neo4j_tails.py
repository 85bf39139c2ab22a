"""A read statement with the graph's revision read at its end, in the same round trip.

A question on Neo4j is vouched for by reading the revision after it (see
:mod:`graph.stores.read_log`). Sent as its own statement, that read is one more round trip
for every request. Here it is the tail of the question's own statement::

    CALL () { <the question> }
    WITH collect([<its columns>]) AS namgraph_rows
    CALL (namgraph_rows) { OPTIONAL MATCH (m:NamgraphMeta {key: <'schema', from the rows>}) }
    RETURN namgraph_rows, m AS namgraph_meta

The collect is an eager aggregation: it has taken in every row of the question before it
hands on its one row, and the meta node is looked up by a key worked out from that row, in a
subquery applied to it, so after everything the question matched (``test_neo4j_tails.py``
checks the plan of every statement the API's questions send). The nodes and relationships a
question returns are references until the server writes them out, and it reads their
properties then: so the meta node is returned whole too, as the last column, and its
properties (the revision) are read after those of every row, not in the statement. The rows
come back as the records the question alone would return.

A question's columns are learnt from its first, plain, run (the driver names them); a text
that cannot be wrapped (a column without a name, a server older than 5.23 without
``CALL () {}``), or whose rows are too large to collect in the transaction's memory, is sent
plain from then on. Query texts are module constants or built from them and policy labels
only, so the columns kept here are a few dozen entries, whatever the number of requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from neo4j import Record

__all__ = [
    "META",
    "META_READ",
    "ROWS",
    "columns_of",
    "learn",
    "refuse",
    "revision_of",
    "tailed",
    "unpack",
]

ROWS = "namgraph_rows"
META = "namgraph_meta"

#: The revision and the load marks, from the meta node ``m`` (as the revision read alone).
META_READ = (
    "coalesce(m.epoch, '') AS epoch, coalesce(m.generation, 0) AS generation, "
    "m.loading AS loading, m.imported AS imported"
)

#: Per question text: its columns, or None when it is sent plain.
_COLUMNS: dict[str, tuple[str, ...] | None] = {}


def columns_of(query: str) -> tuple[str, ...] | None:
    """The columns of a question whose statement can carry the tail; None when not (yet)."""
    return _COLUMNS.get(query)


def learn(query: str, columns: Sequence[str]) -> None:
    """Note the columns a plain run of ``query`` named (the first one noted stays)."""
    if columns:
        _COLUMNS.setdefault(query, tuple(columns))


def refuse(query: str) -> None:
    """``query`` cannot be wrapped: send it plain from now on."""
    _COLUMNS[query] = None


def _name(column: str) -> str:
    return "`" + column.replace("`", "``") + "`"


def tailed(query: str, columns: Sequence[str]) -> str:
    """``query`` with the revision read after it, in one statement."""
    listed = ", ".join(_name(c) for c in columns)
    return (
        f"CALL () {{\n{query}\n}}\n"
        f"WITH collect([{listed}]) AS {ROWS}\n"
        f"CALL ({ROWS}) {{\n"
        # the key is worked out from the rows: the meta node cannot be looked up before them
        f"  OPTIONAL MATCH (m:NamgraphMeta {{key: CASE size({ROWS}) WHEN -1 THEN '' "
        "ELSE 'schema' END})\n"
        "  RETURN m\n"
        "}\n"
        f"RETURN {ROWS}, m AS {META}"
    )


def unpack(record: Record, columns: Sequence[str]) -> list[Record]:
    """The question's own records, from the one record of its tailed statement."""
    keys = tuple(columns)
    return [Record(zip(keys, row, strict=True)) for row in record[ROWS]]  # type: ignore[no-untyped-call]


def revision_of(record: Record) -> tuple[str, int] | None:
    """The revision a tail read; None while the graph is being written in parts or set up
    (the read after is then made alone, and says why nothing can be read)."""
    meta = record[META]
    if meta is None:
        return ("", 0)  # no graph made yet: as the revision read alone says
    if meta.get("loading"):
        return None
    return (str(meta.get("epoch") or ""), int(meta.get("generation") or 0))
