"""The board's console at ``/``: a Vietnamese page over the public GraphQL API, driven in a real
Chromium (Debian's, ``/usr/bin/chromium``) by Playwright, against a server started here.

Without Chromium or Playwright the browser tests are skipped, except with ``CI=true``, where
that fails (``make test`` installs Chromium when run as root). The overview's timings are
measured here (navigation timing) and printed at the end of the run; nothing here is timed."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from babel.numbers import format_decimal
from openpyxl import load_workbook

from graph.answers import GapReason
from graph.i18n import use
from graph.stores.memory import MemoryStore
from namgraph.api.auth import Keyring, Role
from namgraph.api.settings import Settings
from namgraph.console.page import STATIC
from namgraph.reports.labels import REASONS
from tests.axe import serious_violations
from tests.conftest import ON, console_timings, unsupported_copy
from tests.test_api import Server

TITLE = "Bảng điều khiển nắm địa bàn"
VI = {"Accept-Language": "vi"}
DAY = ON.isoformat()
DISTRICT = "831"  # Châu Thành, where one commune is left without support


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NAM_LANG", raising=False)
    with use("vi"):
        yield


@dataclasses.dataclass
class World:
    store: MemoryStore
    gap: str  # the commune of DISTRICT left without support on ON
    demo: Server
    guarded: Server
    district_token: str


@pytest.fixture(scope="module")
def world(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Two servers over one private copy of Bến Tre: one in demo mode, one that wants a token
    (with a district officer's token for Châu Thành); one commune of Châu Thành has lost its
    support on ``ON``."""
    base = tmp_path_factory.mktemp("console")
    store, commune = unsupported_copy(ben_tre_dir, base / "nam")
    keyring = Keyring.open(base / "auth.json")
    token, _record = keyring.issue(
        Role.DISTRICT_OFFICER, DISTRICT, datetime.now(UTC) + timedelta(days=1), "console test"
    )
    with (
        Server(store, Settings(demo=True)) as demo,
        Server(store, Settings(auth_file=base / "auth.json")) as guarded,
    ):
        yield World(store, commune, demo, guarded, token)


class Tab:
    """A browser tab on one server, with every request it made and every error it saw."""

    def __init__(self, page: Any, port: int) -> None:
        self.page = page
        self.port = port
        self.requests: list[str] = []
        self.bodies: list[str] = []  # of the GraphQL requests
        self.errors: list[str] = []
        page.on("request", self._sent)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def open(self, route: str) -> Any:
        """Go to ``#/route`` and wait until the view is shown; the view's element. (Waits are
        on elements, never on script: the page's CSP lets no string be run as code.)"""
        self.page.goto(f"/#/{route}")
        return self.shown(f"#/{route}")

    def shown(self, prefix: str) -> Any:
        """Wait until the view of a route starting with ``prefix`` is on the page."""
        self.page.locator(f'main#view[aria-busy="false"][data-route^="{prefix}"]').wait_for()
        return self.page.locator("main#view")

    def _sent(self, request: Any) -> None:
        self.requests.append(request.url)
        if urlsplit(request.url).path == "/graphql":
            self.bodies.append(request.post_data or "")

    def graphql(self, operation: str = "") -> list[str]:
        """The GraphQL requests sent since the last ``clear``; with ``operation``, only those
        asking that operation (``"query Trend"``)."""
        return [body for body in self.bodies if operation in body]

    def clear(self) -> None:
        self.requests.clear()
        self.bodies.clear()


@pytest.fixture(scope="module")
def context(browser: Any, world: World) -> Iterator[Any]:
    made = browser.new_context(
        accept_downloads=True,
        locale="vi-VN",
        viewport={"width": 1366, "height": 768},
        base_url=f"http://127.0.0.1:{world.demo.port}",
    )
    yield made
    made.close()


@pytest.fixture(scope="module")
def tab(context: Any, world: World) -> Iterator[Tab]:
    opened = Tab(context.new_page(), world.demo.port)
    yield opened
    hosts = {urlsplit(url.removeprefix("blob:")).hostname for url in opened.requests}
    assert hosts <= {"127.0.0.1"}, opened.requests


def vi_number(n: int) -> str:
    return format_decimal(n, locale="vi")


# --- the page as served -----------------------------------------------------------------------


def test_the_page_says_what_it_is_in_vietnamese_before_any_script_runs(world: World) -> None:
    response = world.demo.client.get("/", headers=VI)
    assert response.status_code == 200
    html = response.text
    assert '<html lang="vi">' in html
    assert f"<title>{TITLE}</title>" in html and f"<h1>{TITLE}</h1>" in html
    assert unicodedata.is_normalized("NFC", html)
    for words in ("Tổng quan", "Cây đơn vị", "Chỗ hở", "Tìm kiếm", "Điều động, luân chuyển"):
        assert f">{words}</a>" in html
    for words in ("Mã truy cập", "Đăng nhập", "Mã đơn vị", "Tính đến ngày"):
        assert words in html
    assert "không cần mã truy cập" in html  # the demo banner
    assert 'value="83"' in html  # the store's one province

    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    # no inline script or style: only the module and the JSON words (data, never run)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [
        '<script type="module" src="/console/console.js">',
        '<script type="application/json" id="words">',
    ]
    assert "<style" not in html and " style=" not in html
    words = json.loads(html.split('id="words">', 1)[1].split("</script>", 1)[0])
    assert words["levels"]["commune"] == "Xã"
    assert words["reasons"]["NO_SUPPORTER"] == "Chưa phân công cán bộ nắm"


def test_every_file_the_console_serves_is_its_own_and_names_no_other_host(world: World) -> None:
    files = sorted(p for p in STATIC.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"console.js", "gql.js", "ui.js", "overview.js", "tree.js"}
    for path in files:
        name = path.relative_to(STATIC).as_posix()
        served = world.demo.client.get(f"/console/{name}")
        assert served.status_code == 200, name
        assert served.content == path.read_bytes()
        text = served.text.replace('"http://www.w3.org/2000/svg"', "")  # a name, not a link
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2}", text, re.IGNORECASE), name
        assert unicodedata.is_normalized("NFC", text), name
    for wrong in ("../api/app.py", "nope.js", "views/../page.py", "%2e%2e/page.py"):
        assert world.demo.client.get(f"/console/{wrong}").status_code == 404, wrong


def test_a_server_that_wants_tokens_shows_no_demo_banner(world: World) -> None:
    html = world.guarded.client.get("/", headers=VI).text
    assert "không cần mã truy cập" not in html and TITLE in html
    # before anyone signs in, the page names no unit of the graph
    assert 'data-unit=""' in html and 'value=""' in html and "Bến Tre" not in html


# --- in Chromium ------------------------------------------------------------------------------


def test_overview_numbers_then_the_trend_in_one_request(
    tab: Tab, world: World, request: pytest.FixtureRequest
) -> None:
    coverage = world.store.coverage("83", ON)
    tab.clear()
    main = tab.open(f"overview?unit=83&asOf={DAY}")
    tab.page.locator("main#view[data-shown=overview]").wait_for()
    shown = main.inner_text()
    reached = f"{vi_number(coverage.households_reached)} / {vi_number(coverage.households)}"
    assert reached in shown
    for level in coverage.levels:
        assert vi_number(level.units) in shown
    # the worst unit one level down is the district with the unsupported commune
    worst = main.locator("table.worst tbody tr").first.inner_text()
    assert "Châu Thành" in worst
    tab.page.locator("#trend[aria-busy=false]").wait_for()
    trend = tab.graphql("query Trend")
    assert len(trend) == 1  # the 24 months in one request
    assert len(tab.graphql()) - len(trend) <= 2, tab.graphql()  # who asks, and the overview
    points = tab.page.locator("#trend svg circle").count()
    assert points == 24
    timing = tab.page.evaluate(
        """() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const mark = (name) => performance.getEntriesByName(name)[0]?.startTime;
          return {load: nav.loadEventEnd, shown: mark('namgraph:overview-shown'),
                  trend: mark('namgraph:trend-shown')};
        }"""
    )
    console_timings(
        request,
        {f"overview of Bến Tre, embedded store: {key}": value for key, value in timing.items()},
    )
    assert tab.errors == []


def test_an_ended_unit_says_when_it_ended_and_what_it_became(
    browser: Any, merged_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("mapped-console") / "nam"
    shutil.copytree(merged_dir, data)
    store = MemoryStore.open(data)
    with Server(store, Settings(demo=True)) as server:
        context = browser.new_context(locale="vi-VN", base_url=f"http://127.0.0.1:{server.port}")
        try:
            later = Tab(context.new_page(), server.port)
            text = later.open("overview?unit=83&asOf=2025-08-01").inner_text()
            assert "Đã kết thúc ngày 1/7/2025" in text
            assert "Vĩnh Long (86)" in text
            # the same province before the reform: the old map, its nine districts
            text = later.open("overview?unit=83&asOf=2023-05-01").inner_text()
            assert "Đã kết thúc" not in text and "Huyện Châu Thành" in text
            # the two-tier map: communes directly below the province, in one request
            later.clear()
            main = later.open("gaps?unit=86&asOf=2025-08-01")
            assert main.locator("#gap-level").input_value() == "commune"
            assert len(later.graphql()) <= 2  # who asks, and the gaps
            assert later.errors == []
        finally:
            context.close()


def test_the_tree_opens_with_the_keyboard_and_colours_each_unit(tab: Tab, world: World) -> None:
    main = tab.open(f"tree?unit=83&asOf={DAY}")
    districts = world.store.children("83", ON)
    items = main.locator('[role="treeitem"][aria-level="2"]')
    assert items.count() == len(districts)
    chau_thanh = main.locator(f'[role="treeitem"][data-code="{DISTRICT}"]')
    assert "cov-poor" in chau_thanh.locator(".chip").get_attribute("class") or "cov-fair" in (
        chau_thanh.locator(".chip").get_attribute("class") or ""
    )
    # keyboard only: focus the root, go down to Châu Thành, open it
    main.locator('[role="treeitem"][aria-level="1"]').focus()
    position = [d.code for d in districts].index(DISTRICT) + 1
    for _step in range(position):
        tab.page.keyboard.press("ArrowDown")
    focused = tab.page.evaluate("document.activeElement.dataset.code")
    assert focused == DISTRICT
    asked = len(tab.graphql())
    tab.page.keyboard.press("ArrowRight")
    communes = chau_thanh.locator('[role="group"] > [role="treeitem"]')
    communes.first.wait_for()
    assert communes.count() == len(world.store.children(DISTRICT, ON))
    assert len(tab.graphql()) == asked + 1
    gap = chau_thanh.locator(f'[data-code="{world.gap}"]')
    assert "Chưa có người phụ trách" in gap.inner_text()


def test_gaps_filtered_by_reason_and_district_with_candidates_and_the_excel_file(
    tab: Tab, world: World
) -> None:
    found = world.store.gaps("83", "commune", ON)
    assert [g.unit.code for g in found] == [world.gap]
    tab.clear()
    main = tab.open(f"gaps?unit=83&asOf={DAY}&level=commune&under={DISTRICT}")
    assert len(tab.graphql()) <= 2
    assert "1 đơn vị chưa được nắm thông suốt" in main.inner_text()
    row = main.locator("table.gaps tbody tr").first
    assert world.gap in row.inner_text()
    assert _reason(found[0].reason) in row.inner_text()
    # who could take over: the candidates the store names, first of them first
    from graph.questions import takeovers

    expected = takeovers(world.store, [world.gap], ON)[0].candidates
    assert expected and expected[0].cadre.name in row.locator(".candidates").inner_text()
    # another reason: nothing
    tab.page.get_by_label("Lý do").select_option("CHAIN_BROKEN_ABOVE")
    tab.page.locator("#gap-filters button[type=submit]").click()
    tab.page.locator(
        'main#view[aria-busy="false"][data-route*="reason=CHAIN_BROKEN_ABOVE"]'
    ).wait_for()
    assert "Không có chỗ hở" in main.inner_text()

    tab.open(f"gaps?unit=83&asOf={DAY}&level=commune&under={DISTRICT}")
    with tab.page.expect_download() as waiting:
        main.get_by_role("button", name="Tải Excel").click()
    download = waiting.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if "Mã đơn vị" in r)
    assert "Lý do" in rows[header]
    body = [r for r in rows[header + 1 :] if any(r)]
    assert [r[rows[header].index("Mã đơn vị")] for r in body] == [world.gap]


def _reason(reason: GapReason) -> str:
    with use("vi"):
        from graph.i18n import _

        return _(REASONS[reason])


def test_the_chain_above_a_household_group_link_by_link(tab: Tab, world: World) -> None:
    hamlet = world.store.children(world.gap, ON)[0]
    group = world.store.children(hamlet.code, ON)[0]
    chain = world.store.chain(group.code, ON)
    tab.clear()
    main = tab.open(f"unit/{group.code}?asOf={DAY}")
    assert len(tab.graphql()) <= 2
    links = main.locator(".breadcrumb li")
    assert links.count() == len(chain)
    names = [link.unit.name for link in reversed(chain)]
    assert [links.nth(i).locator("a").first.inner_text() for i in range(len(names))] == names
    # the commune's link is the broken one, and says so
    broken = main.locator(".breadcrumb li.broken")
    assert broken.count() >= 1 and "Chưa có người phụ trách" in broken.first.inner_text()
    # follow the chain up: the district's page
    main.locator(".breadcrumb li").nth(1).locator("a").first.click()
    tab.shown(f"#/unit/{DISTRICT}")
    assert "Huyện Châu Thành" in main.locator("h2").inner_text()


def test_search_without_diacritics_then_a_cadres_page(tab: Tab, world: World) -> None:
    main = tab.open("search?q=chau%20thanh")
    hits = main.locator(".hits li")
    assert hits.count() >= 1
    assert any("Châu Thành" in hits.nth(i).inner_text() for i in range(hits.count()))
    supporter = world.store.supporters([DISTRICT], ON)[DISTRICT][0].cadre
    tab.clear()
    main = tab.open(f"cadre/{supporter.id}?asOf={DAY}")
    assert len(tab.graphql()) <= 2
    text = main.inner_text()
    reach = world.store.reach(supporter.id, ON)
    assert supporter.name in main.locator("h2").inner_text()
    assert "Huyện Châu Thành" in text
    assert vi_number(reach.households) in text
    assert "Nơi chuỗi nắm bị đứt bên dưới" in text  # the unsupported commune below them


def test_a_district_officer_sees_their_district_and_nothing_else(
    browser: Any, world: World
) -> None:
    context = browser.new_context(
        accept_downloads=True,
        locale="vi-VN",
        base_url=f"http://127.0.0.1:{world.guarded.port}",
    )
    try:
        officer = Tab(context.new_page(), world.guarded.port)
        officer.page.goto("/")
        view = officer.page.locator("main#view")
        officer.page.locator('main#view[aria-busy="false"]').wait_for()
        assert "Dán mã truy cập" in view.inner_text()
        # keyboard only: to the token field, type it, sign in
        for _step in range(10):
            officer.page.keyboard.press("Tab")
            if officer.page.evaluate("document.activeElement.id") == "token":
                break
        officer.page.keyboard.type(world.district_token)
        officer.page.keyboard.press("Enter")
        officer.page.get_by_text("phạm vi Huyện Châu Thành").wait_for()
        officer.page.locator("main#view[data-shown=overview]").wait_for()
        assert officer.page.locator("#unit").input_value() == DISTRICT
        text = officer.page.locator("body").inner_text()
        assert "Huyện Châu Thành" in text
        assert "Bến Tre" not in text  # not even the province's name
        # the province asked for by code answers as if it did not exist
        officer.open("overview?unit=83")
        assert "Không có đơn vị 83 trong phạm vi của bạn." in view.inner_text()
        officer.open(f"tree?unit={DISTRICT}&asOf={DAY}")
        assert "Bến Tre" not in officer.page.locator("body").inner_text()
        # keyboard only: to the gaps view, then the Excel file
        officer.open(f"overview?unit={DISTRICT}&asOf={DAY}")
        menu = officer.page.locator('nav a[data-view="gaps"]')
        menu.focus()
        officer.page.keyboard.press("Enter")
        officer.shown("#/gaps")
        officer.page.locator("table.gaps").wait_for()
        excel = view.get_by_role("button", name="Tải Excel")
        excel.focus()
        with officer.page.expect_download() as waiting:
            officer.page.keyboard.press("Enter")
        assert waiting.value.failure() is None
        hosts = {urlsplit(u.removeprefix("blob:")).hostname for u in officer.requests}
        assert hosts == {"127.0.0.1"}
        assert [e for e in officer.errors if "401" not in e] == []
    finally:
        context.close()


def test_fits_a_phone_sized_window(browser: Any, world: World) -> None:
    context = browser.new_context(
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        base_url=f"http://127.0.0.1:{world.demo.port}",
    )
    try:
        phone = Tab(context.new_page(), world.demo.port)
        for route in (f"overview?unit=83&asOf={DAY}", f"gaps?unit=83&asOf={DAY}&level=commune"):
            phone.open(route)
            width = phone.page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert width[0] <= width[1] + 1, (route, width)
    finally:
        context.close()


def test_every_view_passes_axe_with_no_serious_violation(browser: Any, world: World) -> None:
    """axe-core on each view, in a context that lets its script in (the page's CSP would
    refuse it: the check itself is the only thing that bypasses it)."""
    context = browser.new_context(
        bypass_csp=True,
        locale="vi-VN",
        viewport={"width": 1366, "height": 768},
        base_url=f"http://127.0.0.1:{world.demo.port}",
    )
    supporter = world.store.supporters([DISTRICT], ON)[DISTRICT][0].cadre
    group = world.store.children(world.store.children(world.gap, ON)[0].code, ON)[0]
    try:
        checked = Tab(context.new_page(), world.demo.port)
        found = {}
        for route in (
            f"overview?unit=83&asOf={DAY}",
            f"tree?unit=83&asOf={DAY}",
            f"gaps?unit=83&asOf={DAY}&level=commune",
            f"unit/{group.code}?asOf={DAY}",
            f"cadre/{supporter.id}?asOf={DAY}",
            "search?q=chau%20thanh",
        ):
            checked.open(route)
            if route.startswith("overview"):
                checked.page.locator("#trend[aria-busy=false]").wait_for()
            found[route] = serious_violations(checked.page)
        assert not any(found.values()), found
    finally:
        context.close()


def test_the_gaps_file_follows_the_reason_filter(world: World) -> None:
    """The console's Excel and CSV follow its filters: ``reason`` keeps those reasons only."""
    ask = f"/reports/gaps.csv?unit=83&asOf={DAY}&level=commune"

    def codes(extra: str) -> list[str]:
        response = world.demo.client.get(ask + extra, headers=VI)
        assert response.status_code == 200, response.text
        lines = response.content.decode("utf-8-sig").splitlines()[1:]
        return [line.split(",")[0] for line in lines if line]

    (gap,) = world.store.gaps("83", "commune", ON)
    reason = str(gap.reason)
    other = next(str(r) for r in GapReason if r != gap.reason)
    assert codes("") == [world.gap]
    assert codes(f"&reason={reason.upper()}") == [world.gap]  # the GraphQL name works too
    assert codes(f"&reason={other}&reason={reason}") == [world.gap]
    assert codes(f"&reason={other}") == []
    refused = world.demo.client.get(ask + "&reason=bogus", headers=VI)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert "'bogus'" in refused.json()["errors"][0]["message"]
    wrong = world.demo.client.get("/reports/coverage.csv?unit=83&reason=no_supporter")
    assert wrong.status_code == 400


def test_the_files_are_revalidated_cheaply_and_preloaded_at_once(world: World) -> None:
    first = world.demo.client.get("/console/views/overview.js")
    tag = first.headers["etag"]
    again = world.demo.client.get("/console/views/overview.js", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    other = world.demo.client.get("/console/views/tree.js", headers={"If-None-Match": tag})
    assert other.status_code == 200
    html = world.demo.client.get("/").text
    for path in STATIC.rglob("*.js"):
        name = path.relative_to(STATIC).as_posix()
        if name != "console.js":
            assert f'<link rel="modulepreload" href="/console/{name}">' in html


def test_the_address_the_menu_and_bad_input_never_leave_a_view_stuck(
    tab: Tab, world: World
) -> None:
    """What a first try as a new user found: menu links that forgot the unit and date, a skip
    link that changed the view, and views left on "Đang tải…" by bad input."""
    main = tab.open(f"tree?unit=83&asOf={DAY}")
    menu = tab.page.locator('nav a[data-view="gaps"]')
    assert menu.get_attribute("href") == f"#/gaps?unit=83&asOf={DAY}"
    # the skip link moves the focus and leaves the view alone
    tab.page.locator("a.skip").focus()
    tab.page.keyboard.press("Enter")
    assert tab.page.evaluate("() => [location.hash, document.activeElement.id]") == [
        f"#/tree?unit=83&asOf={DAY}",
        "view",
    ]
    assert main.locator('[role="tree"]').count() == 1
    # a date that is no day: said, and today shown
    main = tab.open("overview?unit=83&asOf=2023-13-45")
    assert "“2023-13-45” không phải là một ngày" in tab.page.get_by_role("alert").inner_text()
    # units and cadres that are not there: the console's own words, never a stuck view
    for route, words in (
        ("gaps?unit=99999", "Không có đơn vị 99999 trong phạm vi của bạn."),
        ("unit/99999", "Không có đơn vị 99999 trong phạm vi của bạn."),
        ("cadre/nobody", "Không có cán bộ nobody trong phạm vi của bạn."),
    ):
        main = tab.open(route)
        assert words in main.inner_text(), route
        assert "Đang tải" not in main.inner_text()
    main = tab.open(f"gaps?unit=83&asOf={DAY}&level=commune&reason=foo")
    assert "Không có lý do “foo”" in tab.page.get_by_role("alert").inner_text()
    assert main.locator("table.gaps tbody tr").count() == 1
    # a cadre's titles by name; a code typed whole is found first
    supporter = world.store.supporters([DISTRICT], ON)[DISTRICT][0].cadre
    main = tab.open(f"cadre/{supporter.id}?asOf={DAY}")
    assert "[object Object]" not in main.inner_text()
    main = tab.open(f"search?q={world.gap}")
    assert world.gap in main.locator(".hits li").first.inner_text()
    assert tab.errors == []
