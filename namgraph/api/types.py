"""The GraphQL types dashboards see. Thin wrappers over :mod:`graph` values; nested fields go
through the request's data loaders, so a list of units costs one store call per field."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from enum import Enum
from typing import Annotated, Generic, TypeVar

import strawberry
from strawberry.types import Info

from graph import answers, model
from namgraph.api.context import Context
from namgraph.api.errors import bad_input

__all__ = [
    "Assignment",
    "Cadre",
    "ChainLink",
    "Coverage",
    "Gap",
    "GapConnection",
    "LevelCoverage",
    "LevelReach",
    "Load",
    "PageInfo",
    "Reach",
    "Succession",
    "Supporter",
    "Takeover",
    "Unit",
    "UnitVersion",
    "Violation",
    "ViolationConnection",
    "WhatIf",
    "decode_cursor",
    "encode_cursor",
    "on_date",
    "page_size",
]

Ctx = Info[Context, None]


def on_date(as_of: date | None) -> date:
    return as_of or date.today()


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def page_size(info: Ctx, first: int | None) -> int:
    """The page a list field returns: ``first`` within the configured cap, or the default."""
    settings = info.context.settings
    if first is None:
        return settings.default_page
    if first < 0 or first > settings.max_page:
        raise bad_input(f"first must be between 0 and {settings.max_page}; page with `after`")
    return first


def decode_cursor(kind: str, cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise bad_input(
            f"cursor {cursor!r} is not one this API gave out; use pageInfo.endCursor"
        ) from None
    prefix, _, key = text.partition(":")
    if prefix != kind:
        raise bad_input(
            f"cursor {cursor!r} belongs to another list; use this list's pageInfo.endCursor"
        )
    return key


@strawberry.enum(description="Why a unit has no unbroken chain on a date.")
class GapReason(Enum):
    NO_SUPPORTER = "no_supporter"
    SUPPORTER_ENDED = "supporter_ended"
    SUPPORTER_RETIRED = "supporter_retired"
    SUPPORTER_TRANSFERRED = "supporter_transferred"
    SUPPORTER_LEAVING = "supporter_leaving"
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

    @strawberry.field(description="Parent first, up to the province, on the date asked about.")
    async def ancestors(self, info: Ctx) -> list[Unit]:
        if self._as_of is not None:
            store = info.context.store
            dated = await info.context.call(store.ancestors_of, [self._unit.code], self._as_of)
            return [Unit.of(u, self._as_of) for u in dated.get(self._unit.code, [])]
        found = await info.context.loaders.ancestors.load(self._unit.code)
        return [Unit.of(u) for u in found or []]

    @strawberry.field(description="Every version of the unit, oldest first.")
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

    @strawberry.field(description="The units it went into when it ended (merge files).")
    async def successors(self, info: Ctx) -> list[Succession]:
        codes = [m.code for m in self._unit.successors]
        visible = await info.context.loaders.units.load_many(codes) if codes else []
        return [
            Succession(code=strawberry.ID(m.code), on=m.on, resolution=m.resolution)
            for m, seen in zip(self._unit.successors, visible, strict=True)
            if seen is not None
        ]

    @strawberry.field(description="The units that went into this one (merge files), by code.")
    async def predecessors(self, info: Ctx) -> list[Unit]:
        store = info.context.store
        found = await info.context.call(store.predecessors_of, [self._unit.code])
        return [Unit.of(u) for u in found.get(self._unit.code, [])]

    @strawberry.field(description="Units directly below, by code; `after` is a code.")
    async def children(
        self,
        info: Ctx,
        first: int | None = None,
        after: str | None = None,
        as_of: date | None = None,
    ) -> list[Unit]:
        size = page_size(info, first)
        found = await info.context.loaders.children.load((self._unit.code, on_date(as_of)))
        units = [u for u in found or [] if after is None or u.code > after]
        return [Unit.of(u) for u in units[:size]]

    @strawberry.field(
        description="Households: a group's own count, else the sum below on the date."
    )
    async def households(self, info: Ctx, as_of: date | None = None) -> int:
        if self._unit.households is not None:
            return self._unit.households
        found = await info.context.loaders.coverage.load((self._unit.code, on_date(as_of)))
        return found.households if found else 0

    @strawberry.field(description="Who supports this unit on the date, counting for its coverage.")
    async def supporters(self, info: Ctx, as_of: date | None = None) -> list[Supporter]:
        found = await info.context.loaders.supporters.load((self._unit.code, on_date(as_of)))
        return [Supporter.of(s) for s in found or ()]

    @strawberry.field
    async def coverage(self, info: Ctx, as_of: date | None = None) -> Coverage:
        found = await info.context.loaders.coverage.load((self._unit.code, on_date(as_of)))
        assert found is not None
        return Coverage.of(found)


@strawberry.type(description="A cadre assigned to follow and support units.")
class Cadre:
    id: strawberry.ID
    name: str
    level: str
    titles: list[str]
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
    def status_on(self, as_of: date | None = None) -> CadreStatus | None:
        status = self._cadre.status_on(on_date(as_of))
        return CadreStatus(str(status)) if status else None

    @strawberry.field
    async def home_unit(self, info: Ctx) -> Unit | None:
        found = await info.context.loaders.units.load(self._cadre.home_unit)
        return Unit.of(found) if found else None

    @strawberry.field(description="Assignments in force on the date (all of them when `all`).")
    async def assignments(
        self, info: Ctx, as_of: date | None = None, all: bool = False
    ) -> list[Assignment]:
        found = await info.context.loaders.assignments.load(self._cadre.id)
        on = on_date(as_of)
        return [Assignment.of(a) for a in found or [] if all or a.in_force_on(on)]

    @strawberry.field
    async def reach(self, info: Ctx, as_of: date | None = None) -> Reach:
        store = info.context.store
        return Reach.of(await info.context.call(store.reach, self._cadre.id, on_date(as_of)))

    @strawberry.field
    async def load(self, info: Ctx, as_of: date | None = None) -> Load:
        found = await info.context.loaders.loads.load((self._cadre.id, on_date(as_of)))
        assert found is not None
        return Load.of(found)


@strawberry.type
class Assignment:
    id: strawberry.ID
    role: str
    since: date
    until: date | None
    decision: str
    _a: strawberry.Private[model.Assignment]

    @classmethod
    def of(cls, a: model.Assignment) -> Assignment:
        return cls(
            id=strawberry.ID(a.id),
            role=a.role,
            since=a.since,
            until=a.until,
            decision=a.decision,
            _a=a,
        )

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
    levels: list[LevelCoverage]
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


@strawberry.type
class Gap:
    unit: Unit
    reason: GapReason
    broken_at: strawberry.ID | None = strawberry.field(
        description="With chain_broken_above: the code of the topmost uncovered unit above."
    )

    @classmethod
    def of(cls, g: answers.Gap) -> Gap:
        broken = strawberry.ID(g.broken_at) if g.broken_at else None
        return cls(unit=Unit.of(g.unit), reason=GapReason(str(g.reason)), broken_at=broken)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


N = TypeVar("N")


@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@strawberry.type
class GapConnection:
    total_count: int
    page_info: PageInfo
    edges: list[Edge[Gap]]

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
    supporters: list[Supporter]

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
    direct: list[Unit]
    levels: list[LevelReach]
    households: int
    breaks: list[Gap]

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
            breaks=[Gap.of(g) for g in r.breaks],
        )


@strawberry.type
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


@strawberry.type
class Takeover:
    unit: Unit
    candidates: list[Load]


@strawberry.type
class WhatIf:
    cadres: list[Cadre]
    on: date
    before: Coverage
    after: Coverage
    households_lost: int
    lost: list[Takeover]

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
