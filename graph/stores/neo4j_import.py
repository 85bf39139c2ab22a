"""The graph as files for Neo4j's offline importer (``neo4j-admin database import full``).

Copying a whole country over Bolt (``nam export neo4j``) writes 3.2 million records through
the transaction layer, in parts (:mod:`graph.stores.neo4j_parts`). For a first load into an
empty database, Neo4j's own importer builds the store files directly from CSV, many times
faster, while the server is stopped. These files hold exactly what the Bolt copy would write:
the same properties (the rows are made by the same functions as the Cypher write's), labels
and links, and a meta node whose schema version is 0, so that the first namgraph process to
open the database creates the constraints and indexes (``Neo4jStore.migrate``).

The files: ``units.csv``, ``cadres.csv``, ``meta.csv`` (nodes), ``part_of.csv``,
``merged_into.csv``, ``works_in.csv``, ``supports.csv`` (relationships), each with its header
in Neo4j's import format; list values are separated by U+001F, a character no text of the
graph holds, and only the files whose values hold line breaks (the meta node's policies) are
parsed as multi-line.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from graph.activity import Meeting, Petition
from graph.i18n import _
from graph.model import Assignment, Cadre, Unit
from graph.stores.neo4j import (
    _assignment_row,
    _cadre_row,
    _part_of_rows,
    _successor_row,
    _unit_row,
    level_label,
)
from graph.stores.neo4j_activity import attendance_row, meeting_row, petition_row
from graph.stores.port import ChangeSet, StoreError
from graph.text import field_text

__all__ = ["ARRAY_DELIMITER", "ImportFiles", "write_import_files"]

T = TypeVar("T")

#: Between the elements of a list value (the importer's ``--array-delimiter``).
ARRAY_DELIMITER = "\x1f"

#: Each file's columns: the property and its type in the importer's header.
_UNIT_COLUMNS = (
    ("code", "ID(Unit)"),
    ("name", "string"),
    ("name_folded", "string"),
    ("level", "string"),
    ("kind", "string"),
    ("parent", "string"),
    ("households", "long"),
    ("valid_from", "date"),
    ("valid_to", "date"),
    ("decision", "string"),
    ("earlier_from", "date[]"),
    ("earlier_to", "date[]"),
    ("earlier_name", "string[]"),
    ("earlier_kind", "string[]"),
    ("earlier_parent", "string[]"),
    ("earlier_decision", "string[]"),
    ("names_folded", "string"),
    ("successor_code", "string[]"),
    ("successor_on", "date[]"),
    ("successor_resolution", "string[]"),
)
_CADRE_COLUMNS = (
    ("id", "ID(Cadre)"),
    ("name", "string"),
    ("name_folded", "string"),
    ("level", "string"),
    ("home_unit", "string"),
    ("titles", "string[]"),
    ("history_status", "string[]"),
    ("history_since", "date[]"),
    ("status", "string"),
    ("status_since", "date"),
    ("phone", "string"),
)
_META_COLUMNS = (
    ("key", "ID(Meta)"),
    ("version", "long"),
    ("policy_yaml", "string"),
    ("timeline", "string"),
    ("epoch", "string"),
    ("generation", "long"),
    ("loading", "string"),
    ("imported", "boolean"),
)
_MEETING_COLUMNS = (
    ("id", "ID(Meeting)"),
    ("unit", "string"),
    ("on", "date"),
    ("kind", "string"),
    ("note", "string"),
)
_ATTENDED_COLUMNS = (("key", "string"), ("present", "boolean"), ("reason", "string"))
_PETITION_COLUMNS = (
    ("id", "ID(Petition)"),
    ("unit", "string"),
    ("raised", "date"),
    ("received_by", "string"),
    ("kind", "string"),
    ("text", "string"),
    ("handover_cadres", "string[]"),
    ("handover_dates", "date[]"),
    ("answered", "date"),
    ("closed", "date"),
)
_HANDLED_COLUMNS = (("step", "long"), ("on", "date"))
_PART_OF_COLUMNS = (("valid_from", "date"), ("valid_to", "date"), ("latest", "boolean"))
_MERGED_INTO_COLUMNS = (("on", "date"),)
_SUPPORTS_COLUMNS = (
    ("id", "string"),
    ("role", "string"),
    ("since", "date"),
    ("until", "date"),
    ("decision", "string"),
)


class _Separator(Exception):
    """A text holds :data:`ARRAY_DELIMITER` (told apart by record in :class:`_Writer`)."""


def _string(value: str | None) -> str:
    """Quoted, so that an empty text stays one (an empty field is no property)."""
    if value is None:
        return ""
    if ARRAY_DELIMITER in value:
        raise _Separator
    return '"' + value.replace('"', '""') + '"'


def _strings(value: list[str] | None) -> str:
    if value is None:
        return ""
    joined = ARRAY_DELIMITER.join(value)
    if joined.count(ARRAY_DELIMITER) != max(len(value) - 1, 0):
        raise _Separator
    return '"' + joined.replace('"', '""') + '"'


def _dates(value: list[date] | None) -> str:
    return "" if value is None else ARRAY_DELIMITER.join(d.isoformat() for d in value)


#: How a value of each column type becomes a field.
_FORMAT: dict[str, Callable[[Any], str]] = {
    "string": _string,
    "string[]": _strings,
    "date[]": _dates,
    "date": field_text,
    "long": field_text,
    "boolean": field_text,
}


def _formats(columns: Iterable[tuple[str, str]]) -> list[tuple[str, Callable[[Any], str]]]:
    return [(name, _FORMAT[kind.split("(")[0].replace("ID", "string")]) for name, kind in columns]


def _cells(row: dict[str, Any], formats: list[tuple[str, Callable[[Any], str]]]) -> list[str]:
    return [format(row.get(name)) for name, format in formats]


@dataclass
class ImportFiles:
    """What :func:`write_import_files` wrote, and the importer's arguments for it."""

    directory: Path
    nodes: list[str] = field(default_factory=list)
    relationships: list[tuple[str, str]] = field(default_factory=list)
    multiline: list[str] = field(default_factory=list)
    records: int = 0

    def arguments(self, database: str, directory: Path | None = None) -> list[str]:
        """``neo4j-admin database import full``'s arguments, naming the files under
        ``directory`` (default: where they were written)."""
        at = directory if directory is not None else self.directory
        args = [
            database,  # first: the options that take several files would take it as one
            "--overwrite-destination=true",
            "--array-delimiter=U+001F",
            f"--report-file={at / 'import.report'}",  # beside the files, not where it is run
            *(f"--nodes={at / name}" for name in self.nodes),
            *(f"--relationships={kind}={at / name}" for kind, name in self.relationships),
        ]
        if self.multiline:
            args += [
                "--multiline-fields-format=v2",
                "--multiline-fields=" + ",".join(str(at / name) for name in self.multiline),
            ]
        return args


class _Writer:
    def __init__(self, files: ImportFiles) -> None:
        self.files = files

    def write(
        self,
        name: str,
        header: list[str],
        records: Iterable[T],
        lines: Callable[[T], Iterable[list[str]]],
        where: Callable[[T], str],
    ) -> None:
        """One file: its header, then the lines of each record (a record whose text holds
        the list separator is refused by name)."""
        path = self.files.directory / name
        multiline = False
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(header) + "\n")
            for record in records:
                try:
                    rows = list(lines(record))
                except _Separator:
                    raise StoreError(
                        _(
                            "{where} holds the control character U+001F, which a Neo4j import "
                            "cannot carry: remove it from the source file and load it again"
                        ).format(where=where(record))
                    ) from None
                text = "".join(",".join(cells) + "\n" for cells in rows)
                if text.count("\n") != len(rows) or "\r" in text:
                    multiline = True  # a line break inside a text
                out.write(text)
        if multiline:
            self.files.multiline.append(name)


def _header(columns: Iterable[tuple[str, str]], extra: Iterable[str] = ()) -> list[str]:
    return [*extra, *(f"{name}:{kind}" for name, kind in columns)]


def write_import_files(
    changes: ChangeSet,
    directory: Path,
    policy_text: str,
    later: Iterable[tuple[date, str]] = (),
) -> ImportFiles:
    """Write ``changes`` (a whole graph: every unit, cadre and assignment) into ``directory``
    as files for ``neo4j-admin database import full``, under the first policy ``policy_text``
    and the later ones (their start and YAML)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = ImportFiles(directory)
    writer = _Writer(files)
    units, cadres = _formats(_UNIT_COLUMNS), _formats(_CADRE_COLUMNS)
    part_of, supports = _formats(_PART_OF_COLUMNS), _formats(_SUPPORTS_COLUMNS)
    labels = {
        level: f"Unit{ARRAY_DELIMITER}{level_label(level)}"
        for level in {u.level for u in changes.units}
    }

    def unit_where(u: Unit) -> str:
        return _("unit {code}").format(code=u.code)

    def cadre_where(c: Cadre) -> str:
        return _("cadre {id}").format(id=c.id)

    writer.write(
        "units.csv",
        _header(_UNIT_COLUMNS, extra=[":LABEL"]),
        changes.units,
        lambda u: [[labels[u.level], *_cells(_unit_row(u), units)]],
        unit_where,
    )
    writer.write(
        "cadres.csv",
        _header(_CADRE_COLUMNS, extra=[":LABEL"]),
        changes.cadres,
        lambda c: [["Cadre", *_cells(_cadre_row(c), cadres)]],
        cadre_where,
    )
    meta = {
        "key": "schema",
        "version": 0,  # the first namgraph to open the database creates the indexes
        "policy_yaml": policy_text,
        "timeline": json.dumps(
            [{"from": start.isoformat(), "yaml": text} for start, text in later],
            ensure_ascii=False,
        ),
        "epoch": str(uuid.uuid4()),
        "generation": 1,
        # refused by every reader until the first namgraph to open it has finished it
        "loading": datetime.now(UTC).isoformat(timespec="seconds") + " (neo4j-admin import)",
        "imported": True,
    }
    writer.write(
        "meta.csv",
        _header(_META_COLUMNS, extra=[":LABEL"]),
        [meta],
        lambda m: [["NamgraphMeta", *_cells(m, _formats(_META_COLUMNS))]],
        lambda m: "meta",
    )
    files.nodes += ["units.csv", "cadres.csv", "meta.csv"]

    ends = [":START_ID(Unit)", ":END_ID(Unit)"]
    writer.write(
        "part_of.csv",
        _header(_PART_OF_COLUMNS, extra=ends),
        changes.units,
        lambda u: [
            [_string(u.code), _string(link["parent"]), *_cells(link, part_of)]
            for link in _part_of_rows(u)["links"]
        ],
        unit_where,
    )
    writer.write(
        "merged_into.csv",
        _header(_MERGED_INTO_COLUMNS, extra=ends),
        changes.units,
        lambda u: [
            [_string(u.code), _string(into["code"]), field_text(into["on"])]
            for into in _successor_row(u)["into"]
        ],
        unit_where,
    )
    writer.write(
        "works_in.csv",
        [":START_ID(Cadre)", ":END_ID(Unit)"],
        changes.cadres,
        lambda c: [[_string(c.id), _string(c.home_unit)]],
        cadre_where,
    )

    def assignment(a: Assignment) -> list[list[str]]:
        row = _assignment_row(a)
        return [[_string(row["cadre"]), _string(row["unit"]), *_cells(row, supports)]]

    writer.write(
        "supports.csv",
        _header(_SUPPORTS_COLUMNS, extra=[":START_ID(Cadre)", ":END_ID(Unit)"]),
        changes.assignments,
        assignment,
        lambda a: _("assignment {id}").format(id=a.id),
    )
    files.relationships += [
        ("PART_OF", "part_of.csv"),
        ("MERGED_INTO", "merged_into.csv"),
        ("WORKS_IN", "works_in.csv"),
        ("SUPPORTS", "supports.csv"),
    ]
    _write_activity(writer, changes)
    files.records = len(changes)
    return files


def _write_activity(writer: _Writer, changes: ChangeSet) -> None:
    """Meetings, attendance and petitions (graph/stores/neo4j_activity.py), as the importer's
    nodes and links."""
    files = writer.files
    meetings, attended = _formats(_MEETING_COLUMNS), _formats(_ATTENDED_COLUMNS)
    petitions, handled = _formats(_PETITION_COLUMNS), _formats(_HANDLED_COLUMNS)

    def meeting_where(m: Meeting) -> str:
        return _("meeting {id}").format(id=m.id)

    def petition_where(p: Petition) -> str:
        return _("petition {id}").format(id=p.id)

    writer.write(
        "meetings.csv",
        _header(_MEETING_COLUMNS, extra=[":LABEL"]),
        changes.meetings,
        lambda m: [["Meeting", *_cells(meeting_row(m), meetings)]],
        meeting_where,
    )
    writer.write(
        "petitions.csv",
        _header(_PETITION_COLUMNS, extra=[":LABEL"]),
        changes.petitions,
        lambda p: [["Petition", *_cells(petition_row(p), petitions)]],
        petition_where,
    )
    files.nodes += ["meetings.csv", "petitions.csv"]
    writer.write(
        "held_at.csv",
        [":START_ID(Meeting)", ":END_ID(Unit)"],
        changes.meetings,
        lambda m: [[_string(m.id), _string(m.unit)]],
        meeting_where,
    )
    writer.write(
        "attended.csv",
        _header(_ATTENDED_COLUMNS, extra=[":START_ID(Cadre)", ":END_ID(Meeting)"]),
        changes.attendance,
        lambda a: [[_string(a.cadre), _string(a.meeting), *_cells(attendance_row(a), attended)]],
        lambda a: _("attendance {key}").format(key=a.key),
    )
    writer.write(
        "raised_at.csv",
        [":START_ID(Petition)", ":END_ID(Unit)"],
        changes.petitions,
        lambda p: [[_string(p.id), _string(p.unit)]],
        petition_where,
    )
    writer.write(
        "handled.csv",
        _header(_HANDLED_COLUMNS, extra=[":START_ID(Cadre)", ":END_ID(Petition)"]),
        changes.petitions,
        lambda p: [
            [_string(cadre), _string(p.id), *_cells({"step": step, "on": on}, handled)]
            for step, (cadre, on) in enumerate(
                [(p.received_by, p.raised), *((h.cadre, h.on) for h in p.handovers)]
            )
        ],
        petition_where,
    )
    files.relationships += [
        ("HELD_AT", "held_at.csv"),
        ("ATTENDED", "attended.csv"),
        ("RAISED_AT", "raised_at.csv"),
        ("HANDLED", "handled.csv"),
    ]
