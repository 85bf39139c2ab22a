"""Petitions (kiến nghị) and complaints (phản ánh) from CSV or XLSX files (headers from ``nam
template petitions``).

One row is one petition: its code, the hamlet or household group where it was raised, the day
it was received and the cadre who received it, its kind (Kiến nghị or Phản ánh; Kiến nghị when
empty), what it says, to whom it was passed up the chain and when, and the day it was answered
or closed without an answer (both empty: still open).

**Hand-overs** go in one cell, in date order, separated by ``;`` (or a line break), each the
cadre's id and the day, joined by ``@``::

    831-0001@3/2/2023; 83-0024@5/2/2023

The day may also follow the id after a space, or after the word ``ngày``
(``831-0001 ngày 3/2/2023``), and be written as ISO (``2023-02-03``). A cadre is *in the
chain* of the petition on a day when, that day, they hold an assignment in force that counts
for the coverage of its unit or of a unit above it (as the map stood that day): hand-overs go
only to them.

Refused, with the file, row and column (nothing is written): a unit that is not in the graph,
did not exist on the day received, or is not a hamlet or household group; a day before every
policy; a cadre that is not in the graph; a kind that is neither; a hand-over that cannot be
read, that is out of date order, that is to a cadre outside the chain, or that comes before
the petition was raised or after it was answered or closed; an answer or close before the
petition was raised, or both given; the same code twice in a file. Loading the same row again
changes nothing; a changed row updates the petition.

>>> parse_handovers("831-0001@3/2/2023; 83-0024 ngày 5/2/2023")
((('831-0001', datetime.date(2023, 2, 3)), ('83-0024', datetime.date(2023, 2, 5))), [])
>>> handovers_text((Handover("831-0001", date(2023, 2, 3)),))
'831-0001@3/2/2023'
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from graph.activity import PETITION_KINDS, Handover, Petition, petition_kind
from graph.dates import parse_date
from graph.i18n import _, day
from graph.model import Unit
from graph.policy import Policy
from graph.stores.port import GraphStore
from loaders.activity import _level_name, not_in_force, policy_in_force
from loaders.columns import PETITIONS
from loaders.plan import Origin, Plan, make_plan
from loaders.records import _Reader
from loaders.tabular import Row, read_table

__all__ = ["handovers_text", "parse_handovers", "plan_petitions", "raised_levels"]

_SEPARATORS = re.compile(r"[;\n]+")
_ONE = re.compile(r"^(?P<cadre>[^\s@]+)\s*(?:@|\s+(?:ng[aà]y\s+)?)\s*(?P<day>\S+)$", re.IGNORECASE)


def parse_handovers(text: str) -> tuple[tuple[tuple[str, date], ...], list[str]]:
    """The hand-overs a cell holds, as (cadre, day) in the order written, and the parts that
    could not be read (each as written)."""
    found: list[tuple[str, date]] = []
    wrong: list[str] = []
    for part in _SEPARATORS.split(text):
        part = part.strip().rstrip(",.")
        if not part:
            continue
        match = _ONE.match(part)
        if match is None:
            wrong.append(part)
            continue
        try:
            when = parse_date(match.group("day"))
        except ValueError:
            wrong.append(part)
            continue
        found.append((match.group("cadre"), when))
    return tuple(found), wrong


def handovers_text(handovers: Iterable[Handover]) -> str:
    """Hand-overs as the cell of a file holds them (``CADRE@D/M/YYYY; ...``)."""
    return "; ".join(f"{h.cadre}@{h.on.day}/{h.on.month}/{h.on.year}" for h in handovers)


def raised_levels(policy: Policy) -> tuple[str, ...]:
    """The levels petitions are raised at: the policy's two lowest (hamlet, household group)."""
    return tuple(level.id for level in policy.levels[-2:])


def _kind_words() -> str:
    return "; ".join(words[0] for words in PETITION_KINDS.values())


@dataclass(slots=True)
class _Draft:
    """A row read, before the graph is asked about its unit and cadres."""

    row: Row
    id: str
    unit: str
    raised: date
    received_by: str
    kind: str
    handovers: tuple[tuple[str, date], ...]
    answered: date | None
    closed: date | None


class _Chain:
    """Which cadres are in the chain of a unit on a day: supporters, counted for coverage, of
    the unit or of a unit above it as the map stood that day (asked once per unit and day)."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.known: dict[tuple[str, date], frozenset[str]] = {}

    def prepare(self, wanted: Collection[tuple[str, date]]) -> None:
        by_day: dict[date, set[str]] = {}
        for code, when in wanted:
            if (code, when) not in self.known:
                by_day.setdefault(when, set()).add(code)
        for when, codes in sorted(by_day.items()):
            above = self.store.ancestors_of(sorted(codes), when)
            every = set(codes) | {u.code for units in above.values() for u in units}
            supporters = self.store.supporters(sorted(every), when)
            for code in codes:
                chain = [code, *(u.code for u in above.get(code, ()))]
                self.known[(code, when)] = frozenset(
                    s.cadre.id for link in chain for s in supporters.get(link, ())
                )

    def holds(self, code: str, when: date, cadre: str) -> bool:
        if (code, when) not in self.known:
            self.prepare([(code, when)])
        return cadre in self.known[(code, when)]


class _PetitionReader(_Reader):
    def draft(self, row: Row) -> _Draft | None:
        """The row's cells read and checked against each other (not against the graph)."""
        petition_id = self.text(row, "id", required=True)
        code = self.text(row, "unit", required=True)
        raised = self.date(row, "raised", required=True)
        receiver = self.text(row, "received_by", required=True)
        kind = "petition"
        if row.get("kind"):
            found = self.parsed(
                row,
                "kind",
                petition_kind,
                _("{value} is not a kind of petition; use one of: {kinds}"),
                "unknown_petition_kind",
                kinds=_kind_words(),
            )
            kind = found or ""
        answered, closed = self.date(row, "answered"), self.date(row, "closed")
        handovers = self.handovers(row)
        if petition_id and not self.first(row, petition_id):
            return None
        if not petition_id or not code or raised is None or not receiver or not kind:
            return None
        if handovers is None:
            return None
        ok = True
        if answered is not None and closed is not None:
            self.fail(
                row,
                "closed",
                _(
                    "both a day answered ({answered}) and a day closed ({closed}); a petition "
                    "answered is not also closed without an answer: keep one"
                ).format(answered=day(answered), closed=day(closed)),
                "answered_and_closed",
            )
            ok = False
        for key, when, what in (
            ("answered", answered, _("answered")),
            ("closed", closed, _("closed")),
        ):
            if when is not None and when < raised:
                self.fail(
                    row,
                    key,
                    _(
                        "{what} on {date}, before it was received on {raised}; check the dates"
                    ).format(what=what, date=day(when), raised=day(raised)),
                    "before_raised",
                )
                ok = False
        ended = min((d for d in (answered, closed) if d is not None), default=None)
        previous = raised
        for cadre, when in handovers:
            if when < raised:
                self.fail(
                    row,
                    "handovers",
                    _(
                        "handed over to {cadre} on {date}, before it was received on {raised}; "
                        "check the dates"
                    ).format(cadre=cadre, date=day(when), raised=day(raised)),
                    "before_raised",
                )
                ok = False
                break
            if when < previous:
                self.fail(
                    row,
                    "handovers",
                    _(
                        "the hand-over to {cadre} on {date} comes before the one on {previous}; "
                        "write the hand-overs in date order, the first first"
                    ).format(cadre=cadre, date=day(when), previous=day(previous)),
                    "handover_order",
                )
                ok = False
                break
            if ended is not None and when > ended:
                self.fail(
                    row,
                    "handovers",
                    _(
                        "handed over to {cadre} on {date}, after it was answered or closed on "
                        "{ended}; check the dates"
                    ).format(cadre=cadre, date=day(when), ended=day(ended)),
                    "handover_after_end",
                )
                ok = False
                break
            previous = when
        if not ok:
            return None
        return _Draft(row, petition_id, code, raised, receiver, kind, handovers, answered, closed)

    def handovers(self, row: Row) -> tuple[tuple[str, date], ...] | None:
        """The hand-overs of the row (None: the cell cannot be read, and said so)."""
        text = row.get("handovers")
        if not text:
            return ()
        found, wrong = parse_handovers(text)
        if wrong:
            self.fail(
                row,
                "handovers",
                _(
                    "cannot read {part}: write each hand-over as the cadre's id and the day "
                    "joined by @, separated by ;, e.g. 831-0001@3/2/2023; 83-0024@5/2/2023"
                ).format(part=repr(wrong[0])),
                "bad_handover",
            )
            return None
        return found

    def first(self, row: Row, petition_id: str) -> bool:
        seen = self.seen.get(petition_id)
        if seen is None:
            self.seen[petition_id] = row.number
            return True
        self.fail(
            row,
            "id",
            _("petition {id} is also on row {row}; keep one row per petition").format(
                id=repr(petition_id), row=seen
            ),
            "duplicate_petition",
        )
        return False


def plan_petitions(
    store: GraphStore, path: Path, on: date | None = None, sheet: str | None = None
) -> Plan:
    """The plan of a file of petitions (``on`` is unused: each petition has its days)."""
    del on
    table = read_table(path, PETITIONS, sheet)
    reader = _PetitionReader(table, store.policy)
    drafts = [d for row in table.rows if (d := reader.draft(row)) is not None]
    units = store.units({d.unit for d in drafts})
    named = {d.received_by for d in drafts} | {c for d in drafts for c, _day in d.handovers}
    cadres = store.cadres(named)
    ready: list[_Draft] = []
    for d in drafts:
        if _in_graph(store, reader, d, units.get(d.unit), cadres):
            ready.append(d)
    chain = _Chain(store)
    chain.prepare({(d.unit, when) for d in ready for _cadre, when in d.handovers})
    petitions: list[Petition] = []
    origins: dict[str, Origin] = {}
    for d in ready:
        outside = next(
            ((c, when) for c, when in d.handovers if not chain.holds(d.unit, when, c)), None
        )
        if outside is not None:
            cadre, when = outside
            reader.fail(
                d.row,
                "handovers",
                _(
                    "{cadre} is not in the chain of {unit} on {date}: a hand-over goes to a "
                    "cadre who supports the unit or a unit above it that day (`nam chain {unit} "
                    "--as-of {date}` lists them)"
                ).format(cadre=cadre, unit=d.unit, date=day(when)),
                "outside_chain",
            )
            continue
        petition = Petition(
            d.id,
            d.unit,
            d.raised,
            d.received_by,
            d.kind,
            d.row.get("text"),
            tuple(Handover(c, when) for c, when in d.handovers),
            d.answered,
            d.closed,
        )
        petitions.append(petition)
        origins[f"petition:{petition.id}"] = reader.origin(d.row)
    return make_plan(
        store,
        petitions=petitions,
        origins=origins,
        problems=reader.problems,
        warnings=reader.warnings,
    )


def _in_graph(
    store: GraphStore,
    reader: _PetitionReader,
    d: _Draft,
    unit: Unit | None,
    cadres: Collection[str],
) -> bool:
    """Whether the row's unit and cadres are in the graph, and its unit and days fit the
    policy (else the problems, on the row)."""
    ok = True
    if unit is None:
        reader.fail(
            d.row,
            "unit",
            _(
                "no unit {code} in the graph; check the code (`nam search NAME`) or load the "
                "unit first"
            ).format(code=repr(d.unit)),
            "unknown_unit",
        )
        ok = False
    policy = policy_in_force(store, d.raised)
    if policy is None:
        first = store.timeline.first
        reader.fail(
            d.row,
            "raised",
            _(
                "no policy is in force on {date}: the first, {policy}, starts on {start}; "
                "check the date"
            ).format(date=day(d.raised), policy=first.id, start=day(first.valid_from)),
            "no_policy",
        )
        ok = False
    elif unit is not None and not unit.exists_on(d.raised):
        reader.fail(d.row, "raised", not_in_force(unit, d.raised, "petition"), "unit_not_in_force")
        ok = False
    elif unit is not None and unit.on(d.raised).level not in raised_levels(policy):
        levels = raised_levels(policy)
        reader.fail(
            d.row,
            "unit",
            _(
                "{code} is a unit of level {level}; petitions are raised at a unit of level "
                "{levels}: give the hamlet or household group where it was raised"
            ).format(
                code=repr(d.unit),
                level=_level_name(policy, unit.on(d.raised).level),
                levels=" / ".join(_level_name(policy, lv) for lv in levels),
            ),
            "unit_level",
        )
        ok = False
    for key, cadre in (
        ("received_by", d.received_by),
        *(("handovers", c) for c, _w in d.handovers),
    ):
        if cadre not in cadres:
            reader.fail(
                d.row,
                key,
                _(
                    "no cadre {id} in the graph; check the id (`nam search NAME`) or load the "
                    "cadre first"
                ).format(id=repr(cadre)),
                "unknown_cadre",
            )
            ok = False
            break
    return ok
