"""Keyed pseudonyms for personal identifiers: HMAC-SHA256 with a secret kept outside the store.

The store records the key's fingerprint (an HMAC of a constant, never the key) at its first load, and every
later load is refused with another key or none: rows keyed by pseudonyms would otherwise match nothing stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import duckdb

from hitplan import config
from hitplan.errors import InputError, PseudonymKeyError, UsageError

PREFIX = "P-"
HEX_CHARS = 16  # 64 bits: collisions are negligible for a hospital's staff and patients

FINGERPRINT_TABLE = "key_fingerprint"
FINGERPRINT_MESSAGE = b"hitplan key fingerprint v1"
FINGERPRINT_CHARS = 16
KEY_MIN, KEY_MAX = 32, 1024
KEY_SHAPE = f"one line of {KEY_MIN} to {KEY_MAX} characters, such as `openssl rand -hex 32` prints"


@dataclass(frozen=True)
class Recorded:
    """The key fingerprint a store recorded, and when (local time, to the minute)."""

    fingerprint: str
    recorded_at: str


@dataclass(frozen=True)
class Installed:
    """What `install_key` did: the key file, whether it changed, and where the key it replaced was kept."""

    path: Path
    changed: bool
    previous: Path | None = None
    previous_fingerprint: str | None = None


def fingerprint(key: bytes) -> str:
    """The key's fingerprint: HMAC-SHA256(key, a constant), 16 hex characters; it reveals nothing of the key."""
    return hmac.new(key, FINGERPRINT_MESSAGE, hashlib.sha256).hexdigest()[:FINGERPRINT_CHARS]


def key_location() -> str:
    """Where the key is read from, for messages: $HITPLAN_PSEUDONYM_KEY when set, else the key file's path."""
    return f"${config.ENV_KEY}" if os.environ.get(config.ENV_KEY) else str(config.key_file())


def _valid_key(data: bytes) -> bytes | None:
    """The key in ``data`` (surrounding blanks removed), or None when it is not one line of 32 to 1024 characters."""
    key = data.strip()
    if not KEY_MIN <= len(key) <= KEY_MAX or any(b < 0x20 or b == 0x7F for b in key):
        return None
    return key


def existing_key() -> bytes | None:
    """The pseudonymization key from $HITPLAN_PSEUDONYM_KEY, else from the key file; None when neither exists."""
    env = os.environ.get(config.ENV_KEY)
    if env:
        key = _valid_key(env.encode("utf-8"))
        if key is None:
            raise PseudonymKeyError(f"${config.ENV_KEY} must be {KEY_SHAPE}")
        return key
    path = config.key_file()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PseudonymKeyError(f"cannot read key file {path}: {exc.strerror}; fix its permissions or restore it "
                                "from your backup (`hitplan key import FILE`)") from exc
    key = _valid_key(data)
    if key is None:
        raise PseudonymKeyError(f"key file {path} is not a hitplan key ({KEY_SHAPE}); restore it from your backup "
                                "(`hitplan key import FILE --replace`)")
    return key


def load_key(create: bool = True) -> bytes:
    """The pseudonymization key: $HITPLAN_PSEUDONYM_KEY, else the key file (created owner-only on first use)."""
    key = existing_key()
    if key is not None:
        return key
    path = config.key_file()
    if not create:
        raise PseudonymKeyError(f"no pseudonymization key at {path}; restore it with `hitplan key import FILE`, "
                                f"or set ${config.ENV_KEY_FILE} or ${config.ENV_KEY}")
    _create_key_file(path)
    return existing_key()


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # O_EXCL: two first ingests racing must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")


def recorded_fingerprint(con: duckdb.DuckDBPyConnection) -> Recorded | None:
    """The key fingerprint the store recorded at its first load, or None before any load recorded one."""
    rows = con.execute(
        f"select fingerprint, strftime(recorded_at, '%Y-%m-%d %H:%M') from {FINGERPRINT_TABLE} "
        "order by recorded_at limit 1"
    ).fetchall()
    return Recorded(rows[0][0], rows[0][1]) if rows else None


def holds_pseudonyms(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any personal column of the store holds a value (a pseudonym made with some key)."""
    from hitplan.schema import feeds

    tests = [f'exists (select 1 from "{f.name}" where "{c.name}" is not null)'
             for f in feeds().values() for c in f.columns if c.pii]
    return bool(tests) and bool(con.execute("select " + " or ".join(tests)).fetchall()[0][0])


def _store_name(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()
    return rows[0][0] if rows and rows[0][0] else "(in memory)"


def _restore_hint() -> str:
    """How to give hitplan the store's key back, for the key source in use."""
    if os.environ.get(config.ENV_KEY):
        return (f"set ${config.ENV_KEY} to that key, or unset it to use the key file {config.key_file()} "
                "(`hitplan key import BACKUP` installs a backup there)")
    path = config.key_file()
    return (f"restore that key with `hitplan key import BACKUP`, copy your backup to {path}, "
            f"or point ${config.ENV_KEY_FILE} at it")


def verified_key(con: duckdb.DuckDBPyConnection, *, record: bool = True) -> bytes:
    """The key a load into this store must pseudonymize with: the one whose fingerprint the store recorded.

    A store without a fingerprint records the key's (now, or with ``record=False`` by the caller inside its load's
    transaction, through `record_fingerprint`), making the key first if there is none — unless the store already
    holds pseudonyms (made before stores recorded fingerprints): a new key would not match them.
    """
    recorded = recorded_fingerprint(con)
    key = existing_key()
    if recorded is not None:
        theirs = f"fingerprint {recorded.fingerprint}, recorded {recorded.recorded_at}"
        if key is None:
            raise PseudonymKeyError(
                f"no pseudonymization key at {config.key_file()}, but the data in store {_store_name(con)} was "
                f"pseudonymized with a key ({theirs}); nothing was loaded and no new key was made: {_restore_hint()}"
            )
        if fingerprint(key) != recorded.fingerprint:
            raise PseudonymKeyError(
                f"the pseudonymization key at {key_location()} (fingerprint {fingerprint(key)}) is not the key the "
                f"data in store {_store_name(con)} was pseudonymized with ({theirs}); nothing was loaded: "
                f"{_restore_hint()}"
            )
        return key
    if key is None:
        if holds_pseudonyms(con):
            raise PseudonymKeyError(
                f"no pseudonymization key at {config.key_file()}, but store {_store_name(con)} holds pseudonyms "
                f"made with one; nothing was loaded and no new key was made: {_restore_hint()}"
            )
        key = load_key(create=True)
    if record:
        record_fingerprint(con, key)
    return key


def record_fingerprint(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Record the key's fingerprint in a store that has none yet (a load calls it inside its own transaction)."""
    if recorded_fingerprint(con) is None:
        con.execute(f"insert into {FINGERPRINT_TABLE} values (?, current_localtimestamp())", [fingerprint(key)])


def key_in_file(path: Path) -> bytes:
    """The key held in a key file (a backup to import), refused unless it has a key's shape."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the key file: {exc.strerror}; pass the file `hitplan key export` wrote",
                         file=str(path)) from exc
    key = _valid_key(data)
    if key is None:
        raise InputError(f"is not a hitplan key ({KEY_SHAPE}); pass the file `hitplan key export` wrote",
                         file=str(path))
    return key


def _write_new(path: Path, key: bytes) -> None:
    """Write ``key`` to a file that must not exist yet, owner-only, flushed to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
        fh.flush()
        os.fsync(fh.fileno())


def export_key(dest: Path) -> str:
    """Write the key in use to ``dest`` (a new file, mode 0600) and return its fingerprint."""
    dest = Path(dest)
    key = existing_key()
    if key is None:
        raise PseudonymKeyError(f"no pseudonymization key at {config.key_file()} to export; set "
                                f"${config.ENV_KEY_FILE} to where your key is, or restore it from your backup")
    if not dest.parent.is_dir():
        raise UsageError(f"folder {dest.parent} does not exist; create it, or export to a file in an existing folder")
    try:
        _write_new(dest, key)
    except FileExistsError:
        raise UsageError(f"{dest} already exists; export writes only a new file: choose another name") from None
    except OSError as exc:
        raise UsageError(f"cannot write {dest}: {exc.strerror}; export to a folder you can write") from exc
    return fingerprint(key)


def install_key(key: bytes, *, replace: bool = False) -> Installed:
    """Install ``key`` as the key file (mode 0600 in a 0700 folder); a different key there is kept aside, and
    replaced only when ``replace`` is given."""
    path = config.key_file()
    current = None
    if path.exists():
        try:
            current = path.read_bytes().strip()
        except OSError as exc:
            raise PseudonymKeyError(f"cannot read key file {path}: {exc.strerror}; fix its permissions") from exc
    if current == key:
        return Installed(path, changed=False)
    if current is not None and not replace:
        raise UsageError(
            f"key file {path} already holds another key (fingerprint {fingerprint(current)}); pass --replace to "
            "install this one (the old one is kept beside it), or export the old one first"
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    previous = None
    if current is not None:
        # The key being replaced may be the only copy of the one some other store needs: keep it, owner-only.
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        previous = path.with_name(f"{path.name}.replaced-{stamp}")
        _write_new(previous, current)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        _write_new(tmp, key)
        # A rename, so a reader never sees half a key and a crash leaves the old key or the new one.
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return Installed(path, changed=True, previous=previous,
                     previous_fingerprint=fingerprint(current) if current is not None else None)


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
