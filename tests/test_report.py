"""``nam report``: the gaps, coverage and workload tables as staff open and print them, in
Excel and CSV, read back and held against the store's own answers."""

from __future__ import annotations

import csv
import dataclasses
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from graph.answers import Coverage, GapReason
from graph.i18n import _, number, use
from graph.model import Assignment, Unit
from graph.stores.memory import MemoryStore
from graph.stores.port import ChangeSet
from namgraph.reports import labels
from namgraph.reports.csvfile import write_csv
from namgraph.reports.files import replaced
from namgraph.reports.table import Column, Kind, Report, Sheet, Value
from namgraph.reports.xlsx import write_xlsx
from tests.conftest import ON, REFORM, Nam, end_support, runner, store_env

DISTRICT = "831"  # Huyện Châu Thành, Bến Tre
TWO_TIER = REFORM + timedelta(days=31)


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reports as the users read them: in Vietnamese, the product's default language."""
    monkeypatch.delenv("NAM_LANG")
    with use("vi"):
        yield


@pytest.fixture
def broken(memory_store: MemoryStore) -> str:
    """Châu Thành on ``ON`` with the support of its first commune ended a month earlier: the
    commune is a gap, and everything below it is cut off from the chain. Its code."""
    return end_support(memory_store, DISTRICT)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder for the reports (the data directory is beside it)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def rows_of(page: Worksheet) -> list[dict[str, Any]]:
    """The rows of a sheet as dicts by its (first-row) headers."""
    header, *rows = page.iter_rows(values_only=True)
    return [dict(zip(map(str, header), row, strict=True)) for row in rows]


def read_csv(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def level_label(store: MemoryStore, level: str) -> str:
    return store.policy_on(ON).level(level).label


def wrote(result: Any, path: Path, rows: int) -> None:
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith(f"Đã ghi {number(rows)} dòng")
    assert str(path) in result.stdout and path.is_file()


# --- gaps ------------------------------------------------------------------------------------


def test_gaps_workbook_has_a_sheet_per_coverage_level_with_the_store_answers(
    nam_memory: Nam, memory_store: MemoryStore, broken: str, out: Path
) -> None:
    target = out / "gaps.xlsx"
    result = nam_memory("report", "gaps", DISTRICT, "--as-of", "1/5/2023", "--xlsx", str(target))
    levels = [lc.level for lc in memory_store.coverage(DISTRICT, ON).levels]
    assert levels == ["district", "commune", "hamlet", "household_group"]
    expected = {level: memory_store.gaps(DISTRICT, level, ON) for level in levels}
    wrote(result, target, sum(len(found) for found in expected.values()))
    book = load_workbook(target)
    assert book.sheetnames == [level_label(memory_store, level) for level in levels]
    for level, page in zip(levels, book.worksheets, strict=True):
        header = [cell.value for cell in page[1]]
        assert header[:3] == ["Mã đơn vị", "Tên đơn vị", "Cấp"]
        assert "Lý do" in header and all(cell.font.b for cell in page[1])
        assert "Mã cấp" not in header  # ids are for the CSV; people read the label
        got = [
            (r["Mã đơn vị"], r["Tên đơn vị"], r["Cấp"], r["Lý do"], r["Đứt chuỗi tại đơn vị"])
            for r in rows_of(page)
        ]
        assert got == [
            (
                g.unit.code,
                g.unit.name,
                level_label(memory_store, level),
                _(labels.REASONS[g.reason]),
                g.broken_at,
            )
            for g in expected[level]
        ]
        dates = [row[header.index("Tính đến ngày")] for row in page.iter_rows(min_row=2)]
        assert all(c.number_format == "d/m/yyyy" for c in dates)
        assert all(c.value == datetime(2023, 5, 1) for c in dates)  # a date cell, not text
    # what the sheets hold: the ended commune, and the hamlets below it cut off
    commune = rows_of(book["Xã"])
    assert [(r["Mã đơn vị"], r["Lý do"]) for r in commune] == [
        (broken, "Phân công cán bộ nắm đã hết hạn")
    ]
    hamlets = rows_of(book[level_label(memory_store, "hamlet")])
    assert hamlets and {r["Lý do"] for r in hamlets} == {"Đứt chuỗi ở cấp trên"}
    assert {r["Mã đơn vị cấp trên"] for r in hamlets} == {broken}


def test_gaps_csv_without_a_level_is_one_file_with_a_level_column(
    nam_memory: Nam, memory_store: MemoryStore, broken: str, out: Path
) -> None:
    target = out / "gaps.csv"
    result = nam_memory("report", "gaps", DISTRICT, "--as-of", "2023-05-01", "--csv", str(target))
    expected = [
        g
        for lc in memory_store.coverage(DISTRICT, ON).levels
        for g in memory_store.gaps(DISTRICT, lc.level, ON)
    ]
    wrote(result, target, len(expected))
    rows = read_csv(target)
    assert list(rows[0]) == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Mã cấp",
        "Cấp",
        "Mã đơn vị cấp trên",
        "Tên đơn vị cấp trên",
        "Mã lý do",
        "Lý do",
        "Đứt chuỗi tại đơn vị",
        "Tính đến ngày",
    ]
    assert [
        (r["Mã đơn vị"], r["Mã cấp"], r["Cấp"], r["Mã lý do"], r["Đứt chuỗi tại đơn vị"])
        for r in rows
    ] == [
        (
            g.unit.code,
            g.unit.level,
            level_label(memory_store, g.unit.level),
            str(g.reason),
            g.broken_at or "",
        )
        for g in expected
    ]
    assert {r["Mã cấp"] for r in rows} == {"commune", "hamlet", "household_group"}
    assert {r["Tính đến ngày"] for r in rows} == {"2023-05-01"}  # ISO in CSV


def test_gaps_at_one_level_named_in_vietnamese(
    nam_memory: Nam, memory_store: MemoryStore, out: Path
) -> None:
    early = date(2022, 1, 1)  # before the decision: nothing is covered
    target = out / "communes.xlsx"
    result = nam_memory(
        "report", "gaps", DISTRICT, "--level", "xã", "--as-of", "1/1/2022", "--xlsx", str(target)
    )
    expected = memory_store.gaps(DISTRICT, "commune", early)
    wrote(result, target, len(expected))
    book = load_workbook(target)
    assert book.sheetnames == [level_label(memory_store, "commune")]
    rows = rows_of(book.active)  # type: ignore[arg-type]
    assert [(r["Mã đơn vị"], r["Tên đơn vị cấp trên"]) for r in rows] == [
        (g.unit.code, memory_store.unit(DISTRICT).name)  # type: ignore[union-attr]
        for g in expected
    ]
    assert {r["Lý do"] for r in rows} == {_(labels.REASONS[GapReason.NO_SUPPORTER])}


# --- coverage --------------------------------------------------------------------------------


def coverage_cells(answer: Coverage, levels: list[str]) -> list[Any]:
    counted = {lc.level: lc for lc in answer.levels}
    cells: list[Any] = []
    for level in levels:
        lc = counted.get(level)
        cells += [None, None, None] if lc is None else [lc.units, lc.covered, lc.ratio]
    return [*cells, answer.households, answer.households_reached, answer.ratio]


def test_coverage_rows_are_the_units_one_level_below_and_the_total(
    nam_memory: Nam, memory_store: MemoryStore, broken: str, out: Path
) -> None:
    book_path, csv_path = out / "coverage.xlsx", out / "coverage.csv"
    for option, path in (("--xlsx", book_path), ("--csv", csv_path)):
        result = nam_memory("report", "coverage", "83", "--as-of", "2023-05-01", option, str(path))
        wrote(result, path, len(memory_store.children("83", ON)) + 1)
    total = memory_store.coverage("83", ON)
    levels = [lc.level for lc in total.levels]
    codes = [u.code for u in memory_store.children("83", ON)]
    assert len(codes) == 9 and all(u.level == "district" for u in memory_store.children("83", ON))
    answers = [memory_store.coverage(code, ON) for code in codes] + [total]

    page = load_workbook(book_path).active
    assert isinstance(page, Worksheet)
    header = [cell.value for cell in page[1]]
    assert header[:3] == ["Mã đơn vị", "Tên đơn vị", "Cấp"]
    assert "Hộ gia đình" in header and "Xã: được nắm" in header
    data = list(page.iter_rows(min_row=2))
    assert [row[0].value for row in data] == [*codes, "83"]
    for row, answer in zip(data, answers, strict=True):
        assert row[1].value == answer.unit.name
        assert row[2].value == level_label(memory_store, answer.unit.level)
        assert [c.value for c in row[3:-1]] == coverage_cells(answer, levels)
        assert row[-1].value == datetime(2023, 5, 1) and row[-1].number_format == "d/m/yyyy"
        for cell, kind in zip(row[3:-1], ["count", "count", "ratio"] * len(levels), strict=False):
            if cell.value is not None:
                assert cell.data_type == "n"
                assert cell.number_format == ("#,##0" if kind == "count" else "0.0%")
    assert all(cell.font.b for cell in data[-1])  # the total
    assert not any(cell.font.b for cell in data[0])
    # the one that lost its commune shows it, and so does the total
    hit = codes.index(DISTRICT)
    assert answers[hit].level("commune").covered == answers[hit].level("commune").units - 1

    rows = read_csv(csv_path)
    assert [r["Mã đơn vị"] for r in rows] == [*codes, "83"]
    assert [r["Mã cấp"] for r in rows] == ["district"] * 9 + ["province"]
    for r, answer in zip(rows, answers, strict=True):
        shown = [v for k, v in r.items() if k not in ("Mã đơn vị", "Tên đơn vị", "Mã cấp", "Cấp")]
        assert shown[:-1] == ["" if v is None else str(v) for v in coverage_cells(answer, levels)]
        assert shown[-1] == "2023-05-01"


def test_coverage_on_the_two_tier_map_is_per_commune(mapped_dir: Path, out: Path) -> None:
    store = MemoryStore.open(mapped_dir)
    nam = runner(mapped_dir, store_env("memory"))
    target = out / "vinh-long.csv"
    result = nam("report", "coverage", "86", "--as-of", TWO_TIER.isoformat(), "--csv", str(target))
    children = store.children("86", TWO_TIER)
    wrote(result, target, len(children) + 1)
    rows = read_csv(target)
    assert [r["Mã đơn vị"] for r in rows] == [u.code for u in children] + ["86"]
    assert {r["Mã cấp"] for r in rows[:-1]} == {"commune"}
    assert not any(header.startswith("Huyện") for header in rows[0])
    total = store.coverage("86", TWO_TIER)
    assert rows[-1]["Hộ gia đình"] == str(total.households)


# --- workload --------------------------------------------------------------------------------


def test_workload_rows_are_the_store_load_overloaded_first(
    nam_memory: Nam, memory_store: MemoryStore, out: Path
) -> None:
    # a commune cadre of Châu Thành given three more household groups than the policy allows
    cadre = next(i.cadre for i in memory_store.load(DISTRICT, ON) if i.cadre.level == "commune")
    held = {a.unit for a in memory_store.assignments(cadre=cadre.id)}
    groups = [
        u.code
        for u in memory_store.subtree(cadre.home_unit)
        if u.level == "household_group" and u.code not in held
    ][:3]
    extra = [
        Assignment(f"test-{code}", cadre.id, code, "support", date(2023, 1, 1)) for code in groups
    ]
    memory_store.apply(ChangeSet(assignments=extra))
    loads = memory_store.load(DISTRICT, ON)
    assert any(item.overloaded and item.cadre.id == cadre.id for item in loads)

    book_path, csv_path = out / "load.xlsx", out / "load.csv"
    for option, path in (("--xlsx", book_path), ("--csv", csv_path)):
        result = nam_memory(
            "report", "workload", DISTRICT, "--as-of", "2023-05-01", option, str(path)
        )
        wrote(result, path, len(loads))
    page = load_workbook(book_path)["Khối lượng"]
    assert [cell.value for cell in page[1]][:2] == ["Mã cán bộ", "Họ và tên cán bộ"]
    rows = rows_of(page)
    assert [
        (r["Mã cán bộ"], r["Họ và tên cán bộ"], r["Số đơn vị phụ trách"], r["Tối đa theo quy định"])
        for r in rows
    ] == [(i.cadre.id, i.cadre.name, i.units, i.max_units) for i in loads]
    assert [r["Số hộ gia đình"] for r in rows] == [i.households for i in loads]
    assert [r["Quá tải"] for r in rows] == ["Có" if i.overloaded else None for i in loads]
    assert {r["Cấp"] for r in rows} <= {
        level_label(memory_store, lv) for lv in ("district", "commune")
    }
    text = read_csv(csv_path)
    assert [(r["Mã cán bộ"], r["Mã cấp"], r["Quá tải"]) for r in text] == [
        (i.cadre.id, i.cadre.level, "true" if i.overloaded else "false") for i in loads
    ]


# --- printing --------------------------------------------------------------------------------


def test_every_report_prints_on_a4_with_its_header_on_every_page(
    nam_memory: Nam, memory_store: MemoryStore, out: Path
) -> None:
    name = memory_store.unit(DISTRICT).name  # type: ignore[union-attr]
    for kind in ("gaps", "coverage", "workload"):
        target = out / f"{kind}.xlsx"
        result = nam_memory(
            "report", kind, DISTRICT, "--as-of", "2023-05-01", "--xlsx", str(target)
        )
        assert result.exit_code == 0, result.output
        for page in load_workbook(target).worksheets:
            setup = page.page_setup
            assert setup.paperSize == 9  # A4 (page.PAPERSIZE_A4 is the text "9")
            assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
            assert page.sheet_properties.pageSetUpPr.fitToPage  # type: ignore[union-attr]
            assert page.print_title_rows == "$1:$1"
            assert page.oddHeader.left.text == f"{DISTRICT} {name}"  # type: ignore[union-attr]
            assert page.oddHeader.right.text == "Tính đến ngày 1/5/2023"  # type: ignore[union-attr]
            assert page.oddFooter.center.text == "Trang &P/&N"  # type: ignore[union-attr]
            assert page.freeze_panes == "A2"
            widths = [page.column_dimensions[c].width for c in "AB"]
            assert widths[1] > widths[0] >= 10  # names get more room than codes
            if kind == "coverage":  # 19 columns: across the page
                assert setup.orientation == "landscape"


# --- formulas --------------------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://example.com/x","bấm vào đây")'


def test_names_that_look_like_formulas_stay_text(
    nam_memory: Nam, memory_store: MemoryStore, broken: str, out: Path
) -> None:
    commune = memory_store.unit(broken)
    assert commune is not None
    memory_store.apply(ChangeSet(units=[dataclasses.replace(commune, name=FORMULA)]))
    loads = memory_store.load(DISTRICT, ON)
    cadre = memory_store.cadre(loads[0].cadre.id)
    assert cadre is not None
    memory_store.apply(ChangeSet(cadres=[dataclasses.replace(cadre, name="@SUM(1+1)")]))

    for kind, column, name in (
        ("coverage", "Tên đơn vị", FORMULA),
        ("gaps", "Tên đơn vị", FORMULA),
        ("workload", "Họ và tên cán bộ", "@SUM(1+1)"),
    ):
        book_path, csv_path = out / f"{kind}.xlsx", out / f"{kind}.csv"
        for option, path in (("--xlsx", book_path), ("--csv", csv_path)):
            args = ["report", kind, DISTRICT, "--as-of", "2023-05-01", option, str(path)]
            if kind == "gaps":
                args += ["--level", "commune"]
            assert nam_memory(*args).exit_code == 0
        with zipfile.ZipFile(book_path) as archive:
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
            assert not any(b"<f>" in archive.read(n) for n in sheets)  # no formula at all
        page = load_workbook(book_path).worksheets[0]
        header = [cell.value for cell in page[1]]
        cells = [row[header.index(column)] for row in page.iter_rows(min_row=2)]
        (hit,) = [cell for cell in cells if cell.value == name]
        assert hit.data_type == "s" and hit.quotePrefix
        if kind != "gaps":  # the row's counts are still numbers
            numbers = [c for c in page[hit.row] if isinstance(c.value, int)]
            assert numbers and all(c.data_type == "n" for c in numbers)
        rows = read_csv(csv_path)
        assert "'" + name in [r[column] for r in rows]
        assert name not in [r[column] for r in rows]


def test_negative_numbers_stay_numbers_and_risky_text_is_neutralised(out: Path) -> None:
    columns = (Column("Văn bản"), Column("Số", Kind.COUNT))
    texts = ["-3", "+1", "@A1", "\tx", "\rx", "=1", "Ấp 1"]
    rows: list[tuple[Value, ...]] = [(text, -3) for text in texts]
    report = Report(
        "Thử", Unit("83", "Tỉnh Bến Tre", "province"), ON, [Sheet("Thử", columns, rows)]
    )
    write_xlsx(report, out / "t.xlsx")
    write_csv(report, out / "t.csv")
    page = load_workbook(out / "t.xlsx").worksheets[0]
    for row, text in zip(page.iter_rows(min_row=2), texts, strict=True):
        # XML reads a carriage return back as a line feed
        assert row[0].value in (text, text.replace("\r", "\n")) and row[0].data_type == "s"
        assert row[0].quotePrefix == (text != "Ấp 1")
        assert (row[1].value, row[1].data_type) == (-3, "n")
    got = [(r["Văn bản"], r["Số"]) for r in read_csv(out / "t.csv")]
    assert got == [("'" + t if t != "Ấp 1" else t, "-3") for t in texts]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gaps", "coverage", "workload"])
def test_an_unknown_unit_is_a_clear_error_and_writes_nothing(
    nam_memory: Nam, kind: str, out: Path
) -> None:
    kept = out / "kept.xlsx"
    kept.write_bytes(b"the report of last month")
    for option, path in (("--xlsx", kept), ("--csv", out / "new.csv")):
        result = nam_memory("report", kind, "99999", option, str(path))
        assert result.exit_code == 1
        assert "không có đơn vị '99999' trong đồ thị" in result.stderr
    assert kept.read_bytes() == b"the report of last month"
    assert sorted(p.name for p in out.iterdir()) == ["kept.xlsx"]


def test_an_unknown_level_is_a_clear_error_and_writes_nothing(nam_memory: Nam, out: Path) -> None:
    target = out / "gaps.csv"
    result = nam_memory("report", "gaps", DISTRICT, "--level", "thôn xóm", "--csv", str(target))
    assert result.exit_code == 1
    assert "no level 'thôn xóm'" in result.stderr and "commune (Xã)" in result.stderr
    assert not target.exists()


def test_exactly_one_of_xlsx_and_csv(nam_memory: Nam, out: Path) -> None:
    both = ["--xlsx", str(out / "a.xlsx"), "--csv", str(out / "a.csv")]
    for options in (both, []):
        result = nam_memory("report", "coverage", DISTRICT, *options)
        assert result.exit_code == 2
        assert "hãy chọn đúng một trong hai: --xlsx FILE hoặc --csv FILE" in result.output
    assert list(out.iterdir()) == []


def test_a_file_is_replaced_whole_or_not_at_all(out: Path) -> None:
    target = out / "report.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), replaced(target) as handle:
        handle.write(b"half a rep")
        raise RuntimeError("the disk is full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in out.iterdir()] == ["report.csv"]
    with replaced(target) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in out.iterdir()] == ["report.csv"]
