"""Workflows over several steps: loading many files, and building the demo hospital's store."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from hitplan import store
from hitplan.errors import InputError
from hitplan.ingest import IngestResult, ingest_file
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


def build_demo(
    out_dir: Path,
    store_path: Path,
    *,
    seed: int = 7,
    scale: float = 1.0,
    progress: Progress | None = None,
) -> list[IngestResult]:
    """Write the synthetic hospital's exports to ``out_dir`` and load them into a new store at ``store_path``.

    Both are built beside their targets and swapped in at the end, so a failed or killed run leaves the
    previous demo files and store as they were.
    """
    from hitplan.synth import generate  # the generator is only needed here

    say = progress or (lambda _m: None)
    out_dir = Path(out_dir)
    store_path = Path(store_path)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=".demo-", dir=out_dir.parent))
    tmp_store = store_path.with_name(f".{store_path.name}.building")
    for p in (tmp_store, Path(f"{tmp_store}.wal")):
        p.unlink(missing_ok=True)
    try:
        say(f"writing the synthetic hospital (seed {seed}, scale {scale:g})")
        generate(tmp_dir, seed=seed, scale=scale, progress=say)
        init_store(tmp_store)
        results = []
        with store.writing(tmp_store) as con:
            for feed, path in feed_files(tmp_dir):
                results.append(ingest_file(con, feed, path, progress=say))
            con.execute("checkpoint")
        missing = sorted(set(feeds()) - {r.feed for r in results})
        if missing:
            raise InputError(f"the demo files lack feeds {', '.join(missing)}", file=str(tmp_dir))
        if out_dir.exists():
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
