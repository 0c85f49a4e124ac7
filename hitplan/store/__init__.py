"""The DuckDB store: opening it (read-only unless writing), schema migrations and file permissions."""

from __future__ import annotations

import os
import re
import shutil
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


# Words in DuckDB's messages that say the file itself is damaged (not locked, missing or of another version).
_DAMAGE_SIGNS = ("not a valid duckdb database file", "could not read enough bytes", "corrupt", "checksum",
                 "serializ", "failed to deserialize")
# A DuckDB file holds a 4 KiB main header and two 4 KiB database headers before its blocks.
_HEADERS_BYTES = 3 * 4096


def truncation(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """What is missing from a store file shorter than its header says (DuckDB opens such a file and fails only on
    the first read of a lost block), or None when it is whole.

    The file's size comes from stat, never from opening it: closing any descriptor of the file would drop the
    lock DuckDB holds on it for this process.
    """
    try:
        _name, _size, block_size, _total, used, *_ = con.execute("pragma database_size").fetchall()[0]
        size = os.stat(path).st_size
    except (duckdb.Error, OSError, ValueError, IndexError):
        return None  # nothing to compare: DuckDB's own checks apply
    # Used blocks, not total: DuckDB cuts free blocks off the end of the file while still counting them. A block's
    # place in the file is its id, so a whole file holds at least as many blocks as are in use.
    expected = _HEADERS_BYTES + int(used) * int(block_size)
    if size >= expected:
        return None
    return f"the file is {size:,} bytes but holds {used:,} blocks in use ({expected:,} bytes): its end is missing"


def damage_error(path: Path, text: str) -> StoreError | None:
    """The "store damaged" error for a DuckDB message saying the store file at ``path`` is damaged, else None."""
    low = text.lower()
    names_store = str(path) in text or Path(path).name in text or "database file" in low
    if not (names_store and any(sign in low for sign in _DAMAGE_SIGNS)):
        return None
    return damaged(path, text.splitlines()[0])


def damaged(path: Path, what: str) -> StoreError:
    """The error every command gives for a damaged store: what is wrong, and how to recover."""
    return StoreError(f"store damaged: {path}: {what}; restore it from a backup or rebuild it (move it aside, "
                      "`hitplan init`, then ingest the exports again)")


def _open(path: Path, read_only: bool, wait: float = 0.0, settings: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Open the file, waiting up to ``wait`` seconds while another process holds it (one notice on stderr).

    ``settings`` go to DuckDB as the connection's configuration, never as SQL text.
    """
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=settings or {})
            break
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise damage_error(path, text) or StoreError(
                    f"cannot open store {path}: {text.splitlines()[0]}") from exc
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
            raise damage_error(path, str(exc)) or StoreError(
                f"cannot open store {path}: {str(exc).splitlines()[0]}") from exc
    # Checked while holding the file, so no writer in another process is growing or shrinking it meanwhile.
    lost = truncation(con, path)
    if lost:
        con.close()
        raise damaged(path, lost)
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
    """Make a store file and its write-ahead log readable by its owner only, or by the share group when one is
    set (config.restrict_mode)."""
    gid = config.share_gid()
    for p in (path, Path(f"{path}.wal")):
        if p.exists():
            config.restrict_mode(p, gid)


def init(path: Path | None = None) -> tuple[int, int]:
    """Create or upgrade the store to this hitplan's schema; returns (version before, version after)."""
    path = Path(path or config.default_store())
    config.make_folders(path.parent)  # owner-only, or reachable by the share group
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


def connect(path: Path | None = None, *, read_only: bool = True,
            settings: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Open the store, read-only unless asked; refuses a missing store or one of another schema version."""
    path = Path(path or config.default_store())
    if not path.exists():
        raise StoreError(f"no store at {path}; run `hitplan init` (or `hitplan demo`) first")
    con = _open(path, read_only=read_only, wait=config.lock_wait(), settings=settings)
    try:
        _check_version(path, schema_version(con))
    except StoreError:
        con.close()
        raise
    except duckdb.Error as exc:
        con.close()
        raise damage_error(path, str(exc)) or StoreError(
            f"cannot read store {path}: {str(exc).splitlines()[0]}") from exc
    return con


def spill_dir(path: Path) -> Path:
    """The folder (0700, beside the store) where a writing connection spills what does not fit in memory."""
    return path.parent / f".{path.name}.tmp"


def _remove_stale_spill(path: Path) -> None:
    """Remove spill files a killed writer left; only called while holding the store for writing, so no other
    process can be using them."""
    legacy = Path(f"{path}.tmp")  # DuckDB's default spill folder, used before hitplan set its own
    if legacy.is_dir():
        shutil.rmtree(legacy, ignore_errors=True)
    own = spill_dir(path)
    for entry in own.iterdir() if own.is_dir() else ():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@contextmanager
def writing(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection with hitplan's memory settings, closed (and permissions kept) on exit.

    Spill files go to a 0700 folder beside the store (they hold rows of the files being loaded); those a killed
    run left are removed on opening, and unheld snapshots of the store on closing, since the store has changed.
    """
    from hitplan.store.snapshot import remove_unheld_snapshots

    path = Path(path or config.default_store())
    spill = spill_dir(path)
    settings = {"memory_limit": config.memory_limit(), "temp_directory": str(spill.absolute()),
                "preserve_insertion_order": True}
    # The WAL DuckDB makes at the first write holds the rows being loaded, and a killed run leaves it behind:
    # owner-only from its first byte (restrict_permissions only runs on a clean close).
    old_umask = os.umask(0o077)
    try:
        con = connect(path, read_only=False, settings=settings)
    except BaseException:
        os.umask(old_umask)
        raise
    try:
        # Made while holding the store, so no other writer removes it before DuckDB (which would then make it
        # with default permissions) first spills into it.
        _remove_stale_spill(path)
        spill.mkdir(mode=0o700, exist_ok=True)
        os.chmod(spill, 0o700)
        yield con
    finally:
        try:
            _remove_if_empty(spill)  # still holding the store; a folder with spill files stays, 0700, for the next start
            con.close()
            restrict_permissions(path)
            remove_unheld_snapshots(path)
        finally:
            os.umask(old_umask)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
