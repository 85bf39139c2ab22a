"""Fresh statistics for Neo4j's query planner after a large write.

Neo4j plans a query from its statistics, and an index's statistics come from samples taken in
the background. Right after a load into an empty or emptied database the samples still
describe the empty index, and the planner then prefers scanning the whole ``Unit(code)``
index for every code asked about to seeking each one: measured on Bến Tre (23,000 units), the
children of 1,269 hamlets took 2.2 s instead of 0.1 s (25 million index entries read instead
of 2,500), and a province's coverage passed the API's 20 s limit. So every write large enough
to leave the samples outdated, a dropped graph and a graph loaded by the offline importer end
by asking the server to sample the indexes again and plan anew (``db.prepareForReplanning``,
which waits for the samples), or, for a user without the admin right that asks for, to sample
the outdated indexes (``db.resampleOutdatedIndexes``, which any user may call)."""

from __future__ import annotations

import logging

from neo4j.exceptions import DriverError, Neo4jError

from neo4j import Driver

__all__ = ["LARGE_WRITE", "refresh_statistics"]

#: A write of at least this many rows refreshes the planner's statistics (Neo4j counts an
#: index's samples outdated once 5% of it has changed; smaller writes rarely matter).
LARGE_WRITE = 2_000
#: How long the server may take to sample the indexes again (s).
SAMPLE_TIMEOUT = 600

_log = logging.getLogger("namgraph")


def refresh_statistics(driver: Driver, database: str) -> str:
    """Have the server sample its indexes again and plan queries from the new samples; return
    the procedure that did it ('' when neither could run: the write stands all the same)."""
    try:
        driver.execute_query(
            "CALL db.prepareForReplanning($seconds)",
            seconds=SAMPLE_TIMEOUT,
            database_=database,
        )
        return "db.prepareForReplanning"
    except (Neo4jError, DriverError) as exc:  # not an admin, say: sample the outdated ones
        _log.debug("db.prepareForReplanning refused (%s); sampling outdated indexes", exc)
    try:
        driver.execute_query("CALL db.resampleOutdatedIndexes()", database_=database)
        return "db.resampleOutdatedIndexes"
    except (Neo4jError, DriverError) as exc:
        _log.warning("Neo4j did not sample its indexes again after a large write: %s", exc)
        return ""
