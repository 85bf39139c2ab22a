"""Empty input files over HTTP, for the console's template buttons:
``GET /templates/{kind}.{xlsx|csv}``, e.g. ``/templates/reshuffle.xlsx``.

``kind`` is one of the kinds ``nam template`` writes (``reshuffle``, ``units``, ``cadres``,
``assignments``, ``merges``); the file is the one it writes, made by the same code
(:func:`loaders.templates.write_template`): the Vietnamese headers staff see and one example
row. A CSV file starts with a byte order mark, so that Excel reads the Vietnamese right; the
loaders read it either way.

A template passes the same gate as ``/graphql`` and the report downloads (origin, token, scope,
rate; see :mod:`namgraph.api.gate`), though it holds no data; every file served is on the audit
trail (``download``, kind ``template``). An unknown kind or format is 400 BAD_INPUT, with the
JSON body of every other refusal of the server.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from graph.i18n import N_, _
from loaders.columns import TEMPLATES
from loaders.templates import write_template
from namgraph.api.audit import Audit
from namgraph.api.auth import Principal
from namgraph.api.body import graphql_error
from namgraph.api.downloads import attachment

__all__ = ["FORMATS", "NAMES", "PREFIX", "router", "template_bytes"]

PREFIX = "/templates"

#: Each format's media type.
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}

#: What a downloaded template is called, in the reader's language.
NAMES = {
    "reshuffle": N_("Reshuffle template"),
    "units": N_("Units template"),
    "cadres": N_("Cadres template"),
    "assignments": N_("Assignments template"),
    "merges": N_("Merges template"),
}

#: The longest name quoted back in a refusal.
LONGEST = 64


def template_bytes(kind: str, form: str) -> bytes:
    """The bytes of the template of ``kind`` as ``form`` (``xlsx`` or ``csv``)."""
    if form == "csv":
        return "\ufeff".encode() + write_template(kind).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="namgraph-template-") as folder:
        path = Path(folder) / f"{kind}.xlsx"
        write_template(kind, path)
        return path.read_bytes()


def router(audit: Audit) -> APIRouter:
    """The template route; its requests reach it through the gate (the app's middleware admits
    every path under :data:`PREFIX` as it admits ``/graphql``)."""
    routes = APIRouter(prefix=PREFIX)
    made: dict[tuple[str, str], bytes] = {}

    @routes.get("/{name}")
    async def template(request: Request, name: str) -> Response:
        principal: Principal | None = request.state.principal
        if principal is None:  # not admitted by the gate: never served
            return graphql_error(401, "UNAUTHENTICATED", "send `Authorization: Bearer <token>`")
        kind, dot, form = name.rpartition(".")
        if not dot or kind not in TEMPLATES:
            return graphql_error(
                400,
                "BAD_INPUT",
                _("no template {name}; ask for one of {kinds}").format(
                    name=repr((kind or name)[:LONGEST]),
                    kinds=", ".join(f"{PREFIX}/{k}.xlsx" for k in sorted(TEMPLATES)),
                ),
            )
        if form not in FORMATS:
            return graphql_error(
                400,
                "BAD_INPUT",
                _("no format {form}; ask for {xlsx} or {csv}").format(
                    form=repr(form[:LONGEST]),
                    xlsx=f"{PREFIX}/{kind}.xlsx",
                    csv=f"{PREFIX}/{kind}.csv",
                ),
            )
        content = made.get((kind, form))
        if content is None:  # openpyxl on a thread, once per kind and format
            content = made[kind, form] = await run_in_threadpool(template_bytes, kind, form)
        audit("download", principal, "OK", kind="template", template=kind, format=form)
        title = _(NAMES[kind]) if kind in NAMES else kind
        return attachment(content, FORMATS[form], f"{title}.{form}", f"{kind}-template.{form}")

    return routes
