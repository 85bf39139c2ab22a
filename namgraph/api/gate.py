"""Who is asking: every ``/graphql`` request is checked for where it comes from,
authenticated, rate limited and size checked before GraphQL parses it, and refused with a
clear JSON error when it must be.

=======  =================  ==========================================================
status   code               when
=======  =================  ==========================================================
400      BAD_INPUT          a POST that is not JSON (a form or a multipart upload)
                            without the header ``X-Namgraph-Request: 1``
401      UNAUTHENTICATED    no bearer token outside demo mode, or a token that is
                            unknown, expired, revoked or badly signed
403      FORBIDDEN          an ``Origin`` that is not the server's own nor one of
                            ``NAM_ALLOWED_ORIGINS``; a token's scope that is not (or
                            no longer) a unit that can be a scope, or not of the level
                            its role needs (whoever signed the token)
413      TOO_LARGE          a request body larger than the upload limit allows (as
                            declared here; :mod:`namgraph.api.body` counts what arrives)
429      RATE_LIMITED       more requests than the token's rate per minute (anonymous
                            callers in demo mode: per client address)
=======  =================  ==========================================================

A browser sends a form or a multipart request to any site without asking first, with the
user's cookies; it cannot add a custom header or send JSON across sites without a CORS
preflight, which this server never answers. So such requests need the header, and a request
that says where it comes from (``Origin``) must come from here.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from graph.i18n import _
from graph.scope import scope_policy, scope_problem
from graph.stores.port import GraphStore
from namgraph.api.audit import Audit
from namgraph.api.auth import AuthError, Keyring, Principal, role_scope_problem
from namgraph.api.settings import Settings

__all__ = ["Gate", "Refusal", "client_address", "trusted_networks"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: How long a token's scope, once checked, is taken to be still good.
SCOPE_CHECK_SECONDS = 60.0
#: Room for the multipart envelope and the query around an uploaded file.
ENVELOPE_BYTES = 64 * 1024
#: The header a request that is not JSON must carry (browsers cannot send it cross-site).
INTENT_HEADER = "x-namgraph-request"


@dataclass
class Refusal(Exception):
    status: int
    code: str
    message: str
    retry_after: int | None = None

    def response(self) -> JSONResponse:
        headers = {}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="namgraph"'
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}
        return JSONResponse(body, status_code=self.status, headers=headers)


class _Buckets:
    """A token bucket per caller: ``rate`` requests a minute, as a burst or spread out."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock  # seconds; tests hold it still
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int | None:
        """None when the request may go; else the seconds to wait."""
        now = self.clock()
        per_second = self.rate / 60
        with self._lock:
            level, then = self._state.get(key, (float(self.rate), now))
            level = min(float(self.rate), level + (now - then) * per_second)
            if level < 1:
                self._state[key] = (level, now)
                return max(1, int((1 - level) / per_second) + 1)
            self._state[key] = (level - 1, now)
            return None


class Gate:
    def __init__(self, store: GraphStore, settings: Settings, audit: Audit) -> None:
        self.store = store
        self.settings = settings
        self.audit = audit
        self.keyring = Keyring.open(settings.auth_file) if settings.auth_file else None
        self.buckets = _Buckets(settings.rate_per_minute)
        self.proxies = trusted_networks(settings.trusted_proxies)
        self._good_scopes: dict[str, tuple[float, str, str]] = {}

    async def admit(self, request: Request) -> Principal | None:
        """The caller of a ``/graphql`` request (None for the GraphiQL page itself), or
        :class:`Refusal`."""
        if _is_ide_page(request):
            return None
        asked = {"method": request.method, "path": request.url.path}
        principal: Principal | None = None
        try:
            self._check_origin(request)
            principal = await self._authenticate(request)
            self._check_size(request)
            if principal.scope is not None:
                problem = await run_in_threadpool(self._scope_problem, principal)
                if problem is not None:
                    raise Refusal(
                        403,
                        "FORBIDDEN",
                        _(
                            "the token's scope cannot be used: {problem}; ask an administrator "
                            "for a new token (`nam token create`)"
                        ).format(problem=problem),
                    )
            if principal.kind == "demo":
                key = "demo:" + client_address(request, self.proxies)
            else:
                key = principal.token_id
            wait = self.buckets.take(key)
            if wait is not None:
                raise Refusal(
                    429,
                    "RATE_LIMITED",
                    _("more than {n} requests a minute with this token; retry in {wait} s").format(
                        n=self.settings.rate_per_minute, wait=wait
                    ),
                    retry_after=wait,
                )
        except Refusal as refusal:
            self.audit("refused", principal, refusal.code, reason=refusal.message, **asked)
            raise
        return principal

    @property
    def body_limit(self) -> int:
        return self.settings.max_upload_bytes + ENVELOPE_BYTES

    def _check_origin(self, request: Request) -> None:
        origin = request.headers.get("origin")
        if origin is not None:
            allowed = self.settings.allowed_origins or (_own_origin(request),)
            if origin.strip().rstrip("/").lower() not in allowed:
                raise Refusal(
                    403,
                    "FORBIDDEN",
                    _(
                        "requests from the web page at {origin} are not accepted; an "
                        "administrator can allow that origin in NAM_ALLOWED_ORIGINS"
                    ).format(origin=repr(origin)),
                )
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json" and request.headers.get(INTENT_HEADER) != "1":
            raise Refusal(
                400,
                "BAD_INPUT",
                _(
                    "a request that is not JSON (a multipart upload, a form) must carry the "
                    "header `X-Namgraph-Request: 1`"
                ),
            )

    def _check_size(self, request: Request) -> None:
        if request.method != "POST":
            return
        length = request.headers.get("content-length")
        if length is None:  # chunked: api.body counts the bytes as they arrive
            return
        limit = self.body_limit
        if not length.isdigit() or int(length) > limit:
            raise Refusal(
                413,
                "TOO_LARGE",
                _(
                    "the request body is larger than {limit} bytes (uploads up to {upload} "
                    "bytes); split the reshuffle file"
                ).format(limit=limit, upload=self.settings.max_upload_bytes),
            )

    async def _authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _sep, token = header.partition(" ")
        if not header:
            if self.settings.demo:
                return Principal.demo()
            raise Refusal(
                401,
                "UNAUTHENTICATED",
                _(
                    "no bearer token: send `Authorization: Bearer <token>` "
                    "(`nam token create` issues one)"
                ),
            )
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(
                401, "UNAUTHENTICATED", _("send the token as `Authorization: Bearer <token>`")
            )
        if self.keyring is None:
            raise Refusal(401, "UNAUTHENTICATED", _("this server has no keyring (NAM_AUTH_FILE)"))
        try:
            return await run_in_threadpool(self.keyring.authenticate, token.strip())
        except AuthError as exc:
            raise Refusal(401, "UNAUTHENTICATED", str(exc)) from None

    def _scope_problem(self, principal: Principal) -> str | None:
        """Why the token's scope cannot be a scope, or not one of its role. A unit found good
        as a scope is kept for a minute (with its level, for the role check)."""
        code = principal.scope
        assert code is not None
        now = time.monotonic()
        good = self._good_scopes.get(code)
        if good is None or good[0] <= now:
            unit = self.store.unit(code)
            policy = scope_policy(self.store, unit) if unit else self.store.policy
            problem = scope_problem(policy, unit, code)
            if problem is not None or unit is None:
                return problem
            good = (now + SCOPE_CHECK_SECONDS, unit.level, unit.name)
            self._good_scopes[code] = good
        _, level, name = good
        return role_scope_problem(principal.role, code, level, name)


def _is_ide_page(request: Request) -> bool:
    return (
        request.url.path.startswith("/graphql")
        and request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


def _own_origin(request: Request) -> str:
    """The origin of this server as the request addressed it."""
    host = request.headers.get("host") or (
        f"{request.url.hostname}:{request.url.port}" if request.url.port else request.url.hostname
    )
    return f"{request.url.scheme}://{host}".lower()


def trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The networks of ``NAM_TRUSTED_PROXIES``; a bad entry stops the server, named."""
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError:
            raise ValueError(
                f"NAM_TRUSTED_PROXIES: {proxy!r} is not an address or a network "
                "(e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return tuple(networks)


def client_address(request: Request, proxies: tuple[IPNetwork, ...]) -> str:
    """The caller's address: the peer's, or, when the peer is a trusted proxy, the last
    address in ``X-Forwarded-For`` that is not one (proxies append the address they saw, so
    the ones further left were written by the client and prove nothing)."""
    peer = request.client.host if request.client else "?"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy would not write this: keep to what is known
    return peer


def _trusted(address: str, proxies: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)
