"""Report files over HTTP (``GET /reports/{kind}.{xlsx|csv}``): the CLI's files, behind the
same gate, scope and audit trail as ``/graphql``, built off the event loop."""

from __future__ import annotations

import csv
import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from openpyxl import load_workbook

from graph.i18n import use
from graph.stores.memory import MemoryStore
from namgraph.api import downloads
from namgraph.api.auth import Role
from namgraph.api.settings import Settings
from namgraph.reports.table import Report
from tests.access_world import OTHER_PROVINCE, World, codes_in, masked
from tests.conftest import Nam, runner, store_env
from tests.test_api import Server

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: (kind, unit, date): gaps of Vĩnh Long on today's map (many, after the reform), coverage of
#: Bến Tre and the workload of Châu Thành on the three-tier map.
ASKED = [
    ("gaps", "86", "2026-01-01"),
    ("coverage", "83", "2023-05-01"),
    ("workload", "831", "2023-05-01"),
]


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Files as the users get them: in Vietnamese, the product's default language (the server's
    and the command line's)."""
    monkeypatch.delenv("NAM_LANG")
    with use("vi"):
        yield


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, merged_dir: Path) -> Path:
    """A private copy of the demo-like graph (Bến Tre, then the two-tier map and merges)."""
    target = tmp_path_factory.mktemp("downloads") / "nam"
    shutil.copytree(merged_dir, target)
    return target


@pytest.fixture
def demo(demo_dir: Path) -> Iterator[Server]:
    """A server over it in demo mode: no token needed."""
    with Server(MemoryStore.open(demo_dir), Settings(demo=True)) as api:
        yield api


@pytest.fixture
def nam(demo_dir: Path) -> Nam:
    return runner(demo_dir, store_env("memory"))


def cli_file(nam: Nam, kind: str, unit: str, on: str, form: str, folder: Path) -> bytes:
    path = folder / f"cli.{form}"
    result = nam("report", kind, unit, "--as-of", on, f"--{form}", str(path))
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    (only,) = body["errors"]
    return response.status_code, only["extensions"]["code"], only["message"]


# --- the files --------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "unit", "on"), ASKED, ids=[a[0] for a in ASKED])
def test_the_workbook_holds_the_cli_reports_sheets_headers_and_rows(
    demo: Server, nam: Nam, tmp_path: Path, kind: str, unit: str, on: str
) -> None:
    response = demo.client.get(f"/reports/{kind}.xlsx", params={"unit": unit, "asOf": on})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    got = sheets(response.content)
    expected = sheets(cli_file(nam, kind, unit, on, "xlsx", tmp_path))
    assert list(got) == list(expected)
    assert got == expected
    first = next(iter(got.values()))
    assert first[0][0] in ("Mã đơn vị", "Mã cán bộ") and len(first) > 1  # headers, then rows


@pytest.mark.parametrize(("kind", "unit", "on"), ASKED, ids=[a[0] for a in ASKED])
def test_the_csv_is_the_cli_file_byte_for_byte(
    demo: Server, nam: Nam, tmp_path: Path, kind: str, unit: str, on: str
) -> None:
    response = demo.client.get(f"/reports/{kind}.csv", params={"unit": unit, "asOf": on})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads Vietnamese right
    assert response.content == cli_file(nam, kind, unit, on, "csv", tmp_path)
    assert response.content.count(b"\r\n") > 1


def test_the_file_is_named_in_vietnamese_with_a_plain_fallback(demo: Server) -> None:
    response = demo.client.get("/reports/coverage.xlsx", params={"unit": "83", "asOf": "1/5/2023"})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="coverage-83-2023-05-01.xlsx"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert all(c.isascii() and c not in ' ";' for c in encoded)
    assert unquote(encoded) == "Kết quả nắm địa bàn - 83 Tỉnh Bến Tre - 2023-05-01.xlsx"
    assert response.headers["cache-control"] == "no-store"


def test_gaps_of_one_level_only(demo: Server) -> None:
    asked = {"unit": "86", "asOf": "2026-01-01"}
    every = demo.client.get("/reports/gaps.xlsx", params=asked)
    one = demo.client.get("/reports/gaps.xlsx", params={**asked, "level": "ấp"})
    assert every.status_code == one.status_code == 200, one.text
    assert len(sheets(every.content)) > 1
    assert list(sheets(one.content)) == ["Ấp, khu phố"]


# --- bad input -------------------------------------------------------------------------------

BAD = [
    ("/reports/budget.xlsx?unit=83", 400, "BAD_INPUT"),
    ("/reports/gaps.pdf?unit=83", 400, "BAD_INPUT"),
    ("/reports/gaps?unit=83", 400, "BAD_INPUT"),
    ("/reports/gaps.csv", 400, "BAD_INPUT"),
    ("/reports/gaps.csv?unit=", 400, "BAD_INPUT"),
    ("/reports/gaps.csv?unit=" + "8" * 500, 400, "BAD_INPUT"),
    ("/reports/gaps.csv?unit=83&asOf=2023-02-30", 400, "BAD_INPUT"),
    ("/reports/gaps.csv?unit=83&asOf=yesterday", 400, "BAD_INPUT"),
    ("/reports/gaps.csv?unit=83&asOf=2023-05-01&level=galaxy", 400, "BAD_INPUT"),
    ("/reports/gaps.csv?unit=83&asOf=2023-05-01&level=", 400, "BAD_INPUT"),
    ("/reports/coverage.csv?unit=83&level=commune", 400, "BAD_INPUT"),
    ("/reports/gaps.csv?unit=99999&asOf=2023-05-01", 404, "NOT_FOUND"),
    ("/reports/workload.xlsx?unit=83&asOf=2026-01-01", 404, "NOT_FOUND"),  # ended 1/7/2025
    ("/reports/coverage.csv?unit=86&asOf=2023-05-01", 404, "NOT_FOUND"),  # begins 1/7/2025
    ("/reports/", 404, "NOT_FOUND"),
]


@pytest.mark.parametrize(("url", "status", "code"), BAD, ids=[b[0][9:40] for b in BAD])
def test_bad_input_is_a_coded_json_error_never_a_500(
    demo: Server, url: str, status: int, code: str
) -> None:
    response = demo.client.get(url)
    assert response.headers["content-type"] == "application/json"
    got_status, got_code, message = error(response)
    assert (got_status, got_code) == (status, code), message
    assert message


def test_an_ended_unit_names_its_successor(demo: Server) -> None:
    response = demo.client.get("/reports/gaps.csv", params={"unit": "83", "asOf": "2026-01-01"})
    status, code, message = error(response)
    assert (status, code) == (404, "NOT_FOUND")
    assert "đã kết thúc ngày 1/7/2025" in message and "86" in message


# --- gate, scope and audit -------------------------------------------------------------------


def get(world: World, role: Role | None, path: str, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {world.callers[role].token}"} if role else {}
    return world.api.client.get(path, params=params, headers=headers)


def test_a_district_officer_gets_403_outside_its_scope_with_no_hint_of_what_is_there(
    world: World,
) -> None:
    caller = world.callers[Role.DISTRICT_OFFICER]
    outside = caller.outside_unit  # a commune of Đà Nẵng, with plenty to tell
    answers = {}
    for code in (outside, "99999", "83", OTHER_PROVINCE):
        response = get(
            world, Role.DISTRICT_OFFICER, "/reports/gaps.xlsx", unit=code, asOf="2023-05-01"
        )
        status, kind, _ = error(response)
        assert (status, kind) == (403, "FORBIDDEN"), response.text
        assert "content-disposition" not in response.headers
        answers[code] = masked(response.json(), f"'{code}'")  # the code as quoted
    assert len(set(answers.values())) == 1  # the same words, existing or not
    assert codes_in(answers[outside]) <= {caller.scope}
    refused = [r for r in world.audit_lines() if r["outcome"] == "OUT_OF_SCOPE"]
    assert {r["key"] for r in refused} == {outside, "83", OTHER_PROVINCE}  # not 99999
    assert all(r["role"] == "district_officer" and r["token"] for r in refused)


def test_a_district_officer_downloads_its_own_district_and_nothing_more(world: World) -> None:
    caller = world.callers[Role.DISTRICT_OFFICER]
    response = get(
        world, Role.DISTRICT_OFFICER, "/reports/workload.csv", unit=caller.scope, asOf="2023-05-01"
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]
    assert rows
    homes = {row[5] for row in rows}
    assert homes <= caller.seen.units
    assert caller.scope in homes


def test_without_a_token_nothing_is_served_outside_demo_mode(world: World) -> None:
    path = "/reports/coverage.xlsx"
    asked = {"unit": "83", "asOf": "2023-05-01"}
    browser = {"Accept": "text/html,application/xhtml+xml"}  # a link clicked in a page
    for headers in ({}, browser, {"Authorization": "Bearer not-a-token"}):
        response = world.api.client.get(path, params=asked, headers=headers)
        status, code, _ = error(response)
        assert (status, code) == (401, "UNAUTHENTICATED"), response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
    refused = [r for r in world.audit_lines() if r["event"] == "refused"]
    assert len(refused) == 3 and {r["path"] for r in refused} == {path}


def test_every_file_served_is_on_the_audit_trail(world: World) -> None:
    admin = world.callers[Role.PROVINCE_ADMIN]
    response = get(
        world, Role.PROVINCE_ADMIN, "/reports/gaps.csv", unit="83", asOf="2023-05-01", level="xã"
    )
    assert response.status_code == 200, response.text
    (line,) = [r for r in world.audit_lines() if r["event"] == "download"]
    assert line["outcome"] == "OK" and line["role"] == "province_admin"
    assert line["scope"] == admin.scope and line["token"] and line["request_id"]
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["kind"], line["format"], line["unit"], line["as_of"]) == (
        "gaps",
        "csv",
        "83",
        "2023-05-01",
    )
    assert line["report_level"] == "xã" and line["rows"] == 0


# --- off the event loop ----------------------------------------------------------------------


def test_a_file_being_built_holds_up_no_cheap_question_and_waits_for_a_lane(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    threads: list[str] = []
    real = downloads.KINDS["coverage"]

    def slow(*args: Any) -> Report:
        threads.append(threading.current_thread().name)
        entered.set()
        assert release.wait(30)
        return real(*args)

    monkeypatch.setitem(downloads.KINDS, "coverage", slow)
    settings = Settings(demo=True, heavy_lanes=1, heavy_wait=0.5)
    with Server(MemoryStore.open(demo_dir), settings) as api:
        first: list[httpx.Response] = []
        url = f"http://127.0.0.1:{api.port}/reports/coverage.xlsx?unit=83&asOf=2023-05-01"
        worker = threading.Thread(target=lambda: first.append(httpx.get(url, timeout=60)))
        worker.start()
        try:
            assert entered.wait(20)
            assert api.client.get("/healthz").status_code == 200
            answer = api.data('{ unit(code: "83") { name } }')
            assert answer["unit"]["name"] == "Tỉnh Bến Tre"
            assert worker.is_alive() and not first  # answered while the file is being built
            busy = api.client.get("/reports/coverage.csv", params={"unit": "83"})
            assert error(busy)[:2] == (503, "BUSY")
            assert busy.headers["retry-after"] == "1"
        finally:
            release.set()
            worker.join(60)
    assert first and first[0].status_code == 200, first
    assert threads == ["heavy-lane_0"]
