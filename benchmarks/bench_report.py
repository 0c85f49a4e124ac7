"""Benchmark: the full `hitplan report` pack on the demo store, one notebook at a time against two, in one run;
and static chart export, one kaleido batch against one browser start per figure.

Builds (or reuses, with --workdir) the demo hospital's store (scale 1, as `make demo`), then times, each in its own
process, `hitplan report --jobs 1` and `hitplan report --jobs 2` (HTML, PDF and deck), and exports the same set of
house-style charts to PNG as one batch (`hitplan.report.images.figures_to_png`) and figure by figure
(`fig.write_image`, a browser start each).
Targets (issue 6): >= 1.6x speed-up of --jobs 2 over --jobs 1 on 2 cores, <= 0.3 s per exported figure, the whole
pack <= 90 s on 2 cores. Where kaleido's per-figure and batched costs come from: DESIGN.md's measurement
(~2.5 s per `write_image`, 0.28 s per figure batched) on a machine like this one.

    .venv/bin/python benchmarks/bench_report.py [--workdir /tmp/hitplan-report-bench] [--figures 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def _charts(n: int):
    import pandas as pd

    from hitplan import charts

    charts.use_house_style()
    months = pd.date_range("2025-10-01", periods=12, freq="MS")
    figs = []
    for i in range(n):
        df = pd.DataFrame({"month": months, "incidents": [100 + 7 * ((j * (i + 3)) % 11) for j in range(12)]})
        figs.append(charts.trend(df, "month", "incidents", title=f"Incidents per month, chart {i + 1}",
                                 unit="incidents"))
    return figs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, help="keep the demo store here (reused when present)")
    ap.add_argument("--figures", type=int, default=20, help="charts in the image-export comparison (default 20, >= 2)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="hitplan-report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    store = work / "demo.duckdb"
    env = {**os.environ, "HITPLAN_STORE": str(store), "HITPLAN_KEY_FILE": str(work / "key")}
    hitplan = [sys.executable, "-m", "hitplan"]
    if not store.exists():
        print("building the demo store (scale 1)...", flush=True)
        subprocess.run([*hitplan, "--quiet", "demo", "--out", str(work / "files")], env=env, check=True)
    out = {}
    for jobs in (1, 2):
        print(f"hitplan report --jobs {jobs} ...", flush=True)
        out[f"jobs{jobs}_s"] = _run([*hitplan, "report", "--quiet", "--jobs", str(jobs), "--out",
                                     str(work / f"reports-{jobs}")], env)
    manifest = json.loads(next((work / "reports-2").glob("*/manifest.json")).read_text())
    out["notebooks"] = len(manifest["notebooks"])
    out["speedup"] = out["jobs1_s"] / out["jobs2_s"]

    from hitplan.report.images import figures_to_png

    figs = _charts(args.figures)
    t = time.perf_counter()
    figures_to_png(figs[:1], work / "png-one")
    out["batch_start_s"] = time.perf_counter() - t  # a batch of one: the browser start and one figure
    t = time.perf_counter()
    figures_to_png(figs, work / "png-batch")
    batch = time.perf_counter() - t
    out["batch_s_per_figure"] = batch / len(figs)
    out["batch_marginal_s_per_figure"] = (batch - out["batch_start_s"]) / (len(figs) - 1)
    single = figs[: min(5, len(figs))]
    (work / "png-single").mkdir(exist_ok=True)
    t = time.perf_counter()
    for i, fig in enumerate(single):
        fig.write_image(work / "png-single" / f"{i}.png", width=1200, height=675)
    out["single_s_per_figure"] = (time.perf_counter() - t) / len(single)
    out["figure_ratio"] = out["single_s_per_figure"] / out["batch_s_per_figure"]

    print(f"\nfull report pack on the demo store ({out['notebooks']} notebooks, HTML + PDF + deck), {os.cpu_count()} cores")
    print(f"  --jobs 1   {out['jobs1_s']:7.1f} s")
    print(f"  --jobs 2   {out['jobs2_s']:7.1f} s   speed-up {out['speedup']:.2f}x  (target >= 1.6x; pack <= 90 s)")
    print(f"static chart images ({len(figs)} charts)")
    print(f"  one kaleido batch      {out['batch_s_per_figure']:.3f} s per figure on average; "
          f"{out['batch_marginal_s_per_figure']:.3f} s per figure after the browser start of "
          f"{out['batch_start_s']:.1f} s  (target <= 0.3 s)")
    print(f"  write_image per figure {out['single_s_per_figure']:.3f} s per figure  "
          f"({out['figure_ratio']:.1f}x slower than the batch)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
