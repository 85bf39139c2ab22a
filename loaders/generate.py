"""A realistic, deterministic roster on top of the real administrative list.

Given a province already loaded from the official list, generate its hamlets, household groups,
cadres and assignments at the sizes the seed articles report, for whatever policy is in force:
for every coverage rule of the policy, cadres of the rule's level (with an admitted title)
support every unit of the rule's level in their own area.

Sizes (seed 001, Châu Thành district of Bến Tre, May 2022): 117 hamlets, 1,702 household groups,
1,091 commune cadres (117 of them hamlet cadres), 6 cluster heads; one provincial cadre per
commune and one Standing Committee member per district (seed 000). Elsewhere the averages of the
whole country are used: about 7.1 hamlets per commune and 14.5 groups per hamlet.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from graph.i18n import _
from graph.model import Assignment, Cadre, Unit
from graph.policy import Policy, Rule
from graph.stores.port import GraphStore
from loaders.problems import LoadError, Problem
from loaders.records import assignment_id

__all__ = ["DistrictSize", "Roster", "generate"]

SINCE = date(2022, 8, 26)  # Quy định 559-QĐ/TU


@dataclass(frozen=True)
class DistrictSize:
    hamlets: int
    groups: int
    group_cadres: int
    cluster_heads: int


#: Exact sizes reported for a district, by official code.
KNOWN_DISTRICTS = {
    "831": DistrictSize(hamlets=117, groups=1702, group_cadres=1091, cluster_heads=6)
}
#: Hamlets per commune: Bến Tre's own average (Châu Thành), else the national one.
HAMLETS_PER_COMMUNE = {"83": 117 / 21}
NATIONAL_HAMLETS_PER_COMMUNE = 75_000 / 10_598
GROUPS_PER_HAMLET = 1702 / 117
GROUP_CADRES_PER_GROUP = 1091 / 1702
COMMUNES_PER_CLUSTER = 21 / 6

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Hoàng",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Trương",
    "Đinh",
]
MIDDLE = "Văn Thị Minh Thanh Ngọc Hữu Đức Quốc Kim Hoàng Thị_Thu Văn_Hoài".replace("_", " ").split()
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Hương",
    "Khoa",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Ngọc",
    "Phong",
    "Phúc",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thành",
    "Trang",
    "Tuấn",
    "Vy",
    "Yến",
    "Đạt",
    "Hiếu",
    "Nhung",
    "Tùng",
    "Thủy",
]
PLACE = [
    "An",
    "Bình",
    "Phú",
    "Tân",
    "Thạnh",
    "Hòa",
    "Long",
    "Mỹ",
    "Hưng",
    "Thới",
    "Lợi",
    "Đông",
    "Tây",
    "Trung",
    "Hiệp",
    "Phước",
    "Thuận",
    "Quới",
    "Khánh",
    "Thành",
    "Lộc",
    "Điền",
    "Hội",
    "Xuân",
]
HIGHLAND = {
    "02",
    "04",
    "06",
    "08",
    "10",
    "11",
    "12",
    "14",
    "15",
    "17",
    "20",
    "62",
    "64",
    "66",
    "67",
    "68",
}
SOUTH_FROM = 70


@dataclass
class Roster:
    units: list[Unit]
    cadres: list[Cadre]
    assignments: list[Assignment]


def split(total: int, weights: list[float], rng: random.Random, minimum: int = 1) -> list[int]:
    """``total`` split into parts roughly proportional to ``weights``, each at least ``minimum``.

    >>> sum(split(117, [1.0] * 21, random.Random(1), 2))
    117
    """
    n = len(weights)
    base = [minimum] * n
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(
            _("cannot split {total} into {parts} parts of at least {minimum}").format(
                total=total, parts=n, minimum=minimum
            )
        )
    scale = sum(weights) or 1.0
    shares = [rest * w / scale for w in weights]
    parts = [b + int(s) for b, s in zip(base, shares, strict=True)]
    leftover = total - sum(parts)
    order = sorted(range(n), key=lambda i: (-(shares[i] - int(shares[i])), rng.random()))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def _hamlet_kind(province: str, commune: Unit) -> str:
    urban = commune.kind in ("phường", "thị trấn")
    if int(province) >= SOUTH_FROM:
        return "khu phố" if urban else "ấp"
    if urban:
        return "tổ dân phố"
    return "bản" if province in HIGHLAND else "thôn"


class _Names:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> str:
        r = self.rng
        return f"{r.choice(SURNAMES)} {r.choice(MIDDLE)} {r.choice(GIVEN)}"

    def phone(self) -> str:
        return "09" + "".join(str(self.rng.randrange(10)) for _ in range(8))

    def places(self, count: int) -> list[str]:
        names: list[str] = []
        taken: set[str] = set()
        while len(names) < count:
            name = f"{self.rng.choice(PLACE)} {self.rng.choice(PLACE)}"
            if name.split()[0] == name.split()[1] or name in taken:
                name = f"{len(names) + 1}"
            taken.add(name)
            names.append(name)
        return names


def generate(
    store: GraphStore,
    province: str,
    seed: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Roster:
    """The generated roster of ``province`` (already loaded); same seed, same roster. Its
    assignments start on :data:`SINCE`, under the policy in force then."""
    policy = store.policy_on(SINCE)
    top = store.unit(province.zfill(2))
    if top is None or top.level != policy.top_level:
        raise LoadError(
            [
                Problem(
                    "(generate)",
                    None,
                    "--province",
                    _(
                        "province {province} is not in the graph; run "
                        "`nam load admin FILE --province {province}` first"
                    ).format(province=province),
                )
            ]
        )
    return _Generator(store, policy, top, seed, progress).run()


class _Generator:
    def __init__(
        self,
        store: GraphStore,
        policy: Policy,
        top: Unit,
        seed: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.store, self.policy, self.top = store, policy, top
        self.rng = random.Random(f"namgraph:{seed}:{top.code}")
        self.names = _Names(self.rng)
        self.progress = progress
        self.units: list[Unit] = []
        self.cadres: list[Cadre] = []
        self.assignments: list[Assignment] = []
        self.counters: dict[str, int] = {}
        self.decision = policy.decision or "generated"

    # --- units ------------------------------------------------------------------------
    def run(self) -> Roster:
        policy = self.policy
        communes = [u for u in self.store.subtree(self.top.code) if u.level == "commune"]
        if not communes:
            raise LoadError(
                [
                    Problem(
                        "(generate)",
                        None,
                        "--province",
                        _(
                            "province {province} has no communes; load the administrative list "
                            "first"
                        ).format(province=self.top.code),
                    )
                ]
            )
        by_area: dict[str, list[Unit]] = {}
        for commune in communes:
            by_area.setdefault(commune.parent or self.top.code, []).append(commune)
        hamlets_of: dict[str, list[Unit]] = {}
        groups_of: dict[str, list[Unit]] = {}
        group_cadres: dict[str, int] = {}
        for done, (area, members) in enumerate(sorted(by_area.items())):
            size = KNOWN_DISTRICTS.get(area)
            mean = HAMLETS_PER_COMMUNE.get(self.top.code, NATIONAL_HAMLETS_PER_COMMUNE)
            weights = [max(0.3, self.rng.gauss(1.0, 0.3)) for _member in members]
            hamlets_total = size.hamlets if size else max(len(members), round(mean * len(members)))
            per_commune = split(hamlets_total, weights, self.rng, 1)
            area_hamlets: list[Unit] = []
            for commune, count in zip(members, per_commune, strict=True):
                hamlets_of[commune.code] = self._hamlets(commune, count)
                area_hamlets.extend(hamlets_of[commune.code])
            hamlet_weights = [max(0.3, self.rng.gauss(1.0, 0.35)) for _hamlet in area_hamlets]
            groups_total = size.groups if size else round(GROUPS_PER_HAMLET * len(area_hamlets))
            per_hamlet = split(groups_total, hamlet_weights, self.rng, 3)
            for hamlet, count in zip(area_hamlets, per_hamlet, strict=True):
                groups_of[hamlet.code] = self._groups(hamlet, count)
            commune_groups = [
                sum(len(groups_of[h.code]) for h in hamlets_of[c.code]) for c in members
            ]
            cadres_total = (
                size.group_cadres if size else round(GROUP_CADRES_PER_GROUP * sum(commune_groups))
            )
            for commune, n in zip(
                members,
                split(cadres_total, [float(g) for g in commune_groups], self.rng, 1),
                strict=True,
            ):
                group_cadres[commune.code] = n
            if self.progress:
                self.progress(done + 1, len(by_area))
        self.hamlets_of, self.groups_of = hamlets_of, groups_of
        self.group_cadres = group_cadres
        self.by_area = by_area
        for level_id, rule in policy.coverage.items():
            self._support(rule, level_id)
        self._clusters()
        self._district_members()
        return Roster(self.units, self.cadres, self.assignments)

    def _hamlets(self, commune: Unit, count: int) -> list[Unit]:
        kind = _hamlet_kind(self.top.code, commune)
        label = kind[:1].upper() + kind[1:]
        if kind in ("ấp", "thôn", "bản"):
            names = [f"{label} {name}" for name in self.names.places(count)]
        else:
            names = [f"{label} {i}" for i in range(1, count + 1)]
        out = [
            Unit(f"{commune.code}.{i:02d}", name, "hamlet", kind, commune.code)
            for i, name in enumerate(names, start=1)
        ]
        self.units.extend(out)
        return out

    def _groups(self, hamlet: Unit, count: int) -> list[Unit]:
        out = [
            Unit(
                f"{hamlet.code}.{i:02d}",
                f"Tổ {i} {hamlet.name}",
                "household_group",
                "tổ nhân dân tự quản",
                hamlet.code,
                self.rng.randint(18, 45),
            )
            for i in range(1, count + 1)
        ]
        self.units.extend(out)
        return out

    # --- cadres -------------------------------------------------------------------------
    def _cadre(self, level: str, home: str, titles: tuple[str, ...]) -> Cadre:
        n = self.counters[home] = self.counters.get(home, 0) + 1
        cadre = Cadre(
            f"{home}-{n:04d}", self.names.person(), level, home, titles, phone=self.names.phone()
        )
        cadre = _with_since(cadre)
        self.cadres.append(cadre)
        return cadre

    def _assign(self, cadre: Cadre, unit: Unit, role: str) -> None:
        self.assignments.append(
            Assignment(
                assignment_id(cadre.id, unit.code, role, SINCE),
                cadre.id,
                unit.code,
                role,
                SINCE,
                None,
                self.decision,
            )
        )

    def _titles_for(self, rule: Rule) -> list[tuple[str, ...]]:
        if rule.titles:
            return [(rule.titles[0],)]
        named = {t for r in self.policy.rules for t in r.titles}
        plain = [
            t.id
            for t in self.policy.titles.values()
            if t.level == rule.cadre_level and t.id not in named and t.id != "hamlet_cadre"
        ]
        return [(t,) for t in plain] or [()]

    def _support(self, rule: Rule, level_id: str) -> None:
        """Cadres of the rule's level support every unit of ``level_id`` in their home area."""
        areas = self._areas(rule.cadre_level)
        titles = self._titles_for(rule)
        for area in areas:
            units = self._below(area, level_id)
            if not units:
                continue
            if level_id == self.policy.household_level and area.level == "commune":
                count = self.group_cadres.get(area.code, len(units))
                count = max(count, math.ceil(len(units) / (rule.max_per_cadre or len(units))))
            else:
                per = 1
                count = math.ceil(len(units) / per)
            hamlet = self.policy.titles.get("hamlet_cadre")
            hamlet_title = (
                hamlet.id
                if hamlet is not None
                and hamlet.level == rule.cadre_level
                and rule.admits(Cadre("", "", rule.cadre_level, "", (hamlet.id,)))
                else None
            )
            hamlets = self._below(area, "hamlet") if hamlet_title else []
            people: list[Cadre] = []
            for i in range(count):
                if hamlet_title and i < len(hamlets):
                    chosen: tuple[str, ...] = (hamlet_title,)
                else:
                    chosen = titles[i % len(titles)]
                people.append(self._cadre(rule.cadre_level, area.code, chosen))
            for i, unit in enumerate(units):
                self._assign(people[i % len(people)], unit, rule.role)

    def _areas(self, level: str) -> list[Unit]:
        if level == self.top.level:
            return [self.top]
        return [u for u in self.store.subtree(self.top.code) if u.level == level]

    def _below(self, area: Unit, level: str) -> list[Unit]:
        if level == "hamlet":
            if area.level == "commune":
                return list(self.hamlets_of.get(area.code, []))
            return [h for c in self._communes_in(area) for h in self.hamlets_of[c.code]]
        if level == self.policy.household_level:
            return [g for h in self._below(area, "hamlet") for g in self.groups_of[h.code]]
        if level == "commune":
            return self._communes_in(area)
        return [u for u in self.store.subtree(area.code) if u.level == level]

    def _communes_in(self, area: Unit) -> list[Unit]:
        if area.level == "commune":
            return [area]
        if area.code in self.by_area:
            return self.by_area[area.code]
        return [
            c
            for members in self.by_area.values()
            for c in members
            if area.level == self.top.level or c.parent == area.code
        ]

    def _clusters(self) -> None:
        """District Standing Committee members as heads of clusters of communes (seed 001)."""
        rule = next((r for r in self.policy.rules if r.role == "cluster_head"), None)
        if rule is None or rule.cadre_level == self.top.level:
            return
        for area in self._areas(rule.cadre_level):
            communes = self._communes_in(area)
            size = KNOWN_DISTRICTS.get(area.code)
            heads = (
                size.cluster_heads if size else max(1, round(len(communes) / COMMUNES_PER_CLUSTER))
            )
            per = split(len(communes), [1.0] * heads, self.rng, 1)
            start = 0
            for count in per:
                head = self._cadre(
                    rule.cadre_level, area.code, (rule.titles[0],) if rule.titles else ()
                )
                for commune in communes[start : start + count]:
                    self._assign(head, commune, rule.role)
                start += count

    def _district_members(self) -> None:
        """One district committee member follows each commune (seed 001: 21 for 21)."""
        rule = next(
            (r for r in self.policy.rules if r.id == "district-member-supports-commune"), None
        )
        if rule is None:
            return
        for area in self._areas(rule.cadre_level):
            for commune in self._communes_in(area):
                member = self._cadre(rule.cadre_level, area.code, ("district_committee_member",))
                self._assign(member, commune, rule.role)


def _with_since(cadre: Cadre) -> Cadre:
    from graph.model import Status, StatusPeriod

    return Cadre(
        cadre.id,
        cadre.name,
        cadre.level,
        cadre.home_unit,
        cadre.titles,
        (StatusPeriod(Status.ACTIVE, SINCE),),
        cadre.phone,
    )
