"""The official administrative-unit list (GSO export layout) as a dated snapshot of the map.

Columns: ``Tỉnh / Thành Phố, Mã TP, Quận Huyện, Mã QH, Phường Xã, Mã PX, Cấp``; one row per
commune. Two layouts: the three-tier list (until 30 June 2025) names each commune's district;
the two-tier list (from 1 July 2025) leaves the district columns empty, and its communes hang
from their province. One province's rows use one layout.

A list loaded ``on`` a date is the whole truth, from that date, for what it covers: every
province in it (the whole country), or the one ``province`` asked for. From that date a unit
missing from it ends; a unit whose name, kind or parent changed gets a new version (the old one
stays for earlier dates); a code that had ended and is listed again starts a new version of
the same unit. Only the levels a list carries (province, district, commune) end because of it.
A list loaded without a date is undated: it adds and corrects units, with no history, and only
before any dated list of the same provinces.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from graph.i18n import _, day
from graph.model import Unit, UnitVersion
from graph.stores.port import GraphStore
from loaders.columns import ADMIN
from loaders.plan import Origin, Plan, make_plan
from loaders.problems import LoadError, Problem
from loaders.tabular import Row, Table, read_table

__all__ = ["ADMIN_LEVELS", "AdminSummary", "kind_of", "plan_admin"]

_PREFIXES = ("thành phố", "thị trấn", "thị xã", "tỉnh", "huyện", "quận", "phường", "xã", "đặc khu")
_DIGITS = {"province": 2, "district": 3, "commune": 5}
#: The levels an administrative list carries, top down.
ADMIN_LEVELS = ("province", "district", "commune")


def kind_of(name: str) -> str:
    """The kind a unit's official name starts with.

    >>> kind_of("Thành phố Bến Tre"), kind_of("Huyện Châu Thành"), kind_of("Đặc khu Côn Đảo")
    ('thành phố', 'huyện', 'đặc khu')
    """
    lowered = name.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix + " "):
            return prefix
    return ""


@dataclass
class AdminSummary:
    """Per province, how many units a list starts, ends, renames and moves."""

    started: Counter[str] = field(default_factory=Counter)
    ended: Counter[str] = field(default_factory=Counter)
    renamed: Counter[str] = field(default_factory=Counter)
    moved: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, int]]:
        provinces = sorted(
            set(self.started) | set(self.ended) | set(self.renamed) | set(self.moved)
        )
        return {
            p: {
                "started": self.started[p],
                "ended": self.ended[p],
                "renamed": self.renamed[p],
                "moved": self.moved[p],
            }
            for p in provinces
        }


@dataclass(frozen=True, slots=True)
class _Listed:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    row: int


def plan_admin(
    store: GraphStore,
    path: Path,
    province: str | None = None,
    on: date | None = None,
    decision: str = "",
    sheet: str | None = None,
    force_past: bool = False,
) -> Plan:
    """The plan that makes the map ``on`` that date what the list says (see the module).

    ``force_past``: a list dated before one already loaded is inserted at its date. It is the
    whole truth from ``on`` up to the next date the map already changes on; from that date the
    map stays as the later list made it (a unit the inserted list ends comes back then if the
    later list has it)."""
    table = read_table(path, ADMIN, sheet)
    policy = store.policy_on(on)
    wanted = province.zfill(2) if province else None
    covered = {wanted} if wanted else None  # a national list speaks for every province
    current = _admin_units(store, covered, on)
    until = _check_order(table, current, covered, on, force_past)
    problems: list[Problem] = []
    listed = _read_units(table, wanted, policy.has_level("district"), on, policy.id, problems)
    if wanted and not listed and not problems:
        raise LoadError(
            [
                Problem(
                    table.file,
                    None,
                    table.headers.get("province"),
                    _("no rows for province {province}; check the code (Bến Tre is 83)").format(
                        province=wanted
                    ),
                    code="no_rows",
                )
            ]
        )
    if on is not None:
        problems += _merge_dates(table.file, current, listed, on)
    if problems:
        raise LoadError(problems)

    summary = AdminSummary()
    records: list[Unit] = []
    origins: dict[str, Origin] = {}
    has_district = policy.has_level("district")
    stored = store.units(listed)
    province_of = _provinces(listed)
    for code, item in listed.items():
        old = stored.get(code)
        new = (
            _next(old, item, on, decision)
            if until is None or on is None
            else _splice(old, item, on, until, decision)
        )
        records.append(new)
        origins[f"unit:{code}"] = _origin(table, item, has_district)
        where = province_of.get(code, code)
        if old is None or (on is not None and not old.exists_on(on)):
            summary.started[where] += 1
        elif new != old:
            before = old.version_on(on) if on is not None else old.latest
            if before is not None and (before.name, before.kind) != (item.name, item.kind):
                summary.renamed[where] += 1
            if before is not None and before.parent != item.parent:
                summary.moved[where] += 1
    ended: list[Unit] = []
    if on is not None:
        for code, unit in current.items():
            if code in listed:
                continue
            ended.append(
                _ended(unit, on, decision)
                if until is None
                else _splice(unit, None, on, until, decision)
            )
            summary.ended[_province_on(code, current, on)] += 1
    plan = make_plan(
        store,
        units=[*records, *ended],
        origins=origins,
        on=on,
        policy=policy,
        warnings=table.warnings,
    )
    plan.provinces = summary.as_dict()
    if on is not None and ended:
        plan.warnings.extend(_orphans(store, table.file, ended, listed, on))
    return plan


def _read_units(
    table: Table,
    wanted: str | None,
    has_district: bool,
    on: date | None,
    policy_id: str,
    problems: list[Problem],
) -> dict[str, _Listed]:
    """The units the list names, in list order, with their parents under its layout."""
    units: dict[str, _Listed] = {}
    layout: dict[str, tuple[bool, int]] = {}  # per province: has districts, first row
    for row in table.rows:
        codes = _codes(row)
        if wanted and codes["province"] != wanted:
            continue
        tiers = bool(codes["district"] or row.get("district_name"))
        known = layout.setdefault(codes["province"], (tiers, row.number))
        if known[0] != tiers:
            problems.append(
                table.problem(
                    row.number,
                    "district",
                    (
                        _(
                            "province {province} has rows with a district (row {row}) and rows "
                            "without one; one list, one layout per province: fill in every "
                            "district (the map before 1 July 2025) or none (the two-tier map)"
                        )
                        if known[0]
                        else _(
                            "province {province} has rows with a district (row {row} has none) "
                            "and rows without one; one list, one layout per province: fill in "
                            "every district (the map before 1 July 2025) or none (the two-tier "
                            "map)"
                        )
                    ).format(province=codes["province"], row=known[1]),
                    "layout_mixed",
                )
            )
            continue
        if not tiers and has_district:
            problems.append(
                table.problem(
                    row.number,
                    "district",
                    _(
                        "the list has no districts (the two-tier map), but the policy in force "
                        "on {day} ({policy}) has districts: put the two-tier policy in force "
                        "first, e.g. `nam policy set two-tier-2025 --from {date}`, and load the "
                        "list with --on"
                    ).format(day=day(on), policy=policy_id, date=on.isoformat())
                    if on
                    else _(
                        "the list has no districts (the two-tier map), but the policy in force "
                        "({policy}) has districts: put the two-tier policy in force first, e.g. "
                        "`nam policy set two-tier-2025 --from 2025-07-01`, and load the list "
                        "with --on"
                    ).format(policy=policy_id),
                    "layout_policy",
                )
            )
            break
        parent: str | None = None
        for level in ADMIN_LEVELS:
            if level == "district" and (not tiers or not has_district):
                continue
            code, name = codes[level], row.get(f"{level}_name")
            if not code or not name:
                problems.append(
                    table.problem(
                        row.number,
                        level if not code else f"{level}_name",
                        _(
                            "empty; every row needs the province's and the commune's name and "
                            "code (and the district's, as on the rows above)"
                        )
                        if tiers
                        else _(
                            "empty; every row needs the province's and the commune's name and code"
                        ),
                    )
                )
                break
            kind = row.get("commune_kind").lower() if level == "commune" else kind_of(name)
            item = _Listed(code, name, level, kind or kind_of(name), parent, row.number)
            first = units.get(code)
            if first is None:
                units[code] = item
            elif (first.name, first.parent) != (item.name, item.parent) or level == "commune":
                column = f"{level}_name" if first.name != item.name else level
                problems.append(
                    table.problem(
                        row.number,
                        column,
                        (
                            _(
                                "{level} {code} is also on row {row} with another name or "
                                "parent; one code, one unit"
                            )
                            if level != "commune"
                            else _("commune {code} is also on row {row}; each commune once")
                        ).format(level=level, code=code, row=first.row),
                        "duplicate",
                    )
                )
            parent = code
    return units


def _codes(row: Row) -> dict[str, str]:
    codes = {}
    for level, digits in _DIGITS.items():
        raw = row.get(level)
        if raw.isdigit() and len(raw) < digits:
            raw = raw.zfill(digits)  # a spreadsheet may have dropped leading zeros
        codes[level] = raw
    return codes


def _admin_units(store: GraphStore, covered: set[str] | None, on: date | None) -> dict[str, Unit]:
    """The province, district and commune units the list speaks for, as the store holds them:
    all of them (``covered`` None), or those under a covered province on ``on`` (undated: by
    their latest parents); dated, only those that exist on ``on``."""
    units = {u.code: u for u in store.units_at_levels(ADMIN_LEVELS)}
    return {
        code: unit
        for code, unit in units.items()
        if (on is None or unit.exists_on(on))
        and (covered is None or _province_on(code, units, on) in covered)
    }


def _province_on(code: str, units: Mapping[str, Unit], on: date | None) -> str:
    """The top of ``code``'s chain of parents on ``on`` among ``units``."""
    seen = {code}
    at = code
    while True:
        unit = units.get(at)
        parent = unit.parent_on(on) if unit is not None else None
        if parent is None or parent in seen or parent not in units:
            return at
        seen.add(parent)
        at = parent


def _provinces(listed: Mapping[str, _Listed]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, item in listed.items():
        at: _Listed | None = item
        while at is not None and at.parent is not None:
            at = listed.get(at.parent)
        out[code] = at.code if at is not None else code
    return out


def _check_order(
    table: Table,
    current: Mapping[str, Unit],
    covered: Iterable[str] | None,
    on: date | None,
    force_past: bool = False,
) -> date | None:
    """Refuse a list older than one already loaded for the same provinces (unless
    ``force_past``: then the next date the map changes on after ``on``, up to which the list is
    inserted), and an undated list after a dated one."""
    dates = [
        day
        for unit in current.values()
        for version in unit.versions()
        for day in (version.valid_from, version.valid_to)
        if day is not None and day not in {m.on for m in unit.successors}  # a merge's, not a list's
    ]
    if not dates:
        return None
    latest = max(dates)
    provinces = ", ".join(sorted(covered)) if covered else ""
    if on is None:
        message = (
            _(
                "the graph already holds a list dated {latest} for province {provinces}; an "
                "undated list cannot follow a dated one: give the date the list is in force "
                "from with --on"
            )
            if provinces
            else _(
                "the graph already holds a list dated {latest} for the country; an undated list "
                "cannot follow a dated one: give the date the list is in force from with --on"
            )
        ).format(latest=day(latest), provinces=provinces)
    elif on < latest and force_past:
        return min(d for d in dates if d > on)
    elif on < latest:
        message = (
            _(
                "the graph already holds a list dated {latest} for province {provinces}, later "
                "than {on}; lists are loaded in date order: to insert this one at its date and "
                "re-derive the later dates from it, give --force-past (preview the plan first "
                "with --dry-run)"
            )
            if provinces
            else _(
                "the graph already holds a list dated {latest} for the country, later than "
                "{on}; lists are loaded in date order: to insert this one at its date and "
                "re-derive the later dates from it, give --force-past (preview the plan first "
                "with --dry-run)"
            )
        ).format(latest=day(latest), provinces=provinces, on=day(on))
    else:
        return None
    raise LoadError([Problem(table.file, None, None, message, "list_order")])


def _next(old: Unit | None, item: _Listed, on: date | None, decision: str) -> Unit:
    """The record of a listed unit after the list: new, unchanged, corrected, or versioned."""
    if old is None:
        return Unit(
            item.code,
            item.name,
            item.level,
            item.kind,
            item.parent,
            valid_from=on,
            decision=decision if on else "",
        )
    same = (old.name, old.kind, old.parent) == (item.name, item.kind, item.parent)
    if on is None:  # undated: correct the latest version in place
        return (
            old
            if same
            else dataclasses.replace(old, name=item.name, kind=item.kind, parent=item.parent)
        )
    version = old.version_on(on)
    if version is not None and (version.name, version.kind, version.parent) == (
        item.name,
        item.kind,
        item.parent,
    ):
        return old
    if version is not None and version.valid_from == on:  # reloaded the same day, corrected
        return dataclasses.replace(
            old, name=item.name, kind=item.kind, parent=item.parent, decision=decision
        )
    latest = old.latest
    if latest.valid_to is None or latest.valid_to > on:
        latest = dataclasses.replace(latest, valid_to=on)
    return dataclasses.replace(
        old,
        name=item.name,
        kind=item.kind,
        parent=item.parent,
        valid_from=on,
        valid_to=None,
        decision=decision,
        earlier=(*old.earlier, latest),
    )


def _splice(old: Unit | None, item: _Listed | None, on: date, until: date, decision: str) -> Unit:
    """The unit with the list's values in force from ``on`` to ``until`` (none when ``item`` is
    None: it does not exist then), its versions before and after kept; equal neighbours join."""
    kept = old.versions() if old is not None else ()
    pieces: list[UnitVersion] = []
    for version in kept:
        if (version.valid_from or date.min) < on:
            end = version.valid_to if version.valid_to and version.valid_to <= on else on
            pieces.append(dataclasses.replace(version, valid_to=end))
    if item is not None:
        pieces.append(UnitVersion(on, until, item.name, item.kind, item.parent, decision))
    for version in kept:
        if version.valid_to is None or version.valid_to > until:
            start = (
                version.valid_from if version.valid_from and version.valid_from >= until else until
            )
            pieces.append(dataclasses.replace(version, valid_from=start))
    pieces.sort(key=lambda v: v.valid_from or date.min)
    joined: list[UnitVersion] = []
    for piece in pieces:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.valid_to == piece.valid_from
            and (last.name, last.kind, last.parent) == (piece.name, piece.kind, piece.parent)
        ):
            joined[-1] = dataclasses.replace(last, valid_to=piece.valid_to)
        else:
            joined.append(piece)
    if old is None:
        assert item is not None
        old = Unit(item.code, item.name, item.level, item.kind, item.parent)
    if not joined:  # it existed only from ``on`` to ``until``, and the list ends it
        return dataclasses.replace(old, valid_to=on)
    return old.with_versions(joined)


def _merge_dates(
    file: str, current: Mapping[str, Unit], listed: Mapping[str, _Listed], on: date
) -> list[Problem]:
    """A unit this list ends whose merge (loaded first) is dated otherwise: name both dates."""
    return [
        Problem(
            file,
            None,
            None,
            _(
                "{code} {name} is not on this list, so it ends on {on}, but a merge file merges "
                "it into {successor} on {merged}; make the two dates agree (load the list with "
                "--on {merged_date}, or correct the merge file and load it again)"
            ).format(
                code=code,
                name=unit.name,
                on=day(on),
                successor=s.code,
                merged=day(s.on),
                merged_date=s.on.isoformat(),
            ),
            "merge_date_mismatch",
        )
        for code, unit in sorted(current.items())
        if code not in listed
        for s in unit.successors[:1]
        if s.on != on
    ]


def _ended(unit: Unit, on: date, decision: str) -> Unit:
    return dataclasses.replace(unit, valid_to=on, decision=decision or unit.decision)


def _origin(table: Table, item: _Listed, has_district: bool) -> Origin:
    level = item.level
    above = "province" if level == "district" else "district" if has_district else "province"
    return Origin(
        table.file,
        item.row,
        tuple(
            (attr, table.headers.get(key, key))
            for attr, key in (
                ("code", level),
                ("name", f"{level}_name"),
                ("parent", above if level != "province" else level),
                ("kind", "commune_kind" if level == "commune" else f"{level}_name"),
            )
        ),
    )


def _orphans(
    store: GraphStore,
    file: str,
    ended: list[Unit],
    listed: Mapping[str, _Listed],
    on: date,
) -> list[Problem]:
    """A warning for each unit the list ends while units still hang from it (other than those
    the list ends or moves) or cadres still support it."""
    codes = [u.code for u in ended]
    day_before = date.fromordinal(on.toordinal() - 1)
    ending = set(codes)
    below = store.children_of(codes, day_before)
    supported = store.assignments_at(codes)
    out: list[Problem] = []
    for unit in ended:
        staying = [
            c for c in below.get(unit.code, []) if c.code not in ending and c.code not in listed
        ]
        held = [a for a in supported.get(unit.code, []) if a.in_force_on(day_before)]
        if not staying and not held:
            continue
        out.append(
            Problem(
                file,
                None,
                None,
                _(
                    "{code} {name} ends on {on} with {units} unit(s) below it and {assignments} "
                    "assignment(s) in force: they stay as they were before that date, and hang "
                    "from nothing after it until a merge file names its successor "
                    "(`nam load merges`)"
                ).format(
                    code=unit.code,
                    name=unit.name,
                    on=day(on),
                    units=len(staying),
                    assignments=len(held),
                ),
                "orphaned",
                "warning",
            )
        )
    return out
