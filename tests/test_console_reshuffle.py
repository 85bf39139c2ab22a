"""The console's reshuffle view (``#/reshuffle``) in a real Chromium: the template download, a
reshuffle file uploaded as a plan (its preview, its errors by row and column), applying it
through the confirmation, the history, and a read-only role that may do neither.

One server (demo mode, with a keyring for the read-only token) over a private copy of Bến Tre,
and one browser tab, for the whole module; the tests run in order (the plan applied by one is
in the history the next ones see)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from graph.i18n import _, use
from graph.stores.memory import MemoryStore
from loaders.columns import RESHUFFLE
from namgraph.api.auth import Keyring, Role
from namgraph.api.settings import Settings
from namgraph.console.words import COMMON
from namgraph.console.words_reshuffle import WORDS
from tests.conftest import ROOT
from tests.test_api import Server

EXAMPLES = ROOT / "examples"
JUNE = date(2023, 6, 1)  # the date of examples/reshuffle-2023-06.csv
ROUTE = "/#/reshuffle?unit=83&asOf=2023-05-01"


def vi(key: str, **params: object) -> str:
    """A word of the console as the Vietnamese page shows it."""
    with use("vi"):
        text = _(WORDS[key] if key in WORDS else COMMON[key])
    return text.format(**params) if params else text


def n(value: int) -> str:
    """A count as Vietnamese writes it: 400.419."""
    return f"{value:,}".replace(",", ".")


@dataclass
class World:
    server: Server
    store: MemoryStore
    analyst: str  # a read-only token
    admin: str  # a token that may plan and apply


@pytest.fixture(scope="module")
def world(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("console-reshuffle")
    data = folder / "nam"
    shutil.copytree(ben_tre_dir, data)
    store = MemoryStore.open(data)
    keyring = Keyring.open(folder / "auth.json")
    expires = datetime.now(UTC) + timedelta(hours=1)
    analyst, _record = keyring.issue(Role.ANALYST, "83", expires, "test analyst")
    admin, _record = keyring.issue(Role.PROVINCE_ADMIN, "83", expires, "test admin")
    settings = Settings(demo=True, auth_file=folder / "auth.json")
    with Server(store, settings) as server:
        yield World(server, store, analyst, admin)


@dataclass
class Tab:
    """A browser tab on the console, with every request it made and every error it met."""

    page: Any
    requests: list[str] = field(default_factory=list)
    graphql: int = 0
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # every answer of 400 or more

    def __post_init__(self) -> None:
        self.page.on("request", self._request)
        self.page.on("response", self._response)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def _request(self, request: Any) -> None:
        self.requests.append(request.url)
        if urlsplit(request.url).path == "/graphql":
            self.graphql += 1

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.refused.append(f"{response.status} {response.url}")

    def open(self, route: str = ROUTE) -> None:
        self.page.goto("about:blank")
        self.page.goto(route)
        self.page.wait_for_selector("main[data-shown=reshuffle][aria-busy=false]")

    def upload(self, example: str) -> None:
        shown = self.page.locator("#rs-result").get_attribute("data-answers") or "0"
        self.page.get_by_label(vi("rsFile")).set_input_files(EXAMPLES / example)
        self.page.get_by_role("button", name=vi("rsPreview")).click()
        self.page.wait_for_selector(f"#rs-result:not([data-answers='{shown}'])[data-answers]")

    def focused(self) -> str:
        return str(self.page.evaluate("document.activeElement.id"))

    def rows(self, selector: str) -> list[list[str]]:
        return [
            [cell.strip() for cell in row]
            for row in self.page.eval_on_selector_all(
                f"{selector} tbody tr",
                "rows => rows.map(r => [...r.cells].map(c => c.innerText))",
            )
        ]


@pytest.fixture(scope="module")
def tab(browser: Any, world: World) -> Iterator[Tab]:
    context = browser.new_context(
        accept_downloads=True,
        locale="vi-VN",
        viewport={"width": 1366, "height": 768},
        base_url=f"http://127.0.0.1:{world.server.port}",
    )
    yield Tab(context.new_page())
    context.close()


def coverage_cell(reached: int, households: int) -> str:
    return vi("rsCoveredOf", covered=n(reached), units=n(households))


def end_to_end(tab: Tab, selector: str) -> list[str]:
    """The end-to-end row of a coverage table."""
    return next(row for row in tab.rows(selector) if row[0] == vi("endToEnd"))


# --- the template -------------------------------------------------------------------------------


def test_the_excel_template_downloads_with_the_vietnamese_headers(tab: Tab, world: World) -> None:
    tab.open()
    with tab.page.expect_download() as waiting:
        tab.page.get_by_role("button", name=vi("rsTemplateXlsx")).click()
    download = waiting.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [column.header for column in RESHUFFLE.columns]
    assert "Mã cán bộ" in rows[0] and "Ngày hiệu lực" in rows[0]

    # the file over HTTP: CSV too, behind the same gate as the report downloads
    client = world.server.client
    csv = client.get("/templates/reshuffle.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("Thao tác,Mã cán bộ")
    assert "attachment" in csv.headers["content-disposition"]
    token = {"Authorization": f"Bearer {world.analyst}"}
    assert client.get("/templates/reshuffle.xlsx", headers=token).status_code == 200
    bad = client.get("/templates/reshuffle.xlsx", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unknown = client.get("/templates/nothing.xlsx")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"


# --- a plan: preview, apply, history --------------------------------------------------------------


def test_a_reshuffle_is_previewed_applied_after_confirming_and_its_coverage_asked_again(
    tab: Tab, world: World
) -> None:
    store = world.store
    before = store.coverage("83", JUNE)
    asked = tab.graphql
    tab.open()
    assert tab.graphql - asked <= 2  # who is asking, and the history
    assert tab.page.get_by_text(vi("rsHistoryNone")).is_visible()

    tab.upload("reshuffle-2023-06.csv")
    assert tab.focused() == "rs-plan-h"
    plan = tab.page.locator("section.rs-plan").get_attribute("data-plan")
    assert plan and tab.page.get_by_role("heading", name=vi("rsPlanHeading", id=plan)).is_visible()
    # coverage before (as the store answers it) and after, per level and end to end
    preview = end_to_end(tab, "section.rs-scope table.rs-coverage")
    assert preview[1].endswith(coverage_cell(before.households_reached, before.households))
    communes = next(lc for lc in before.levels if lc.level == "commune")
    commune_row = next(
        row for row in tab.rows("section.rs-scope table.rs-coverage") if row[0] == "Xã"
    )
    assert commune_row[1].endswith(coverage_cell(communes.covered, communes.units))
    # the units that lose their supporter, each with who could take over
    lost = tab.rows("table.rs-lost")
    assert lost
    for row in lost:
        assert row[2]  # candidates, or the words saying there are none
    assert tab.page.locator("table.rs-lost ul.rs-candidates a[href^='#/cadre/']").count() > 0
    assert tab.page.locator("section.rs-errors").count() == 0

    # apply, through the confirmation
    tab.page.get_by_role("button", name=vi("rsApply")).click()
    dialog = tab.page.get_by_role("dialog")
    assert dialog.is_visible()
    assert plan in dialog.inner_text()
    assert dialog.get_by_role("heading", name=vi("rsConfirmHeading", id=plan)).is_visible()
    dialog.get_by_role("button", name=vi("rsConfirm")).click()
    tab.page.wait_for_selector("section.rs-now")
    assert tab.focused() == "rs-applied-h"

    after = store.coverage("83", JUNE)  # the store's own answer, after the write
    assert after.households_reached < before.households_reached
    now = end_to_end(tab, "section.rs-now table.rs-coverage")
    assert now[1].endswith(coverage_cell(before.households_reached, before.households))
    assert now[2].endswith(coverage_cell(after.households_reached, after.households))  # foreseen
    assert now[3].endswith(coverage_cell(after.households_reached, after.households))  # now
    assert now[4] == f"-{n(before.households_reached - after.households_reached)}"
    # the units that lost their supporter are the communes the store now calls gaps
    gaps = {gap.unit.code for gap in store.gaps("83", "commune", JUNE)}
    assert {row[0].split()[-1] for row in lost} == gaps

    # the history, newest first: this plan, its file, its dates, who applied it
    history = tab.rows("table.rs-history")
    assert len(history) == 1 and history[0][-1] == plan
    assert "reshuffle-2023-06.csv" in history[0] and "1/6/2023" in history[0]
    assert "demo" in history[0][5]

    # the plan's own address shows it applied, with no button to apply it again
    tab.open(f"/#/reshuffle/{plan}?unit=83&asOf=2023-05-01")
    assert tab.page.locator("#rs-apply").count() == 0
    assert tab.page.locator("section.rs-apply .note").is_visible()


def test_a_bad_file_shows_its_errors_by_row_and_column_and_cannot_be_applied(tab: Tab) -> None:
    tab.open()
    tab.upload("bad.csv")  # no dates, no decision, no action column: no plan at all
    assert tab.focused() == "rs-plan-h"
    errors = tab.rows("section.rs-errors table.rs-problems")
    assert {row[1] for row in errors} == {"Ngày hiệu lực", "Quyết định", "Thao tác"}
    assert {row[0] for row in errors} == {vi("rsWholeFile")}
    assert all(row[2] for row in errors)  # what to fix
    assert tab.page.locator("#rs-apply").count() == 0

    # with the date, the decision and a scope given, it is a roster of 83 with errors by row
    tab.page.get_by_label(vi("rsOn")).fill("2024-01-01")
    tab.page.get_by_label(vi("rsDecision")).fill("1-QĐ/TU")
    tab.page.get_by_text(vi("rsMoreOptions")).click()
    tab.page.get_by_label(vi("rsScope")).fill("83")
    tab.upload("bad.csv")
    errors = tab.rows("section.rs-errors table.rs-problems")
    assert [(row[0], row[1]) for row in errors] == [("2", "Mã cán bộ"), ("3", "Mã cán bộ")]
    assert tab.page.get_by_text(vi("rsNotApplicable")).is_visible()
    assert tab.page.locator("#rs-apply").count() == 0


def plan(world: World, path: Path, token: str) -> dict[str, Any]:
    """A plan of the file, made over HTTP with the token."""
    query = "mutation($file: Upload!) { planReshuffle(file: $file) { id summary { errors } } }"
    response = world.server.client.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (path.name, path.read_bytes(), "text/csv")},
        headers={"X-Namgraph-Request": "1", "Authorization": f"Bearer {token}"},
    )
    made: dict[str, Any] = response.json()["data"]["planReshuffle"]
    assert made["summary"]["errors"] == 0
    return made


def test_a_read_only_role_may_read_a_plan_but_not_upload_nor_apply(
    browser: Any, world: World
) -> None:
    # a plan made in the province (one made with no scope, as the demo caller makes them, is
    # seen by no scoped token)
    made = plan(world, EXAMPLES / "reshuffle-2023-07.csv", world.admin)

    context = browser.new_context(
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        base_url=f"http://127.0.0.1:{world.server.port}",
    )
    try:
        reader = Tab(context.new_page())
        reader.page.goto("/")
        reader.page.get_by_label("Mã truy cập").fill(world.analyst)
        reader.page.get_by_role("button", name=vi("signIn")).click()
        reader.page.wait_for_selector("#signout-button:not([hidden])")
        reader.open(f"/#/reshuffle/{made['id']}")
        assert reader.page.locator("section.rs-plan").get_attribute("data-plan") == made["id"]
        assert reader.page.get_by_text(vi("rsMayNotApply")).is_visible()
        assert reader.page.locator("#rs-apply").count() == 0
        assert reader.page.locator("input[type=file]").count() == 0
        assert reader.page.get_by_role("button", name=vi("rsTemplateXlsx")).is_visible()
        assert reader.page.locator("#rs-history-h").is_visible()
        # nothing wider than a phone's window
        width = reader.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        assert [e for e in reader.errors if "404" not in e] == []
        assert all(urlsplit(r.split()[1]).path == "/favicon.ico" for r in reader.refused)
    finally:
        context.close()


def test_a_plan_overtaken_by_another_write_is_refused_with_the_servers_message(
    tab: Tab, world: World, tmp_path: Path
) -> None:
    tab.open()
    tab.upload("reshuffle-2023-07.csv")
    assert tab.page.locator("#rs-apply").is_visible()
    # meanwhile someone else gives the same commune another supporter from the same day
    other = tmp_path / "other.csv"
    other.write_text(
        "Thao tác,Mã cán bộ,Mã đơn vị,Ngày hiệu lực,Quyết định\n"
        "phân công,83-0004,28978,1/7/2023,16-QĐ/TU\n",
        encoding="utf-8",
    )
    overtaking = plan(world, other, world.admin)["id"]
    applied = world.server.client.post(
        "/graphql",
        json={
            "query": "mutation($id: ID!) { applyPlan(id: $id) { written } }",
            "variables": {"id": overtaking},
        },
        headers={"Authorization": f"Bearer {world.admin}"},
    )
    assert applied.json()["data"]["applyPlan"]["written"] is True

    tab.page.get_by_role("button", name=vi("rsApply")).click()
    tab.page.get_by_role("dialog").get_by_role("button", name=vi("rsConfirm")).click()
    refusal = tab.page.locator("section.rs-apply [role=alert]")
    refusal.wait_for()
    assert refusal.get_attribute("data-code") == "STALE_PLAN"
    assert refusal.inner_text().startswith(vi("rsStale", message="")[:20])
    assert tab.page.locator("#rs-apply").is_disabled()  # a stale plan stays stale
    assert tab.page.locator("section.rs-now").count() == 0


def test_every_request_went_to_this_server_and_nothing_failed(tab: Tab, world: World) -> None:
    hosts = {urlsplit(url.removeprefix("blob:")).hostname for url in tab.requests}
    assert hosts == {"127.0.0.1"}, tab.requests
    assert any(url.endswith("/console/views/reshuffle.js") for url in tab.requests)
    assert any("/templates/reshuffle.xlsx" in url for url in tab.requests)
    # no script error, nothing the Content-Security-Policy blocked; the one 404 is the favicon
    assert [e for e in tab.errors if "404" not in e] == []
    assert all(urlsplit(r.split()[1]).path == "/favicon.ico" for r in tab.refused), tab.refused
