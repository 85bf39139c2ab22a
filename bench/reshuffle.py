"""The reshuffle the bench plans and applies: a file of retirements and new assignments, built
from what a store holds, in the format ``nam reshuffle plan`` reads.

In each of the given provinces, half of its rows retire cadres of the top level and of the
commune level who hold assignments in force on the effective date (a seeded sample of them, in
the order of their ids, so that the same graph gives the same file on every store), and the
other half give some of the units they leave to other active cadres of the same level and home
unit: cadres the policy admits for the role over the unit's level, with room under the rule's
per-cadre maximum, the least loaded first (commune cadres take household groups of their
commune, Standing Committee members take the communes of provincial cadres). The file is
meant to be planned without problems; what the retirements leave uncovered is what the
preview reports.

Nothing here times anything; :mod:`bench.questions` does.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from graph.model import Assignment, Cadre, Status, Unit
from graph.policy import Rule
from graph.stores.port import GraphStore

__all__ = ["DECISION", "EFFECTIVE", "HEADER", "ReshuffleFile", "shares", "write_file"]

#: After the generated roster's assignments start (26/8/2022), inside the policy's validity.
EFFECTIVE = date(2023, 6, 1)
DECISION = "1000-QĐ/TU, 25/5/2023 (bench)"
HEADER = (
    "Thao tác",
    "Mã cán bộ",
    "Mã đơn vị",
    "Đến đơn vị",
    "Nhiệm vụ",
    "Ngày hiệu lực",
    "Quyết định",
)
RETIRE = "nghỉ hưu"
START = "phân công"
#: The level below the top whose cadres may retire in the file, besides the top level's.
COMMUNE = "commune"


@dataclass
class ReshuffleFile:
    """What :func:`write_file` wrote: its rows, by province and by the retirees' level."""

    path: Path
    retire: int = 0
    start: int = 0
    provinces: dict[str, tuple[int, int]] = field(default_factory=dict)  # code: (retire, start)
    retiring_levels: Counter[str] = field(default_factory=Counter)
    vacated: int = 0  # assignments in force the retirements end

    @property
    def rows(self) -> int:
        return self.retire + self.start

    def describe(self) -> str:
        levels = ", ".join(f"{n:,} {level}" for level, n in sorted(self.retiring_levels.items()))
        where = ", ".join(f"{code} {r + s:,}" for code, (r, s) in self.provinces.items())
        return (
            f"{self.retire:,} retirements ({levels} cadres) ending {self.vacated:,} "
            f"assignments, {self.start:,} starts; rows by province: {where}"
        )


def shares(rows: int, parts: int) -> list[int]:
    """``rows`` split into ``parts`` near-equal shares, the larger ones first."""
    base, extra = divmod(rows, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def write_file(
    store: GraphStore,
    provinces: Sequence[str],
    rows: int,
    path: Path,
    on: date = EFFECTIVE,
    seed: int = 1,
) -> ReshuffleFile:
    """Write a reshuffle file of ``rows`` rows spread evenly over ``provinces`` (see the module
    docstring). Raises :class:`ValueError` when a province has too few cadres for its share."""
    if not provinces or rows < 2:
        raise ValueError("a reshuffle needs at least one province and two rows")
    found = ReshuffleFile(path)
    lines: list[list[str]] = []
    for code, share in zip(provinces, shares(rows, len(provinces)), strict=True):
        area = _Area(store, code, on, random.Random(f"reshuffle:{seed}:{code}"))
        retiring = area.retire(share - share // 2)
        starts = area.starts(retiring, share // 2)
        day = f"{on.day}/{on.month}/{on.year}"
        lines += [[RETIRE, c.id, "", "", "", day, DECISION] for c in retiring]
        lines += [[START, cadre, unit, "", role, day, DECISION] for cadre, unit, role in starts]
        found.provinces[code] = (len(retiring), len(starts))
        found.retire += len(retiring)
        found.start += len(starts)
        found.retiring_levels.update(c.level for c in retiring)
        found.vacated += sum(len(area.in_force[c.id]) for c in retiring)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(lines)
    return found


class _Area:
    """One province: its top-level and commune cadres, their assignments in force, and the
    levels of the units they support."""

    def __init__(self, store: GraphStore, code: str, on: date, rng: random.Random) -> None:
        self.store = store
        self.policy = store.policy
        self.code = code
        self.on = on
        self.rng = rng
        homes = [code, *(u.code for u in _below(store, code, COMMUNE, on))]
        levels = {self.policy.top_level, COMMUNE}
        self.cadres: dict[str, Cadre] = {
            c.id: c for c in store.cadres_of(homes) if c.level in levels
        }
        self.in_force: dict[str, list[Assignment]] = {
            cadre: sorted((a for a in found if a.in_force_on(on)), key=lambda a: a.id)
            for cadre, found in store.assignments_of(sorted(self.cadres)).items()
        }
        codes = {a.unit for found in self.in_force.values() for a in found}
        self.levels = {u.code: u.level for u in store.units(sorted(codes)).values()}

    def _active(self, cadre: Cadre) -> bool:
        since = cadre.status_since
        return cadre.status_on(self.on) is Status.ACTIVE and (since is None or since <= self.on)

    def retire(self, n: int) -> list[Cadre]:
        """A seeded sample of ``n`` active cadres holding assignments in force, by id."""
        eligible = sorted(
            c.id for c in self.cadres.values() if self._active(c) and self.in_force.get(c.id)
        )
        if len(eligible) < n:
            raise ValueError(
                f"{self.code} has {len(eligible):,} active cadres of levels "
                f"{self.policy.top_level}/{COMMUNE} with assignments, {n:,} asked for"
            )
        return [self.cadres[i] for i in sorted(self.rng.sample(eligible, n))]

    def _rules(self, cadre: Cadre, role: str, unit: str) -> list[Rule]:
        return self.policy.rules_for(cadre, role, self.levels[unit])

    def starts(self, retiring: list[Cadre], n: int) -> list[tuple[str, str, str]]:
        """``n`` of the units the retiring cadres leave, each to a colleague with room:
        (cadre, unit, role label), grouped by cadre."""
        leaving = {c.id for c in retiring}
        vacated = sorted(
            {(a.unit, a.role, c.home_unit, c.level) for c in retiring for a in self.in_force[c.id]}
        )
        self.rng.shuffle(vacated)
        colleagues: dict[tuple[str, str], list[Cadre]] = {}
        for c in self.cadres.values():
            if c.id not in leaving and self._active(c):
                colleagues.setdefault((c.home_unit, c.level), []).append(c)
        load: Counter[tuple[str, str]] = Counter()  # (cadre, rule): units in force
        holds: set[tuple[str, str, str]] = set()  # (cadre, unit, role) in force
        for group in colleagues.values():
            for c in group:
                for a in self.in_force.get(c.id, []):
                    holds.add((c.id, a.unit, a.role))
                    for rule in self._rules(c, a.role, a.unit):
                        load[c.id, rule.id] += 1
        chosen: list[tuple[str, str, str]] = []
        for unit, role, home, level in vacated:
            if len(chosen) == n:
                break
            best: tuple[int, str, list[Rule]] | None = None
            for c in colleagues.get((home, level), []):
                rules = self._rules(c, role, unit)
                if not rules or (c.id, unit, role) in holds:
                    continue
                if any(
                    r.max_per_cadre is not None and load[c.id, r.id] >= r.max_per_cadre
                    for r in rules
                ):
                    continue
                carried = max(load[c.id, r.id] for r in rules)
                if best is None or (carried, c.id) < best[:2]:
                    best = (carried, c.id, rules)
            if best is None:
                continue  # nobody of that area has room: the unit stays uncovered
            _, cadre, rules = best
            for rule in rules:
                load[cadre, rule.id] += 1
            holds.add((cadre, unit, role))
            chosen.append((cadre, unit, self.policy.roles[role].label))
        if len(chosen) < n:
            raise ValueError(
                f"{self.code}: only {len(chosen):,} of the {len(vacated):,} units left by "
                f"{len(retiring):,} retirements can go to a colleague with room, {n:,} asked for"
            )
        return sorted(chosen)


def _below(store: GraphStore, code: str, level: str, on: date) -> list[Unit]:
    """The units of ``level`` under ``code`` existing on ``on``, one batch per level down."""
    top = store.unit(code)
    if top is None:
        raise ValueError(f"no unit {code}")
    frontier = [top]
    found: list[Unit] = []
    while frontier:
        found += [u for u in frontier if u.level == level]
        deeper = [u.code for u in frontier if u.level != level]
        if not deeper:
            break
        children = store.children_of(deeper, on)
        frontier = [u for code in deeper for u in children.get(code, [])]
    return sorted(found, key=lambda u: u.code)
