"""Read-only snapshots of the store, so that readers and the writer never hold each other up.

DuckDB allows one read-write process per file, and while a process holds the file read-only a writer
cannot open it (and the other way round). An analyst's notebook left open all afternoon would then
break the night's ingest, and a report run would block an analyst. So readers that live longer than
a command (notebooks, ``hitplan report``) work on a snapshot: a copy of the store taken while holding
the file read-only for the second or two the copy takes, reused as long as the store is unchanged.
The writer waits for that short hold instead of failing (``HITPLAN_LOCK_WAIT`` seconds, default 120).

A snapshot is a full copy of the store, so copies are kept only while someone uses them: a reader holds a
shared ``flock`` on the snapshot it reads (a connection from ``connect_snapshot`` until it is closed and
dropped; a process that called ``snapshot`` until it takes a newer one of the same store or exits), and a
snapshot nobody holds is removed as soon as it is not the current copy of an unchanged store: when a newer
snapshot is taken and when a load changes the store.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import weakref
from pathlib import Path

import duckdb

from hitplan import config
from hitplan.errors import StoreError
from hitplan.processes import pid_alive

SNAPSHOT_DIR = ".snapshots"

# The shared lock this process holds, through ``snapshot()``, on the latest snapshot it took of each store.
_HELD: dict[Path, tuple[Path, int]] = {}


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


def _hold(target: Path) -> int | None:
    """A descriptor holding a shared lock on the snapshot ``target``; None when a cleanup removed it first."""
    try:
        fd = os.open(target, os.O_RDONLY)
    except FileNotFoundError:
        return None
    # Waits only while a cleanup holds it exclusively, for the moment it takes to unlink it.
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        current = os.fstat(fd).st_ino == os.stat(target).st_ino
    except FileNotFoundError:
        current = False
    if not current:
        os.close(fd)
        return None
    return fd


def _is_snapshot(path: Path) -> bool:
    return path.parent.name == SNAPSHOT_DIR


def _held_snapshot(path: Path | None, wait: float | None) -> tuple[Path, int]:
    """The current snapshot of the store (made if the store changed since the last one) and a descriptor
    holding a shared lock on it."""
    from hitplan.store import restrict_permissions

    path = Path(path or config.default_store())
    if _is_snapshot(path) and path.exists():
        # Already a snapshot (a report hands its notebooks one): it never changes, so it is its own snapshot.
        fd = _hold(path)
        if fd is not None:
            return path, fd
    wait = config.lock_wait() if wait is None else wait
    folder = path.parent / SNAPSHOT_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    for _attempt in range(5):
        target = folder / f"{path.stem}-{fingerprint(path)}.duckdb"
        if not target.exists():
            _copy_under_read_lock(path, target, wait)
            restrict_permissions(target)
        fd = _hold(target)
        if fd is not None:
            return target, fd
    raise StoreError(f"could not keep a snapshot of store {path} in {folder}: each was removed as it was taken; "
                     "retry, and check that no other program deletes files there")


def snapshot(path: Path | None = None, *, wait: float | None = None) -> Path:
    """The path of a read-only copy of the store as it is now (made if the store changed since the last one),
    kept for this process until it takes a newer snapshot of the same store or exits."""
    path = Path(path or config.default_store())
    target, fd = _held_snapshot(path, wait)
    previous = _HELD.pop(path.resolve(), None)
    _HELD[path.resolve()] = (target, fd)
    if previous is not None:
        os.close(previous[1])
    if target != path:
        remove_unheld_snapshots(path, keep=target)
    return target


def connect_snapshot(path: Path | None = None, *, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection on a snapshot of the store: it never blocks a writer, and no writer blocks it.

    The snapshot is kept while the connection lives (until it is closed and dropped).
    """
    from hitplan.store import connect

    path = Path(path or config.default_store())
    target, fd = _held_snapshot(path, wait)
    try:
        con = connect(target, read_only=True)
    except BaseException:
        os.close(fd)
        raise
    weakref.finalize(con, os.close, fd)
    if target != path:
        remove_unheld_snapshots(path, keep=target)
    return con


def _remove_if_unheld(snap: Path) -> None:
    """Remove a snapshot (its WAL and a killed reader's spill folder with it) when no reader holds it."""
    try:
        fd = os.open(snap, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a reader holds it
        for p in (snap, _wal(snap)):
            p.unlink(missing_ok=True)
        shutil.rmtree(Path(f"{snap}.tmp"), ignore_errors=True)
    finally:
        os.close(fd)


def remove_unheld_snapshots(path: Path, keep: Path | None = None) -> None:
    """Remove the store's snapshots no reader holds (except ``keep``), and copies a killed snapshot left half-made."""
    folder = Path(path).parent / SNAPSHOT_DIR
    if not folder.is_dir():
        return
    stem = Path(path).stem
    try:
        for snap in list(folder.glob(f"{stem}-*.duckdb")) + list(folder.glob(f"{SNAPSHOT_DIR}/*-*.duckdb")):
            if snap != keep:
                _remove_if_unheld(snap)
        for part in folder.glob(f".{stem}-*.duckdb.*.part*"):
            pid = part.name.split(".part")[0].rsplit(".", 1)[-1]
            if pid.isdigit() and not pid_alive(int(pid)):
                part.unlink(missing_ok=True)
        nested = folder / SNAPSHOT_DIR  # snapshots of snapshots, which earlier versions made for report notebooks
        if nested.is_dir() and not any(nested.iterdir()):
            nested.rmdir()
    except OSError:
        pass  # cleanup is best effort: a later call retries
