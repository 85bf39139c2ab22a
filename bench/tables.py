"""The printing: the load, reshuffle, question and overhead tables as aligned plain text, the
whole report, and the small helpers that write figures and counts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from bench.measure import ON, WARMUP, ScaleResult, Step, Timing, peak_mib
from bench.reshuffle import EFFECTIVE

__all__ = [
    "ms",
    "overhead_table",
    "plural",
    "questions_table",
    "render_table",
    "report",
    "steps_table",
]


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value:.3f}"
    if value < 10:
        return f"{value:.2f}"
    if value < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _int(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(top: float | None, bottom: float | None) -> str:
    if top is None or bottom is None or bottom <= 0:
        return ""
    ratio = top / bottom
    if ratio >= 100:
        return f"{ratio:,.0f}x"
    return f"{ratio:.1f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], left: Collection[int] = (0,)
) -> str:
    """Plain text with aligned columns: those in ``left`` to the left, numbers to the right."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i in left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def steps_table(steps: Sequence[Step], totals: bool = True) -> str:
    headers = ["target", "step", "records", "seconds", "records/s", "RSS MiB", "peak MiB", "note"]
    rows = [
        [
            s.target,
            s.name,
            _int(s.records),
            f"{s.seconds:.2f}",
            _int(s.rate),
            _int(s.rss_mib),
            _int(s.peak_mib),
            s.note,
        ]
        for s in steps
    ]
    by_target: dict[str, list[Step]] = {}
    for s in steps:
        by_target.setdefault(s.target, []).append(s)
    for target, own in by_target.items() if totals else ():
        total = sum(s.seconds for s in own)
        rows.append([target, "total", "", f"{total:.2f}", "", "", _int(own[-1].peak_mib), ""])
    return render_table(headers, rows, left=(0, 1, len(headers) - 1))


def questions_table(timings: Sequence[Timing], channel: str = "store") -> str:
    """Cases by targets, over one channel; a target that lacks a case leaves its cells empty.

    With several targets, each one after the first gets the ratio of its median to the first's,
    and the answer column says ``DIFFER`` when their short answers are not the same."""
    mine = [t for t in timings if t.channel == channel]
    targets = list(dict.fromkeys(t.target for t in mine))
    names = list(dict.fromkeys(t.case for t in mine))
    cell = {(t.target, t.case): t for t in mine}
    headers = ["case"]
    for i, target in enumerate(targets):
        headers += [f"{target} reps", "first", "median", "p99"]
        if i:
            headers.append(f"{target}/{targets[0]}")
    headers.append("answer")
    rows: list[list[str]] = []
    for name in names:
        row = [name]
        answers: dict[str, str] = {}
        errors: list[str] = []
        for i, target in enumerate(targets):
            t = cell.get((target, name))
            if t is None:
                row += ["", "", "", ""]
            elif t.error is not None:
                row += ["error", "", "", ""]
                errors.append(f"{target}: {t.error}")
            else:
                row += [str(t.reps), ms(t.first_ms), ms(t.median_ms), ms(t.p99_ms)]
                answers[target] = t.answer
            if i:
                base = cell.get((targets[0], name))
                row.append(_ratio(t.median_ms if t else None, base.median_ms if base else None))
        distinct = set(answers.values())
        if len(distinct) > 1:
            answer = "DIFFER: " + "; ".join(f"{k}: {v}" for k, v in answers.items())
        else:
            answer = next(iter(distinct), "")
        rows.append(
            [
                *row,
                "; ".join([answer, *errors]) if errors and answer else answer or "; ".join(errors),
            ]
        )
    return render_table(headers, rows, left=(0, len(headers) - 1))


def overhead_table(timings: Sequence[Timing]) -> str:
    """For each case timed over Cypher or HTTP: its medians (and p99) raw, through the store
    method and through the API, and the overhead ratios store/raw, http/raw, http/store."""
    cell = {(t.target, t.case, t.channel): t for t in timings if t.error is None}
    keys = list(
        dict.fromkeys((t.target, t.case) for t in timings if t.channel in ("cypher", "http"))
    )
    headers = [
        "target",
        "case",
        "cypher median",
        "p99",
        "store median",
        "p99",
        "http median",
        "p99",
        "store/raw",
        "http/raw",
        "http/store",
    ]
    rows: list[list[str]] = []
    for target, name in keys:
        raw, store, http = (cell.get((target, name, ch)) for ch in ("cypher", "store", "http"))
        if store is None and raw is None:
            continue  # a case only the API has (the dashboards): in the HTTP table
        rm, sm, hm = (t.median_ms if t else None for t in (raw, store, http))
        rows.append(
            [
                target,
                name,
                ms(rm),
                ms(raw.p99_ms if raw else None),
                ms(sm),
                ms(store.p99_ms if store else None),
                ms(hm),
                ms(http.p99_ms if http else None),
                _ratio(sm, rm),
                _ratio(hm, rm),
                _ratio(hm, sm),
            ]
        )
    return render_table(headers, rows, left=(0, 1))


def report(
    results: Sequence[ScaleResult], header: dict[str, Any], notes: Sequence[str], wall: float
) -> str:
    out = [
        "namgraph benchmark: figures only, nothing is asserted",
        ", ".join(f"{k} {v}" for k, v in header.items()),
        "latency in ms: first = the first call (not counted), median and p99 over reps "
        "(p99 is nearest-rank: the slowest call when reps < 100); "
        + ", ".join(f"{t}: {n} more warm-up calls after the first" for t, n in WARMUP.items()),
        *(f"note: {n}" for n in notes),
    ]
    for r in results:
        out += ["", f"== {r.scale}: {r.title} ({r.wall_s:.1f} s)"]
        for target, counts in r.counts.items():
            out.append(f"{target} holds: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        out += [f"note: {n}" for n in r.notes]
        out += ["", "load", steps_table(r.steps)]
        if r.reshuffle:
            out += [
                "",
                f"reshuffle of {_int(header.get('reshuffle_rows'))} rows effective {EFFECTIVE}, "
                "after the questions (it changes the store), each step timed once; records: "
                "rows of the file, or cadres + assignments written",
                steps_table(r.reshuffle, totals=False),
            ]
        channels = {t.channel for t in r.timings}
        out += ["", f"questions on {ON}, store methods", questions_table(r.timings)]
        if channels & {"cypher", "http"}:
            out += [
                "",
                "overhead: the Cypher text alone (driver.execute_query), the store method, "
                "and POST /graphql",
                overhead_table(r.timings),
            ]
        if "http" in channels:
            out += ["", "over HTTP: POST /graphql", questions_table(r.timings, "http")]
    out += ["", f"total wall time {wall:.1f} s; peak RSS {peak_mib():,.0f} MiB (this process)"]
    return "\n".join(out)
