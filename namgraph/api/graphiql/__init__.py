"""GraphiQL, served whole by namgraph, so that it works on a network with no way out.

``GET /graphql`` from a browser (``Accept: text/html``) answers :func:`page`: our own HTML,
with no inline script, which loads React, React DOM and GraphiQL (``vendor/``, copied from npm
at the versions pinned in ``VERSIONS`` by ``make graphiql``) and our small ``graphiql.js``
and ``graphiql.css``, all from ``GET /graphiql/{file}`` (:func:`router`). Nothing is fetched
from elsewhere, at run time or at install time.

The page's Content-Security-Policy allows this server only, plus ``data:`` for the fonts and
images that GraphiQL's style sheet carries inline, and one nonce a page for the ``<style>``
element that GraphiQL's dialogs add (their scroll lock): no ``'unsafe-inline'``, no
``'unsafe-eval'``."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from html import escape
from pathlib import Path
from string import Template

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from graph.i18n import _, language

__all__ = ["FILES", "HERE", "VENDOR", "csp", "page", "router"]

HERE = Path(__file__).parent
VENDOR = HERE / "vendor"
PREFIX = "/graphiql/"
JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"


@dataclass(frozen=True)
class File:
    """One file under ``/graphiql/``: its bytes, media type, and a digest of its bytes (the
    ``v`` of its address on the page, and its ETag)."""

    body: bytes
    media_type: str
    digest: str

    @classmethod
    def read(cls, path: Path, media_type: str) -> File:
        body = path.read_bytes()
        return cls(body, media_type, hashlib.sha256(body).hexdigest()[:16])


#: Every file served under ``/graphiql/``, in the order the page loads it; nothing else is.
FILES = {
    "graphiql.min.css": File.read(VENDOR / "graphiql.min.css", CSS),
    "graphiql.css": File.read(HERE / "graphiql.css", CSS),
    "react.production.min.js": File.read(VENDOR / "react.production.min.js", JS),
    "react-dom.production.min.js": File.read(VENDOR / "react-dom.production.min.js", JS),
    "graphiql.min.js": File.read(VENDOR / "graphiql.min.js", JS),
    "graphiql.js": File.read(HERE / "graphiql.js", JS),
}
TEMPLATE = Template((HERE / "page.html").read_text(encoding="utf-8"))

#: A year: a file's address names its digest, so a new file has a new address.
IMMUTABLE = "public, max-age=31536000, immutable"
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "same-origin"}


def csp(nonce: str) -> str:
    """The page's Content-Security-Policy, with the nonce of its one dynamic ``<style>``."""
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; font-src 'self' data:; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
        "object-src 'none'"
    )


def _code(text: str) -> str:
    """Escaped text whose `quoted` parts are set as code."""
    parts = escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


def banner(demo: bool) -> str:
    """What the page says above GraphiQL, in the language being spoken now: that anyone
    can do anything (demo mode), or how to send a token."""
    if demo:
        text = _(
            "Demo mode: callers without a token see and change everything. Never on real data."
        )
        return f'<p class="banner demo" role="note">{_code(text)}</p>'
    text = _("send the token as `Authorization: Bearer <token>`")
    example = escape('{"Authorization": "Bearer <token>"}')
    return (
        f'<p class="banner token" role="note">namgraph: {_code(text[:1].upper() + text[1:])}'
        f" (GraphiQL: Headers <code>{example}</code>)</p>"
    )


def page(endpoint: str, demo: bool) -> HTMLResponse:
    """The GraphiQL page, which posts its queries to ``endpoint``."""
    nonce = secrets.token_urlsafe(18)
    addresses = {
        name.replace(".", "_").replace("-", "_"): f"{PREFIX}{name}?v={file.digest}"
        for name, file in FILES.items()
    }
    html = TEMPLATE.substitute(
        addresses,
        lang=escape(language()),
        banner=banner(demo),
        endpoint=escape(endpoint),
        nonce=nonce,
    )
    headers = {
        "Content-Security-Policy": csp(nonce),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, headers=headers)


def router() -> APIRouter:
    """``GET /graphiql/{file}``: the files of :data:`FILES`, and a 404 for any other name."""
    routes = APIRouter()

    @routes.get(PREFIX + "{name}")
    async def served(name: str, request: Request) -> Response:
        file = FILES.get(name)
        if file is None:
            raise HTTPException(404, _("no such file"))
        etag = f'"{file.digest}"'
        current = request.query_params.get("v") == file.digest
        headers = {
            **FILE_HEADERS,
            "ETag": etag,
            "Cache-Control": IMMUTABLE if current else "no-cache",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(file.body, media_type=file.media_type, headers=headers)

    return routes
