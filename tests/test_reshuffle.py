"""Reshuffles as plans on the generated Bến Tre province, on both stores.

Five provincial cadres retire; the same file starts three Standing Committee members on three of
their communes. The preview must show exactly the other two communes losing coverage, with
candidates; after apply the past is unchanged and the effective date shows 155 of 157; the same
file again changes nothing; a plan made before a conflicting one was applied is refused.
"""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from graph.answers import GapReason
from graph.model import Status
from graph.questions import takeovers
from graph.stores.memory import MemoryStore
from graph.stores.port import GraphStore
from loaders.admin import plan_admin
from loaders.generate import generate
from loaders.plan import apply_plan, make_plan
from loaders.problems import LoadError
from loaders.reshuffle import (
    PlanRefused,
    StalePlan,
    apply_reshuffle,
    plan_changes,
    plan_reshuffle,
)
from tests.conftest import ADMIN, ON, Nam, write_csv

E = date(2023, 6, 1)
DECISION = "559-QĐ/TU, 26/8/2022"
HEADER = ["Thao tác", "Mã cán bộ", "Mã đơn vị", "Nhiệm vụ", "Ngày hiệu lực", "Quyết định"]


def first_commune_of_each_district(store: GraphStore) -> list[str]:
    districts = store.children("83", ON)
    return [store.children(d.code, ON)[0].code for d in districts]


def supporter_of(store: GraphStore, commune: str) -> str:
    (supporter,) = store.supporters([commune], ON)[commune]
    return supporter.cadre.id


def standing_members(store: GraphStore) -> list[str]:
    return sorted(
        c.id
        for c in store.cadres_of(["83"])
        if "provincial_standing_committee" in c.titles and c.active_on(E)
    )


def households_of(store: GraphStore, code: str) -> int:
    return sum(u.households or 0 for u in store.subtree(code) if u.level == "household_group")


class Scenario:
    """Five retirements in five districts; three of their communes get a new supporter."""

    def __init__(self, store: GraphStore, folder: Path) -> None:
        self.communes = first_commune_of_each_district(store)[:5]
        self.retiring = [supporter_of(store, c) for c in self.communes]
        self.replacements = standing_members(store)[:3]
        self.lost = set(self.communes[3:])
        rows: list[list[object]] = [
            ["nghỉ hưu", cadre, "", "", "1/6/2023", DECISION] for cadre in self.retiring
        ]
        rows += [
            ["phân công", cadre, commune, "theo dõi, hỗ trợ", "01/06/2023", DECISION]
            for cadre, commune in zip(self.replacements, self.communes, strict=False)
        ]
        self.file = write_csv(folder / "reshuffle.csv", HEADER, rows)


def test_a_reshuffle_is_previewed_applied_once_and_answers_for_any_date(
    store: GraphStore, state: Callable[[], object], tmp_path: Path
) -> None:
    s = Scenario(store, tmp_path)
    plan = plan_reshuffle(store, s.file, by="tester")

    assert plan["problems"] == [] and plan["decision"] == DECISION
    assert plan["summary"] | {"errors": 0} == {
        "end": 5,
        "start": 3,
        "continue": 0,
        "status": 5,
        "errors": 0,
        "warnings": plan["summary"]["warnings"],
    }
    assert {st["cadre"] for st in plan["statuses"]} == set(s.retiring)
    (preview,) = plan["preview"]
    assert preview["scope"]["code"] == "83"  # five districts: the province is the scope
    before = {lc["level"]: (lc["covered"], lc["units"]) for lc in preview["before"]["levels"]}
    after = {lc["level"]: (lc["covered"], lc["units"]) for lc in preview["after"]["levels"]}
    assert before["commune"] == (157, 157) and after["commune"] == (155, 157)
    assert {lost["unit"]["code"] for lost in preview["lost"]} == s.lost
    for lost in preview["lost"]:
        candidates = lost["candidates"]
        assert candidates, "each commune that loses coverage gets suggested replacements"
        found = store.cadres(c["cadre"] for c in candidates)
        assert all(
            c.level == "province" and c.active_on(E) and c.id not in s.retiring
            for c in found.values()
        )
        # fewest units first, and none of those just assigned (they have no room left)
        assert not {c["cadre"] for c in candidates} & set(s.replacements)
    lost_households = sum(households_of(store, c) for c in s.lost)
    assert (
        preview["before"]["households_reached"] - preview["after"]["households_reached"]
        == lost_households
    )
    assert preview["gained"] == []

    done = apply_reshuffle(store, plan["id"], by="tester")
    assert done.written and done.record["counts"] == {
        "end": 5,
        "start": 3,
        "continue": 0,
        "status": 5,
    }
    day_before = store.coverage("83", E - timedelta(days=1))
    on_the_day = store.coverage("83", E)
    assert day_before.level("commune").covered == 157
    assert on_the_day.level("commune").covered == 155
    assert day_before.households_reached - on_the_day.households_reached == lost_households
    # the gaps say why: their supporter retired (the reshuffle ended the assignment that day)
    assert {g.unit.code: g.reason for g in store.gaps("83", "commune", E)} == {
        code: GapReason.SUPPORTER_RETIRED for code in s.lost
    }
    # nothing deleted: the ended assignments are still there, with their end date
    for cadre in s.retiring:
        (ended,) = store.assignments(cadre=cadre)
        assert ended.until == E
        found = store.cadre(cadre)
        assert found is not None and found.status_on(E) is Status.RETIRED
        assert found.status_on(E - timedelta(days=1)) is Status.ACTIVE
    (record,) = [r for r in store.applied_plans() if r["id"] == plan["id"]]
    assert record["applied_by"] == "tester" and record["decision"] == DECISION
    assert record["file_hash"] == plan["file_hash"]

    # the same file again: a plan with nothing to change, whose apply writes nothing
    again = plan_reshuffle(store, s.file, by="tester")
    assert again["summary"]["end"] == again["summary"]["start"] == 0
    assert again["summary"]["status"] == 0 and again["summary"]["continue"] == 3
    written = state()
    assert apply_reshuffle(store, again["id"]).written is False
    assert state() == written
    # and the applied plan itself cannot be applied twice
    with pytest.raises(PlanRefused, match="was applied"):
        apply_reshuffle(store, plan["id"])
    assert state() == written


def test_a_plan_made_before_a_conflicting_plan_was_applied_is_refused_as_stale(
    store: GraphStore, state: Callable[[], object], tmp_path: Path
) -> None:
    s = Scenario(store, tmp_path)
    first = plan_reshuffle(store, s.file)
    # elsewhere in the province: does not touch what the first plan read
    elsewhere = first_commune_of_each_district(store)[8]
    unrelated = write_csv(
        tmp_path / "unrelated.csv",
        HEADER,
        [["phân công", standing_members(store)[5], elsewhere, "", "1/6/2023", DECISION]],
    )
    # the same commune as the first plan's first replacement: a conflict
    conflicting = write_csv(
        tmp_path / "conflicting.csv",
        HEADER,
        [["phân công", standing_members(store)[4], s.communes[0], "", "1/6/2023", "QĐ khác"]],
    )
    other = plan_reshuffle(store, unrelated)
    conflict = plan_reshuffle(store, conflicting)
    assert apply_reshuffle(store, other["id"]).written
    assert apply_reshuffle(store, conflict["id"]).written

    before = state()
    with pytest.raises(StalePlan, match="changed since"):
        apply_reshuffle(store, first["id"])
    assert state() == before
    assert store.coverage("83", E).level("commune").covered == 157

    # planned again against the new state, it applies
    renewed = plan_reshuffle(store, s.file)
    assert renewed["id"] != first["id"]
    assert apply_reshuffle(store, renewed["id"]).written
    assert store.coverage("83", E).level("commune").covered == 155


def test_a_roster_of_a_scope_ends_what_it_omits_and_starts_what_it_adds(
    store: GraphStore, tmp_path: Path
) -> None:
    scope = "83"
    own = {c.id for c in store.cadres_of([scope])}
    in_force = sorted(
        (a.cadre, a.unit)
        for cadre in own
        for a in store.assignments(cadre=cadre)
        if a.in_force_on(E) and a.role == "support"
    )
    dropped = in_force[20]
    newcomer = next(
        m for m in standing_members(store) if all(c != m for c, _ in in_force if _ == dropped[1])
    )
    rows = [[c, u, "theo dõi, hỗ trợ"] for c, u in in_force if (c, u) != dropped]
    rows.append([newcomer, dropped[1], "theo dõi, hỗ trợ"])
    roster = write_csv(tmp_path / "roster.csv", ["Mã cán bộ", "Mã đơn vị", "Nhiệm vụ"], rows)
    plan = plan_reshuffle(store, roster, on=E, decision=DECISION, scope=scope)
    assert plan["problems"] == [] and plan["kind"] == "roster"
    assert [(a["cadre"], a["unit"]) for a in plan["ended"]] == [dropped]
    assert [(a["cadre"], a["unit"]) for a in plan["started"]] == [(newcomer, dropped[1])]
    assert plan["summary"]["continue"] == len(in_force) - 1
    (preview,) = plan["preview"]
    assert preview["lost"] == [] and preview["gained"] == []


def test_the_plan_warns_when_it_passes_the_policys_maxima(
    store: GraphStore, tmp_path: Path
) -> None:
    member = standing_members(store)[0]
    district = next(a.unit for a in store.assignments(cadre=member) if a.in_force_on(E))
    other = standing_members(store)[1]
    communes = first_commune_of_each_district(store)[:2]
    rows = [["phân công", member, code, "", "1/6/2023", DECISION] for code in communes]
    rows.append(["phân công", other, district, "", "1/6/2023", DECISION])
    plan = plan_reshuffle(store, write_csv(tmp_path / "many.csv", HEADER, rows))
    assert plan["problems"] == []
    found = {(w["rule"], w["row"], w["column"]) for w in plan["warnings"]}
    assert found == {
        ("max-per-cadre", 2, "Mã cán bộ"),  # two communes for one cadre; the policy allows 1
        ("max-per-cadre", 4, "Mã cán bộ"),  # a second district for the other member
        ("max-per-unit", 4, "Mã đơn vị"),  # two Standing Committee members on one district
    }


@pytest.mark.parametrize(
    ("rows", "column", "message"),
    [
        ([["bay lên", "83-0010", "", "", "1/6/2023", DECISION]], "Thao tác", "not an action"),
        ([["nghỉ hưu", "83-9999", "", "", "1/6/2023", DECISION]], "Mã cán bộ", "no cadre"),
        ([["phân công", "83-0001", "99999", "", "1/6/2023", DECISION]], "Mã đơn vị", "no unit"),
        ([["phân công", "83-0001", "", "", "1/6/2023", DECISION]], "Mã đơn vị", "empty"),
        ([["kết thúc", "83-0001", "28756", "", "1/6/2023", DECISION]], "Mã đơn vị", "holds no"),
        (
            [
                ["nghỉ hưu", "83-0010", "", "", "1/6/2023", DECISION],
                ["nghỉ hưu", "83-0011", "", "", "2/6/2023", DECISION],
            ],
            "Ngày hiệu lực",
            "several dates",
        ),
        ([["nghỉ hưu", "83-0010", "", "", "1/6/2023", ""]], "Quyết định", "no decision"),
        (  # a cadre of district 831 on a hamlet of district 829: outside their jurisdiction
            [["phân công", "831-0001", "28756.01", "", "1/6/2023", DECISION]],
            None,
            "jurisdiction",
        ),
    ],
)
def test_bad_reshuffle_files_name_the_row_and_column_and_cannot_be_applied(
    store: GraphStore,
    state: Callable[[], object],
    tmp_path: Path,
    rows: list[list[object]],
    column: str | None,
    message: str,
) -> None:
    path = write_csv(tmp_path / "bad.csv", HEADER, rows)
    try:
        plan = plan_reshuffle(store, path)
    except LoadError as exc:
        problems = [p.as_dict() for p in exc.problems]
    else:
        problems = plan["problems"]
        before = state()
        with pytest.raises(PlanRefused, match="problem"):
            apply_reshuffle(store, plan["id"])
        assert state() == before
    assert problems, "the file must be refused"
    assert any(
        (column is None or p["column"] == column)
        and (message in p["message"] or message == p["rule"])
        for p in problems
    ), problems
    assert all(p["file"] == str(path) for p in problems)
    if column is not None and message not in ("several dates", "no decision"):
        assert all(p["row"] == 2 for p in problems if p["column"] == column)


def test_the_command_line_plans_shows_and_applies_on_either_store(
    store: GraphStore, nam: Nam, tmp_path: Path
) -> None:
    s = Scenario(store, tmp_path)
    planned = nam("reshuffle", "plan", str(s.file), "--json")
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.output)
    shown = nam("reshuffle", "show", plan["id"])
    assert shown.exit_code == 0 and "loses coverage" in shown.output
    signed = nam("reshuffle", "plan", str(s.file), "--by", "Trần Thị B")
    hint = next(line for line in signed.output.splitlines() if line.startswith("Apply it with"))
    command = shlex.split(hint.split(": ", 1)[1])  # the hint keeps who signs
    command = command[command.index("reshuffle") :]  # after `nam --data DIR`
    assert command[:3] == ["reshuffle", "apply", plan["id"]], hint
    applied = nam(*command)
    assert applied.exit_code == 0, applied.output
    assert "ended 5, started 3" in applied.output
    listed = json.loads(nam("reshuffle", "list", "--json").output)["items"]
    assert (listed[-1]["id"], listed[-1]["applied_by"]) == (plan["id"], "Trần Thị B")
    shown_list = nam("reshuffle", "list").output.splitlines()  # the runner's terminal: 80 wide
    assert shown_list[0].startswith(plan["id"]) and "Trần Thị B" in shown_list[0]
    assert "ended 5, started 3" in shown_list[1]
    assert all(len(line) <= 80 for line in shown_list), shown_list
    again = nam("reshuffle", "apply", plan["id"])
    assert again.exit_code == 1 and "was applied" in again.output


def test_a_reshuffle_workbook_plans_like_its_csv(store: GraphStore, tmp_path: Path) -> None:
    from openpyxl import Workbook

    s = Scenario(store, tmp_path)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    with s.file.open(encoding="utf-8") as handle:
        for line in csv.reader(handle):
            sheet.append(line)
    book.save(tmp_path / "reshuffle.xlsx")
    from_csv = plan_reshuffle(store, s.file)
    from_xlsx = plan_reshuffle(store, tmp_path / "reshuffle.xlsx")
    assert from_xlsx["problems"] == []
    for key in ("summary", "ended", "started", "statuses", "preview", "digest"):
        assert from_xlsx[key] == from_csv[key], key


def test_the_embedded_stores_trial_is_of_the_whole_graph_and_changes_nothing(
    memory_store: MemoryStore, tmp_path: Path
) -> None:
    """A trial is a fork of the whole graph, whatever ``within`` names (it once copied only
    the provinces named, and counted a cadre's units elsewhere as nothing); the store it was
    forked from answers as before."""
    store = memory_store
    # a second province, outside the plan's
    apply_plan(store, plan_admin(store, ADMIN, "84"))
    roster = generate(store, "84", 1)
    apply_plan(store, make_plan(store, roster.units, roster.cadres, roster.assignments, on=ON))
    district = store.children("83", ON)[1].code
    communes = [u.code for u in store.children(district, ON)][:3]
    groups = [u.code for u in store.subtree(communes[0]) if u.level == "household_group"][:5]
    retiring = [supporter_of(store, c) for c in communes]
    retiring += sorted({a.cadre for found in store.assignments_at(groups).values() for a in found})
    rows = [["nghỉ hưu", c, "", "", "1/6/2023", DECISION] for c in retiring]
    plan = plan_reshuffle(store, write_csv(tmp_path / "district.csv", HEADER, rows))
    (preview,) = plan["preview"]
    assert preview["scope"]["code"] == district and plan["problems"] == []
    changes = plan_changes(plan)
    before = store.coverage(district, E)
    with store.trial(changes) as whole, store.trial(changes, within=["83"]) as part:
        assert part.counts() == whole.counts() == store.counts()
        assert part.coverage(district, E) == whole.coverage(district, E) != before
        lost: list[str] = []
        for level in store.policy.coverage:
            gaps = whole.gaps(district, level, E)
            assert part.gaps(district, level, E) == gaps
            lost += [g.unit.code for g in gaps if g.reason is not GapReason.CHAIN_BROKEN_ABOVE]
        assert len(lost) >= 5
        assert takeovers(part, lost, E, room_first=True) == takeovers(
            whole, lost, E, room_first=True
        )
    assert store.coverage(district, E) == before


def test_a_gap_says_what_happened_to_its_latest_supporter(
    store: GraphStore, tmp_path: Path
) -> None:
    """Retired in June, replaced in July, the replacement ended in August: on 1 August the
    commune's supporter ended (the older retirement no longer explains the gap)."""
    commune = first_commune_of_each_district(store)[2]
    retiree = supporter_of(store, commune)
    member = standing_members(store)[0]
    steps = [
        ("june.csv", [["nghỉ hưu", retiree, "", "", "1/6/2023", DECISION]]),
        ("july.csv", [["phân công", member, commune, "", "1/7/2023", "15-QĐ/TU"]]),
        ("august.csv", [["kết thúc", member, commune, "", "1/8/2023", "16-QĐ/TU"]]),
    ]
    for name, rows in steps:
        plan = plan_reshuffle(store, write_csv(tmp_path / name, HEADER, rows))
        assert plan["problems"] == [], plan["problems"]
        assert apply_reshuffle(store, plan["id"]).written

    def reason(day: date) -> GapReason | None:
        found = {g.unit.code: g.reason for g in store.gaps("83", "commune", day)}
        return found.get(commune)

    assert reason(date(2023, 5, 31)) is None
    assert reason(date(2023, 6, 1)) is GapReason.SUPPORTER_RETIRED
    assert reason(date(2023, 7, 1)) is None
    assert reason(date(2023, 8, 1)) is GapReason.SUPPORTER_ENDED
