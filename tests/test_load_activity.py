"""Meetings and attendance from the command line (issue 17, "from assigned to present"):
``nam load meetings|attendance``, their templates, ``nam coverage|gaps --active`` and
``nam generate`` with and without activity. Every refusal names the file, row and column,
exits 2 and writes nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graph.activity import attendance_key, meeting_key
from graph.stores.memory import MemoryStore
from loaders.activity import presence
from namgraph.cli.main import main
from tests.conftest import Nam, runner, store_env, tree_digest, write_csv

MEETING_HEADER = ["Mã cuộc họp", "Chi bộ / Ấp", "Ngày sinh hoạt", "Loại", "Ghi chú"]
SHEET_HEADER = ["Mã cuộc họp", "Chi bộ / Ấp", "Ngày sinh hoạt", "Loại", "Mã cán bộ"]
SHEET_HEADER = [*SHEET_HEADER, "Có mặt / Vắng (lý do)"]
HAMLET, OTHER_HAMLET, COMMUNE = "28756.01", "28756.02", "28756"
#: The district cadre who supports hamlet 28756.01 (and 28756.02) in the generated roster.
SUPPORTER = "829-0001"
COMMUNE_CADRE = "28756-0031"
REGULAR = "Sinh hoạt chi bộ thường kỳ"


def meetings_file(folder: Path, rows: Sequence[Sequence[object]], name: str = "m.csv") -> Path:
    return write_csv(folder / name, MEETING_HEADER, rows)


def sheet_file(folder: Path, rows: Sequence[Sequence[object]], name: str = "a.csv") -> Path:
    return write_csv(folder / name, SHEET_HEADER, rows)


def loaded(nam: Nam, kind: str, path: Path, *options: str) -> dict[str, Any]:
    result = nam("load", kind, str(path), "--json", *options)
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def stored(data_dir: Path) -> MemoryStore:
    return MemoryStore.open(data_dir)


# --- templates -------------------------------------------------------------------------------


def test_the_activity_templates_have_vietnamese_headers() -> None:
    meetings = CliRunner().invoke(main, ["template", "meetings"])
    assert meetings.exit_code == 0, meetings.output
    assert meetings.output.splitlines()[0] == "Mã cuộc họp,Chi bộ / Ấp,Ngày sinh hoạt,Loại,Ghi chú"
    sheet = CliRunner().invoke(main, ["template", "attendance"])
    assert sheet.exit_code == 0, sheet.output
    assert sheet.output.splitlines()[0] == (
        "Mã cuộc họp,Chi bộ / Ấp,Ngày sinh hoạt,Loại,Mã cán bộ,Có mặt / Vắng (lý do)"
    )
    assert len(sheet.output.splitlines()) == 2  # the header and one example row


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_filled_templates_load_and_load_again_unchanged(
    nam_memory: Nam, data_dir: Path, tmp_path: Path, form: str
) -> None:
    paths = {}
    for kind in ("meetings", "attendance"):
        path = tmp_path / f"{kind}.{form}"
        if form == "csv":
            made = nam_memory("template", kind)
            path.write_text(made.stdout, encoding="utf-8")
        else:
            made = nam_memory("template", kind, "--xlsx", str(path))
        assert made.exit_code == 0, made.output
        paths[kind] = path
    first = loaded(nam_memory, "meetings", paths["meetings"])
    assert first["summary"]["create"] == 1 and first["summary"]["meetings"] == 1
    assert first["problems"] == [] and first["warnings"] == []
    sheet = loaded(nam_memory, "attendance", paths["attendance"])
    assert sheet["summary"]["create"] == 1 and sheet["summary"]["attendance"] == 1
    assert sheet["problems"] == [] and sheet["warnings"] == []
    key = meeting_key(HAMLET, date(2025, 9, 12), "regular")
    store = stored(data_dir)
    assert store.meetings([key])[key].unit == HAMLET
    record = store.attendances([attendance_key(key, COMMUNE_CADRE)])
    assert record[attendance_key(key, COMMUNE_CADRE)].present
    before = tree_digest(data_dir)
    for kind in ("meetings", "attendance"):
        again = loaded(nam_memory, kind, paths[kind])
        assert again["summary"]["unchanged"] == 1 and again["summary"]["create"] == 0
    assert tree_digest(data_dir) == before


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, merged_dir: Path) -> Nam:
    """``nam`` over a private copy of the demo-like map of today (two-tier from 1 July 2025)."""
    data = tmp_path_factory.mktemp("activity-templates") / "nam"
    shutil.copytree(merged_dir, data)
    return runner(data, store_env("memory"))


def test_the_template_examples_load_on_todays_demo_map_without_a_problem(
    demo: Nam, tmp_path: Path
) -> None:
    for kind in ("meetings", "attendance"):  # the attendance's meeting: the one loaded before
        path = tmp_path / f"{kind}.csv"
        path.write_text(demo("template", kind).stdout, encoding="utf-8")
        dry = json.loads(demo("load", kind, str(path), "--dry-run", "--json").stdout)
        assert dry["problems"] == [] and dry["warnings"] == [], dry
        assert dry["summary"]["create"] == 1
        assert demo("load", kind, str(path)).exit_code == 0


# --- loading ---------------------------------------------------------------------------------


def test_meetings_and_attendance_are_created_updated_and_counted_unchanged(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    meetings = meetings_file(
        tmp_path,
        [
            ["", HAMLET, "12/3/2023", REGULAR, ""],
            ["", COMMUNE, "8/3/2023", "Họp cấp ủy", "quý I"],
            ["V1", f"{HAMLET}.01", "2023-03-20", "thăm, làm việc", "thăm hộ"],
        ],
    )
    first = loaded(nam_memory, "meetings", meetings)
    assert first["summary"]["create"] == 3 and first["summary"]["meetings"] == 3
    regular = meeting_key(HAMLET, date(2023, 3, 12), "regular")
    assert f"meeting:{regular}" in first["created"] and "meeting:V1" in first["created"]
    sheet = sheet_file(
        tmp_path,
        [
            ["", HAMLET, "12/3/2023", "thường kỳ", SUPPORTER, "Có mặt"],
            ["", HAMLET, "12/3/2023", "thường kỳ", COMMUNE_CADRE, "Vắng (ốm)"],
            ["V1", "", "", "", COMMUNE_CADRE, "x"],
        ],
    )
    assert loaded(nam_memory, "attendance", sheet)["summary"]["create"] == 3
    store = stored(data_dir)
    absent = store.attendances([attendance_key(regular, COMMUNE_CADRE)])
    assert [(a.present, a.reason) for a in absent.values()] == [(False, "ốm")]
    # the same files again: nothing to do
    before = tree_digest(data_dir)
    assert loaded(nam_memory, "meetings", meetings)["summary"]["unchanged"] == 3
    assert loaded(nam_memory, "attendance", sheet)["summary"]["unchanged"] == 3
    assert tree_digest(data_dir) == before
    # a changed note and a changed presence are updates
    meetings_file(tmp_path, [["", COMMUNE, "8/3/2023", "Họp cấp ủy", "quý I, bổ sung"]])
    changed = loaded(nam_memory, "meetings", tmp_path / "m.csv")
    assert changed["summary"]["change"] == 1 and changed["summary"]["create"] == 0
    (diff,) = changed["records"]
    assert diff["fields"] == {"note": {"before": "quý I", "after": "quý I, bổ sung"}}
    sheet_file(tmp_path, [["", HAMLET, "12/3/2023", "thường kỳ", COMMUNE_CADRE, "Có mặt"]])
    update = loaded(nam_memory, "attendance", tmp_path / "a.csv")
    assert update["summary"]["change"] == 1
    now = stored(data_dir).attendances([attendance_key(regular, COMMUNE_CADRE)])
    assert [(a.present, a.reason) for a in now.values()] == [(True, "")]


def test_a_dry_run_writes_nothing_and_text_output_counts_the_activity(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    path = meetings_file(tmp_path, [["", HAMLET, "12/3/2023", REGULAR, ""]])
    before = tree_digest(data_dir)
    result = nam_memory("load", "meetings", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create 1" in result.stdout and "1 meetings" in result.stdout
    assert "Dry run: nothing was written." in result.stdout
    assert tree_digest(data_dir) == before


def test_english_headers_are_accepted(nam_memory: Nam, data_dir: Path, tmp_path: Path) -> None:
    meetings = write_csv(
        tmp_path / "m.csv",
        ["id", "unit", "date", "kind", "note"],
        [["M7", HAMLET, "11/4/2023", "regular", ""]],
    )
    assert loaded(nam_memory, "meetings", meetings)["summary"]["create"] == 1
    sheet = write_csv(
        tmp_path / "a.csv",
        ["meeting", "cadre", "presence"],
        [["M7", SUPPORTER, "absent - district meeting"]],
    )
    assert loaded(nam_memory, "attendance", sheet)["summary"]["create"] == 1
    found = stored(data_dir).attendances([attendance_key("M7", SUPPORTER)])
    assert [(a.present, a.reason) for a in found.values()] == [(False, "district meeting")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Có mặt", (True, "")),
        ("x", (True, "")),
        ("X", (True, "")),
        ("co mat", (True, "")),
        ("Vắng", (False, "")),
        ("Vắng (ốm)", (False, "ốm")),
        ("Vắng - đi công tác", (False, "đi công tác")),
        ("vắng mặt: họp huyện", (False, "họp huyện")),
        ("Vắng có phép", (False, "có phép")),
        ("có lẽ", None),
        ("", None),
    ],
)
def test_presence_is_read_as_staff_write_it(text: str, expected: tuple[bool, str] | None) -> None:
    assert presence(text) == expected


def test_presence_words_reach_the_store(nam_memory: Nam, data_dir: Path, tmp_path: Path) -> None:
    loaded(
        nam_memory, "meetings", meetings_file(tmp_path, [["M1", HAMLET, "12/3/2023", REGULAR, ""]])
    )
    cadres = [SUPPORTER, COMMUNE_CADRE, "28756-0001", "28756-0002", "28756-0003"]
    marks = ["x", "Có mặt", "Vắng", "Vắng (ốm)", "Vắng - đi công tác"]
    sheet = sheet_file(
        tmp_path, [["M1", "", "", "", c, m] for c, m in zip(cadres, marks, strict=True)]
    )
    assert loaded(nam_memory, "attendance", sheet)["summary"]["create"] == 5
    found = stored(data_dir).attendances(attendance_key("M1", c) for c in cadres)
    assert [
        (found[attendance_key("M1", c)].present, found[attendance_key("M1", c)].reason)
        for c in cadres
    ] == [
        (True, ""),
        (True, ""),
        (False, ""),
        (False, "ốm"),
        (False, "đi công tác"),
    ]


# --- warnings: the policy's meeting windows --------------------------------------------------


def test_a_meeting_outside_the_policys_window_is_loaded_with_a_warning_of_its_rule(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    path = meetings_file(
        tmp_path,
        [
            ["", HAMLET, "20/3/2023", REGULAR, ""],  # cells meet on the 10th-15th
            ["", COMMUNE, "20/3/2023", "Họp cấp ủy", ""],  # committees on the 7th-9th
            ["", HAMLET, "20/3/2023", "chuyên đề", ""],  # no window for thematic meetings
            ["", HAMLET, "12/4/2023", REGULAR, ""],  # inside
        ],
    )
    answer = loaded(nam_memory, "meetings", path)
    assert answer["summary"]["create"] == 4 and answer["problems"] == []
    warned = {
        (w["row"], w["column"], w["code"], w["rule"], w["severity"]) for w in answer["warnings"]
    }
    assert warned == {
        (2, "Ngày sinh hoạt", "cell-meeting-window", "cell-meeting-window", "warning"),
        (3, "Ngày sinh hoạt", "committee-meeting-window", "committee-meeting-window", "warning"),
    }
    text = nam_memory("load", "meetings", str(path))
    assert text.exit_code == 0
    assert "warning [cell-meeting-window]" in text.stderr and "row 2" in text.stderr


# --- refusals: exit 2, file, row and column named, nothing written ---------------------------


def refused(
    nam: Nam,
    data_dir: Path,
    kind: str,
    path: Path,
    row: int,
    column: str,
    code: str,
) -> dict[str, Any]:
    before = tree_digest(data_dir)
    counts = dict(stored(data_dir).counts())
    result = nam("load", kind, str(path))
    assert result.exit_code == 2, result.output
    assert f"[{code}]" in result.stderr and path.name in result.stderr
    assert f"row {row}" in result.stderr and repr(column) in result.stderr
    assert "Nothing was written." in result.stderr
    scripted = nam("load", kind, str(path), "--json")
    assert scripted.exit_code == 2
    answer: dict[str, Any] = json.loads(scripted.stdout)
    found = [p for p in answer["problems"] if p["code"] == code]
    assert found, answer["problems"]
    assert (found[0]["file"], found[0]["row"], found[0]["column"]) == (str(path), row, column)
    assert tree_digest(data_dir) == before
    assert dict(stored(data_dir).counts()) == counts
    return answer


GOOD_MEETING = ["", HAMLET, "12/3/2023", REGULAR, ""]


@pytest.mark.parametrize(
    ("bad", "column", "code"),
    [
        (["", "99999.01", "12/3/2023", REGULAR, ""], "Chi bộ / Ấp", "unknown_unit"),
        (["", HAMLET, "12/3/2016", REGULAR, ""], "Ngày sinh hoạt", "no_policy"),
        (["", HAMLET, "12/3/2023", "họp mặt", ""], "Loại", "unknown_meeting_kind"),
        (["", HAMLET, "", REGULAR, ""], "Ngày sinh hoạt", "empty_cell"),
        (["", HAMLET, "31/2/2023", REGULAR, ""], "Ngày sinh hoạt", "bad_date"),
        (["", "", "12/3/2023", REGULAR, ""], "Chi bộ / Ấp", "empty_cell"),
        (["", HAMLET, "12/3/2023", "", ""], "Loại", "empty_cell"),
        (GOOD_MEETING, "Chi bộ / Ấp", "duplicate_meeting"),
        (["", HAMLET, "2023-03-12", "thường kỳ", "same"], "Chi bộ / Ấp", "duplicate_meeting"),
    ],
)
def test_a_bad_meeting_row_is_refused_and_nothing_is_written(
    nam_memory: Nam, data_dir: Path, tmp_path: Path, bad: list[str], column: str, code: str
) -> None:
    path = meetings_file(tmp_path, [GOOD_MEETING, bad])  # the good row is not written either
    refused(nam_memory, data_dir, "meetings", path, 3, column, code)


def test_duplicate_meeting_ids_are_refused(nam_memory: Nam, data_dir: Path, tmp_path: Path) -> None:
    path = meetings_file(
        tmp_path,
        [["M1", HAMLET, "12/3/2023", REGULAR, ""], ["M1", OTHER_HAMLET, "12/3/2023", REGULAR, ""]],
    )
    refused(nam_memory, data_dir, "meetings", path, 3, "Mã cuộc họp", "duplicate_meeting")


@pytest.mark.parametrize(
    ("valid", "when", "said"),
    [
        (("1/1/2024", ""), "12/3/2023", "did not exist yet on 2023-03-12"),
        (("", "1/1/2023"), "12/3/2023", "no longer existed on 2023-03-12"),
    ],
)
def test_a_meeting_on_a_day_its_unit_did_not_exist_is_refused(
    nam_memory: Nam,
    data_dir: Path,
    tmp_path: Path,
    valid: tuple[str, str],
    when: str,
    said: str,
) -> None:
    units = write_csv(
        tmp_path / "u.csv",
        [
            "Mã đơn vị",
            "Tên đơn vị",
            "Cấp",
            "Mã đơn vị cấp trên",
            "Hiệu lực từ ngày",
            "Hiệu lực đến ngày",
        ],
        [["28756.99", "Ấp Mới", "ấp", COMMUNE, *valid]],
    )
    assert nam_memory("load", "units", str(units)).exit_code == 0
    path = meetings_file(tmp_path, [["", "28756.99", when, REGULAR, ""]])
    answer = refused(
        nam_memory, data_dir, "meetings", path, 2, "Ngày sinh hoạt", "unit_not_in_force"
    )
    assert said in answer["problems"][0]["message"]


@pytest.fixture
def with_meeting(nam_memory: Nam, tmp_path: Path) -> Nam:
    """The private Bến Tre with one regular meeting of hamlet 28756.01 (12/3/2023, code M1)."""
    path = meetings_file(tmp_path, [["M1", HAMLET, "12/3/2023", REGULAR, ""]], "loaded.csv")
    assert nam_memory("load", "meetings", str(path)).exit_code == 0
    return nam_memory


GOOD_ROW = ["M1", "", "", "", SUPPORTER, "Có mặt"]


@pytest.mark.parametrize(
    ("bad", "column", "code"),
    [
        (["M9", "", "", "", COMMUNE_CADRE, "x"], "Mã cuộc họp", "unknown_meeting"),
        (
            ["", HAMLET, "13/3/2023", "thường kỳ", COMMUNE_CADRE, "x"],
            "Chi bộ / Ấp",
            "unknown_meeting",
        ),
        (["M1", "", "", "", "99-9999", "x"], "Mã cán bộ", "unknown_cadre"),
        (["M1", "", "", "", SUPPORTER, "Vắng (ốm)"], "Mã cán bộ", "duplicate_attendance"),
        (["", HAMLET, "12/3/2023", REGULAR, SUPPORTER, "x"], "Mã cán bộ", "duplicate_attendance"),
        (["M1", "", "", "", COMMUNE_CADRE, "có lẽ"], "Có mặt / Vắng (lý do)", "bad_presence"),
        (["M1", "", "", "", COMMUNE_CADRE, ""], "Có mặt / Vắng (lý do)", "empty_cell"),
        (["", "", "", "", COMMUNE_CADRE, "x"], "Mã cuộc họp", "no_meeting"),
        (["", HAMLET, "12/3/2023", "họp mặt", COMMUNE_CADRE, "x"], "Loại", "unknown_meeting_kind"),
        (["M1", "", "", "", "", "x"], "Mã cán bộ", "empty_cell"),
    ],
)
def test_a_bad_attendance_row_is_refused_and_nothing_is_written(
    with_meeting: Nam, data_dir: Path, tmp_path: Path, bad: list[str], column: str, code: str
) -> None:
    path = sheet_file(tmp_path, [GOOD_ROW, bad])
    refused(with_meeting, data_dir, "attendance", path, 3, column, code)


def test_attendance_needs_its_meetings_loaded_first(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    """The meetings of a sheet are looked up in the graph, never in the same load."""
    path = sheet_file(tmp_path, [["", HAMLET, "12/3/2023", REGULAR, SUPPORTER, "x"]])
    answer = refused(nam_memory, data_dir, "attendance", path, 2, "Chi bộ / Ấp", "unknown_meeting")
    assert "nam load meetings" in answer["problems"][0]["message"]


def test_a_missing_required_column_is_refused(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", ["Mã cuộc họp", "Mã cán bộ"], [["M1", SUPPORTER]])
    before = tree_digest(data_dir)
    result = nam_memory("load", "attendance", str(path))
    assert result.exit_code == 2 and "[column_missing]" in result.stderr
    assert "'Có mặt / Vắng (lý do)'" in result.stderr
    assert tree_digest(data_dir) == before


# --- active coverage and gaps ----------------------------------------------------------------


def test_active_coverage_and_gaps_count_only_supporters_present(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    loaded(
        nam_memory, "meetings", meetings_file(tmp_path, [["M1", HAMLET, "12/3/2023", REGULAR, ""]])
    )
    loaded(nam_memory, "attendance", sheet_file(tmp_path, [["M1", "", "", "", SUPPORTER, "x"]]))
    on = ["--as-of", "1/5/2023"]
    plain = json.loads(nam_memory("coverage", COMMUNE, *on, "--json").stdout)
    result = nam_memory("coverage", COMMUNE, *on, "--active", "--json")
    assert result.exit_code == 0, result.output
    active = json.loads(result.stdout)
    assert active.keys() == plain.keys()  # the same shape as coverage --json
    levels = {lv["level"]: lv for lv in active["levels"]}
    before = {lv["level"]: lv for lv in plain["levels"]}
    assert levels["hamlet"]["units"] == before["hamlet"]["units"]
    assert 1 <= levels["hamlet"]["covered"] < before["hamlet"]["covered"]
    gaps = nam_memory("gaps", COMMUNE, "--level", "hamlet", *on, "--active", "--json")
    assert gaps.exit_code == 0, gaps.output
    found = {g["unit"]["code"]: g["reason"] for g in json.loads(gaps.stdout)["gaps"]}
    # the hamlet's own supporter was present (its chain may still break above it: the
    # commune's supporter was at no meeting)
    assert found.get(HAMLET) != "supporter_absent"
    assert found[OTHER_HAMLET] == "supporter_absent"
    assert (
        json.loads(nam_memory("gaps", COMMUNE, "--level", "hamlet", *on, "--json").stdout)["gaps"]
        == []
    )
    for args in (["coverage", COMMUNE], ["gaps", COMMUNE, "--level", "ấp"]):
        text = nam_memory(*args, *on, "--active")
        assert text.exit_code == 0, text.output
        assert "active" in text.stdout and "illustrative" in text.stdout


def test_an_absent_supporter_is_not_present(nam_memory: Nam, tmp_path: Path) -> None:
    loaded(
        nam_memory, "meetings", meetings_file(tmp_path, [["M1", HAMLET, "12/3/2023", REGULAR, ""]])
    )
    loaded(
        nam_memory, "attendance", sheet_file(tmp_path, [["M1", "", "", "", SUPPORTER, "Vắng (ốm)"]])
    )
    gaps = nam_memory(
        "gaps", COMMUNE, "--level", "hamlet", "--as-of", "1/5/2023", "--active", "--json"
    )
    found = {g["unit"]["code"]: g["reason"] for g in json.loads(gaps.stdout)["gaps"]}
    assert found[HAMLET] == "supporter_absent"


# --- generate --------------------------------------------------------------------------------


def test_generate_puts_meetings_and_attendance_in_the_same_plan(
    nam_memory: Nam, data_dir: Path
) -> None:
    before = tree_digest(data_dir)
    result = nam_memory("generate", "--province", "83", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["meetings"] > 0 and summary["attendance"] > 0 and summary["errors"] == 0
    assert summary["create"] == summary["meetings"] + summary["attendance"] + summary["petitions"]
    assert tree_digest(data_dir) == before


def test_a_meeting_loaded_with_a_code_is_found_by_its_unit_day_and_kind(
    nam_memory: Nam, data_dir: Path, tmp_path: Path
) -> None:
    row = ["", HAMLET, "12/3/2023", "thường kỳ", SUPPORTER, "x"]
    loaded(
        nam_memory, "meetings", meetings_file(tmp_path, [["M1", HAMLET, "12/3/2023", REGULAR, ""]])
    )
    assert loaded(nam_memory, "attendance", sheet_file(tmp_path, [row]))["summary"]["create"] == 1
    assert attendance_key("M1", SUPPORTER) in stored(data_dir).attendances(
        [attendance_key("M1", SUPPORTER)]
    )
    # a second meeting of the same unit, day and kind under another code: say which
    loaded(
        nam_memory, "meetings", meetings_file(tmp_path, [["M2", HAMLET, "12/3/2023", REGULAR, ""]])
    )
    path = sheet_file(tmp_path, [row], "b.csv")
    answer = refused(
        nam_memory, data_dir, "attendance", path, 2, "Chi bộ / Ấp", "ambiguous_meeting"
    )
    assert "'M1', 'M2'" in answer["problems"][0]["message"]
