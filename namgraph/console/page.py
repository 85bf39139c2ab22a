"""The console page, rendered on the server in the reader's language (``Accept-Language``,
set per request by the app's middleware), and its static files.

The page has no inline script or style: its Content-Security-Policy allows this server only,
so a page served on an isolated network never reaches for another host."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from graph.dates import today
from graph.i18n import _, language
from graph.questions import living_tops
from graph.stores.port import GraphStore, StoreError
from namgraph.api.settings import Settings
from namgraph.console.words import page_words

__all__ = ["CSP", "STATIC", "Form", "form_of", "render", "router"]

STATIC = Path(__file__).parent / "static"
#: The media types of what is served under ``/console/``: the files of ``static/`` and its
#: folders with these suffixes, found when the server starts; nothing else is served there.
MEDIA = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
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
    """What the page starts with: the unit (the one top unit the store has on the date, else
    the one with the most households), the date, and every word the scripts show."""

    unit: str
    on: date
    words: dict[str, object]


def form_of(store: GraphStore, demo: bool = True) -> Form:
    """What the page starts with; a server that wants tokens names no unit before anyone
    signs in (the console then starts at the token's scope)."""
    on = today()
    if not demo:
        return Form("", on, page_words(store))
    try:
        tops = [unit.code for unit in living_tops(store, on)]
        if len(tops) > 1:
            sizes = store.coverage_of(tops, on)
            tops.sort(key=lambda code: (-(sizes[code].households if code in sizes else 0), code))
    except StoreError:  # the page still works; the reader types the code
        tops = []
    return Form(tops[0] if tops else "", on, page_words(store))


def render(form: Form, demo: bool, modules: tuple[str, ...] = ()) -> str:
    """The page, in the language being spoken now: everything a reader sees before a script
    runs (title, headings, the menu, the sign-in and the unit and date fields), and the words
    the scripts show, as a JSON data block (not a script: the page's CSP runs none inline).
    ``modules`` are the script's modules, fetched at once beside it (``modulepreload``)
    rather than one import level after another."""
    e = escape
    title = _("Coverage console")
    words = {
        key: e(text)
        for key, text in {
            "token": _("Access token"),
            "token_help": _("Kept in this browser tab only, and forgotten when it closes."),
            "sign_in": _("Sign in"),
            "sign_out": _("Sign out"),
            "unit": _("Unit code"),
            "unit_example": _("e.g. 83"),
            "as_of": _("As of"),
            "show": _("Show"),
            "menu": _("Views"),
            "skip": _("Skip to the content"),
            "loading": _("Loading…"),
            "no_script": _("The console needs JavaScript; the API is at /graphql."),
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
    views = form.words["views"]
    assert isinstance(views, dict)
    menu = "".join(
        f'<li><a href="#/{e(route)}" data-view="{e(route)}">{e(str(label))}</a></li>'
        for route, label in views.items()
    )
    first = e(str(views["overview"]))
    data = json.dumps(form.words, ensure_ascii=False).replace("<", "\\u003c")
    lang = e(language())
    preload = "\n".join(f'<link rel="modulepreload" href="/console/{e(name)}">' for name in modules)
    return f"""<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<link rel="icon" href="/console/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/console.css">
<link rel="stylesheet" href="/console/print.css" media="print">
<script type="module" src="/console/console.js"></script>
{preload}
</head>
<body data-demo="{str(demo).lower()}" data-unit="{e(form.unit)}" data-as-of="{form.on.isoformat()}">
<a class="skip" href="#view">{words["skip"]}</a>
<header class="top">
<h1>{e(title)}</h1>
{banner}
<form id="signin" class="signin" autocomplete="off">
<label for="token">{words["token"]}</label>
<input id="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-help">
<button type="submit" id="signin-button">{words["sign_in"]}</button>
<button type="button" id="signout-button" hidden>{words["sign_out"]}</button>
<p id="token-help" class="help">{words["token_help"]}</p>
<p id="who" class="who" role="status"></p>
</form>
</header>
<nav aria-label="{words["menu"]}"><ul class="menu">{menu}</ul></nav>
<form id="ask" class="ask" autocomplete="off">
<div class="field">
<label for="unit">{words["unit"]}</label>
<input id="unit" name="unit" required spellcheck="false" value="{e(form.unit)}"
 placeholder="{words["unit_example"]}">
</div>
<div class="field">
<label for="asOf">{words["as_of"]}</label>
<input id="asOf" name="asOf" type="date" required value="{form.on.isoformat()}">
</div>
<button type="submit">{words["show"]}</button>
</form>
<div id="alert" class="alert" role="alert"></div>
<p id="status" class="status" role="status"></p>
<main id="view" tabindex="-1" aria-busy="true">
<h2>{first}</h2>
<p class="waiting">{words["loading"]}</p>
<noscript><p>{words["no_script"]}</p></noscript>
</main>
<script type="application/json" id="words">{data}</script>
</body>
</html>
"""


def router(store: GraphStore, settings: Settings) -> APIRouter:
    """``GET /`` (the page) and ``GET /console/{file}`` (its scripts, styles and icon). The
    files are read once, when the server starts, and answered with an ETag: a browser asks
    again each time (``no-cache``) and gets ``304`` while they have not changed."""
    routes = APIRouter()
    files: dict[str, tuple[bytes, str, str]] = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and path.suffix in MEDIA:
            body = path.read_bytes()
            tag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            files[path.relative_to(STATIC).as_posix()] = (body, MEDIA[path.suffix], tag)
    modules = tuple(name for name in files if name.endswith(".js") and name != "console.js")

    # the page's unit (which may weigh every province's households) is worked out once per
    # write generation and day, not on every load; the words follow each reader's language
    chosen: dict[tuple[int, date], str] = {}

    def start() -> Form:
        if not settings.demo:
            return form_of(store, demo=False)
        key = (store.generation(), today())
        if key not in chosen:
            chosen.clear()
            chosen[key] = form_of(store).unit
        return Form(chosen[key], key[1], page_words(store))

    @routes.get("/")
    async def page() -> HTMLResponse:
        form = await run_in_threadpool(start)
        return HTMLResponse(render(form, settings.demo, modules), headers=HEADERS)

    @routes.get("/console/{name:path}")
    async def static(name: str, request: Request) -> Response:
        found = files.get(name)
        if found is None:
            raise HTTPException(404, _("no such file"))
        body, media, tag = found
        headers = {**HEADERS, "Cache-Control": "no-cache", "ETag": tag}
        if tag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media, headers=headers)

    return routes
