"""Benchmark: the forecasting and pattern-finding models of hitplan.forecast on the scale-10 synthetic hospital.

Builds (or reuses, with --workdir) the scale-10 store, then in one child process (peak RSS from os.wait4) times,
as of the store's last data day:
  volume/system    incident_volume_forecast by system (4 backtest origins + the final fit, 3 models each)
  volume/category  incident_volume_forecast by category
  anomalies        cost_anomalies over the whole window (every planted anomaly is in it)
  themes           incident_themes over the last 12 months
  outage           outage_risk (4 backtest origins + the final fit of the calibrated classifier)
and, in the same process, the baseline it must be worth its cost against: the seasonal-naive backtest alone on the
same two panels (what a forecast costs without a model). The ratio printed is the models' time over that baseline's.
The accuracy figures of the run (MASE, coverage, precision/recall, Brier) are printed too.
Target (issue 7): all models on the scale-10 synthetic hospital in < 60 s on 2 cores.

    .venv/bin/python benchmarks/bench_models.py [--scale 10] [--workdir /tmp/hitplan-model-bench] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _common import run_measured, synthetic_store

CHILD = r"""
import datetime as dt, json, sys, time
t0 = time.perf_counter()
from hitplan import store
from hitplan.forecast import (anomaly_precision_recall, cost_anomalies, incident_themes, incident_volume_forecast,
                              outage_risk, planted_cost_anomalies)
from hitplan.forecast.backtest import backtest_metrics, rolling_origin, seasonal_naive_forecaster
from hitplan.forecast import volume
from hitplan.periods import Period, latest_data_date, resolve_period
from hitplan.synth import GroundTruth
imports = time.perf_counter() - t0
path, truth_path = sys.argv[1], sys.argv[2]
truth = GroundTruth.load(truth_path)
con = store.connect(path)
as_of = latest_data_date(con)
year = resolve_period(con, "last-12-months", today=as_of)
whole = Period("window", dt.date.fromisoformat(truth.start), as_of + dt.timedelta(days=1))
times, metrics = {}, {}
def timed(name, fn):
    t = time.perf_counter(); r = fn(); times[name] = time.perf_counter() - t; return r
for by in ("system", "category"):
    f = timed(f"volume/{by}", lambda: incident_volume_forecast(con, as_of, by=by, seed=7))
    metrics[f"volume/{by}"] = {"backtest": f.attrs["backtest"], "note": f.attrs["note"]}
a = timed("anomalies", lambda: cost_anomalies(con, whole))
metrics["anomalies"] = anomaly_precision_recall(a, planted_cost_anomalies(truth, whole)).to_dict(orient="records")
th = timed("themes", lambda: incident_themes(con, year, seed=7))
metrics["themes"] = th[["theme", "top_terms", "incidents"]].to_dict(orient="records")
r = timed("outage", lambda: outage_risk(con, as_of, seed=7))
metrics["outage"] = {k: v for k, v in r.attrs["backtest"].items() if k != "reliability"}
# the baseline: the seasonal-naive backtest alone on the same panels
from hitplan.periods import complete_quarters, fiscal_year_start_month
base = 0.0
for by in ("system", "category"):
    t = time.perf_counter()
    first = con.execute("select cast(min(opened_at) as date) from int_incidents").fetchall()[0][0]
    _, panel = volume._panel(con, by, complete_quarters(first, as_of, fiscal_year_start_month(con)))
    bt = rolling_origin(panel, {"baseline": seasonal_naive_forecaster(4)}, origins=4, horizon=4, season=4)
    backtest_metrics(bt, ["baseline"], [])
    base += time.perf_counter() - t
con.close()
print(json.dumps({"imports_s": imports, "times": times, "baseline_s": base, "metrics": metrics,
                  "as_of": as_of.isoformat()}, default=str))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=10.0, help="synthetic hospital scale (default 10)")
    ap.add_argument("--workdir", type=Path, default=None, help="where the store goes; reused when present")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="hitplan-model-bench-"))
    store_path, env = synthetic_store(work, args.scale)
    wall, rss, res = run_measured([sys.executable, "-c", CHILD, str(store_path),
                                   str(work / "files" / "ground_truth.json")], env)
    models = sum(res["times"].values())
    print(f"\nscale {args.scale:g}, as of {res['as_of']}; {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'model':<18} {'seconds':>8}")
    for name, s in res["times"].items():
        print(f"{name:<18} {s:>8.2f}")
    print(f"{'all models':<18} {models:>8.2f}   (+ {res['imports_s']:.1f} s imports; whole process {wall:.1f} s "
          f"wall, peak RSS {rss:.0f} MB)")
    print(f"baseline (seasonal-naive backtest alone, same panels): {res['baseline_s']:.2f} s; the volume models cost "
          f"{(res['times']['volume/system'] + res['times']['volume/category']) / max(res['baseline_s'], 1e-9):.0f}x "
          "that")
    m = res["metrics"]
    for by in ("system", "category"):
        allh = m[f"volume/{by}"]["backtest"][-1]
        print(f"volume/{by}: MASE model {allh['model_mase']:.3f} vs baseline {allh['baseline_mase']:.3f}; 80 % "
              f"interval coverage {allh['model_coverage_pct']:.0f} % vs {allh['baseline_coverage_pct']:.0f} % "
              f"({allh['forecasts']} backtest forecasts); {m[f'volume/{by}']['note']}")
    pr = {r["kind"]: r for r in m["anomalies"]}["all"]
    print(f"anomalies: recall {pr['recall_pct']:.0f} % ({pr['found']}/{pr['planted']}), precision "
          f"{pr['precision_pct']:.0f} % ({pr['flagged_planted']}/{pr['flagged']} flagged lines)")
    o = m["outage"]
    print(f"outage: Brier {o['brier_model']:.4f} model vs {o['brier_base_rate']:.4f} base rate "
          f"(skill {o['brier_skill_pct']:.0f} %, {o['forecasts']} forecasts, {o['events']} events); shown: {o['shown']}")
    verdict = "meets" if models < 60 else "MISSES"
    print(f"target (issue 7): all models < 60 s on 2 cores: {models:.1f} s, {verdict} it")
    if args.json:
        args.json.write_text(json.dumps({"scale": args.scale, "wall_s": wall, "rss_mb": rss, "models_s": models,
                                         **res}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
