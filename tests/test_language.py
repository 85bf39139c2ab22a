"""The product speaks Vietnamese by default and English on request, from gettext catalogs.

The rest of the suite runs in English (the catalogs' source language); these tests choose
the language themselves."""

from __future__ import annotations

import ast
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner

from graph.i18n import LOCALES, day, number, percent, use
from graph.stores.memory import MemoryStore
from namgraph import catalogs
from namgraph.cli.main import main
from tests.conftest import ROOT, store_env
from tests.test_api import Server

COVERAGE = '{ coverage(unit: "83", asOf: "2023-05-01") { households } }'


@pytest.fixture
def default_language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As a user's machine is: no NAM_LANG."""
    monkeypatch.delenv("NAM_LANG", raising=False)
    yield


def nam(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner(env={**store_env("memory"), **(env or {})}).invoke(
        main, ["--data", str(data_dir), *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1, 2), result.output
    return result.output


# --- the catalogs ------------------------------------------------------------------------------


def test_the_vietnamese_catalog_has_every_message_translated_and_compiled() -> None:
    assert catalogs.check("vi") == []


def test_the_check_fails_when_the_catalog_lacks_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    po = locales / "vi" / "LC_MESSAGES" / "namgraph.po"
    with po.open("rb") as f:
        catalog = read_po(f, locale="vi", domain="namgraph")
    catalog.delete("Dry run: nothing was written.")
    with po.open("wb") as f:
        write_po(f, catalog)
    monkeypatch.setattr(catalogs, "po_path", lambda lang: po)
    problems = catalogs.check("vi")
    assert any("no entry for 'Dry run: nothing was written.'" in p for p in problems), problems


def test_every_translation_is_nfc_text() -> None:
    with (LOCALES / "vi" / "LC_MESSAGES" / "namgraph.po").open("rb") as f:
        catalog = read_po(f, locale="vi")
    for message in catalog:
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            assert text == unicodedata.normalize("NFC", text or ""), message.id


def test_no_function_hides_the_translation_function_behind_a_local_underscore() -> None:
    """``for _, x in ...`` inside a function that also calls ``_("...")`` breaks at run time."""
    found = []
    for package in catalogs.PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                nodes = list(ast.walk(fn))
                args = fn.args
                named = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
                binds = any(a is not None and a.arg == "_" for a in named) or any(
                    isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)
                    for n in nodes
                )
                calls = any(
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                    for n in nodes
                )
                if binds and calls:
                    found.append(f"{path.relative_to(ROOT)}:{fn.lineno}")
    assert found == []


# --- numbers and dates -------------------------------------------------------------------------


def test_numbers_and_dates_are_written_the_vietnamese_way_in_vietnamese() -> None:
    from datetime import date

    with use("vi"):
        assert (number(400419), percent(0.991), day(date(2022, 8, 26))) == (
            "400.419",
            "99,1%",
            "26/8/2022",
        )
    with use("en"):
        assert (number(400419), percent(0.991), day(date(2022, 8, 26))) == (
            "400,419",
            "99.1%",
            "2022-08-26",
        )


# --- the command line --------------------------------------------------------------------------


@pytest.mark.usefixtures("default_language")
def test_the_command_line_speaks_vietnamese_by_default(data_dir: Path) -> None:
    help_text = nam(data_dir, "--help")
    assert "Cách dùng:" in help_text and "Tùy chọn" in help_text and "Usage:" not in help_text
    assert "Hiện hướng dẫn này rồi thoát." in help_text
    table = nam(data_dir, "coverage", "83", "--as-of", "1/5/2023")
    assert "Độ phủ của 83" in table and "1/5/2023" in table
    assert "Tổ nhân dân tự quản" in table and "Huyện" in table  # the policy's labels
    assert "400.419" in table and "100,0%" in table
    assert "district" not in table and "400,419" not in table
    gaps = nam(data_dir, "gaps", "83", "--level", "xã", "--as-of", "1/5/2023")
    assert "Xã" in gaps and "commune" not in gaps
    missing = nam(data_dir, "coverage", "99999")
    assert "lỗi: không có đơn vị '99999'" in missing and "nam search" in missing


@pytest.mark.usefixtures("default_language")
def test_lang_en_and_nam_lang_en_speak_english(data_dir: Path) -> None:
    for args, env in ((("--lang", "en"), {}), ((), {"NAM_LANG": "en"})):
        help_text = nam(data_dir, *args, "--help", env=env)
        assert "Usage:" in help_text and "Show this message and exit." in help_text
        table = nam(data_dir, *args, "coverage", "83", "--as-of", "1/5/2023", env=env)
        assert "Coverage of 83" in table and "400,419" in table and "district" in table
    # --lang wins over NAM_LANG
    table = nam(data_dir, "--lang", "vi", "coverage", "83", env={"NAM_LANG": "en"})
    assert "Độ phủ của 83" in table


def test_json_output_stays_machine_output_in_vietnamese(
    data_dir: Path, default_language: None
) -> None:
    import json

    out = json.loads(nam(data_dir, "coverage", "83", "--as-of", "1/5/2023", "--json"))
    assert out["levels"][0]["level"] == "district" and out["as_of"] == "2023-05-01"
    assert out["households"] == 400419


# --- the API -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("default_language")
def test_api_messages_follow_accept_language_and_default_to_vietnamese(
    memory_store: MemoryStore,
) -> None:
    missing = '{ coverage(unit: "99999") { ratio } }'
    with Server(memory_store) as api:

        def ask(header: str | None) -> tuple[str, str]:
            headers = {"accept-language": header} if header else {}
            response = api.client.post("/graphql", json={"query": missing}, headers=headers)
            (error,) = response.json()["errors"]
            assert error["extensions"]["code"] == "NOT_FOUND"
            return error["message"], response.headers["content-language"]

        assert ask(None) == ("không có đơn vị '99999'; search(text:) tìm mã đơn vị theo tên", "vi")
        assert ask("en-GB,en;q=0.9")[0].startswith("no unit '99999'")
        assert ask("fr-FR, vi;q=0.5")[1] == "vi"
        assert ask("vi;q=0.2, en;q=0.8")[1] == "en"
        # the data itself is never translated or formatted
        answer = api.client.post("/graphql", json={"query": COVERAGE}).json()
        assert answer["data"]["coverage"]["households"] == 400419


def test_a_run_of_the_command_line_leaves_the_callers_language_as_it_was(data_dir: Path) -> None:
    """A program that runs ``nam`` in its own process (as these tests do) keeps its language."""
    import os

    from graph.i18n import language
    from graph.stores.port import NotFound

    assert language() == "en"
    assert "Độ phủ của 83" in nam(data_dir, "--lang", "vi", "coverage", "83", "--as-of", "1/5/2023")
    assert language() == "en" and str(NotFound("unit", "x")) == "no unit 'x' in the graph"
    assert os.environ.get("LANGUAGE") != "vi"
