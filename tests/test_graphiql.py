"""GraphiQL at ``GET /graphql``, served whole by namgraph (:mod:`namgraph.api.graphiql`): the
page, its files under ``/graphiql/``, and GraphiQL running a query in a real Chromium (Debian's,
``/usr/bin/chromium``, driven by Playwright) that reaches no other host.

Also the accessibility helper :mod:`tests.axe`, proven able to find a fault.

Without Chromium or Playwright the browser tests are skipped, except with ``CI=true``, where
that fails (``make test`` installs Chromium when run as root)."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.i18n import use
from graph.stores.memory import MemoryStore
from namgraph.api.graphiql import FILES, HERE, VENDOR, banner
from namgraph.api.settings import Settings
from tests.axe import serious_violations
from tests.test_api import Server

HTML = {"Accept": "text/html", "Accept-Language": "vi"}
QUERY = '{ unit(code: "83") { name } }'
#: GraphiQL's editors: the query's, and the one of the tab shown below it (Variables or Headers).
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
TOOL_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
#: A URL that a browser would load from another host: any absolute http(s) address.
ELSEWHERE = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]", re.IGNORECASE)


@pytest.fixture(scope="module")
def server(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The API in demo mode over a private copy of Bến Tre, for the whole module."""
    data = tmp_path_factory.mktemp("graphiql") / "nam"
    shutil.copytree(ben_tre_dir, data)
    with Server(MemoryStore.open(data), Settings(demo=True)) as running:
        yield running


class Tab:
    """A browser tab, in a context of its own, with every request it made and every script
    error or console error (a request the CSP blocked is one)."""

    def __init__(self, browser: Any, server: Server, **options: Any) -> None:
        self.context = browser.new_context(
            locale="vi-VN", base_url=f"http://127.0.0.1:{server.port}", **options
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.requests: list[Any] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )

    def open_graphiql(self) -> None:
        self.page.goto("/graphql")
        self.page.locator(QUERY_EDITOR).wait_for()
        assert "GraphiQL…" not in self.page.locator("#graphiql").inner_text()

    def type_into(self, editor: str, text: str) -> None:
        """Replaces what an editor holds, as a reader would: click, select all, type."""
        self.page.locator(editor).click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.insert_text(text)

    def result(self) -> Any:
        return self.page.locator(".graphiql-response")


@pytest.fixture
def tab(browser: Any, server: Server) -> Iterator[Tab]:
    opened = Tab(browser, server)
    yield opened
    opened.context.close()


# --- the page and its files as served -----------------------------------------------------------


def test_the_page_is_ours_with_a_strict_csp_and_names_no_other_host(server: Server) -> None:
    response = server.client.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="vi">' in html and "<title>GraphiQL — namgraph</title>" in html
    assert "Chế độ trình diễn" in html and 'class="banner demo"' in html  # demo mode, in Vietnamese
    assert 'data-endpoint="/graphql"' in html

    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    nonce = re.fullmatch(r"'self' 'nonce-([\w-]+)'", directives["style-src"])
    assert nonce is not None and f'nonce="{nonce[1]}"' in html  # given to graphiql.js
    again = server.client.get("/graphql", headers=HTML).headers["content-security-policy"]
    assert f"'nonce-{nonce[1]}'" not in again  # a new nonce for every page
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"

    # every script is a file of this server; no inline script or style, no style attribute
    scripts = re.findall(r"<script[^>]*>", html)
    assert len(scripts) == 4
    assert all(re.search(r' src="/graphiql/[\w.-]+\?v=\w+"', s) for s in scripts), scripts
    assert "<style" not in html and " style=" not in html
    assert not ELSEWHERE.search(html)
    for name in ("graphiql.js", "graphiql.css"):  # ours
        assert not ELSEWHERE.search((HERE / name).read_text(encoding="utf-8")), name
    # GraphiQL's style sheet imports nothing and loads no font from another host
    css = (VENDOR / "graphiql.min.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert set(re.findall(r"url\(\s*['\"]?([a-z]+):", css)) == {"data"}
    # the server's own pages never carried strawberry's page, which loads from a CDN
    assert "unpkg" not in html and "Strawberry" not in html


def test_without_demo_mode_the_banner_says_how_to_send_a_token() -> None:
    with use("vi"):
        said = banner(demo=False)
    assert 'class="banner token"' in said and "Chế độ trình diễn" not in said
    assert "<code>Authorization: Bearer &lt;token&gt;</code>" in said and "Headers" in said


def test_every_file_is_served_with_its_media_type_and_nothing_else(server: Server) -> None:
    assert set(FILES) == {
        "graphiql.js",
        "graphiql.css",
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    }
    for name, file in FILES.items():
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        response = server.client.get(f"/graphiql/{name}?v={file.digest}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == f"{kind}; charset=utf-8", name
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        path = (HERE if name in ("graphiql.js", "graphiql.css") else VENDOR) / name
        assert response.content == path.read_bytes(), name
        etag = response.headers["etag"]
        # an old address is revalidated; an unchanged file is not sent again
        stale = server.client.get(f"/graphiql/{name}?v=old", headers={"If-None-Match": etag})
        assert stale.status_code == 304 and stale.headers["cache-control"] == "no-cache"
    for unknown in (
        "/graphiql/nothing.js",
        "/graphiql/react.LICENSE.txt",
        "/graphiql/SHA256SUMS",
        "/graphiql/page.html",
        "/graphiql/vendor/graphiql.min.js",
        "/graphiql/..%2F__init__.py",
        "/graphiql/%2e%2e/app.py",
        "/graphiql/",
    ):
        assert server.client.get(unknown).status_code == 404, unknown


def test_the_vendored_files_are_the_ones_make_graphiql_copied() -> None:
    """``vendor/SHA256SUMS`` is written by ``make graphiql``: a file edited by hand fails."""
    sums = (VENDOR / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {name: digest for digest, name in (line.split("  ", 1) for line in sums)}
    assert set(listed) == {name for name in FILES if name.endswith((".min.js", ".min.css"))}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    for name in ("react", "react-dom", "graphiql"):
        assert (VENDOR / f"{name}.LICENSE.txt").read_text(encoding="utf-8").startswith("MIT")
    pinned = (HERE / "VERSIONS").read_text(encoding="utf-8")
    assert re.search(r"^react@18\.[\d.]+$", pinned, re.MULTILINE)
    # the React that graphiql.min.js runs on is the pinned one
    react = re.search(r"^react@([\d.]+)$", pinned, re.MULTILINE)
    assert react is not None
    assert f'"{react[1]}"' in (VENDOR / "react.production.min.js").read_text(encoding="utf-8")


# --- in Chromium --------------------------------------------------------------------------------


def test_graphiql_runs_a_query_reaching_this_server_only(tab: Tab, server: Server) -> None:
    tab.open_graphiql()
    assert tab.page.title() == "GraphiQL — namgraph"
    tab.type_into(QUERY_EDITOR, QUERY)
    tab.page.keyboard.press("Control+Enter")
    tab.result().get_by_text("Bến Tre").wait_for()
    assert '"name": "Tỉnh Bến Tre"' in tab.result().inner_text()

    # a dialog adds a <style> element: the page's nonce lets it through the CSP
    tab.page.get_by_role("button", name="Open settings dialog").click()
    tab.page.get_by_role("dialog").wait_for()
    nonces = tab.page.evaluate("() => [...document.querySelectorAll('style')].map(s => s.nonce)")
    assert nonces and all(nonces), nonces
    tab.page.keyboard.press("Escape")

    urls = [request.url for request in tab.requests]
    assert any("/graphiql/graphiql.min.js?v=" in url for url in urls)
    posts = [r for r in tab.requests if r.method == "POST"]
    assert posts and all(r.url == f"http://127.0.0.1:{server.port}/graphql" for r in posts)
    places = {urlsplit(url).netloc for url in urls if not url.startswith("data:")}
    assert places == {f"127.0.0.1:{server.port}"}, urls
    # no script error, nothing the Content-Security-Policy blocked
    assert tab.errors == []


def test_the_headers_tab_sends_the_token(tab: Tab) -> None:
    tab.open_graphiql()
    tab.type_into(QUERY_EDITOR, QUERY)
    tab.page.get_by_role("button", name="Headers", exact=True).click()
    tab.type_into(TOOL_EDITOR, '{"Authorization": "Bearer not-a-token"}')

    def the_query(request: Any) -> bool:
        return bool(request.method == "POST" and "unit(" in (request.post_data or ""))

    with tab.page.expect_request(the_query) as asked:
        tab.page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    request = asked.value
    assert request.headers["authorization"] == "Bearer not-a-token"
    assert request.headers["content-type"] == "application/json"
    # the demo server has no keyring: the token is refused, and GraphiQL shows why
    tab.result().get_by_text("UNAUTHENTICATED").wait_for()
    assert [e for e in tab.errors if "401" not in e] == []


# --- the accessibility helper -------------------------------------------------------------------


def test_axe_finds_a_serious_fault_and_passes_a_clean_page(browser: Any) -> None:
    page = browser.new_page()
    try:
        page.set_content('<html lang="vi"><title>x</title><main><img src="data:,"></main></html>')
        found = serious_violations(page)
        assert [v["id"] for v in found] == ["image-alt"], found
        assert found[0]["impact"] in ("serious", "critical") and found[0]["targets"] == [["img"]]
        page.set_content(
            '<html lang="vi"><title>x</title><main><h1>Bến Tre</h1>'
            '<img src="data:," alt="bản đồ"></main></html>'
        )
        assert serious_violations(page) == []
    finally:
        page.close()
