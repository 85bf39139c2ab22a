"""The web console at ``/``: a Vietnamese page whose buttons download the report files, driven
in a real Chromium (Debian's, ``/usr/bin/chromium``) by Playwright.

Without Chromium or Playwright the browser tests are skipped, except with ``CI=true``, where
that fails (``make test`` installs Chromium when run as root)."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
import shutil
import unicodedata
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from graph.i18n import use
from graph.stores.memory import MemoryStore
from graph.stores.port import ChangeSet
from namgraph.api.errors import not_found
from namgraph.api.settings import Settings
from namgraph.console.page import STATIC, Form, render
from tests.conftest import ON
from tests.test_api import Server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TITLE = "Bảng điều khiển nắm địa bàn"
VI = {"Accept-Language": "vi"}


@pytest.fixture(scope="module")
def server(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The API in demo mode over a private copy of Bến Tre, for the whole module, with one
    commune of Châu Thành (831) left without support on ``ON``: a gap to download."""
    data = tmp_path_factory.mktemp("console") / "nam"
    shutil.copytree(ben_tre_dir, data)
    store = MemoryStore.open(data)
    commune = store.children("831", ON)[0].code
    ended = [
        dataclasses.replace(a, until=ON - timedelta(days=30))
        for a in store.assignments(unit=commune)
        if a.in_force_on(ON)
    ]
    assert ended
    store.apply(ChangeSet(assignments=ended))
    with Server(store, Settings(demo=True)) as running:
        yield running


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _missing(f"no Chromium at {CHROMIUM} (as root: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield launched
        launched.close()


class Console:
    """A browser tab on the console, with every request it made."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def ask(self, unit: str, on: str) -> None:
        self.page.get_by_label("Mã đơn vị").fill(unit)
        self.page.get_by_label("Tính đến ngày").fill(on)

    def button(self, kind: str, label: str) -> Any:
        return self.page.locator(f"section[data-kind={kind}]").get_by_role("button", name=label)

    def download(self, kind: str, label: str) -> Path:
        with self.page.expect_download() as waiting:
            self.button(kind, label).click()
        download = waiting.value
        assert download.failure() is None
        path = Path(download.path())
        assert path.stat().st_size > 0
        self.name = download.suggested_filename
        return path


@pytest.fixture(scope="module")
def console(browser: Any, server: Server) -> Iterator[Console]:
    context = browser.new_context(
        accept_downloads=True, locale="vi-VN", base_url=f"http://127.0.0.1:{server.port}"
    )
    tab = Console(context.new_page())
    tab.page.goto("/")
    yield tab
    context.close()


# --- the page as served -----------------------------------------------------------------------


def test_the_page_is_vietnamese_before_any_script_runs_and_loads_nothing_from_elsewhere(
    server: Server,
) -> None:
    response = server.client.get("/", headers=VI)
    assert response.status_code == 200
    html = response.text
    assert '<html lang="vi">' in html
    assert f"<title>{TITLE}</title>" in html and f"<h1>{TITLE}</h1>" in html
    assert unicodedata.is_normalized("NFC", html)
    for words in ("Mã truy cập", "Mã đơn vị", "Tính đến ngày", "Tải Excel", "Tải CSV"):
        assert words in html
    for report in ("Chỗ hở (đơn vị chưa được nắm)", "Độ phủ", "Khối lượng phụ trách"):
        assert report in html
    assert "không cần mã truy cập" in html  # the demo banner
    assert 'value="83"' in html  # the store's one province
    assert '<option value="commune">Xã</option>' in html

    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    # no inline script nor style: the policy would block them
    assert re.findall(r"<script[^>]*>", html) == [
        '<script type="module" src="/console/console.js">'
    ]
    assert "<style" not in html and " style=" not in html

    texts = {"/": html}
    for name in ("console.js", "console.css"):
        served = server.client.get(f"/console/{name}")
        assert served.status_code == 200
        assert served.text == (STATIC / name).read_text(encoding="utf-8")
        texts[name] = served.text
    assert server.client.get("/console/../api/app.py").status_code == 404
    for name, text in texts.items():
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]", text, re.IGNORECASE), name


def test_with_a_token_the_page_has_no_demo_banner() -> None:
    form = Form("", date(2023, 5, 1), (("commune", "Xã"),))
    with use("vi"):
        html = render(form, demo=False)
    assert "không cần mã truy cập" not in html
    assert 'value="2023-05-01"' in html and 'placeholder="ví dụ 83"' in html


# --- in Chromium ------------------------------------------------------------------------------


def test_excel_of_the_communes_not_supported(console: Console) -> None:
    console.ask("83", "2023-05-01")
    console.page.get_by_label("Cấp (chỉ cho báo cáo chỗ hở)").select_option("commune")
    workbook = load_workbook(io.BytesIO(console.download("gaps", "Tải Excel").read_bytes()))
    sheet = workbook.worksheets[0]
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if "Mã đơn vị" in row)
    assert [row for row in rows[header + 1 :] if any(row)]  # the commune left unsupported
    assert console.name.endswith(".xlsx") and "Bến Tre" in console.name
    assert console.page.get_by_role("alert").inner_text() == ""


def test_csv_of_coverage(console: Console) -> None:
    console.ask("83", "2023-05-01")
    text = console.download("coverage", "Tải CSV").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert any("Mã đơn vị" in row for row in rows)
    assert len(rows) > 1
    assert console.name.endswith(".csv")


def test_an_unknown_unit_shows_the_servers_vietnamese_message(console: Console) -> None:
    console.ask("99999", "2023-05-01")
    console.button("workload", "Tải Excel").click()
    with use("vi"):
        expected = not_found("unit", "99999").message
    alert = console.page.get_by_role("alert")
    alert.filter(has_text=expected).wait_for()
    assert alert.inner_text() == expected
    console.ask("83", "2023-05-01")  # the next download clears it
    console.download("workload", "Tải CSV")
    assert alert.inner_text() == ""


def test_every_request_the_browser_made_went_to_this_server(console: Console) -> None:
    console.ask("83", "2023-05-01")
    console.download("coverage", "Tải Excel")
    assert any("/reports/coverage.xlsx?" in url for url in console.requests)
    assert any(url.endswith("/console/console.js") for url in console.requests)
    hosts = {urlsplit(url.removeprefix("blob:")).hostname for url in console.requests}
    assert hosts == {"127.0.0.1"}, console.requests
    # no script error, nothing the Content-Security-Policy blocked (the 404s are the favicon's
    # and the unknown unit's)
    assert [e for e in console.errors if "404" not in e] == []
