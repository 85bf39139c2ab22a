"""The official administrative-unit list (GSO export layout) as provinces, districts, communes.

Columns: ``Tỉnh / Thành Phố, Mã TP, Quận Huyện, Mã QH, Phường Xã, Mã PX, Cấp``; one row per
commune. Levels the policy lacks are skipped (under the two-tier policy communes hang directly
from their province).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from graph.model import Unit
from graph.store import GraphStore
from loaders.columns import ADMIN
from loaders.plan import Origin, Plan, make_plan
from loaders.problems import LoadError, Problem
from loaders.tabular import read_table

__all__ = ["kind_of", "plan_admin"]

_PREFIXES = ("thành phố", "thị trấn", "thị xã", "tỉnh", "huyện", "quận", "phường", "xã")
_DIGITS = {"province": 2, "district": 3, "commune": 5}


def kind_of(name: str) -> str:
    """The kind a unit's official name starts with.

    >>> kind_of("Thành phố Bến Tre"), kind_of("Huyện Châu Thành"), kind_of("Xã Tân Thạch")
    ('thành phố', 'huyện', 'xã')
    """
    lowered = name.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix + " "):
            return prefix
    return ""


def plan_admin(
    store: GraphStore,
    path: Path,
    province: str | None = None,
    on: date | None = None,
    sheet: str | None = None,
) -> Plan:
    table = read_table(path, ADMIN, sheet)
    policy = store.policy
    wanted = province.zfill(2) if province else None
    units: dict[str, Unit] = {}
    origins: dict[str, Origin] = {}
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    has_district = policy.has_level("district")
    for row in table.rows:
        codes = {}
        for level, digits in _DIGITS.items():
            raw = row.get(level)
            if raw.isdigit() and len(raw) < digits:
                raw = raw.zfill(digits)  # a spreadsheet may have dropped leading zeros
            codes[level] = raw
        if wanted and codes["province"] != wanted:
            continue
        parent: str | None = None
        for level in ("province", "district", "commune"):
            if not policy.has_level(level):
                continue
            code, name = codes[level], row.get(f"{level}_name")
            if not code or not name:
                problems.append(
                    table.problem(
                        row.number,
                        level if not code else f"{level}_name",
                        "empty; every row needs all six names and codes",
                    )
                )
                break
            kind = row.get("commune_kind").lower() if level == "commune" else kind_of(name)
            unit = Unit(code, name, level, kind or kind_of(name), parent)
            known = units.get(code)
            if known is None:
                units[code] = unit
                first_row[code] = row.number
                origins[f"unit:{code}"] = Origin(
                    table.file,
                    row.number,
                    tuple(
                        (attr, table.headers.get(key, key))
                        for attr, key in (
                            ("code", level),
                            ("name", f"{level}_name"),
                            ("parent", _above(level, has_district)),
                            ("kind", "commune_kind" if level == "commune" else f"{level}_name"),
                        )
                    ),
                )
            elif known != unit:
                column = f"{level}_name" if known.name != unit.name else level
                what = "commune" if level == "commune" else level
                problems.append(
                    table.problem(
                        row.number,
                        column,
                        f"{what} {code} is also on row {first_row[code]} "
                        + (
                            "with another name or parent; one code, one unit"
                            if level != "commune"
                            else "; each commune once"
                        ),
                        "duplicate",
                    )
                )
            parent = code
    if wanted and not units and not problems:
        raise LoadError(
            [
                Problem(
                    table.file,
                    None,
                    table.headers.get("province"),
                    f"no rows for province {wanted}; check the code (Bến Tre is 83)",
                    code="no_rows",
                )
            ]
        )
    return make_plan(
        store,
        units=units.values(),
        origins=origins,
        on=on,
        problems=problems,
        warnings=table.warnings,
    )


def _above(level: str, has_district: bool) -> str:
    if level == "commune":
        return "district" if has_district else "province"
    return "province" if level == "district" else level
