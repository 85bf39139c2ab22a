"""The reshuffle timed on one target: a file built from its store (:mod:`bench.reshuffle`),
planned, applied, and planned again, each step once."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from bench.measure import SEED, ReshuffleStep, Workspace, measure, peak_mib, rss_mib
from bench.memory_target import size_note
from bench.neo4j_load import error_code, error_text
from bench.reshuffle import EFFECTIVE, ReshuffleFile, write_file
from bench.tables import plural
from graph.stores.memory import MemoryStore
from graph.stores.port import GraphStore
from loaders.reshuffle import apply_reshuffle, plan_reshuffle

__all__ = ["time_reshuffle"]


def time_reshuffle(
    target: str, store: GraphStore, ws: Workspace, rows: int, log: Callable[[ReshuffleStep], None]
) -> None:
    """Build a reshuffle file of ``rows`` rows from ``store`` (:mod:`bench.reshuffle`), then time
    once each: planning it, applying the plan, and planning it again (nothing left to change).
    Failures are notes and rows marked FAILED; the caller's other targets still run."""
    path = ws.workdir / f"reshuffle-{target}.csv"
    on = EFFECTIVE

    def step(
        name: str,
        records: int | None,
        seconds: float,
        note: str,
        plan: dict[str, Any] | None = None,
    ) -> None:
        summary = dict(plan["summary"]) if plan is not None else None
        scopes = len(plan["preview"]) if plan is not None else None
        log(
            ReshuffleStep(
                target, name, records, seconds, rss_mib(), peak_mib(), note, summary, scopes
            )
        )

    began = time.perf_counter()
    doing = "building the file"
    try:
        built, seconds = measure(
            lambda: write_file(store, ws.scale.reshuffle, rows, path, on, SEED)
        )
        step(
            "build the file (bench, from the store)",
            built.rows,
            seconds,
            _same_file(ws, target, built),
        )

        doing = "planning it"
        plan, seconds = measure(lambda: plan_reshuffle(store, path, by="bench"))
        step("plan: read, diff, check, preview", built.rows, seconds, _plan_note(plan), plan)
        if plan["problems"]:
            shown = "; ".join(
                f"row {p.get('row')}: {p.get('message')}" for p in plan["problems"][:3]
            )
            ws.note(
                f"{target}: the reshuffle plan has {len(plan['problems'])} problems, not applied: "
                f"{shown}"
            )
            return

        doing = "applying it"
        changes = plan["changes"]
        records = len(changes["cadres"]) + len(changes["assignments"])
        done, seconds = measure(lambda: apply_reshuffle(store, plan["id"], by="bench"))
        where = (
            f"; rewrites {size_note(store.data_dir)}"
            if isinstance(store, MemoryStore) and store.data_dir is not None
            else "; one transaction"
        )
        step(
            "apply: one write" if done.written else "apply: NOTHING WRITTEN",
            records,
            seconds,
            f"{len(changes['cadres']):,} cadres, {len(changes['assignments']):,} assignments"
            + where,
        )
        if not done.written:
            ws.note(f"{target}: applying the reshuffle plan wrote nothing")
            return

        doing = "planning it again"
        again, seconds = measure(lambda: plan_reshuffle(store, path, by="bench"))
        s = again["summary"]
        idle = s["end"] == s["start"] == s["status"] == 0 and not again["problems"]
        step(
            "plan again after apply",
            built.rows,
            seconds,
            _counts(s) + ("; nothing to change" if idle else "; EXPECTED NOTHING TO CHANGE"),
            again,
        )
        if not idle:
            ws.note(f"{target}: the reshuffle planned again after apply still changes: {s}")
    except Exception as exc:  # reported; the other targets still run
        failed = time.perf_counter() - began
        step(f"FAILED {doing}", None, failed, error_code(exc))
        ws.note(f"{target}: the reshuffle failed {doing}: {error_text(exc)}")


def _same_file(ws: Workspace, target: str, built: ReshuffleFile) -> str:
    """The file's description, and whether it is the file an earlier target built."""
    digest = hashlib.sha256(built.path.read_bytes()).hexdigest()
    others = [name for name, seen in ws.files.items() if seen == digest]
    differs = [name for name, seen in ws.files.items() if seen != digest]
    ws.files[target] = digest
    if differs:
        ws.note(f"{target}: its reshuffle file differs from that of {', '.join(differs)}")
    same = f"; the same file as {', '.join(others)}" if others else ""
    return built.describe() + same + (f"; DIFFERS from {', '.join(differs)}" if differs else "")


def _counts(summary: dict[str, int]) -> str:
    return ", ".join(f"{summary[k]:,} {k}" for k in ("end", "start", "continue", "status")) + (
        f", {summary['errors']} errors, {summary['warnings']} warnings"
    )


def _plan_note(plan: dict[str, Any]) -> str:
    """The plan's counts, and its preview: scopes, coverage before -> after where it changes."""
    previews = plan["preview"]
    levels: dict[str, list[int]] = {}
    for p in previews:
        for when, index in (("before", 0), ("after", 1)):
            for lc in p[when]["levels"]:
                levels.setdefault(lc["level"], [0, 0])[index] += lc["covered"]
    lost = sum(len(p["lost"]) for p in previews)
    moved = ", ".join(f"{level} {b:,}->{a:,}" for level, (b, a) in levels.items() if a != b)
    return (
        f"{_counts(plan['summary'])}; {plural(len(previews), 'preview scope')}"
        + (f"; covered {moved}" if moved else "")
        + f"; {lost:,} units lose their supporter"
    )
