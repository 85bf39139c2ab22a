"""Petitions and yearly records from the command line (issue 17, "from assigned to present"):
``nam load petitions``, its template, ``nam petitions``, ``nam record``, ``nam report records``
and ``nam generate`` with petitions. Every refusal names the file, row and column, exits 2 and
writes nothing; the answers are those of :mod:`graph.petitions` and :mod:`graph.yearly`.

The generated Bến Tre: hamlet 28801.01 is followed by district cadre 831-0001, its commune
28801 by provincial cadre 83-0024, its household group 28801.01.01 by commune cadre
28801-0001, all since 26 August 2022; 832-0001 follows a hamlet of another district."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from graph.activity import Handover, Petition
from graph.petitions import petitions_under
from graph.stores.memory import MemoryStore
from graph.yearly import NoPolicyInYear, yearly_record
from loaders.petitions import handovers_text, parse_handovers
from namgraph.cli.main import main
from namgraph.reports.records import area_cadres
from tests.conftest import Nam, runner, store_env, tree_digest, write_csv

HEADER = [
    "Mã kiến nghị",
    "Nơi phát sinh",
    "Ngày tiếp nhận",
    "Cán bộ tiếp nhận",
    "Loại",
    "Nội dung",
    "Chuyển tiếp",
    "Ngày trả lời",
    "Ngày kết thúc",
]
HAMLET, GROUP, COMMUNE = "28801.01", "28801.01.01", "28801"
DISTRICT_CADRE, PROVINCE_CADRE, GROUP_CADRE = "831-0001", "83-0024", "28801-0001"
ELSEWHERE = "832-0001"  # follows a hamlet of district 832: not in 28801.01's chain
ON = date(2023, 6, 30)

#: Four petitions: answered after a hand-over; handed over and open (overdue on 30/6/2023);
#: passed up twice, open and overdue; closed without an answer.
ROWS: list[list[str]] = [
    [
        "KN-1",
        GROUP,
        "1/2/2023",
        GROUP_CADRE,
        "Kiến nghị",
        "Đường ngập nước",
        f"{DISTRICT_CADRE}@3/2/2023",
        "11/2/2023",
        "",
    ],
    [
        "KN-2",
        HAMLET,
        "1/3/2023",
        DISTRICT_CADRE,
        "Phản ánh",
        "Đèn đường hỏng",
        f"{PROVINCE_CADRE} ngày 5/3/2023",
        "",
        "",
    ],
    [
        "KN-3",
        GROUP,
        "2023-05-01",
        GROUP_CADRE,
        "",
        "",
        f"{DISTRICT_CADRE}@5/5/2023; {PROVINCE_CADRE}@20/5/2023",
        "",
        "",
    ],
    ["KN-4", HAMLET, "20/6/2023", DISTRICT_CADRE, "kien nghi", "", "", "", "25/6/2023"],
]
EXPECTED = {
    "KN-1": Petition(
        "KN-1",
        GROUP,
        date(2023, 2, 1),
        GROUP_CADRE,
        "petition",
        "Đường ngập nước",
        (Handover(DISTRICT_CADRE, date(2023, 2, 3)),),
        answered=date(2023, 2, 11),
    ),
    "KN-2": Petition(
        "KN-2",
        HAMLET,
        date(2023, 3, 1),
        DISTRICT_CADRE,
        "complaint",
        "Đèn đường hỏng",
        (Handover(PROVINCE_CADRE, date(2023, 3, 5)),),
    ),
    "KN-3": Petition(
        "KN-3",
        GROUP,
        date(2023, 5, 1),
        GROUP_CADRE,
        "petition",
        "",
        (Handover(DISTRICT_CADRE, date(2023, 5, 5)), Handover(PROVINCE_CADRE, date(2023, 5, 20))),
    ),
    "KN-4": Petition(
        "KN-4", HAMLET, date(2023, 6, 20), DISTRICT_CADRE, "petition", closed=date(2023, 6, 25)
    ),
}


def petitions_file(folder: Path, rows: Sequence[Sequence[object]], name: str = "p.csv") -> Path:
    return write_csv(folder / name, HEADER, rows)


def loaded(nam: Nam, path: Path, *options: str) -> dict[str, Any]:
    result = nam("load", "petitions", str(path), "--json", *options)
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def stored(data_dir: Path) -> MemoryStore:
    return MemoryStore.open(data_dir)


@pytest.fixture
def with_petitions(nam_memory: Nam, data_dir: Path, tmp_path: Path) -> Nam:
    """The private Bến Tre with the four petitions of :data:`ROWS` loaded."""
    answer = loaded(nam_memory, petitions_file(tmp_path, ROWS, "loaded.csv"))
    assert answer["summary"]["create"] == 4 and answer["problems"] == []
    return nam_memory


# --- the hand-over cell ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("831-0001@3/2/2023", (("831-0001", date(2023, 2, 3)),)),
        (
            "831-0001 ngày 3/2/2023; 83-0024 Ngày 5/2/2023",
            (("831-0001", date(2023, 2, 3)), ("83-0024", date(2023, 2, 5))),
        ),
        (
            "831-0001 2023-02-03;\n83-0024@5/2/2023;",
            (("831-0001", date(2023, 2, 3)), ("83-0024", date(2023, 2, 5))),
        ),
        ("", ()),
    ],
)
def test_hand_overs_are_read_as_documented(
    text: str, expected: tuple[tuple[str, date], ...]
) -> None:
    assert parse_handovers(text) == (expected, [])


def test_an_unreadable_hand_over_is_named() -> None:
    assert parse_handovers("831-0001@3/2/2023; chuyển huyện") == (
        (("831-0001", date(2023, 2, 3)),),
        ["chuyển huyện"],
    )
    assert parse_handovers("831-0001@31/2/2023")[1] == ["831-0001@31/2/2023"]


def test_hand_overs_are_written_as_they_are_read() -> None:
    handovers = EXPECTED["KN-3"].handovers
    text = handovers_text(handovers)
    assert text == "831-0001@5/5/2023; 83-0024@20/5/2023"
    assert parse_handovers(text)[0] == tuple((h.cadre, h.on) for h in handovers)


# --- the template ----------------------------------------------------------------------------


def test_the_petitions_template_has_vietnamese_headers_and_an_example() -> None:
    made = CliRunner().invoke(main, ["template", "petitions"])
    assert made.exit_code == 0, made.output
    lines = made.output.splitlines()
    assert lines[0] == ",".join(HEADER)
    assert len(lines) == 2 and "@" in lines[1]  # the example shows a hand-over


@pytest.fixture
def demo(tmp_path: Path, merged_dir: Path) -> Nam:
    """``nam`` over a private copy of the demo-like map of today (two-tier from 1 July 2025)."""
    data = tmp_path / "demo"
    shutil.copytree(merged_dir, data)
    return runner(data, store_env("memory"))


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_the_template_round_trips_on_todays_demo_map(demo: Nam, tmp_path: Path, form: str) -> None:
    path = tmp_path / f"petitions.{form}"
    if form == "csv":
        made = demo("template", "petitions")
        path.write_text(made.stdout, encoding="utf-8")
    else:
        made = demo("template", "petitions", "--xlsx", str(path))
    assert made.exit_code == 0, made.output
    dry = loaded(demo, path, "--dry-run")
    assert dry["problems"] == [] and dry["warnings"] == [], dry
    assert dry["summary"]["create"] == 1 and dry["summary"]["petitions"] == 1
    first = loaded(demo, path)
    assert first["created"] == ["petition:KN-2025-0001"]
    again = loaded(demo, path)
    assert again["summary"]["unchanged"] == 1 and again["summary"]["create"] == 0


# --- loading ---------------------------------------------------------------------------------


def test_petitions_are_created_counted_unchanged_and_updated(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    path = petitions_file(tmp_path, ROWS)
    dry = nam_memory("load", "petitions", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "create 4" in dry.stdout and "4 petitions" in dry.stdout
    assert "Dry run: nothing was written." in dry.stdout
    assert stored(data_dir).petitions(EXPECTED) == {}
    first = loaded(nam_memory, path)
    assert first["summary"]["create"] == 4 and first["summary"]["petitions"] == 4
    assert first["warnings"] == []
    assert dict(stored(data_dir).petitions(EXPECTED)) == EXPECTED
    # the same file again: nothing to do, nothing written
    before = tree_digest(data_dir)
    again = loaded(nam_memory, path)
    assert again["summary"]["unchanged"] == 4 and again["summary"]["create"] == 0
    assert tree_digest(data_dir) == before
    # an answer given later is an update of that petition only
    answered = [*ROWS[1][:7], "20/4/2023", ""]
    changed = loaded(nam_memory, petitions_file(tmp_path, [ROWS[0], answered], "later.csv"))
    assert changed["summary"]["change"] == 1 and changed["summary"]["unchanged"] == 1
    (diff,) = changed["records"]
    assert diff["subject"] == "petition:KN-2"
    assert diff["fields"] == {"answered": {"before": None, "after": "2023-04-20"}}
    assert stored(data_dir).petitions(["KN-2"])["KN-2"].answered == date(2023, 4, 20)


def test_english_headers_are_accepted(nam_memory: Nam, data_dir: Path, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        ["id", "unit", "raised", "received_by", "kind", "text", "handovers", "answered"],
        [["KN-9", HAMLET, "2023-03-01", DISTRICT_CADRE, "complaint", "x", "", "2023-03-09"]],
    )
    assert loaded(nam_memory, path)["summary"]["create"] == 1
    found = stored(data_dir).petitions(["KN-9"])["KN-9"]
    assert (found.kind, found.answered) == ("complaint", date(2023, 3, 9))


# --- refusals: exit 2, file, row and column named, nothing written ---------------------------


def refused(
    nam: Nam, data_dir: Path, path: Path, row: int, column: str, code: str
) -> dict[str, Any]:
    before = tree_digest(data_dir)
    counts = dict(stored(data_dir).counts())
    result = nam("load", "petitions", str(path))
    assert result.exit_code == 2, result.output
    assert f"[{code}]" in result.stderr and path.name in result.stderr
    assert f"row {row}" in result.stderr and repr(column) in result.stderr
    assert "Nothing was written." in result.stderr
    scripted = nam("load", "petitions", str(path), "--json")
    assert scripted.exit_code == 2
    answer: dict[str, Any] = json.loads(scripted.stdout)
    found = [p for p in answer["problems"] if p["code"] == code]
    assert found, answer["problems"]
    assert (found[0]["file"], found[0]["row"], found[0]["column"]) == (str(path), row, column)
    assert tree_digest(data_dir) == before
    assert dict(stored(data_dir).counts()) == counts
    return answer


def row(**cells: str) -> list[str]:
    """A good row (KN-X at the hamlet, received by its supporter), with ``cells`` changed."""
    values = {
        "id": "KN-X",
        "unit": HAMLET,
        "raised": "1/3/2023",
        "received_by": DISTRICT_CADRE,
        "kind": "Kiến nghị",
        "text": "",
        "handovers": "",
        "answered": "",
        "closed": "",
    }
    values.update(cells)
    return list(values.values())


@pytest.mark.parametrize(
    ("bad", "column", "code"),
    [
        (row(unit="99999.01"), "Nơi phát sinh", "unknown_unit"),
        (row(unit=COMMUNE), "Nơi phát sinh", "unit_level"),
        (row(unit=""), "Nơi phát sinh", "empty_cell"),
        (row(raised="1/3/2016"), "Ngày tiếp nhận", "no_policy"),
        (row(raised="31/2/2023"), "Ngày tiếp nhận", "bad_date"),
        (row(raised=""), "Ngày tiếp nhận", "empty_cell"),
        (row(received_by="99-9999"), "Cán bộ tiếp nhận", "unknown_cadre"),
        (row(handovers="99-9999@3/3/2023"), "Chuyển tiếp", "unknown_cadre"),
        (row(kind="Khiếu nại"), "Loại", "unknown_petition_kind"),
        (row(answered="20/2/2023"), "Ngày trả lời", "before_raised"),
        (row(closed="28/2/2023"), "Ngày kết thúc", "before_raised"),
        (row(answered="9/3/2023", closed="10/3/2023"), "Ngày kết thúc", "answered_and_closed"),
        (row(handovers=f"{PROVINCE_CADRE}@27/2/2023"), "Chuyển tiếp", "before_raised"),
        (row(handovers=f"{ELSEWHERE}@3/3/2023"), "Chuyển tiếp", "outside_chain"),
        (
            row(handovers=f"{PROVINCE_CADRE}@20/3/2023; {DISTRICT_CADRE}@5/3/2023"),
            "Chuyển tiếp",
            "handover_order",
        ),
        (row(handovers="831-0001 on the 3rd"), "Chuyển tiếp", "bad_handover"),
        (
            row(handovers=f"{PROVINCE_CADRE}@20/3/2023", answered="10/3/2023"),
            "Chuyển tiếp",
            "handover_after_end",
        ),
        (row(id="KN-1"), "Mã kiến nghị", "duplicate_petition"),
        (row(id=""), "Mã kiến nghị", "empty_cell"),
    ],
)
def test_a_bad_petition_row_is_refused_and_nothing_is_written(
    nam_memory: Nam, data_dir: Path, tmp_path: Path, bad: list[str], column: str, code: str
) -> None:
    path = petitions_file(tmp_path, [ROWS[0], bad])  # the good row is not written either
    refused(nam_memory, data_dir, path, 3, column, code)


def test_a_hand_over_before_the_chain_was_assigned_is_outside_it(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    """831-0001 follows the hamlet from 26 August 2022: not on 2 August."""
    bad = row(raised="1/8/2022", received_by=GROUP_CADRE, handovers=f"{DISTRICT_CADRE}@2/8/2022")
    path = petitions_file(tmp_path, [bad])
    answer = refused(nam_memory, data_dir, path, 2, "Chuyển tiếp", "outside_chain")
    assert "2022-08-02" in answer["problems"][0]["message"]
    # a supporter of a unit above (the district's, 83-0002) is in the chain
    above = row(handovers="83-0002@3/3/2023")
    assert loaded(nam_memory, petitions_file(tmp_path, [above], "above.csv"))["problems"] == []


def test_a_petition_at_a_unit_that_did_not_exist_that_day_is_refused(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    units = write_csv(
        tmp_path / "u.csv",
        ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên", "Hiệu lực từ ngày"],
        [["28801.99", "Khu phố Mới", "khu phố", COMMUNE, "1/1/2024"]],
    )
    assert nam_memory("load", "units", str(units)).exit_code == 0
    path = petitions_file(tmp_path, [row(unit="28801.99")])
    answer = refused(nam_memory, data_dir, path, 2, "Ngày tiếp nhận", "unit_not_in_force")
    assert "did not exist yet on 2023-03-01" in answer["problems"][0]["message"]


def test_a_missing_required_column_is_refused(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", HEADER[:3], [["KN-1", HAMLET, "1/3/2023"]])
    before = tree_digest(data_dir)
    result = nam_memory("load", "petitions", str(path))
    assert result.exit_code == 2 and "[column_missing]" in result.stderr
    assert "'Cán bộ tiếp nhận'" in result.stderr
    assert tree_digest(data_dir) == before


# --- nam petitions ---------------------------------------------------------------------------


@pytest.mark.parametrize("unit", [COMMUNE, "831", "83"])
def test_petitions_json_is_what_petitions_under_answers(
    with_petitions: Nam, data_dir: Path, unit: str
) -> None:
    result = with_petitions("petitions", unit, "--as-of", ON.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    report = petitions_under(stored(data_dir), unit, ON)
    assert answer["unit"]["code"] == unit and answer["as_of"] == ON.isoformat()
    assert (answer["open"], answer["overdue"], answer["answered"]) == (
        len(report.open),
        len(report.overdue),
        report.answered,
    )
    assert answer["answer_days"] == report.answer_days
    listed = {p["id"]: p for p in answer["petitions"]}
    assert set(listed) == {w.petition.id for w in report.open}
    for w in report.open:
        shown = listed[w.petition.id]
        assert shown["holder"] == w.petition.holder_on(ON)
        assert shown["holder_name"] == (w.holder.name if w.holder else None)
        assert (shown["days"], shown["overdue"]) == (w.days, w.overdue)
    assert {x["level"]: (x["open"], x["overdue"]) for x in answer["by_level"]} == dict(
        report.by_level
    )
    assert {x["cadre"]: (x["open"], x["overdue"]) for x in answer["by_cadre"]} == dict(
        report.by_cadre
    )
    assert {x["unit"]: x["median_days"] for x in answer["median_days"]} == dict(report.median_days)
    assert answer["open"] == 2  # KN-2 and KN-3; KN-1 answered, KN-4 closed


def test_petitions_overdue_lists_only_the_overdue(with_petitions: Nam, data_dir: Path) -> None:
    on = date(2023, 5, 10)  # KN-2 waits 70 days, KN-3 9 days
    report = petitions_under(stored(data_dir), COMMUNE, on)
    assert {w.petition.id for w in report.overdue} == {"KN-2"}
    result = with_petitions("petitions", COMMUNE, "--overdue", "--as-of", "10/5/2023", "--json")
    answer = json.loads(result.stdout)
    assert [p["id"] for p in answer["petitions"]] == ["KN-2"]
    assert answer["overdue_only"] and answer["open"] == 2 and answer["overdue"] == 1
    text = with_petitions("petitions", COMMUNE, "--overdue", "--as-of", "10/5/2023")
    assert text.exit_code == 0, text.output
    assert "KN-2" in text.stdout and "KN-3" not in text.stdout
    assert "Overdue petitions under 28801" in text.stdout


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal wide enough for the tables: the command line's console takes its width when
    it is made, on import, and a run of every test imports it at 80 columns."""
    from namgraph.cli import main as cli

    monkeypatch.setattr(cli.out, "_width", 250)


@pytest.mark.usefixtures("wide")
def test_petitions_text_shows_where_each_waits(with_petitions: Nam, data_dir: Path) -> None:
    store = stored(data_dir)
    result = CliRunner(env={**store_env("memory"), "COLUMNS": "250"}).invoke(
        main, ["--data", str(data_dir), "petitions", COMMUNE, "--as-of", ON.isoformat()]
    )
    assert result.exit_code == 0, result.output
    province = store.cadre(PROVINCE_CADRE)
    assert province is not None
    report = petitions_under(store, COMMUNE, ON)
    assert f"{len(report.open)} open, {len(report.overdue)} overdue" in result.stdout
    for w in report.open:
        assert w.petition.id in result.stdout and f"{w.days}" in result.stdout
    assert f"{province.name} ({PROVINCE_CADRE})" in result.stdout
    assert "Median days to an answer" in result.stdout and "28801.01" in result.stdout
    assert "illustrative" in result.stdout


def test_petitions_of_an_unknown_unit_exit_1(nam_memory: Nam) -> None:
    result = nam_memory("petitions", "99999")
    assert result.exit_code == 1 and "99999" in result.stderr


# --- nam record ------------------------------------------------------------------------------


@pytest.mark.parametrize("cadre", [DISTRICT_CADRE, PROVINCE_CADRE, GROUP_CADRE])
def test_record_json_is_what_yearly_record_answers(
    with_petitions: Nam, data_dir: Path, cadre: str
) -> None:
    result = with_petitions("record", cadre, "--year", "2023", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    record = yearly_record(stored(data_dir), cadre, 2023)
    assert answer["cadre"]["id"] == cadre and answer["year"] == 2023
    assert answer["end"] == record.end.isoformat() and answer["policy"] == record.policy
    assert answer["petitions"] == {
        "received": record.petitions_received,
        "passed_on": record.petitions_passed_on,
        "answered_in_time": record.petitions_answered_in_time,
        "answered_late": record.petitions_answered_late,
        "open": record.petitions_open,
    }
    assert answer["meetings"]["attended"] == record.meetings_attended
    assert answer["meetings"]["missed"] == record.meetings_missed
    assert answer["meetings"]["meets_minimum"] == record.meets_minimum
    assert [(f["unit"], f["days"], f["households_reached"]) for f in answer["followed"]] == [
        (f.unit.code, f.days, f.households_reached) for f in record.followed
    ]
    assert (answer["households"], answer["households_reached"]) == (
        record.households,
        record.households_reached,
    )
    assert record.petitions_received + record.petitions_passed_on + record.petitions_open > 0


def test_record_text_prints_the_record(with_petitions: Nam, data_dir: Path) -> None:
    record = yearly_record(stored(data_dir), DISTRICT_CADRE, 2023, date(2023, 6, 30))
    result = with_petitions("record", DISTRICT_CADRE, "--year", "2023", "--as-of", "30/6/2023")
    assert result.exit_code == 0, result.output
    assert f"Yearly record 2023: {DISTRICT_CADRE} {record.cadre.name}" in result.stdout
    assert "to 2023-06-30" in result.stdout and HAMLET in result.stdout
    assert (
        f"Petitions: {record.petitions_received} received, {record.petitions_passed_on} "
        f"passed on, {record.petitions_answered_in_time} answered in time, "
        f"{record.petitions_answered_late} answered late, {record.petitions_open} still open"
    ) in result.stdout
    assert f"Meetings: {record.meetings_attended} attended" in result.stdout


@pytest.mark.usefixtures("wide")
def test_record_in_vietnamese(with_petitions: Nam, data_dir: Path) -> None:
    vi = runner(data_dir, {**store_env("memory"), "NAM_LANG": "vi", "COLUMNS": "200"})
    result = vi("record", DISTRICT_CADRE, "--year", "2023")
    assert result.exit_code == 0, result.output
    assert "Theo dõi, hỗ trợ" in result.stdout  # the role, in the policy's words
    assert "Huyện" in result.stdout and "31/12/2023" in result.stdout


def test_record_of_an_unknown_cadre_exits_1(nam_memory: Nam) -> None:
    result = nam_memory("record", "99-9999", "--year", "2023")
    assert result.exit_code == 1
    assert "99-9999" in result.stderr and "nam search" in result.stderr


def test_record_of_a_year_before_every_policy_is_bad_input(nam_memory: Nam, data_dir: Path) -> None:
    result = nam_memory("record", DISTRICT_CADRE, "--year", "2015")
    assert result.exit_code == 2
    first = stored(data_dir).timeline.first.valid_from
    assert str(NoPolicyInYear(2015, first)) in result.stderr
    scripted = nam_memory("record", DISTRICT_CADRE, "--year", "2015", "--json")
    assert scripted.exit_code == 2 and json.loads(scripted.stdout)["error"] == "no_policy"


# --- nam report records ----------------------------------------------------------------------


def test_the_records_workbook_has_a_sheet_per_district_and_a_row_per_cadre(
    with_petitions: Nam, data_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "records.xlsx"
    vi = runner(data_dir, {**store_env("memory"), "NAM_LANG": "vi"})
    result = vi("report", "records", "83", "--year", "2023", "--xlsx", str(path))
    assert result.exit_code == 0, result.output
    store = stored(data_dir)
    end = date(2023, 12, 31)
    districts = store.children("83", end)
    book = load_workbook(path)
    assert book.sheetnames == [d.name for d in districts]
    page = book["Huyện Châu Thành"]
    headers = [cell.value for cell in page[1]]
    for vietnamese in ("Mã cán bộ", "Họ và tên cán bộ", "Cấp", "Chức danh", "Tính đến ngày"):
        assert vietnamese in headers
    assert page.freeze_panes == "A2" and page.print_title_rows == "$1:$1"
    assert str(page.page_setup.paperSize) == page.PAPERSIZE_A4
    header = page.oddHeader
    assert header is not None and "Huyện Châu Thành" in (header.center.text or "")
    ids = [r[0] for r in page.iter_rows(min_row=2, values_only=True)]
    assert ids == [c.id for c in area_cadres(store, "831", 2023, end)]
    assert len(ids) == len(set(ids)) and DISTRICT_CADRE in ids and PROVINCE_CADRE in ids
    # the figures are the record's: units, petitions received, passed on, still open
    rows = {r[0]: r for r in page.iter_rows(min_row=2, values_only=True)}
    for cadre in (DISTRICT_CADRE, PROVINCE_CADRE, GROUP_CADRE):
        record = yearly_record(store, cadre, 2023, end)
        shown = rows[cadre]
        assert shown[6] == len({f.unit.code for f in record.followed})
        assert shown[-6:-1] == (
            record.petitions_received,
            record.petitions_passed_on,
            record.petitions_answered_in_time,
            record.petitions_answered_late,
            record.petitions_open,
        )


def test_the_records_report_refuses_a_year_before_every_policy(
    nam_memory: Nam, tmp_path: Path
) -> None:
    path = tmp_path / "r.xlsx"
    result = nam_memory("report", "records", "83", "--year", "2015", "--xlsx", str(path))
    assert result.exit_code == 2 and "no policy was in force in 2015" in result.stderr
    assert not path.exists()


# --- generate --------------------------------------------------------------------------------


def test_generate_puts_petitions_in_the_plan_unless_no_activity(
    nam_memory: Nam, data_dir: Path
) -> None:
    before = tree_digest(data_dir)
    result = nam_memory("generate", "--province", "83", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["petitions"] > 0 and summary["errors"] == 0
    assert summary["create"] == summary["meetings"] + summary["attendance"] + summary["petitions"]
    bare = nam_memory("generate", "--province", "83", "--no-activity", "--dry-run", "--json")
    assert json.loads(bare.stdout)["summary"]["petitions"] == 0
    assert tree_digest(data_dir) == before
