"""A corpus of bad and hostile input files, made in the test, loaded with ``nam load --json``:
each is refused with exit 2, its stable problem code, where it is (file, row, column) and a
data directory left byte for byte as it was; or it loads whole, with the warnings it must give.

Zip bombs (honest and lying about their sizes), DTDs (XXE, billion laughs) in every part of a
workbook, stale dimensions, extra and hidden sheets, hidden rows, far dates, formulas, text in
the wrong encoding, and the classic mistakes of hand-made files."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from graph.stores.memory import MemoryStore
from namgraph.cli.main import main
from tests import hostile_files as hf
from tests.conftest import store_env

ROWS_CAP = 50
UNPACKED_CAP = 1024 * 1024
ASSIGNMENT = ["28801-0001", "28801.01.01", "theo dõi hỗ trợ", "1/1/2024", ""]


@dataclass(frozen=True)
class Bad:
    id: str
    kind: str
    name: str
    content: Callable[[], bytes]
    code: str | None  # None: the file loads whole
    row: int | None = None
    column: str | None = None
    args: Sequence[str] = ()
    warning: str | None = None  # a warning code the load must give
    created: int | None = None  # records a whole load creates


def units(rows: hf.Rows = hf.GOOD_UNITS, **options: Any) -> Callable[[], bytes]:
    return lambda: hf.xlsx(hf.UNITS, rows, **options)


def units_csv(rows: hf.Rows = hf.GOOD_UNITS, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: hf.csv_bytes(hf.UNITS, rows, encoding)


def patched(member: str, change: Callable[[bytes], bytes], **options: Any) -> Callable[[], bytes]:
    return lambda: hf.patch(hf.xlsx(hf.UNITS, hf.GOOD_UNITS, **options), member, change)


def spaces_after(size: int) -> Callable[[bytes], bytes]:
    return lambda content: content + b" " * size


def empty_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w"):
        pass
    return out.getvalue()


def without(member: str) -> Callable[[], bytes]:
    def make() -> bytes:
        out = io.BytesIO()
        source = zipfile.ZipFile(io.BytesIO(hf.xlsx(hf.UNITS, hf.GOOD_UNITS)))
        with source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                if info.filename != member:
                    target.writestr(info, source.read(info))
        return out.getvalue()

    return make


def many_groups(count: int) -> list[list[object]]:
    groups: list[list[object]] = [
        [f"28801.99.{i:03d}", f"Tổ {i}", "tổ", "", "28801.99", 10] for i in range(1, count)
    ]
    return [hf.HAMLET, *groups]


def assignments_xlsx(until: object) -> Callable[[], bytes]:
    return lambda: hf.xlsx(hf.ASSIGN, [[*ASSIGNMENT[:4], until]])


CORPUS = [
    # sizes: caps decided before inflating and while reading
    Bad("zip-bomb", "units", "u.xlsx", lambda: hf.bomb(3 * UNPACKED_CAP), "workbook_too_large"),
    Bad(
        "zip-bomb-in-styles",
        "units",
        "u.xlsx",
        patched("xl/styles.xml", spaces_after(2 * UNPACKED_CAP)),
        "workbook_too_large",
    ),
    Bad("thousands-of-parts", "units", "u.xlsx", lambda: hf.many_parts(3000), "workbook_too_large"),
    Bad(
        "size-understated",
        "units",
        "u.xlsx",
        lambda: hf.lie_about_size(hf.xlsx(hf.UNITS, hf.GOOD_UNITS), hf.SHEET, 100),
        "xlsx_unreadable",
    ),
    Bad(
        "size-overstated",
        "units",
        "u.xlsx",
        lambda: hf.lie_about_size(hf.xlsx(hf.UNITS, hf.GOOD_UNITS), hf.SHEET, 4_000_000_000),
        "workbook_too_large",
    ),
    Bad(
        "rows-past-the-cap",
        "units",
        "u.xlsx",
        units(many_groups(ROWS_CAP + 5)),
        "row_cap",
        row=ROWS_CAP + 1,
    ),
    Bad(
        "csv-rows-past-the-cap",
        "units",
        "u.csv",
        units_csv(many_groups(ROWS_CAP + 5)),
        "row_cap",
        row=ROWS_CAP + 1,
    ),
    Bad(
        "rows-up-to-the-cap",
        "units",
        "u.xlsx",
        units(many_groups(ROWS_CAP - 1)),
        None,
        created=ROWS_CAP - 1,
    ),
    # DTDs: external entities and entity expansion, in any part, in any encoding
    Bad(
        "xxe-in-the-sheet",
        "units",
        "u.xlsx",
        patched(hf.SHEET, hf.with_prolog(hf.XXE)),
        "xlsx_unsafe",
    ),
    Bad(
        "xxe-in-the-workbook",
        "units",
        "u.xlsx",
        patched("xl/workbook.xml", hf.with_prolog(hf.XXE)),
        "xlsx_unsafe",
    ),
    Bad(
        "xxe-in-the-content-types",
        "units",
        "u.xlsx",
        patched("[Content_Types].xml", hf.with_prolog(hf.XXE)),
        "xlsx_unsafe",
    ),
    Bad(
        "xxe-in-the-relations",
        "units",
        "u.xlsx",
        patched("_rels/.rels", hf.with_prolog(hf.XXE)),
        "xlsx_unsafe",
    ),
    Bad(
        "billion-laughs-in-the-sheet",
        "units",
        "u.xlsx",
        patched(hf.SHEET, hf.with_prolog(hf.LAUGHS)),
        "xlsx_unsafe",
    ),
    Bad(
        "billion-laughs-in-the-styles",
        "units",
        "u.xlsx",
        patched("xl/styles.xml", hf.with_prolog(hf.LAUGHS)),
        "xlsx_unsafe",
    ),
    Bad(
        "billion-laughs-in-shared-strings",
        "units",
        "u.xlsx",
        lambda: hf.add_member(
            hf.xlsx(hf.UNITS, hf.GOOD_UNITS),
            "xl/sharedStrings.xml",
            hf.XML_DECL + hf.LAUGHS + b'<sst xmlns="x"><si><t>&lol9;</t></si></sst>',
        ),
        "xlsx_unsafe",
    ),
    Bad(
        "parameter-entity",
        "units",
        "u.xlsx",
        patched(hf.SHEET, hf.with_prolog(hf.PARAMETER_ENTITY)),
        "xlsx_unsafe",
    ),
    Bad(
        "dtd-in-a-utf16-sheet",
        "units",
        "u.xlsx",
        lambda: hf.patch(
            hf.xlsx(hf.UNITS, hf.GOOD_UNITS),
            hf.SHEET,
            lambda c: hf.in_utf16(hf.with_prolog(hf.XXE)(c)),
        ),
        "xlsx_unsafe",
    ),
    Bad(
        "dtd-after-a-long-comment",
        "units",
        "u.xlsx",
        patched(hf.SHEET, hf.with_prolog(b"<!--" + b"x" * 300_000 + b"-->" + hf.XXE)),
        "xlsx_unsafe",
    ),
    Bad(
        "dtd-in-a-drawing",
        "units",
        "u.xlsx",
        lambda: hf.add_member(
            hf.xlsx(hf.UNITS, hf.GOOD_UNITS), "xl/drawings/vmlDrawing1.vml", hf.XXE + b"<xml/>"
        ),
        "xlsx_unsafe",
    ),
    # broken workbooks
    Bad("not-a-zip", "units", "u.xlsx", lambda: b"this is not a workbook", "xlsx_unreadable"),
    Bad("empty-zip", "units", "u.xlsx", empty_zip, "xlsx_unreadable"),
    Bad("no-workbook-part", "units", "u.xlsx", without("xl/workbook.xml"), "xlsx_unreadable"),
    Bad("no-sheet-part", "units", "u.xlsx", without(hf.SHEET), "xlsx_unreadable"),
    Bad(
        "sheet-xml-cut-short",
        "units",
        "u.xlsx",
        patched(hf.SHEET, lambda c: c[: len(c) // 2]),
        "xlsx_unreadable",
    ),
    Bad(
        "shared-string-out-of-range",
        "units",
        "u.xlsx",
        lambda: hf.add_member(
            hf.patch(
                hf.xlsx(hf.UNITS, hf.GOOD_UNITS),
                hf.SHEET,
                lambda c: c.replace(
                    b'<c r="A1" t="inlineStr">', b'<c r="A1" t="s"><v>999</v><x>', 1
                ),
            ),
            "xl/sharedStrings.xml",
            hf.XML_DECL
            + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        ),
        "xlsx_unreadable",
    ),
    Bad(
        "zip-cut-short",
        "units",
        "u.xlsx",
        lambda: hf.xlsx(hf.UNITS, hf.GOOD_UNITS)[:-200],
        "xlsx_unreadable",
    ),
    # sheets
    Bad(
        "a-second-sheet-with-data",
        "units",
        "u.xlsx",
        units(sheets={"Nháp": [["28801.98", "Ấp Nháp", "ấp", "ấp", "28801", ""]]}),
        "sheet_extra",
    ),
    Bad("a-second-sheet-empty", "units", "u.xlsx", units(sheets={"Trống": []}), None, created=4),
    Bad(
        "data-only-on-the-second-sheet",
        "units",
        "u.xlsx",
        lambda: hf.xlsx(["ghi chú"], [], sheets={"Dữ liệu": [hf.UNITS, *hf.GOOD_UNITS]}),
        "sheet_extra",
    ),
    Bad(
        "the-second-sheet-chosen",
        "units",
        "u.xlsx",
        lambda: hf.xlsx(
            ["ghi chú"], [["bản nháp"]], sheets={"Dữ liệu": [hf.UNITS, *hf.GOOD_UNITS]}
        ),
        None,
        args=("--sheet", "Dữ liệu"),
        created=4,
    ),
    Bad(
        "a-sheet-that-is-not-there",
        "units",
        "u.xlsx",
        units(),
        "sheet_missing",
        args=("--sheet", "Không có"),
    ),
    # rows the file declares wrongly, or hides
    Bad(
        "stale-dimension",
        "units",
        "u.xlsx",
        patched(hf.SHEET, hf.stale_dimension("A1:F2")),
        None,
        created=4,
    ),
    Bad(
        "dimension-of-one-cell",
        "units",
        "u.xlsx",
        patched(hf.SHEET, hf.stale_dimension("A1")),
        None,
        created=4,
    ),
    Bad(
        "no-dimension", "units", "u.xlsx", patched(hf.SHEET, hf.without_dimension), None, created=4
    ),
    Bad(
        "hidden-rows",
        "units",
        "u.xlsx",
        units(hidden=(3, 5)),
        None,
        warning="hidden_row",
        created=4,
    ),
    Bad(
        "a-value-far-to-the-right",
        "units",
        "u.xlsx",
        lambda: hf.patch(
            hf.xlsx(hf.UNITS, hf.GOOD_UNITS),
            hf.SHEET,
            lambda c: c.replace(
                b"</row>", b'<c r="KZ1" t="inlineStr"><is><t>x</t></is></c></row>', 1
            ),
        ),
        "extra_cells",
        row=1,
    ),
    Bad(
        "formula",
        "units",
        "u.xlsx",
        units([*hf.GOOD_UNITS[:3], [*hf.GROUPS[2][:5], "=10+20"]]),
        "formula_cell",
        row=5,
        column="Số hộ",
    ),
    Bad(
        "text-that-is-a-formula",
        "units",
        "u.xlsx",
        lambda: hf.patch(
            hf.xlsx(hf.UNITS, [*hf.GOOD_UNITS[:3], [*hf.GROUPS[2][:5], "X"]]),
            hf.SHEET,
            lambda c: c.replace(b"<t>X</t>", b"<t>=HYPERLINK(1)</t>"),
        ),
        "formula_cell",
        row=5,
    ),
    # dates
    Bad(
        "a-date-in-2099",
        "assignments",
        "a.xlsx",
        assignments_xlsx(datetime(2099, 1, 1)),
        None,
        warning="date_far_ahead",
        created=1,
    ),
    Bad(
        "a-date-in-2099-in-csv",
        "assignments",
        "a.csv",
        lambda: hf.csv_bytes(hf.ASSIGN, [[*ASSIGNMENT[:4], "1/1/2099"]]),
        None,
        warning="date_far_ahead",
        created=1,
    ),
    Bad(
        "a-date-cell-this-decade",
        "assignments",
        "a.xlsx",
        assignments_xlsx(datetime(2026, 1, 1)),
        None,
        created=1,
    ),
    Bad(
        "an-impossible-date",
        "assignments",
        "a.csv",
        lambda: hf.csv_bytes(hf.ASSIGN, [[*ASSIGNMENT[:3], "31/02/2023", ""]]),
        "bad_date",
        row=2,
        column="Từ ngày",
    ),
    # text and the classic mistakes
    Bad("windows-1258", "units", "u.csv", units_csv(encoding="cp1258"), "not_utf8", row=1),
    Bad("utf-16", "units", "u.csv", units_csv(encoding="utf-16"), "not_utf8", row=1),
    Bad("latin-1", "units", "u.csv", units_csv(encoding="latin-1"), "not_utf8", row=1),
    Bad("a-workbook-named-csv", "units", "u.csv", units(), "not_utf8"),
    Bad(
        "nul-bytes",
        "units",
        "u.csv",
        lambda: hf.csv_bytes(hf.UNITS, hf.GOOD_UNITS).replace("Ấp".encode(), b"\x00"),
        "binary_data",
    ),
    Bad(
        "an-unclosed-quote",
        "units",
        "u.csv",
        lambda: hf.csv_bytes(hf.UNITS, [hf.HAMLET]) + b'28801.98,"' + b"x" * 200_000 + b"\n",
        "csv_unreadable",
    ),
    Bad(
        "extra-cells",
        "units",
        "u.csv",
        lambda: hf.csv_bytes(hf.UNITS, [[*hf.HAMLET, "thừa"]]),
        "extra_cells",
        row=2,
    ),
    Bad(
        "a-missing-column",
        "units",
        "u.csv",
        lambda: hf.csv_bytes(hf.UNITS[:2], [["28801.99", "Ấp"]]),
        "column_missing",
        row=1,
        column="Cấp",
    ),
    Bad(
        "a-column-twice",
        "units",
        "u.csv",
        lambda: hf.csv_bytes([*hf.UNITS, "Cấp"], [[*hf.HAMLET, "ấp"]]),
        "column_repeated",
        row=1,
    ),
    Bad("header-only", "units", "u.csv", lambda: hf.csv_bytes(hf.UNITS, []), "no_rows"),
    Bad("header-only-workbook", "units", "u.xlsx", units([]), "no_rows"),
    Bad("empty", "units", "u.csv", lambda: b"", "empty_file"),
    Bad("blank-lines-only", "units", "u.csv", lambda: b"\n , ,\n\n", "empty_file"),
    Bad("an-empty-workbook", "units", "u.xlsx", lambda: hf.xlsx([], []), "empty_file"),
    Bad("another-format", "units", "u.ods", lambda: b"PK\x03\x04", "file_type"),
    Bad(
        "an-empty-required-cell",
        "units",
        "u.csv",
        units_csv([["28801.99", "", "ấp", "ấp", "28801", ""]]),
        "empty_cell",
        row=2,
    ),
    Bad(
        "the-same-code-twice",
        "units",
        "u.csv",
        units_csv([hf.HAMLET, hf.HAMLET]),
        "duplicate_id",
        row=3,
    ),
    Bad(
        "semicolons",
        "units",
        "u.csv",
        lambda: hf.csv_bytes(hf.UNITS, hf.GOOD_UNITS, sep=";"),
        None,
        created=4,
    ),
    Bad(
        "with-a-bom",
        "units",
        "u.csv",
        lambda: b"\xef\xbb\xbf" + hf.csv_bytes(hf.UNITS, hf.GOOD_UNITS),
        None,
        created=4,
    ),
]


def test_the_corpus_has_fifty_files() -> None:
    assert len(CORPUS) >= 50
    assert len({c.id for c in CORPUS}) == len(CORPUS)


def nam(data: Path, *args: str, store_kind: str = "memory") -> Result:
    env = {
        **store_env(store_kind),
        "NAM_LOAD_MAX_ROWS": str(ROWS_CAP),
        "NAM_LOAD_MAX_UNPACKED": str(UNPACKED_CAP),
    }
    return CliRunner(env=env).invoke(main, ["--data", str(data), *args], catch_exceptions=False)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_a_bad_file_is_refused_with_its_code_or_loads_whole(
    case: Bad,
    store_kind: str,
    data_dir: Path,
    tmp_path: Path,
    state: Callable[[], object],
) -> None:
    """On both stores: the store is record for record (Neo4j) or byte for byte (the data
    directory) as it was after a refusal."""
    path = tmp_path / case.name
    path.write_bytes(case.content())
    before = state()
    result = nam(
        data_dir, "load", case.kind, str(path), "--json", *case.args, store_kind=store_kind
    )
    answer = json.loads(result.stdout)
    if case.code is None:
        assert result.exit_code == 0, result.output
        assert answer["summary"]["errors"] == 0
        if case.created is not None:
            assert answer["summary"]["create"] == case.created, answer["summary"]
        warnings = [w["code"] for w in answer["warnings"]]
        if case.warning is not None:
            assert case.warning in warnings, answer["warnings"]
        return
    assert result.exit_code == 2, result.output
    assert answer.get("written", False) is False and answer.get("dry_run", False) is False
    first = answer["problems"][0]
    assert first["code"] == case.code, answer["problems"]
    assert first["file"] == str(path)
    if case.row is not None:
        assert first["row"] == case.row, first
    if case.column is not None:
        assert first["column"] == case.column, first
    assert f"[{case.code}]" in result.stderr and str(path) in result.stderr
    assert "Nothing was written." in result.stderr
    assert state() == before


def test_a_workbook_with_a_stale_dimension_loads_every_row(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "stale.xlsx"
    path.write_bytes(
        hf.patch(hf.xlsx(hf.UNITS, hf.GOOD_UNITS), hf.SHEET, hf.stale_dimension("A1:F2"))
    )
    assert nam(data_dir, "load", "units", str(path)).exit_code == 0
    store = MemoryStore.open(data_dir)
    assert sorted(store.units([row[0] for row in hf.GOOD_UNITS])) == sorted(
        str(row[0]) for row in hf.GOOD_UNITS
    )


def test_hidden_rows_are_named_in_their_warnings(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "hidden.xlsx"
    path.write_bytes(hf.xlsx(hf.UNITS, hf.GOOD_UNITS, hidden=(3, 5)))
    result = nam(data_dir, "load", "units", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    hidden = [line for line in result.stderr.splitlines() if "[hidden_row]" in line]
    assert [("row 3" in line, "row 5" in line) for line in hidden] == [(True, False), (False, True)]


def test_a_far_date_is_loaded_as_written_with_its_warning(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "far.csv"
    path.write_bytes(hf.csv_bytes(hf.ASSIGN, [[*ASSIGNMENT[:4], hf.dated(date(2099, 1, 1))]]))
    result = nam(data_dir, "load", "assignments", str(path))
    assert result.exit_code == 0, result.output
    assert "[date_far_ahead]" in result.stderr and "2099-01-01" in result.stderr
    held = MemoryStore.open(data_dir).assignments(cadre="28801-0001")
    assert any(a.until == date(2099, 1, 1) for a in held)


# --- the command line's promises ----------------------------------------------------------------


def test_a_load_warns_of_the_maxima_validate_then_reports(
    nam: Callable[..., Result], tmp_path: Path
) -> None:
    """83-0010 supports commune 28801 and may support one commune: a second is a warning of
    the load itself, counted with what the store already holds, not only after it."""
    path = tmp_path / "second-commune.csv"
    path.write_bytes(
        hf.csv_bytes(hf.ASSIGN, [["83-0010", "28756", "theo dõi hỗ trợ", "1/1/2024", ""]])
    )
    loaded = nam("load", "assignments", str(path), "--json")
    assert loaded.exit_code == 0, loaded.output
    warned = [
        (w["code"], w["row"], w["column"])
        for w in json.loads(loaded.stdout)["warnings"]
        if "83-0010" in w["message"]
    ]
    assert warned == [("max-per-cadre", 2, "Mã cán bộ")]
    validated = nam("validate", "--json")
    reported = [
        v["rule"]
        for v in json.loads(validated.stdout)["violations"]
        if v["subject"] == "cadre:83-0010"
    ]
    assert reported == ["max-per-cadre"]


def test_reshuffle_plan_exits_2_on_bad_input(
    nam_memory: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(hf.csv_bytes(hf.RESHUFFLE, [["nghỉ hưu", "83-0010", "", "1/6/2023", "QĐ"]]))
    for options in (["--scope", "99999"], ["--sheet", "x", "--scope", "0"]):
        result = nam_memory("reshuffle", "plan", str(path), *options)
        assert result.exit_code == 2, result.output
        assert "no unit" in result.stderr
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(hf.patch(hf.xlsx(hf.RESHUFFLE, []), hf.SHEET, hf.with_prolog(hf.XXE)))
    result = nam_memory("reshuffle", "plan", str(bad), "--json")
    assert result.exit_code == 2
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == ["xlsx_unsafe"]


def test_a_reshuffle_dated_far_ahead_is_planned_with_a_warning(
    nam_memory: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "r.xlsx"
    path.write_bytes(
        hf.xlsx(hf.RESHUFFLE, [["nghỉ hưu", "83-0010", "", datetime(2099, 6, 1), "QĐ"]])
    )
    result = nam_memory("reshuffle", "plan", str(path), "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["effective"] == "2099-06-01"
    assert [(w["code"], w["row"]) for w in plan["warnings"]] == [("date_far_ahead", 2)]
