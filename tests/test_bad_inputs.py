"""A corpus of bad input files: each is refused with its file, row, column and the fix,
a non-zero exit code, and a data directory left byte for byte as it was."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import Workbook

from graph.stores.port import GraphStore
from tests.conftest import ADMIN, Nam

UNITS = "Mã đơn vị,Tên đơn vị,Cấp,Loại,Mã đơn vị cấp trên,Số hộ\n"
CADRES = "Mã cán bộ,Họ và tên,Cấp,Mã đơn vị công tác,Chức danh,Trạng thái\n"
ASSIGN = "Mã cán bộ,Mã đơn vị,Nhiệm vụ,Từ ngày,Đến ngày\n"


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    name: str
    content: Callable[[GraphStore], bytes] | bytes
    row: int | None
    column: str | None
    says: str


def other_communes_group(store: GraphStore) -> bytes:
    neighbour = store.children("831")[1].code
    group = next(u for u in store.subtree(neighbour) if u.level == "household_group")
    return (ASSIGN + f"28801-0001,{group.code},theo dõi hỗ trợ,1/1/2024,\n").encode()


def xlsx(rows: list[list[object]]) -> bytes:
    import io

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CASES = [
    Case(
        "missing-column",
        "units",
        "units.csv",
        "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên\n28801.99,Ấp Mới,28801\n".encode(),
        1,
        "Cấp",
        "required column 'Cấp'",
    ),
    Case(
        "unknown-unit-code",
        "assignments",
        "a.csv",
        (ASSIGN + "28801-0001,99999.01,theo dõi hỗ trợ,1/1/2024,\n").encode(),
        2,
        "Mã đơn vị",
        "unit '99999.01' is not known",
    ),
    Case(
        "duplicate-id",
        "cadres",
        "cadres.csv",
        (CADRES + "28801-9001,Lê Văn Tám,xã,28801,,\n28801-9001,Lê Thị Chín,xã,28801,,\n").encode(),
        3,
        "Mã cán bộ",
        "also on row 2",
    ),
    Case(
        "assignment-to-missing-cadre",
        "assignments",
        "a.csv",
        (ASSIGN + "28801-9999,28801.01.01,theo dõi hỗ trợ,1/1/2024,\n").encode(),
        2,
        "Mã cán bộ",
        "cadre '28801-9999' is not known",
    ),
    Case(
        "cycle",
        "units",
        "units.csv",
        (UNITS + "28801.98,Ấp A,ấp,ấp,28801.99,\n28801.99,Ấp B,ấp,ấp,28801.98,\n").encode(),
        2,
        "Mã đơn vị cấp trên",
        "parent links loop",
    ),
    Case(
        "reversed-dates",
        "assignments",
        "a.csv",
        (ASSIGN + "28801-0001,28801.01.01,theo dõi hỗ trợ,1/3/2024,1/1/2024\n").encode(),
        2,
        "Đến ngày",
        "is not after since",
    ),
    Case(
        "level-the-policy-forbids",
        "assignments",
        "a.csv",
        (ASSIGN + "28801-0001,28801,theo dõi hỗ trợ,1/1/2024,\n").encode(),
        2,
        "Mã đơn vị",
        "the policy does not let 28801-0001 (commune) hold 'support' over a commune",
    ),
    Case(
        "province-cadre-over-a-hamlet",
        "assignments",
        "a.csv",
        (ASSIGN + "83-0010,28801.01,theo dõi hỗ trợ,1/1/2024,\n").encode(),
        2,
        "Mã đơn vị",
        "does not let",
    ),
    Case(
        "jurisdiction",
        "assignments",
        "a.csv",
        other_communes_group,
        2,
        "Mã đơn vị",
        "outside 28801-0001's home unit 28801",
    ),
    Case(
        "not-utf8",
        "units",
        "units.csv",
        UNITS.encode() + b"28801.99,\xc2p M\xf4i,\xe2p,\xe2p,28801,\n",  # saved as Windows-1252
        2,
        None,
        "is not UTF-8 text; save the file as 'CSV UTF-8'",
    ),
    Case("empty-file", "cadres", "cadres.csv", b"", None, None, "`nam template cadres`"),
    Case("header-only", "cadres", "cadres.csv", CADRES.encode(), None, None, "no rows"),
    Case(
        "formula-cell",
        "units",
        "units.xlsx",
        lambda _: xlsx(
            [UNITS.strip().split(","), ["28801.01.99", "Tổ 99", "tổ", "", "28801.01", "=10+20"]]
        ),
        2,
        "Số hộ",
        "paste it as values",
    ),
    Case(
        "unknown-level",
        "units",
        "units.csv",
        (UNITS + "28801.99,Ấp Mới,phố,,28801,\n").encode(),
        2,
        "Cấp",
        "'phố' is not a level",
    ),
    Case(
        "impossible-date",
        "assignments",
        "a.csv",
        (ASSIGN + "28801-0001,28801.01.01,theo dõi hỗ trợ,31/02/2023,\n").encode(),
        2,
        "Từ ngày",
        "'31/02/2023' is not a date",
    ),
    Case(
        "households-not-a-number",
        "units",
        "units.csv",
        (UNITS + "28801.01.99,Tổ 99,tổ,,28801.01,ba mươi\n").encode(),
        2,
        "Số hộ",
        "not a whole number",
    ),
    Case(
        "households-on-a-hamlet",
        "units",
        "units.csv",
        (UNITS + "28801.99,Ấp Mới,ấp,ấp,28801,30\n").encode(),
        2,
        "Số hộ",
        "households are counted on household_group units only",
    ),
    Case(
        "unknown-parent",
        "units",
        "units.csv",
        (UNITS + "99999.01,Ấp Mới,ấp,ấp,99999,\n").encode(),
        2,
        "Mã đơn vị cấp trên",
        "parent '99999' is no known unit",
    ),
    Case(
        "no-parent",
        "units",
        "units.csv",
        (UNITS + "28801.01.99,Tổ 99,tổ,,,20\n").encode(),
        2,
        "Mã đơn vị cấp trên",
        "needs a parent hamlet",
    ),
    Case(
        "wrong-parent-level",
        "units",
        "units.csv",
        (UNITS + "28801.01.99,Tổ 99,tổ,,28801,20\n").encode(),
        2,
        "Mã đơn vị cấp trên",
        "parent must be a hamlet, but 28801 is a commune",
    ),
    Case(
        "bad-commune-code",
        "units",
        "units.csv",
        (UNITS + "2880,Xã Mới,xã,xã,831,\n").encode(),
        2,
        "Mã đơn vị",
        "is not a commune code",
    ),
    Case(
        "extra-cells",
        "units",
        "units.csv",
        (UNITS + "28801.99,Ấp Mới, Phú,ấp,ấp,28801,30\n").encode(),
        2,
        None,
        "remove the extra cells or quote text that contains a comma",
    ),
    Case(
        "unknown-title",
        "cadres",
        "cadres.csv",
        (CADRES + "28801-9001,Lê Văn Tám,xã,28801,Chủ tịch nước,\n").encode(),
        2,
        "Chức danh",
        "'Chủ tịch nước' is not a title",
    ),
    Case(
        "unknown-status",
        "cadres",
        "cadres.csv",
        (CADRES + "28801-9001,Lê Văn Tám,xã,28801,,đi chơi\n").encode(),
        2,
        "Trạng thái",
        "'đi chơi' is not a status",
    ),
    Case(
        "missing-home-unit",
        "cadres",
        "cadres.csv",
        (CADRES + "28899-9001,Lê Văn Tám,xã,28899,,\n").encode(),
        2,
        "Mã đơn vị công tác",
        "home unit '28899' is no known unit",
    ),
    Case(
        "home-unit-of-another-level",
        "cadres",
        "cadres.csv",
        (CADRES + "831-9001,Lê Văn Tám,xã,831,,\n").encode(),
        2,
        "Mã đơn vị công tác",
        "a commune cadre's home unit must be a commune",
    ),
    Case(
        "unknown-role",
        "assignments",
        "a.csv",
        (ASSIGN + "28801-0001,28801.01.01,đi họp,1/1/2024,\n").encode(),
        2,
        "Nhiệm vụ",
        "'đi họp' is not a role",
    ),
    Case(
        "column-twice",
        "units",
        "units.csv",
        ("Mã đơn vị,Mã đơn vị,Tên đơn vị,Cấp\n1,2,3,4\n").encode(),
        1,
        "Mã đơn vị",
        "repeats",
    ),
    Case(
        "empty-required-cell",
        "cadres",
        "cadres.csv",
        (CADRES + "28801-9001,,xã,28801,,\n").encode(),
        2,
        "Họ và tên",
        "empty; fill in",
    ),
    Case(
        "spreadsheet-of-another-kind",
        "units",
        "units.ods",
        b"PK\x03\x04",
        None,
        None,
        "save the file as .csv (UTF-8) or .xlsx",
    ),
    Case(
        "broken-workbook", "units", "units.xlsx", b"not a zip", None, None, "not a readable .xlsx"
    ),
    Case(
        "admin-province-not-in-list",
        "admin",
        "admin.csv",
        ADMIN.read_bytes(),
        None,
        "Mã TP",
        "no rows for province 99",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_where_and_how_to_fix(
    case: Case, nam: Nam, store: GraphStore, state: Callable[[], object], tmp_path: Path
) -> None:
    path = tmp_path / case.name
    path.write_bytes(case.content(store) if callable(case.content) else case.content)
    before = state()
    extra = ["--province", "99"] if case.kind == "admin" else []
    result = nam("load", case.kind, str(path), *extra)
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert str(path) in message
    if case.row is not None:
        assert f"row {case.row}" in message
    if case.column is not None:
        assert f"column {case.column!r}" in message
    assert case.says in message
    assert "Nothing was written." in message
    assert state() == before


def test_there_are_at_least_fifteen_distinct_bad_inputs() -> None:
    assert len({c.id for c in CASES}) >= 15


def test_decomposed_vietnamese_is_normalised_and_accepted(
    nam: Nam, reopen: Callable[[], GraphStore], tmp_path: Path
) -> None:
    text = (
        UNITS
        + "28801.99,Ấp Phước Hòa,ấp,ấp,28801,\n28801.99.01,Tổ 1 Ấp Phước Hòa,tổ,,28801.99,25\n"
    )
    path = tmp_path / "nfd.csv"
    path.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    assert not unicodedata.is_normalized("NFC", path.read_text(encoding="utf-8"))
    result = nam("load", "units", str(path))
    assert result.exit_code == 0, result.output
    store = reopen()
    hamlet = store.unit("28801.99")
    assert hamlet is not None and hamlet.name == "Ấp Phước Hòa"
    assert unicodedata.is_normalized("NFC", hamlet.name)
    assert hamlet.level == "hamlet"
    assert [h.code for h in store.search("ap phuoc hoa", 1)] == ["28801.99"]  # type: ignore[union-attr]
