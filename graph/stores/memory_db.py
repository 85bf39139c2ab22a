"""Where the embedded store keeps its records: one SQLite database, ``store.db``, in the data
directory.

SQLite in WAL mode gives the store what one JSON file could not: many readers and one writer at
a time, across processes; a write that is whole or absent after a crash; and writes that cost
what they change rather than the size of the graph.

Tables::

    meta(key, value)                   format, generation, policy (the first one)
    units(code, gen, row)              one row per record, ``row`` as in graph/records.py;
    cadres(id, gen, home, row)         ``gen`` is the write generation that last wrote it
    assignments(id, gen, cadre, unit, row)
    links(code, other)                 each unit's parents, ever, and the units it merged into
    meetings(id, gen, unit, row)       meetings and attendance (graph/activity.py): added to a
    attendance(key, gen, cadre, row)   database of an earlier namgraph when it is first opened
    petitions(id, gen, unit, row)
    reshuffles(seq, gen, row)          applied reshuffle plans, in order
    changes(gen, at, kind, units, cadres, assignments)
                                       the change log: one row per write generation

``links``, ``home`` and ``unit`` let a process read only the part of the graph around one unit
(:meth:`Database.part`): one staff member's question about one province at national scale.

A write runs in one ``BEGIN IMMEDIATE`` transaction: it reads the generation, brings its reader
forward with the records written since (``gen > seen``), checks what it must (a plan's guard,
or that no record it writes was written by someone else since it read it), writes its records
under the next generation, logs the write and commits. A process that holds the graph in memory
catches up the same way, by reading only the rows written after its generation.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from graph.faults import pause_at
from graph.i18n import _
from graph.records import (
    assignment_from_row,
    assignment_row,
    attendance_from_row,
    attendance_row,
    cadre_from_row,
    cadre_row,
    meeting_from_row,
    meeting_row,
    petition_from_row,
    petition_row,
    unit_from_row,
    unit_row,
)
from graph.stores.port import ChangeSet, NoGraph, StoreBusy, StoreError

__all__ = ["DB_FILE", "FORMAT", "Database", "Since", "Writer"]

FORMAT = 3  # 3: SQLite with a change log (formats 1 and 2 were store.json, migrated on open)
DB_FILE = "store.db"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE units (code TEXT PRIMARY KEY, gen INTEGER NOT NULL, row BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE links (code TEXT NOT NULL, other TEXT NOT NULL, PRIMARY KEY (code, other))
    WITHOUT ROWID;
CREATE TABLE cadres (
    id TEXT PRIMARY KEY, gen INTEGER NOT NULL, home TEXT NOT NULL, row BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE assignments (
    id TEXT PRIMARY KEY, gen INTEGER NOT NULL, cadre TEXT NOT NULL, unit TEXT NOT NULL,
    row BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE reshuffles (seq INTEGER PRIMARY KEY, gen INTEGER NOT NULL, row BLOB NOT NULL);
CREATE TABLE changes (
    gen INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL,
    units INTEGER NOT NULL, cadres INTEGER NOT NULL, assignments INTEGER NOT NULL
);
CREATE INDEX units_gen ON units (gen);
CREATE INDEX cadres_gen ON cadres (gen);
CREATE INDEX assignments_gen ON assignments (gen);
CREATE INDEX links_other ON links (other);
CREATE INDEX cadres_home ON cadres (home);
CREATE INDEX assignments_unit ON assignments (unit);
""" + (
    ACTIVITY := """
CREATE TABLE IF NOT EXISTS meetings (
    id TEXT PRIMARY KEY, gen INTEGER NOT NULL, unit TEXT NOT NULL, row BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attendance (
    key TEXT PRIMARY KEY, gen INTEGER NOT NULL, cadre TEXT NOT NULL, meeting TEXT NOT NULL,
    row BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS meetings_gen ON meetings (gen);
CREATE INDEX IF NOT EXISTS meetings_unit ON meetings (unit);
CREATE INDEX IF NOT EXISTS attendance_gen ON attendance (gen);
CREATE INDEX IF NOT EXISTS attendance_meeting ON attendance (meeting);
CREATE TABLE IF NOT EXISTS petitions (
    id TEXT PRIMARY KEY, gen INTEGER NOT NULL, unit TEXT NOT NULL, row BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS petitions_gen ON petitions (gen);
CREATE INDEX IF NOT EXISTS petitions_unit ON petitions (unit);
"""
)

#: The units linked to a unit, whatever the date and the direction: its parents and children
#: (``PART_OF``), the units it merged into and those merged into it. Closed under these links,
#: a part of the graph answers every question about its units as the whole graph does.
PART = """
WITH RECURSIVE part(code) AS (
    SELECT ?
    UNION SELECT links.other FROM links JOIN part ON links.code = part.code
    UNION SELECT links.code FROM links JOIN part ON links.other = part.code
)
SELECT code FROM part
"""

CHUNK = 500  # keys per IN (...) list
T = TypeVar("T")


@dataclass
class Since:
    """What was written after a generation: the records as they are now, the reshuffle plans
    applied, and whether a policy was put in force (then the timeline must be read again)."""

    generation: int
    changes: ChangeSet = field(default_factory=ChangeSet)
    reshuffles: list[dict[str, object]] = field(default_factory=list)
    policy_changed: bool = False


class Database:
    """``store.db`` of one data directory. Three connections: one for reads (catching up, the
    generation), one for this process's writes, so a reader never waits for a write, and one
    for :meth:`peek`, so that one-row read never waits behind a long one."""

    def __init__(self, path: Path, wait: float) -> None:
        if not path.is_file():
            raise NoGraph(path.parent)
        self.path = path
        self._read = _connect(path, wait)
        self._write = _connect(path, wait)
        self._peek = _connect(path, wait)
        self._peeking = threading.Lock()
        self.wait = wait
        if (
            self._read.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'petitions'"
            ).fetchone()
            is None
        ):
            with contextlib.suppress(sqlite3.OperationalError):  # a read-only copy
                self._write.executescript(ACTIVITY)

    @classmethod
    def create(cls, path: Path, policy: str, generation: int, wait: float) -> Database:
        """A new, empty database at ``path`` (which must not exist)."""
        if path.exists():
            raise StoreError(
                _("{dir} already holds a graph; choose another --data directory").format(
                    dir=path.parent
                )
            )
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            conn.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("format", FORMAT), ("generation", generation), ("policy", policy)],
            )
        finally:
            conn.close()
        return cls(path, wait)

    def close(self) -> None:
        self._read.close()
        self._write.close()
        self._peek.close()

    # --- reading --------------------------------------------------------------------------
    def generation(self) -> int:
        return _generation(self._read)

    def peek(self) -> int:
        """The generation, on a connection of its own that nothing else holds for longer than
        this one-row read (WAL: readers never wait for a writer), so the server can ask it on
        its event loop before every request."""
        with self._peeking:
            return _generation(self._peek)

    def everything(self) -> Since:
        """Every record, read at one generation (the rows and the number always agree)."""
        with self._snapshot() as conn:
            generation = _generation(conn)
            pause_at("read")  # a write that commits now is not seen: the snapshot is taken
            return _rows_after(conn, -1, generation)

    def since(self, generation: int) -> Since:
        """What was written after ``generation`` (nothing when it is the current one)."""
        with _reading(self._read) as conn:
            return _rows_after(conn, generation, _generation(conn))

    def part(self, code: str) -> Since | None:
        """The records of the part of the graph that holds unit ``code`` (see :data:`PART`):
        its units, every assignment to them and every cadre working in or assigned to them,
        read at one generation; None when no unit has that code."""
        with self._snapshot() as conn:
            generation = _generation(conn)
            if conn.execute("SELECT 1 FROM units WHERE code = ?", (code,)).fetchone() is None:
                return None
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (code TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM temp.wanted")
            conn.execute(f"INSERT INTO temp.wanted {PART}", (code,))
            wanted = "(SELECT code FROM temp.wanted)"
            changes = ChangeSet(
                units=_records(conn, unit_from_row, f"units WHERE code IN {wanted}"),
                cadres=_records(
                    conn,
                    cadre_from_row,
                    f"cadres WHERE home IN {wanted} OR id IN "
                    f"(SELECT cadre FROM assignments WHERE unit IN {wanted})",
                ),
                assignments=_records(
                    conn, assignment_from_row, f"assignments WHERE unit IN {wanted}"
                ),
                meetings=_records(conn, meeting_from_row, f"meetings WHERE unit IN {wanted}"),
                attendance=_records(
                    conn,
                    attendance_from_row,
                    f"attendance WHERE meeting IN (SELECT id FROM meetings WHERE unit IN {wanted})",
                ),
                petitions=_records(conn, petition_from_row, f"petitions WHERE unit IN {wanted}"),
            )
            conn.execute("DELETE FROM temp.wanted")
        return Since(generation, changes)

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on a database of the format this namgraph reads."""
        with _reading(self._read) as conn:
            found = _format(conn)
            if found != FORMAT:
                raise StoreError(
                    _("{file} has format {found}, this namgraph reads {format}").format(
                        file=self.path, found=found, format=FORMAT
                    )
                )
            yield conn

    # --- writing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self) -> Iterator[Writer]:
        """The write transaction: waits up to ``wait`` seconds for another process's write
        (else StoreBusy), commits when the block ends, rolls back if it raises."""
        conn = self._write
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreBusy(self.wait) from None
            raise
        try:
            yield Writer(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


class Writer:
    """Inside a write transaction: what a write may read and write."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.generation = _generation(conn)

    def since(self, generation: int) -> Since:
        return _rows_after(self.conn, generation, self.generation)

    def written_after(self, changes: ChangeSet, generation: int) -> list[str]:
        """The records of ``changes`` that a write after ``generation`` wrote: a write made by
        someone who read them before would undo it."""
        keys = (
            ("units", "code", [u.code for u in changes.units]),
            ("cadres", "id", [c.id for c in changes.cadres]),
            ("assignments", "id", [a.id for a in changes.assignments]),
            ("meetings", "id", [m.id for m in changes.meetings]),
            ("attendance", "key", [a.key for a in changes.attendance]),
            ("petitions", "id", [p.id for p in changes.petitions]),
        )
        out: list[str] = []
        for table, key, wanted in keys:
            for part in _chunks(wanted):
                marks = ", ".join("?" * len(part))
                query = f"SELECT {key} FROM {table} WHERE gen > ? AND {key} IN ({marks})"  # names: constants
                out += [
                    f"{table.removesuffix('s')} {row[0]}"
                    for row in self.conn.execute(query, (generation, *part))
                ]
        return out

    def write(
        self,
        changes: ChangeSet,
        records: Sequence[Mapping[str, object]],
        kind: str,
    ) -> int:
        """Write ``changes`` and the applied reshuffle ``records`` as the next generation,
        logged as ``kind``; the generation's number."""
        gen = self.generation + 1
        conn = self.conn
        conn.executemany(
            "INSERT OR REPLACE INTO units VALUES (?, ?, ?)",
            ((u.code, gen, orjson.dumps(unit_row(u))) for u in changes.units),
        )
        conn.executemany("DELETE FROM links WHERE code = ?", ((u.code,) for u in changes.units))
        conn.executemany(
            "INSERT OR IGNORE INTO links VALUES (?, ?)",
            (
                (u.code, other)
                for u in changes.units
                for other in sorted(u.parents() | {s.code for s in u.successors})
            ),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO cadres VALUES (?, ?, ?, ?)",
            ((c.id, gen, c.home_unit, orjson.dumps(cadre_row(c))) for c in changes.cadres),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO assignments VALUES (?, ?, ?, ?, ?)",
            (
                (a.id, gen, a.cadre, a.unit, orjson.dumps(assignment_row(a)))
                for a in changes.assignments
            ),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO meetings VALUES (?, ?, ?, ?)",
            ((m.id, gen, m.unit, orjson.dumps(meeting_row(m))) for m in changes.meetings),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO attendance VALUES (?, ?, ?, ?, ?)",
            (
                (a.key, gen, a.cadre, a.meeting, orjson.dumps(attendance_row(a)))
                for a in changes.attendance
            ),
        )
        conn.executemany(
            "INSERT OR REPLACE INTO petitions VALUES (?, ?, ?, ?)",
            ((p.id, gen, p.unit, orjson.dumps(petition_row(p))) for p in changes.petitions),
        )
        conn.executemany(
            "INSERT INTO reshuffles (gen, row) VALUES (?, ?)",
            ((gen, orjson.dumps(dict(r))) for r in records),
        )
        conn.execute(
            "INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?)",
            (
                gen,
                datetime.now(UTC).isoformat(timespec="seconds"),
                kind,
                len(changes.units),
                len(changes.cadres),
                len(changes.assignments),
            ),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (gen,))
        self.generation = gen
        return gen


def _connect(path: Path, wait: float) -> sqlite3.Connection:
    # autocommit (isolation_level=None): transactions are begun and ended explicitly here
    conn = sqlite3.connect(path, timeout=wait, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA synchronous=FULL")  # a committed write survives a power cut
    return conn


@contextlib.contextmanager
def _reading(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: every SELECT in it sees the same committed state."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


def _generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0])


def _format(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    return int(row[0]) if row else 0


def _rows_after(conn: sqlite3.Connection, after: int, generation: int) -> Since:
    if after >= generation:
        return Since(generation)
    changes = ChangeSet(
        units=_records(conn, unit_from_row, "units WHERE gen > ? ORDER BY code", after),
        cadres=_records(conn, cadre_from_row, "cadres WHERE gen > ? ORDER BY id", after),
        assignments=_records(
            conn, assignment_from_row, "assignments WHERE gen > ? ORDER BY id", after
        ),
        meetings=_records(conn, meeting_from_row, "meetings WHERE gen > ? ORDER BY id", after),
        attendance=_records(
            conn, attendance_from_row, "attendance WHERE gen > ? ORDER BY key", after
        ),
        petitions=_records(conn, petition_from_row, "petitions WHERE gen > ? ORDER BY id", after),
    )
    reshuffles = _records(conn, dict, "reshuffles WHERE gen > ? ORDER BY seq", after)
    policy = conn.execute(
        "SELECT count(*) FROM changes WHERE gen > ? AND kind = 'policy'", (after,)
    ).fetchone()[0]
    return Since(
        generation,
        changes,
        reshuffles,
        policy_changed=bool(policy) and after >= 0,
    )


def _records(
    conn: sqlite3.Connection, from_row: Callable[[Any], T], where: str, *params: object
) -> list[T]:
    """The records of ``SELECT row FROM {where}`` (a table and its condition, constants only;
    values go in ``params``), each made from its JSON row."""
    loads = orjson.loads
    return [from_row(loads(r)) for (r,) in conn.execute(f"SELECT row FROM {where}", params)]


def _chunks(keys: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]
