"""GraphQL types for what assigned cadres actually did: petitions under a unit and a cadre's
yearly record (:mod:`graph.petitions`, :mod:`graph.yearly`).

A petition's text is personal data: only officers (province_admin, district_officer,
commune_officer) see it, and each text shown is put on the audit trail."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from graph import activity, petitions, yearly
from namgraph.api.context import Context
from namgraph.api.types import Cadre, Unit

__all__ = ["Followed", "Petition", "PetitionCount", "PetitionReport", "YearlyRecord"]

Ctx = Info[Context, None]


@strawberry.type(description="A petition (kiến nghị) or complaint (phản ánh) still open.")
class Petition:
    id: strawberry.ID
    kind: str = strawberry.field(description="petition or complaint.")
    raised: date
    unit: Unit = strawberry.field(description="Where it was raised.")
    received_by: strawberry.ID
    waiting_with: Cadre | None = strawberry.field(
        description="The cadre it was last passed to; null when outside the caller's scope."
    )
    days_open: int
    overdue: bool = strawberry.field(
        description="Open longer than the policy's answer deadline (petition_answer_days)."
    )
    _petition: strawberry.Private[activity.Petition]

    @strawberry.field(
        description="What was asked; null unless the caller is an officer (province_admin, "
        "district_officer, commune_officer). Every text shown goes on the audit trail."
    )
    def text(self, info: Ctx) -> str | None:
        context = info.context
        if not context.principal.sees_contacts:
            return None
        context.audit("read", context.principal, "PETITION_TEXT", petition=self._petition.id)
        return self._petition.text

    @classmethod
    def of(cls, waiting: petitions.Waiting) -> Petition:
        p = waiting.petition
        return cls(
            id=strawberry.ID(p.id),
            kind=p.kind,
            raised=p.raised,
            unit=Unit.of(waiting.unit),
            received_by=strawberry.ID(p.received_by),
            waiting_with=Cadre.of(waiting.holder) if waiting.holder else None,
            days_open=waiting.days,
            overdue=waiting.overdue,
            _petition=p,
        )


@strawberry.type(description="Open and overdue petitions held at one level or by one cadre.")
class PetitionCount:
    key: str = strawberry.field(description="A level id, or a cadre id.")
    open: int
    overdue: int


@strawberry.type(description="Median days from raised to answered, per unit one level down.")
class MedianDays:
    unit: strawberry.ID
    days: float


@strawberry.type(description="The petitions raised under a unit up to a date.")
class PetitionReport:
    unit: Unit
    as_of: date
    answer_days: int = strawberry.field(description="The policy's answer deadline, in days.")
    open: list[Petition] = strawberry.field(description="Open ones, oldest first; complete.")
    by_level: list[PetitionCount]
    by_cadre: list[PetitionCount]
    median_days: list[MedianDays]
    answered: int

    @classmethod
    def of(cls, report: petitions.PetitionReport, overdue_only: bool) -> PetitionReport:
        shown = report.overdue if overdue_only else report.open
        return cls(
            unit=Unit.of(report.unit),
            as_of=report.on,
            answer_days=report.answer_days,
            open=[Petition.of(w) for w in shown],
            by_level=[
                PetitionCount(key=k, open=o, overdue=d) for k, (o, d) in report.by_level.items()
            ],
            by_cadre=[
                PetitionCount(key=k, open=o, overdue=d) for k, (o, d) in report.by_cadre.items()
            ],
            median_days=[
                MedianDays(unit=strawberry.ID(k), days=v) for k, v in report.median_days.items()
            ],
            answered=report.answered,
        )


@strawberry.type(description="A unit followed in the year.")
class Followed:
    unit: Unit
    role: str
    days: int = strawberry.field(description="Days of the year the assignment was held.")
    households: int | None = strawberry.field(description="At the year's end; null if ended.")
    households_reached: int | None


@strawberry.type(description="A cadre's yearly record (phiếu đánh giá).")
class YearlyRecord:
    cadre: Cadre
    year: int
    end: date = strawberry.field(description="The last day counted.")
    policy: str
    illustrative: bool = strawberry.field(
        description="The policy's activity figures are examples, not a rule of the province."
    )
    followed: list[Followed]
    meetings_attended: int
    meetings_missed: int
    minimum: int | None = strawberry.field(
        description="The yearly minimum of attendances for the cadre's title; null if none."
    )
    meets_minimum: bool | None
    petitions_received: int
    petitions_passed_on: int
    petitions_answered_in_time: int
    petitions_answered_late: int
    petitions_open: int
    households: int
    households_reached: int

    @classmethod
    def of(cls, r: yearly.YearlyRecord) -> YearlyRecord:
        return cls(
            cadre=Cadre.of(r.cadre),
            year=r.year,
            end=r.end,
            policy=r.policy,
            illustrative=r.illustrative,
            followed=[
                Followed(
                    unit=Unit.of(f.unit),
                    role=f.role,
                    days=f.days,
                    households=f.households,
                    households_reached=f.households_reached,
                )
                for f in r.followed
            ],
            meetings_attended=r.meetings_attended,
            meetings_missed=r.meetings_missed,
            minimum=r.minimum.per_year if r.minimum else None,
            meets_minimum=r.meets_minimum,
            petitions_received=r.petitions_received,
            petitions_passed_on=r.petitions_passed_on,
            petitions_answered_in_time=r.petitions_answered_in_time,
            petitions_answered_late=r.petitions_answered_late,
            petitions_open=r.petitions_open,
            households=r.households,
            households_reached=r.households_reached,
        )
