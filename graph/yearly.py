"""A cadre's yearly record (phiếu đánh giá): the units followed and the days held, meetings
attended against the policy's minimum, petitions received, passed on and answered in time, and
the coverage of the units followed at the year's end, on either store.

The year is counted under the policy in force on its last day (the day asked about when the
year is not over); a year before every policy is refused with what to do. Activity in a year
that spans a reorganisation is counted under the map of the day it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from graph.activity import Minimum
from graph.dates import today
from graph.i18n import _
from graph.model import Cadre, Unit
from graph.stores.port import GraphStore, NotFound

__all__ = ["Followed", "YearlyRecord", "yearly_record"]


@dataclass(frozen=True, slots=True)
class Followed:
    """A unit the cadre followed in the year, in ``role``, for ``days`` days of it; its
    coverage at the year's end (None when the assignment had ended by then)."""

    unit: Unit
    role: str
    days: int
    households: int | None
    households_reached: int | None


@dataclass(frozen=True, slots=True)
class YearlyRecord:
    cadre: Cadre
    year: int
    #: The last day counted: 31 December, or the day asked about for the current year.
    end: date
    policy: str
    illustrative: bool
    followed: tuple[Followed, ...]
    meetings_attended: int
    meetings_missed: int
    minimum: Minimum | None
    petitions_received: int
    petitions_passed_on: int
    petitions_answered_in_time: int
    petitions_answered_late: int
    petitions_open: int

    @property
    def meets_minimum(self) -> bool | None:
        """Whether the attendance reaches the minimum of the cadre's title (None: none)."""
        if self.minimum is None:
            return None
        return self.meetings_attended >= self.minimum.per_year

    @property
    def households(self) -> int:
        return sum(f.households or 0 for f in self.followed)

    @property
    def households_reached(self) -> int:
        return sum(f.households_reached or 0 for f in self.followed)


class NoPolicyInYear(ValueError):
    def __init__(self, year: int, first: date | None) -> None:
        super().__init__(str(year))
        self.year, self.first = year, first

    def __str__(self) -> str:
        return _(
            "no policy was in force in {year}: the first one starts on {start}; ask about a later "
            "year, or put a policy in force (`nam policy set`)"
        ).format(year=self.year, start=self.first.isoformat() if self.first else "?")


def yearly_record(
    store: GraphStore, cadre_id: str, year: int, as_of: date | None = None
) -> YearlyRecord:
    """The record of ``cadre_id`` in ``year`` (see the module)."""
    store = store.pinned()
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), as_of or today())
    first = store.timeline.entries[0][0] or store.timeline.first.valid_from
    if end < start or (first is not None and end < first):
        raise NoPolicyInYear(year, first)
    cadre = store.cadre(cadre_id)
    if cadre is None:
        raise NotFound("cadre", cadre_id)
    policy = store.policy_on(end)
    after = end + timedelta(days=1)
    held = [
        a
        for a in store.assignments(cadre=cadre_id)
        if a.since < after and (a.until is None or a.until > start)
    ]
    units = store.units({a.unit for a in held})
    standing = [a.unit for a in held if a.in_force_on(end) and a.unit in units]
    coverages = store.coverage_of(
        [code for code in dict.fromkeys(standing) if units[code].exists_on(end)], end
    )
    followed = []
    for a in sorted(held, key=lambda a: (a.unit, a.since)):
        if a.unit not in units:
            continue
        first_day = max(a.since, start)
        last_day = min(a.until or after, after)
        found = coverages.get(a.unit) if a.in_force_on(end) else None
        followed.append(
            Followed(
                units[a.unit].on(min(last_day - timedelta(days=1), end)),
                a.role,
                (last_day - first_day).days,
                found.households if found else None,
                found.households_reached if found else None,
            )
        )
    minimum = policy.activity.minimum_for(cadre.titles)
    rows = store.attended([cadre_id], start, after).get(cadre_id, [])
    level = minimum.level if minimum is not None else None
    counted_units = store.units({m.unit for m, _row in rows})
    counted = [
        (m, row)
        for m, row in rows
        if level is None or (m.unit in counted_units and counted_units[m.unit].level == level)
    ]
    petitions = store.petitions_of([cadre_id], start, after).get(cadre_id, [])
    days = policy.activity.petition_answer_days
    answered = [p for p in petitions if p.answered is not None and p.answered <= end]
    return YearlyRecord(
        cadre=cadre,
        year=year,
        end=end,
        policy=policy.id,
        illustrative=policy.activity.illustrative,
        followed=tuple(followed),
        meetings_attended=sum(1 for _m, row in counted if row.present),
        meetings_missed=sum(1 for _m, row in counted if not row.present),
        minimum=minimum,
        petitions_received=sum(1 for p in petitions if p.received_by == cadre_id),
        petitions_passed_on=sum(
            1
            for p in petitions
            if any(
                h.on <= end and prior == cadre_id
                for prior, h in zip(p.handlers(), p.handovers, strict=False)
            )
        ),
        petitions_answered_in_time=sum(1 for p in answered if p.answered_in_time(days)),
        petitions_answered_late=sum(1 for p in answered if not p.answered_in_time(days)),
        petitions_open=sum(1 for p in petitions if p.open_on(end)),
    )
