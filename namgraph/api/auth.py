"""Bearer tokens: who is asking, in which role, over which unit.

Two kinds of token carry the same claims (role, scope, expiry, an id):

- **JWTs**, signed HS256 with the keyring's secret (or ``NAM_JWT_SECRET``), as ``nam token
  create`` issues them; or signed RS256/ES256 by an external issuer whose public key is
  ``NAM_JWT_PUBLIC_KEY`` (claims ``role`` and ``scope``, checked against ``NAM_JWT_ISSUER``
  and ``NAM_JWT_AUDIENCE``).
- **API keys** (``nam_<id>_<secret>``) for loaders and dashboards: only their SHA-256 is kept.

The keyring is a JSON file (mode 0600, replaced whole on every change) holding the secret, the
record of every token and key issued, and the ids revoked. A running server re-reads it when it
changes, so a revocation takes effect at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt

from graph.i18n import _

__all__ = [
    "CONTACT_READERS",
    "ROLE_LEVEL",
    "WRITERS",
    "AuthError",
    "Keyring",
    "Principal",
    "Role",
    "parse_expiry",
    "role_scope_problem",
]

ISSUER = "namgraph"
AUDIENCE = "namgraph"
LONGEST = timedelta(days=2 * 365)
KEY_PATTERN = re.compile(r"^nam_(k_[0-9a-f]{12})_([A-Za-z0-9_-]+)$")


class Role(StrEnum):
    PROVINCE_ADMIN = "province_admin"
    DISTRICT_OFFICER = "district_officer"
    COMMUNE_OFFICER = "commune_officer"
    ANALYST = "analyst"
    LOADER = "loader"


#: Roles that may plan and apply reshuffles (in their scope).
WRITERS = frozenset({Role.PROVINCE_ADMIN, Role.LOADER})
#: Roles that see cadres' contact fields.
CONTACT_READERS = frozenset({Role.PROVINCE_ADMIN, Role.DISTRICT_OFFICER, Role.COMMUNE_OFFICER})
#: The level a role's scope must be; analysts and loaders may be scoped to any scope unit.
ROLE_LEVEL: dict[Role, str] = {
    Role.PROVINCE_ADMIN: "province",
    Role.DISTRICT_OFFICER: "district",
    Role.COMMUNE_OFFICER: "commune",
}


def role_scope_problem(role: Role, scope: str, level: str, name: str) -> str | None:
    """Why a ``role`` may not have the unit ``scope`` (of ``level``) as its scope (None when it
    may): a province_admin is scoped to a province, a district_officer to a district, a
    commune_officer to a commune. The same for every token, whoever signed it."""
    wanted = ROLE_LEVEL.get(role)
    if wanted is not None and level != wanted:
        return _("a {role}'s scope must be a {wanted}; {scope} ({name}) is a {level}").format(
            role=role, wanted=wanted, scope=scope, name=name, level=level
        )
    return None


class AuthError(Exception):
    """A token that cannot be accepted; the message says why and what to do."""


@dataclass(frozen=True)
class Principal:
    token_id: str
    subject: str
    role: Role
    scope: str | None  # a unit code; None (everything) only in demo mode
    kind: str  # jwt, api_key or demo
    expires: datetime | None = None

    @property
    def can_write(self) -> bool:
        return self.role in WRITERS

    @property
    def sees_contacts(self) -> bool:
        return self.role in CONTACT_READERS

    @classmethod
    def demo(cls) -> Principal:
        return cls("demo", "demo", Role.PROVINCE_ADMIN, None, "demo")


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """``30d``, ``12h``, ``90m``, ``1y`` from now, or an ISO date or date-time (UTC)."""
    now = now or datetime.now(UTC)
    value = text.strip()
    match = re.fullmatch(r"(\d+)\s*([mhdy])", value)
    if match:
        n, unit = int(match[1]), match[2]
        minutes = {"m": 1, "h": 60, "d": 24 * 60, "y": 365 * 24 * 60}[unit]
        when = now + timedelta(minutes=n * minutes)
    else:
        try:
            when = (
                datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
                if len(value) == 10
                else datetime.fromisoformat(value)
            )
        except ValueError:
            raise ValueError(
                _("expiry {text}: give a span (30d, 12h, 90m, 1y) or a date (2027-01-31)").format(
                    text=repr(text)
                )
            ) from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    if when <= now:
        raise ValueError(_("expiry {text} is not in the future").format(text=repr(text)))
    if when - now > LONGEST:
        raise ValueError(
            _("expiry {text} is more than two years away; issue a shorter token").format(
                text=repr(text)
            )
        )
    return when


class Keyring:
    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._data: dict[str, Any] = {"secret": None, "tokens": [], "keys": [], "revoked": []}
        self._public_key: str | None = None
        key_file = env.get("NAM_JWT_PUBLIC_KEY")
        if key_file:
            self._public_key = Path(key_file).read_text(encoding="utf-8")

    @classmethod
    def open(cls, path: Path, env: Mapping[str, str] | None = None) -> Keyring:
        keyring = cls(path, os.environ if env is None else env)
        keyring._refresh()
        return keyring

    # --- the file -------------------------------------------------------------------------
    def _refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._data = json.loads(self.path.read_text(encoding="utf-8"))
            self._stamp = stamp

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._data, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        st = self.path.stat()
        self._stamp = (st.st_mtime_ns, st.st_size)

    def _secret(self, create: bool = False) -> str | None:
        given = self.env.get("NAM_JWT_SECRET")
        if given:
            return given
        if self._data.get("secret") is None and create:
            self._data["secret"] = secrets.token_hex(32)
        secret: str | None = self._data.get("secret")
        return secret

    # --- issuing --------------------------------------------------------------------------
    def issue(
        self, role: Role, scope: str, expires: datetime, subject: str, api_key: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """A new token (or API key) and its record; the token itself is not kept."""
        with self._lock:
            self._refresh()
            now = datetime.now(UTC)
            record: dict[str, Any] = {
                "id": ("k_" if api_key else "t_") + secrets.token_hex(6),
                "kind": "api_key" if api_key else "jwt",
                "subject": subject,
                "role": str(role),
                "scope": scope,
                "expires": expires.isoformat(timespec="seconds"),
                "created": now.isoformat(timespec="seconds"),
            }
            if api_key:
                token = f"nam_{record['id']}_{secrets.token_urlsafe(32)}"
                record["sha256"] = hashlib.sha256(token.encode()).hexdigest()
                self._data["keys"].append(record)
            else:
                secret = self._secret(create=True)
                assert secret is not None
                claims = {
                    "sub": subject,
                    "role": str(role),
                    "scope": scope,
                    "jti": record["id"],
                    "iat": int(now.timestamp()),
                    "exp": int(expires.timestamp()),
                    "iss": self.env.get("NAM_JWT_ISSUER") or ISSUER,
                    "aud": self.env.get("NAM_JWT_AUDIENCE") or AUDIENCE,
                }
                token = jwt.encode(claims, secret, algorithm="HS256")
                self._data["tokens"].append(record)
            self._save()
        return token, {k: v for k, v in record.items() if k != "sha256"}

    def revoke(self, token_id: str) -> dict[str, Any]:
        with self._lock:
            self._refresh()
            known = {r["id"]: r for r in (*self._data["tokens"], *self._data["keys"])}
            if token_id not in known and not token_id.startswith("ext:"):
                raise KeyError(
                    _("no token or key {id}; `nam token list` shows them").format(id=repr(token_id))
                )
            if token_id not in self._data["revoked"]:
                self._data["revoked"].append(token_id)
                self._save()
            return dict(known.get(token_id, {"id": token_id}))

    def records(self) -> list[dict[str, Any]]:
        self._refresh()
        revoked = set(self._data["revoked"])
        rows = sorted(
            (*self._data["tokens"], *self._data["keys"]), key=lambda r: (r["created"], r["id"])
        )
        return [
            {**{k: v for k, v in r.items() if k != "sha256"}, "revoked": r["id"] in revoked}
            for r in rows
        ]

    # --- checking -------------------------------------------------------------------------
    def authenticate(self, bearer: str, now: datetime | None = None) -> Principal:
        with self._lock:
            self._refresh()
        now = now or datetime.now(UTC)
        key = bearer.startswith("nam_")
        principal = self._api_key(bearer, now) if key else self._jwt(bearer, now)
        if principal.token_id in self._data["revoked"]:
            raise AuthError(
                _("the token {id} was revoked; ask an administrator for a new one").format(
                    id=principal.token_id
                )
            )
        return principal

    def _api_key(self, key: str, now: datetime) -> Principal:
        match = KEY_PATTERN.match(key)
        record = None
        if match:
            record = next((r for r in self._data["keys"] if r["id"] == match[1]), None)
        digest = hashlib.sha256(key.encode()).hexdigest()
        if record is None or not hmac.compare_digest(digest, record["sha256"]):
            raise AuthError(_("unknown API key; `nam token create --api-key` issues one"))
        expires = datetime.fromisoformat(record["expires"])
        if expires <= now:
            raise AuthError(_expired(expires))
        return Principal(
            record["id"],
            record["subject"],
            _role(record["role"]),
            record["scope"],
            "api_key",
            expires,
        )

    def _jwt(self, token: str, now: datetime) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError(_("the bearer token is neither a JWT nor an API key")) from None
        algorithm = header.get("alg")
        if algorithm == "HS256":
            key: str | None = self._secret()
        elif algorithm in ("RS256", "ES256") and self._public_key:
            key = self._public_key
        else:
            raise AuthError(
                _("tokens signed with {algorithm} are not accepted here").format(
                    algorithm=repr(algorithm)
                )
            )
        if key is None:
            raise AuthError(_("this server has issued no tokens yet (`nam token create`)"))
        issuer = self.env.get("NAM_JWT_ISSUER") or (ISSUER if algorithm == "HS256" else None)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.env.get("NAM_JWT_AUDIENCE") or AUDIENCE,
                issuer=issuer,
                options={"require": ["exp", "sub", "jti"], "verify_exp": False},
                leeway=0,
            )
        except jwt.InvalidSignatureError:
            raise AuthError(_("the token's signature does not match; it was altered")) from None
        except jwt.InvalidAudienceError:
            raise AuthError(
                _("the token was issued for another audience than this server")
            ) from None
        except jwt.InvalidIssuerError:
            raise AuthError(_("the token's issuer is not the one this server trusts")) from None
        except jwt.PyJWTError as exc:
            raise AuthError(
                _("the token cannot be accepted: {problem}").format(problem=exc)
            ) from None
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
        if expires <= now:
            raise AuthError(_expired(expires))
        scope = claims.get("scope")
        if not isinstance(scope, str) or not scope:
            raise AuthError(_("the token names no scope (claim `scope`, a unit code)"))
        token_id = str(claims["jti"])
        if algorithm != "HS256":
            token_id = f"ext:{token_id}"
        return Principal(
            token_id, str(claims["sub"]), _role(claims.get("role")), scope, "jwt", expires
        )


def _role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise AuthError(
            _("role {role} is not one of {roles}").format(role=repr(value), roles=roles)
        ) from None


def _expired(when: datetime) -> str:
    return _(
        "the token expired at {when}; ask an administrator for a new one (`nam token create`)"
    ).format(when=when.isoformat(timespec="seconds"))
