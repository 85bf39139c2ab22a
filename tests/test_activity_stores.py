"""Meetings, attendance and active coverage on both stores (issue: from assigned to present).

Commune 28801 (Thị trấn Châu Thành) of the generated Bến Tre has 7 hamlets and 111 household
groups, all covered on 1 May 2023 by assignments made on 26 August 2022, so every supporter
there was assigned more than the policy's 6 months before: without activity, none is present.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from graph.activity import Attendance, Meeting, meeting_key
from graph.answers import GapReason
from graph.presence import absent_assignments, active_coverage, active_gaps
from graph.scope import OutOfScope
from graph.stores.port import ChangeSet, GraphStore

ON = date(2023, 5, 1)
COMMUNE, HAMLET, OTHER_HAMLET = "28801", "28801.01", "28801.02"
COMMUNE_SUPPORTER, HAMLET_SUPPORTER = "83-0024", "831-0001"


def meeting(unit: str, on: date, kind: str = "regular") -> Meeting:
    return Meeting(meeting_key(unit, on, kind), unit, on, kind)


def group_of(store: GraphStore) -> tuple[str, str, int]:
    """The first household group of HAMLET, its supporter and its households."""
    group = store.children(HAMLET, ON)[0]
    (supporter,) = store.supporters([group.code], ON)[group.code]
    return group.code, supporter.cadre.id, group.households or 0


def covered(store: GraphStore, code: str, active: bool) -> dict[str, tuple[int, int]]:
    found = active_coverage(store, code, ON) if active else store.coverage(code, ON)
    return {lvl.level: (lvl.units, lvl.covered) for lvl in found.levels}


def test_without_activity_no_supporter_is_present(store: GraphStore) -> None:
    plain = store.coverage(COMMUNE, ON)
    active = active_coverage(store, COMMUNE, ON)
    assert covered(store, COMMUNE, False) == {
        "commune": (1, 1),
        "hamlet": (7, 7),
        "household_group": (111, 111),
    }
    assert covered(store, COMMUNE, True) == {
        "commune": (1, 0),
        "hamlet": (7, 0),
        "household_group": (111, 0),
    }
    assert (active.households, active.households_reached) == (plain.households, 0)
    assert plain.households_reached == plain.households > 0


def test_a_supporter_is_present_by_attending_within_the_period(store: GraphStore) -> None:
    group, visitor, households = group_of(store)
    cell = meeting(HAMLET, date(2023, 3, 12))
    visit = meeting(group, date(2023, 4, 2), "visit")
    store.apply(
        ChangeSet(
            meetings=[cell, visit],
            attendance=[
                Attendance(cell.id, HAMLET_SUPPORTER),
                # the commune's supporter counts at a hamlet meeting one level below it
                Attendance(cell.id, COMMUNE_SUPPORTER),
                Attendance(visit.id, visitor),
            ],
        )
    )
    assert covered(store, COMMUNE, True) == {
        "commune": (1, 1),
        "hamlet": (7, 1),
        "household_group": (111, 1),
    }
    assert active_coverage(store, COMMUNE, ON).households_reached == households
    assert active_coverage(store, HAMLET, ON).households_reached == households
    # plain coverage is unchanged by activity
    assert covered(store, COMMUNE, False)["household_group"] == (111, 111)


def test_what_does_not_count_as_present(store: GraphStore) -> None:
    group, visitor, _ = group_of(store)
    early = meeting(HAMLET, date(2022, 10, 12))  # before the six months up to ON
    late = meeting(HAMLET, date(2023, 5, 2))  # after the day asked about
    missed = meeting(HAMLET, date(2023, 2, 12))
    cell_at_group = meeting(group, date(2023, 3, 3))  # a group's presence is a visit
    elsewhere = meeting(OTHER_HAMLET, date(2023, 3, 12))  # another hamlet's meeting
    store.apply(
        ChangeSet(
            meetings=[early, late, missed, cell_at_group, elsewhere],
            attendance=[
                Attendance(early.id, HAMLET_SUPPORTER),
                Attendance(late.id, HAMLET_SUPPORTER),
                Attendance(missed.id, HAMLET_SUPPORTER, present=False, reason="ốm"),
                Attendance(cell_at_group.id, visitor),
                Attendance(elsewhere.id, COMMUNE_SUPPORTER),
            ],
        )
    )
    found = covered(store, COMMUNE, True)
    # the commune's supporter was at a hamlet below it; nobody else was present
    assert found == {"commune": (1, 1), "hamlet": (7, 0), "household_group": (111, 0)}


def test_active_gaps_say_the_supporter_was_absent(store: GraphStore) -> None:
    cell = meeting(HAMLET, date(2023, 3, 12))
    store.apply(
        ChangeSet(
            meetings=[cell],
            attendance=[
                Attendance(cell.id, HAMLET_SUPPORTER),
                Attendance(cell.id, COMMUNE_SUPPORTER),
            ],
        )
    )
    assert store.gaps(COMMUNE, "hamlet", ON) == []
    gaps = active_gaps(store, COMMUNE, "hamlet", ON)
    assert [(g.unit.code, g.reason) for g in gaps] == [
        (code, GapReason.SUPPORTER_ABSENT)
        for code in sorted(u.code for u in store.children(COMMUNE, ON) if u.code != HAMLET)
    ]
    # below an absent hamlet supporter, present group supporters are cut off above
    groups = active_gaps(store, OTHER_HAMLET, "household_group", ON)
    assert {g.reason for g in groups} == {GapReason.SUPPORTER_ABSENT}


def test_a_supporter_assigned_less_than_a_period_ago_is_not_absent(store: GraphStore) -> None:
    early = date(2023, 2, 1)  # six months before: 2022-08-01, before the assignments began
    assert absent_assignments(store, COMMUNE, early).assignments == frozenset()
    assert active_coverage(store, COMMUNE, early) == store.coverage(COMMUNE, early)


def test_activity_is_kept_and_read_back(
    store: GraphStore, reopen: Callable[[], GraphStore]
) -> None:
    cell = meeting(HAMLET, date(2023, 3, 12))
    other = Meeting("HOP-2023-04", OTHER_HAMLET, date(2023, 4, 11), "thematic", "Chuyên đề Đảng")
    rows = [
        Attendance(cell.id, HAMLET_SUPPORTER),
        Attendance(cell.id, COMMUNE_SUPPORTER, present=False, reason="đi công tác"),
        Attendance(other.id, COMMUNE_SUPPORTER),
    ]
    store.apply(ChangeSet(meetings=[cell, other], attendance=rows))
    again = reopen()
    assert again.meetings([cell.id, other.id, "nothing"]) == {cell.id: cell, other.id: other}
    assert again.attendances([r.key for r in rows]) == {r.key: r for r in rows}
    assert again.meetings_at([HAMLET, OTHER_HAMLET], date(2023, 1, 1), date(2024, 1, 1)) == [
        cell,
        other,
    ]
    assert again.meetings_at([HAMLET], date(2023, 3, 13), date(2024, 1, 1)) == []
    attended = again.attended([COMMUNE_SUPPORTER, "83-9999"], date(2023, 1, 1), ON)
    assert attended == {
        COMMUNE_SUPPORTER: [(cell, rows[1]), (other, rows[2])],
        "83-9999": [],
    }
    # a corrected row replaces the one before it
    fixed = Attendance(cell.id, COMMUNE_SUPPORTER, present=True)
    again.apply(ChangeSet(attendance=[fixed]))
    assert reopen().attendances([fixed.key]) == {fixed.key: fixed}


def test_a_scope_sees_only_its_own_activity(store: GraphStore) -> None:
    inside = meeting(HAMLET, date(2023, 3, 12))
    outside_unit = next(u for u in store.children("832", ON))  # a commune of another district
    outside = meeting(outside_unit.code, date(2023, 3, 8), "committee")
    store.apply(
        ChangeSet(
            meetings=[inside, outside],
            attendance=[Attendance(inside.id, HAMLET_SUPPORTER)],
        )
    )
    view = store.scoped("831")
    assert set(view.meetings([inside.id, outside.id])) == {inside.id}
    assert view.meetings_at([outside_unit.code], date(2023, 1, 1), ON) == []
    with pytest.raises(OutOfScope):
        view.apply(ChangeSet(meetings=[meeting(outside_unit.code, date(2023, 4, 8))]))
    with pytest.raises(OutOfScope):
        view.apply(ChangeSet(attendance=[Attendance(outside.id, HAMLET_SUPPORTER)]))


def test_graphql_active_coverage_and_gaps_with_absent_supporters(store: GraphStore) -> None:
    from tests.test_api import Server

    cell = meeting(HAMLET, date(2023, 3, 12))
    store.apply(
        ChangeSet(
            meetings=[cell],
            attendance=[
                Attendance(cell.id, HAMLET_SUPPORTER),
                Attendance(cell.id, COMMUNE_SUPPORTER),
            ],
        )
    )
    text = """query($unit: ID!) {
      plain: coverage(unit: $unit, asOf: "2023-05-01") { householdsReached levels { level units covered } }
      active: activeCoverage(unit: $unit, asOf: "2023-05-01") { householdsReached levels { level units covered } }
      gaps(unit: $unit, level: "hamlet", asOf: "2023-05-01", active: true) {
        totalCount nodes { unit { code } reason } }
      plainGaps: gaps(unit: $unit, level: "hamlet", asOf: "2023-05-01") { totalCount }
    }"""
    with Server(store) as api:
        data = api.data(text, unit=COMMUNE)
    levels = {lv["level"]: (lv["units"], lv["covered"]) for lv in data["active"]["levels"]}
    assert levels == {"commune": (1, 1), "hamlet": (7, 1), "household_group": (111, 0)}
    assert data["active"]["householdsReached"] == 0 < data["plain"]["householdsReached"]
    assert data["gaps"]["totalCount"] == 6 and data["plainGaps"]["totalCount"] == 0
    assert {n["reason"] for n in data["gaps"]["nodes"]} == {"SUPPORTER_ABSENT"}


def test_both_stores_find_the_same_absent_supporters_in_generated_activity(
    data_dir: Path, request: pytest.FixtureRequest
) -> None:
    """A year and a half of generated activity in district 831, written to both stores: the
    Neo4j statement and the embedded store (and the reference over the port's reads, on
    Neo4j) find the same absent supporters, and so the same active coverage and gaps."""
    from graph.presence import find_absent
    from graph.stores.memory import MemoryStore
    from loaders.generate import generate
    from loaders.generate_activity import generate_activity

    memory = MemoryStore.open(data_dir)
    roster = generate(memory, "83", 1)
    meetings, attendance = generate_activity(memory, roster, 1, until=date(2024, 6, 30))
    inside = {u.code for u in memory.subtree("831")}
    kept = [m for m in meetings if m.unit in inside]
    held = {m.id for m in kept}
    changes = ChangeSet(meetings=kept, attendance=[a for a in attendance if a.meeting in held])
    neo4j = request.getfixturevalue("neo4j_ben_tre").checkout()
    for store in (memory, neo4j):
        store.apply(changes)
    asked = [
        ("831", date(2023, 5, 1)),
        ("831", date(2024, 6, 30)),
        ("28801", date(2024, 1, 15)),
        (HAMLET, date(2023, 11, 30)),
        ("83", date(2024, 2, 29)),
    ]
    for code, on in asked:
        found = memory.absent_supporters(code, on)
        assert neo4j.absent_supporters(code, on) == found == find_absent(neo4j, code, on)
        assert active_coverage(neo4j, code, on) == active_coverage(memory, code, on)
    some = [memory.absent_supporters(code, on) for code, on in asked]
    assert any(some) and not all(a == some[0] for a in some)
    assert active_gaps(neo4j, "831", "hamlet", date(2024, 6, 30)) == active_gaps(
        memory, "831", "hamlet", date(2024, 6, 30)
    )


def test_dropping_a_neo4j_graph_drops_its_activity(request: pytest.FixtureRequest) -> None:
    """`nam export neo4j --replace` starts from nothing: no meeting or petition survives."""
    from graph.activity import Petition
    from graph.stores.neo4j import Neo4jStore

    loaded = request.getfixturevalue("neo4j_ben_tre")
    store = loaded.checkout()
    cell = meeting(HAMLET, date(2023, 3, 12))
    store.apply(
        ChangeSet(
            meetings=[cell],
            attendance=[Attendance(cell.id, HAMLET_SUPPORTER)],
            petitions=[Petition("KN-1", HAMLET, date(2023, 3, 1), HAMLET_SUPPORTER)],
        )
    )
    Neo4jStore.drop(store.driver, "neo4j")
    records, _, _ = store.driver.execute_query("MATCH (n) RETURN count(n) AS n", database_="neo4j")
    assert records[0]["n"] == 0
