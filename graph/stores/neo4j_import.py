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
from typing import Any

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
from graph.stores.port import ChangeSet, StoreError

__all__ = ["ARRAY_DELIMITER", "ImportFiles", "write_import_files"]

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
_PART_OF_COLUMNS = (("valid_from", "date"), ("valid_to", "date"), ("latest", "boolean"))
_MERGED_INTO_COLUMNS = (("on", "date"),)
_SUPPORTS_COLUMNS = (
    ("id", "string"),
    ("role", "string"),
    ("since", "date"),
    ("until", "date"),
    ("decision", "string"),
)


def _text(value: str, where: Callable[[], str]) -> str:
    if ARRAY_DELIMITER in value:
        raise StoreError(
            _(
                "{where} holds the control character U+001F, which a Neo4j import cannot carry: "
                "remove it from the source file and load it again"
            ).format(where=where())
        )
    return value


def _cell(value: Any, kind: str, where: Callable[[], str]) -> str:
    """One CSV field: empty (no property) for None, quoted text (so that an empty string stays
    an empty string), a list's elements joined by :data:`ARRAY_DELIMITER`."""
    if value is None:
        return ""
    if kind.endswith("[]"):
        items = [v.isoformat() if isinstance(v, date) else _text(str(v), where) for v in value]
        return '"' + ARRAY_DELIMITER.join(items).replace('"', '""') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    text = _text(str(value), where)
    return '"' + text.replace('"', '""') + '"'


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
        lines: Iterable[list[str]],
    ) -> None:
        path = self.files.directory / name
        multiline = False
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(header) + "\n")
            for cells in lines:
                line = ",".join(cells)
                if "\n" in line or "\r" in line:
                    multiline = True
                out.write(line + "\n")
        if multiline:
            self.files.multiline.append(name)


def _header(columns: Iterable[tuple[str, str]], extra: Iterable[str] = ()) -> list[str]:
    return [*extra, *(f"{name}:{kind}" for name, kind in columns)]


def _cells(
    row: dict[str, Any], columns: Iterable[tuple[str, str]], where: Callable[[], str]
) -> list[str]:
    unknown = set(row) - {name for name, _kind in columns}
    assert not unknown, f"columns missing from the import header: {sorted(unknown)}"
    return [_cell(row.get(name), kind.split("(")[0], where) for name, kind in columns]


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

    def unit_where(u: Unit) -> Callable[[], str]:
        return lambda: _("unit {code}").format(code=u.code)

    def cadre_where(c: Cadre) -> Callable[[], str]:
        return lambda: _("cadre {id}").format(id=c.id)

    def assignment_where(a: Assignment) -> Callable[[], str]:
        return lambda: _("assignment {id}").format(id=a.id)

    d = ARRAY_DELIMITER
    writer.write(
        "units.csv",
        _header(_UNIT_COLUMNS, extra=[":LABEL"]),
        (
            [f"Unit{d}{level_label(u.level)}", *_cells(_unit_row(u), _UNIT_COLUMNS, unit_where(u))]
            for u in changes.units
        ),
    )
    writer.write(
        "cadres.csv",
        _header(_CADRE_COLUMNS, extra=[":LABEL"]),
        (["Cadre", *_cells(_cadre_row(c), _CADRE_COLUMNS, cadre_where(c))] for c in changes.cadres),
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
        [["NamgraphMeta", *_cells(meta, _META_COLUMNS, lambda: "meta")]],
    )
    files.nodes += ["units.csv", "cadres.csv", "meta.csv"]

    def part_of() -> Iterable[list[str]]:
        for u in changes.units:
            for link in _part_of_rows(u)["links"]:
                yield [
                    _cell(u.code, "string", unit_where(u)),
                    _cell(link["parent"], "string", unit_where(u)),
                    *_cells(
                        {k: link[k] for k in ("valid_from", "valid_to", "latest")},
                        _PART_OF_COLUMNS,
                        unit_where(u),
                    ),
                ]

    def merged_into() -> Iterable[list[str]]:
        for u in changes.units:
            for into in _successor_row(u)["into"]:
                yield [
                    _cell(u.code, "string", unit_where(u)),
                    _cell(into["code"], "string", unit_where(u)),
                    _cell(into["on"], "date", unit_where(u)),
                ]

    ends = [":START_ID(Unit)", ":END_ID(Unit)"]
    writer.write("part_of.csv", _header(_PART_OF_COLUMNS, extra=ends), part_of())
    writer.write("merged_into.csv", _header(_MERGED_INTO_COLUMNS, extra=ends), merged_into())
    writer.write(
        "works_in.csv",
        [":START_ID(Cadre)", ":END_ID(Unit)"],
        (
            [_cell(c.id, "string", cadre_where(c)), _cell(c.home_unit, "string", cadre_where(c))]
            for c in changes.cadres
        ),
    )

    def supports() -> Iterable[list[str]]:
        for a in changes.assignments:
            row = _assignment_row(a)
            where = assignment_where(a)
            yield [
                _cell(row.pop("cadre"), "string", where),
                _cell(row.pop("unit"), "string", where),
                *_cells(row, _SUPPORTS_COLUMNS, where),
            ]

    writer.write(
        "supports.csv",
        _header(_SUPPORTS_COLUMNS, extra=[":START_ID(Cadre)", ":END_ID(Unit)"]),
        supports(),
    )
    files.relationships += [
        ("PART_OF", "part_of.csv"),
        ("MERGED_INTO", "merged_into.csv"),
        ("WORKS_IN", "works_in.csv"),
        ("SUPPORTS", "supports.csv"),
    ]
    files.records = len(changes)
    return files
