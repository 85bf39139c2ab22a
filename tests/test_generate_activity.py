"""Generated activity (issue 17): deterministic, believable rates, and records that hang
together (every row on a generated meeting of an existing cadre; no meeting before its unit or
after ``until``). Generated petitions: the same, and every cadre who handles one a supporter in
the chain above its unit on the day."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from graph.activity import PETITION_KINDS, Attendance, Meeting, Petition, meeting_key, months_before
from graph.dates import today
from graph.model import Assignment, Cadre, Unit
from graph.stores.memory import MemoryStore
from graph.stores.port import GraphStore
from loaders.generate import SINCE, Roster, generate
from loaders.generate_activity import REASONS, TOPICS, generate_activity, generate_petitions
from tests.conftest import REFORM

UNTIL = date(2025, 12, 31)
HALVES = [
    (date(year, month, 1), date(year + (month == 7), 1 if month == 7 else 7, 1))
    for year in (2023, 2024, 2025)
    for month in (1, 7)
]


@dataclass
class Generated:
    store: GraphStore
    roster: Roster
    meetings: list[Meeting]
    rows: list[Attendance]

    def units(self) -> dict[str, Unit]:
        found = {u.code: u for u in self.roster.units}
        found.update(self.store.units(list(found)))
        for unit in self.store.subtree("83"):
            found.setdefault(unit.code, unit)
        return found


@pytest.fixture(scope="module")
def ben_tre(ben_tre_dir: Path) -> Generated:
    store = MemoryStore.open(ben_tre_dir)
    roster = generate(store, "83", 1)
    meetings, rows = generate_activity(store, roster, 1, UNTIL)
    return Generated(store, roster, meetings, rows)


def one_district(store: GraphStore, roster: Roster, district: str = "831") -> Roster:
    """The part of ``roster`` in one district: its hamlets and groups, and who supports them,
    its communes, or it."""
    communes = {c.code for c in store.children(district, SINCE) if c.level == "commune"}
    units = [u for u in roster.units if u.code[:5] in communes]
    codes = {u.code for u in units} | communes | {district}
    assignments = [a for a in roster.assignments if a.unit in codes]
    cadres = {a.cadre for a in assignments}
    return Roster(units, [c for c in roster.cadres if c.id in cadres], assignments)


def present_at(
    rows: Iterable[Attendance], meetings: dict[str, Meeting]
) -> dict[str, list[Meeting]]:
    out: dict[str, list[Meeting]] = defaultdict(list)
    for row in rows:
        if row.present:
            out[row.cadre].append(meetings[row.meeting])
    return out


def covering(
    g: Generated, level: str, on: date, cadres: dict[str, Cadre], units: dict[str, Unit]
) -> list[Assignment]:
    """The assignments that count for the coverage of units of ``level`` on ``on``."""
    policy = g.store.policy_on(on)
    return [
        a
        for a in g.roster.assignments
        if units[a.unit].level == level
        and a.in_force_on(on)
        and cadres[a.cadre].active_on(on)
        and policy.covers(cadres[a.cadre], a.role, level)
    ]


# --- determinism -----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_lists(ben_tre: Generated) -> None:
    again = generate_activity(ben_tre.store, ben_tre.roster, 1, UNTIL)
    assert again == (ben_tre.meetings, ben_tre.rows)


def test_another_seed_gives_other_lists_of_the_same_size(ben_tre: Generated) -> None:
    part = one_district(ben_tre.store, ben_tre.roster)
    first = generate_activity(ben_tre.store, part, 1, UNTIL)
    other = generate_activity(ben_tre.store, part, 2, UNTIL)
    assert first != other
    assert first == generate_activity(ben_tre.store, part, 1, UNTIL)
    assert len(other[0]) == pytest.approx(len(first[0]), rel=0.05)


def test_until_defaults_to_today(ben_tre: Generated) -> None:
    part = one_district(ben_tre.store, ben_tre.roster)
    meetings, _rows = generate_activity(ben_tre.store, part, 1)
    assert meetings and max(m.on for m in meetings) <= today()
    regular = [m.on for m in meetings if m.kind == "regular"]
    assert (today() - max(regular)).days <= 62


def test_nothing_before_the_roster_starts(ben_tre: Generated) -> None:
    part = one_district(ben_tre.store, ben_tre.roster)
    assert generate_activity(ben_tre.store, part, 1, SINCE - timedelta(days=1)) == ([], [])


# --- records that hang together --------------------------------------------------------------


def test_meeting_ids_are_unique_and_are_their_keys(ben_tre: Generated) -> None:
    ids = [m.id for m in ben_tre.meetings]
    assert len(set(ids)) == len(ids)
    assert all(m.id == meeting_key(m.unit, m.on, m.kind) for m in ben_tre.meetings)
    assert ben_tre.meetings == sorted(ben_tre.meetings, key=lambda m: (m.on, m.id))


def test_every_row_is_on_a_generated_meeting_of_an_existing_active_cadre(
    ben_tre: Generated,
) -> None:
    meetings = {m.id: m for m in ben_tre.meetings}
    cadres = {c.id: c for c in ben_tre.roster.cadres}
    keys = [row.key for row in ben_tre.rows]
    assert len(set(keys)) == len(keys)
    for row in ben_tre.rows:
        assert row.meeting in meetings
        assert row.cadre in cadres
        assert cadres[row.cadre].active_on(meetings[row.meeting].on)
        assert row.present or row.reason in ("", *REASONS)
        assert not (row.present and row.reason)


def test_no_meeting_before_its_unit_existed_or_after_until(ben_tre: Generated) -> None:
    units = ben_tre.units()
    assert min(m.on for m in ben_tre.meetings) >= SINCE
    assert max(m.on for m in ben_tre.meetings) <= UNTIL
    for meeting in ben_tre.meetings:
        assert units[meeting.unit].exists_on(meeting.on), meeting


def test_kinds_sit_at_their_levels_and_volume_is_sane(ben_tre: Generated) -> None:
    units = ben_tre.units()
    levels = Counter((units[m.unit].level, m.kind) for m in ben_tre.meetings)
    assert set(levels) == {
        ("hamlet", "regular"),
        ("commune", "committee"),
        ("household_group", "visit"),
    }
    hamlets = sum(u.level == "hamlet" for u in ben_tre.roster.units)
    communes = len({m.unit for m in ben_tre.meetings if m.kind == "committee"})
    months = 40  # September 2022 .. December 2025
    assert levels[("hamlet", "regular")] == pytest.approx(hamlets * months, rel=0.02)
    assert levels[("commune", "committee")] == pytest.approx(communes * months, rel=0.02)
    assert len(ben_tre.meetings) < 200_000
    assert len(ben_tre.rows) < 2 * len(ben_tre.meetings)


# --- rates -----------------------------------------------------------------------------------


def test_few_meetings_fall_outside_their_window(ben_tre: Generated) -> None:
    units = ben_tre.units()
    windows = ben_tre.store.policy_on(SINCE).activity.windows
    assert {w.level for w in windows} == {"hamlet", "commune"}
    for window in windows:
        governed = [
            m
            for m in ben_tre.meetings
            if units[m.unit].level == window.level and m.kind in window.kinds
        ]
        outside = [m for m in governed if not window.holds(m, window.level)]
        assert 0.02 <= len(outside) / len(governed) <= 0.06, window.id


def test_absent_rows_give_reasons(ben_tre: Generated) -> None:
    absent = [row for row in ben_tre.rows if not row.present]
    reasons = Counter(row.reason for row in absent)
    assert set(reasons) == {"", *REASONS}
    assert 0.03 <= len(absent) / len(ben_tre.rows) <= 0.2


def test_each_half_year_some_hamlet_supporters_miss_every_meeting(ben_tre: Generated) -> None:
    units = ben_tre.units()
    cadres = {c.id: c for c in ben_tre.roster.cadres}
    present = present_at(ben_tre.rows, {m.id: m for m in ben_tre.meetings})
    for start, end in HALVES:
        pairs = covering(ben_tre, "hamlet", start, cadres, units)
        assert len(pairs) > 800
        missed = [
            a
            for a in pairs
            if not any(m.unit == a.unit and start <= m.on < end for m in present[a.cadre])
        ]
        assert 0.05 <= len(missed) / len(pairs) <= 0.15, (start, len(missed), len(pairs))


@pytest.mark.parametrize("on", [date(2023, 9, 1), date(2024, 4, 1), date(2025, 1, 1), UNTIL])
def test_active_coverage_sits_visibly_below_assigned(ben_tre: Generated, on: date) -> None:
    """Present at the unit (or under it, as the policy says) in [months before ``on``, ``on``]
    (graph.presence)."""
    units = ben_tre.units()
    cadres = {c.id: c for c in ben_tre.roster.cadres}
    present = present_at(ben_tre.rows, {m.id: m for m in ben_tre.meetings})
    rules = ben_tre.store.policy_on(on).activity
    start = months_before(on, rules.active_months)

    def above(code: str, day: date, depth: int) -> list[str]:
        out, unit = [code], units[code]
        for _step in range(depth):
            parent = unit.parent_on(day)
            if parent is None:
                break
            out.append(parent)
            unit = units[parent]
        return out

    for level in ("commune", "hamlet", "household_group"):
        presence = rules.presence_for(level)
        pairs = covering(ben_tre, level, on, cadres, units)
        active = [
            a
            for a in pairs
            if any(
                start <= m.on <= on
                and (not presence.kinds or m.kind in presence.kinds)
                and a.unit in above(m.unit, m.on, presence.below)
                for m in present[a.cadre]
            )
        ]
        share = len(active) / len(pairs)
        assert 0.8 <= share <= 0.96, (level, on, len(active), len(pairs))


def test_most_committee_members_meet_their_yearly_minimum(ben_tre: Generated) -> None:
    units = ben_tre.units()
    rules = ben_tre.store.policy_on(SINCE).activity
    present = present_at(ben_tre.rows, {m.id: m for m in ben_tre.meetings})
    holders = [c for c in ben_tre.roster.cadres if rules.minimum_for(c.titles) is not None]
    assert holders
    for year in (2023, 2024, 2025):
        met = 0
        for cadre in holders:
            minimum = rules.minimum_for(cadre.titles)
            assert minimum is not None
            held = [
                m
                for m in present[cadre.id]
                if m.on.year == year and units[m.unit].level == minimum.level
            ]
            met += len(held) >= minimum.per_year
        assert 0.85 <= met / len(holders) <= 0.95, (year, met, len(holders))


# --- the two-tier map ------------------------------------------------------------------------


def test_after_the_reform_the_day_s_policy_and_map_decide(
    ben_tre: Generated, merged_dir: Path
) -> None:
    """The roster of 2022 over the map of ``merged_dir``: the two-tier policy and Vĩnh Long's
    communes from 1 July 2025, Bến Tre's hamlets hanging from them."""
    store = MemoryStore.open(merged_dir)
    part = one_district(ben_tre.store, ben_tre.roster)
    meetings, rows = generate_activity(store, part, 1, date(2026, 6, 30))
    by_id = {m.id: m for m in meetings}
    cadres = {c.id: c for c in part.cadres}
    after = [m for m in meetings if m.on >= REFORM]
    assert {m.kind for m in after} == {"regular", "committee", "visit"}
    # No districts from 1 July 2025: no district cadre counts for anything, so none attends.
    district = [r for r in rows if cadres[r.cadre].level == "district"]
    assert district
    assert all(by_id[r.meeting].on < REFORM for r in district)
    # Committees meet at the communes the hamlets hang from on the day, which exist then.
    units = store.units({m.unit for m in meetings})
    parents = {units[m.unit].parent_on(m.on) for m in after if m.kind == "regular"}
    committees = {m.unit for m in after if m.kind == "committee"}
    assert parents == committees
    assert all(units[m.unit].exists_on(m.on) for m in meetings)
    before = {c.code: c for c in store.children("831", SINCE)}
    ended = {code for code, commune in before.items() if not commune.exists_on(REFORM)}
    assert ended and not committees & ended
    assert len(committees) < len(before)


# --- petitions -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def petitions(ben_tre: Generated) -> list[Petition]:
    return generate_petitions(ben_tre.store, ben_tre.roster, 1, UNTIL)


class Chain:
    """Who supports a unit, and the units above it, on a day (under that day's policy and map),
    worked out from the roster afresh."""

    def __init__(self, store: GraphStore, roster: Roster) -> None:
        self.store = store
        self.cadres = {c.id: c for c in roster.cadres}
        self.by_unit: dict[str, list[Assignment]] = defaultdict(list)
        for assignment in roster.assignments:
            self.by_unit[assignment.unit].append(assignment)
        self.units: dict[str, Unit] = {u.code: u for u in roster.units}
        self.units.update(store.units(list(self.units)))

    def unit(self, code: str) -> Unit:
        if code not in self.units:
            self.units.update(self.store.units([code]))
        return self.units[code]

    def above(self, code: str, day: date) -> list[str]:
        out, unit = [], self.unit(code)
        while (parent := unit.parent_on(day)) is not None:
            out.append(parent)
            unit = self.unit(parent)
        return out

    def supporters(self, code: str, day: date) -> set[str]:
        policy = self.store.policy_on(day)
        level = self.unit(code).level
        return {
            a.cadre
            for a in self.by_unit.get(code, ())
            if a.in_force_on(day)
            and self.cadres[a.cadre].active_on(day)
            and policy.covers(self.cadres[a.cadre], a.role, level)
        }

    def check(self, petition: Petition, until: date) -> None:
        """The receiver supports the unit on the day it was raised; each hand-over goes to a
        supporter of a unit further up the chain on its day, before the petition ended."""
        assert petition.received_by in self.supporters(petition.unit, petition.raised), petition
        ended = petition.ended
        last, depth = petition.raised, 0
        for handover in petition.handovers:
            assert last < handover.on <= until, petition
            assert ended is None or handover.on < ended, petition
            chain = self.store.policy_on(handover.on).chain
            ancestors = self.above(petition.unit, handover.on)
            found = [
                i
                for i, code in enumerate(ancestors, start=1)
                if i > depth
                and self.unit(code).level in chain
                and handover.cadre in self.supporters(code, handover.on)
            ]
            assert found, (petition, handover)
            last, depth = handover.on, found[0]


def test_petitions_same_seed_same_list_other_seed_other_list(
    ben_tre: Generated, petitions: list[Petition]
) -> None:
    assert generate_petitions(ben_tre.store, ben_tre.roster, 1, UNTIL) == petitions
    other = generate_petitions(ben_tre.store, ben_tre.roster, 2, UNTIL)
    assert other != petitions
    assert len(other) == pytest.approx(len(petitions), rel=0.1)


def test_petition_ids_are_unique_and_in_order(petitions: list[Petition]) -> None:
    ids = [p.id for p in petitions]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"KN-83-\d{6}", i) for i in ids)
    assert petitions == sorted(petitions, key=lambda p: (p.raised, p.id))


def test_petitions_are_raised_at_existing_hamlets_and_groups(
    ben_tre: Generated, petitions: list[Petition]
) -> None:
    units = ben_tre.units()
    texts = {text: kind for text, kind, _higher in TOPICS}
    assert min(p.raised for p in petitions) >= SINCE
    assert max(p.raised for p in petitions) <= UNTIL
    for petition in petitions:
        unit = units[petition.unit]
        assert unit.level in ("hamlet", "household_group"), petition
        assert unit.exists_on(petition.raised), petition
        assert petition.kind in PETITION_KINDS
        assert texts[petition.text] == petition.kind
    levels = Counter(units[p.unit].level for p in petitions)
    assert levels["hamlet"] and levels["household_group"]


def test_every_handler_supports_a_unit_in_the_chain_above_on_the_day(
    ben_tre: Generated, petitions: list[Petition]
) -> None:
    chain = Chain(ben_tre.store, ben_tre.roster)
    for petition in petitions:
        chain.check(petition, UNTIL)
    # Under Quy định 559: commune cadre (group), then district (hamlet), then province (commune).
    cadres = {c.id: c for c in ben_tre.roster.cadres}
    twice = [p for p in petitions if len(p.handovers) == 2]
    assert twice
    for petition in twice:
        if petition.unit.count(".") == 2:
            levels = [cadres[c].level for c in petition.handlers()]
            assert levels == ["commune", "district", "province"], petition


def test_petitions_end_after_they_are_raised_and_by_until(petitions: list[Petition]) -> None:
    for petition in petitions:
        assert petition.answered is None or petition.closed is None, petition
        for day in (petition.answered, petition.closed):
            assert day is None or petition.raised <= day <= UNTIL, petition


def test_petition_rates_are_believable(ben_tre: Generated, petitions: list[Petition]) -> None:
    hamlets = sum(u.level == "hamlet" for u in ben_tre.roster.units)
    years = (UNTIL - SINCE).days / 365.25
    assert 1 <= len(petitions) / hamlets / years <= 3
    kinds = Counter(p.kind for p in petitions)
    assert 0.1 <= kinds["complaint"] / len(petitions) <= 0.4
    passed = Counter(len(p.handovers) for p in petitions)
    assert passed[0] > passed[1] > passed[2] > 0
    days = rules_days(ben_tre)
    answered = [(p.answered - p.raised).days for p in petitions if p.answered is not None]
    assert 15 <= statistics.median(answered) <= 20
    late = sum(d > days for d in answered) / len(answered)
    assert 0.1 <= late <= 0.2
    in_time = sum(p.answered_in_time(days) for p in petitions)
    assert in_time == sum(d <= days for d in answered)
    closed = sum(p.closed is not None for p in petitions)
    assert 0.01 <= closed / len(petitions) <= 0.05
    still = [p for p in petitions if p.open_on(UNTIL)]
    assert 20 <= len(still) <= 0.05 * len(petitions)
    recent = [p for p in still if (UNTIL - p.raised).days <= 90]
    assert len(recent) >= 0.9 * len(still)
    overdue = [p for p in still if p.overdue_on(UNTIL, days)]
    assert 0 < len(overdue) < len(still) / 2


def rules_days(g: Generated) -> int:
    return g.store.policy_on(UNTIL).activity.petition_answer_days


def test_petitions_until_defaults_to_today_and_none_before_the_start(ben_tre: Generated) -> None:
    part = one_district(ben_tre.store, ben_tre.roster)
    found = generate_petitions(ben_tre.store, part, 1)
    assert found and max(p.raised for p in found) <= today()
    assert all(p.ended is None or p.ended <= today() for p in found)
    assert generate_petitions(ben_tre.store, part, 1, SINCE - timedelta(days=1)) == []


def test_petitions_after_the_reform_follow_the_day_s_chain(
    ben_tre: Generated, merged_dir: Path
) -> None:
    """From 1 July 2025 (two-tier policy, Vĩnh Long's communes) no district cadre handles a
    petition; the 2022 roster has no supporter of hamlets then, so hamlets raise none and a
    group's petition goes straight to its commune's provincial supporter."""
    store = MemoryStore.open(merged_dir)
    part = one_district(ben_tre.store, ben_tre.roster)
    until = date(2026, 6, 30)
    found = generate_petitions(store, part, 1, until)
    chain = Chain(store, part)
    for petition in found:
        chain.check(petition, until)
    cadres = {c.id: c for c in part.cadres}
    after = [p for p in found if p.raised >= REFORM]
    assert after
    assert all(p.unit.count(".") == 2 for p in after)
    handed = [h for p in found for h in p.handovers if cadres[h.cadre].level == "district"]
    assert handed and all(h.on < REFORM for h in handed)
    assert any(cadres[h.cadre].level == "province" for p in after for h in p.handovers)
