"""``nam``: load, validate and question the nắm graph from a shell.

Exit codes: 0 done; 1 a question could not be answered (unknown unit, store trouble);
2 bad input (the problems are listed with file, row and column; nothing was written).
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import shlex
import sys
import tempfile
import textwrap
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from graph.activity import Attendance, Meeting, Petition
from graph.dates import parse_date, today
from graph.i18n import DEFAULT, LANGUAGES, N_, _, day, number
from graph.model import Severity, Unit
from graph.orphans import orphaned as orphaned_units
from graph.petitions import PetitionReport, petitions_under
from graph.policy import DEFAULT_POLICY, PolicyError, available_policies
from graph.presence import active_coverage, active_gaps
from graph.questions import changes_between, what_if
from graph.stores.config import StoreConfig, dump
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
from graph.yearly import NoPolicyInYear, YearlyRecord, yearly_record
from loaders.activity import plan_attendance, plan_meetings
from loaders.admin import plan_admin
from loaders.columns import KINDS
from loaders.generate import generate
from loaders.generate_activity import generate_activity, generate_petitions
from loaders.illustrative import illustrative_merges, merges_csv
from loaders.merges import plan_merges
from loaders.petitions import plan_petitions
from loaders.plan import Plan, apply_plan, make_plan
from loaders.problems import LoadError, Problem
from loaders.records import plan_file
from loaders.reorganisation import decisions_csv, plan_reorganisation
from loaders.reshuffle import PlanRefused, apply_reshuffle, plan_reshuffle
from loaders.templates import ALL_TEMPLATES, write_template
from namgraph import reports
from namgraph.cli import render
from namgraph.cli.commands import NamGroup
from namgraph.cli.tokens import token
from namgraph.reports.labels import title_name

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


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        version = importlib.metadata.version("namgraph")
        click.echo(_("{prog}, version {version}").format(prog="nam", version=version))
        ctx.exit()


def _day_text(value: object) -> str:
    """An ISO date from a stored document, as the reader writes dates."""
    try:
        return day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


def _plan_date(document: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(document.get("effective")))
    except ValueError:
        return today()


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
                _(
                    "warning: the graph changed while this answer was read (generation "
                    "{before} to {after}); run the command again for an answer of one generation"
                ).format(before=ctx.read_at, after=now),
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
        return today()
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
            err.print("[red]" + _("Nothing was written.") + "[/red]")
            sys.exit(2)
        except UnitNotInForce as exc:
            if kwargs.get("as_json"):
                _emit(exc.as_dict())
            err.print(_("error: {message}").format(message=exc), markup=False, highlight=False)
            sys.exit(1)
        except (NotFound, StoreError, PolicyError, PlanRefused, ValueError) as exc:
            err.print(
                _("error: {message}").format(message=exc) + _hint(exc),
                markup=False,
                highlight=False,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _hint(exc: Exception) -> str:
    """What to try next, for the errors a new user meets first."""
    if isinstance(exc, NotFound) and exc.kind in ("unit", "cadre"):
        if exc.kind == "unit":
            return _("; find a unit by its name with `nam search NAME`")
        return _("; find a cadre by their name with `nam search NAME`")
    if isinstance(exc, NoGraph):
        demo = Path(DEMO_DIR)
        there = (demo / DB_FILE).is_file() or (demo / JSON_FILE).is_file()
        if there and exc.data_dir.resolve() != demo.resolve():
            return _("; the demo's graph is in {dir}: `nam --data {dir} ...`").format(dir=DEMO_DIR)
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
        severity = _("error") if problem.severity == "error" else _("warning")
        err.print(f"{severity} [{problem.code}]: {problem}", markup=False, highlight=False)
    if len(problems) > limit:
        err.print(_("... and {n} more").format(n=number(len(problems) - limit)), markup=False)


@click.group(cls=NamGroup)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Show the version and exit.",
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    envvar="NAM_LANG",
    default=DEFAULT,
    show_default="$NAM_LANG or vi",
    expose_value=False,
    is_eager=True,
    help="The language of messages and tables: vi (Vietnamese) or en (English).",
)
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
        out.print(
            _("{dir}: nothing to migrate ({file} is the store)").format(dir=ctx.data, file=DB_FILE)
        )
        return
    out.print(
        _(
            "Migrated {n} records from {old} to {new}; {json} is kept as a backup: remove it "
            "once you are satisfied"
        ).format(n=number(moved), old=ctx.data / JSON_FILE, new=ctx.data / DB_FILE, json=JSON_FILE)
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
        _("Created the graph ({store}) with policy {id}: {name}").format(
            store=ctx.config.describe(), id=store.policy.id, name=store.policy.name
        )
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
    out.print(
        _("Policy {id} ({name}) is in force from {date}.").format(
            id=chosen.id, name=chosen.name, date=day(start)
        ),
        markup=False,
    )
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
        since = _("from {date}").format(date=day(start)) if start else _("from the beginning")
        end = " " + _("until {date}").format(date=day(until - timedelta(days=1))) if until else ""
        out.print(f"  {p.id}: {since}{end} ({p.name})", markup=False)


# --- loading -------------------------------------------------------------------------------


#: A record's kind and fields, as a load's list of changes names them (``--json`` keeps the ids).
RECORD_WORDS = {
    "unit": N_("unit"),
    "cadre": N_("cadre"),
    "assignment": N_("assignment"),
    "until": N_("until"),
    "since": N_("since"),
    "parent": N_("parent unit"),
    "name": N_("name"),
    "kind": N_("kind"),
    "level": N_("level"),
    "role": N_("role"),
    "decision": N_("decision"),
    "earlier": N_("earlier versions"),
    "successors": N_("successors"),
    "valid_from": N_("valid from"),
    "valid_to": N_("valid until"),
    "home_unit": N_("home unit"),
    "titles": N_("titles"),
    "phone": N_("phone"),
    "history": N_("statuses"),
    "households": N_("households"),
    "meeting": N_("meeting"),
    "attendance": N_("attendance"),
    "note": N_("note"),
    "present": N_("present"),
    "reason": N_("reason"),
    "petition": N_("petition"),
    "raised": N_("received"),
    "received_by": N_("received by"),
    "text": N_("content"),
    "handovers": N_("hand-overs"),
    "answered": N_("answered"),
    "closed": N_("closed"),
}


def _word(key: str) -> str:
    return _(RECORD_WORDS[key]) if key in RECORD_WORDS else key


def _diffs(diffs: list[dict[str, Any]], limit: int = 30) -> None:
    """Each record a load changes or ends, with its fields before and after."""
    for diff in diffs[:limit]:
        fields = "; ".join(
            f"{_word(name)}: {_shown(v['before'])} -> {_shown(v['after'])}"
            for name, v in diff["fields"].items()
        )
        action = {"change": _("change"), "end": _("end")}.get(diff["action"], diff["action"])
        kind, _sep, key = str(diff["subject"]).partition(":")
        subject = f"{_word(kind)} {key}" if key else kind
        out.print(f"  {action} {subject}: {fields}", markup=False, highlight=False)
    if len(diffs) > limit:
        out.print(
            "  "
            + _("... and {n} more (--json gives them all)").format(n=number(len(diffs) - limit)),
            markup=False,
        )


def _shown(value: Any) -> str:
    return "-" if value is None or value == [] else str(value)


def _finish(
    ctx: Context,
    plan: Plan,
    dry_run: bool,
    as_json: bool,
    activity: bool = False,
    petitions: bool = False,
) -> None:
    """Show a plan, and write it unless ``dry_run`` (``activity``: a load of meetings or
    attendance, whose plan counts those; ``petitions``: a load of petitions)."""
    if as_json and (dry_run or not plan.ok):
        _emit({"dry_run": dry_run, **plan.as_dict()}, ctx)
    elif not as_json:
        s = plan.summary()
        written = {k: number(v) for k, v in s.items() if isinstance(v, int)}
        chain = s["units"] or s["cadres"] or s["assignments"]
        meets = s["meetings"] or s["attendance"]
        if chain or not (meets or s["petitions"] or activity or petitions):
            out.print(
                _(
                    "Plan: create {create}, change {change}, end {end}, unchanged {unchanged} "
                    "({units} units, {cadres} cadres, {assignments} assignments); {errors} "
                    "errors, {warnings} warnings"
                ).format(**written)
            )
        if chain and (s["meetings"] or s["attendance"]):
            out.print(
                "  " + _("and {meetings} meetings, {attendance} attendance rows").format(**written),
                markup=False,
            )
        elif not chain and (meets or (activity and not petitions)):
            out.print(
                _(
                    "Plan: create {create}, change {change}, unchanged {unchanged} ({meetings} "
                    "meetings, {attendance} attendance rows); {errors} errors, {warnings} warnings"
                ).format(**written)
            )
        if s["petitions"] and (chain or meets):
            out.print("  " + _("and {petitions} petitions").format(**written), markup=False)
        elif petitions or (s["petitions"] and not chain and not meets):
            out.print(
                _(
                    "Plan: create {create}, change {change}, unchanged {unchanged} ({petitions} "
                    "petitions); {errors} errors, {warnings} warnings"
                ).format(**written)
            )
        shown = plan.provinces.items() if len(plan.provinces) <= 8 else ()
        for code, counts in shown:
            out.print(
                "  "
                + _(
                    "province {code}: {started} started, {ended} ended, {renamed} renamed, "
                    "{moved} moved"
                ).format(code=code, **{k: number(v) for k, v in counts.items()}),
                markup=False,
            )
        if len(plan.provinces) > 8:
            total = {
                k: sum(c[k] for c in plan.provinces.values())
                for k in ("started", "ended", "renamed", "moved")
            }
            out.print(
                "  "
                + _(
                    "{n} provinces: {started} units started, {ended} ended, {renamed} renamed, "
                    "{moved} moved (--json gives each province)"
                ).format(n=len(plan.provinces), **{k: number(v) for k, v in total.items()}),
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
            out.print(_("Dry run: nothing was written."))
        return
    with err.status(_("writing the graph")):
        apply_plan(ctx.store, plan)
    if as_json:
        _emit({"dry_run": False, **plan.as_dict()}, ctx, wrote=True)
    else:
        out.print(_("Written to the {store}.").format(store=ctx.config.describe()))


dry_run_option = click.option("--dry-run", is_flag=True, help="Show the plan; write nothing.")
sheet_option = click.option(
    "--sheet", metavar="NAME", help="The sheet to read, when a workbook has data on several."
)


@main.group()
def load() -> None:
    """Load a file: the administrative list, units, cadres, assignments, meetings, attendance
    or petitions."""


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
        out.print(
            _("Wrote {n} illustrative merges to {file}.").format(n=number(rows), file=out_file),
            markup=False,
        )


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


@load.command("meetings")
@click.argument("file", type=click.Path(path_type=Path))
@sheet_option
@dry_run_option
@json_option
@pass_ctx
@handled
def load_meetings(
    ctx: Context, file: Path, sheet: str | None, dry_run: bool, as_json: bool
) -> None:
    """Meetings held at units (cell meetings, thematic meetings, conferences, committee
    meetings, recorded visits) from CSV or XLSX (headers: `nam template meetings`). Load them
    before their attendance sheets."""
    _finish(ctx, plan_meetings(ctx.store, file, sheet=sheet), dry_run, as_json, activity=True)


@load.command("attendance")
@click.argument("file", type=click.Path(path_type=Path))
@sheet_option
@dry_run_option
@json_option
@pass_ctx
@handled
def load_attendance(
    ctx: Context, file: Path, sheet: str | None, dry_run: bool, as_json: bool
) -> None:
    """Who attended the meetings loaded, present or absent with the reason, from CSV or XLSX
    (headers: `nam template attendance`)."""
    _finish(ctx, plan_attendance(ctx.store, file, sheet=sheet), dry_run, as_json, activity=True)


@load.command("petitions")
@click.argument("file", type=click.Path(path_type=Path))
@sheet_option
@dry_run_option
@json_option
@pass_ctx
@handled
def load_petitions(
    ctx: Context, file: Path, sheet: str | None, dry_run: bool, as_json: bool
) -> None:
    """Petitions (kiến nghị) and complaints (phản ánh) raised at hamlets and household groups:
    who received each, to whom it was passed up the chain and when, and when it was answered
    or closed, from CSV or XLSX (headers: `nam template petitions`). Hand-overs go in one
    cell, in date order: 831-0001@3/2/2023; 83-0024@5/2/2023."""
    _finish(ctx, plan_petitions(ctx.store, file, sheet=sheet), dry_run, as_json, petitions=True)


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
@click.option(
    "--no-activity",
    is_flag=True,
    help="Generate the roster only, without meetings, attendance and petitions.",
)
@dry_run_option
@json_option
@pass_ctx
@handled
def generate_command(
    ctx: Context,
    provinces: tuple[str, ...],
    seed: int,
    no_activity: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Generate hamlets, household groups, cadres and assignments on the real list, and the
    meetings they held, who attended them and the petitions raised (unless --no-activity)."""
    store = ctx.store
    codes = list(provinces)
    if "all" in codes:
        codes = [u.code for u in store.subtree() if u.level == store.policy.top_level]
    units, cadres, assignments = [], [], []
    meetings: list[Meeting] = []
    attendance: list[Attendance] = []
    raised: list[Petition] = []
    with _progress(disable=as_json) as progress:
        task = progress.add_task(_("generating"), total=len(codes))
        for code in codes:
            roster = generate(store, code, seed)
            units += roster.units
            cadres += roster.cadres
            assignments += roster.assignments
            if not no_activity:
                held, present = generate_activity(store, roster, seed)
                meetings += held
                attendance += present
                raised += generate_petitions(store, roster, seed)
            progress.advance(task)
    with err.status(_("checking the plan")):
        plan = make_plan(
            store,
            units,
            cadres,
            assignments,
            meetings=meetings,
            attendance=attendance,
            petitions=raised,
        )
    _finish(ctx, plan, dry_run, as_json)


@main.command()
@click.argument("kind", type=click.Choice(sorted(ALL_TEMPLATES)))
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
        out.print(_("Wrote {file}").format(file=xlsx), markup=False)


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
            severity = _("error") if v.severity is Severity.ERROR else _("warning")
            out.print(
                f"{severity} {v.rule} {v.subject}: {v.message}", markup=False, highlight=False
            )
        if len(found) > 200:
            out.print(_("... and {n} more (use --json for all)").format(n=number(len(found) - 200)))
        out.print(
            _("{errors} errors, {warnings} warnings on {date}.").format(
                errors=number(len(errors)),
                warnings=number(len(found) - len(errors)),
                date=day(as_of),
            )
        )
    if errors:
        sys.exit(1)


active_option = click.option(
    "--active",
    is_flag=True,
    help="Count a supporter only if they were also present (attended a meeting or made a "
    "visit) in the policy's period before the date.",
)


def _active_note(ctx: Context, as_of: date) -> str:
    """What --active counted, for the table's caption."""
    rules = ctx.store.policy_on(as_of).activity
    note = _(
        "active: supporters present at a meeting or visit in the {months} months before {date}"
    ).format(months=number(rules.active_months), date=day(as_of))
    if rules.illustrative:
        note += "; " + _("the policy's figures are illustrative")
    return note


@main.command()
@click.argument("unit")
@active_option
@as_of_option
@json_option
@pass_ctx
@handled
def coverage(ctx: Context, unit: str, active: bool, as_of: date, as_json: bool) -> None:
    """Coverage of a unit's subtree, per level and end to end (households)."""
    store = ctx.store_about(unit)
    answer = active_coverage(store, unit, as_of) if active else store.coverage(unit, as_of)
    if as_json:
        _emit(render.coverage_dict(answer), ctx)
    elif active:
        policy = ctx.store.policy_on(as_of)
        out.print(render.coverage_table(answer, policy, _active_note(ctx, as_of)))
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
@active_option
@as_of_option
@json_option
@pass_ctx
@handled
def gaps(
    ctx: Context,
    unit: str | None,
    level: str | None,
    orphaned: bool,
    active: bool,
    as_of: date,
    as_json: bool,
) -> None:
    """Units at a level without coverage, or whose chain is broken above them."""
    if orphaned:
        _orphans(ctx, unit, as_of, as_json)
        return
    if unit is None or level is None:
        raise click.UsageError(_("give a UNIT and --level (or --orphaned)"))
    level_id = ctx.store_about(unit).policy_on(as_of).level_id(level) or level
    found = (
        active_gaps(ctx.store, unit, level_id, as_of)
        if active
        else ctx.store.gaps(unit, level_id, as_of)
    )
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
    words = {"level": render.level_name(ctx.store.policy_on(as_of), level_id), "unit": unit}
    if not found:
        out.print(_("No gaps at {level} under {unit} on {date}.").format(**words, date=day(as_of)))
        return
    table = Table(
        title=_("Gaps at {level} under {unit} on {date}: {n}").format(
            **words, date=day(as_of), n=number(len(found))
        )
    )
    if active:
        table.caption = _active_note(ctx, as_of)
    for name in (_("code"), _("name"), _("reason"), _("broken at")):
        table.add_column(name)
    for gap in found:
        table.add_row(
            gap.unit.code, gap.unit.name, render.reason_name(gap.reason), gap.broken_at or ""
        )
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
    if not found:
        if unit:
            out.print(
                _("No orphaned units under {unit} on {date}.").format(unit=unit, date=day(as_of))
            )
        else:
            out.print(_("No orphaned units on {date}.").format(date=day(as_of)))
        return
    title = (
        _("Orphaned units under {unit} on {date}: {n}")
        if unit
        else _("Orphaned units on {date}: {n}")
    )
    table = Table(title=title.format(unit=unit, date=day(as_of), n=number(len(found))))
    for name in (_("code"), _("name"), _("ended parent"), _("ended on"), _("last living ancestor")):
        table.add_column(name)
    for o in found:
        living = o.living_ancestor
        table.add_row(
            o.unit.code,
            o.unit.name,
            f"{o.ended_parent.code} {o.ended_parent.name}",
            day(o.ended_on),
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
    table = Table(title=_("Chain of {unit} on {date}").format(unit=unit, date=day(as_of)))
    for name in (_("level"), _("unit"), _("supported by"), _("since"), _("phone")):
        table.add_column(name)
    for link in links:
        who = "; ".join(f"{s.cadre.name} ({s.cadre.id})" for s in link.supporters)
        if not who:
            who = "-" if link.rule is None else "[red]" + _("NO ACTIVE SUPPORTER") + "[/red]"
        since = "; ".join(day(s.assignment.since) for s in link.supporters)
        phone = "; ".join(s.cadre.phone for s in link.supporters)
        table.add_row(
            render.level_name(policy, link.unit.level),
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
    policy = ctx.store.policy_on(as_of)
    out.print(
        _("{id} {name} ({level}), {status} on {date}; supports: {units}").format(
            id=c.id,
            name=c.name,
            level=render.level_name(policy, c.level),
            status=render.status_name(answer.status),
            date=day(as_of),
            units=", ".join(f"{u.code} {u.name}" for u in answer.direct) or _("nothing"),
        ),
        markup=False,
    )
    table = Table()
    table.add_column(_("level"))
    table.add_column(_("units below"), justify="right")
    table.add_column(_("reached"), justify="right")
    for lr in answer.levels:
        table.add_row(render.level_name(policy, lr.level), number(lr.units), number(lr.reached))
    out.print(table)
    out.print(_("Households reached: {n}").format(n=number(answer.households)))
    for gap in answer.breaks:
        out.print(
            _("chain broken at {code} {name}: {reason}").format(
                code=gap.unit.code, name=gap.unit.name, reason=render.reason_name(gap.reason)
            ),
            markup=False,
        )


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
        title=_(
            "Load of {n} active cadres under {unit} on {date}: {over} overloaded, "
            "{idle} with nothing"
        ).format(
            n=number(len(loads)), unit=unit, date=day(as_of), over=number(over), idle=number(idle)
        )
    )
    for name in (_("cadre"), _("name"), _("level"), _("units"), _("max"), _("households")):
        table.add_column(name)
    policy = ctx.store.policy_on(as_of)
    for item in loads[:top]:
        table.add_row(
            item.cadre.id,
            item.cadre.name,
            render.level_name(policy, item.cadre.level),
            number(item.units),
            number(item.max_units) if item.max_units else "-",
            number(item.households),
            style="red" if item.overloaded else None,
        )
    out.print(table)


# --- activity: petitions and yearly records ------------------------------------------------

#: The kinds of petition, in words.
PETITION_KIND_WORDS = {"petition": N_("petition"), "complaint": N_("complaint")}


def _petition_kind(kind: str) -> str:
    return _(PETITION_KIND_WORDS[kind]) if kind in PETITION_KIND_WORDS else kind


def _illustrative_note(ctx: Context, on: date) -> str:
    """A note for figures counted under a policy whose activity figures are examples."""
    if ctx.store.policy_on(on).activity.illustrative:
        return _("the policy's figures are illustrative")
    return ""


def petitions_dict(report: PetitionReport, overdue_only: bool = False) -> dict[str, Any]:
    """``nam petitions --json``: the open (or only the overdue) petitions, with where each
    waits, and the counts and medians of :func:`graph.petitions.petitions_under`."""
    names = {w.holder.id: w.holder for w in report.open if w.holder is not None}
    shown = report.overdue if overdue_only else report.open
    return {
        "unit": render.unit_dict(report.unit),
        "as_of": report.on.isoformat(),
        "answer_days": report.answer_days,
        "overdue_only": overdue_only,
        "open": len(report.open),
        "overdue": len(report.overdue),
        "answered": report.answered,
        "petitions": [
            {
                "id": w.petition.id,
                "kind": w.petition.kind,
                "unit": w.unit.code,
                "unit_name": w.unit.on(w.petition.raised).name,
                "raised": w.petition.raised.isoformat(),
                "received_by": w.petition.received_by,
                "handovers": [
                    {"cadre": h.cadre, "on": h.on.isoformat()} for h in w.petition.handovers
                ],
                "holder": w.petition.holder_on(report.on),
                "holder_name": w.holder.name if w.holder else None,
                "holder_level": w.holder.level if w.holder else None,
                "days": w.days,
                "overdue": w.overdue,
                "text": w.petition.text,
            }
            for w in _by_wait(shown)
        ],
        "by_level": [
            {"level": level, "open": n, "overdue": late}
            for level, (n, late) in report.by_level.items()
        ],
        "by_cadre": [
            {
                "cadre": cadre,
                "name": names[cadre].name if cadre in names else None,
                "open": n,
                "overdue": late,
            }
            for cadre, (n, late) in report.by_cadre.items()
        ],
        "median_days": [
            {"unit": code, "median_days": median} for code, median in report.median_days.items()
        ],
    }


def _by_wait(waiting: tuple[Any, ...]) -> list[Any]:
    """Open petitions, the longest waiting first."""
    return sorted(waiting, key=lambda w: (-w.days, w.petition.id))


@main.command("petitions")
@click.argument("unit")
@click.option("--overdue", is_flag=True, help="List only the overdue petitions.")
@as_of_option
@json_option
@pass_ctx
@handled
def petitions_command(ctx: Context, unit: str, overdue: bool, as_of: date, as_json: bool) -> None:
    """Open petitions and complaints raised under UNIT: with whom each waits (cadre and
    level) and for how many days, overdue ones marked; counts per level and per cadre, and the
    median days to an answer in each unit one level below."""
    store = ctx.store_about(unit)
    report = petitions_under(store, unit, as_of)
    if as_json:
        _emit(petitions_dict(report, overdue), ctx)
        return
    policy = store.policy_on(as_of)
    root = report.unit.on(as_of)
    title = (
        _(
            "Overdue petitions under {code} {name} on {date}: {overdue} of {open} open "
            "(an answer is due within {days} days)"
        )
        if overdue
        else _(
            "Open petitions under {code} {name} on {date}: {open} open, {overdue} overdue "
            "(an answer is due within {days} days)"
        )
    )
    table = Table(
        title=title.format(
            code=root.code,
            name=root.name,
            date=day(as_of),
            open=number(len(report.open)),
            overdue=number(len(report.overdue)),
            days=number(report.answer_days),
        )
    )
    table.caption = _illustrative_note(ctx, as_of) or None
    for name in (
        _("code"),
        _("kind"),
        _("raised at"),
        _("received"),
        _("waiting with"),
        _("level"),
        _("days open"),
        _("overdue"),
        _("content"),
    ):
        table.add_column(name, justify="right" if name == _("days open") else "left")
    for w in _by_wait(report.overdue if overdue else report.open):
        holder = w.holder
        table.add_row(
            w.petition.id,
            _petition_kind(w.petition.kind),
            f"{w.unit.code} {w.unit.on(w.petition.raised).name}",
            day(w.petition.raised),
            f"{holder.name} ({holder.id})" if holder else w.petition.holder_on(as_of),
            render.level_name(policy, holder.level) if holder else "-",
            number(w.days),
            _("yes") if w.overdue else "",
            w.petition.text,
            style="red" if w.overdue else None,
        )
    out.print(table)
    levels = Table(title=_("Open petitions by the level they wait at"))
    for name in (_("level"), _("open"), _("overdue")):
        levels.add_column(name)
    for level, (n, late) in report.by_level.items():
        shown = render.level_name(policy, level) if policy.has_level(level) else level
        levels.add_row(shown, number(n), number(late))
    out.print(levels)
    names = {w.holder.id: w.holder for w in report.open if w.holder is not None}
    cadres = Table(title=_("Open petitions by the cadre they wait with"))
    for name in (_("cadre"), _("name"), _("open"), _("overdue")):
        cadres.add_column(name)
    for cadre, (n, late) in sorted(report.by_cadre.items(), key=lambda kv: (-kv[1][0], kv[0])):
        who = names.get(cadre)
        cadres.add_row(cadre, who.name if who else "-", number(n), number(late))
    out.print(cadres)
    found = store.units(report.median_days)
    medians = Table(
        title=_("Median days to an answer, by unit ({n} answered up to {date})").format(
            n=number(report.answered), date=day(as_of)
        )
    )
    for name in (_("unit"), _("name"), _("median days")):
        medians.add_column(name)
    for code, median in report.median_days.items():
        unit_found = found.get(code)
        medians.add_row(
            code, unit_found.on(as_of).name if unit_found else "-", number(round(median, 1))
        )
    out.print(medians)


def record_dict(record: YearlyRecord) -> dict[str, Any]:
    """``nam record --json``: the fields of a yearly record."""
    minimum = record.minimum
    return {
        "cadre": render.cadre_dict(record.cadre),
        "year": record.year,
        "end": record.end.isoformat(),
        "policy": record.policy,
        "illustrative": record.illustrative,
        "followed": [
            {
                "unit": f.unit.code,
                "name": f.unit.name,
                "level": f.unit.level,
                "role": f.role,
                "days": f.days,
                "households": f.households,
                "households_reached": f.households_reached,
            }
            for f in record.followed
        ],
        "households": record.households,
        "households_reached": record.households_reached,
        "meetings": {
            "attended": record.meetings_attended,
            "missed": record.meetings_missed,
            "minimum": (
                {"rule": minimum.id, "per_year": minimum.per_year, "level": minimum.level}
                if minimum is not None
                else None
            ),
            "meets_minimum": record.meets_minimum,
        },
        "petitions": {
            "received": record.petitions_received,
            "passed_on": record.petitions_passed_on,
            "answered_in_time": record.petitions_answered_in_time,
            "answered_late": record.petitions_answered_late,
            "open": record.petitions_open,
        },
    }


def _year(_ctx: click.Context, _param: click.Parameter, value: int | None) -> int | None:
    if value is not None and not 1900 <= value <= 9999:
        raise click.BadParameter(_("give a year such as 2023"))
    return value


def _no_policy(exc: NoPolicyInYear, as_json: bool) -> None:
    """A year before every policy: bad input, said as such (exit 2)."""
    if as_json:
        _emit({"error": "no_policy", "message": str(exc)})
    err.print(_("error: {message}").format(message=exc), markup=False, highlight=False)
    sys.exit(2)


@main.command("record")
@click.argument("cadre")
@click.option(
    "--year", type=int, required=True, callback=_year, help="The year of the record (2023)."
)
@as_of_option
@json_option
@pass_ctx
@handled
def record_command(ctx: Context, cadre: str, year: int, as_of: date, as_json: bool) -> None:
    """A cadre's yearly record (phiếu đánh giá): the units followed and for how many days,
    meetings attended against the minimum of their title, petitions received, passed on and
    answered in time, and the coverage of the units followed at the year's end (or on
    --as-of, for a year not over)."""
    try:
        record = yearly_record(ctx.store, cadre, year, as_of)
    except NoPolicyInYear as exc:
        _no_policy(exc, as_json)
        return
    if as_json:
        _emit(record_dict(record), ctx)
        return
    policy = ctx.store.policy_on(record.end)
    c = record.cadre
    home = ctx.store.unit(c.home_unit)
    out.print(
        _("Yearly record {year}: {id} {name}").format(year=year, id=c.id, name=c.name),
        markup=False,
        style="bold",
    )
    out.print(
        _("{level}; {titles}; works in {home}").format(
            level=render.level_name(policy, c.level),
            titles="; ".join(title_name(policy, t) for t in c.titles) or "-",
            home=f"{c.home_unit} {home.on(record.end).name}" if home else c.home_unit,
        ),
        markup=False,
    )
    counted = _("counted from {start} to {end} under policy {policy}").format(
        start=day(date(year, 1, 1)), end=day(record.end), policy=record.policy
    )
    if record.illustrative:
        counted += " (" + _("the policy's figures are illustrative") + ")"
    out.print(counted, markup=False)
    table = Table(title=_("Units followed"))
    for name in (
        _("unit"),
        _("name"),
        _("level"),
        _("role"),
        _("days"),
        _("households"),
        _("reached"),
    ):
        table.add_column(name)
    for f in record.followed:
        table.add_row(
            f.unit.code,
            f.unit.name,
            render.level_name(policy, f.unit.level),
            render.role_name(policy, f.role),
            number(f.days),
            "-" if f.households is None else number(f.households),
            "-" if f.households_reached is None else number(f.households_reached),
        )
    out.print(table)
    out.print(
        _("Households reached at the end: {reached} of {households}").format(
            reached=number(record.households_reached), households=number(record.households)
        ),
        markup=False,
    )
    minimum = record.minimum
    if minimum is None:
        reached = _("no minimum for the cadre's titles")
    else:
        reached = _("minimum {n} a year ({rule}): {verdict}").format(
            n=number(minimum.per_year),
            rule=minimum.id,
            verdict=_("met") if record.meets_minimum else _("not met"),
        )
    out.print(
        _("Meetings: {attended} attended, {missed} missed; {minimum}").format(
            attended=number(record.meetings_attended),
            missed=number(record.meetings_missed),
            minimum=reached,
        ),
        markup=False,
    )
    out.print(
        _(
            "Petitions: {received} received, {passed} passed on, {in_time} answered in time, "
            "{late} answered late, {open} still open"
        ).format(
            received=number(record.petitions_received),
            passed=number(record.petitions_passed_on),
            in_time=number(record.petitions_answered_in_time),
            late=number(record.petitions_answered_late),
            open=number(record.petitions_open),
        ),
        markup=False,
    )


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
        raise click.UsageError(_("give exactly one of --xlsx FILE or --csv FILE"))


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
    if xlsx_file is not None and sheets > 1:
        text = _("Wrote {n} rows on {sheets} sheets to {file}.")
    else:
        text = _("Wrote {n} rows to {file}.")
    out.print(
        text.format(n=number(built.rows), sheets=sheets, file=path), markup=False, highlight=False
    )


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


@report.command("records")
@click.argument("unit")
@click.option(
    "--year", type=int, required=True, callback=_year, help="The year of the records (2023)."
)
@as_of_option
@output_options
@pass_ctx
@handled
def report_records(
    ctx: Context,
    unit: str,
    year: int,
    as_of: date,
    xlsx_file: Path | None,
    csv_file: Path | None,
) -> None:
    """The yearly records (phiếu đánh giá) of the cadres under UNIT: a sheet for each unit one
    level below it at the year's end (districts, or on the two-tier map communes), a row for
    each cadre working in it or supporting a unit in it during the year."""
    from namgraph.reports.records import records_report

    _one_output(xlsx_file, csv_file)
    try:
        built = records_report(ctx.store, unit, year, as_of)
    except NoPolicyInYear as exc:
        _no_policy(exc, False)
        return
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
    out.print(render.coverage_table(answer.before, policy, _("before")))
    out.print(
        render.coverage_table(
            answer.after, policy, _("if they leave on {date}").format(date=day(on))
        )
    )
    out.print(
        _("Households losing an unbroken chain: {n}").format(n=number(answer.households_lost))
    )
    for takeover in answer.lost:
        names = ", ".join(
            _("{id} {name} (carries {n})").format(id=c.cadre.id, name=c.cadre.name, n=c.units)
            for c in takeover.candidates
        )
        out.print(
            _("loses coverage: {code} {name}; could take over: {names}").format(
                code=takeover.unit.code, name=takeover.unit.name, names=names or _("nobody")
            ),
            markup=False,
        )


@main.command()
@click.argument("text")
@click.option("--first", default=10, show_default=True, help="How many to list.")
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
    policy = ctx.store.policy
    for row, hit in zip(rows, hits, strict=True):
        key = row.get("code") or row.get("id")
        now = f"; {render.unit_now(hit)}" if isinstance(hit, Unit) and render.unit_now(hit) else ""
        kind = _("unit") if row["type"] == "unit" else _("cadre")
        level = render.level_name(policy, row["level"])
        out.print(f"{kind:7} {key:14} {row['name']} ({level}{now})", markup=False)


@main.command("diff")
@click.argument("unit")
@click.option(
    "--from",
    "start",
    required=True,
    callback=_date,
    metavar="DATE",
    help="The day before the first change.",
)
@click.option("--to", "end", callback=_date, metavar="DATE", help="Default today.")
@json_option
@pass_ctx
@handled
def diff_command(ctx: Context, unit: str, start: date, end: date, as_json: bool) -> None:
    """What changed in a unit's subtree after --from, up to and including --to."""
    if end < start:
        raise click.BadParameter(
            _("{end} is before --from {start}; swap them").format(end=day(end), start=day(start)),
            param_hint="--to",
        )
    answer = changes_between(ctx.store, unit, start, end)
    if as_json:
        _emit(render.changes_dict(answer), ctx)
        return
    out.print(
        _(
            "Changes in {code} {name} after {start} up to {end}: {started} started, {ended} ended, "
            "{statuses} status changes, {units} units"
        ).format(
            code=answer.unit.code,
            name=answer.unit.name,
            start=day(start),
            end=day(end),
            started=number(len(answer.started)),
            ended=number(len(answer.ended)),
            statuses=number(len(answer.statuses)),
            units=number(len(answer.units)),
        ),
        markup=False,
    )
    for cadre, status, since in answer.statuses:
        out.print(
            f"  {day(since)}  {cadre.id} {cadre.name}: {render.status_name(status)}", markup=False
        )
    for verb, items in (("ends", answer.ended), ("starts", answer.started)):
        for a in items:
            when = a.until if verb == "ends" else a.since
            if verb == "starts":
                line = _("starts: {cadre} -> {unit} ({role}, decision {decision})")
            else:
                line = _("ends: {cadre} -> {unit} ({role}, held since {since})")
            text = line.format(
                cadre=a.cadre,
                unit=a.unit,
                role=render.role_name(ctx.store.policy_on(when or end), a.role),
                decision=a.decision,
                since=day(a.since),
            )
            out.print(f"  {day(when)}  {text}", markup=False)
    for u in answer.units:
        change = u.change_between(start, end)
        was, now = u.version_on(start), u.version_on(end)
        what = {"started": _("started"), "ended": _("ended"), "moved": _("moved")}.get(
            str(change), str(change)
        )
        if change == "moved" and was is not None and now is not None:
            what = _("moved from {old} to {new}").format(old=was.parent, new=now.parent)
        elif change == "renamed" and was is not None:
            what = _("renamed (was {name})").format(name=was.name)
        elif change == "ended" and u.successors:
            what = _("ended, into {codes}").format(
                codes=", ".join(m.code for m in u.successors if m.on <= end)
            )
        out.print(
            "  "
            + _("unit {code} {name}: {what}").format(code=u.code, name=u.on(end).name, what=what),
            markup=False,
        )


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
    policy = ctx.store.policy
    level = render.level_name(policy, found.level)
    out.print(f"{found.id} {found.name} ({level}, {found.home_unit})", markup=False)
    for p in found.history:
        since = day(p.since) if p.since else _("(from the start)")
        out.print(f"  {since}  {render.status_name(p.status)}", markup=False)
    table = Table(_("unit"), _("role"), _("since"), _("until"), _("decision"))
    for a in held:
        table.add_row(
            a.unit,
            render.role_name(policy, a.role),
            day(a.since),
            day(a.until) if a.until else "",
            a.decision,
        )
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
        with err.status(_("planning the reorganisation")):
            document = plan_reorganisation(ctx.store, reorganisation, scope, decision or "", by)
        if out_file is not None:
            out_file.write_text(decisions_csv(document, reorganisation), encoding="utf-8")
        _show_plan(document, as_json, ctx, by)
        return
    if file is None:
        raise click.UsageError(_("give a reshuffle FILE, or --reorganisation DATE"))
    try:
        with err.status(_("planning the reshuffle")):
            document = plan_reshuffle(ctx.store, file, on, decision, scope, by, sheet=sheet)
    except (NotFound, ValueError) as exc:  # the file or an option names what is not there
        err.print(_("error: {message}").format(message=exc), markup=False, highlight=False)
        err.print("[red]" + _("Nothing was planned.") + "[/red]")
        sys.exit(2)
    _show_plan(document, as_json, ctx, by)
    if document["problems"]:
        _problems([Problem(**p) for p in document["problems"]])
        err.print(
            "[red]" + _("The plan cannot be applied: fix the file and plan it again.") + "[/red]"
        )
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
    with err.status(_("applying the plan")):
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
            _(
                "Applied plan {plan}: ended {end}, started {start}, status changes {status} "
                "({store})."
            ).format(
                plan=plan,
                end=number(counts["end"]),
                start=number(counts["start"]),
                status=number(counts["status"]),
                store=ctx.config.describe(),
            )
        )
    else:
        out.print(
            _(
                "Plan {plan} changes nothing: the graph already holds it. Nothing was written."
            ).format(plan=plan)
        )


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
        out.print(_("No reshuffle has been applied yet (`nam reshuffle plan FILE` makes a plan)."))
        return
    width = max(40, min(out.width, 100))
    for r in records:  # two or three short lines each: readable in an 80-column terminal
        counts = r.get("counts") or {}
        assert isinstance(counts, dict)
        applied = str(r.get("applied_at", "")).replace("T", " ")[:16]
        out.print(
            _("{id}  applied {at} by {by}").format(
                id=r.get("id", ""), at=applied, by=r.get("applied_by", "")
            ),
            markup=False,
        )
        what = _(
            "effective {date}: ended {end}, started {start}, status changes {status}; file {file}"
        ).format(
            date=_day_text(r.get("effective")),
            end=number(counts.get("end", 0)),
            start=number(counts.get("start", 0)),
            status=number(counts.get("status", 0)),
            file=Path(str(r.get("file", ""))).name,
        )
        decision = str(r.get("decision") or "")
        if decision:
            what = what + "; " + _("decision {decision}").format(decision=decision)
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
    kind = {
        "reshuffle": _("reshuffle"),
        "changes": _("changes"),
        "reorganisation": _("reorganisation"),
    }.get(document["kind"], document["kind"])
    out.print(
        _("Plan {id} ({kind}, {decision}, effective {date}), made by {by} at {at}").format(
            id=document["id"],
            kind=kind,
            decision=document["decision"],
            date=_day_text(document["effective"]),
            by=document["made_by"],
            at=document["made_at"],
        ),
        markup=False,
    )
    counts = {k: number(v) for k, v in s.items() if isinstance(v, int)}
    if document["kind"] == "reorganisation":
        out.print(
            "  "
            + _(
                "assignments in force the day before: {continue} continue, {carried} carried to "
                "successors, {ended_with_reason} ended with a reason, {undecided} need a decision"
            ).format(**counts),
            markup=False,
        )
        reasons = Counter(r["reason"] for r in document["reorganisation"]["ended"])
        for reason, n in sorted(reasons.items()):
            out.print(
                "  " + _("ended, {reason}: {n}").format(reason=reason, n=number(n)), markup=False
            )
    out.print(
        "  "
        + _(
            "end {end}, start {start}, continue {continue}, status changes {status}; {errors} "
            "errors, {warnings} warnings"
        ).format(**counts),
        markup=False,
    )
    _problems([Problem(**w) for w in document["warnings"]], limit=20)
    for st in document["statuses"][:30]:
        out.print(
            f"  {st['cadre']} {st['name']}: {render.status_name(st['from'])} -> "
            f"{render.status_name(st['to'])}",
            markup=False,
        )
    if len(document["statuses"]) > 30:
        out.print("  " + _("... and {n} more").format(n=number(len(document["statuses"]) - 30)))
    for key in ("ended", "started"):
        line = (
            _("ends: {cadre} -> {unit} ({role}, since {since})")
            if key == "ended"
            else _("starts: {cadre} -> {unit} ({role}, since {since})")
        )
        for a in document[key][:30]:
            out.print(
                "  "
                + line.format(
                    cadre=a["cadre"],
                    unit=a["unit"],
                    role=render.role_name(ctx.store.policy_on(_plan_date(document)), a["role"]),
                    since=_day_text(a["since"]),
                ),
                markup=False,
            )
        if len(document[key]) > 30:
            out.print("  " + _("... and {n} more").format(n=number(len(document[key]) - 30)))
    for p in document["preview"]:
        out.print(render.preview_table(p, ctx.store.policy_on(_plan_date(document))))
    if document["problems"]:
        return
    if not any(s[k] for k in ("end", "start", "status")):
        out.print(_("Nothing to change: the graph already holds this reshuffle."))
    else:
        signed = f" --by {shlex.quote(by)}" if by else ""
        command = f"{nam} reshuffle apply {document['id']}{signed}"
        out.print(_("Apply it with: {command}").format(command=command), markup=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="The port to listen on.")
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
            "[bold red]"
            + _("DEMO MODE")
            + "[/]: "
            + _(
                "no token needed; anyone who can reach {url} sees and changes everything. Never "
                "serve real data this way."
            ).format(url=f"http://{host}:{port}")
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
        # h11, not httptools even where it is installed: httptools answers a malformed request
        # (chunked under a Content-Length, say) with a plain-text 400 before namgraph sees it,
        # where namgraph answers every refusal with a coded JSON error
        http="h11",
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
    default=None,
    help="Rows per transaction for a graph too large for one (default: from the Neo4j "
    "server's transaction memory limit).",
)
@click.option(
    "--files",
    "files_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write the graph as files for Neo4j's offline importer (neo4j-admin database import "
    "full) into this directory instead, for a first load of a large graph into an empty "
    "database; no connection is made.",
)
@pass_ctx
@handled
def export_command(
    ctx: Context, target: str, replace: bool, part_records: int | None, files_dir: Path | None
) -> None:
    """Copy the data directory's graph into Neo4j (NEO4J_URI, NEO4J_PASSWORD, ...).

    A graph larger than one transaction's memory allows (a whole country is 3 million records)
    is copied in several, sized from the server's transaction memory limit. Until the last is
    in, namgraph refuses to read the graph there; if one fails, what was copied is removed.

    With --files, the graph is written as CSV files for Neo4j's own importer, many times faster
    for a first load; the command to run is printed."""
    source = MemoryStore.open(ctx.data)
    neo = StoreConfig.from_env(ctx.data, kind=target)
    if files_dir is not None:
        _export_files(ctx, source, files_dir, neo.database)
        return
    if replace:
        driver = neo.driver()
        try:
            Neo4jStore.drop(driver, neo.database)
        finally:
            driver.close()
    store = neo.init(str(ctx.data / POLICY_FILE))
    assert isinstance(store, Neo4jStore)
    store.part_rows = part_records
    for start, policy_file in later_policy_files(ctx.data):
        store.set_policy(str(policy_file), start)
    try:
        with err.status(_("reading the graph")):
            changes = dump(source)
        transactions, rows = store.transactions_for(changes)
        if transactions == 1:
            with err.status(_("copying the graph")):
                store.apply(changes)
        else:
            with _progress() as progress:
                task = progress.add_task(
                    _("copying, in {n} transactions").format(n=number(transactions)),
                    total=rows,
                )
                store.progress = lambda rows: progress.advance(task, rows)
                store.apply(changes)
    finally:
        store.close()
    how = (
        _("one transaction")
        if transactions == 1
        else _("{n} transactions").format(n=number(transactions))
    )
    out.print(
        _("Copied {n} records from {source} to the {target} ({how}).").format(
            n=number(len(changes)), source=ctx.data, target=neo.describe(), how=how
        ),
        markup=False,
    )


def _export_files(ctx: Context, source: MemoryStore, directory: Path, database: str) -> None:
    """``nam export neo4j --files DIR``: the files, and how to load them."""
    from graph.stores.neo4j_import import write_import_files

    with err.status(_("writing the files")):
        changes = dump(source)
        later = [
            (start, path.read_text(encoding="utf-8"))
            for start, path in later_policy_files(ctx.data)
        ]
        written = write_import_files(
            changes, directory, (ctx.data / POLICY_FILE).read_text(encoding="utf-8"), later
        )
    command = shlex.join(
        ["neo4j-admin", "database", "import", "full", *written.arguments(database, Path("."))]
    )
    out.print(
        _("Wrote {n} records to {dir} as files for Neo4j's offline importer.").format(
            n=number(written.records), dir=directory
        ),
        markup=False,
    )
    out.print(
        _(
            "To load them: stop the Neo4j server, then, in {dir} on the server's machine (it "
            "replaces the database {name} whole):"
        ).format(dir=directory, name=repr(database)),
        markup=False,
    )
    out.print(f"  {command}", markup=False, soft_wrap=True)
    out.print(
        _(
            "Start the server again: the first namgraph command or API server to open the graph "
            "sets it up (indexes), and until then every reader is refused."
        ),
        markup=False,
    )


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
            for start, _until, text in source.later:
                later = Path(tmp) / f"policy.{start.isoformat()}.yaml"
                later.write_text(text, encoding="utf-8")
                target.set_policy(str(later), start)
        with err.status(_("copying the graph")):
            changes = dump(source)
            target.apply(changes)
    finally:
        source.close()
    out.print(
        _("Copied {n} records from the {source} to {target}.").format(
            n=number(len(changes)), source=neo.describe(), target=ctx.data
        ),
        markup=False,
    )


@main.command()
@pass_ctx
@handled
def status(ctx: Context) -> None:
    """What the data directory holds."""
    store = ctx.store
    out.print(
        _("{store}: policy {id} ({name})").format(
            store=ctx.config.describe(), id=store.policy.id, name=store.policy.name
        ),
        markup=False,
    )
    names = {"cadres": _("cadres"), "assignments": _("assignments")}
    for key, value in store.counts().items():
        name = names.get(key) or render.level_name(store.policy, key)
        out.print(f"  {name}: {number(value) if isinstance(value, int) else value}", markup=False)


if __name__ == "__main__":
    main()
