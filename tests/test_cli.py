"""The ``nam`` command line as staff and scripts use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph.stores.memory_db import DB_FILE
from loaders.columns import KINDS
from namgraph.cli.main import main
from tests.conftest import ADMIN, Nam, tree_digest, write_csv


def test_templates_have_vietnamese_headers_and_load_back(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["template", "assignments"])
    assert result.exit_code == 0
    header = result.output.splitlines()[0]
    assert header == "Mã phân công,Mã cán bộ,Mã đơn vị,Nhiệm vụ,Từ ngày,Đến ngày,Quyết định"
    book = tmp_path / "cadres.xlsx"
    assert CliRunner().invoke(main, ["template", "cadres", "--xlsx", str(book)]).exit_code == 0
    assert book.stat().st_size > 0
    assert set(KINDS) == {"units", "cadres", "assignments"}


def test_english_keys_are_accepted_as_headers(nam_memory: Nam, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "u.csv",
        ["code", "name", "level", "parent"],
        [["28801.99", "Ấp Mới", "hamlet", "28801"]],
    )
    before = json.loads(nam_memory("coverage", "83", "--json").stdout)["generation"]
    result = nam_memory("load", "units", str(path), "--json")
    assert result.exit_code == 0, result.output
    loaded = json.loads(result.stdout)
    assert loaded["summary"]["create"] == 1
    # every --json answer names its write generation; a write names the one it made
    after = json.loads(nam_memory("chain", "28801.99", "--json").stdout)
    assert loaded["generation"] == after["generation"] and after["generation"] > before
    assert after["items"][0]["unit"]["code"] == "28801.99"


def test_coverage_json_for_scripts(nam_memory: Nam) -> None:
    result = nam_memory("coverage", "831", "--as-of", "1/5/2023", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["as_of"] == "2023-05-01"
    assert [(lv["level"], lv["units"], lv["ratio"]) for lv in answer["levels"]] == [
        ("district", 1, 1.0),
        ("commune", 21, 1.0),
        ("hamlet", 117, 1.0),
        ("household_group", 1702, 1.0),
    ]


def test_every_question_answers_from_the_command_line(nam_memory: Nam) -> None:
    for args in (
        ["chain", "28801.01.01", "--as-of", "2023-05-01"],
        ["gaps", "83", "--level", "xã", "--as-of", "2023-05-01"],
        ["reach", "83-0010", "--as-of", "2023-05-01"],
        ["workload", "831", "--as-of", "2023-05-01"],
        ["whatif", "--cadre", "83-0010", "--on", "2024-01-01"],
        ["search", "Chau Thanh"],
        ["validate", "831", "--as-of", "2023-05-01"],
        ["status"],
    ):
        result = nam_memory(*args)
        assert result.exit_code == 0, (args, result.output)
        json_args = [*args, "--json"] if args[0] != "status" else None
        if json_args:
            assert json.loads(nam_memory(*json_args).stdout) is not None


def test_gaps_accepts_vietnamese_level_names(nam_memory: Nam) -> None:
    result = nam_memory("gaps", "831", "--level", "Ấp", "--as-of", "2022-01-01", "--json")
    assert json.loads(result.stdout)["level"] == "hamlet"
    assert len(json.loads(result.stdout)["gaps"]) == 117


def test_unknown_unit_is_an_error_with_exit_code_1(nam_memory: Nam) -> None:
    result = nam_memory("coverage", "99999")
    assert result.exit_code == 1
    assert "no unit '99999' in the graph" in result.stderr


def test_a_bad_date_is_refused(nam_memory: Nam) -> None:
    result = nam_memory("coverage", "83", "--as-of", "32/13/2023")
    assert result.exit_code == 2
    assert "write it as 2022-08-26 or 26/8/2022" in result.output


def test_commands_on_a_missing_data_directory_say_to_init(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data", str(tmp_path / "none"), "coverage", "83"])
    assert result.exit_code == 1
    assert "run `nam init` first" in result.stderr


def test_generate_twice_changes_nothing(nam_memory: Nam, data_dir: Path) -> None:
    """The roster again (its activity, made up to today, is tested in test_load_activity)."""
    before = tree_digest(data_dir)
    result = nam_memory("generate", "--province", "83", "--seed", "1", "--no-activity")
    assert result.exit_code == 0, result.output
    assert "create 0, change 0, end 0" in result.output
    assert tree_digest(data_dir) == before


def test_generate_needs_the_administrative_list_first(tmp_path: Path) -> None:
    data = str(tmp_path / "nam")
    runner = CliRunner()
    assert runner.invoke(main, ["--data", data, "init"]).exit_code == 0
    result = runner.invoke(main, ["--data", data, "generate", "--province", "83"])
    assert result.exit_code == 2
    assert "nam load admin FILE --province 83" in result.stderr
    assert (
        runner.invoke(
            main, ["--data", data, "load", "admin", str(ADMIN), "--province", "83"]
        ).exit_code
        == 0
    )


def test_the_version_and_the_first_errors_say_what_to_do_next(
    nam_memory: Nam, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = CliRunner().invoke(main, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("nam, version ")
    missing = nam_memory("coverage", "99999")
    assert missing.exit_code == 1
    assert "no unit '99999'" in missing.output and "nam search" in missing.output
    monkeypatch.chdir(tmp_path)
    empty = CliRunner().invoke(main, ["--data", "nothing-here", "coverage", "83"])
    assert empty.exit_code == 1 and "nam init" in empty.output
    assert ".nam-demo" not in empty.output  # no demo here to point at
    demo = tmp_path / ".nam-demo"
    demo.mkdir()
    (demo / DB_FILE).touch()
    pointed = CliRunner().invoke(main, ["--data", "nothing-here", "coverage", "83"])
    assert "nam --data .nam-demo" in pointed.output
