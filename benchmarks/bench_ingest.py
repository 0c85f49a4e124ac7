"""Benchmark: `hitplan ingest` against DuckDB's own COPY ... FROM of the same files, in the same run.

Generates the synthetic hospital at scale 100 (>= 10 M usage rows, >= 1 M incidents), then for the usage and
incidents files times, each in a fresh process and a fresh store:
  baseline  DuckDB `COPY <table> FROM '<file>' (HEADER)` into a table of the same columns (no checks at all);
  hitplan   `hitplan ingest FEED FILE` (fingerprint, type and rule checks, key de-duplication, pseudonyms,
            load log) — the command a user runs.
Prints wall time, the ratio and each process's peak RSS. Targets (issue 2): ratio <= 1.5, peak RSS <= 2 GB.

    .venv/bin/python benchmarks/bench_ingest.py [--scale 100] [--workdir /tmp/hitplan-bench] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FEEDS = ("usage", "incidents")

COPY_SCRIPT = """
import sys, duckdb
from hitplan import store
path, feed, file = sys.argv[1:4]
store.init(path)
con = duckdb.connect(path)
con.execute("set enable_progress_bar = false")
con.execute("set memory_limit = '1GB'")  # the same limit hitplan ingest runs with
con.execute(f"create table bench as select * exclude (_load_id) from {feed} limit 0")
con.execute(f"copy bench from '{file}' (header)")
print(con.execute("select count(*) from bench").fetchall()[0][0])
con.close()
"""


def run_measured(args: list[str], env: dict) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed: {err.strip()}")
    return seconds, usage.ru_maxrss / 1024, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=100.0, help="synthetic hospital scale (default 100)")
    ap.add_argument("--workdir", type=Path, default=None, help="where the files go (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="hitplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    files = work / "files"
    env = dict(os.environ, HITPLAN_KEY_FILE=str(work / "bench.key"))
    try:
        if not (files / "usage.csv").exists():
            print(f"generating the scale-{args.scale:g} hospital into {files} ...", flush=True)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "hitplan", "synth", "--out", str(files), "--scale", str(args.scale),
                            "--quiet"], check=True, env=env)
            print(f"  generated in {time.perf_counter() - t:.1f} s", flush=True)
        results = []
        for feed in FEEDS:
            file = files / f"{feed}.csv"
            size_mb = file.stat().st_size / 1e6
            base_store = work / f"copy-{feed}.duckdb"
            ours_store = work / f"ingest-{feed}.duckdb"
            for p in (base_store, ours_store):
                for q in (p, Path(f"{p}.wal")):
                    q.unlink(missing_ok=True)
            copy_s, copy_rss, out = run_measured([sys.executable, "-c", COPY_SCRIPT, str(base_store), feed, str(file)], env)
            rows = int(out.strip())
            subprocess.run([sys.executable, "-m", "hitplan", "init", "--store", str(ours_store)], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            ours_s, ours_rss, out = run_measured(
                [sys.executable, "-m", "hitplan", "ingest", feed, str(file), "--store", str(ours_store), "--format", "json"],
                env,
            )
            res = json.loads(out.strip().splitlines()[-1])
            assert res["rows_loaded"] + res["rows_rejected"] == res["rows_read"] == rows, (res, rows)
            results.append({
                "feed": feed, "rows": rows, "file_mb": round(size_mb, 1),
                "copy_s": round(copy_s, 2), "ingest_s": round(ours_s, 2), "ratio": round(ours_s / copy_s, 2),
                "copy_peak_rss_mb": round(copy_rss), "ingest_peak_rss_mb": round(ours_rss),
                "rows_rejected": res["rows_rejected"],
            })
        print()
        print(f"{'feed':<10} {'rows':>12} {'file MB':>8} {'COPY s':>7} {'ingest s':>9} {'ratio':>6} "
              f"{'COPY RSS MB':>12} {'ingest RSS MB':>14}")
        for r in results:
            print(f"{r['feed']:<10} {r['rows']:>12,} {r['file_mb']:>8} {r['copy_s']:>7} {r['ingest_s']:>9} "
                  f"{r['ratio']:>6} {r['copy_peak_rss_mb']:>12} {r['ingest_peak_rss_mb']:>14}")
        print(f"\ntargets: ratio <= 1.5, ingest peak RSS <= 2048 MB; {os.cpu_count()} cores")
        if args.json:
            args.json.write_text(json.dumps({"scale": args.scale, "results": results}, indent=2))
        return 0
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
