"""Workflows over several steps: loading many files, and building the demo hospital's store."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from hitplan import config, store
from hitplan.errors import InputError, StoreError, UsageError
from hitplan.ingest import IngestResult, ingest_file
from hitplan.processes import pid_alive
from hitplan.schema import feeds

Progress = Callable[[str], None]
FILE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".txt", ".tsv")


REFERENCE = Path(__file__).resolve().parent / "reference"
# Public reference data hitplan ships (see hitplan/reference/SOURCES.md), loaded into an empty feed.
SNAPSHOTS = {"kev": REFERENCE / "kev_snapshot.csv", "breaches": REFERENCE / "hhs_ocr_breaches.csv"}


def init_store(path: Path, progress: Progress | None = None) -> tuple[int, int]:
    """Create or upgrade the store, and give empty reference feeds the dated snapshots hitplan ships.

    The CISA KEV catalog and the HHS OCR breach report let security analyses work offline from day one;
    `hitplan ingest kev FILE` (or `breaches FILE`) refreshes them.
    """
    before, after = store.init(path)
    with store.writing(path) as con:
        for feed, snapshot in SNAPSHOTS.items():
            if not store.scalar(con, f"select count(*) from {feed}"):
                ingest_file(con, feed, snapshot, progress=progress)
    return before, after


def feed_files(folder: Path) -> list[tuple[str, Path]]:
    """The (feed, file) pairs in a folder of exports named after their feed, in load order."""
    found = []
    for name in feeds():
        for suffix in FILE_SUFFIXES:
            path = folder / f"{name}{suffix}"
            if path.exists():
                found.append((name, path))
                break
    return found


# Written into every folder `hitplan synth` or `hitplan demo` creates: the folders hitplan may write into again.
DEMO_MARKER = ".hitplan-demo"
# Recorded on a demo store's load log (a table comment): the loads up to this id are the demo's own.
DEMO_COMMENT = re.compile(r"hitplan demo store: loads 1-(\d+) are the demo's")


def synthetic_file_names() -> set[str]:
    """The names of every file `hitplan synth` and `hitplan demo` write into their folder."""
    return {f"{name}{suffix}" for name in feeds() for suffix in FILE_SUFFIXES} | {"ground_truth.json", DEMO_MARKER}


def check_synthetic_folder(folder: Path, *, replaced: bool) -> None:
    """Refuse (UsageError) an export folder hitplan does not own: one that exists, is not empty and holds neither
    hitplan's marker nor only a synthetic hospital's files; with ``replaced`` also a folder holding anything the
    synthetic hospital does not write (replacing the folder would delete it)."""
    folder = Path(folder)
    if not folder.exists():
        return
    if not folder.is_dir():
        raise UsageError(f"{folder} is a file, not a folder; give --out a new or empty folder")
    entries = sorted(e.name for e in folder.iterdir())
    if not entries:
        return
    ours = synthetic_file_names()
    foreign = [n for n in entries if n not in ours or not (folder / n).is_file() or (folder / n).is_symlink()]
    # Folders made before the marker existed are recognized by the ground truth and nothing else.
    owned = (folder / DEMO_MARKER).is_file() or ((folder / "ground_truth.json").is_file() and not foreign)
    if not owned:
        raise UsageError(f"{folder} holds files hitplan did not write ({', '.join(entries[:3])}"
                         f"{', ...' if len(entries) > 3 else ''}); give --out a new or empty folder")
    if replaced and foreign:
        raise UsageError(f"{folder} holds {', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}, which the "
                         "demo did not write and would delete; move it out of the folder or give --out another one")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def foreign_loads(store_path: Path, demo_dir: Path) -> list[str]:
    """The files loaded into a store that are neither a demo's nor the reference snapshots hitplan ships ([] for
    a missing store); a file that cannot be read as a hitplan store counts as foreign, being possibly the hospital's."""
    store_path = Path(store_path)
    if not store_path.exists():
        return []
    try:
        con = store._open(store_path, read_only=True, wait=config.lock_wait())
    except StoreError as exc:
        if "held by another process" in str(exc):
            raise
        return [f"(cannot read it: {str(exc).split('; ')[0]})"]
    try:
        comment = store.scalar(con, "select comment from duckdb_tables() where table_name = 'load_log'")
        loads = con.execute("select load_id, file_name, file_sha256 from load_log order by load_id").fetchall()
    except duckdb.Error as exc:
        return [f"(not a hitplan store: {str(exc).splitlines()[0]})"]
    finally:
        con.close()
    m = DEMO_COMMENT.fullmatch(comment or "")
    demo_loads = int(m.group(1)) if m else 0
    known = {_sha256(p) for p in SNAPSHOTS.values()}
    rest = [(name, sha) for load_id, name, sha in loads if load_id > demo_loads and sha not in known]
    if rest and (Path(demo_dir) / "ground_truth.json").is_file():
        # A demo store made before the comment existed: its loads are the files of the demo folder beside it.
        known |= {_sha256(p) for p in Path(demo_dir).iterdir() if p.is_file() and p.name in synthetic_file_names()}
        rest = [(name, sha) for name, sha in rest if sha not in known]
    return [name for name, _sha in rest]


def _stale_demo_dirs(parent: Path) -> list[Path]:
    """Build folders of demo runs that were killed (their process is gone), beside the demo folder."""
    out = []
    for d in parent.glob(".demo-*"):
        m = re.match(r"\.demo-(\d+)-", d.name)
        if m and d.is_dir() and not pid_alive(int(m.group(1))):
            out.append(d)
    return out


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.resolve(), folder.resolve()
    return path == folder or folder in path.parents


def build_demo(
    out_dir: Path,
    store_path: Path,
    *,
    seed: int = 7,
    scale: float = 1.0,
    replace: bool = False,
    progress: Progress | None = None,
) -> list[IngestResult]:
    """Write the synthetic hospital's exports to ``out_dir`` and load them into a new store at ``store_path``.

    Both are built beside their targets and swapped in at the end, so a failed or killed run leaves the
    previous demo files and store as they were. ``out_dir`` must be new, empty or a demo folder (UsageError
    otherwise), and a store holding loads other than a demo's is replaced only with ``replace``.
    """
    from hitplan.synth import generate  # the generator is only needed here

    say = progress or (lambda _m: None)
    out_dir = Path(out_dir)
    store_path = Path(store_path)
    if _inside(store_path, out_dir):
        raise UsageError(f"the store {store_path} is inside the demo folder {out_dir}, which the demo replaces; "
                         "give --out another folder")
    check_synthetic_folder(out_dir, replaced=True)
    if not replace:
        foreign = foreign_loads(store_path, out_dir)
        if foreign:
            raise UsageError(f"store {store_path} holds loads that are not the demo's ({', '.join(foreign[:3])}"
                             f"{', ...' if len(foreign) > 3 else ''}); give the demo another --store, or add "
                             "--replace to replace that store with the demo's")
    config.make_folders(out_dir.parent)
    config.make_folders(store_path.parent)
    for stale in _stale_demo_dirs(out_dir.parent):
        shutil.rmtree(stale, ignore_errors=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".demo-{os.getpid()}-", dir=out_dir.parent))
    tmp_store = store_path.with_name(f".{store_path.name}.building")
    for p in (tmp_store, Path(f"{tmp_store}.wal")):
        p.unlink(missing_ok=True)
    try:
        say(f"writing the synthetic hospital (seed {seed}, scale {scale:g})")
        (tmp_dir / DEMO_MARKER).write_text("written by hitplan demo; hitplan may replace this folder\n",
                                           encoding="utf-8")
        generate(tmp_dir, seed=seed, scale=scale, progress=say)
        init_store(tmp_store)
        results = []
        with store.writing(tmp_store) as con:
            for feed, path in feed_files(tmp_dir):
                results.append(ingest_file(con, feed, path, progress=say))
            last = store.scalar(con, "select coalesce(max(load_id), 0) from load_log")
            con.execute(f"comment on table load_log is 'hitplan demo store: loads 1-{int(last)} are the demo''s'")
            con.execute("checkpoint")
        missing = sorted(set(feeds()) - {r.feed for r in results})
        if missing:
            raise InputError(f"the demo files lack feeds {', '.join(missing)}", file=str(tmp_dir))
        # Checked again at the swap: another process may have loaded into the store while the demo was built.
        if not replace and foreign_loads(store_path, out_dir):
            raise UsageError(f"store {store_path} received other loads while the demo was built; nothing was "
                             "replaced (add --replace to replace it anyway)")
        if out_dir.exists():
            check_synthetic_folder(out_dir, replaced=True)
            shutil.rmtree(out_dir)
        os.replace(tmp_dir, out_dir)
        os.replace(tmp_store, store_path)
        Path(f"{store_path}.wal").unlink(missing_ok=True)
        for r in results:
            r.file = str(out_dir / Path(r.file).name)
        return results
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        for p in (tmp_store, Path(f"{tmp_store}.wal")):
            p.unlink(missing_ok=True)
