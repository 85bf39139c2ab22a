"""The console shows what assigned cadres actually did, in a real Chromium (Debian's, driven by
Playwright) against a server started here over the embedded store: active coverage beside the
assigned coverage in the overview, with what the policy counts and that its figures are
illustrative, and a cadre's yearly record (phiếu đánh giá) on the cadre's page, for the year of
the date by default or one chosen there, reached from a unit's supporters too.

The store is a private copy of the generated Bến Tre with a year of generated activity (meetings,
attendance, petitions) in Châu Thành (831) up to ``ON``, and none elsewhere; every number is
checked against the store's own answer. The words new to the console are compared with what the
catalog gives for their message ids, so the tests hold before and after they are translated."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.answers import Coverage
from graph.i18n import _, use
from graph.presence import active_coverage
from graph.stores.memory import MemoryStore
from graph.stores.port import ChangeSet
from graph.yearly import YearlyRecord, yearly_record
from loaders.generate import generate
from loaders.generate_activity import generate_activity, generate_petitions
from namgraph.api.settings import Settings
from namgraph.console.words_activity import WORDS as ACTIVITY
from tests.axe import serious_violations
from tests.conftest import ON, console_timings
from tests.test_api import Server
from tests.test_console import Tab, vi_number

DAY = ON.isoformat()
DISTRICT = "831"  # Châu Thành: the only district with activity
NOTE = (
    "Nắm thực tế: cán bộ nắm có mặt ở cuộc họp hoặc chuyến thăm trong 6 tháng trước 1/5/2023; "
    "các con số của quy định chỉ mang tính minh họa"
)


@pytest.fixture(autouse=True)
def vietnamese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NAM_LANG", raising=False)
    with use("vi"):
        yield


def vi(key: str, **params: object) -> str:
    """A console word of :mod:`namgraph.console.words_activity` as a Vietnamese page shows it."""
    with use("vi"):
        text = _(ACTIVITY[key])
    for name, value in params.items():
        text = text.replace("{" + name + "}", str(value))
    return text


@dataclasses.dataclass
class World:
    store: MemoryStore
    server: Server
    cadre: str  # the provincial cadre who supports the district
    hamlet_cadre: str  # a district cadre who supports hamlets of it


@pytest.fixture(scope="module")
def world(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("console-activity") / "nam"
    shutil.copytree(ben_tre_dir, data)
    store = MemoryStore.open(data)
    roster = generate(store, "83", 1)
    meetings, attendance = generate_activity(store, roster, 1, until=ON)
    inside = {u.code for u in store.subtree(DISTRICT)}
    kept = [m for m in meetings if m.unit in inside]
    held = {m.id for m in kept}
    petitions = [p for p in generate_petitions(store, roster, 1, until=ON) if p.unit in inside]
    store.apply(
        ChangeSet(
            meetings=kept,
            attendance=[a for a in attendance if a.meeting in held],
            petitions=petitions,
        )
    )
    supporter = store.supporters([DISTRICT], ON)[DISTRICT][0].cadre.id
    hamlet = next(u for u in store.subtree(DISTRICT) if u.level == "hamlet")
    hamlet_cadre = store.supporters([hamlet.code], ON)[hamlet.code][0].cadre.id
    with Server(store, Settings(demo=True)) as server:
        yield World(store, server, supporter, hamlet_cadre)


def new_context(browser: Any, world: World, **options: Any) -> Any:
    defaults: dict[str, Any] = {
        "locale": "vi-VN",
        "viewport": {"width": 1366, "height": 768},
        "base_url": f"http://127.0.0.1:{world.server.port}",
    }
    return browser.new_context(**{**defaults, **options})


@pytest.fixture(scope="module")
def tab(browser: Any, world: World) -> Iterator[Tab]:
    context = new_context(browser, world)
    opened = Tab(context.new_page(), world.server.port)
    yield opened
    hosts = {urlsplit(url.removeprefix("blob:")).hostname for url in opened.requests}
    assert hosts <= {"127.0.0.1"}, opened.requests
    context.close()


def rows(tab: Tab, selector: str) -> list[list[str]]:
    """The body rows of a table, as the texts of their cells."""
    found: list[list[str]] = tab.page.eval_on_selector(
        selector,
        "t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim()))",
    )
    return found


def percent(ratio: float | None) -> str:
    """A ratio as the console writes it in Vietnamese (at most one decimal: 93,5%, 100%)."""
    if ratio is None:
        return "–"
    text = f"{round(ratio * 100, 1):.1f}".removesuffix(".0")
    return text.replace(".", ",") + "%"


def figures(tab: Tab) -> dict[str, str]:
    """The yearly record's figures as the page shows them: label -> value."""
    found: dict[str, str] = tab.page.eval_on_selector(
        "dl.record-figures",
        """dl => Object.fromEntries([...dl.querySelectorAll("dt")].map(
             dt => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()]))""",
    )
    return found


def expected_figures(record: YearlyRecord) -> dict[str, str]:
    out = {
        vi("recAttended"): vi_number(record.meetings_attended),
        vi("recMissed"): vi_number(record.meetings_missed),
        vi("recReceived"): vi_number(record.petitions_received),
        vi("recPassedOn"): vi_number(record.petitions_passed_on),
        vi("recInTime"): vi_number(record.petitions_answered_in_time),
        vi("recLate"): vi_number(record.petitions_answered_late),
        vi("recOpen"): vi_number(record.petitions_open),
    }
    if record.minimum is None:
        text = vi("recNoMinimum")
        out[vi("recMinimum")] = text[:1].upper() + text[1:]
    else:
        out[vi("recMinimum")] = vi_number(record.minimum.per_year)
        verdict = vi("recMet") if record.meets_minimum else vi("recNotMet")
        out[vi("recMeetsMinimum")] = verdict[:1].upper() + verdict[1:]
    return out


# --- the page as served -----------------------------------------------------------------------


def test_the_page_carries_what_the_policy_says_of_activity(world: World) -> None:
    html = world.server.client.get("/", headers={"Accept-Language": "vi"}).text
    words = json.loads(html.split('id="words">', 1)[1].split("</script>", 1)[0])
    assert words["activity"] == {
        "first": "2017-01-01",
        "periods": [{"from": None, "months": 6, "illustrative": True}],
    }
    # the words the command line already speaks read the same here
    assert words["actNote"].startswith("nắm thực tế: cán bộ nắm có mặt")
    assert words["recAttended"] == "Số lần dự sinh hoạt"
    assert words["recHeading"] == vi("recHeading")


# --- the overview -----------------------------------------------------------------------------


def check_levels(tab: Tab, assigned: Coverage, active: Coverage) -> None:
    table = tab.page.locator("table.levels")
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    assert headers[-2:] == [vi("actCovered"), vi("actCoverage")], headers
    found = rows(tab, "table.levels")
    assert len(found) == len(assigned.levels) + 1
    for row, plain, present in zip(found, assigned.levels, active.levels, strict=False):
        assert plain.level == present.level
        assert row[1:3] == [vi_number(plain.units), vi_number(plain.covered)], row
        assert row[4] == vi_number(present.covered), row
        assert row[5] == percent(present.ratio), row
    end = found[-1]
    assert end[1:3] == [vi_number(assigned.households), vi_number(assigned.households_reached)]
    assert end[4:] == [vi_number(active.households_reached), percent(active.ratio)]


def test_the_overview_shows_active_coverage_beside_the_assigned_in_one_request(
    tab: Tab, world: World
) -> None:
    assigned = world.store.coverage(DISTRICT, ON)
    active = active_coverage(world.store, DISTRICT, ON)
    # the generated activity leaves some supporters absent: the two differ
    assert active.households_reached < assigned.households_reached
    tab.clear()
    main = tab.open(f"overview?unit={DISTRICT}&asOf={DAY}")
    tab.page.locator("main#view[data-shown=overview]").wait_for()
    check_levels(tab, assigned, active)
    note = main.locator("#active-note")
    assert note.inner_text() == NOTE
    assert main.locator("table.levels").get_attribute("aria-describedby") == "active-note"
    # each bar says what it is to a screen reader
    bar = main.locator("table.levels tbody tr").last.locator(".bar").last
    end_to_end = _("End to end (households)")
    assert bar.get_attribute("aria-label") == (
        f"{vi('actCoverage')}: {end_to_end} {percent(active.ratio)}"
    )
    tab.page.locator("#trend[aria-busy=false]").wait_for()
    asked = tab.graphql()
    trend = tab.graphql("query Trend")
    assert len(trend) == 1
    assert len(asked) - len(trend) <= 2, asked  # who asks, and the overview with both
    assert len(tab.graphql("activeCoverage")) == 1
    assert tab.errors == []


def test_a_province_with_activity_in_one_district_only(
    tab: Tab, world: World, request: pytest.FixtureRequest
) -> None:
    """Bến Tre: Châu Thành's supporters were present, the other districts' were not (no
    activity was recorded there), and active coverage says so."""
    assigned = world.store.coverage("83", ON)
    active = active_coverage(world.store, "83", ON)
    tab.open(f"overview?unit=83&asOf={DAY}")
    tab.page.locator("main#view[data-shown=overview]").wait_for()
    check_levels(tab, assigned, active)
    timing = tab.page.evaluate(
        """() => ({shown: performance.getEntriesByName('namgraph:overview-shown')[0]?.startTime})"""
    )
    console_timings(
        request,
        {"overview of Bến Tre with active coverage, embedded store: shown": timing["shown"]},
    )


def test_an_ended_unit_shows_its_successors_and_no_active_coverage(
    browser: Any, merged_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Active coverage is asked only of a unit in force: an ended province still says when it
    ended and what it became (the overview is asked again without it)."""
    data = tmp_path_factory.mktemp("ended-activity") / "nam"
    shutil.copytree(merged_dir, data)
    with Server(MemoryStore.open(data), Settings(demo=True)) as server:
        context = browser.new_context(locale="vi-VN", base_url=f"http://127.0.0.1:{server.port}")
        try:
            later = Tab(context.new_page(), server.port)
            main = later.open("overview?unit=83&asOf=2025-08-01")
            text = main.inner_text()
            assert "Đã kết thúc ngày 1/7/2025" in text and "Vĩnh Long (86)" in text
            assert main.locator("#active-note").count() == 0
            assert later.page.get_by_role("alert").inner_text() == ""
            # the province that followed it, in force: active coverage beside the assigned
            main = later.open("overview?unit=86&asOf=2025-08-01")
            assert vi("actCoverage") in main.locator("table.levels thead").inner_text()
            assert "6 tháng trước 1/8/2025" in main.locator("#active-note").inner_text()
            assert later.errors == []
        finally:
            context.close()


def test_a_unit_that_is_not_there_is_said_as_before_in_one_request(tab: Tab) -> None:
    tab.clear()
    main = tab.open("overview?unit=99999")
    assert "Không có đơn vị 99999 trong phạm vi của bạn." in main.inner_text()
    assert tab.page.get_by_role("alert").inner_text() == ""
    assert len(tab.graphql("query Overview")) == 1
    assert tab.errors == []


# --- a cadre's yearly record ------------------------------------------------------------------


def check_record(tab: Tab, record: YearlyRecord) -> None:
    main = tab.page.locator("main#view")
    assert main.locator("#record-h").inner_text() == vi("recHeading", year=record.year)
    assert main.locator("#record-year").input_value() == str(record.year)
    end = f"{record.end.day}/{record.end.month}/{record.end.year}"
    assert main.locator("#record-counted").inner_text() == (
        f"Tính từ 1/1/{record.year} đến {end} theo quy định {record.policy} "
        "(các con số của quy định chỉ mang tính minh họa)"
    )
    followed = rows(tab, "table.followed")
    assert [(r[0], r[3]) for r in followed] == [
        (f"{f.unit.name} {f.unit.code}", vi_number(f.days)) for f in record.followed
    ]
    assert [r[5] for r in followed] == [
        "–" if f.households_reached is None else vi_number(f.households_reached)
        for f in record.followed
    ]
    assert main.locator("#record-reached").inner_text() == (
        f"Số hộ được nắm liền mạch cuối kỳ: {vi_number(record.households_reached)} "
        f"trên {vi_number(record.households)}"
    )
    assert figures(tab) == expected_figures(record)


def test_a_cadres_record_for_the_year_of_the_date_then_another_year(tab: Tab, world: World) -> None:
    record = yearly_record(world.store, world.cadre, ON.year, ON)
    assert record.minimum is not None  # a standing member: a minimum of meetings a year
    tab.clear()
    main = tab.open(f"cadre/{world.cadre}?asOf={DAY}")
    assert len(tab.graphql()) <= 2  # who asks, and the cadre's page with the record
    assert len(tab.graphql("record(")) == 1
    check_record(tab, record)
    years = main.locator("#record-year option").all_inner_texts()
    assert years == [str(y) for y in range(ON.year, 2016, -1)]  # from the policy's first year
    # another year, chosen with the keyboard: one request, and the address says which
    tab.clear()
    main.locator("#record-year").select_option("2022")
    main.locator("#record-form button[type=submit]").focus()
    tab.page.keyboard.press("Enter")
    tab.shown(f"#/cadre/{world.cadre}")
    tab.page.locator('main#view[aria-busy="false"][data-route*="year=2022"]').wait_for()
    check_record(tab, yearly_record(world.store, world.cadre, 2022, ON))
    assert len(tab.graphql("query Cadre")) == 1
    assert tab.errors == []


def test_a_hamlet_supporters_record_with_petitions_from_the_units_page(
    tab: Tab, world: World
) -> None:
    record = yearly_record(world.store, world.hamlet_cadre, ON.year, ON)
    hamlet = next(f.unit for f in record.followed if f.unit.level == "hamlet")
    main = tab.open(f"unit/{hamlet.code}?asOf={DAY}")
    link = main.locator("#sup-h ~ ul li").first.locator("a.record-link")
    assert link.inner_text() == vi("recHeading", year=ON.year)
    link.click()
    tab.shown(f"#/cadre/{world.hamlet_cadre}")
    check_record(tab, record)


def test_a_year_that_cannot_be_asked_is_said_and_the_year_of_the_date_shown(
    tab: Tab, world: World
) -> None:
    for asked in ("1999", "abc", str(ON.year + 1)):
        tab.open(f"cadre/{world.cadre}?asOf={DAY}&year={asked}")
        alert = tab.page.get_by_role("alert").inner_text()
        assert alert == vi("recBadYear", year=asked, shown=ON.year), alert
        assert tab.page.locator("#record-year").input_value() == str(ON.year)
    # a cadre who is not there: the console's words, as before
    main = tab.open(f"cadre/nobody?asOf={DAY}")
    assert "Không có cán bộ nobody trong phạm vi của bạn." in main.inner_text()
    assert main.locator("h2").inner_text() == "nobody"
    assert tab.errors == []


def test_a_date_before_every_policy_has_no_record(tab: Tab, world: World) -> None:
    main = tab.open(f"cadre/{world.cadre}?asOf=2016-06-01")
    assert main.locator("h2").count() == 1
    assert main.locator("#record").count() == 0
    assert tab.page.get_by_role("alert").inner_text() == ""


# --- in English, accessible, on a phone -------------------------------------------------------


def test_english_words_in_english(browser: Any, world: World) -> None:
    context = new_context(browser, world, locale="en-US")
    try:
        english = Tab(context.new_page(), world.server.port)
        main = english.open(f"overview?unit={DISTRICT}&asOf={DAY}")
        headers = main.locator("table.levels thead").inner_text()
        assert "Covered (active)" in headers and "Active coverage" in headers
        assert main.locator("#active-note").inner_text() == (
            "Active: supporters present at a meeting or visit in the 6 months before "
            "5/1/2023; the policy's figures are illustrative"
        )
        main = english.open(f"cadre/{world.cadre}?asOf={DAY}")
        assert main.locator("#record-h").inner_text() == f"Yearly record {ON.year}"
        assert "Meetings attended" in main.locator("dl.record-figures").inner_text()
        assert english.errors == []
    finally:
        context.close()


def test_the_new_parts_pass_axe_and_fit_a_phone(browser: Any, world: World) -> None:
    routes = (
        f"overview?unit={DISTRICT}&asOf={DAY}",
        f"cadre/{world.cadre}?asOf={DAY}",
        f"cadre/{world.hamlet_cadre}?asOf={DAY}&year=2022",
    )
    context = new_context(browser, world, bypass_csp=True)
    try:
        checked = Tab(context.new_page(), world.server.port)
        found = {}
        for route in routes:
            checked.open(route)
            if route.startswith("overview"):
                checked.page.locator("#trend[aria-busy=false]").wait_for()
            found[route] = serious_violations(checked.page)
        assert not any(found.values()), found
    finally:
        context.close()
    context = new_context(browser, world, viewport={"width": 390, "height": 844})
    try:
        phone = Tab(context.new_page(), world.server.port)
        for route in routes:
            phone.open(route)
            width = phone.page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert width[0] <= width[1] + 1, (route, width)
    finally:
        context.close()
