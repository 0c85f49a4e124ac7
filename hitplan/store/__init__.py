"""The DuckDB store: opening it (read-only unless writing), schema migrations and file permissions."""

from __future__ import annotations

import grp
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from hitplan import config
from hitplan.errors import StoreError, StoreLockedError, StoreVersionError

META_TABLE = "hitplan_meta"


def migrations() -> list[tuple[int, str, str]]:
    """Every migration shipped with this hitplan as (version, name, sql), in order."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        m = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def code_version() -> int:
    """The schema version this hitplan writes and reads."""
    return migrations()[-1][0]


def _open(path: Path, read_only: bool, wait: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting up to ``wait`` seconds while another process holds it (one notice on stderr)."""
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise StoreError(f"cannot open store {path}: {text.splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                raise StoreLockedError(
                    f"store {path} is held by another process (an ingest, a refresh or a snapshot copy); "
                    "wait for it to finish, then retry (or raise $HITPLAN_LOCK_WAIT)"
                ) from exc
            if not told:
                print(f"hitplan: waiting for store {path}, held by another process", file=sys.stderr)
                told = True
            time.sleep(0.5)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {path}: {str(exc).splitlines()[0]}") from exc
    # DuckDB draws its own progress bar on stdout, which would corrupt --format json output. Inside a Jupyter
    # kernel without ipywidgets DuckDB refuses to touch the setting at all; there it draws nothing anyway.
    try:
        con.execute("set enable_progress_bar = false")
    except duckdb.InvalidInputException:
        pass
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The single value a query returns (the whole result is consumed, as DuckDB 2 requires)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in an open store (0 for an empty file)."""
    exists = scalar(con, "select count(*) from information_schema.tables where table_name = ?", [META_TABLE])
    if not exists:
        return 0
    return int(scalar(con, f"select max(version) from {META_TABLE}") or 0)


def _check_version(path: Path, found: int) -> None:
    wanted = code_version()
    if found > wanted:
        raise StoreVersionError(
            f"store {path} has schema version {found}, newer than this hitplan understands ({wanted}); "
            "upgrade hitplan (pip install -U hitplan) or use a store made by this version"
        )
    if found < wanted:
        raise StoreVersionError(
            f"store {path} has schema version {found}, this hitplan needs {wanted}; run `hitplan init` to upgrade it"
        )


def restrict_permissions(path: Path) -> None:
    """Make a store (or report) file readable by its owner only, or by the share group when one is set."""
    group = config.share_group()
    mode = 0o640 if group else 0o600
    for p in (path, Path(f"{path}.wal")):
        if p.exists():
            if group:
                try:
                    os.chown(p, -1, grp.getgrnam(group).gr_gid)
                except KeyError as exc:
                    raise StoreError(f"share group {group!r} ($HITPLAN_SHARE_GROUP) does not exist") from exc
            os.chmod(p, mode)


def init(path: Path | None = None) -> tuple[int, int]:
    """Create or upgrade the store to this hitplan's schema; returns (version before, version after)."""
    path = Path(path or config.default_store())
    path.parent.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)
    try:
        con = _open(path, read_only=False, wait=config.lock_wait())
    finally:
        os.umask(old_umask)
    try:
        before = schema_version(con)
        if before > code_version():
            _check_version(path, before)
        for version, name, sql in migrations():
            if version <= before:
                continue
            # Each migration commits whole or not at all, so a killed upgrade leaves the old schema.
            con.execute("begin transaction")
            try:
                if version == 1:
                    con.execute(
                        f"create table {META_TABLE} (version integer primary key, name varchar, applied_at timestamp)"
                    )
                con.execute(sql)
                con.execute(
                    f"insert into {META_TABLE} values (?, ?, current_localtimestamp())", [version, name]
                )
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
        con.execute("checkpoint")
        after = schema_version(con)
    finally:
        con.close()
    restrict_permissions(path)
    return before, after


def connect(path: Path | None = None, *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the store, read-only unless asked; refuses a missing store or one of another schema version."""
    path = Path(path or config.default_store())
    if not path.exists():
        raise StoreError(f"no store at {path}; run `hitplan init` (or `hitplan demo`) first")
    con = _open(path, read_only=read_only, wait=config.lock_wait())
    try:
        _check_version(path, schema_version(con))
    except StoreError:
        con.close()
        raise
    return con


@contextmanager
def writing(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with hitplan's memory settings, closed (and permissions kept) on exit."""
    path = Path(path or config.default_store())
    con = connect(path, read_only=False)
    try:
        con.execute(f"set memory_limit = '{config.memory_limit()}'")
        con.execute("set preserve_insertion_order = true")
        yield con
    finally:
        con.close()
        restrict_permissions(path)
