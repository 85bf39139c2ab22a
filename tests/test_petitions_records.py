"""Petitions under a unit and a cadre's yearly record, on both stores (issue: from assigned to
present). The generated Bến Tre: hamlet 28801.01 is followed by district cadre 831-0001, its
commune 28801 by provincial cadre 83-0024, both since 26 August 2022."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from graph.activity import Attendance, Handover, Meeting, Petition, meeting_key
from graph.petitions import petitions_under
from graph.stores.port import ChangeSet, GraphStore
from graph.yearly import NoPolicyInYear, yearly_record

HAMLET, OTHER_COMMUNE_HAMLET = "28801.01", "28803.01"
DISTRICT_CADRE, PROVINCE_CADRE = "831-0001", "83-0024"
ON = date(2023, 6, 30)


def group_supporter(store: GraphStore) -> tuple[str, str]:
    group = store.children(HAMLET, ON)[0]
    (supporter,) = store.supporters([group.code], ON)[group.code]
    return group.code, supporter.cadre.id


def petitions(store: GraphStore) -> list[Petition]:
    group, commune_cadre = group_supporter(store)
    return [
        # answered in 10 days, after one hand-over
        Petition(
            "KN-1",
            group,
            date(2023, 2, 1),
            commune_cadre,
            text="Đường ngập nước",
            handovers=(Handover(DISTRICT_CADRE, date(2023, 2, 3)),),
            answered=date(2023, 2, 11),
        ),
        # answered late: 40 days
        Petition("KN-2", HAMLET, date(2023, 3, 1), DISTRICT_CADRE, answered=date(2023, 4, 10)),
        # open and overdue, waiting with the province's cadre
        Petition(
            "KN-3",
            group,
            date(2023, 5, 1),
            commune_cadre,
            "complaint",
            handovers=(
                Handover(DISTRICT_CADRE, date(2023, 5, 5)),
                Handover(PROVINCE_CADRE, date(2023, 5, 20)),
            ),
        ),
        # open, not overdue yet
        Petition("KN-4", HAMLET, date(2023, 6, 20), DISTRICT_CADRE),
        # closed without an answer
        Petition("KN-5", HAMLET, date(2023, 4, 1), DISTRICT_CADRE, closed=date(2023, 4, 2)),
        # raised after the day asked about
        Petition("KN-6", HAMLET, date(2023, 7, 5), DISTRICT_CADRE),
    ]


def test_petitions_are_kept_and_read_back(
    store: GraphStore, reopen: Callable[[], GraphStore]
) -> None:
    written = petitions(store)
    store.apply(ChangeSet(petitions=written))
    again = reopen()
    assert again.petitions([p.id for p in written]) == {p.id: p for p in written}
    assert again.petitions_at([HAMLET], date(2023, 1, 1), ON) == [
        p
        for p in sorted(written, key=lambda p: (p.raised, p.id))
        if p.unit == HAMLET and p.raised < ON
    ]
    mine = again.petitions_of([PROVINCE_CADRE, DISTRICT_CADRE], date(2023, 1, 1), ON)
    assert [p.id for p in mine[PROVINCE_CADRE]] == ["KN-3"]
    assert [p.id for p in mine[DISTRICT_CADRE]] == ["KN-1", "KN-2", "KN-5", "KN-3", "KN-4"]


def test_open_and_overdue_petitions_under_a_district(store: GraphStore) -> None:
    store.apply(ChangeSet(petitions=petitions(store)))
    report = petitions_under(store, "831", ON)
    assert [(w.petition.id, w.overdue) for w in report.open] == [("KN-3", True), ("KN-4", False)]
    assert [w.holder.id if w.holder else None for w in report.open] == [
        PROVINCE_CADRE,
        DISTRICT_CADRE,
    ]
    assert report.by_level == {"district": (1, 0), "province": (1, 1)}
    assert report.by_cadre == {DISTRICT_CADRE: (1, 0), PROVINCE_CADRE: (1, 1)}
    # answered: 10 and 40 days, both in commune 28801
    assert report.median_days == {"28801": 25.0} and report.answered == 2
    assert petitions_under(store, "831", date(2023, 1, 31)).open == ()


def test_a_yearly_record_counts_what_the_cadre_did(store: GraphStore) -> None:
    store.apply(ChangeSet(petitions=petitions(store)))
    held = [
        Meeting(
            meeting_key(HAMLET, date(2023, m, 12), "regular"), HAMLET, date(2023, m, 12), "regular"
        )
        for m in (1, 2, 3)
    ]
    store.apply(
        ChangeSet(
            meetings=held,
            attendance=[
                Attendance(held[0].id, DISTRICT_CADRE),
                Attendance(held[1].id, DISTRICT_CADRE),
                Attendance(held[2].id, DISTRICT_CADRE, present=False, reason="ốm"),
            ],
        )
    )
    record = yearly_record(store, DISTRICT_CADRE, 2023, as_of=ON)
    assert record.end == ON and record.policy == "ben-tre-559" and record.illustrative
    assert [(f.unit.code, f.role, f.days) for f in record.followed] == [
        (code, "support", 181)  # 1 January to 30 June, both counted
        for code in sorted(a.unit for a in store.assignments(cadre=DISTRICT_CADRE))
    ]
    coverage = store.coverage(HAMLET, ON)
    first = next(f for f in record.followed if f.unit.code == HAMLET)
    assert (first.households, first.households_reached) == (
        coverage.households,
        coverage.households_reached,
    )
    assert (record.meetings_attended, record.meetings_missed) == (2, 1)
    assert record.minimum is None and record.meets_minimum is None  # a district cadre
    assert (record.petitions_received, record.petitions_passed_on) == (3, 1)  # KN-3 only
    assert (record.petitions_answered_in_time, record.petitions_answered_late) == (1, 1)
    assert record.petitions_open == 2


def test_a_year_before_every_policy_is_refused(store: GraphStore) -> None:
    with pytest.raises(NoPolicyInYear, match="2010"):
        yearly_record(store, DISTRICT_CADRE, 2010)


def test_petition_texts_are_for_officers_and_each_read_is_audited(world: Any) -> None:
    from namgraph.api.auth import Role

    store = world.oracle
    officer = world.callers[Role.DISTRICT_OFFICER]
    commune = store.children(officer.scope, ON)[0]
    hamlet = store.children(commune.code, ON)[0]
    (supporter,) = store.supporters([hamlet.code], ON)[hamlet.code]
    petition = Petition("KN-A", hamlet.code, date(2023, 6, 1), supporter.cadre.id, text="Cầu hư")
    world.api.store.apply(ChangeSet(petitions=[petition]))
    query = """query($unit: ID!) { petitions(unit: $unit, asOf: "2023-06-30") {
        open { id text waitingWith { id } } } }"""
    seen = world.ask(Role.DISTRICT_OFFICER, query, unit=officer.scope)["data"]["petitions"]
    assert seen["open"] == [
        {"id": "KN-A", "text": "Cầu hư", "waitingWith": {"id": supporter.cadre.id}}
    ]
    hidden = world.ask(Role.ANALYST, query, unit=officer.scope)["data"]["petitions"]
    assert hidden["open"][0]["text"] is None
    reads = [r for r in world.audit_lines() if r["outcome"] == "PETITION_TEXT"]
    assert [(r["event"], r["petition"]) for r in reads] == [("read", "KN-A")]
    # another province's officer sees nothing of it
    other = world.ask(Role.PROVINCE_ADMIN, query, unit="48")
    assert "KN-A" not in str(other)


def test_graphql_petitions_and_record_give_what_the_store_answers(store: GraphStore) -> None:
    from tests.test_api import Server

    store.apply(ChangeSet(petitions=petitions(store)))
    text = """query($unit: ID!, $cadre: ID!) {
      petitions(unit: $unit, asOf: "2023-06-30") {
        answerDays answered open { id overdue daysOpen waitingWith { id } }
        byLevel { key open overdue } medianDays { unit days } }
      record(cadre: $cadre, year: 2023, asOf: "2023-06-30") {
        year end policy illustrative meetingsAttended minimum meetsMinimum
        petitionsReceived petitionsPassedOn petitionsAnsweredInTime petitionsAnsweredLate
        petitionsOpen followed { unit { code } days households householdsReached } } }"""
    with Server(store) as api:
        data = api.data(text, unit="831", cadre=DISTRICT_CADRE)
    report = petitions_under(store, "831", ON)
    assert data["petitions"]["answerDays"] == report.answer_days == 30
    assert data["petitions"]["answered"] == report.answered
    assert [
        (p["id"], p["overdue"], p["daysOpen"], p["waitingWith"]["id"])
        for p in data["petitions"]["open"]
    ] == [
        (w.petition.id, w.overdue, w.days, w.holder.id if w.holder else None) for w in report.open
    ]
    assert {(c["key"], c["open"], c["overdue"]) for c in data["petitions"]["byLevel"]} == {
        (k, o, d) for k, (o, d) in report.by_level.items()
    }
    assert data["petitions"]["medianDays"] == [
        {"unit": k, "days": v} for k, v in report.median_days.items()
    ]
    record = yearly_record(store, DISTRICT_CADRE, 2023, as_of=ON)
    got = data["record"]
    assert (got["year"], got["end"], got["policy"], got["illustrative"]) == (
        2023,
        "2023-06-30",
        "ben-tre-559",
        True,
    )
    assert (
        (got["petitionsReceived"], got["petitionsPassedOn"], got["petitionsOpen"])
        == (
            record.petitions_received,
            record.petitions_passed_on,
            record.petitions_open,
        )
        == (3, 1, 2)
    )
    assert (got["minimum"], got["meetsMinimum"]) == (None, None)
    assert [(f["unit"]["code"], f["days"], f["householdsReached"]) for f in got["followed"]] == [
        (f.unit.code, f.days, f.households_reached) for f in record.followed
    ]
