"""``nam token``: issue, list and revoke the bearer tokens and API keys the API accepts.

The keyring is ``$NAM_AUTH_FILE``, else ``auth.json`` in the data directory: the same file
``nam serve`` reads, and re-reads when it changes, so a revocation takes effect at once."""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from graph.i18n import _
from graph.scope import scope_policy, scope_problem
from graph.stores.port import StoreError
from namgraph.api.auth import Keyring, Role, parse_expiry, role_scope_problem

__all__ = ["keyring_path", "token"]


def keyring_path(data: Path) -> Path:
    given = os.environ.get("NAM_AUTH_FILE")
    return Path(given) if given else data / "auth.json"


def _fail(message: str) -> NoReturn:
    click.echo(_("error: {message}").format(message=message), err=True)
    raise SystemExit(2)


@click.group()
def token() -> None:
    """Bearer tokens and API keys for the GraphQL API."""


@token.command("create")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="What it may do."
)
@click.option("--scope", "scope", required=True, metavar="UNIT", help="The unit it may see.")
@click.option(
    "--expires", required=True, metavar="WHEN", help="30d, 12h, 90m, 1y or a date (2027-01-31)."
)
@click.option("--api-key", is_flag=True, help="An API key (for loaders, dashboards), not a JWT.")
@click.option("--subject", metavar="NAME", help="Who or what holds it (default: your login).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def create(
    obj: Any,
    role: str,
    scope: str,
    expires: str,
    api_key: bool,
    subject: str | None,
    as_json: bool,
) -> None:
    """Issue a token for ROLE over the unit SCOPE; it is shown once, only now."""
    chosen = Role(role)
    try:
        until = parse_expiry(expires, datetime.now(UTC))
    except ValueError as exc:
        _fail(str(exc))
    try:
        store = obj.store
        unit = store.unit(scope)
    except StoreError as exc:
        _fail(str(exc))
    problem = scope_problem(scope_policy(store, unit) if unit else store.policy, unit, scope)
    if unit is None:
        _fail(
            _("no unit {key} in the graph; `nam search NAME` finds codes by name").format(
                key=repr(scope)
            )
        )
    if problem is not None:
        _fail(problem)
    problem = role_scope_problem(chosen, scope, unit.level, unit.name)
    if problem is not None:
        _fail(problem)
    keyring = Keyring.open(keyring_path(obj.data))
    secret, record = keyring.issue(
        chosen, scope, until, subject or getpass.getuser(), api_key=api_key
    )
    if as_json:
        click.echo(json.dumps({"token": secret, **record}, ensure_ascii=False))
        return
    click.echo(secret)
    if api_key:
        said = _(
            "API key {id}: {role} over {scope} ({name}), until {until}. Keep it secret: it is "
            "shown only now."
        )
    else:
        said = _(
            "token {id}: {role} over {scope} ({name}), until {until}. Keep it secret: it is "
            "shown only now."
        )
    words = {"id": record["id"], "role": chosen, "scope": scope, "name": unit.name}
    click.echo(said.format(**words, until=record["expires"]), err=True)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_obj
def list_tokens(obj: Any, as_json: bool) -> None:
    """Every token and API key issued, with whether it still works."""
    records = Keyring.open(keyring_path(obj.data)).records()
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False))
        return
    if not records:
        click.echo(_("no tokens yet; `nam token create --role ... --scope ... --expires ...`"))
        return
    now = datetime.now(UTC)
    for r in records:
        state = (
            _("revoked")
            if r["revoked"]
            else (_("expired") if datetime.fromisoformat(r["expires"]) <= now else _("valid"))
        )
        until = _("until {date}").format(date=r["expires"])
        click.echo(
            f"{r['id']:<16} {r['kind']:<8} {r['role']:<17} {r['scope']:<8} "
            f"{until}  {state:<8} {r['subject']}"
        )


@token.command("revoke")
@click.argument("token_id")
@click.pass_obj
def revoke(obj: Any, token_id: str) -> None:
    """Revoke a token or API key by id: the API refuses it from its next request."""
    try:
        record = Keyring.open(keyring_path(obj.data)).revoke(token_id)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    click.echo(
        _("revoked {id} ({role} over {scope})").format(
            id=token_id, role=record.get("role", "?"), scope=record.get("scope", "?")
        )
    )
