"""The GraphQL types dashboards see. Thin wrappers over :mod:`graph` values; nested fields go
through the request's data loaders, so a list of units costs one store call per field."""

from __future__ import annotations

import base64
import bisect
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from enum import Enum
from typing import Annotated, Generic, TypeVar, cast

import strawberry
from strawberry.types import Info

from graph import answers, model
from graph.dates import today
from graph.i18n import _
from namgraph.api.context import Context, answer
from namgraph.api.errors import bad_input

__all__ = [
    "Assignment",
    "Cadre",
    "CadreConnection",
    "ChainLink",
    "Coverage",
    "Gap",
    "GapConnection",
    "LevelCoverage",
    "LevelReach",
    "Load",
    "LoadOrder",
    "PageInfo",
    "Reach",
    "Succession",
    "Supporter",
    "Takeover",
    "Unit",
    "UnitConnection",
    "UnitVersion",
    "Violation",
    "ViolationConnection",
    "WhatIf",
    "decode_cursor",
    "encode_cursor",
    "keyed_page",
    "on_date",
    "page_size",
]

Ctx = Info[Context, None]


def on_date(info: Ctx, as_of: date | None) -> date:
    """The date a field answers for: its own ``asOf``, else the request's date
    (``query @asOf(date: ...)``), else today in ``NAM_TZ``."""
    return as_of or info.context.as_of or today()


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def page_size(info: Ctx, first: int | None) -> int:
    """The page a list field returns: ``first`` within the configured cap, or the default."""
    settings = info.context.settings
    if first is None:
        return settings.default_page
    if first < 0 or first > settings.max_page:
        raise bad_input(
            _("first must be between 0 and {n}; page with `after`").format(n=settings.max_page)
        )
    return first


T = TypeVar("T")


def keyed_page(
    kind: str, items: Sequence[T], key: Callable[[T], str], size: int, after: str | None
) -> tuple[list[tuple[str, T]], PageInfo]:
    """The page of ``items`` (sorted by ``key``) after the cursor ``after``, with a cursor for
    each item: the cursor names the key, so a page goes on after the same key even when the
    list has changed since the page before."""
    keys = [key(item) for item in items]
    start = 0 if after is None else bisect.bisect_right(keys, decode_cursor(kind, after))
    chosen = slice(start, start + size)
    page = [
        (encode_cursor(kind, k), item) for k, item in zip(keys[chosen], items[chosen], strict=True)
    ]
    info = PageInfo(
        has_next_page=start + size < len(items), end_cursor=page[-1][0] if page else None
    )
    return page, info


def decode_cursor(kind: str, cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise bad_input(
            _("cursor {cursor} is not one this API gave out; use pageInfo.endCursor").format(
                cursor=repr(cursor)
            )
        ) from None
    prefix, _sep, key = text.partition(":")
    if prefix != kind:
        raise bad_input(
            _("cursor {cursor} belongs to another list; use this list's pageInfo.endCursor").format(
                cursor=repr(cursor)
            )
        )
    return key


@strawberry.enum(description="Why a unit has no unbroken chain on a date.")
class GapReason(Enum):
    NO_SUPPORTER = "no_supporter"
    SUPPORTER_ENDED = "supporter_ended"
    SUPPORTER_RETIRED = "supporter_retired"
    SUPPORTER_TRANSFERRED = "supporter_transferred"
    SUPPORTER_LEAVING = "supporter_leaving"
    SUPPORTER_ABSENT = "supporter_absent"
    CHAIN_BROKEN_ABOVE = "chain_broken_above"


@strawberry.enum(description="A cadre's status on a date.")
class CadreStatus(Enum):
    ACTIVE = "active"
    TRANSFERRED = "transferred"
    RETIRED = "retired"


@strawberry.type(
    description="What a unit was called, what kind it was and where it hung, from `validFrom` "
    "until the day before `validTo`."
)
class UnitVersion:
    name: str
    kind: str
    valid_from: date | None
    valid_to: date | None
    decision: str
    _parent: strawberry.Private[str | None]

    @strawberry.field(description="Where it hung then (null: the top, or outside your scope).")
    async def parent(self, info: Ctx) -> Unit | None:
        if not self._parent:
            return None
        found = await info.context.loaders.units.load(self._parent)
        on = self.valid_to - timedelta(days=1) if self.valid_to else self.valid_from
        return Unit.of(found.on(on), on) if found else None


@strawberry.type(description="From `on`, a unit went into `unit` by `resolution` (a merge).")
class Succession:
    code: strawberry.ID
    on: date
    resolution: str

    @strawberry.field(description="The unit it went into, as it was on that date.")
    async def unit(self, info: Ctx) -> Unit | None:
        found = await info.context.loaders.units.load(str(self.code))
        return Unit.of(found.on(self.on), self.on) if found else None


@strawberry.type(description="A province, district, commune, hamlet or household group.")
class Unit:
    code: strawberry.ID
    name: str = strawberry.field(description="The name on the date asked about (else today's).")
    level: str = strawberry.field(description="A level of the chain policy, e.g. commune.")
    kind: str = strawberry.field(description="xã, phường, thị trấn, ấp, khu phố, thôn, ...")
    valid_from: date | None = strawberry.field(description="When this version began.")
    valid_to: date | None = strawberry.field(description="When this version ended.")
    _unit: strawberry.Private[model.Unit]
    _as_of: strawberry.Private[date | None] = None

    @classmethod
    def of(cls, unit: model.Unit, as_of: date | None = None) -> Unit:
        return cls(
            code=strawberry.ID(unit.code),
            name=unit.name,
            level=unit.level,
            kind=unit.kind,
            valid_from=unit.valid_from,
            valid_to=unit.valid_to,
            _unit=unit,
            _as_of=as_of,
        )

    @strawberry.field(description="The parent on the date asked about (else today's).")
    async def parent(self, info: Ctx) -> Unit | None:
        if not self._unit.parent:
            return None
        found = await info.context.loaders.units.load(self._unit.parent)
        return Unit.of(found.on(self._as_of), self._as_of) if found else None

    @strawberry.field(
        description="Parent first, up to the province, on the date asked about; complete."
    )
    async def ancestors(self, info: Ctx) -> list[Unit]:
        if self._as_of is not None:
            dated = await info.context.loaders.ancestors_on.load((self._unit.code, self._as_of))
            return [Unit.of(u, self._as_of) for u in dated or []]
        found = await info.context.loaders.ancestors.load(self._unit.code)
        return [Unit.of(u) for u in found or []]

    @strawberry.field(description="Every version of the unit, oldest first; complete.")
    def versions(self) -> list[UnitVersion]:
        return [
            UnitVersion(
                name=v.name,
                kind=v.kind,
                _parent=v.parent,
                valid_from=v.valid_from,
                valid_to=v.valid_to,
                decision=v.decision,
            )
            for v in self._unit.versions()
        ]

    @strawberry.field(
        description="The units it went into when it ended (merge files); all you may see."
    )
    async def successors(self, info: Ctx) -> list[Succession]:
        codes = [m.code for m in self._unit.successors]
        visible = await info.context.loaders.units.load_many(codes) if codes else []
        return [
            Succession(code=strawberry.ID(m.code), on=m.on, resolution=m.resolution)
            for m, seen in zip(self._unit.successors, visible, strict=True)
            if seen is not None
        ]

    @strawberry.field(
        description="The units that went into this one (merge files), by code; all you may see."
    )
    async def predecessors(self, info: Ctx) -> list[Unit]:
        store = info.context.store
        found = await info.context.call(store.predecessors_of, [self._unit.code])
        return [Unit.of(u) for u in found.get(self._unit.code, [])]

    @strawberry.field(
        description="Units directly below on the date, by code; `after` is a code. Not "
        "complete: at most `first` units (default 100, NAM_DEFAULT_PAGE), with no sign that "
        "more were left off. `childrenConnection` pages through all of them with a count."
    )
    def children(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        as_of: date | None = None,
    ) -> list[Unit]:
        size = page_size(info, first)
        on = on_date(info, as_of)

        def page(found: list[model.Unit] | None) -> list[Unit]:
            units = [u for u in found or [] if after is None or u.code > after]
            return [Unit.of(u, on) for u in units[:size]]

        return answer(info.context.loaders.children, (self._unit.code, on), page)

    @strawberry.field(
        description="Units directly below on the date, by code, a page at a time: "
        "`totalCount` of them all, `first` per page (default 100), the next page "
        "`after: pageInfo.endCursor`."
    )
    async def children_connection(
        self,
        info: Ctx,
        as_of: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> UnitConnection:
        size = page_size(info, first)
        on = on_date(info, as_of)
        found = await info.context.loaders.children.load((self._unit.code, on))
        units = found or []
        page, page_info = keyed_page("unit", units, lambda u: u.code, size, after)
        return UnitConnection(
            total_count=len(units),
            page_info=page_info,
            edges=[Edge(cursor=cursor, node=Unit.of(u, on)) for cursor, u in page],
        )

    @strawberry.field(
        description="Households: a group's own count, else the sum below on the date."
    )
    async def households(self, info: Ctx, as_of: date | None = None) -> int:
        if self._unit.households is not None:
            return self._unit.households
        on = on_date(info, as_of)
        found = await info.context.loaders.coverage.load((self._unit.code, on))
        if found is None:  # left out of the batch: asked alone, the store says why
            return (await _alone(info, self._unit.code, on)).households
        return found.households

    @strawberry.field(
        description="Who supports this unit on the date and counts for its coverage; all of "
        "them. `assignments` lists everyone assigned to it, whatever the role."
    )
    def supporters(self, info: Ctx, as_of: date | None = None) -> list[Supporter]:
        key = (self._unit.code, on_date(info, as_of))
        return answer(
            info.context.loaders.supporters,
            key,
            lambda found: [Supporter.of(s) for s in found or ()],
        )

    @strawberry.field(
        description="Every assignment to this unit in force on the date, whatever its role "
        "(supporters, cluster heads, cell attendees, ...), by start date; `countsForCoverage` "
        "tells those that count. With `role`, only that role; with `all`, past and future ones "
        "too. Complete: not paged."
    )
    async def assignments(
        self,
        info: Ctx,
        as_of: date | None = None,
        role: str | None = None,
        all: bool = False,
    ) -> list[Assignment]:
        on = on_date(info, as_of)
        found = await info.context.loaders.assignments_at.load(self._unit.code)
        return [
            Assignment.of(a, on)
            for a in found or []
            if (all or a.in_force_on(on)) and (role is None or a.role == role)
        ]

    @strawberry.field
    def coverage(self, info: Ctx, as_of: date | None = None) -> Coverage:
        on = on_date(info, as_of)

        def made(found: answers.Coverage | None) -> Coverage:
            if found is None:  # left out of the batch: asked alone, the store says why
                return cast(Coverage, _alone(info, self._unit.code, on))
            return Coverage.of(found)

        return answer(info.context.loaders.coverage, (self._unit.code, on), made)


@strawberry.type(description="A page of units, with the count of them all.")
class UnitConnection:
    total_count: int
    page_info: PageInfo
    edges: list[Edge[Unit]]

    @strawberry.field
    def nodes(self) -> list[Unit]:
        return [edge.node for edge in self.edges]


@strawberry.type(description="A cadre assigned to follow and support units.")
class Cadre:
    id: strawberry.ID
    name: str
    level: str
    titles: list[str] = strawberry.field(description="Every title the cadre holds.")
    status: CadreStatus = strawberry.field(description="The latest status.")
    status_since: date | None
    _cadre: strawberry.Private[model.Cadre]

    @classmethod
    def of(cls, cadre: model.Cadre) -> Cadre:
        return cls(
            id=strawberry.ID(cadre.id),
            name=cadre.name,
            level=cadre.level,
            titles=list(cadre.titles),
            status=CadreStatus(str(cadre.status)),
            status_since=cadre.status_since,
            _cadre=cadre,
        )

    @strawberry.field(
        description="Contact phone; null unless the caller's role needs contacts "
        "(province_admin, district_officer, commune_officer)."
    )
    def phone(self, info: Ctx) -> str | None:
        return self._cadre.phone if info.context.principal.sees_contacts else None

    @strawberry.field(description="The status in force on the date.")
    def status_on(self, info: Ctx, as_of: date | None = None) -> CadreStatus | None:
        status = self._cadre.status_on(on_date(info, as_of))
        return CadreStatus(str(status)) if status else None

    @strawberry.field
    async def home_unit(self, info: Ctx) -> Unit | None:
        found = await info.context.loaders.units.load(self._cadre.home_unit)
        return Unit.of(found) if found else None

    @strawberry.field(
        description="Assignments in force on the date (all of them when `all`); complete."
    )
    async def assignments(
        self, info: Ctx, as_of: date | None = None, all: bool = False
    ) -> list[Assignment]:
        found = await info.context.loaders.assignments.load(self._cadre.id)
        on = on_date(info, as_of)
        return [Assignment.of(a, on) for a in found or [] if all or a.in_force_on(on)]

    @strawberry.field
    async def reach(self, info: Ctx, as_of: date | None = None) -> Reach:
        store = info.context.store
        return Reach.of(await info.context.call(store.reach, self._cadre.id, on_date(info, as_of)))

    @strawberry.field
    async def load(self, info: Ctx, as_of: date | None = None) -> Load:
        found = await info.context.loaders.loads.load((self._cadre.id, on_date(info, as_of)))
        assert found is not None
        return Load.of(found)


@strawberry.type(
    description="A cadre assigned to a unit in a role, from `since` until the day before `until`."
)
class Assignment:
    id: strawberry.ID
    role: str
    since: date
    until: date | None
    decision: str
    _a: strawberry.Private[model.Assignment]
    _on: strawberry.Private[date | None] = None

    @classmethod
    def of(cls, a: model.Assignment, on: date | None = None) -> Assignment:
        return cls(
            id=strawberry.ID(a.id),
            role=a.role,
            since=a.since,
            until=a.until,
            decision=a.decision,
            _a=a,
            _on=on,
        )

    @strawberry.field(
        description="Whether it counts for its unit's coverage on the date of the list it is "
        "in (else the request's date): in force, the cadre active, and the role and the "
        "cadre's level those the policy's rule for the unit's level asks for."
    )
    async def counts_for_coverage(self, info: Ctx) -> bool:
        on = self._on or on_date(info, None)
        found = await info.context.loaders.supporters.load((self._a.unit, on))
        return any(s.assignment.id == self._a.id for s in found or ())

    @strawberry.field
    async def unit(self, info: Ctx) -> Unit | None:
        found = await info.context.loaders.units.load(self._a.unit)
        return Unit.of(found) if found else None

    @strawberry.field
    async def cadre(self, info: Ctx) -> Cadre | None:
        found = await info.context.loaders.cadres.load(self._a.cadre)
        return Cadre.of(found) if found else None


@strawberry.type
class Supporter:
    cadre: Cadre
    role: str
    since: date
    until: date | None
    decision: str

    @classmethod
    def of(cls, s: answers.Supporter) -> Supporter:
        a = s.assignment
        return cls(
            cadre=Cadre.of(s.cadre), role=a.role, since=a.since, until=a.until, decision=a.decision
        )


@strawberry.type
class LevelCoverage:
    level: str
    units: int
    covered: int
    ratio: float | None = strawberry.field(description="covered / units; null when there are none.")


@strawberry.type(description="Coverage of a unit's subtree on a date, per level and end to end.")
class Coverage:
    unit: Unit
    as_of: date
    levels: list[LevelCoverage] = strawberry.field(description="Every level below; complete.")
    households: int
    households_reached: int = strawberry.field(
        description="Households in groups whose whole chain (commune, hamlet, group) is covered."
    )
    ratio: float | None

    @classmethod
    def of(cls, c: answers.Coverage) -> Coverage:
        return cls(
            unit=Unit.of(c.unit),
            as_of=c.as_of,
            levels=[
                LevelCoverage(level=lc.level, units=lc.units, covered=lc.covered, ratio=lc.ratio)
                for lc in c.levels
            ],
            households=c.households,
            households_reached=c.households_reached,
            ratio=c.ratio,
        )


async def _alone(info: Ctx, code: str, on: date) -> Coverage:
    """The coverage of a unit a batch left out (its level is not in the policy of the day):
    asked alone, the store raises why, on the field that asked."""
    return Coverage.of(await info.context.call(info.context.store.coverage, code, on))


@strawberry.type
class Gap:
    unit: Unit
    reason: GapReason
    broken_at: strawberry.ID | None = strawberry.field(
        description="With chain_broken_above: the code of the topmost uncovered unit above."
    )
    _on: strawberry.Private[date | None] = None

    @strawberry.field(
        description="Who could take this unit's support over on the date: the `first` "
        "(default 3, at most 10) active cadres of the rule's level and titles in the unit's "
        "area, fewest units carried first. Not complete; one store call for every gap asked."
    )
    async def candidates(self, info: Ctx, first: int = 3) -> list[Load]:
        if not 0 <= first <= 10:
            raise bad_input(_("`first` must be between 0 and 10"))
        on = self._on or on_date(info, None)
        found = await info.context.loaders.takeovers.load((str(self.unit.code), on))
        return [Load.of(c) for c in (found.candidates if found else ())[:first]]

    @classmethod
    def of(cls, g: answers.Gap, on: date | None = None) -> Gap:
        broken = strawberry.ID(g.broken_at) if g.broken_at else None
        return cls(unit=Unit.of(g.unit), reason=GapReason(str(g.reason)), broken_at=broken, _on=on)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


N = TypeVar("N")


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type(description="A page of cadres, with the count of them all.")
class CadreConnection:
    total_count: int
    page_info: PageInfo
    edges: list[Edge[Cadre]]

    @strawberry.field
    def nodes(self) -> list[Cadre]:
        return [edge.node for edge in self.edges]


@strawberry.type(description="A page of gaps, with the count of them all.")
class GapConnection:
    total_count: int
    page_info: PageInfo
    edges: list[Edge[Gap]]
    level: str = strawberry.field(description="The level asked about (its id).")

    @strawberry.field
    def nodes(self) -> list[Gap]:
        return [edge.node for edge in self.edges]


@strawberry.type
class ChainLink:
    unit: Unit
    level: str
    rule: str | None = strawberry.field(description="The policy rule that decides its coverage.")
    in_chain: bool
    covered: bool
    supporters: list[Supporter] = strawberry.field(
        description="Every supporter who counts for its coverage; complete."
    )

    @classmethod
    def of(cls, link: answers.ChainLink) -> ChainLink:
        return cls(
            unit=Unit.of(link.unit),
            level=link.unit.level,
            rule=link.rule,
            in_chain=link.in_chain,
            covered=link.covered,
            supporters=[Supporter.of(s) for s in link.supporters],
        )


@strawberry.type
class LevelReach:
    level: str
    units: int
    reached: int


@strawberry.type(
    description="What a cadre reaches through unbroken chains below the units they support."
)
class Reach:
    cadre: Cadre
    as_of: date
    status: CadreStatus | None
    direct: list[Unit] = strawberry.field(description="Every unit they support; complete.")
    levels: list[LevelReach] = strawberry.field(description="Every level below; complete.")
    households: int
    breaks: list[Gap] = strawberry.field(
        description="Every unit below where the chain breaks; complete."
    )

    @classmethod
    def of(cls, r: answers.Reach) -> Reach:
        return cls(
            cadre=Cadre.of(r.cadre),
            as_of=r.as_of,
            status=CadreStatus(str(r.status)) if r.status else None,
            direct=[Unit.of(u) for u in r.direct],
            levels=[
                LevelReach(level=lr.level, units=lr.units, reached=lr.reached) for lr in r.levels
            ],
            households=r.households,
            breaks=[Gap.of(g, r.as_of) for g in r.breaks],
        )


@strawberry.enum(description="The order of a workload list.")
class LoadOrder(Enum):
    UNITS_DESC = "units_desc"
    UNITS_ASC = "units_asc"
    HOUSEHOLDS_DESC = "households_desc"
    HOUSEHOLDS_ASC = "households_asc"

    def key(self, item: answers.Load) -> tuple[int, int, str]:
        """Sorts by the load asked for, then the other one the same way, then the cadre's id."""
        units, households = item.units, item.households
        if self in (LoadOrder.HOUSEHOLDS_DESC, LoadOrder.HOUSEHOLDS_ASC):
            units, households = households, units
        if self in (LoadOrder.UNITS_DESC, LoadOrder.HOUSEHOLDS_DESC):
            return (-units, -households, item.cadre.id)
        return (units, households, item.cadre.id)


@strawberry.type(description="A cadre's load: the units they support and the households below.")
class Load:
    cadre: Cadre
    units: int
    households: int
    max_units: int | None
    overloaded: bool

    @classmethod
    def of(cls, item: answers.Load) -> Load:
        return cls(
            cadre=Cadre.of(item.cadre),
            units=item.units,
            households=item.households,
            max_units=item.max_units,
            overloaded=item.overloaded,
        )


@strawberry.type(description="A unit that loses its supporter, and who could take it over.")
class Takeover:
    unit: Unit
    candidates: list[Load] = strawberry.field(
        description="Not complete: the three active cadres of the right level and area "
        "carrying the fewest units, fewest first."
    )


@strawberry.type(description="What loses coverage if these cadres leave on a date.")
class WhatIf:
    cadres: list[Cadre] = strawberry.field(description="The cadres asked about; complete.")
    on: date
    before: Coverage
    after: Coverage
    households_lost: int
    lost: list[Takeover] = strawberry.field(description="Every unit only they supported; complete.")

    @classmethod
    def of(cls, w: answers.WhatIf) -> WhatIf:
        return cls(
            cadres=[Cadre.of(c) for c in w.cadres],
            on=w.on,
            before=Coverage.of(w.before),
            after=Coverage.of(w.after),
            households_lost=w.households_lost,
            lost=[
                Takeover(unit=Unit.of(t.unit), candidates=[Load.of(c) for c in t.candidates])
                for t in w.lost
            ],
        )


@strawberry.type
class Violation:
    rule: str
    severity: str
    subject: str
    attribute: str
    message: str


@strawberry.type
class ViolationConnection:
    total_count: int
    errors: int
    warnings: int
    page_info: PageInfo
    edges: list[Edge[Violation]]

    @strawberry.field
    def nodes(self) -> list[Violation]:
        return [edge.node for edge in self.edges]


SearchHit = Annotated[Unit | Cadre, strawberry.union("SearchHit")]


@strawberry.type(description="Who is asking: the token's role, what it may do, what it sees.")
class Viewer:
    role: str = strawberry.field(description="province_admin, district_officer, ...")
    demo: bool = strawberry.field(description="True when the server runs in demo mode.")
    may_apply: bool = strawberry.field(description="Whether the role may plan and apply.")
    sees_contacts: bool = strawberry.field(description="Whether cadres' phones are shown.")
    roots: list[Unit] = strawberry.field(
        description="The units at the top of what the caller sees on the date: the token's "
        "scope, else (demo mode) every top-level unit alive on the date; complete."
    )


@strawberry.type(description="A level of the policy in force on a date, top down.")
class PolicyLevel:
    id: str
    label: str = strawberry.field(description="As people call it, in the reader's language.")
    counted: bool = strawberry.field(
        description="Whether coverage is counted at this level (a rule says who supports it)."
    )
