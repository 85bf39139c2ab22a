"""The console's printable report (``#/report``) in a real Chromium: the letterhead of a Party
board's report, one part per district of Bến Tre on the 2023 map with the store's own numbers,
a gap under its district, and a PDF of A4 pages, one part to a page, whose text keeps its
Vietnamese letters.

The PDF's text is read here without a PDF library: Chromium writes each font with a ToUnicode
map and draws glyph codes with ``Tj`` and ``TJ`` in Flate-compressed content streams."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.answers import GapReason
from graph.i18n import use
from graph.stores.memory import MemoryStore
from namgraph.api.auth import Keyring, Role
from namgraph.api.settings import Settings
from namgraph.reports.labels import level_name, reason_name
from tests.conftest import ON, unsupported_copy
from tests.test_api import Server

SHOT = Path("/tmp/shot-report.png")


@dataclasses.dataclass
class World:
    server: Server
    store: MemoryStore
    gap: str  # the commune left without support on ON
    district: str


@pytest.fixture(scope="module")
def world(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The API in demo mode over a private copy of Bến Tre, with the first commune of Châu
    Thành (831) left without support on ``ON``."""
    store, commune = unsupported_copy(
        ben_tre_dir, tmp_path_factory.mktemp("console-report") / "nam"
    )
    with Server(store, Settings(demo=True)) as running:
        yield World(running, store, commune, "831")


class Tab:
    """The report in a browser tab, with every request, error and 404 it met."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.missing: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        page.on(
            "response",
            lambda response: self.missing.append(response.url) if response.status == 404 else None,
        )

    def rows(self, selector: str) -> list[list[str]]:
        """The body rows of a table, as the texts of their cells."""
        found: list[list[str]] = self.page.eval_on_selector(
            selector,
            "t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim()))",
        )
        return found


@pytest.fixture(scope="module")
def tab(browser: Any, world: World) -> Iterator[Tab]:
    context = browser.new_context(
        locale="vi-VN",
        viewport={"width": 1366, "height": 768},
        base_url=f"http://127.0.0.1:{world.server.port}",
    )
    opened = Tab(context.new_page())
    opened.page.goto(f"/#/report?unit=83&asOf={ON.isoformat()}")
    opened.page.wait_for_selector(
        "main[data-shown=report][data-view=report][aria-busy=false]", timeout=60_000
    )
    yield opened
    context.close()


def number(n: int) -> str:
    """A count as the Vietnamese page writes it: 12.700."""
    return f"{n:,}".replace(",", ".")


def percent(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    text = f"{ratio * 100:.1f}".removesuffix(".0").replace(".", ",")
    return f"{text}%"


def vi_level(store: MemoryStore, level: str) -> str:
    with use("vi"):
        return level_name(store.policy_on(ON), level)


def own_gaps(store: MemoryStore, code: str) -> dict[str, GapReason]:
    """The units of a subtree without a supporter of their own on ``ON``, with the reason."""
    levels = [entry.level for entry in store.coverage(code, ON).levels]
    return {
        gap.unit.code: gap.reason
        for level in levels
        for gap in store.gaps(code, level, ON)
        if gap.reason != GapReason.CHAIN_BROKEN_ABOVE
    }


# --- on screen --------------------------------------------------------------------------------


def test_the_report_is_headed_as_a_party_boards_report(tab: Tab) -> None:
    page = tab.page
    whole = page.locator("section.rp-whole")
    assert whole.locator(".rp-party").inner_text() == "ĐẢNG CỘNG SẢN VIỆT NAM"
    assert whole.locator(".rp-committee").inner_text() == "TỈNH ỦY BẾN TRE"
    assert whole.locator(".rp-board").inner_text() == "BAN TỔ CHỨC"
    # a day below 10 and the months 1 and 2 take a leading zero (Hướng dẫn 36-HD/VPTW)
    day = f"{ON.day:02d}"
    month = f"{ON.month:02d}" if ON.month < 3 else str(ON.month)
    place_date = whole.locator(".rp-place-date").inner_text()
    assert re.fullmatch(r"Bến Tre, ngày \d{2} tháng \d{1,2} năm \d{4}", place_date)
    assert place_date == f"Bến Tre, ngày {day} tháng {month} năm {ON.year}"
    title = whole.locator("h3.rp-title").inner_text()
    assert title.splitlines() == [
        "BÁO CÁO",
        "Tình hình phân công cán bộ nắm địa bàn Tỉnh Bến Tre",
        f"(tính đến ngày {day}/{month}/{ON.year})",
    ]
    assert page.get_by_role("button", name="In báo cáo").is_visible()
    html = page.content()
    assert unicodedata.is_normalized("NFC", html)


def test_the_whole_province_has_the_stores_numbers(tab: Tab, world: World) -> None:
    store = world.store
    coverage = store.coverage("83", ON)
    rows = tab.rows("section.rp-whole table.rp-coverage")
    assert len(rows) == len(coverage.levels) + 1
    for row, level in zip(rows, coverage.levels, strict=False):
        gaps = store.gaps("83", level.level, ON)
        own = sum(g.reason != GapReason.CHAIN_BROKEN_ABOVE for g in gaps)
        assert row == [
            vi_level(store, level.level),
            number(level.units),
            number(level.covered),
            percent(level.ratio),
            number(own),
            number(len(gaps) - own),
        ]
    assert rows[-1][1:4] == [
        number(coverage.households),
        number(coverage.households_reached),
        percent(coverage.ratio),
    ]
    districts = store.children("83", ON)
    below = tab.rows("section.rp-whole table.rp-below")
    assert [row[2] for row in below] == [d.code for d in districts]
    for row, district in zip(below, districts, strict=True):
        sizes = store.coverage(district.code, ON)
        assert row[1] == district.name
        assert row[3:6] == [
            number(sizes.households),
            number(sizes.households_reached),
            percent(sizes.ratio),
        ]
        assert row[6] == number(len(own_gaps(store, district.code)))


def test_one_part_per_district_each_with_its_coverage_gaps_and_cadres(
    tab: Tab, world: World
) -> None:
    store = world.store
    districts = store.children("83", ON)
    assert len(districts) == 9
    parts = tab.page.locator("section.rp-part")
    assert parts.count() == len(districts)
    for i, district in enumerate(districts):
        part = f"section.rp-part[data-unit='{district.code}']"
        assert tab.page.locator(f"{part} h4").inner_text() == f"{i + 1}. {district.name}"
        coverage = store.coverage(district.code, ON)
        rows = tab.rows(f"{part} table.rp-coverage")
        assert [row[:3] for row in rows[:-1]] == [
            [vi_level(store, level.level), number(level.units), number(level.covered)]
            for level in coverage.levels
        ]
        assert rows[-1][1:3] == [number(coverage.households), number(coverage.households_reached)]
        # the gaps: every unit of the district without a supporter of its own, with the reason
        expected = own_gaps(store, district.code)
        if expected:
            listed = tab.rows(f"{part} table.rp-gaps")
            with use("vi"):
                assert {row[3]: row[4] for row in listed} == {
                    code: reason_name(reason) for code, reason in expected.items()
                }
        else:
            assert tab.page.locator(f"{part} table.rp-gaps").count() == 0
            assert "Không có" in tab.page.locator(f"{part} .rp-none").first.inner_text()
        # the cadres: who supports the district and each of its communes
        units = [district, *store.children(district.code, ON)]
        supporters = store.supporters([u.code for u in units], ON)
        cadres = tab.rows(f"{part} table.rp-cadres")
        assert sorted(row[1] for row in cadres) == sorted(
            s.cadre.name for u in units for s in supporters.get(u.code, ())
        )
        assert all(len(row) == 5 for row in cadres) and any(row[4] for row in cadres)  # phones


def test_the_commune_left_without_support_is_a_gap_under_its_district(
    tab: Tab, world: World
) -> None:
    commune = world.store.unit(world.gap)
    assert commune is not None
    listed = tab.rows(f"section.rp-part[data-unit='{world.district}'] table.rp-gaps")
    mine = [row for row in listed if row[3] == world.gap]
    assert len(mine) == 1 and mine[0][2] == commune.name
    elsewhere = tab.page.locator(f"section.rp-part:not([data-unit='{world.district}'])")
    assert world.gap not in " ".join(elsewhere.all_inner_texts())


def test_two_requests_make_the_report_and_all_go_to_this_server(tab: Tab, world: World) -> None:
    assert tab.page.locator("main").get_attribute("data-requests") == "2"
    graphql = [url for url in tab.requests if urlsplit(url).path == "/graphql"]
    assert len(graphql) == 3  # who is signed in, then the report's two
    hosts = {(urlsplit(url).hostname, urlsplit(url).port) for url in tab.requests}
    assert hosts == {("127.0.0.1", world.server.port)}, tab.requests
    assert all(urlsplit(url).path == "/favicon.ico" for url in tab.missing), tab.missing
    assert [e for e in tab.errors if "404" not in e] == []


def test_an_analyst_of_a_district_gets_its_committees_report_without_phones(
    browser: Any, world: World, tmp_path: Path
) -> None:
    """A token of a role that sees no contacts, scoped to Châu Thành (it sees nothing above):
    the report is the Huyện ủy's, one part per commune, the commune without support among the
    gaps, and no phone asked for or shown."""
    keyring = Keyring.open(tmp_path / "auth.json")
    token, _ = keyring.issue(
        Role.ANALYST, world.district, datetime.now(UTC) + timedelta(hours=1), "test report"
    )
    settings = Settings(auth_file=tmp_path / "auth.json")
    with Server(world.store, settings) as api:
        context = browser.new_context(locale="vi-VN", base_url=f"http://127.0.0.1:{api.port}")
        try:
            page = context.new_page()
            bodies: list[str] = []
            page.on(
                "request",
                lambda r: bodies.append(r.post_data or "") if r.method == "POST" else None,
            )
            page.goto(f"/#/report?unit={world.district}&asOf={ON.isoformat()}")
            page.get_by_label("Mã truy cập").fill(token)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_selector("main[data-shown=report][aria-busy=false]", timeout=60_000)
            assert page.locator(".rp-committee").inner_text() == "HUYỆN ỦY CHÂU THÀNH"
            # the place is the district's own (Hướng dẫn 36-HD/VPTW): its name without the kind
            assert page.locator(".rp-place-date").inner_text().startswith("Châu Thành, ngày ")
            communes = world.store.children(world.district, ON)
            assert page.locator("section.rp-part").count() == len(communes)
            gaps = Tab(page).rows("section.rp-whole table.rp-gaps")
            assert [row[3] for row in gaps] == [world.gap]
            headers = page.locator("table.rp-cadres th").all_inner_texts()
            assert headers and "Điện thoại" not in headers
            assert not any("phone" in body for body in bodies)
        finally:
            context.close()


# --- on paper ---------------------------------------------------------------------------------


def test_it_prints_on_a4_one_part_to_a_page_in_vietnamese(tab: Tab, world: World) -> None:
    page = tab.page
    page.emulate_media(media="print")
    try:
        assert page.locator("header.top").is_hidden()
        assert page.locator(".rp-toolbar").is_hidden()
        page.screenshot(path=str(SHOT))
        pdf = page.pdf(format="A4", print_background=True)
    finally:
        page.emulate_media(media="screen")
    pages = pdf_pages(pdf)
    districts = world.store.children("83", ON)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == len(pages) >= 1 + len(districts)
    first = pages[0]
    for words in ("TỈNH ỦY BẾN TRE", "BAN TỔ CHỨC", "ĐẢNG CỘNG SẢN VIỆT NAM", "BÁO CÁO"):
        assert words in first  # precomposed letters, as typed: nothing lost or decomposed
    assert re.search(r"Bến Tre, ngày \d{2} tháng \d{1,2} năm \d{4}", first)
    # each district begins a page of its own; a page that goes on with a district's tables
    # begins with a table's header row again
    starts = []
    for i, district in enumerate(districts):
        heading = f"{i + 1}. {district.name}"
        starts.append(next(n for n, text in enumerate(pages) if heading in text))
    assert starts == sorted(set(starts)) and starts[0] >= 1
    for n, text in enumerate(pages):
        if n and n not in starts:
            body = text.removeprefix(str(n + 1))  # the page number, top centre
            assert body.startswith(("Đơn vịHọ và tên", "STTCấpĐơn vị", "CấpSố đơn vị")), body[:80]


# --- reading a PDF as Chromium writes it --------------------------------------------------------


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, in order: the glyph codes of its content stream through the
    ToUnicode map of the font each was drawn in."""
    objects = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", pdf, re.S)}

    def stream(n: int) -> bytes:
        body = objects[n]
        found = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        assert found, f"object {n} has no stream"
        data = found.group(1)
        return zlib.decompress(data) if b"/FlateDecode" in body[: found.start()] else data

    def utf16(code: bytes) -> str:
        return bytes.fromhex(code.decode()).decode("utf-16-be")

    def to_unicode(font: int) -> dict[int, str]:
        ref = re.search(rb"/ToUnicode (\d+) 0 R", objects[font])
        table: dict[int, str] = {}
        if not ref:
            return table
        text = stream(int(ref.group(1)))
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(src, 16)] = utf16(dst)
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
            for low, high, dst in re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", block
            ):
                lo, hi = int(low, 16), int(high, 16)
                if dst.startswith(b"["):
                    for i, one in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", dst)):
                        table[lo + i] = utf16(one)
                else:
                    start = bytes.fromhex(dst[1:-1].decode())
                    base = int.from_bytes(start, "big")
                    for i in range(hi - lo + 1):
                        table[lo + i] = (base + i).to_bytes(len(start), "big").decode("utf-16-be")
        return table

    def leaves(n: int) -> list[int]:
        body = objects[n]
        if not re.search(rb"/Type\s*/Pages\b", body):
            return [n]
        kids = re.search(rb"/Kids\s*\[(.*?)\]", body, re.S)
        assert kids
        return [
            leaf for kid in re.findall(rb"(\d+) 0 R", kids.group(1)) for leaf in leaves(int(kid))
        ]

    catalog = next(body for body in objects.values() if re.search(rb"/Type\s*/Catalog\b", body))
    root = re.search(rb"/Pages (\d+) 0 R", catalog)
    assert root
    maps: dict[int, dict[int, str]] = {}
    out = []
    for leaf in leaves(int(root.group(1))):
        body = objects[leaf]
        named = re.search(rb"/Font\s*<<(.*?)>>", body, re.S)
        fonts = dict(re.findall(rb"/(\w+) (\d+) 0 R", named.group(1))) if named else {}
        contents = re.search(rb"/Contents (\d+) 0 R", body)
        drawn = stream(int(contents.group(1))) if contents else b""
        current: dict[int, str] = {}
        chars = []
        for font, single, many in re.findall(
            rb"/(\w+)\s+[-\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|\[(.*?)\]\s*TJ", drawn, re.S
        ):
            if font:
                ref = int(fonts[font])
                current = maps.setdefault(ref, to_unicode(ref))
                continue
            for codes in [single] if single else re.findall(rb"<([0-9A-Fa-f]*)>", many):
                for i in range(0, len(codes), 4):  # Identity-H: two bytes a glyph
                    chars.append(current.get(int(codes[i : i + 4], 16), "\ufffd"))
        out.append("".join(chars))
    return out
