"""Believable, deterministic activity for a generated roster: meetings and who attended them.

An assignment says who should follow a unit; this module invents what they did, at rates
close enough to practice that active coverage (:mod:`graph.activity`) sits visibly below
assigned coverage without collapsing:

* every hamlet's cell meets once a month (kind ``regular``), nearly always inside the policy's
  window for hamlets (days 10-15), about 4% outside it; every commune's committee meets once
  a month (kind ``committee``), nearly always inside its window (days 7-9);
* each meeting's attendance sheet lists the supporters of its unit in force that day (under the
  policy and map of that day): present most of the time, absent with a reason (or none) the
  rest; in a half-year about one supporter in nine misses every meeting (a disengaged spell
  that tends to last into the next half-year);
* supporters of communes (and districts, under a three-tier policy) also sit in on a meeting of
  a hamlet (or commune) under their unit now and then;
* committee members holding a title named in the policy's yearly minimums attend cell meetings
  of hamlets inside their home unit: about nine in ten reach the minimum each year, the rest
  fall short;
* supporters of household groups record visits (kind ``visit``) every three to six months,
  with a long lapse now and then, so most were present within six months and some were not.

Same store, roster, seed and ``until``: same lists, in the same order (meetings by date and id,
attendance by meeting and cadre).

:func:`generate_petitions` invents the petitions (kiến nghị) and complaints (phản ánh) people
raise at hamlets and household groups, about two a year per hamlet with its groups:

* each is received by a supporter of its unit in force that day (the group's commune cadre,
  the hamlet's supporter, under the policy and map of that day); units without one that day
  raise none;
* those that need a higher level (most land files, few broken street lights) are passed up the
  chain level by level, a few days apart, to a supporter of the unit above as it hung that day
  (hamlet, then commune: the levels of the policy's ``chain``);
* answer times spread like practice: a median of about two and a half weeks, a long tail (about
  one in six answered after the policy's ``petition_answer_days``), a few closed without an
  answer; the recent ones are still open on ``until``, some of them overdue.
"""

from __future__ import annotations

import calendar
import math
import random
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from graph.activity import (
    Attendance,
    Handover,
    Meeting,
    MeetingWindow,
    Petition,
    attendance_key,
    meeting_key,
)
from graph.dates import today
from graph.model import Assignment, Cadre, Unit
from graph.policy import Policy
from graph.stores.port import GraphStore
from loaders.generate import SINCE, Roster

__all__ = ["REASONS", "TOPICS", "generate_activity", "generate_petitions"]

#: The reasons written against an absent cadre (data, as staff write them).
REASONS = ("ốm", "đi công tác", "việc gia đình")

#: The units that hold meetings of their own each month, and the kind of those meetings.
MEETING_KINDS = {"hamlet": "regular", "commune": "committee"}
#: Share of meetings held outside the policy's window for their level and kind.
OUTSIDE_WINDOW = 0.04
#: Chance that a supporter not in a disengaged spell is present at one of their unit's meetings.
PRESENT = {"hamlet": 0.85, "commune": 0.6}
PRESENT_OTHER = 0.7
#: Chance, in a month, that a supporter of a unit without a sheet of its own (a district) or
#: with one (a commune) also sits in on a meeting of a unit under it.
SIT_IN = {"commune": 0.1}
SIT_IN_OTHER = 0.4
#: A disengaged half-year (the supporter misses every meeting of the unit): its chance after an
#: engaged half-year and after a disengaged one. Stationary share 0.06 / (0.06 + 0.45) ≈ 12%.
DISENGAGE = 0.06
STAY_DISENGAGED = 0.55
#: Share of an absent row that gives a reason.
WITH_REASON = 0.7
#: Share of minimum-holding cadres who fall short of their yearly minimum.
SHORT_OF_MINIMUM = 0.1
#: Days between a supporter's visits to a household group: usually 90-180, with a lapse of
#: 200-400 days in about one gap in eight.
VISIT_GAP = (90, 180)
VISIT_LAPSE = (200, 400)
LAPSE = 0.12


def generate_activity(
    store: GraphStore, roster: Roster, seed: int = 1, until: date | None = None
) -> tuple[list[Meeting], list[Attendance]]:
    """Meetings and attendance for ``roster`` from its start (:data:`loaders.generate.SINCE`)
    to ``until`` (today when ``None``), each day under the policy and map of that day."""
    return _Activity(store, roster, seed, today() if until is None else until).run()


@dataclass(frozen=True, slots=True)
class _Pair:
    """A supporter of a unit (one assignment)."""

    assignment: Assignment
    cadre: Cadre
    unit: Unit


def _months(start: date, end: date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _half(day: date) -> int:
    return day.year * 2 + (day.month > 6)


class _Activity:
    def __init__(self, store: GraphStore, roster: Roster, seed: int, until: date) -> None:
        self.store = store
        self.until = until
        self.start = min((a.since for a in roster.assignments), default=SINCE)
        self._policies: dict[date, Policy] = {}
        first = self.policy(self.start)
        # The store's records when it has them (later versions of a unit, an ended
        # assignment, a retired cadre), else the roster's.
        self.units: dict[str, Unit] = {u.code: u for u in roster.units}
        self.units.update(store.units(list(self.units)))
        self.cadres: dict[str, Cadre] = {c.id: c for c in roster.cadres}
        self.cadres.update(store.cadres(list(self.cadres)))
        assignments = {a.id: a for a in roster.assignments}
        assignments.update(store.assignments_by_id(list(assignments)))
        province = next(
            (c.home_unit for c in roster.cadres if c.level == first.top_level), ""
        ) or self._province_of(roster.units, first.top_level)
        self.province = province
        self.rng = random.Random(f"namgraph:activity:{seed}:{province}")
        self._fetch(a.unit for a in assignments.values())
        self._fetch(c.home_unit for c in self.cadres.values())
        self.by_unit: dict[str, list[Assignment]] = defaultdict(list)
        self.by_cadre: dict[str, list[Assignment]] = defaultdict(list)
        for assignment in sorted(assignments.values(), key=lambda a: a.id):
            if assignment.cadre in self.cadres and assignment.unit in self.units:
                self.by_unit[assignment.unit].append(assignment)
                self.by_cadre[assignment.cadre].append(assignment)
        self.supported: dict[str, list[str]] = defaultdict(list)
        for code in sorted(self.by_unit):
            self.supported[self.units[code].level].append(code)
        # Who meets: the roster's hamlets; the communes they ever hung from, and those the
        # roster's cadres support.
        hamlets = sorted(u.code for u in roster.units if u.level == "hamlet")
        communes = {u.code for u in roster.units if u.level == "commune"}
        communes.update(self.supported.get("commune", ()))
        for code in hamlets:
            self._fetch(self.units[code].parents())
            communes.update(p for p in self.units[code].parents() if p in self.units)
        self.holding: dict[str, list[str]] = {
            "hamlet": hamlets,
            "commune": sorted(c for c in communes if self.units[c].level == "commune"),
        }
        for code in (*self.holding["hamlet"], *self.holding["commune"]):
            self._all_ancestors(self.units[code])
        self._epochs()
        self.meetings: dict[str, Meeting] = {}
        self.rows: dict[str, Attendance] = {}
        self.spells: dict[tuple[str, str], tuple[int, bool]] = {}
        #: Per month, the meetings (hamlet and commune) by every unit above them that day.
        self.under: dict[tuple[int, int], dict[str, list[Meeting]]] = {}

    # --- lookups ---------------------------------------------------------------------------
    def policy(self, day: date) -> Policy:
        found = self._policies.get(day)
        if found is None:
            found = self._policies[day] = self.store.policy_on(day)
        return found

    def _fetch(self, codes: Iterable[str]) -> None:
        missing = sorted({c for c in codes if c and c not in self.units})
        if missing:
            self.units.update(self.store.units(missing))

    def _province_of(self, units: list[Unit], top: str) -> str:
        """The roster's top unit, when none of its cadres is of the top level."""
        for unit in units:
            if unit.parent:
                for above in self.store.ancestors(unit.parent):
                    if above.level == top:
                        return above.code
        return ""

    def _all_ancestors(self, unit: Unit) -> set[str]:
        seen: set[str] = set()
        todo = list(unit.parents())
        while todo:
            code = todo.pop()
            if code in seen:
                continue
            seen.add(code)
            self._fetch([code])
            parent = self.units.get(code)
            if parent is not None:
                todo.extend(parent.parents())
        return seen

    def _epochs(self) -> None:
        """The days the map changed (any version starting or ending): between two of them,
        every unit hangs where it hung on the first."""
        days = {
            day
            for unit in self.units.values()
            for version in unit.versions()
            for day in (version.valid_from, version.valid_to)
            if day is not None
        }
        self.changes = sorted(days)
        self.known = len(self.units)
        self.lineage: dict[tuple[str, int], tuple[str, ...]] = {}

    def ancestors_on(self, code: str, day: date) -> tuple[str, ...]:
        """The units above ``code`` on ``day``, nearest first."""
        if len(self.units) != self.known:
            self._epochs()
        key = (code, bisect_right(self.changes, day))
        found = self.lineage.get(key)
        if found is not None:
            return found
        out: list[str] = []
        unit = self.units.get(code)
        while unit is not None and len(out) < 8:
            parent = unit.parent_on(day)
            if parent is None:
                break
            out.append(parent)
            if parent not in self.units:
                self._fetch([parent])
            unit = self.units.get(parent)
        found = self.lineage[key] = tuple(out)
        return found

    def home_on(self, code: str, day: date) -> str:
        """The cadre's home unit as it stood on ``day``: the unit it went into when it ended."""
        for _step in range(8):
            unit = self.units.get(code)
            if unit is None or unit.exists_on(day):
                return code
            later = [s for s in unit.successors if s.on <= day]
            if not later:
                return code
            code = later[0].code
            self._fetch([code])
        return code

    def supporters(self, unit: Unit, day: date) -> list[_Pair]:
        """Who supports ``unit`` on ``day`` for its coverage, under that day's policy."""
        policy = self.policy(day)
        out = []
        for assignment in self.by_unit.get(unit.code, ()):
            cadre = self.cadres[assignment.cadre]
            if (
                assignment.in_force_on(day)
                and cadre.active_on(day)
                and policy.covers(cadre, assignment.role, unit.level)
            ):
                out.append(_Pair(assignment, cadre, unit))
        return out

    def disengaged(self, pair: _Pair, day: date) -> bool:
        """Whether the supporter misses every meeting of the unit in ``day``'s half-year."""
        key = (pair.cadre.id, pair.unit.code)
        half = _half(day)
        state = self.spells.get(key)
        if state is None:
            stationary = DISENGAGE / (DISENGAGE + 1 - STAY_DISENGAGED)
            state = (half, self.rng.random() < stationary)
        last, absent = state
        for _step in range(half - last):
            absent = self.rng.random() < (STAY_DISENGAGED if absent else DISENGAGE)
        self.spells[key] = (max(half, last), absent)
        return absent

    def between(self, low: int, high: int) -> int:
        """A whole number in [low, high] (``randint``, at a fraction of its cost)."""
        return low + int(self.rng.random() * (high - low + 1))

    # --- writing ---------------------------------------------------------------------------
    def meeting(self, unit: str, day: date, kind: str) -> Meeting:
        key = meeting_key(unit, day, kind)
        found = self.meetings.get(key)
        if found is None:
            found = self.meetings[key] = Meeting(key, unit, day, kind)
        return found

    def attend(self, meeting: Meeting, cadre: str, present: bool) -> None:
        key = attendance_key(meeting.id, cadre)
        if not present:
            if key in self.rows:
                return
            reason = self.rng.choice(REASONS) if self.rng.random() < WITH_REASON else ""
            self.rows[key] = Attendance(meeting.id, cadre, False, reason)
        else:
            self.rows[key] = Attendance(meeting.id, cadre)

    def present_at(self, meeting: Meeting, cadre: str) -> bool:
        row = self.rows.get(attendance_key(meeting.id, cadre))
        return row is not None and row.present

    # --- the run ---------------------------------------------------------------------------
    def run(self) -> tuple[list[Meeting], list[Attendance]]:
        if self.until >= self.start:
            for year, month in _months(self.start, self.until):
                self.month(year, month)
            self.minimums()
            self.visits()
        meetings = sorted(self.meetings.values(), key=lambda m: (m.on, m.id))
        order = {m.id: i for i, m in enumerate(meetings)}
        rows = sorted(self.rows.values(), key=lambda r: (order[r.meeting], r.cadre))
        return meetings, rows

    def window(self, policy: Policy, level: str, kind: str) -> MeetingWindow | None:
        for window in policy.activity.windows:
            if window.level == level and kind in window.kinds:
                return window
        return None

    def day_in(self, year: int, month: int, length: int, window: MeetingWindow | None) -> date:
        if window is None:
            return date(year, month, self.between(1, length))
        first, last = max(1, window.first), min(length, window.last)
        if self.rng.random() < OUTSIDE_WINDOW:
            outside = [d for d in range(1, length + 1) if not first <= d <= last]
            if outside:
                return date(year, month, self.rng.choice(outside))
        return date(year, month, self.between(first, last))

    def month(self, year: int, month: int) -> None:
        policy = self.policy(date(year, month, 1))
        length = calendar.monthrange(year, month)[1]
        under: dict[str, list[Meeting]] = defaultdict(list)
        self.under[(year, month)] = under
        for level, kind in MEETING_KINDS.items():
            window = self.window(policy, level, kind)
            for code in self.holding.get(level, ()):
                day = self.day_in(year, month, length, window)
                unit = self.units[code]
                if day < self.start or day > self.until or not unit.exists_on(day):
                    continue
                meeting = self.meeting(code, day, kind)
                for ancestor in self.ancestors_on(code, day):
                    under[ancestor].append(meeting)
                for pair in self.supporters(unit, day):
                    engaged = not self.disengaged(pair, day)
                    chance = PRESENT.get(level, PRESENT_OTHER)
                    self.attend(meeting, pair.cadre.id, engaged and self.rng.random() < chance)
        self.sit_in(year, month, under)

    def sit_in(self, year: int, month: int, under: dict[str, list[Meeting]]) -> None:
        """Supporters of units above the meetings sit in on one now and then (a commune's
        supporter at a hamlet's cell meeting; a district's at a commune's or hamlet's)."""
        mid = date(year, month, 15)
        if mid < self.start or mid > self.until:
            mid = max(self.start, min(self.until, mid))
        policy = self.policy(mid)
        for level in sorted(policy.coverage):
            below = policy.activity.presence_for(level).below
            if below <= 0 or not policy.has_level(level):
                continue
            depth = policy.level(level).index
            chance = SIT_IN.get(level, SIT_IN_OTHER)
            for code in self.supported.get(level, ()):
                unit = self.units[code]
                if code not in under:
                    continue
                for pair in self.supporters(unit, mid):
                    if self.disengaged(pair, mid) or self.rng.random() >= chance:
                        continue
                    capped = self.minimum_level(pair.cadre, policy)
                    kinds = policy.activity.presence_for(level).kinds
                    choices = [
                        m
                        for m in under[code]
                        if (not kinds or m.kind in kinds)
                        and self.units[m.unit].level != capped
                        and policy.has_level(self.units[m.unit].level)
                        and 0 < policy.level(self.units[m.unit].level).index - depth <= below
                        and pair.assignment.in_force_on(m.on)
                        and pair.cadre.active_on(m.on)
                    ]
                    if choices:
                        self.attend(self.rng.choice(choices), pair.cadre.id, True)

    def minimum_level(self, cadre: Cadre, policy: Policy) -> str | None:
        minimum = policy.activity.minimum_for(cadre.titles)
        return minimum.level if minimum is not None else None

    def minimums(self) -> None:
        """Holders of a title with a yearly minimum attend that many meetings (or a few more)
        at units of its level inside their home unit; about one in ten falls short."""
        for year in range(self.start.year, self.until.year + 1):
            mid = max(self.start, min(self.until, date(year, 7, 1)))
            policy = self.policy(mid)
            holders = [
                cadre
                for cadre in sorted(self.cadres.values(), key=lambda c: c.id)
                if policy.activity.minimum_for(cadre.titles) is not None
                and any(
                    cadre.active_on(day)
                    for day in (date(year, 1, 1), mid, date(year, 12, 31))
                    if self.start <= day <= self.until
                )
            ]
            if not holders:
                continue
            short = set(
                c.id for c in self.rng.sample(holders, round(SHORT_OF_MINIMUM * len(holders)))
            )
            for cadre in holders:
                minimum = policy.activity.minimum_for(cadre.titles)
                assert minimum is not None
                if cadre.id in short:
                    count = self.between(0, max(0, minimum.per_year - 1))
                else:
                    count = minimum.per_year + self.between(0, 2)
                months = sorted(self.rng.sample(range(1, 13), min(12, count)))
                for month in months:
                    self.minimum_meeting(cadre, minimum.level, year, month)

    def minimum_meeting(self, cadre: Cadre, level: str, year: int, month: int) -> None:
        under = self.under.get((year, month))
        if under is None:
            return
        mid = date(year, month, 15)
        home = self.home_on(cadre.home_unit, mid)
        candidates = [
            m
            for m in under.get(home, ())
            if self.units[m.unit].level == level
            and cadre.active_on(m.on)
            and not self.present_at(m, cadre.id)
        ]
        supported = {a.unit for a in self.by_cadre.get(cadre.id, ()) if a.in_force_on(mid)}
        near = [m for m in candidates if supported & {m.unit, *self.ancestors_on(m.unit, m.on)}]
        pool = near or candidates
        if pool:
            self.attend(self.rng.choice(pool), cadre.id, True)

    def visits(self) -> None:
        """Supporters of units whose presence is a recorded visit (household groups) visit every
        few months, with a long lapse now and then."""
        levels = {
            level
            for policy in {id(p): p for p in self._policies.values()}.values()
            for level, presence in (policy.activity.presence or {}).items()
            if presence.kinds == ("visit",) and level not in MEETING_KINDS
        }
        for code, assignments in sorted(self.by_unit.items()):
            unit = self.units.get(code)
            if unit is None or unit.level not in levels:
                continue
            for assignment in assignments:
                cadre = self.cadres[assignment.cadre]
                day = max(self.start, assignment.since) + timedelta(self.between(0, 150))
                while day <= self.until:
                    policy = self.policy(day)
                    if (
                        unit.exists_on(day)
                        and assignment.in_force_on(day)
                        and cadre.active_on(day)
                        and policy.covers(cadre, assignment.role, unit.level)
                    ):
                        self.attend(self.meeting(code, day, "visit"), cadre.id, True)
                    lapse = self.rng.random() < LAPSE
                    low, high = VISIT_LAPSE if lapse else VISIT_GAP
                    day += timedelta(self.between(low, high))


# --- petitions -------------------------------------------------------------------------------

#: What people raise (data, as staff write them): the text, its kind, and the chance it needs a
#: higher level than the unit's own supporter (passed up the chain).
TOPICS: tuple[tuple[str, str, float], ...] = (
    ("Đường ngập nước khi triều cường, đề nghị nâng cấp", "petition", 0.5),
    ("Đèn đường hỏng, đề nghị sửa chữa", "petition", 0.1),
    ("Đề nghị hỗ trợ đấu nối nước sạch", "petition", 0.4),
    ("Đề nghị hướng dẫn hồ sơ đất đai", "petition", 0.6),
    ("Đề nghị xét trợ cấp hộ nghèo", "petition", 0.4),
    ("Đề nghị nạo vét kênh mương nội đồng", "petition", 0.5),
    ("Đề nghị sửa cầu nông thôn xuống cấp", "petition", 0.6),
    ("Đề nghị hỗ trợ thẻ bảo hiểm y tế", "petition", 0.2),
    ("Đề nghị hỗ trợ vốn vay sản xuất", "petition", 0.4),
    ("Nước sạch bị cúp nhiều ngày", "complaint", 0.3),
    ("Mất an ninh trật tự, trộm cắp vặt", "complaint", 0.3),
    ("Rác thải tồn đọng ven đường", "complaint", 0.1),
    ("Chậm giải quyết hồ sơ đất đai", "complaint", 0.7),
)
#: Petitions a year raised at a hamlet itself, and at each of its household groups (Bến Tre:
#: about 14.5 groups a hamlet, so about two a year per hamlet with its groups).
PETITIONS_PER_YEAR = {"hamlet": 0.6, "household_group": 0.085}
#: Chance that one passed up a level is passed up the next one too.
PASS_ON = 0.4
#: Days from receiving (or the last hand-over) to the next hand-over.
HANDOVER_DAYS = (1, 6)
#: Answer time, in days from being raised: log-normal, with this median for one handled at the
#: unit's own level, longer by this factor for each level it went up, and this spread.
ANSWER_MEDIAN = 13.0
ANSWER_PER_LEVEL = 1.35
ANSWER_SIGMA = 0.6
#: Share closed without an answer (withdrawn, settled otherwise, not the Party's to answer),
#: and when.
CLOSED = 0.03
CLOSED_DAYS = (3, 60)


def generate_petitions(
    store: GraphStore, roster: Roster, seed: int = 1, until: date | None = None
) -> list[Petition]:
    """Petitions and complaints raised at the hamlets and household groups of ``roster`` from
    its start (:data:`loaders.generate.SINCE`) to ``until`` (today when ``None``), each handled
    by the supporters in force that day; sorted by day raised and id (``KN-<province>-000001``
    on)."""
    return _Petitions(store, roster, seed, today() if until is None else until).petitions()


@dataclass(slots=True)
class _Draft:
    unit: str
    raised: date
    received_by: str
    kind: str
    text: str
    handovers: tuple[Handover, ...]
    answered: date | None
    closed: date | None


class _Petitions(_Activity):
    def __init__(self, store: GraphStore, roster: Roster, seed: int, until: date) -> None:
        super().__init__(store, roster, seed, until)
        self.rng = random.Random(f"namgraph:petitions:{seed}:{self.province}")
        self.raising = sorted(
            u.code for u in roster.units if u.level in PETITIONS_PER_YEAR and u.code in self.units
        )

    def petitions(self) -> list[Petition]:
        drafts: list[_Draft] = []
        for code in self.raising:
            unit = self.units[code]
            rate = PETITIONS_PER_YEAR[unit.level] / 365.25
            offset = 0.0
            while True:
                offset += self.rng.expovariate(rate)
                day = self.start + timedelta(days=int(offset))
                if day > self.until:
                    break
                draft = self.draft(unit, day)
                if draft is not None:
                    drafts.append(draft)
        drafts.sort(key=lambda d: (d.raised, d.unit))
        province = self.province or "00"
        return [
            Petition(
                f"KN-{province}-{n:06d}",
                d.unit,
                d.raised,
                d.received_by,
                d.kind,
                d.text,
                d.handovers,
                d.answered,
                d.closed,
            )
            for n, d in enumerate(drafts, start=1)
        ]

    def draft(self, unit: Unit, day: date) -> _Draft | None:
        """One petition raised at ``unit`` on ``day`` (None: the unit had no supporter then).
        Draws the same numbers whatever happens, so one unit's luck does not shift another's."""
        text, kind, higher = self.rng.choice(TOPICS)
        levels = 0
        if self.rng.random() < higher:
            levels = 1
            while self.rng.random() < PASS_ON:
                levels += 1
        gaps = [self.between(*HANDOVER_DAYS) for _level in range(levels)]
        picks = [self.rng.random() for _level in range(levels)]
        median = ANSWER_MEDIAN * ANSWER_PER_LEVEL**levels
        answer = max(1, round(self.rng.lognormvariate(math.log(median), ANSWER_SIGMA)))
        closes = self.rng.random() < CLOSED
        close = self.between(*CLOSED_DAYS)
        pick = self.rng.random()
        if not unit.exists_on(day):
            return None
        receivers = self.supporters(unit, day)
        if not receivers:
            return None
        holder = receivers[int(pick * len(receivers))].cadre.id
        end = day + timedelta(days=close if closes else answer)
        handovers = self.pass_up(unit, day, holder, list(zip(gaps, picks, strict=True)), end)
        if handovers and end <= handovers[-1].on:
            # Passed up after the day it would have ended: answered a little after the last one.
            end = handovers[-1].on + timedelta(days=1 + answer // 4)
        ended = end if end <= self.until else None
        return _Draft(
            unit.code,
            day,
            holder,
            kind,
            text,
            handovers,
            None if closes else ended,
            ended if closes else None,
        )

    def pass_up(
        self, unit: Unit, day: date, holder: str, steps: list[tuple[int, float]], end: date
    ) -> tuple[Handover, ...]:
        """Hand-overs a gap of days apart (``steps``: the gap and a draw to pick among several
        supporters), each to a supporter of the next unit up the chain (as it hung on the day)
        that has one in force then, other than the holder. One due on or after ``end`` is not
        made, unless it is the first (then the answer waits for it)."""
        out: list[Handover] = []
        above = 0
        on = day
        for gap, pick in steps:
            on += timedelta(days=gap)
            if on > self.until or (on >= end and out):
                break
            policy = self.policy(on)
            chain = set(policy.chain) or set(policy.coverage)
            ancestors = self.ancestors_on(unit.code, on)
            target: str | None = None
            while above < len(ancestors) and target is None:
                parent = self.units.get(ancestors[above])
                above += 1
                if parent is None or parent.level not in chain:
                    continue
                pairs = [p for p in self.supporters(parent, on) if p.cadre.id != holder]
                if pairs:
                    target = pairs[int(pick * len(pairs))].cadre.id
            if target is None:
                break
            out.append(Handover(target, on))
            holder = target
        return tuple(out)
