"""Benchmark: the KPI library (DuckDB SQL models) against the same computations in plain pandas, in one run.

Builds (or reuses, with --workdir) the synthetic hospital's store at scale 100, then, each side in its own
process (peak RSS from os.wait4):
  hitplan   every KPI of the nine areas plus the scorecard, over the last 12 months (read-only store);
  compared  the KPIs on the big feeds (incidents, usage, costs, backups, training) timed alone in hitplan
            and in pandas - read the tables into pandas, then compute - which is what an analyst would do.
Targets (issue 4): >= 10x faster than pandas, the whole KPI set < 30 s at scale 100, peak RSS < 2 GB.

    .venv/bin/python benchmarks/bench_kpis.py [--scale 100] [--workdir /tmp/hitplan-kpi-bench] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _common import run_measured, synthetic_store

AS_OF = "2026-09-30"
COMPARED = [
    ("support", "incident_volume_by_month"), ("support", "mttr_by_priority"),
    ("support", "availability_by_system_month"), ("support", "incidents_per_1000_users_by_system"),
    ("support", "adoption_by_month"), ("support", "top_categories"), ("support", "noisiest_systems"),
    ("costs", "budget_vs_actual_by_pool"), ("costs", "duplicate_postings"),
    ("continuity", "backup_success_by_tier"), ("training", "completion_by_department"),
    ("training", "training_vs_howto_by_department"),
]

HITPLAN_SCRIPT = """
import json, sys, time, datetime as dt
from hitplan import store
from hitplan.kpi import AREAS, area_module, scorecard
from hitplan.periods import resolve_period
path, mode, compared = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
con = store.connect(path)
p = resolve_period(con, "last-12-months", today=dt.date.fromisoformat("%s"))
times = {}
if mode == "all":
    for area in AREAS:
        for name, f in area_module(area).KPIS.items():
            t = time.perf_counter(); f(con, p); times[f"{area}.{name}"] = time.perf_counter() - t
    t = time.perf_counter(); scorecard(con, p); times["scorecard"] = time.perf_counter() - t
else:
    for area, name in compared:
        t = time.perf_counter(); area_module(area).KPIS[name](con, p); times[f"{area}.{name}"] = time.perf_counter() - t
print(json.dumps({"total_s": time.perf_counter() - t0, "times": times}))
""" % AS_OF

PANDAS_SCRIPT = r"""
import json, sys, time
import duckdb, numpy as np, pandas as pd
path = sys.argv[1]
t0 = time.perf_counter()
con = duckdb.connect(path, read_only=True)
read = lambda t: con.sql(f"select * exclude (_load_id) from {t}").df()
times = {}
t = time.perf_counter()
inc, use, costs, budgets, systems, backups, training = (read(x) for x in
    ("incidents", "usage", "costs", "budgets", "systems", "backups", "training"))
times["read_tables"] = time.perf_counter() - t
start, end = pd.Timestamp("2025-10-01"), pd.Timestamp("2026-10-01")
targets = {1: (15, 4), 2: (30, 8), 3: (240, 72), 4: (480, 120), 5: (1440, 720)}
def timed(name, fn):
    t = time.perf_counter(); fn(); times[name] = time.perf_counter() - t
inp = inc[(inc.opened_at >= start) & (inc.opened_at < end)]
def volume():
    months = pd.date_range(start, end, freq="MS", inclusive="left")
    done = inc.resolved_at.fillna(inc.closed_at)
    rows = []
    for m in months:
        me = m + pd.offsets.MonthBegin(1)
        rows.append((m, ((inc.opened_at >= m) & (inc.opened_at < me)).sum(), ((done >= m) & (done < me)).sum(),
                     ((inc.opened_at < me) & (done.isna() | (done >= me)) & ~(done.isna() & (inc.state == "canceled"))).sum()))
    return pd.DataFrame(rows, columns=["month", "opened", "resolved", "backlog"])
def mttr():
    d = inp[inp.state != "canceled"].copy()
    d["ack"] = (d.acknowledged_at - d.opened_at).dt.total_seconds() / 60
    d["res"] = (d.resolved_at - d.opened_at).dt.total_seconds() / 3600
    d["ackt"] = d.priority.map(lambda p: targets.get(p, (np.nan, np.nan))[0])
    d["rest"] = d.priority.map(lambda p: targets.get(p, (np.nan, np.nan))[1])
    return d.groupby("priority").agg(n=("number", "size"), mtta=("ack", "mean"), mttr=("res", "mean"),
        ack_met=("ack", lambda s: (s <= d.loc[s.index, "ackt"]).mean()), res_met=("res", lambda s: (s <= d.loc[s.index, "rest"]).mean()))
def availability():
    o = inp.assign(month=inp.opened_at.dt.to_period("M")).groupby(["system_id", "month"]).outage_minutes.sum()
    months = pd.period_range(start, end - pd.Timedelta(days=1), freq="M")
    grid = pd.MultiIndex.from_product([systems.system_id, months], names=["system_id", "month"])
    o = o.reindex(grid, fill_value=0).reset_index()
    o["minutes"] = o.month.dt.days_in_month * 1440
    o["availability_pct"] = 100 * (1 - o.outage_minutes / o.minutes)
    return o
u = use[(use.day >= start) & (use.day < end)]
def per_1000():
    daily = u.groupby(["system_id", "day"]).active_users.sum().groupby("system_id").mean()
    n = inp.groupby("system_id").size()
    return (1000 * n.reindex(daily.index, fill_value=0) / daily.replace(0, np.nan)).sort_values()
def adoption():
    daily = u.groupby(["system_id", "day"])[["active_users", "sessions"]].sum().reset_index()
    daily["month"] = daily.day.dt.to_period("M")
    m = daily.groupby(["system_id", "month"]).agg(users=("active_users", "mean"), sessions=("sessions", "sum")).reset_index()
    return m.merge(systems[["system_id", "category"]]).groupby(["month", "category"])[["users", "sessions"]].sum()
def top():
    return inp.category.value_counts().head(10)
def noisy():
    return inp.groupby("system_id").agg(n=("number", "size"), p12=("priority", lambda s: (s <= 2).sum()),
                                        outage=("outage_minutes", "sum")).sort_values("n", ascending=False).head(10)
cp = costs[(costs.posting_date >= start) & (costs.posting_date < end)]
def budget():
    a = cp.assign(month=cp.posting_date.dt.to_period("M")).groupby(["month", "cost_pool"]).amount.sum()
    b = budgets[(budgets.month >= start) & (budgets.month < end)].assign(month=lambda x: x.month.dt.to_period("M"))
    b = b.groupby(["month", "cost_pool"]).amount.sum()
    j = pd.concat([b.rename("budget"), a.rename("actual")], axis=1).fillna(0).reset_index()
    return j.groupby("cost_pool")[["budget", "actual"]].sum().assign(ratio=lambda x: x.actual / x.budget)
def dups():
    c = costs.dropna(subset=["vendor_id", "invoice_number"])
    return c[c.duplicated(["vendor_id", "invoice_number", "amount"], keep=False)]
def backup():
    b = backups[(backups.started_at >= start) & (backups.started_at < end)].merge(systems[["system_id", "criticality_tier"]], how="left")
    return b.groupby(b.criticality_tier.fillna(0)).status.agg(jobs="size", failed=lambda s: (s == "failed").sum())
def completion():
    t = training[(training.due_on >= start) & (training.due_on < end)]
    return t.groupby("department").completed_on.agg(n="size", done=lambda s: (s < end).sum())
def howto():
    ehr = systems[systems.category == "ehr"].system_id
    users = u[u.system_id.isin(ehr)].groupby("department").active_users.mean()
    h = inp[inp.category == "how-to"].groupby("department").size()
    t = training[(training.due_on >= start) & (training.due_on < end) & training.system_id.isin(ehr)]
    c = t.groupby("department").completed_on.apply(lambda s: 100 * (s < end).mean())
    return pd.concat([users, h, c], axis=1)
for name, fn in [("support.incident_volume_by_month", volume), ("support.mttr_by_priority", mttr),
                 ("support.availability_by_system_month", availability),
                 ("support.incidents_per_1000_users_by_system", per_1000), ("support.adoption_by_month", adoption),
                 ("support.top_categories", top), ("support.noisiest_systems", noisy),
                 ("costs.budget_vs_actual_by_pool", budget), ("costs.duplicate_postings", dups),
                 ("continuity.backup_success_by_tier", backup), ("training.completion_by_department", completion),
                 ("training.training_vs_howto_by_department", howto)]:
    timed(name, fn)
print(json.dumps({"total_s": time.perf_counter() - t0, "times": times,
                  "rows": {"incidents": len(inc), "usage": len(use), "costs": len(costs), "backups": len(backups),
                           "training": len(training)}}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=100.0, help="synthetic hospital scale (default 100)")
    ap.add_argument("--workdir", type=Path, default=None, help="where the store goes; reused when present")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = ap.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="hitplan-kpi-bench-"))
    store_path, env = synthetic_store(work, args.scale)
    compared = json.dumps(COMPARED)
    all_s, all_rss, all_res = run_measured([sys.executable, "-c", HITPLAN_SCRIPT, str(store_path), "all", compared], env)
    sub_s, sub_rss, sub_res = run_measured([sys.executable, "-c", HITPLAN_SCRIPT, str(store_path), "some", compared], env)
    pd_s, pd_rss, pd_res = run_measured([sys.executable, "-c", PANDAS_SCRIPT, str(store_path)], env)

    print(f"\nscale {args.scale:g}: {pd_res['rows']}; {os.cpu_count()} cores")
    print(f"whole KPI set ({len(all_res['times']) - 1} KPIs + scorecard): {all_s:.1f} s wall, "
          f"{all_res['total_s']:.1f} s in-process, peak RSS {all_rss:.0f} MB")
    print(f"\n{'KPI':<48} {'hitplan s':>10} {'pandas s':>10}")
    for area, name in COMPARED:
        key = f"{area}.{name}"
        print(f"{key:<48} {sub_res['times'][key]:>10.3f} {pd_res['times'][key]:>10.3f}")
    print(f"{'(pandas: reading the tables into pandas)':<48} {'':>10} {pd_res['times']['read_tables']:>10.3f}")
    ratio = pd_s / sub_s
    print(f"\nthe {len(COMPARED)} compared KPIs, whole process: hitplan {sub_s:.1f} s (peak RSS {sub_rss:.0f} MB), "
          f"pandas {pd_s:.1f} s (peak RSS {pd_rss:.0f} MB): {ratio:.1f}x")
    print("targets: >= 10x faster than pandas, whole KPI set < 30 s, peak RSS < 2048 MB")
    if args.json:
        args.json.write_text(json.dumps({"scale": args.scale, "all_s": all_s, "all_rss_mb": all_rss,
                                         "compared_s": sub_s, "compared_rss_mb": sub_rss, "pandas_s": pd_s,
                                         "pandas_rss_mb": pd_rss, "ratio": ratio, "hitplan": all_res,
                                         "hitplan_compared": sub_res, "pandas": pd_res}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
