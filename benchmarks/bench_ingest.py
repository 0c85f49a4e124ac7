"""Benchmark: `hitplan ingest` against DuckDB's own COPY ... FROM of the same files, in the same run.

For each scale (default 30 and 100: >= 10 M usage rows and >= 1 M incidents at 100) generates the synthetic
hospital, then for the usage and incidents files times, each in a fresh process and a fresh store:
  baseline  DuckDB `COPY <table> FROM '<file>' (HEADER)` into a table of the same columns (no checks at all);
  hitplan   `hitplan ingest FEED FILE` (independent record count, fingerprint, type and rule checks, key
            de-duplication, pseudonyms, free text scrubbed of names, e-mails and ids, load log) — the command a
            user runs. 2.3 % of the synthetic summaries name a person, as in a real export, so scrubbing replaces
            names, not only searches for them.
Each pair runs ``--repeat`` times, COPY and ingest taking turns, so a busy machine slows both alike; the median
of each is reported, with the CPU seconds (user + system) the process used, which a busy machine disturbs less.
Targets: ratio <= 1.5 (issue 12; issue 14 allows incidents 2 with scrubbing on), peak RSS <= 2 GB.

    .venv/bin/python benchmarks/bench_ingest.py [--scales 30,100] [--repeat 3] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import run_child

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


def _fresh(store: Path) -> None:
    for p in (store, Path(f"{store}.wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(f"{store}.tmp", ignore_errors=True)


def bench_scale(work: Path, scale: float, repeat: int, env: dict) -> list[dict]:
    """Time COPY and `hitplan ingest` of the usage and incidents files of the scale-``scale`` hospital."""
    files = work / f"scale-{scale:g}"
    if not (files / "incidents.csv").exists():
        print(f"generating the scale-{scale:g} hospital into {files} ...", flush=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hitplan", "synth", "--out", str(files), "--scale", str(scale),
                        "--quiet"], check=True, env=env, stdout=subprocess.DEVNULL)
        print(f"  generated in {time.perf_counter() - t:.1f} s", flush=True)
    results = []
    for feed in FEEDS:
        file = files / f"{feed}.csv"
        base_store, ours_store = work / f"copy-{feed}.duckdb", work / f"ingest-{feed}.duckdb"
        copies, ingests = [], []
        for _ in range(repeat):
            _fresh(base_store)
            copy = run_child([sys.executable, "-c", COPY_SCRIPT, str(base_store), feed, str(file)], env)
            copies.append(copy)
            rows = int(copy[3].strip())
            _fresh(ours_store)
            subprocess.run([sys.executable, "-m", "hitplan", "init", "--store", str(ours_store)], check=True, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ours = run_child([sys.executable, "-m", "hitplan", "ingest", feed, str(file), "--store", str(ours_store),
                                 "--format", "json"], env)
            ingests.append(ours)
            res = json.loads(ours[3].strip().splitlines()[-1])
            # .get: the same benchmark also measures hitplan versions from before rows_skipped existed
            counted = res["rows_loaded"] + res.get("rows_merged", 0) + res["rows_rejected"] + res.get("rows_skipped", 0)
            assert res["rows_read"] == counted == rows, (res, rows)
        copy_s, ours_s = (statistics.median(r[0] for r in runs) for runs in (copies, ingests))
        copy_cpu, ours_cpu = (statistics.median(r[1] for r in runs) for runs in (copies, ingests))
        results.append({
            "scale": scale, "feed": feed, "rows": rows, "file_mb": round(file.stat().st_size / 1e6, 1),
            "copy_s": round(copy_s, 2), "ingest_s": round(ours_s, 2), "ratio": round(ours_s / copy_s, 2),
            "copy_cpu_s": round(copy_cpu, 2), "ingest_cpu_s": round(ours_cpu, 2),
            "cpu_ratio": round(ours_cpu / copy_cpu, 2),
            "copy_peak_rss_mb": round(max(r[2] for r in copies)), "ingest_peak_rss_mb": round(max(r[2] for r in ingests)),
            "runs": repeat,
        })
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="30,100", help="synthetic hospital scales, comma-separated (default 30,100)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command; the median is reported (default 3)")
    ap.add_argument("--workdir", type=Path, default=None, help="where the files go (default: a temp folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="hitplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HITPLAN_KEY_FILE=str(work / "bench.key"))
    try:
        results = []
        for scale in (float(s) for s in args.scales.split(",")):
            results += bench_scale(work, scale, args.repeat, env)
        print()
        print(f"{'scale':>5} {'feed':<10} {'rows':>12} {'file MB':>8} {'COPY s':>7} {'ingest s':>9} {'ratio':>6} "
              f"{'COPY cpu':>9} {'ingest cpu':>11} {'cpu ratio':>10} {'ingest RSS MB':>14}")
        for r in results:
            print(f"{r['scale']:>5g} {r['feed']:<10} {r['rows']:>12,} {r['file_mb']:>8} {r['copy_s']:>7} "
                  f"{r['ingest_s']:>9} {r['ratio']:>6} {r['copy_cpu_s']:>9} {r['ingest_cpu_s']:>11} "
                  f"{r['cpu_ratio']:>10} {r['ingest_peak_rss_mb']:>14}")
        print(f"\nmedian of {args.repeat} runs each; targets: ratio <= 1.5 (incidents, with scrubbing: <= 2), "
              "ingest peak RSS <= 2048 MB; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
        if args.json:
            args.json.write_text(json.dumps({"results": results}, indent=2))
        return 0
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
