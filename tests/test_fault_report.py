"""Fault injection into `hitplan report` (issue 12): a run killed at a named point leaves the previous pack
byte-identical (or, killed after the swap, the new pack complete), the store unchanged, everything in reports/
private and no process behind, and the next run recovers.

Each point tried costs a whole report run, so the suite tries a seeded sample: ``HITPLAN_FAULT_SEED`` (default
2027), ``HITPLAN_FAULT_EARLY``, how many of the points before the notebooks run (default 2) and
``HITPLAN_FAULT_LATE``, how many of those after (default 2, always the one that sets the old pack aside, whose
recovery is tried too); ``all`` for every one (``make exhaustive`` tries every point of both fault suites)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import live_processes

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds processes in Linux's /proc")]

ONLY = "data_quality"  # the fastest notebook (about 4 s): every run below is a whole report run
# Before any notebook runs: a kill there costs a few seconds.
EARLY = ["report.after_snapshot", "report.after_lock", "report.after_recover", "report.after_build_folder",
         "report.after_seed"]
# After the notebooks, in the order a run reaches them, with the pack a reader finds after a kill there.
LATE = {"report.worker.after_execute": "old", "report.after_notebook": "old", "report.before_index": "old",
        "report.after_index": "old", "report.after_manifest": "old", "report.after_restrict": "old",
        "report.before_swap": "old", "report.after_aside": "old", "report.after_swap": "new",
        "report.after_cleanup": "new"}
ASIDE, RECOVER = "report.after_aside", "report.recover.after_restore"  # the run after ASIDE reaches RECOVER
WORKER = "report.worker.after_execute"  # kills a worker: the run itself fails (exit 6), it is not killed


def _picked(seed: int, early: str, late: str) -> list[str]:
    """The fault points to try, in run order: a seeded sample of the early ones, ASIDE and then RECOVER, and a
    seeded sample of the other late ones."""
    rng = random.Random(seed)
    first = set(rng.sample(EARLY, len(EARLY) if early == "all" else min(int(early), len(EARLY))))
    others = [p for p in LATE if p != ASIDE]
    count = len(others) if late == "all" else max(0, int(late) - 1)
    sample = set(rng.sample(others, min(count, len(others)))) | {ASIDE}
    points = [p for p in EARLY if p in first] + [p for p in LATE if p in sample]
    at = points.index(ASIDE) + 1
    return points[:at] + [RECOVER] + points[at:]


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _store_digest(path: Path) -> str:
    h = hashlib.sha256()
    for p in (path, Path(f"{path}.wal")):
        h.update(p.read_bytes() if p.exists() else b"-")
    return h.hexdigest()


def _loose_modes(folder: Path) -> list[str]:
    return [f"{p} {oct(p.stat().st_mode & 0o777)}" for p in [folder, *folder.rglob("*")]
            if p.stat().st_mode & 0o777 != (0o700 if p.is_dir() else 0o600)]


def _complete(folder: Path) -> bool:
    """Whether a pack holds every file its manifest lists, byte for byte, and the report of this run."""
    manifest = json.loads((folder / "manifest.json").read_text())
    names = {e["name"] for e in manifest["notebooks"]}
    return ({k: v for k, v in _digests(folder).items() if k != "manifest.json"} == manifest["files"]
            and set(ONLY.split(",")) <= names)


def test_a_report_killed_at_any_fault_point_leaves_a_whole_pack_and_recovers(tmp_path):
    from hitplan.pipeline import build_demo

    seed = int(os.environ.get("HITPLAN_FAULT_SEED", "2027"))
    early, late = os.environ.get("HITPLAN_FAULT_EARLY", "2"), os.environ.get("HITPLAN_FAULT_LATE", "2")
    store, reports = tmp_path / "store.duckdb", tmp_path / "reports"
    build_demo(tmp_path / "files", store, scale=0.05)
    store_digest = _store_digest(store)
    base_env = {k: v for k, v in os.environ.items() if k not in ("HITPLAN_HOME", "HITPLAN_FAULT")}

    def report(fault: str | None) -> subprocess.CompletedProcess:
        mark = f"hitplan-fault-{uuid.uuid4().hex}"
        env = {**base_env, "HITPLAN_TEST_RUN": mark, **({"HITPLAN_FAULT": fault} if fault else {})}
        done = subprocess.run([sys.executable, "-m", "hitplan", "report", "--only", ONLY, "--formats", "html",
                               "--jobs", "2", "--store", str(store), "--out", str(reports)],
                              env=env, capture_output=True, text=True, timeout=600)
        deadline = time.monotonic() + 10
        while live_processes(mark) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live_processes(mark) == {}, f"{fault}: processes left behind"
        assert _store_digest(store) == store_digest, f"{fault}: the store changed"
        assert _loose_modes(reports) == [], fault
        return done

    first = report(None)
    assert first.returncode == 0, first.stderr
    (final,) = [p for p in reports.iterdir() if not p.name.startswith(".")]
    assert _complete(final)
    current = _digests(final)

    points = _picked(seed, early, late)
    for point in points:
        where = f"seed {seed}, point {point}"
        done = report(point)
        if point == WORKER:
            assert done.returncode == 6 and "report process died" in done.stderr, f"{where}: {done.stderr[-800:]}"
        else:
            assert done.returncode == -9, f"{where}: not killed there (exit {done.returncode}): {done.stderr[-800:]}"
        if point == ASIDE:  # no pack in place until the next run puts the previous one back
            (aside,) = reports.glob(f".{final.name}.previous-*")
            assert not final.exists() and _digests(aside) == current, where
        elif LATE.get(point) == "new":
            assert _complete(final) and _digests(final) != current, where
            current = _digests(final)
        else:
            assert _digests(final) == current, where

    last = report(None)
    assert last.returncode == 0, last.stderr
    assert _complete(final)
    assert sorted(p.name for p in reports.iterdir()) == [f".{final.name}.lock", final.name]
