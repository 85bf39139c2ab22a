"""The embedded store's target: the networkx store written the way ``nam init``, ``nam load
admin`` and ``nam generate`` do, step by step, then reopened from disk; and its dump as one
change set, for a later target that copies its graph."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.cases import store_cases
from bench.measure import (
    ADMIN,
    POLICY,
    SEED,
    Case,
    Dumped,
    Scale,
    Step,
    Workspace,
    measure,
    peak_mib,
    rss_mib,
)
from bench.tables import plural
from graph.stores.config import dump
from graph.stores.memory import DB_FILE, MemoryStore
from graph.stores.port import GraphStore
from loaders.admin import plan_admin
from loaders.generate import Roster, generate
from loaders.plan import Plan, apply_plan, make_plan

__all__ = ["MemoryTarget", "StepLog", "dump_memory", "size_note", "write"]


class MemoryTarget:
    """The embedded networkx store, loaded the way ``nam load admin`` and ``nam generate`` do."""

    name = "memory"

    def __init__(self) -> None:
        self.store: MemoryStore | None = None

    def load(self, ws: Workspace) -> None:
        data = ws.workdir / self.name

        def step(name: str, records: int | None, seconds: float, note: str) -> None:
            ws.log(Step(self.name, name, records, seconds, rss_mib(), peak_mib(), note))

        write(ws.scale, data, step)
        gc.collect()  # the writing process is gone; the reader starts afresh
        self.store, seconds = measure(lambda: MemoryStore.open(data))
        ws.memory = self.store
        counts = self.counts()
        step(
            "reopen from disk",
            sum(counts.values()),
            seconds,
            f"{counts.get('hamlet', 0):,} hamlets, {counts.get('household_group', 0):,} groups",
        )

    def cases(self, scale: Scale) -> list[Case]:
        assert self.store is not None, "load first"
        return store_cases(self.store, scale)

    def graph_store(self) -> GraphStore:
        assert self.store is not None, "load first"
        return self.store

    def before_write(self, ws: Workspace) -> None:
        """A later column copies this graph: dump it now, as it was for the questions."""
        if self.store is None or ws.memory is not self.store:
            return
        if ws.copier is not None:
            ws.dumped = dump_memory(self.store, ws.copier, "before the memory column's reshuffle")
        ws.memory = None

    def counts(self) -> dict[str, int]:
        return dict(self.store.counts()) if self.store is not None else {}

    def close(self) -> None:
        self.store = None
        gc.collect()


def dump_memory(store: MemoryStore, target: str, when: str = "") -> Dumped:
    """``graph.stores.dump`` of the memory store, timed as a load step of ``target``."""
    changes, seconds = measure(lambda: dump(store))
    note = (
        f"{len(changes.units):,} units, {len(changes.cadres):,} cadres, "
        f"{len(changes.assignments):,} assignments" + (f"; {when}" if when else "")
    )
    step = Step(
        target,
        "dump memory store (stores.dump)",
        len(changes),
        seconds,
        rss_mib(),
        peak_mib(),
        note,
    )
    return Dumped(changes, dict(store.counts()), step)


StepLog = Callable[[str, int | None, float, str], None]


def write(scale: Scale, data: Path, step: StepLog) -> MemoryStore:
    """What ``nam init``, ``nam load admin`` and ``nam generate`` do, step by step."""
    store, seconds = measure(lambda: MemoryStore.init(data, POLICY))
    step("init data directory", None, seconds, f"policy {POLICY}")

    admin, seconds = measure(lambda: plan_admin(store, ADMIN, scale.admin_province))
    _refuse(admin, "administrative list")
    step("admin list: read + plan", len(admin.changes), seconds, _units_note(admin))
    _, seconds = measure(lambda: apply_plan(store, admin))
    step("admin list: write", len(admin.changes), seconds, size_note(data))

    top = store.policy.top_level
    codes = (
        [scale.admin_province]
        if scale.admin_province
        else [u.code for u in store.subtree() if u.level == top]
    )
    roster, seconds = measure(lambda: _generate(store, codes))
    records = len(roster.units) + len(roster.cadres) + len(roster.assignments)
    step(
        "roster: generate",
        records,
        seconds,
        f"{plural(len(codes), 'province')}: {len(roster.units):,} units, {len(roster.cadres):,} "
        f"cadres, {len(roster.assignments):,} assignments",
    )
    plan, seconds = measure(
        lambda: make_plan(store, roster.units, roster.cadres, roster.assignments)
    )
    _refuse(plan, "roster")
    summary = plan.summary()
    step(
        "roster: plan + validate",
        records,
        seconds,
        f"{summary['create']:,} to create, {summary['warnings']} warnings",
    )
    _, seconds = measure(lambda: apply_plan(store, plan))
    step("roster: apply + write", len(plan.changes), seconds, size_note(data))
    return store


def _generate(store: MemoryStore, codes: Sequence[str]) -> Roster:
    """The rosters of ``codes`` in one, as ``nam generate --province all`` gathers them."""
    roster = Roster([], [], [])
    for code in codes:
        one = generate(store, code, SEED)
        roster.units += one.units
        roster.cadres += one.cadres
        roster.assignments += one.assignments
    return roster


def _refuse(plan: Plan, what: str) -> None:
    if not plan.ok:
        shown = "; ".join(str(p) for p in plan.problems[:5])
        raise SystemExit(f"the {what} has {len(plan.problems)} errors, nothing to time: {shown}")


def _units_note(plan: Plan) -> str:
    levels: dict[str, int] = {}
    for unit in plan.changes.units:
        levels[unit.level] = levels.get(unit.level, 0) + 1
    return ", ".join(f"{n:,} {level}" for level, n in levels.items())


def size_note(data: Path) -> str:
    size = (data / DB_FILE).stat().st_size
    if size < 2**20:
        return f"{DB_FILE} {size / 2**10:,.0f} KiB"
    return f"{DB_FILE} {size / 2**20:,.1f} MiB"
