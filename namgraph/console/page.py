"""The console page, rendered on the server in the reader's language (``Accept-Language``,
set per request by the app's middleware), and its static files.

The page has no inline script or style: its Content-Security-Policy allows this server only,
so a page served on an isolated network never reaches for another host."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from graph.dates import in_force, today
from graph.i18n import _, language
from graph.stores.port import GraphStore, StoreError
from namgraph.api.settings import Settings

__all__ = ["CSP", "STATIC", "Form", "render", "router"]

STATIC = Path(__file__).parent / "static"
#: The files under ``/console/``, with their media types; nothing else is served from there.
FILES = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}
CSP = (
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Form:
    """What the page's fields start with: the unit (the store's one top unit, if it has
    exactly one), the date, and the levels a gaps report can keep (id, label)."""

    unit: str
    on: date
    levels: tuple[tuple[str, str], ...]


def form_of(store: GraphStore) -> Form:
    policy = store.policy
    levels = tuple(
        (level, policy.level(level).label) for level in policy.levels_below(policy.top_level)
    )
    on = today()
    try:
        tops = [
            unit
            for unit in store.units_at_levels([policy.top_level])
            if in_force(unit.valid_from, unit.valid_to, on)
        ]
    except StoreError:  # the page still works; the reader types the code
        tops = []
    return Form(tops[0].code if len(tops) == 1 else "", on, levels)


def render(form: Form, demo: bool) -> str:
    """The page, in the language being spoken now."""
    e = escape
    title = _("Coverage console")
    # the words are looked up here, not inside the f-strings, where the extractor cannot see
    words = {
        key: e(text)
        for key, text in {
            "legend": _("Which unit, which day"),
            "token": _("Access token"),
            "token_help": _("Kept in this browser tab only, and forgotten when it closes."),
            "unit": _("Unit code"),
            "unit_example": _("e.g. 83"),
            "as_of": _("As of"),
            "level": _("Level (gaps only)"),
            "all_levels": _("All levels"),
            "xlsx": _("Download Excel"),
            "csv": _("Download CSV"),
        }.items()
    }
    if demo:
        banner = (
            '<p class="banner demo" role="note">'
            + e(_("Demo mode: no access token is needed. Never serve real data this way."))
            + "</p>"
        )
    else:
        banner = ""
    levels = "".join(
        f'<option value="{e(level)}">{e(label)}</option>' for level, label in form.levels
    )
    reports = (
        ("gaps", _("Gaps (units no one supports)")),
        ("coverage", _("Coverage")),
        ("workload", _("Supporters' workload")),
    )
    sections = "".join(
        f'<section class="report" data-kind="{kind}" aria-labelledby="r-{kind}">'
        f'<h2 id="r-{kind}">{e(name)}</h2><div class="buttons">'
        f'<button type="button" data-kind="{kind}" data-format="xlsx" '
        f'aria-describedby="r-{kind}">{words["xlsx"]}</button>'
        f'<button type="button" data-kind="{kind}" data-format="csv" '
        f'aria-describedby="r-{kind}">{words["csv"]}</button>'
        "</div></section>"
        for kind, name in reports
    )
    messages = {
        "busy": _("Preparing the file…"),
        "done": _("Downloaded {name}"),
        "failed": _("The server refused the file (HTTP {status})"),
        "offline": _("The server cannot be reached; check the connection and try again"),
    }
    data = " ".join(f'data-{key}="{e(text)}"' for key, text in messages.items())
    lang = e(language())
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/console.js"></script>
</head>
<body>
<header><h1>{e(title)}</h1></header>
{banner}
<main id="console" {data}>
<form id="ask" autocomplete="off">
<fieldset>
<legend>{words["legend"]}</legend>
<div class="field">
<label for="token">{words["token"]}</label>
<input id="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-help">
<p id="token-help" class="help">{words["token_help"]}</p>
</div>
<div class="field">
<label for="unit">{words["unit"]}</label>
<input id="unit" name="unit" required spellcheck="false" value="{e(form.unit)}"
 placeholder="{words["unit_example"]}">
</div>
<div class="field">
<label for="asOf">{words["as_of"]}</label>
<input id="asOf" name="asOf" type="date" required value="{form.on.isoformat()}">
</div>
<div class="field">
<label for="level">{words["level"]}</label>
<select id="level" name="level"><option value="">{words["all_levels"]}</option>{levels}</select>
</div>
</fieldset>
{sections}
</form>
<div id="alert" class="alert" role="alert"></div>
<p id="status" class="status" role="status"></p>
</main>
</body>
</html>
"""


def router(store: GraphStore, settings: Settings) -> APIRouter:
    """``GET /`` (the page) and ``GET /console/{file}`` (its script and style sheet)."""
    routes = APIRouter()
    files = {name: (STATIC / name).read_bytes() for name in FILES}

    @routes.get("/")
    async def page() -> HTMLResponse:
        form = await run_in_threadpool(form_of, store)
        return HTMLResponse(render(form, settings.demo), headers=HEADERS)

    @routes.get("/console/{name}")
    async def static(name: str) -> Response:
        if name not in files:
            raise HTTPException(404, _("no such file"))
        return Response(
            files[name],
            media_type=FILES[name],
            headers={**HEADERS, "Cache-Control": "no-cache"},
        )

    return routes
