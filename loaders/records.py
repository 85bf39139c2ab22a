"""Units, cadres and assignments from CSV or XLSX files (headers from ``nam template KIND``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from graph.dates import parse_date
from graph.i18n import _, day
from graph.model import Assignment, Cadre, Status, StatusPeriod, Unit
from graph.policy import Policy
from graph.stores.port import GraphStore
from loaders.columns import ASSIGNMENTS, CADRES, UNITS
from loaders.plan import Origin, Plan, make_plan
from loaders.problems import LoadError, Problem
from loaders.tabular import Row, Table, read_table

__all__ = ["assignment_id", "plan_assignments", "plan_cadres", "plan_file", "plan_units"]

T = TypeVar("T")

#: A date further ahead than this is read, with a warning (a typo such as 2099 for 2029?).
FAR_AHEAD = timedelta(days=5 * 365 + 1)


def far_ahead(when: date, today: date | None = None) -> bool:
    """Whether ``when`` is more than five years after today."""
    return when > (today or date.today()) + FAR_AHEAD


class _Reader:
    """Parses the cells of one table, collecting problems instead of stopping at the first."""

    def __init__(self, table: Table, policy: Policy) -> None:
        self.table = table
        self.policy = policy
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = list(table.warnings)
        self.seen: dict[str, int] = {}

    def origin(self, row: Row) -> Origin:
        return Origin(self.table.file, row.number, tuple(self.table.headers.items()))

    def fail(self, row: Row, key: str, message: str, code: str = "bad_value") -> None:
        self.problems.append(self.table.problem(row.number, key, message, code=code))

    def warn(self, row: Row, key: str, message: str, code: str) -> None:
        self.warnings.append(
            self.table.problem(row.number, key, message, code=code, severity="warning")
        )

    def text(self, row: Row, key: str, required: bool = False) -> str:
        value = row.get(key)
        if required and not value:
            self.fail(
                row,
                key,
                _("empty; fill in {column}").format(
                    column=repr(self.table.layout.column(key).header)
                ),
                "empty_cell",
            )
        return value

    def unique(self, row: Row, key: str, value: str) -> bool:
        if value in self.seen:
            self.fail(
                row,
                key,
                _("{value} is also on row {row}; each row needs its own").format(
                    value=repr(value), row=self.seen[value]
                ),
                "duplicate_id",
            )
            return False
        self.seen[value] = row.number
        return True

    def parsed(
        self,
        row: Row,
        key: str,
        parse: Callable[[str], T | None],
        wrong: str,
        code: str = "bad_value",
        **fields: str,
    ) -> T | None:
        """The cell parsed; ``wrong`` is the translated message for a value that does not parse,
        with ``{value}`` (the cell, quoted) and the other ``fields`` as placeholders."""
        value = row.get(key)
        if not value:
            return None
        try:
            result = parse(value)
        except ValueError as err:
            self.fail(row, key, str(err), code)
            return None
        if result is None:
            self.fail(row, key, wrong.format(value=repr(value), **fields), code)
        return result

    def date(self, row: Row, key: str, required: bool = False) -> date | None:
        if required and not row.get(key):
            self.fail(row, key, _("empty; give a date such as 26/8/2022"), "empty_cell")
            return None
        when = self.parsed(row, key, parse_date, _("{value} is not a date"), "bad_date")
        if when is not None and far_ahead(when):
            self.warn(
                row,
                key,
                _(
                    "{date} is more than five years ahead; loaded as written (check the year)"
                ).format(date=day(when)),
                "date_far_ahead",
            )
        return when

    def level(self, row: Row, key: str = "level") -> str | None:
        names = ", ".join(level.label for level in self.policy.levels)
        return self.parsed(
            row,
            key,
            self.policy.level_id,
            _("{value} is not a level of this policy ({names})"),
            names=names,
        )

    def count(self, row: Row, key: str) -> int | None:
        def whole(text: str) -> int:
            cleaned = text.replace(" ", "")
            if not cleaned.isdigit():
                raise ValueError(
                    _("{value} is not a whole number of households (0 or more)").format(
                        value=repr(text)
                    )
                )
            return int(cleaned)

        return self.parsed(row, key, whole, _("{value} is not a whole number"))


def plan_units(
    store: GraphStore, path: Path, on: date | None = None, sheet: str | None = None
) -> Plan:
    table = read_table(path, UNITS, sheet)
    reader = _Reader(table, store.policy)
    units: list[Unit] = []
    origins: dict[str, Origin] = {}
    for row in table.rows:
        code = reader.text(row, "code", required=True)
        name = reader.text(row, "name", required=True)
        level = reader.level(row) if row.get("level") else None
        if not row.get("level"):
            reader.fail(
                row,
                "level",
                _("empty; give the level (e.g. ấp, tổ nhân dân tự quản)"),
                "empty_cell",
            )
        households = reader.count(row, "households")
        valid_from, valid_to = reader.date(row, "valid_from"), reader.date(row, "valid_to")
        if not code or not name or level is None or not reader.unique(row, "code", code):
            continue
        unit = Unit(
            code,
            name,
            level,
            row.get("kind").lower(),
            row.get("parent") or None,
            households,
            valid_from,
            valid_to,
        )
        units.append(unit)
        origins[f"unit:{code}"] = reader.origin(row)
    return make_plan(
        store,
        units=units,
        origins=origins,
        on=on,
        problems=reader.problems,
        warnings=reader.warnings,
    )


def plan_cadres(
    store: GraphStore, path: Path, on: date | None = None, sheet: str | None = None
) -> Plan:
    table = read_table(path, CADRES, sheet)
    reader = _Reader(table, store.policy)
    policy = store.policy
    cadres: list[Cadre] = []
    origins: dict[str, Origin] = {}
    for row in table.rows:
        cadre_id = reader.text(row, "id", required=True)
        name = reader.text(row, "name", required=True)
        home = reader.text(row, "home_unit", required=True)
        level = reader.level(row) if row.get("level") else None
        if not row.get("level"):
            reader.fail(
                row, "level", _("empty; give the cadre's level (tỉnh, huyện, xã)"), "empty_cell"
            )
        titles: list[str] = []
        for text in filter(None, (t.strip() for t in row.get("titles").split(";"))):
            title = policy.title_id(text)
            if title is None:
                reader.fail(
                    row,
                    "titles",
                    _("{title} is not a title of this policy; use one of: {titles}").format(
                        title=repr(text),
                        titles="; ".join(t.label for t in policy.titles.values()),
                    ),
                )
            else:
                titles.append(title)
        status = (
            reader.parsed(
                row,
                "status",
                policy.status,
                _("{value} is not a status (đang công tác, chuyển công tác, nghỉ hưu)"),
            )
            or Status.ACTIVE
        )
        since = reader.date(row, "status_since")
        if not cadre_id or not name or not home or level is None:
            continue
        if not reader.unique(row, "id", cadre_id):
            continue
        old = store.cadre(cadre_id)
        history = _history(old, status, since)
        if history is None:
            reader.fail(
                row,
                "status_since",
                _(
                    "{since} is before the cadre's last recorded status change ({last}); "
                    "give a later date"
                ).format(since=day(since), last=day(old.status_since) if old else ""),
            )
            continue
        cadres.append(Cadre(cadre_id, name, level, home, tuple(titles), history, row.get("phone")))
        origins[f"cadre:{cadre_id}"] = reader.origin(row)
    return make_plan(
        store,
        cadres=cadres,
        origins=origins,
        on=on,
        problems=reader.problems,
        warnings=reader.warnings,
    )


def _history(
    old: Cadre | None, status: Status, since: date | None
) -> tuple[StatusPeriod, ...] | None:
    if old is None:
        return (StatusPeriod(status, since),)
    if old.status is status and (since is None or since == old.status_since):
        return old.history
    last = old.status_since
    if since is not None and last is not None and since < last:
        return None
    return (*old.history, StatusPeriod(status, since))


def assignment_id(cadre: str, unit: str, role: str, since: date) -> str:
    """The id of an assignment given without one: stable, so loading twice changes nothing."""
    return f"{cadre}>{unit}>{role}>{since.isoformat()}"


def plan_assignments(
    store: GraphStore, path: Path, on: date | None = None, sheet: str | None = None
) -> Plan:
    table = read_table(path, ASSIGNMENTS, sheet)
    reader = _Reader(table, store.policy)
    policy = store.policy
    assignments: list[Assignment] = []
    origins: dict[str, Origin] = {}
    for row in table.rows:
        cadre = reader.text(row, "cadre", required=True)
        unit = reader.text(row, "unit", required=True)
        role = (
            reader.parsed(
                row,
                "role",
                policy.role_id,
                _("{value} is not a role ({roles})"),
                roles=", ".join(r.label for r in policy.roles.values()),
            )
            if row.get("role")
            else "support"
        )
        since = reader.date(row, "since", required=True)
        until = reader.date(row, "until")
        if not cadre or not unit or role is None or since is None:
            continue
        key = row.get("id") or assignment_id(cadre, unit, role, since)
        if not reader.unique(row, "id" if row.get("id") else "cadre", key):
            continue
        assignments.append(
            Assignment(key, cadre, unit, role, since, until, row.get("decision") or policy.decision)
        )
        origins[f"assignment:{key}"] = reader.origin(row)
    return make_plan(
        store,
        assignments=assignments,
        origins=origins,
        on=on,
        problems=reader.problems,
        warnings=reader.warnings,
    )


PLANNERS: dict[str, Callable[[GraphStore, Path, date | None, str | None], Plan]] = {
    "units": plan_units,
    "cadres": plan_cadres,
    "assignments": plan_assignments,
}


def plan_file(
    store: GraphStore, kind: str, path: Path, on: date | None = None, sheet: str | None = None
) -> Plan:
    try:
        planner = PLANNERS[kind]
    except KeyError:
        raise LoadError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    _("unknown kind {kind}; use units, cadres or assignments").format(
                        kind=repr(kind)
                    ),
                    code="unknown_kind",
                )
            ]
        ) from None
    return planner(store, path, on, sheet)
