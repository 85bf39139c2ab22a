"""Request bodies of ``/graphql``, read before GraphQL sees them: counted as they arrive and
decoded when compressed, whatever ``Content-Length`` or ``Transfer-Encoding`` say.

A body is read whole (it is at most the upload limit plus the envelope), inflated chunk by
chunk when it is sent with ``Content-Encoding: gzip`` or ``deflate`` (never more than one byte
past the limit at a time, so a compression bomb costs nothing), and handed on decoded. Going
past the limit stops the reading at once with ``413 TOO_LARGE``; a body that cannot be decoded
is ``400 BAD_INPUT``. JSON read from a request (the body, multipart ``operations`` and ``map``,
``variables`` of a GET) must be UTF-8 and nested no deeper than :data:`MAX_JSON_DEPTH`; so
must every text part of a multipart request (its files are bytes, and may be anything).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import orjson
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.i18n import N_, _

__all__ = ["MAX_JSON_DEPTH", "BodyGuard", "JsonRefused", "graphql_error", "read_json"]

#: The deepest JSON a request may hold (GraphQL variables of this schema nest two deep).
MAX_JSON_DEPTH = 64

#: ``Content-Encoding`` values a request body may have, with the zlib window for each.
ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
IDENTITY = ("", "identity")
#: Bytes inflated at most per step.
STEP = 64 * 1024


def graphql_error(status: int, code: str, message: str) -> JSONResponse:
    """A refusal shaped like a GraphQL answer: ``errors[0].extensions.code``."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status)


class JsonRefused(ValueError):
    """JSON a request may not carry; the message says why."""


def read_json(data: str | bytes, what: str = N_("the request body")) -> object:
    """``data`` parsed as JSON, or :class:`JsonRefused`: not UTF-8, not JSON, or too deep."""
    if isinstance(data, bytes):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonRefused(
                _(
                    "{what} is not UTF-8 text (byte {byte} is not); send JSON encoded as UTF-8"
                ).format(what=_(what), byte=exc.start)
            ) from None
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower():
            raise JsonRefused(_too_deep(what)) from None
        raise JsonRefused(
            _("{what} is not valid JSON ({problem} at position {pos})").format(
                what=_(what), problem=exc.msg, pos=exc.pos
            )
        ) from None
    if _depth(parsed) > MAX_JSON_DEPTH:
        raise JsonRefused(_too_deep(what))
    return parsed


def _too_deep(what: str) -> str:
    return _("{what} is JSON nested deeper than {n} levels; send flat variables").format(
        what=_(what), n=MAX_JSON_DEPTH
    )


def _depth(value: object) -> int:
    """How deep ``value`` nests (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BodyGuard:
    """Reads every ``/graphql`` request body under ``limit()`` decoded bytes, then replays it
    to the application decoded, with a true ``Content-Length``.

    ``refused`` is told of each refusal (with the ASGI scope, to find who asked)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: Callable[[], int],
        refused: Callable[[Scope, str, str], None] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/graphql"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await self._read(headers, receive)
        except _Refused as refusal:
            if self.refused is not None:
                self.refused(scope, refusal.code, refusal.message)
            await graphql_error(refusal.status, refusal.code, refusal.message)(scope, receive, send)
            return
        bad_part = _text_part_not_utf8(body, headers.get("content-type", ""))
        if bad_part is not None:
            message = _(
                "the multipart part {part} is not UTF-8 text; send operations and map as UTF-8 JSON"
            ).format(part=repr(bad_part))
            if self.refused is not None:
                self.refused(scope, "BAD_INPUT", message)
            await graphql_error(400, "BAD_INPUT", message)(scope, receive, send)
            return
        kept = [
            (k, v)
            for k, v in scope["headers"]
            if k.lower() not in (b"content-length", b"content-encoding", b"transfer-encoding")
        ]
        if body or "content-length" in headers or "transfer-encoding" in headers:
            kept.append((b"content-length", str(len(body)).encode()))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app({**scope, "headers": kept}, replay, send)

    async def _read(self, headers: dict[str, str], receive: Receive) -> bytes:
        limit = self.limit()
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding not in IDENTITY and encoding not in ENCODINGS:
            raise _Refused(
                415,
                "BAD_INPUT",
                _(
                    "the request body is encoded as {encoding}; send it as it is, or with "
                    "Content-Encoding gzip or deflate"
                ).format(encoding=repr(encoding)),
            )
        inflate = zlib.decompressobj(ENCODINGS[encoding]) if encoding in ENCODINGS else None
        parts: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Refused(400, "BAD_INPUT", _("the client went away before the body ended"))
            chunk = message.get("body", b"")
            more = bool(message.get("more_body", False))
            pieces = [chunk] if inflate is None else _inflate(inflate, chunk, limit - size + 1)
            for piece in pieces:
                size += len(piece)
                if size > limit:
                    raise _Refused(
                        413,
                        "TOO_LARGE",
                        _(
                            "the request body is larger than {limit} bytes (counted as it "
                            "arrives, decoded); split the reshuffle file"
                        ).format(limit=limit),
                    )
                parts.append(piece)
        if inflate is not None and not inflate.eof:
            raise _Refused(
                400,
                "BAD_INPUT",
                _("the {encoding} request body is cut short; send it whole").format(
                    encoding=encoding
                ),
            )
        return b"".join(parts)


def _inflate(inflate: Any, chunk: bytes, room: int) -> list[bytes]:
    """What ``chunk`` inflates to, stopping once more than ``room`` bytes came out."""
    out: list[bytes] = []
    made = 0
    data = chunk
    try:
        while data and made <= room and not inflate.eof:
            piece = inflate.decompress(data, min(STEP, room - made + 1))
            out.append(piece)
            made += len(piece)
            data = inflate.unconsumed_tail
            if not piece and data:  # no progress: nothing more comes out of this input
                break
    except zlib.error:
        raise _Refused(
            400, "BAD_INPUT", _("the request body does not decode as its Content-Encoding says")
        ) from None
    return out


def _text_part_not_utf8(body: bytes, content_type: str) -> str | None:
    """The name of a text part (one without a filename) of a multipart ``body`` that is not
    UTF-8, if any. A body the parser cannot follow is left to the form reader to refuse."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    media, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        return None
    part: dict[str, Any] = {}
    bad: list[str] = []

    def begin() -> None:
        part.clear()
        part.update(field=b"", value=b"", headers={}, data=[])

    def header_field(data: bytes, start: int, end: int) -> None:
        part["field"] += data[start:end]

    def header_value(data: bytes, start: int, end: int) -> None:
        part["value"] += data[start:end]

    def header_end() -> None:
        part["headers"][part["field"].lower()] = part["value"]
        part["field"], part["value"] = b"", b""

    def data(chunk: bytes, start: int, end: int) -> None:
        part["data"].append(chunk[start:end])

    def end() -> None:
        _, disposition = parse_options_header(part["headers"].get(b"content-disposition", b""))
        if b"filename" in disposition:
            return
        try:
            b"".join(part["data"]).decode("utf-8")
        except UnicodeDecodeError:
            bad.append(disposition.get(b"name", b"?").decode("latin-1"))

    callbacks: Any = {
        "on_part_begin": begin,
        "on_header_field": header_field,
        "on_header_value": header_value,
        "on_header_end": header_end,
        "on_part_data": data,
        "on_part_end": end,
    }
    try:
        parser = MultipartParser(boundary, callbacks)
        parser.write(body)
        parser.finalize()
    except Exception:  # a broken body: the form reader refuses it with its own message
        return None
    return bad[0] if bad else None
