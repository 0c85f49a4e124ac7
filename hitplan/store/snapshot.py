"""Read-only snapshots of the store, so that readers and the writer never hold each other up.

DuckDB allows one read-write process per file, and while a process holds the file read-only a writer
cannot open it (and the other way round). An analyst's notebook left open all afternoon would then
break the night's ingest, and a report run would block an analyst. So readers that live longer than
a command (notebooks, ``hitplan report``) work on a snapshot: a copy of the store taken while holding
the file read-only for the second or two the copy takes, reused as long as the store is unchanged.
The writer waits for that short hold instead of failing (``HITPLAN_LOCK_WAIT`` seconds, default 120).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb

from hitplan import config
from hitplan.errors import StoreError

SNAPSHOT_DIR = ".snapshots"


def _wal(path: Path) -> Path:
    return Path(f"{path}.wal")


def fingerprint(path: Path | None = None) -> str:
    """A short hash that changes whenever the store file (or its write-ahead log) changes."""
    path = Path(path or config.default_store())
    if not path.exists():
        raise StoreError(f"no store at {path}; run `hitplan init` (or `hitplan demo`) first")
    h = hashlib.sha256(str(path.resolve()).encode())
    for p in (path, _wal(path)):
        if p.exists():
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _copy_under_read_lock(path: Path, target: Path, wait: float) -> None:
    """Copy the store (and its WAL) to ``target`` while holding it read-only, so no writer is mid-change."""
    from hitplan.store import _open  # the store package imports this module's neighbours, not the reverse

    con = _open(path, read_only=True, wait=wait)
    try:
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.copyfile(path, tmp)
        if _wal(path).exists():
            shutil.copyfile(_wal(path), Path(f"{tmp}.wal"))
            os.replace(f"{tmp}.wal", _wal(target))
        os.replace(tmp, target)
    finally:
        con.close()


def snapshot(path: Path | None = None, *, wait: float | None = None) -> Path:
    """The path of a read-only copy of the store as it is now (made if the store changed since the last one)."""
    from hitplan.store import restrict_permissions

    path = Path(path or config.default_store())
    wait = config.lock_wait() if wait is None else wait
    folder = path.parent / SNAPSHOT_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    target = folder / f"{path.stem}-{fingerprint(path)}.duckdb"
    if target.exists():
        return target
    _copy_under_read_lock(path, target, wait)
    restrict_permissions(target)
    # Older snapshots of this store are no longer current; readers that still have one open keep their copy
    # (an unlinked file stays readable while open).
    for old in folder.glob(f"{path.stem}-*.duckdb*"):
        if old.name not in (target.name, _wal(target).name):
            old.unlink(missing_ok=True)
    return target


def connect_snapshot(path: Path | None = None, *, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection on a snapshot of the store: it never blocks a writer, and no writer blocks it."""
    from hitplan.store import connect

    return connect(snapshot(path, wait=wait), read_only=True)
