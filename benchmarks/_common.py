"""What the benchmarks share: running a measured child process (wall seconds, peak RSS, its JSON result)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path


def run_child(args: list[str], env: dict) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS (MB) and stdout of one child process."""
    # output goes to files, so waiting with os.wait4 (for this child's own ru_maxrss) cannot block on a full pipe
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=fout, stderr=ferr, text=True, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the benchmark child {' '.join(args[:4])[:80]!r} failed: {err.strip()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def run_measured(args: list[str], env: dict) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS (MB) and the parsed JSON last line of stdout of one child process."""
    seconds, _cpu, rss, out = run_child(args, env)
    return seconds, rss, json.loads(out.strip().splitlines()[-1])


def synthetic_store(work: Path, scale: float) -> tuple[Path, dict]:
    """The scale-``scale`` synthetic hospital's store in ``work`` (built in a child process unless already there)
    and the environment to run hitplan against it."""
    import sys

    work.mkdir(parents=True, exist_ok=True)
    store_path = work / f"scale-{scale:g}.duckdb"
    env = dict(os.environ, HITPLAN_KEY_FILE=str(work / "bench.key"))
    if not store_path.exists():
        print(f"building the scale-{scale:g} hospital into {store_path} ...", flush=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c",
                        "import sys; from pathlib import Path; from hitplan.pipeline import build_demo; "
                        "build_demo(Path(sys.argv[1]), Path(sys.argv[2]), scale=float(sys.argv[3]))",
                        str(work / "files"), str(store_path), str(scale)], check=True, env=env)
        print(f"  built in {time.perf_counter() - t:.1f} s", flush=True)
    return store_path, env
