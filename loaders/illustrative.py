"""An illustrative merge file, made from two administrative lists already loaded.

Which old commune went into which new one is in the resolutions, not in the lists. For a demo,
a tour or a benchmark this module guesses a plausible mapping, and says in every row's
resolution that it is illustrative:

- a new commune that keeps an old code keeps that commune's history (no row: it continues);
- every other old commune goes into the continuing commune of its old district whose code is
  nearest (official codes run along the map), or, where none of the district's communes
  continues, into the continuing commune of its old province whose code is nearest;
- an ended district, and an ended province, go into the new province that most of their
  continuing communes now belong to.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta

from graph.model import Unit
from graph.stores.port import GraphStore
from loaders.admin import ADMIN_LEVELS
from loaders.columns import MERGES

__all__ = ["ILLUSTRATIVE", "illustrative_merges", "merges_csv"]

ILLUSTRATIVE = "minh họa, không theo nghị quyết (illustrative: not from the resolutions)"


def illustrative_merges(
    store: GraphStore, on: date, province: str | None = None
) -> list[tuple[str, str, str, date]]:
    """Rows (old code, new code, resolution, date) for the units that ended on ``on``."""
    before = on - timedelta(days=1)
    units = {u.code: u for u in store.units_at_levels(ADMIN_LEVELS)}

    def parent(code: str, day: date) -> str | None:
        unit = units.get(code)
        return unit.parent_on(day) if unit is not None else None

    def top(code: str, day: date) -> str:
        seen = {code}
        while (above := parent(code, day)) is not None and above not in seen:
            seen.add(above)
            code = above
        return code

    old = [
        u
        for u in units.values()
        if u.exists_on(before) and (province is None or top(u.code, before) == province.zfill(2))
    ]
    continuing = [u for u in old if u.level == "commune" and u.exists_on(on)]
    ended = [u for u in old if not u.exists_on(on)]
    by_district: dict[str, list[Unit]] = {}
    by_province: dict[str, list[Unit]] = {}
    for u in sorted(continuing, key=lambda u: u.code):
        by_district.setdefault(parent(u.code, before) or "", []).append(u)
        by_province.setdefault(top(u.code, before), []).append(u)
    rows: list[tuple[str, str, str, date]] = []
    for u in sorted(ended, key=lambda u: (ADMIN_LEVELS.index(u.level), u.code)):
        if u.level == "commune":
            near = _nearest(u, by_district.get(parent(u.code, before) or "", [])) or _nearest(
                u, by_province.get(top(u.code, before), [])
            )
            if near:
                rows.append((u.code, near[0].code, ILLUSTRATIVE, on))
            continue
        below = [c for c in continuing if u.code in (parent(c.code, before), top(c.code, before))]
        provinces = Counter(top(c.code, on) for c in below)
        if provinces:
            rows.append((u.code, provinces.most_common(1)[0][0], ILLUSTRATIVE, on))
    return rows


def _nearest(unit: Unit, candidates: list[Unit]) -> list[Unit]:
    if not candidates or not unit.code.isdigit():
        return []
    return [min(candidates, key=lambda c: (abs(int(c.code) - int(unit.code)), c.code))]


def merges_csv(rows: list[tuple[str, str, str, date]]) -> str:
    """The rows as a merge file with the Vietnamese headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = MERGES.columns
    writer.writerow([c.header for c in columns[:4]])
    for old, new, resolution, on in rows:
        writer.writerow([old, new, resolution, f"{on.day}/{on.month}/{on.year}"])
    return buffer.getvalue()
