"""The yearly records (phiếu đánh giá) of the cadres of an area, as a report: one sheet per unit
one level below the area as the map stood at the year's end (the districts of a province on
the three-tier map, its communes on the two-tier one), one row per cadre working in that unit
or supporting a unit in it during the year, with the figures of :func:`graph.yearly.
yearly_record` (units followed, meetings against the minimum, petitions).

A cadre working in one unit and supporting units in another is on both sheets. The words are
message ids, translated when the report is written (Vietnamese by default)."""

from __future__ import annotations

from datetime import date, timedelta

from graph.dates import today
from graph.i18n import N_, _
from graph.model import Cadre, Unit
from graph.stores.port import GraphStore, need_unit_on
from graph.yearly import NoPolicyInYear, YearlyRecord, yearly_record
from namgraph.reports import labels
from namgraph.reports.table import Column, Kind, Report, Sheet, Value

__all__ = ["RECORD_COLUMNS", "area_cadres", "record_row", "records_report", "year_end"]

RECORDS_TITLE = N_("Yearly records of cadres, {year}")
AREA_CODE = N_("Area code")
UNITS_FOLLOWED = N_("Units followed")
UNIT_CODES = N_("Codes of the units followed")
DAYS_FOLLOWED = N_("Days followed, all units")
MEETINGS_ATTENDED = N_("Meetings attended")
MEETINGS_MISSED = N_("Meetings missed")
MINIMUM = N_("Minimum meetings a year")
MEETS_MINIMUM = N_("Minimum reached")
RECEIVED = N_("Petitions received")
PASSED_ON = N_("Petitions passed on")
IN_TIME = N_("Answered in time")
LATE = N_("Answered late")
STILL_OPEN = N_("Still open")

RECORD_COLUMNS = (
    Column(AREA_CODE, width=10, machine=True),
    Column(labels.CADRE_ID, width=11),
    Column(labels.CADRE_NAME, width=24),
    Column(labels.LEVEL_ID, width=10, machine=True),
    Column(labels.LEVEL, width=10),
    Column(labels.CADRE_TITLES, width=24),
    Column(labels.HOME_CODE, width=11),
    Column(labels.HOME_NAME, width=20),
    Column(UNITS_FOLLOWED, Kind.COUNT, width=9),
    Column(UNIT_CODES, width=16),
    Column(DAYS_FOLLOWED, Kind.COUNT, width=9),
    Column(labels.HOUSEHOLDS, Kind.COUNT, width=9),
    Column(labels.HOUSEHOLDS_REACHED, Kind.COUNT, width=9),
    Column(labels.HOUSEHOLDS_RATIO, Kind.RATIO, width=8),
    Column(MEETINGS_ATTENDED, Kind.COUNT, width=9),
    Column(MEETINGS_MISSED, Kind.COUNT, width=9),
    Column(MINIMUM, Kind.COUNT, width=9),
    Column(MEETS_MINIMUM, Kind.FLAG, width=8),
    Column(RECEIVED, Kind.COUNT, width=9),
    Column(PASSED_ON, Kind.COUNT, width=9),
    Column(IN_TIME, Kind.COUNT, width=9),
    Column(LATE, Kind.COUNT, width=9),
    Column(STILL_OPEN, Kind.COUNT, width=9),
    Column(labels.AS_OF, Kind.DATE, width=11),
)


def year_end(year: int, as_of: date | None = None) -> date:
    """The last day a record of ``year`` counts: 31 December, or ``as_of`` (today when None)
    for a year not over."""
    return min(date(year, 12, 31), as_of or today())


def area_cadres(store: GraphStore, code: str, year: int, end: date) -> list[Cadre]:
    """The cadres working in a unit at or below ``code`` and active some day of the year, or
    holding an assignment in force some day of it to such a unit; by id."""
    start, after = date(year, 1, 1), end + timedelta(days=1)
    codes = {u.code for u in store.subtree(code)}
    ids = {
        a.cadre
        for a in store.assignments_to(codes)
        if a.unit in codes and a.since < after and (a.until is None or a.until > start)
    }
    found = {c.id: c for c in store.cadres_of(codes) if c.active_on(start) or c.active_on(end)}
    found.update(store.cadres(ids - found.keys()))
    return [found[key] for key in sorted(found)]


def record_row(
    store: GraphStore, area: str, record: YearlyRecord, homes: dict[str, Unit]
) -> tuple[Value, ...]:
    """A cadre's record as a row of :data:`RECORD_COLUMNS`."""
    policy = store.policy_on(record.end)
    cadre = record.cadre
    home = homes.get(cadre.home_unit)
    households = record.households
    ratio = record.households_reached / households if households else None
    return (
        area,
        cadre.id,
        cadre.name,
        cadre.level,
        labels.level_name(policy, cadre.level),
        "; ".join(labels.title_name(policy, t) for t in cadre.titles),
        cadre.home_unit,
        home.on(record.end).name if home is not None else None,
        len({f.unit.code for f in record.followed}),
        "; ".join(dict.fromkeys(f.unit.code for f in record.followed)),
        sum(f.days for f in record.followed),
        households,
        record.households_reached,
        ratio,
        record.meetings_attended,
        record.meetings_missed,
        record.minimum.per_year if record.minimum is not None else None,
        record.meets_minimum,
        record.petitions_received,
        record.petitions_passed_on,
        record.petitions_answered_in_time,
        record.petitions_answered_late,
        record.petitions_open,
        record.end,
    )


def records_report(store: GraphStore, code: str, year: int, as_of: date | None = None) -> Report:
    """The yearly records of ``year`` under the unit ``code`` (see the module). A year before
    every policy raises :class:`graph.yearly.NoPolicyInYear`."""
    store = store.pinned()
    end = year_end(year, as_of)
    first = store.timeline.entries[0][0] or store.timeline.first.valid_from
    if end < date(year, 1, 1) or (first is not None and end < first):
        raise NoPolicyInYear(year, first)
    root = need_unit_on(store, code, end)
    areas = store.children(code, end)
    sheets = []
    for area in areas:
        cadres = area_cadres(store, area.code, year, end)
        homes = dict(store.units({c.home_unit for c in cadres}))
        rows = [
            record_row(store, area.code, yearly_record(store, c.id, year, end), homes)
            for c in cadres
        ]
        sheets.append(Sheet(area.on(end).name, RECORD_COLUMNS, rows))
    if not sheets:
        sheets.append(Sheet(root.on(end).name, RECORD_COLUMNS, []))
    return Report(_(RECORDS_TITLE).format(year=year), root, end, sheets)
