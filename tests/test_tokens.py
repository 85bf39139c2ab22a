"""Tokens and API keys: issued by `nam token`, checked by the keyring the API reads."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from namgraph.api.auth import AuthError, Keyring, Role, parse_expiry
from tests.conftest import Nam

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=30)


def keyring(tmp_path: Path, **env: str) -> Keyring:
    return Keyring.open(tmp_path / "auth.json", env=env)


def test_a_jwt_and_an_api_key_carry_role_scope_and_expiry(tmp_path: Path) -> None:
    ring = keyring(tmp_path)
    token, record = ring.issue(Role.DISTRICT_OFFICER, "831", LATER, "Lan")
    key, key_record = ring.issue(Role.LOADER, "83", LATER, "nightly load", api_key=True)
    for secret, rec, kind in ((token, record, "jwt"), (key, key_record, "api_key")):
        who = keyring(tmp_path).authenticate(secret, NOW)  # another process reads the file
        assert (who.token_id, who.kind, who.scope, who.expires) == (
            rec["id"],
            kind,
            rec["scope"],
            LATER.replace(microsecond=0),
        )
    assert keyring(tmp_path).authenticate(token, NOW).role is Role.DISTRICT_OFFICER
    text = (tmp_path / "auth.json").read_text(encoding="utf-8")
    assert key not in text and key.rsplit("_", 1)[1] not in text and token not in text
    assert stat.S_IMODE((tmp_path / "auth.json").stat().st_mode) == 0o600


def test_expired_revoked_altered_and_foreign_tokens_are_refused(tmp_path: Path) -> None:
    ring = keyring(tmp_path)
    token, record = ring.issue(Role.ANALYST, "83", LATER, "x")
    with pytest.raises(AuthError, match="expired at"):
        ring.authenticate(token, LATER + timedelta(seconds=1))
    claims = jwt.decode(token, options={"verify_signature": False})
    header, _, signature = token.split(".")
    forged = jwt.encode({**claims, "role": "province_admin"}, "guess", algorithm="HS256")
    altered = ".".join([header, forged.split(".")[1], signature])
    with pytest.raises(AuthError, match="signature"):
        ring.authenticate(altered, NOW)
    with pytest.raises(AuthError, match="signature"):
        ring.authenticate(forged, NOW)
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    with pytest.raises(AuthError, match="'none' are not accepted"):
        ring.authenticate(unsigned, NOW)
    with pytest.raises(AuthError, match="audience"):
        keyring(tmp_path, NAM_JWT_AUDIENCE="elsewhere").authenticate(token, NOW)
    with pytest.raises(AuthError, match="unknown API key"):
        ring.authenticate("nam_k_0123456789ab_nope", NOW)
    keyring(tmp_path).revoke(record["id"])
    with pytest.raises(AuthError, match="revoked"):
        ring.authenticate(token, NOW)  # the first keyring sees the other one's revocation
    with pytest.raises(KeyError, match="no token or key"):
        ring.revoke("t_000000000000")


def test_a_role_that_is_not_one_is_refused(tmp_path: Path) -> None:
    ring = keyring(tmp_path, NAM_JWT_SECRET="shared secret for the test")
    claims = {
        "sub": "x",
        "jti": "t_1",
        "role": "superuser",
        "scope": "83",
        "exp": int(LATER.timestamp()),
        "iss": "namgraph",
        "aud": "namgraph",
    }
    token = jwt.encode(claims, "shared secret for the test", algorithm="HS256")
    with pytest.raises(AuthError, match="role 'superuser' is not one of"):
        ring.authenticate(token, NOW)
    claims |= {"role": "analyst", "scope": ""}
    token = jwt.encode(claims, "shared secret for the test", algorithm="HS256")
    with pytest.raises(AuthError, match="names no scope"):
        ring.authenticate(token, NOW)


def test_tokens_of_an_external_issuer_are_checked_with_its_public_key(tmp_path: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "issuer.pem").write_bytes(pem)
    claims = {
        "sub": "sso:lan",
        "jti": "abc",
        "role": "commune_officer",
        "scope": "28801",
        "exp": int(LATER.timestamp()),
        "iss": "https://sso.example.vn",
        "aud": "namgraph",
    }
    token = jwt.encode(claims, private, algorithm="RS256")
    env = {
        "NAM_JWT_PUBLIC_KEY": str(tmp_path / "issuer.pem"),
        "NAM_JWT_ISSUER": "https://sso.example.vn",
    }
    who = keyring(tmp_path, **env).authenticate(token, NOW)
    assert (who.token_id, who.role, who.scope) == ("ext:abc", Role.COMMUNE_OFFICER, "28801")
    with pytest.raises(AuthError, match="not accepted"):
        keyring(tmp_path).authenticate(token, NOW)  # no public key configured
    with pytest.raises(AuthError, match="issuer"):
        keyring(tmp_path, **{**env, "NAM_JWT_ISSUER": "https://other"}).authenticate(token, NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW + timedelta(days=30)),
        ("12h", NOW + timedelta(hours=12)),
        ("90m", NOW + timedelta(minutes=90)),
        ("2027-01-31", datetime(2027, 1, 31, tzinfo=UTC)),
    ],
)
def test_expiry_spans_and_dates(text: str, expected: datetime) -> None:
    assert parse_expiry(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [("soon", "give a span"), ("2020-01-01", "not in the future"), ("3y", "two years")],
)
def test_bad_expiries_say_what_to_give(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_expiry(text, NOW)


def test_nam_token_create_list_revoke(nam_memory: Nam, data_dir: Path) -> None:
    made = nam_memory(
        "token",
        "create",
        "--role",
        "district_officer",
        "--scope",
        "831",
        "--expires",
        "30d",
        "--subject",
        "Lan",
        "--json",
    )
    assert made.exit_code == 0, made.output
    issued = json.loads(made.stdout)
    ring = Keyring.open(data_dir / "auth.json", env={})
    assert ring.authenticate(issued["token"]).scope == "831"
    key = nam_memory(
        "token", "create", "--role", "loader", "--scope", "83", "--expires", "90d", "--api-key"
    )
    assert key.exit_code == 0 and key.stdout.startswith("nam_k_")
    assert "shown only now" in key.stderr and "Tỉnh Bến Tre" in key.stderr
    listed = nam_memory("token", "list")
    assert issued["id"] in listed.stdout and "valid" in listed.stdout
    revoked = nam_memory("token", "revoke", issued["id"])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert "revoked" in nam_memory("token", "list").stdout
    with pytest.raises(AuthError, match="revoked"):
        ring.authenticate(issued["token"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--role", "district_officer", "--scope", "28801"],
            "a district_officer's scope must be a district",
        ),
        (
            ["--role", "analyst", "--scope", "28801.01"],
            "a scope must be a unit of one of these levels",
        ),
        (["--role", "analyst", "--scope", "99999"], "no unit '99999' in the graph"),
        (["--role", "analyst", "--scope", "83", "--expires", "soon"], "give a span"),
        (["--role", "king", "--scope", "83"], "Invalid value for '--role'"),
    ],
)
def test_nam_token_create_refuses_what_cannot_be(
    nam_memory: Nam, data_dir: Path, args: list[str], says: str
) -> None:
    if "--expires" not in args:
        args = [*args, "--expires", "30d"]
    result = nam_memory("token", "create", *args)
    assert result.exit_code == 2 and says in result.stderr, result.output
    assert not (data_dir / "auth.json").exists()  # nothing written
