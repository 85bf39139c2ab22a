"""A corpus of hostile HTTP requests: each is refused with a GraphQL-shaped JSON error with
its exact ``extensions.code`` (never a 500, never plain text), and leaves the data directory
byte for byte as it was.

Bodies that lie about their size (chunked, compressed, a Content-Length too small), bodies
that are not UTF-8 or nest deeper than allowed, the framework's own refusals, queries whose
cost would overflow, crafted cursors, uploads that are not files, cross-site requests (CSRF),
the OpenAPI pages, tokens whose role does not fit their scope whoever signed them, and
uploaded workbooks and files that must not be read."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import shutil
import socket
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.stores.memory import MemoryStore
from loaders.caps import Caps
from namgraph.api.settings import Settings
from tests import hostile_files as hf
from tests.conftest import tree_digest
from tests.test_api import Server

LIMIT = 100_000  # upload bytes; the body limit is this plus the 64 KiB envelope
BODY_LIMIT = LIMIT + 64 * 1024
OK = "{ reshuffles { id } }"
PLAN = "mutation($file: Upload!) { planReshuffle(file: $file) { id problems { code } } }"
JSON = {"content-type": "application/json"}
INTENT = {"X-Namgraph-Request": "1"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]

    @classmethod
    def of(cls, response: httpx.Response) -> Reply:
        try:
            body = response.json()
        except ValueError:
            body = {"not json": response.text[:300]}
        return cls(response.status_code, body if isinstance(body, dict) else {"list": body})

    @property
    def code(self) -> str | None:
        errors = self.body.get("errors") or [{}]
        return (errors[0].get("extensions") or {}).get("code")

    @property
    def problems(self) -> list[str]:
        errors = self.body.get("errors") or [{}]
        found = (errors[0].get("extensions") or {}).get("problems") or []
        return [p["code"] for p in found]


@dataclass
class Door:
    """A server in demo mode over a private copy of Bến Tre (demo mode: nothing but the door
    itself stands between a request and the store)."""

    api: Server
    data: Path
    folder: Path

    @property
    def client(self) -> httpx.Client:
        return self.api.client

    def post(self, content: bytes | Iterator[bytes], **headers: str) -> Reply:
        return Reply.of(self.client.post("/graphql", content=content, headers=headers))

    def ask(self, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Reply:
        body = {"query": query, "variables": variables}
        return Reply.of(self.client.post("/graphql", json=body, headers=headers or {}))

    def upload(
        self,
        name: str,
        content: bytes,
        headers: dict[str, str] | None = None,
        query: str = PLAN,
        **variables: Any,
    ) -> Reply:
        operations = {"query": query, "variables": {"file": None, **variables}}
        response = self.client.post(
            "/graphql",
            data={
                "operations": json.dumps(operations),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": (name, content, "application/octet-stream")},
            headers=INTENT if headers is None else headers,
        )
        return Reply.of(response)

    def raw(self, request: bytes) -> Reply:
        """Send bytes as they are (for headers httpx would not send) and read the answer."""
        with socket.create_connection(("127.0.0.1", self.api.port), timeout=30) as sock:
            with contextlib.suppress(OSError):  # refused before the body was all sent
                sock.sendall(request)
            data = b""
            try:
                while chunk := sock.recv(65536):
                    data += chunk
            except OSError:
                pass
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        try:
            return Reply(status, json.loads(body))
        except ValueError:
            return Reply(status, {"not json": body[:300].decode("latin-1")})


@pytest.fixture(scope="module")
def door(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    folder = tmp_path_factory.mktemp("hostile")
    data = folder / "nam"
    shutil.copytree(ben_tre_dir, data)
    settings = Settings(
        demo=True,
        max_upload_bytes=LIMIT,
        rate_per_minute=100_000,
        upload_caps=Caps(rows=1000, unpacked_bytes=2 * 1024 * 1024),
    )
    with Server(MemoryStore.open(data), settings) as api:
        yield Door(api, data, folder)


# --- bodies ---------------------------------------------------------------------------------


def padded(size: int) -> bytes:
    """A good JSON request of about ``size`` bytes."""
    return json.dumps({"query": OK, "variables": {}, "pad": "a" * size}).encode()


def in_chunks(data: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def chunked_request(body: bytes, *headers: str) -> bytes:
    head = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += "".join(h + "\r\n" for h in headers) + "Transfer-Encoding: chunked\r\n\r\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in in_chunks(body))
    return head.encode() + chunks + b"0\r\n\r\n"


def deflated(data: bytes) -> bytes:
    return zlib.compress(data, 9)


BOMB = gzip.compress(padded(20_000_000), 9)  # 20 MB that travel as about 20 KB


def multipart(operations: bytes, map_: bytes, files: dict[str, tuple[str, bytes]]) -> bytes:
    boundary = b"hostileboundary"
    parts = [
        b'--%s\r\nContent-Disposition: form-data; name="operations"\r\n\r\n%s\r\n'
        % (boundary, operations),
        b'--%s\r\nContent-Disposition: form-data; name="map"\r\n\r\n%s\r\n' % (boundary, map_),
    ]
    for field, (name, content) in files.items():
        parts.append(
            b'--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
            b"Content-Type: text/csv\r\n\r\n%s\r\n"
            % (boundary, field.encode(), name.encode(), content)
        )
    return b"".join(parts) + b"--%s--\r\n" % boundary


MULTIPART = {"content-type": "multipart/form-data; boundary=hostileboundary", **INTENT}
PLAN_OPERATIONS = json.dumps({"query": PLAN, "variables": {"file": None}}).encode()
PLAN_MAP = b'{"0": ["variables.file"]}'


def deep(levels: int, opener: str = "[", closer: str = "]") -> str:
    return opener * levels + closer * levels


def deep_objects(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


def request_with(query: str, variables: str) -> bytes:
    """A JSON request with ``variables`` written out as given."""
    return ('{"query": ' + json.dumps(query) + ', "variables": ' + variables + "}").encode()


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


VIOLATIONS = "query($after: String) { violations(first: 5, after: $after) { totalCount } }"
CHILDREN_8_DEEP = (
    '{ unit(code: "83") { ' + "children(first: 500) { " * 8 + "code" + " }" * 8 + " } }"
)
CHILDREN_BY_VARIABLE = (
    'query($n: Int) { unit(code: "83") { children(first: $n) { children(first: $n) '
    "{ code name households } } } }"
)
GAPS_500 = (
    '{ gaps(unit: "83", level: "hamlet", first: 500) { edges { node { unit '
    "{ children(first: 500) { code name } } } } } }"
)


@dataclass(frozen=True)
class Hostile:
    id: str
    send: Callable[[Door], Reply]
    code: str
    status: int | None = None
    problem: str | None = None  # the code of the first problem of a refused upload


CORPUS = [
    # bodies: the limit counts decoded bytes as they arrive, whatever the headers say
    Hostile(
        "chunked-over-the-limit",
        lambda d: d.post(in_chunks(padded(BODY_LIMIT + 50_000)), **JSON),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "chunked-under-a-small-content-length",
        lambda d: d.raw(
            chunked_request(
                padded(BODY_LIMIT + 50_000), "Content-Type: application/json", "Content-Length: 10"
            )
        ),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "declared-over-the-limit",
        lambda d: d.post(padded(BODY_LIMIT + 10), **JSON),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "gzip-bomb",
        lambda d: d.post(BOMB, **JSON, **{"content-encoding": "gzip"}),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "x-gzip-bomb",
        lambda d: d.post(BOMB, **JSON, **{"content-encoding": "x-gzip"}),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "deflate-bomb",
        lambda d: d.post(deflated(padded(20_000_000)), **JSON, **{"content-encoding": "deflate"}),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "gzip-bomb-chunked",
        lambda d: d.post(in_chunks(BOMB, 1000), **JSON, **{"content-encoding": "gzip"}),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "gzip-bomb-chunked-under-a-small-content-length",
        lambda d: d.raw(
            chunked_request(
                BOMB,
                "Content-Type: application/json",
                "Content-Encoding: gzip",
                "Content-Length: 5",
            )
        ),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "multipart-upload-bomb",
        lambda d: d.post(
            gzip.compress(multipart(PLAN_OPERATIONS, PLAN_MAP, {"0": ("r.csv", b"x" * 5_000_000)})),
            **MULTIPART,
            **{"content-encoding": "gzip"},
        ),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "multipart-upload-chunked-over-the-limit",
        lambda d: d.post(
            in_chunks(multipart(PLAN_OPERATIONS, PLAN_MAP, {"0": ("r.csv", b"x" * BODY_LIMIT)})),
            **MULTIPART,
        ),
        "TOO_LARGE",
        413,
    ),
    Hostile(
        "gzip-twice",
        lambda d: d.post(
            gzip.compress(gzip.compress(padded(10))), **JSON, **{"content-encoding": "gzip, gzip"}
        ),
        "BAD_INPUT",
        415,
    ),
    Hostile(
        "brotli",
        lambda d: d.post(padded(10), **JSON, **{"content-encoding": "br"}),
        "BAD_INPUT",
        415,
    ),
    Hostile(
        "gzip-that-is-not",
        lambda d: d.post(padded(10), **JSON, **{"content-encoding": "gzip"}),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "gzip-cut-short",
        lambda d: d.post(gzip.compress(padded(1000))[:-30], **JSON, **{"content-encoding": "gzip"}),
        "BAD_INPUT",
        400,
    ),
    # JSON that is not UTF-8, not an object, or too deep
    Hostile(
        "body-not-utf8",
        lambda d: d.post(b'{"query": "{ reshuffles { id } }", "x": "\xff\xfe"}', **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "query-not-utf8",
        lambda d: d.post(b'{"query": "{ unit(code: \\"\xc3\x28\\") { code } }"}', **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "body-in-utf16",
        lambda d: d.post(json.dumps({"query": OK}).encode("utf-16"), **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "body-in-windows-1258",
        lambda d: d.post(
            '{"query": "{ search(text: \\"Châu Thành\\") { __typename } }"}'.encode("cp1258"),
            **JSON,
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "nested-50000-deep",
        lambda d: d.post(request_with(OK, '{"a": ' + deep(50_000) + "}"), **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "objects-nested-100-deep",
        lambda d: d.post(request_with(OK, deep_objects(100)), **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "get-variables-nested-deep",
        lambda d: Reply.of(
            d.client.get("/graphql", params={"query": OK, "variables": '{"a": ' + deep(3000) + "}"})
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-operations-nested-deep",
        lambda d: d.post(
            multipart(
                request_with(PLAN, deep_objects(2000)),
                PLAN_MAP,
                {"0": ("r.csv", b"x")},
            ),
            **MULTIPART,
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile("malformed-json", lambda d: d.post(b'{"query": ', **JSON), "BAD_INPUT", 400),
    Hostile("json-string", lambda d: d.post(b'"{ reshuffles { id } }"', **JSON), "BAD_INPUT", 400),
    Hostile("json-null", lambda d: d.post(b"null", **JSON), "BAD_INPUT", 400),
    Hostile("json-number", lambda d: d.post(b"12", **JSON), "BAD_INPUT", 400),
    Hostile(
        "json-nan",
        lambda d: d.post(b'{"query": "{ reshuffles { id } }", "variables": {"a": NaN}}', **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile("empty-body", lambda d: d.post(b"", **JSON), "BAD_INPUT", 400),
    Hostile("empty-batch", lambda d: d.post(b"[]", **JSON), "BAD_INPUT", 400),
    Hostile(
        "batch",
        lambda d: d.post(json.dumps([{"query": OK}] * 3).encode(), **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile("query-not-a-string", lambda d: d.post(b'{"query": 5}', **JSON), "BAD_INPUT", 400),
    Hostile(
        "variables-not-an-object",
        lambda d: d.post(b'{"query": "{ reshuffles { id } }", "variables": [1]}', **JSON),
        "BAD_INPUT",
        400,
    ),
    Hostile("no-query", lambda d: d.post(b"{}", **JSON), "BAD_INPUT", 400),
    # the framework's own refusals
    Hostile(
        "put", lambda d: Reply.of(d.client.put("/graphql", json={"query": OK})), "BAD_INPUT", 405
    ),
    Hostile(
        "delete",
        lambda d: Reply.of(d.client.request("DELETE", "/graphql", headers=JSON)),
        "BAD_INPUT",
        405,
    ),
    Hostile(
        "patch",
        lambda d: Reply.of(d.client.patch("/graphql", json={"query": OK})),
        "BAD_INPUT",
        405,
    ),
    Hostile(
        "mutation-over-get",
        lambda d: Reply.of(
            d.client.get(
                "/graphql", params={"query": 'mutation { applyPlan(id: "x") { written } }'}
            )
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "get-without-a-query",
        lambda d: Reply.of(d.client.get("/graphql", headers={"accept": "application/json"})),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "get-variables-not-json",
        lambda d: Reply.of(d.client.get("/graphql", params={"query": OK, "variables": "{nope"})),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "unknown-operation-name",
        lambda d: d.post(
            json.dumps({"query": "query A { reshuffles { id } }", "operationName": "B"}).encode(),
            **JSON,
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "operation-name-not-text",
        lambda d: d.post(json.dumps({"query": OK, "operationName": ["A"]}).encode(), **JSON),
        "BAD_INPUT",
    ),
    Hostile("syntax-error", lambda d: d.ask("{ unit(code: ) }"), "BAD_INPUT", 200),
    Hostile(
        "text-plain-with-the-header",
        lambda d: d.post(
            json.dumps({"query": OK}).encode(), **{"content-type": "text/plain", **INTENT}
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-without-a-boundary",
        lambda d: d.post(b"abc", **{**MULTIPART, "content-type": "multipart/form-data"}),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-garbage",
        lambda d: d.post(b"--hostileboundary\r\ngarbage", **MULTIPART),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-map-not-json",
        lambda d: d.post(multipart(PLAN_OPERATIONS, b"{nope", {"0": ("r.csv", b"x")}), **MULTIPART),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-map-to-a-missing-file",
        lambda d: d.post(
            multipart(PLAN_OPERATIONS, b'{"9": ["variables.file"]}', {"0": ("r.csv", b"x")}),
            **MULTIPART,
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-map-a-list",
        lambda d: d.post(
            multipart(PLAN_OPERATIONS, b'[["variables.file"]]', {"0": ("r.csv", b"x")}), **MULTIPART
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-map-into-a-string",
        lambda d: d.post(
            multipart(PLAN_OPERATIONS, b'{"0": ["query.x"]}', {"0": ("r.csv", b"x")}), **MULTIPART
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-map-path-not-text",
        lambda d: d.post(
            multipart(PLAN_OPERATIONS, b'{"0": [5]}', {"0": ("r.csv", b"x")}), **MULTIPART
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-operations-not-utf8",
        lambda d: d.post(
            multipart(
                PLAN_OPERATIONS.replace(b"$file", b"$fil\xe9"), PLAN_MAP, {"0": ("r.csv", b"x")}
            ),
            **MULTIPART,
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "multipart-map-not-utf8",
        lambda d: d.post(
            multipart(
                PLAN_OPERATIONS, b'{"0": ["variables.file"], "\xff": []}', {"0": ("r.csv", b"x")}
            ),
            **MULTIPART,
        ),
        "BAD_INPUT",
        400,
    ),
    # queries: cost, cursors, uploads that are not files
    Hostile("cost-beyond-64-bits", lambda d: d.ask(CHILDREN_8_DEEP), "QUERY_TOO_COMPLEX", 200),
    Hostile(
        "cost-of-first-as-a-variable",
        lambda d: d.ask(CHILDREN_BY_VARIABLE, n=500),
        "QUERY_TOO_COMPLEX",
        200,
    ),
    Hostile("cost-of-a-connection-page", lambda d: d.ask(GAPS_500), "QUERY_TOO_COMPLEX", 200),
    Hostile(
        "violation-cursor-not-a-number",
        lambda d: d.ask(VIOLATIONS, after=cursor("violation:abc")),
        "BAD_INPUT",
        200,
    ),
    Hostile(
        "violation-cursor-negative",
        lambda d: d.ask(VIOLATIONS, after=cursor("violation:-5")),
        "BAD_INPUT",
        200,
    ),
    Hostile(
        "violation-cursor-fraction",
        lambda d: d.ask(VIOLATIONS, after=cursor("violation:1.5")),
        "BAD_INPUT",
        200,
    ),
    Hostile(
        "violation-cursor-huge",
        lambda d: d.ask(VIOLATIONS, after=cursor("violation:" + "9" * 30)),
        "BAD_INPUT",
        200,
    ),
    Hostile(
        "violation-cursor-spaced",
        lambda d: d.ask(VIOLATIONS, after=cursor("violation: 5")),
        "BAD_INPUT",
        200,
    ),
    Hostile(
        "violation-cursor-arabic-digits",
        lambda d: d.ask(VIOLATIONS, after=cursor("violation:٥")),
        "BAD_INPUT",
        200,
    ),
    Hostile(
        "upload-given-as-a-string",
        lambda d: d.ask(PLAN, file="Thao tác,Mã cán bộ\n"),
        "BAD_INPUT",
        200,
    ),
    Hostile(
        "upload-given-as-an-object",
        lambda d: d.ask(PLAN, file={"filename": "r.csv"}),
        "BAD_INPUT",
        200,
    ),
    Hostile("upload-given-as-a-number", lambda d: d.ask(PLAN, file=5), "BAD_INPUT", 200),
    Hostile("upload-given-as-a-list", lambda d: d.ask(PLAN, file=["r.csv"]), "BAD_INPUT", 200),
    # CSRF: forms and uploads need the header; Origin must be this server's
    Hostile(
        "upload-without-the-header", lambda d: d.upload("r.csv", b"x", headers={}), "BAD_INPUT", 400
    ),
    Hostile(
        "upload-with-header-0",
        lambda d: d.upload("r.csv", b"x", headers={"X-Namgraph-Request": "0"}),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "form-post",
        lambda d: Reply.of(
            d.client.post("/graphql", data={"query": 'mutation { applyPlan(id: "x") { written } }'})
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "text-plain-mutation",
        lambda d: d.post(
            json.dumps({"query": 'mutation { applyPlan(id: "x") { written } }'}).encode(),
            **{"content-type": "text/plain"},
        ),
        "BAD_INPUT",
        400,
    ),
    Hostile(
        "foreign-origin",
        lambda d: d.ask(OK, headers={"Origin": "https://evil.example"}),
        "FORBIDDEN",
        403,
    ),
    Hostile("null-origin", lambda d: d.ask(OK, headers={"Origin": "null"}), "FORBIDDEN", 403),
    Hostile(
        "foreign-origin-upload-with-the-header",
        lambda d: d.upload("r.csv", b"x", headers={**INTENT, "Origin": "https://evil.example"}),
        "FORBIDDEN",
        403,
    ),
    Hostile(
        "same-host-another-port",
        lambda d: d.ask(OK, headers={"Origin": "http://127.0.0.1:1"}),
        "FORBIDDEN",
        403,
    ),
    Hostile(
        "own-host-over-https",
        lambda d: d.ask(OK, headers={"Origin": f"https://127.0.0.1:{d.api.port}"}),
        "FORBIDDEN",
        403,
    ),
    Hostile(
        "foreign-origin-get",
        lambda d: Reply.of(
            d.client.get(
                "/graphql", params={"query": OK}, headers={"Origin": "https://evil.example"}
            )
        ),
        "FORBIDDEN",
        403,
    ),
    # no OpenAPI pages (open to all, and Swagger UI comes from a CDN)
    Hostile("docs", lambda d: Reply.of(d.client.get("/docs")), "NOT_FOUND", 404),
    Hostile("openapi", lambda d: Reply.of(d.client.get("/openapi.json")), "NOT_FOUND", 404),
    Hostile("redoc", lambda d: Reply.of(d.client.get("/redoc")), "NOT_FOUND", 404),
    Hostile(
        "oauth2-redirect",
        lambda d: Reply.of(d.client.get("/docs/oauth2-redirect")),
        "NOT_FOUND",
        404,
    ),
    # uploaded files that must not be read
    Hostile("upload-of-a-program", lambda d: d.upload("r.exe", b"MZ"), "BAD_INPUT", 200),
    Hostile(
        "upload-zip-bomb",
        lambda d: d.upload("r.xlsx", hf.bomb(5_000_000)),
        "BAD_INPUT",
        200,
        "workbook_too_large",
    ),
    Hostile(
        "upload-lying-zip-sizes",
        lambda d: d.upload("r.xlsx", hf.lie_about_size(hf.xlsx(hf.RESHUFFLE, []), hf.SHEET, 10)),
        "BAD_INPUT",
        200,
        "xlsx_unreadable",
    ),
    Hostile(
        "upload-xxe",
        lambda d: d.upload(
            "r.xlsx", hf.patch(hf.xlsx(hf.RESHUFFLE, []), hf.SHEET, hf.with_prolog(hf.XXE))
        ),
        "BAD_INPUT",
        200,
        "xlsx_unsafe",
    ),
    Hostile(
        "upload-billion-laughs",
        lambda d: d.upload(
            "r.xlsx",
            hf.patch(hf.xlsx(hf.RESHUFFLE, []), "xl/workbook.xml", hf.with_prolog(hf.LAUGHS)),
        ),
        "BAD_INPUT",
        200,
        "xlsx_unsafe",
    ),
    Hostile(
        "upload-second-sheet",
        lambda d: d.upload(
            "r.xlsx",
            hf.xlsx(
                hf.RESHUFFLE,
                [["nghỉ hưu", "83-0010", "", "1/6/2023", "QĐ"]],
                sheets={"Khác": [["nghỉ hưu", "83-0024"]]},
            ),
        ),
        "BAD_INPUT",
        200,
        "sheet_extra",
    ),
    Hostile(
        "upload-missing-sheet",
        lambda d: d.upload(
            "r.xlsx",
            hf.xlsx(hf.RESHUFFLE, [["nghỉ hưu", "83-0010"]]),
            query=PLAN.replace("$file: Upload!", "$file: Upload!, $sheet: String").replace(
                "file: $file", "file: $file, sheet: $sheet"
            ),
            sheet="Không có",
        ),
        "BAD_INPUT",
        200,
        "sheet_missing",
    ),
    Hostile(
        "upload-not-utf8",
        lambda d: d.upload(
            "r.csv",
            hf.csv_bytes(hf.RESHUFFLE, [["nghỉ hưu", "83-0010", "", "1/6/2023", "QĐ"]], "cp1258"),
        ),
        "BAD_INPUT",
        200,
        "not_utf8",
    ),
    Hostile(
        "upload-over-the-row-cap",
        lambda d: d.upload(
            "r.csv",
            hf.csv_bytes(hf.RESHUFFLE, [["nghỉ hưu", "83-0010", "", "1/6/2023", "QĐ"]] * 1001),
        ),
        "BAD_INPUT",
        200,
        "row_cap",
    ),
    Hostile(
        "upload-with-a-formula",
        lambda d: d.upload(
            "r.xlsx", hf.xlsx(hf.RESHUFFLE, [["nghỉ hưu", "=A1", "", "1/6/2023", "QĐ"]])
        ),
        "BAD_INPUT",
        200,
        "formula_cell",
    ),
]


def test_the_corpus_is_large_and_named_once() -> None:
    assert len(CORPUS) >= 60
    assert len({c.id for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_a_hostile_request_is_refused_with_its_code_and_changes_nothing(
    case: Hostile, door: Door
) -> None:
    before = tree_digest(door.data)
    reply = case.send(door)
    assert reply.code == case.code, reply
    if case.status is not None:
        assert reply.status == case.status, reply
    assert reply.body.get("data") is None, reply
    if case.problem is not None:
        assert reply.problems[:1] == [case.problem], reply
    assert tree_digest(door.data) == before


# --- what still works -------------------------------------------------------------------------


def test_honest_bodies_in_any_encoding_are_answered(door: Door) -> None:
    extensions = door.ask(OK).body["extensions"]
    generation = extensions["generation"]
    assert isinstance(generation, int)
    # every answer names its generation and its date (the request's, here today's)
    expected = {
        "data": {"reshuffles": []},
        "extensions": {"asOf": extensions["asOf"], "generation": generation},
    }
    query = json.dumps({"query": OK}).encode()
    assert door.post(gzip.compress(query), **JSON, **{"content-encoding": "gzip"}).body == expected
    assert door.post(deflated(query), **JSON, **{"content-encoding": "deflate"}).body == expected
    assert door.post(in_chunks(padded(BODY_LIMIT - 1000), 4096), **JSON).body == expected
    raw = door.raw(
        chunked_request(
            gzip.compress(query), "Content-Type: application/json", "Content-Encoding: gzip"
        )
    )
    assert raw.body == expected
    own = {"Origin": f"http://127.0.0.1:{door.api.port}"}
    assert door.ask(OK, headers=own).body == expected


def test_graphql_answers_with_or_without_a_trailing_slash(door: Door) -> None:
    for path in ("/graphql", "/graphql/"):
        response = door.client.post(path, json={"query": "{ __typename }"})
        assert response.json()["data"] == {"__typename": "Query"}, path


def test_a_wrong_method_is_told_which_ones_are_answered(door: Door) -> None:
    for language, said in [
        ("vi", "/graphql chỉ trả lời yêu cầu GET và POST"),
        ("en", "/graphql answers GET and POST requests only"),
    ]:
        response = door.client.request("OPTIONS", "/graphql", headers={"Accept-Language": language})
        assert response.status_code == 405 and response.headers["allow"] == "GET, POST"
        assert Reply.of(response).body["errors"][0] == {
            "message": said,
            "extensions": {"code": "BAD_INPUT"},
        }


def test_the_cost_counts_first_on_connections_and_in_variables() -> None:
    from graphql import parse, validate

    from namgraph.api.limits import cost_rule
    from namgraph.api.schema import make_schema

    schema = make_schema()._schema

    def refused(query: str, limit: int, **variables: Any) -> bool:
        return bool(validate(schema, parse(query), [cost_rule(limit, 100, variables)]))

    # gaps(first: N) { edges { node { unit { code name } } } } costs 2 + 4 N
    gaps = (
        '{ gaps(unit: "83", level: "hamlet", first: %s) { edges { node { unit { code name } } } } }'
    )
    assert not refused(gaps % 100, 402) and refused(gaps % 100, 401)
    assert not refused(gaps % 500, 2002) and refused(gaps % 500, 2001)
    by_variable = (
        'query($n: Int) { gaps(unit: "83", level: "hamlet", first: $n) '
        "{ edges { node { unit { code name } } } } }"
    )
    assert refused(by_variable, 1000, n=500) and not refused(by_variable, 1000, n=100)
    assert not refused(by_variable, 402) and refused(by_variable, 401)  # the page size
    with_default = 'query($n: Int = 7) { search(text: "a", first: $n) { __typename } }'
    assert not refused(with_default, 8) and refused(with_default, 7)
    # however deep, the estimate stops just past the limit: a number any JSON can carry
    (error,) = validate(schema, parse(CHILDREN_8_DEEP), [cost_rule(250_000, 100)])
    assert error.extensions is not None and error.extensions["cost"] == 250_001
    assert "more than 250000 field reads" in error.message


def test_errors_of_an_upload_name_the_file_not_the_server_path(door: Door) -> None:
    bad = hf.csv_bytes(hf.RESHUFFLE, [["nghỉ hưu", "83-0010", "", "31/2/2023", "QĐ"]], "cp1258")
    reply = door.upload("Quyết định tháng 6.csv", bad)
    (error,) = reply.body["errors"]
    assert error["extensions"]["problems"][0]["file"] == "Quyết định tháng 6.csv"
    assert "Quyết định tháng 6.csv" in error["message"]
    assert "namgraph-upload" not in json.dumps(reply.body) and "/tmp" not in json.dumps(reply.body)
    # a plan's problems too
    unknown = hf.csv_bytes(hf.RESHUFFLE, [["nghỉ hưu", "99-9999", "", "1/6/2023", "QĐ"]])
    reply = door.upload("bad cadre.csv", unknown, query=PLAN.replace("code", "code file row"))
    problems = reply.body["data"]["planReshuffle"]["problems"]
    assert problems and all(p["file"] == "bad cadre.csv" for p in problems), problems


def test_a_sheet_can_be_chosen_for_an_upload(door: Door) -> None:
    book = hf.xlsx(
        ["Ghi chú"],
        [["bản nháp"]],
        sheets={"Quyết định": [hf.RESHUFFLE, ["nghỉ hưu", "83-0010", "", "1/6/2023", "12-QĐ/TU"]]},
    )
    assert door.upload("two.xlsx", book).problems == ["sheet_extra"]
    query = (
        "mutation($file: Upload!, $sheet: String) { planReshuffle(file: $file, sheet: $sheet) "
        "{ summary { statusChanges } problems { code } } }"
    )
    reply = door.upload("two.xlsx", book, query=query, sheet="Quyết định")
    assert reply.body["data"]["planReshuffle"] == {"summary": {"statusChanges": 1}, "problems": []}


def test_an_upload_with_the_header_and_no_origin_is_planned(door: Door) -> None:
    ok = hf.csv_bytes(hf.RESHUFFLE, [["nghỉ hưu", "83-0010", "", "1/6/2023", "12-QĐ/TU"]])
    reply = door.upload("r.csv", ok)
    assert reply.status == 200 and reply.body["data"]["planReshuffle"]["problems"] == []


# --- tokens: the role must fit the scope, whoever signed the token ------------------------------


@dataclass
class Gatehouse:
    api: Server
    data: Path
    secret: str
    private_key: Any

    def hs256(self, role: str, scope: str) -> str:
        return jwt.encode(_claims(role, scope, "namgraph"), self.secret, algorithm="HS256")

    def rs256(self, role: str, scope: str) -> str:
        return jwt.encode(_claims(role, scope, "issuer"), self.private_key, algorithm="RS256")

    def ask(self, token: str, **headers: str) -> Reply:
        headers = {"Authorization": f"Bearer {token}", **headers}
        return Reply.of(self.api.client.post("/graphql", json={"query": OK}, headers=headers))


def _claims(role: str, scope: str, issuer: str) -> dict[str, Any]:
    expires = datetime.now(UTC) + timedelta(hours=1)
    return {
        "sub": f"{role} at {scope}",
        "role": role,
        "scope": scope,
        "jti": f"{role}-{scope}",
        "exp": int(expires.timestamp()),
        "iss": issuer,
        "aud": "namgraph",
    }


@pytest.fixture(scope="module")
def gatehouse(ben_tre_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gatehouse]:
    folder = tmp_path_factory.mktemp("gatehouse")
    data = folder / "nam"
    shutil.copytree(ben_tre_dir, data)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = folder / "issuer.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    secret = "a shared secret of the deployment, long enough"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NAM_JWT_SECRET", secret)
        env.setenv("NAM_JWT_PUBLIC_KEY", str(public))
        env.delenv("NAM_JWT_ISSUER", raising=False)
        env.delenv("NAM_JWT_AUDIENCE", raising=False)
        settings = Settings(
            auth_file=folder / "auth.json", rate_per_minute=100_000, audit_log=folder / "audit.log"
        )
        with Server(MemoryStore.open(data), settings) as api:
            yield Gatehouse(api, data, secret, key)


@dataclass(frozen=True)
class Token:
    id: str
    send: Callable[[Gatehouse], Reply]
    code: str
    status: int


TOKENS = [
    Token(
        "secret-district-officer-over-a-province",
        lambda g: g.ask(g.hs256("district_officer", "83")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "secret-province-admin-over-a-district",
        lambda g: g.ask(g.hs256("province_admin", "831")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "secret-commune-officer-over-a-district",
        lambda g: g.ask(g.hs256("commune_officer", "831")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "secret-district-officer-over-a-commune",
        lambda g: g.ask(g.hs256("district_officer", "28801")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "issuer-province-admin-over-a-district",
        lambda g: g.ask(g.rs256("province_admin", "831")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "issuer-district-officer-over-a-commune",
        lambda g: g.ask(g.rs256("district_officer", "28801")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "issuer-commune-officer-over-a-province",
        lambda g: g.ask(g.rs256("commune_officer", "83")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "issuer-analyst-over-a-hamlet",
        lambda g: g.ask(g.rs256("analyst", "28801.01")),
        "FORBIDDEN",
        403,
    ),
    Token(
        "secret-unknown-role", lambda g: g.ask(g.hs256("superuser", "83")), "UNAUTHENTICATED", 401
    ),
    Token(
        "good-token-foreign-origin",
        lambda g: g.ask(g.hs256("district_officer", "831"), Origin="https://evil.example"),
        "FORBIDDEN",
        403,
    ),
    Token(
        "good-token-form-post",
        lambda g: Reply.of(
            g.api.client.post(
                "/graphql",
                data={"query": OK},
                headers={"Authorization": f"Bearer {g.hs256('loader', '831')}"},
            )
        ),
        "BAD_INPUT",
        400,
    ),
]


def with_token(g: Gatehouse, content: bytes | Iterator[bytes], **headers: str) -> Reply:
    token = g.hs256("district_officer", "831")
    headers = {"Authorization": f"Bearer {token}", **JSON, **headers}
    return Reply.of(g.api.client.post("/graphql", content=content, headers=headers))


TOKENS += [
    Token(
        "nested-100000-deep-under-the-default-limit",
        lambda g: with_token(g, request_with(OK, '{"a": ' + deep(100_000) + "}")),
        "BAD_INPUT",
        400,
    ),
    Token(
        "gzip-bomb-under-the-default-limit",
        lambda g: with_token(
            g, gzip.compress(padded(100_000_000), 9), **{"content-encoding": "gzip"}
        ),
        "TOO_LARGE",
        413,
    ),
]


@pytest.mark.parametrize("case", TOKENS, ids=[c.id for c in TOKENS])
def test_a_token_that_does_not_fit_is_refused_and_changes_nothing(
    case: Token, gatehouse: Gatehouse
) -> None:
    before = tree_digest(gatehouse.data)
    reply = case.send(gatehouse)
    assert (reply.status, reply.code) == (case.status, case.code), reply
    assert tree_digest(gatehouse.data) == before


def test_a_body_refused_while_it_arrives_is_on_the_audit_trail(gatehouse: Gatehouse) -> None:
    reply = with_token(gatehouse, in_chunks(padded(9_000_000), 65536))
    assert (reply.status, reply.code) == (413, "TOO_LARGE")
    log = gatehouse.data.parent / "audit.log"
    last = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert (last["outcome"], last["role"], last["scope"]) == (
        "TOO_LARGE",
        "district_officer",
        "831",
    )


def test_tokens_that_fit_are_let_in_whoever_signed_them(gatehouse: Gatehouse) -> None:
    for token in (
        gatehouse.hs256("district_officer", "831"),
        gatehouse.rs256("district_officer", "831"),
        gatehouse.rs256("analyst", "28801"),
        gatehouse.hs256("province_admin", "83"),
    ):
        body = gatehouse.ask(token).body
        assert body["data"] == {"reshuffles": []} and isinstance(
            body["extensions"]["generation"], int
        )


# --- upload files: private, unique, gone after a kill ------------------------------------------


def test_upload_folders_are_unique_and_what_a_killed_server_left_is_swept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ben_tre_dir: Path
) -> None:
    import os
    import subprocess
    import sys
    import tempfile

    from namgraph.api.app import create_app
    from namgraph.api.uploads import PREFIX, upload_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with upload_folder() as first, upload_folder() as second:
        assert first != second
        assert Path(first).name.startswith(f"{PREFIX}{os.getpid()}-")
        assert Path(first).stat().st_mode & 0o077 == 0  # private to the server's user
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    killed = tmp_path / f"{PREFIX}{int(gone.stdout)}-x1y2"
    killed.mkdir()
    (killed / "upload.xlsx").write_bytes(b"left behind")
    running = tmp_path / f"{PREFIX}{os.getpid()}-z3w4"
    running.mkdir()
    unrelated = tmp_path / "namgraph-upload-notes"
    unrelated.mkdir()
    create_app(MemoryStore.open(ben_tre_dir), Settings(demo=True))
    assert not killed.exists()
    assert running.exists() and unrelated.exists()


def test_concurrent_uploads_of_one_file_do_not_collide(door: Door) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ok = hf.csv_bytes(hf.RESHUFFLE, [["nghỉ hưu", "83-0024", "", "1/6/2023", "12-QĐ/TU"]])
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: door.upload("same.csv", ok), range(4)))
    plans = {r.body["data"]["planReshuffle"]["id"] for r in replies if r.body.get("data")}
    assert len(plans) == 1, replies


# --- fuzzing malformed input ----------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)
_BODIES = st.one_of(
    st.binary(max_size=600),  # anything at all
    _JSON.map(lambda v: json.dumps(v).encode()),  # well-formed JSON of any shape
    st.fixed_dictionaries(  # the shape of a request, with parts of the wrong kind
        {"query": st.one_of(st.text(max_size=80), _JSON), "variables": _JSON}
    ).map(lambda v: json.dumps(v).encode()),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
_TYPES = st.sampled_from(
    ["application/json", "multipart/form-data; boundary=x", "text/plain", "application/graphql"]
)


def test_fuzzed_malformed_bodies_get_coded_refusals_never_a_500(door: Door) -> None:
    """A fixed budget of derandomized examples (the same every run): bytes, JSON of any shape
    and requests with parts of the wrong kind, under several content types. Every answer is
    JSON; a refusal is a GraphQL error with a code, and nothing is INTERNAL."""
    before = tree_digest(door.data)
    seen: list[tuple[int, str | None]] = []

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=_BODIES, kind=_TYPES)
    def check(body: bytes, kind: str) -> None:
        reply = door.post(body, **{"content-type": kind, **INTENT})
        seen.append((reply.status, reply.code))
        assert reply.status < 500, (body[:200], kind, reply)
        assert "not json" not in reply.body, (body[:200], kind, reply)
        if reply.status >= 400 or reply.body.get("errors"):
            assert reply.code is not None and reply.code != "INTERNAL", (body[:200], kind, reply)

    check()
    assert tree_digest(door.data) == before
    assert {code for _, code in seen} - {None}  # the fuzz reached the refusals
