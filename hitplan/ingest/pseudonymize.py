"""Keyed pseudonyms for personal identifiers: HMAC-SHA256 with a secret kept outside the store."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from hitplan import config
from hitplan.errors import HitplanError

PREFIX = "P-"
HEX_CHARS = 16  # 64 bits: collisions are negligible for a hospital's staff and patients


def load_key(create: bool = True) -> bytes:
    """The pseudonymization key: $HITPLAN_PSEUDONYM_KEY, else the key file (created owner-only on first use)."""
    env = os.environ.get(config.ENV_KEY)
    if env:
        if len(env) < 32:
            raise HitplanError(f"${config.ENV_KEY} must be at least 32 characters; generate one with `openssl rand -hex 32`")
        return env.encode("utf-8")
    path = config.key_file()
    if path.exists():
        key = path.read_bytes().strip()
        if len(key) < 32:
            raise HitplanError(f"key file {path} is shorter than 32 characters; restore it from your backup")
        return key
    if not create:
        raise HitplanError(f"no pseudonymization key at {path}; set ${config.ENV_KEY_FILE} or ${config.ENV_KEY}")
    _create_key_file(path)
    return path.read_bytes().strip()


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL: two first ingests racing must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")


def normalize(value: str) -> str:
    """The form a value is hashed in: case and spacing differences give the same pseudonym."""
    # Exactly what the SQL version does: RE2's \s is [\t\n\f\r ], and DuckDB's trim strips spaces.
    return re.sub(r"[\t\n\f\r ]+", " ", value).strip(" ").lower()


def pseudonym(value: str, key: bytes) -> str:
    """The pseudonym of one value (the same function `pseudonym_sql` computes inside DuckDB)."""
    digest = hmac.new(key, normalize(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:HEX_CHARS]


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104), to compute HMAC-SHA256 in SQL."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def pseudonym_sql(expr: str, ipad_param: str = "$ipad", opad_param: str = "$opad") -> str:
    """SQL computing `pseudonym` of a VARCHAR expression inside DuckDB, so names never leave the reader."""
    norm = f"lower(trim(regexp_replace({expr}, '\\s+', ' ', 'g')))"
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL ELSE '{PREFIX}' || left(sha256({opad_param}::BLOB || "
        f"unhex(sha256({ipad_param}::BLOB || encode({norm})))), {HEX_CHARS}) END"
    )
