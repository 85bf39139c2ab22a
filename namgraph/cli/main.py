"""``nam``: load, validate and question the nắm graph from a shell.

Exit codes: 0 done; 1 a question could not be answered (unknown unit, store trouble);
2 bad input (the problems are listed with file, row and column; nothing was written).
"""

from __future__ import annotations

import functools
import os
import shlex
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph.dates import parse_date
from graph.model import Severity, Unit
from graph.orphans import orphaned as orphaned_units
from graph.policy import DEFAULT_POLICY, PolicyError, available_policies
from graph.questions import changes_between, what_if
from graph.stores.config import StoreConfig, dump, in_parts
from graph.stores.memory import (
    DB_FILE,
    JSON_FILE,
    POLICY_FILE,
    MemoryStore,
    later_policy_files,
)
from graph.stores.memory import migrate as migrate_data
from graph.stores.neo4j import Neo4jStore
from graph.stores.port import GraphStore, NoGraph, NotFound, StoreError, UnitNotInForce
from graph.validate import validate_store
from loaders.admin import plan_admin
from loaders.columns import KINDS, TEMPLATES
from loaders.generate import generate
from loaders.illustrative import illustrative_merges, merges_csv
from loaders.merges import plan_merges
from loaders.plan import Plan, apply_plan, make_plan
from loaders.problems import LoadError, Problem
from loaders.records import plan_file
from loaders.reorganisation import decisions_csv, plan_reorganisation
from loaders.reshuffle import PlanRefused, apply_reshuffle, plan_reshuffle
from loaders.templates import write_template
from namgraph import reports
from namgraph.cli import render
from namgraph.cli.tokens import token

#: Where `make run` builds the demo province (the README's tour uses it).
DEMO_DIR = ".nam-demo"
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


class Context:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.config = StoreConfig.from_env(data)
        self._store: GraphStore | None = None
        #: The write generation when the store was opened, before anything was read.
        self.read_at: int | None = None

    @property
    def store(self) -> GraphStore:
        return self.store_about(None)

    def store_about(self, unit: str | None) -> GraphStore:
        """The store, for questions about ``unit`` and its subtree only: the embedded store
        then reads just the part of the graph that holds the unit, not the whole country."""
        if self._store is None:
            self._store = self.config.open(part=unit)
            self.read_at = self._store.generation()
        return self._store

    def command(self) -> str:
        """``nam`` as the user must type it to reach the same store again."""
        default = Path(os.environ.get("NAM_DATA", ".nam"))
        if self.config.kind == "memory" and self.data != default:
            return f"nam --data {self.data}"
        return "nam"

    def close(self) -> None:
        close = getattr(self._store, "close", None)
        if close is not None:
            close()


def _emit(payload: Any, ctx: Context | None = None, wrote: bool = False) -> None:
    """Print JSON. With ``ctx``, the answer names the write generation it was read at (a
    list becomes ``{"generation": G, "items": [...]}``); after a write, the one it made. A
    write by someone else while the answer was read (Neo4j reads at READ COMMITTED) leaves
    ``generation`` null and says so: the answer may mix the two."""
    if ctx is not None and ctx.read_at is not None:
        now = ctx.store.generation()
        generation: int | None = now
        if not wrote and now != ctx.read_at:
            generation = None
            err.print(
                f"warning: the graph changed while this answer was read (generation "
                f"{ctx.read_at} to {now}); run the command again for an answer of one generation",
                markup=False,
                highlight=False,
            )
        if isinstance(payload, list):
            payload = {"generation": generation, "items": payload}
        else:
            payload = {**payload, "generation": generation}
    sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")


def _date(_: click.Context, __: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def as_of_option(f: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        callback=_date,
        metavar="DATE",
        help="Answer as of this date (2023-05-01 or 1/5/2023); default today.",
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(f)


def handled(f: F) -> F:
    """Turn the product's errors into a clear message and an exit code."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except LoadError as exc:
            if kwargs.get("as_json") and not exc.emitted:  # for scripts: each with its code
                _emit({"written": False, "problems": [p.as_dict() for p in exc.problems]})
            _problems(exc.problems)
            err.print("[red]Nothing was written.[/red]")
            sys.exit(2)
        except UnitNotInForce as exc:
            if kwargs.get("as_json"):
                _emit(exc.as_dict())
            err.print(f"error: {exc}", markup=False, highlight=False)
            sys.exit(1)
        except (NotFound, StoreError, PolicyError, PlanRefused, ValueError) as exc:
            err.print(f"error: {exc}{_hint(exc)}", markup=False, highlight=False)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _hint(exc: Exception) -> str:
    """What to try next, for the errors a new user meets first."""
    if isinstance(exc, NotFound) and exc.kind in ("unit", "cadre"):
        return f"; find a {exc.kind} by its name with `nam search NAME`"
    if isinstance(exc, NoGraph):
        demo = Path(DEMO_DIR)
        there = (demo / DB_FILE).is_file() or (demo / JSON_FILE).is_file()
        if there and exc.data_dir.resolve() != demo.resolve():
            return f"; the demo's graph is in {DEMO_DIR}: `nam --data {DEMO_DIR} ...`"
    return ""


def _progress(disable: bool = False) -> Progress:
    """A progress bar on standard error, gone when done."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=err, transient=True, disable=disable)


def _problems(problems: list[Any], limit: int = 50) -> None:
    for problem in problems[:limit]:
        err.print(f"{problem.severity} [{problem.code}]: {problem}", markup=False, highlight=False)
    if len(problems) > limit:
        err.print(f"... and {len(problems) - limit} more", markup=False)


@click.group()
@click.version_option(package_name="namgraph", prog_name="nam")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("NAM_DATA", ".nam"),
    show_default="$NAM_DATA or ./.nam",
    help="The data directory of the embedded store.",
)
@click.pass_context
def main(ctx: click.Context, data: Path) -> None:
    """namgraph: who supports which unit, from province cadres down to household groups."""
    ctx.obj = Context(data)
    ctx.call_on_close(ctx.obj.close)


pass_ctx = click.make_pass_decorator(Context)
main.add_command(token)


@main.command()
@pass_ctx
@handled
def migrate(ctx: Context) -> None:
    """Move a data directory of an earlier version (store.json) into the SQLite store.

    Opening the directory does the same; this says what it did. store.json stays beside the new
    store as a backup: remove it once you are satisfied."""
    moved = migrate_data(ctx.data)
    if moved is None:
        out.print(f"{ctx.data}: nothing to migrate ({DB_FILE} is the store)")
        return
    out.print(
        f"Migrated {moved:,} records from {ctx.data / JSON_FILE} to {ctx.data / DB_FILE}; "
        f"{JSON_FILE} is kept as a backup: remove it once you are satisfied"
    )


@main.command()
@click.option(
    "--policy",
    default=DEFAULT_POLICY,
    show_default=True,
    help=f"A shipped policy ({', '.join(available_policies())}) or a YAML file.",
)
@pass_ctx
@handled
def init(ctx: Context, policy: str) -> None:
    """Create an empty graph in the data directory under a chain policy."""
    store = ctx.config.init(policy)
    out.print(
        f"Created the graph ({ctx.config.describe()}) with policy {store.policy.id}: {store.policy.name}"
    )


@main.group()
def policy() -> None:
    """The chain policy in force on each date (a policy timeline)."""


@policy.command("set")
@click.argument("name")
@click.option(
    "--from",
    "start",
    required=True,
    callback=_date,
    metavar="DATE",
    help="The first day the policy is in force; the one before it ends the day before.",
)
@pass_ctx
@handled
def policy_set(ctx: Context, name: str, start: date) -> None:
    """Put a policy (a shipped one or a YAML file) in force from a date."""
    timeline = ctx.store.set_policy(name, start)
    chosen = timeline.on(start)
    out.print(f"Policy {chosen.id} ({chosen.name}) is in force from {start}.", markup=False)
    _timeline(timeline)


@policy.command("list")
@json_option
@pass_ctx
@handled
def policy_list(ctx: Context, as_json: bool) -> None:
    """The policies of the graph, with the dates each is in force."""
    timeline = ctx.store.timeline
    if as_json:
        _emit(
            [
                {
                    "policy": p.id,
                    "name": p.name,
                    "from": start.isoformat() if start else None,
                    "until": until.isoformat() if until else None,
                }
                for start, until, p in timeline
            ],
            ctx,
        )
        return
    _timeline(timeline)


def _timeline(timeline: Any) -> None:
    for start, until, p in timeline:
        since = f"from {start}" if start else "from the beginning"
        end = f" until {until - timedelta(days=1)}" if until else ""
        out.print(f"  {p.id}: {since}{end} ({p.name})", markup=False)


# --- loading -------------------------------------------------------------------------------


def _diffs(diffs: list[dict[str, Any]], limit: int = 30) -> None:
    """Each record a load changes or ends, with its fields before and after."""
    for diff in diffs[:limit]:
        fields = "; ".join(
            f"{name}: {_shown(v['before'])} -> {_shown(v['after'])}"
            for name, v in diff["fields"].items()
        )
        out.print(f"  {diff['action']} {diff['subject']}: {fields}", markup=False, highlight=False)
    if len(diffs) > limit:
        out.print(f"  ... and {len(diffs) - limit} more (--json gives them all)", markup=False)


def _shown(value: Any) -> str:
    return "-" if value is None or value == [] else str(value)


def _finish(ctx: Context, plan: Plan, dry_run: bool, as_json: bool) -> None:
    if as_json and (dry_run or not plan.ok):
        _emit({"dry_run": dry_run, **plan.as_dict()}, ctx)
    elif not as_json:
        s = plan.summary()
        out.print(
            f"Plan: create {s['create']}, change {s['change']}, end {s['end']}, "
            f"unchanged {s['unchanged']} ({s['units']} units, {s['cadres']} cadres, "
            f"{s['assignments']} assignments); {s['errors']} errors, {s['warnings']} warnings"
        )
        shown = plan.provinces.items() if len(plan.provinces) <= 8 else ()
        for code, counts in shown:
            out.print(
                f"  province {code}: {counts['started']} started, {counts['ended']} ended, "
                f"{counts['renamed']} renamed, {counts['moved']} moved",
                markup=False,
            )
        if len(plan.provinces) > 8:
            total = {
                k: sum(c[k] for c in plan.provinces.values())
                for k in ("started", "ended", "renamed", "moved")
            }
            out.print(
                f"  {len(plan.provinces)} provinces: {total['started']} units started, "
                f"{total['ended']} ended, {total['renamed']} renamed, {total['moved']} moved "
                "(--json gives each province)",
                markup=False,
            )
        _diffs(plan.diffs)
        _problems(plan.warnings, limit=20 if len(plan.warnings) <= 25 else 5)
    if not plan.ok:
        refused = LoadError(plan.problems)
        refused.emitted = as_json
        raise refused
    if dry_run:
        if not as_json:
            out.print("Dry run: nothing was written.")
        return
    with err.status("writing the graph"):
        apply_plan(ctx.store, plan)
    if as_json:
        _emit({"dry_run": False, **plan.as_dict()}, ctx, wrote=True)
    else:
        out.print(f"Written to the {ctx.config.describe()}.")


dry_run_option = click.option("--dry-run", is_flag=True, help="Show the plan; write nothing.")
sheet_option = click.option(
    "--sheet", metavar="NAME", help="The sheet to read, when a workbook has data on several."
)


@main.group()
def load() -> None:
    """Load a file: the administrative list, units, cadres or assignments."""


def _day(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    return None if value is None else _date(_, __, value)


@load.command("admin")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--province", metavar="CODE", help="Only this province (2-digit code, e.g. 83).")
@click.option(
    "--on",
    callback=_day,
    metavar="DATE",
    help="The list is the whole truth from this date: units missing from it end then, "
    "renamed and moved ones get a new version. Without it the list is undated.",
)
@click.option("--decision", default="", help="The decision behind the list (kept with it).")
@click.option(
    "--force-past",
    is_flag=True,
    help="Insert a list dated before one already loaded: it is the truth from --on up to the "
    "next date the map changes on, and the later dates stay as the later list made them. "
    "Preview it with --dry-run first.",
)
@sheet_option
@dry_run_option
@json_option
@pass_ctx
@handled
def load_admin(
    ctx: Context,
    file: Path,
    province: str | None,
    on: date | None,
    decision: str,
    force_past: bool,
    sheet: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """The official list of provinces, districts and communes (GSO layout, CSV or XLSX):
    the three-tier list (districts filled in) or the two-tier list of 1 July 2025."""
    plan = plan_admin(ctx.store, file, province, on, decision, sheet, force_past)
    _finish(ctx, plan, dry_run, as_json)


@load.command("merges")
@click.argument("file", type=click.Path(path_type=Path))
@sheet_option
@dry_run_option
@json_option
@pass_ctx
@handled
def load_merges(ctx: Context, file: Path, sheet: str | None, dry_run: bool, as_json: bool) -> None:
    """Which old units went into which new one, when, by which resolution (CSV or XLSX,
    headers: `nam template merges`). What hung from an old unit hangs from its successor
    from then on."""
    _finish(ctx, plan_merges(ctx.store, file, sheet), dry_run, as_json)


@main.command("illustrate-merges")
@click.option(
    "--on",
    "on",
    required=True,
    callback=_date,
    metavar="DATE",
    help="The date the units ended (the later list's date).",
)
@click.option("--province", metavar="CODE", help="Only the units of this old province.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the merge file here (default: print it).",
)
@pass_ctx
@handled
def illustrate_merges(ctx: Context, on: date, province: str | None, out_file: Path | None) -> None:
    """An ILLUSTRATIVE merge file for the units that ended on a date, guessed from the two
    lists loaded (the real mapping is in the resolutions): for demos, tours and benchmarks."""
    text = merges_csv(illustrative_merges(ctx.store, on, province))
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.write_text(text, encoding="utf-8")
        rows = text.count("\n") - 1
        out.print(f"Wrote {rows} illustrative merges to {out_file}.", markup=False)


def _load_kind(kind: str) -> None:
    @load.command(
        kind, help=f"{kind.capitalize()} from CSV or XLSX (headers: `nam template {kind}`)."
    )
    @click.argument("file", type=click.Path(path_type=Path))
    @sheet_option
    @dry_run_option
    @json_option
    @pass_ctx
    @handled
    def command(ctx: Context, file: Path, sheet: str | None, dry_run: bool, as_json: bool) -> None:
        _finish(ctx, plan_file(ctx.store, kind, file, sheet=sheet), dry_run, as_json)


for _kind in KINDS:
    _load_kind(_kind)


@main.command("generate")
@click.option(
    "--province",
    "provinces",
    multiple=True,
    required=True,
    metavar="CODE",
    help="Province code (repeatable), or 'all' for every province loaded.",
)
@click.option("--seed", default=1, show_default=True, help="Same seed, same roster.")
@dry_run_option
@json_option
@pass_ctx
@handled
def generate_command(
    ctx: Context, provinces: tuple[str, ...], seed: int, dry_run: bool, as_json: bool
) -> None:
    """Generate hamlets, household groups, cadres and assignments on the real list."""
    store = ctx.store
    codes = list(provinces)
    if "all" in codes:
        codes = [u.code for u in store.subtree() if u.level == store.policy.top_level]
    units, cadres, assignments = [], [], []
    with _progress(disable=as_json) as progress:
        task = progress.add_task("generating", total=len(codes))
        for code in codes:
            roster = generate(store, code, seed)
            units += roster.units
            cadres += roster.cadres
            assignments += roster.assignments
            progress.advance(task)
    with err.status("checking the plan"):
        plan = make_plan(store, units, cadres, assignments)
    _finish(ctx, plan, dry_run, as_json)


@main.command()
@click.argument("kind", type=click.Choice(sorted(TEMPLATES)))
@click.option(
    "--xlsx",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write an Excel workbook instead of printing CSV.",
)
@handled
def template(kind: str, xlsx: Path | None) -> None:
    """An empty input file with the Vietnamese headers (English keys are accepted too)."""
    text = write_template(kind, xlsx)
    if xlsx is None:
        sys.stdout.write(text)
    else:
        out.print(f"Wrote {xlsx}")


# --- questions -----------------------------------------------------------------------------


@main.command()
@click.argument("unit", required=False)
@as_of_option
@json_option
@pass_ctx
@handled
def validate(ctx: Context, unit: str | None, as_of: date, as_json: bool) -> None:
    """Check the graph (or a unit's subtree) against the hierarchy rules and the policy."""
    found = validate_store(ctx.store, as_of, unit)
    errors = [v for v in found if v.severity is Severity.ERROR]
    if as_json:
        _emit(
            {
                "as_of": as_of.isoformat(),
                "errors": len(errors),
                "warnings": len(found) - len(errors),
                "violations": [v.as_dict() for v in found],
            },
            ctx,
        )
    else:
        for v in found[:200]:
            out.print(
                f"{v.severity} {v.rule} {v.subject}: {v.message}", markup=False, highlight=False
            )
        if len(found) > 200:
            out.print(f"... and {len(found) - 200} more (use --json for all)")
        out.print(f"{len(errors)} errors, {len(found) - len(errors)} warnings on {as_of}.")
    if errors:
        sys.exit(1)


@main.command()
@click.argument("unit")
@as_of_option
@json_option
@pass_ctx
@handled
def coverage(ctx: Context, unit: str, as_of: date, as_json: bool) -> None:
    """Coverage of a unit's subtree, per level and end to end (households)."""
    answer = ctx.store_about(unit).coverage(unit, as_of)
    if as_json:
        _emit(render.coverage_dict(answer), ctx)
    else:
        out.print(render.coverage_table(answer, ctx.store.policy_on(as_of)))


@main.command()
@click.argument("unit", required=False)
@click.option("--level", help="The level to look for gaps at (e.g. commune).")
@click.option(
    "--orphaned",
    is_flag=True,
    help="Instead: units whose parent has ended with no successor named (under UNIT, if "
    "given, an ended unit or one above it).",
)
@as_of_option
@json_option
@pass_ctx
@handled
def gaps(
    ctx: Context, unit: str | None, level: str | None, orphaned: bool, as_of: date, as_json: bool
) -> None:
    """Units at a level without coverage, or whose chain is broken above them."""
    if orphaned:
        _orphans(ctx, unit, as_of, as_json)
        return
    if unit is None or level is None:
        raise click.UsageError("give a UNIT and --level (or --orphaned)")
    level_id = ctx.store_about(unit).policy_on(as_of).level_id(level) or level
    found = ctx.store.gaps(unit, level_id, as_of)
    if as_json:
        _emit(
            {
                "unit": unit,
                "level": level_id,
                "as_of": as_of.isoformat(),
                "gaps": [render.gap_dict(g) for g in found],
            },
            ctx,
        )
        return
    if not found:
        out.print(f"No gaps at {level_id} under {unit} on {as_of}.")
        return
    table = Table(title=f"Gaps at {level_id} under {unit} on {as_of}: {len(found)}")
    for name in ("code", "name", "reason", "broken at"):
        table.add_column(name)
    for gap in found:
        table.add_row(gap.unit.code, gap.unit.name, str(gap.reason), gap.broken_at or "")
    out.print(table)


def _orphans(ctx: Context, unit: str | None, as_of: date, as_json: bool) -> None:
    found = orphaned_units(ctx.store, as_of, unit)
    if as_json:
        _emit(
            {
                "unit": unit,
                "as_of": as_of.isoformat(),
                "orphaned": [
                    {
                        "unit": o.unit.code,
                        "name": o.unit.name,
                        "level": o.unit.level,
                        "ended_parent": o.ended_parent.code,
                        "ended_on": o.ended_on.isoformat(),
                        "living_ancestor": o.living_ancestor.code if o.living_ancestor else None,
                    }
                    for o in found
                ],
            },
            ctx,
        )
        return
    where = f" under {unit}" if unit else ""
    if not found:
        out.print(f"No orphaned units{where} on {as_of}.")
        return
    table = Table(title=f"Orphaned units{where} on {as_of}: {len(found)}")
    for name in ("code", "name", "ended parent", "ended on", "last living ancestor"):
        table.add_column(name)
    for o in found:
        living = o.living_ancestor
        table.add_row(
            o.unit.code,
            o.unit.name,
            f"{o.ended_parent.code} {o.ended_parent.name}",
            str(o.ended_on),
            f"{living.code} {living.name}" if living else "-",
        )
    out.print(table)


@main.command()
@click.argument("unit")
@as_of_option
@json_option
@pass_ctx
@handled
def chain(ctx: Context, unit: str, as_of: date, as_json: bool) -> None:
    """The chain upward from a unit: each level and who supports it."""
    links = ctx.store_about(unit).chain(unit, as_of)
    if as_json:
        _emit([render.chain_dict(link) for link in links], ctx)
        return
    policy = ctx.store.policy_on(as_of)
    table = Table(title=f"Chain of {unit} on {as_of}")
    for name in ("level", "unit", "supported by", "since", "phone"):
        table.add_column(name)
    for link in links:
        who = "; ".join(f"{s.cadre.name} ({s.cadre.id})" for s in link.supporters)
        if not who:
            who = "-" if link.rule is None else "[red]NO ACTIVE SUPPORTER[/red]"
        since = "; ".join(str(s.assignment.since) for s in link.supporters)
        phone = "; ".join(s.cadre.phone for s in link.supporters)
        table.add_row(
            policy.level(link.unit.level).label,
            f"{link.unit.code} {link.unit.name}",
            who,
            since,
            phone,
        )
    out.print(table)


@main.command()
@click.argument("cadre")
@as_of_option
@json_option
@pass_ctx
@handled
def reach(ctx: Context, cadre: str, as_of: date, as_json: bool) -> None:
    """What a cadre reaches through unbroken chains, and where the chain breaks below."""
    answer = ctx.store.reach(cadre, as_of)
    if as_json:
        _emit(render.reach_dict(answer), ctx)
        return
    c = answer.cadre
    out.print(
        f"{c.id} {c.name} ({c.level}), {answer.status} on {as_of}; supports: "
        + (", ".join(f"{u.code} {u.name}" for u in answer.direct) or "nothing")
    )
    table = Table()
    for name in ("level", "units below", "reached"):
        table.add_column(name, justify="left" if name == "level" else "right")
    for lr in answer.levels:
        table.add_row(lr.level, str(lr.units), str(lr.reached))
    out.print(table)
    out.print(f"Households reached: {answer.households}")
    for gap in answer.breaks:
        out.print(f"chain broken at {gap.unit.code} {gap.unit.name}: {gap.reason}", markup=False)


@main.command()
@click.argument("unit")
@as_of_option
@click.option("--top", default=20, show_default=True, help="How many cadres to list.")
@json_option
@pass_ctx
@handled
def workload(ctx: Context, unit: str, as_of: date, top: int, as_json: bool) -> None:
    """Units and households per active cadre working in a unit's subtree; overloaded first."""
    loads = ctx.store.load(unit, as_of)
    if as_json:
        _emit([render.load_dict(item) for item in loads], ctx)
        return
    idle = sum(1 for item in loads if item.units == 0)
    over = sum(1 for item in loads if item.overloaded)
    table = Table(
        title=f"Load of {len(loads)} active cadres under {unit} on {as_of}: "
        f"{over} overloaded, {idle} with nothing"
    )
    for name in ("cadre", "name", "level", "units", "max", "households"):
        table.add_column(name)
    for item in loads[:top]:
        table.add_row(
            item.cadre.id,
            item.cadre.name,
            item.cadre.level,
            str(item.units),
            str(item.max_units or "-"),
            str(item.households),
            style="red" if item.overloaded else None,
        )
    out.print(table)


# --- reports -------------------------------------------------------------------------------


@main.group()
def report() -> None:
    """Tables for meetings, as an Excel workbook to print (--xlsx) or CSV (--csv)."""


#: The report's two outputs, as (option, parameter, help); the first is listed first.
REPORT_OUTPUTS = (
    ("--xlsx", "xlsx_file", "Write an Excel workbook here, set up to print on A4."),
    ("--csv", "csv_file", "Write CSV here (UTF-8 with BOM; ids, plain numbers, ISO dates)."),
)


def output_options(f: F) -> F:
    for option, name, text in reversed(REPORT_OUTPUTS):
        path = click.Path(dir_okay=False, path_type=Path)
        f = click.option(option, name, type=path, metavar="FILE", help=text)(f)
    return f


def _one_output(xlsx_file: Path | None, csv_file: Path | None) -> None:
    if (xlsx_file is None) == (csv_file is None):
        raise click.UsageError("give exactly one of --xlsx FILE or --csv FILE")


def _write_report(built: reports.Report, xlsx_file: Path | None, csv_file: Path | None) -> None:
    path = xlsx_file or csv_file
    assert path is not None
    try:
        if xlsx_file is not None:
            from namgraph.reports.xlsx import write_xlsx  # openpyxl: only when it is needed

            write_xlsx(built, xlsx_file)
        else:
            reports.write_csv(built, path)
    except OSError as exc:
        raise click.FileError(str(path), exc.strerror) from None
    sheets = len(built.sheets)
    where = f" on {sheets} sheets" if xlsx_file is not None and sheets > 1 else ""
    out.print(f"Wrote {built.rows} rows{where} to {path}.", markup=False, highlight=False)


@report.command("gaps")
@click.argument("unit")
@click.option(
    "--level",
    help="Only this level (e.g. commune or xã); default: a sheet (or, in CSV, the rows) for "
    "each level the policy counts for coverage at and below UNIT.",
)
@as_of_option
@output_options
@pass_ctx
@handled
def report_gaps(
    ctx: Context,
    unit: str,
    level: str | None,
    as_of: date,
    xlsx_file: Path | None,
    csv_file: Path | None,
) -> None:
    """Units under UNIT without coverage, or whose chain is broken above them, with why."""
    _one_output(xlsx_file, csv_file)
    built = reports.gaps_report(ctx.store_about(unit), unit, as_of, level)
    _write_report(built, xlsx_file, csv_file)


@report.command("coverage")
@click.argument("unit")
@as_of_option
@output_options
@pass_ctx
@handled
def report_coverage(
    ctx: Context, unit: str, as_of: date, xlsx_file: Path | None, csv_file: Path | None
) -> None:
    """Coverage of each unit one level below UNIT (districts, or on the two-tier map
    communes), per level and in households reached; UNIT itself last, as the total."""
    _one_output(xlsx_file, csv_file)
    built = reports.coverage_report(ctx.store_about(unit), unit, as_of)
    _write_report(built, xlsx_file, csv_file)


@report.command("workload")
@click.argument("unit")
@as_of_option
@output_options
@pass_ctx
@handled
def report_workload(
    ctx: Context, unit: str, as_of: date, xlsx_file: Path | None, csv_file: Path | None
) -> None:
    """Units and households per active cadre working under UNIT; overloaded first."""
    _one_output(xlsx_file, csv_file)
    built = reports.workload_report(ctx.store, unit, as_of)
    _write_report(built, xlsx_file, csv_file)


@main.command()
@click.option(
    "--cadre", "cadres", multiple=True, required=True, help="A cadre who leaves (repeatable)."
)
@click.option(
    "--on", "on", callback=_date, required=True, metavar="DATE", help="The day they leave."
)
@click.option(
    "--scope", metavar="UNIT", help="Compare coverage of this unit (default: the province)."
)
@json_option
@pass_ctx
@handled
def whatif(
    ctx: Context, cadres: tuple[str, ...], on: date, scope: str | None, as_json: bool
) -> None:
    """If these cadres leave on a date: what loses coverage, and who could take it over."""
    answer = what_if(ctx.store, cadres, on, scope)
    if as_json:
        _emit(render.whatif_dict(answer), ctx)
        return
    policy = ctx.store.policy_on(on)
    out.print(render.coverage_table(answer.before, policy, "before"))
    out.print(render.coverage_table(answer.after, policy, f"if they leave on {on}"))
    out.print(f"Households losing an unbroken chain: {answer.households_lost}")
    for takeover in answer.lost:
        names = ", ".join(
            f"{c.cadre.id} {c.cadre.name} (carries {c.units})" for c in takeover.candidates
        )
        out.print(
            f"loses coverage: {takeover.unit.code} {takeover.unit.name}; could take over: {names or 'nobody'}",
            markup=False,
        )


@main.command()
@click.argument("text")
@click.option("--first", default=10, show_default=True)
@json_option
@pass_ctx
@handled
def search(ctx: Context, text: str, first: int, as_json: bool) -> None:
    """Units and cadres by name, with or without diacritics."""
    hits = ctx.store.search(text, first)
    rows = [
        {"type": "unit", **render.unit_dict(h)}
        if isinstance(h, Unit)
        else {"type": "cadre", **render.cadre_dict(h)}
        for h in hits
    ]
    if as_json:
        _emit(rows, ctx)
        return
    for row, hit in zip(rows, hits, strict=True):
        key = row.get("code") or row.get("id")
        now = f"; {render.unit_now(hit)}" if isinstance(hit, Unit) and render.unit_now(hit) else ""
        out.print(f"{row['type']:5} {key:14} {row['name']} ({row['level']}{now})", markup=False)


@main.command("diff")
@click.argument("unit")
@click.option("--from", "start", required=True, callback=_date, metavar="DATE")
@click.option("--to", "end", callback=_date, metavar="DATE", help="Default today.")
@json_option
@pass_ctx
@handled
def diff_command(ctx: Context, unit: str, start: date, end: date, as_json: bool) -> None:
    """What changed in a unit's subtree after --from, up to and including --to."""
    if end < start:
        raise click.BadParameter(f"{end} is before --from {start}; swap them", param_hint="--to")
    answer = changes_between(ctx.store, unit, start, end)
    if as_json:
        _emit(render.changes_dict(answer), ctx)
        return
    out.print(
        f"Changes in {answer.unit.code} {answer.unit.name} after {start} up to {end}: "
        f"{len(answer.started)} started, {len(answer.ended)} ended, "
        f"{len(answer.statuses)} status changes, {len(answer.units)} units",
        markup=False,
    )
    for cadre, status, since in answer.statuses:
        out.print(f"  {since}  {cadre.id} {cadre.name}: {status}", markup=False)
    for verb, items in (("ends", answer.ended), ("starts", answer.started)):
        for a in items:
            day = a.until if verb == "ends" else a.since
            why = f"decision {a.decision}" if verb == "starts" else f"held since {a.since}"
            out.print(f"  {day}  {verb}: {a.cadre} -> {a.unit} ({a.role}, {why})", markup=False)
    for u in answer.units:
        what = u.change_between(start, end)
        was, now = u.version_on(start), u.version_on(end)
        if what == "moved" and was is not None and now is not None:
            what = f"moved from {was.parent} to {now.parent}"
        elif what == "renamed" and was is not None:
            what = f"renamed (was {was.name})"
        elif what == "ended" and u.successors:
            what = "ended, into " + ", ".join(m.code for m in u.successors if m.on <= end)
        out.print(f"  unit {u.code} {u.on(end).name}: {what}", markup=False)


@main.command("history")
@click.argument("cadre")
@json_option
@pass_ctx
@handled
def history_command(ctx: Context, cadre: str, as_json: bool) -> None:
    """A cadre's statuses and assignments over time."""
    found = ctx.store.cadre(cadre)
    if found is None:
        raise NotFound("cadre", cadre)
    held = ctx.store.assignments(cadre=cadre)
    if as_json:
        _emit(
            {
                "cadre": render.cadre_dict(found),
                "assignments": [render.assignment_dict(a) for a in held],
                "statuses": [
                    {"status": str(p.status), "since": p.since.isoformat() if p.since else None}
                    for p in found.history
                ],
            },
            ctx,
        )
        return
    out.print(f"{found.id} {found.name} ({found.level}, {found.home_unit})", markup=False)
    for p in found.history:
        out.print(f"  {p.since or '(from the start)'}  {p.status}", markup=False)
    table = Table("unit", "role", "since", "until", "decision")
    for a in held:
        table.add_row(a.unit, a.role, str(a.since), str(a.until or ""), a.decision)
    out.print(table)


# --- reshuffles ----------------------------------------------------------------------------


def _optional_date(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    return None if value is None else _date(_, __, value)


@main.group()
def reshuffle() -> None:
    """Reshuffles as plans: plan a file and preview it, then apply it in one write."""


@reshuffle.command("plan")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--on", "on", callback=_optional_date, metavar="DATE", help="Effective date.")
@click.option("--decision", metavar="TEXT", help='The decision, e.g. "559-QĐ/TU, 26/8/2022".')
@click.option(
    "--reorganisation",
    "reorganisation",
    callback=_optional_date,
    metavar="DATE",
    help="Instead of a file: move the chain onto the map of DATE (carry support to merged "
    "units' successors, end what the new policy does not allow, list what needs a decision).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --reorganisation: write the rows needing a decision as a reshuffle file to edit.",
)
@click.option(
    "--scope", metavar="CODE", help="For a roster file: the unit whose own cadres it lists."
)
@click.option("--by", metavar="NAME", help="Who makes the plan (default: the login name).")
@sheet_option
@json_option
@pass_ctx
@handled
def reshuffle_plan(
    ctx: Context,
    file: Path | None,
    on: date | None,
    decision: str | None,
    reorganisation: date | None,
    out_file: Path | None,
    scope: str | None,
    by: str | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    """Diff a reshuffle file against the graph on its date, preview it and keep the plan."""
    if reorganisation is not None:
        with err.status("planning the reorganisation"):
            document = plan_reorganisation(ctx.store, reorganisation, scope, decision or "", by)
        if out_file is not None:
            out_file.write_text(decisions_csv(document, reorganisation), encoding="utf-8")
        _show_plan(document, as_json, ctx, by)
        return
    if file is None:
        raise click.UsageError("give a reshuffle FILE, or --reorganisation DATE")
    try:
        with err.status("planning the reshuffle"):
            document = plan_reshuffle(ctx.store, file, on, decision, scope, by, sheet=sheet)
    except (NotFound, ValueError) as exc:  # the file or an option names what is not there
        err.print(f"error: {exc}", markup=False, highlight=False)
        err.print("[red]Nothing was planned.[/red]")
        sys.exit(2)
    _show_plan(document, as_json, ctx, by)
    if document["problems"]:
        _problems([Problem(**p) for p in document["problems"]])
        err.print("[red]The plan cannot be applied: fix the file and plan it again.[/red]")
        sys.exit(2)


@reshuffle.command("show")
@click.argument("plan")
@json_option
@pass_ctx
@handled
def reshuffle_show(ctx: Context, plan: str, as_json: bool) -> None:
    """A kept plan: its changes, problems and preview."""
    document = ctx.store.plan_document(plan)
    if document is None:
        raise NotFound("plan", plan)
    _show_plan(document, as_json, ctx)


@reshuffle.command("apply")
@click.argument("plan")
@click.option("--by", metavar="NAME", help="Who applies it (default: the login name).")
@json_option
@pass_ctx
@handled
def reshuffle_apply(ctx: Context, plan: str, by: str | None, as_json: bool) -> None:
    """Apply a kept plan in one write, or refuse it (stale, problems) writing nothing."""
    with err.status("applying the plan"):
        done = apply_reshuffle(ctx.store, plan, by)
    if as_json:
        _emit(
            {"plan": done.plan_id, "written": done.written, "record": done.record},
            ctx,
            wrote=done.written,
        )
    elif done.written:
        counts = done.record["counts"]
        out.print(
            f"Applied plan {plan}: ended {counts['end']}, started {counts['start']}, "
            f"status changes {counts['status']} ({ctx.config.describe()})."
        )
    else:
        out.print(f"Plan {plan} changes nothing: the graph already holds it. Nothing was written.")


@reshuffle.command("list")
@json_option
@pass_ctx
@handled
def reshuffle_list(ctx: Context, as_json: bool) -> None:
    """Every applied reshuffle: when, by whom, the decision, the file's hash and the counts."""
    records = ctx.store.applied_plans()
    if as_json:
        _emit(records, ctx)
        return
    if not records:
        out.print("No reshuffle has been applied yet (`nam reshuffle plan FILE` makes a plan).")
        return
    width = max(40, min(out.width, 100))
    for r in records:  # two or three short lines each: readable in an 80-column terminal
        counts = r.get("counts") or {}
        assert isinstance(counts, dict)
        applied = str(r.get("applied_at", "")).replace("T", " ")[:16]
        out.print(
            f"{r.get('id', '')}  applied {applied} by {r.get('applied_by', '')}", markup=False
        )
        what = (
            f"effective {r.get('effective', '')}: ended {counts.get('end', 0)}, started "
            f"{counts.get('start', 0)}, status changes {counts.get('status', 0)}; "
            f"file {Path(str(r.get('file', ''))).name}"
        )
        decision = str(r.get("decision") or "")
        if decision:
            what = f"{what}; decision {decision}"
        for line in textwrap.wrap(what, width - 2):
            out.print(f"  {line}", markup=False, highlight=False)


def _show_plan(
    document: dict[str, Any], as_json: bool, ctx: Context, by: str | None = None
) -> None:
    nam = ctx.command()
    if as_json:
        _emit(document, ctx)
        return
    s = document["summary"]
    out.print(
        f"Plan {document['id']} ({document['kind']}, {document['decision']}, effective "
        f"{document['effective']}), made by {document['made_by']} at {document['made_at']}"
    )
    if document["kind"] == "reorganisation":
        out.print(
            f"  assignments in force the day before: {s['continue']} continue, "
            f"{s['carried']} carried to successors, {s['ended_with_reason']} ended with a "
            f"reason, {s['undecided']} need a decision",
            markup=False,
        )
        reasons = Counter(r["reason"] for r in document["reorganisation"]["ended"])
        for reason, n in sorted(reasons.items()):
            out.print(f"  ended, {reason}: {n}", markup=False)
    out.print(
        f"  end {s['end']}, start {s['start']}, continue {s['continue']}, "
        f"status changes {s['status']}; {s['errors']} errors, {s['warnings']} warnings"
    )
    _problems([Problem(**w) for w in document["warnings"]], limit=20)
    for st in document["statuses"][:30]:
        out.print(f"  {st['cadre']} {st['name']}: {st['from']} -> {st['to']}")
    if len(document["statuses"]) > 30:
        out.print(f"  ... and {len(document['statuses']) - 30} more")
    for key, verb in (("ended", "ends"), ("started", "starts")):
        for a in document[key][:30]:
            out.print(f"  {verb}: {a['cadre']} -> {a['unit']} ({a['role']}, since {a['since']})")
        if len(document[key]) > 30:
            out.print(f"  ... and {len(document[key]) - 30} more")
    for p in document["preview"]:
        out.print(render.preview_table(p))
    if document["problems"]:
        return
    if not any(s[k] for k in ("end", "start", "status")):
        out.print("Nothing to change: the graph already holds this reshuffle.")
    else:
        signed = f" --by {shlex.quote(by)}" if by else ""
        out.print(f"Apply it with: {nam} reshuffle apply {document['id']}{signed}", markup=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--demo",
    is_flag=True,
    help="Demo mode: callers without a token see and change everything. Never on real data.",
)
@pass_ctx
@handled
def serve(ctx: Context, host: str, port: int, demo: bool) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql) over the store.

    Every request needs a bearer token (`nam token create`) and sees only its scope, unless
    --demo (or NAM_DEMO=on) is given."""
    import uvicorn

    from namgraph.api.app import create_app
    from namgraph.api.logs import configure, log
    from namgraph.api.settings import Settings

    configure()
    settings = Settings.from_env(ctx.data, demo=True if demo else None)
    store = ctx.store
    if settings.demo:
        err.print(
            "[bold red]DEMO MODE[/]: no token needed; anyone who can reach "
            f"http://{host}:{port} sees and changes everything. Never serve real data this way."
        )
    log(
        "starting",
        mode="demo" if settings.demo else "production",
        store=ctx.config.describe(),
        policy=store.policy.id,
        auth_file=str(settings.auth_file),
        introspection=settings.introspection,
        graphiql=f"http://{host}:{port}/graphql",
    )
    # threads take turns on the interpreter every 1 ms rather than 5: a cheap request waits
    # less for a heavy one's thread at each of its hand-overs (see namgraph.api.lanes)
    sys.setswitchinterval(0.001)
    uvicorn.run(
        create_app(store, settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # who the client is behind a proxy: NAM_TRUSTED_PROXIES decides
    )


@main.command("schema")
def schema_command() -> None:
    """Print the GraphQL schema (the contract published as schema.graphql)."""
    from namgraph.api.schema import schema_text

    sys.stdout.write(schema_text())


@main.command("export")
@click.argument("target", type=click.Choice(["neo4j"]))
@click.option("--replace", is_flag=True, help="Empty a Neo4j database that already holds a graph.")
@click.option(
    "--part-records",
    type=click.IntRange(1),
    default=200_000,
    show_default=True,
    help="A larger graph is copied in transactions of about this many records, by province.",
)
@pass_ctx
@handled
def export_command(ctx: Context, target: str, replace: bool, part_records: int) -> None:
    """Copy the data directory's graph into Neo4j (NEO4J_URI, NEO4J_PASSWORD, ...).

    A graph of up to --part-records records is copied in one transaction. A larger one (a whole
    country is 3 million) is copied province by province, since one transaction would pass
    Neo4j's transaction memory limit; until the last part is in, the database is marked as
    incomplete and namgraph refuses to open it."""
    source = MemoryStore.open(ctx.data)
    neo = StoreConfig.from_env(ctx.data, kind=target)
    if replace:
        driver = neo.driver()
        try:
            Neo4jStore.drop(driver, neo.database)
        finally:
            driver.close()
    store = neo.init(str(ctx.data / POLICY_FILE))
    assert isinstance(store, Neo4jStore)
    for start, policy_file in later_policy_files(ctx.data):
        store.set_policy(str(policy_file), start)
    try:
        with err.status("reading the graph"):
            changes = dump(source)
        parts = in_parts(changes, part_records)
        if len(parts) == 1:
            with err.status("copying the graph"):
                store.apply(changes)
        else:
            store.loading(datetime.now(UTC).isoformat(timespec="seconds"))
            with _progress() as progress:
                task = progress.add_task("copying, province by province", total=len(changes))
                for part in parts:
                    store.apply(part)
                    progress.advance(task, len(part))
            store.loading(None)
    finally:
        store.close()
    how = "one transaction" if len(parts) == 1 else f"{len(parts)} transactions"
    out.print(f"Copied {len(changes)} records from {ctx.data} to the {neo.describe()} ({how}).")


@main.command("import")
@click.option(
    "--from", "source_kind", type=click.Choice(["neo4j"]), default="neo4j", show_default=True
)
@pass_ctx
@handled
def import_command(ctx: Context, source_kind: str) -> None:
    """Copy the Neo4j graph into a new data directory (--data)."""
    neo = StoreConfig.from_env(ctx.data, kind=source_kind)
    source = neo.open()
    assert isinstance(source, Neo4jStore)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            policy_file = Path(tmp) / "policy.yaml"
            policy_file.write_text(source.policy_text, encoding="utf-8")
            target = MemoryStore.init(ctx.data, str(policy_file))
            for start, _, text in source.later:
                later = Path(tmp) / f"policy.{start.isoformat()}.yaml"
                later.write_text(text, encoding="utf-8")
                target.set_policy(str(later), start)
        with err.status("copying the graph"):
            changes = dump(source)
            target.apply(changes)
    finally:
        source.close()
    out.print(f"Copied {len(changes)} records from the {neo.describe()} to {ctx.data}.")


@main.command()
@pass_ctx
@handled
def status(ctx: Context) -> None:
    """What the data directory holds."""
    store = ctx.store
    out.print(f"{ctx.config.describe()}: policy {store.policy.id} ({store.policy.name})")
    for key, value in store.counts().items():
        out.print(f"  {key}: {value}")
