"""Benchmark: the KPI library (DuckDB SQL models) against the same computations in plain pandas, in one run.

Builds (or reuses, with --workdir) the synthetic hospital's store at scale 100, then, each side in its own
process (peak RSS from os.wait4):
  hitplan   every KPI of the nine areas plus the scorecard, over the last 12 months (read-only store);
  compared  the KPIs on the big feeds (incidents, usage, costs, backups, training) timed alone in hitplan
            and in pandas - read the tables into pandas, then compute - which is what an analyst would do.
Targets (issue 4): >= 10x faster than pandas, the whole KPI set < 30 s at scale 100, peak RSS < 2 GB.
The pandas versions follow the KPI definitions of issue 16 (populations and rules as the SQL); a few headline
figures from both sides are compared at the end (HEADLINES), so a drift between the two shows.

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
# headline figures both sides report (key: label, relative tolerance). P1 MTTR gets 0.1 %: hitplan counts real
# elapsed time in the hospital's time zone (a ticket open across a DST change), pandas subtracts wall-clock times.
# The SLA figure is exact while the tool's made_sla decides every resolved ticket (as in the synthetic export); where
# it is blank, one ticket within an hour of its target across a DST change could flip between the two sides.
HEADLINES = {
    "p1_mttr_hours": ("P1 MTTR, hours (net of on-hold time)", 1e-3),
    "p1_resolve_sla_pct": ("P1 resolved within SLA, % (tool's made_sla first)", 1e-9),
    "on_time_pct": ("training completed on time (by the due day), %", 1e-9),
    "backup_systems": ("systems that should be backed up", 0),
    "backup_gaps": ("... of them with no job or only failed jobs", 0),
    "availability_blank": ("system-months outside the incidents export (blank)", 0),
    "not_comparable": ("systems not comparable per 1,000 users", 0),
}

HITPLAN_SCRIPT = """
import json, sys, time, datetime as dt
from hitplan import store
from hitplan.kpi import AREAS, area_module, scorecard
from hitplan.periods import resolve_period
path, mode, compared = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
con = store.connect(path)
p = resolve_period(con, "last-12-months", today=dt.date.fromisoformat("%s"))
times, results = {}, {}
if mode == "all":
    for area in AREAS:
        for name, f in area_module(area).KPIS.items():
            t = time.perf_counter(); f(con, p); times[f"{area}.{name}"] = time.perf_counter() - t
    t = time.perf_counter(); scorecard(con, p); times["scorecard"] = time.perf_counter() - t
else:
    for area, name in compared:
        t = time.perf_counter(); results[f"{area}.{name}"] = area_module(area).KPIS[name](con, p)
        times[f"{area}.{name}"] = time.perf_counter() - t
total_s, headline = time.perf_counter() - t0, {}
if results:
    m = results["support.mttr_by_priority"].set_index("priority").loc[1]
    c, b = results["training.completion_by_department"], results["continuity.backup_success_by_tier"]
    headline = {"p1_mttr_hours": float(m.mttr_hours), "p1_resolve_sla_pct": float(m.resolve_sla_met_pct),
                "on_time_pct": float(100 * c.on_time.sum() / c.assignments.sum()),
                "backup_systems": int(b.systems.sum()), "backup_gaps": int((b.no_job_systems + b.only_failed_systems).sum()),
                "availability_blank": int(results["support.availability_by_system_month"].availability_pct.isna().sum()),
                "not_comparable": int((~results["support.incidents_per_1000_users_by_system"].comparable.astype(bool)).sum())}
print(json.dumps({"total_s": total_s, "times": times, "headline": headline}))
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
results = {}
def timed(name, fn):
    t = time.perf_counter(); results[name] = fn(); times[name] = time.perf_counter() - t
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
    # ITIL 4 / HDI (issue 16): tickets opened in the period with a priority, canceled ones in no count. Resolution time
    # is open to resolved less the SLA-paused time (on_hold_hours), never below 0 (calendar time where the pause is
    # blank). SLA outcome: the tool's made_sla where present, else the net time against the target; a ticket still
    # open at the period end is a miss once older than its target, else not yet known. (Every resolved or closed
    # ticket in the synthetic export has its times, so the SQL's fallbacks to the tool's durations never apply.)
    d = inp[inp.priority.notna() & (inp.state != "canceled")]
    d = d.join(pd.DataFrame.from_dict(targets, orient="index", columns=["ack_t", "res_t"]), on="priority")
    done = d.resolved_at.fillna(d.closed_at)
    resolved = (done.notna() | d.state.isin(["resolved", "closed"])) & ~(done >= end)
    acked = d.acknowledged_at < end
    age = (end - d.opened_at).dt.total_seconds() / 3600
    ack = (d.acknowledged_at - d.opened_at).dt.total_seconds() / 60
    gross = (done - d.opened_at).dt.total_seconds() / 3600
    res = (gross - d.on_hold_hours).clip(lower=0).fillna(gross).where(resolved)
    met = np.select([~resolved & (age > d.res_t), ~resolved, d.made_sla.notna()],
                    [0.0, np.nan, d.made_sla.astype(float)], (res <= d.res_t).astype(float))
    d = d.assign(ack=ack.where(acked), res=res, res_met=100 * met,
                 ack_met=(100 * (ack <= d.ack_t)).where(acked | (age * 60 > d.ack_t)))
    return d.groupby("priority").agg(incidents=("number", "size"), mtta_minutes=("ack", "mean"), mttr_hours=("res", "mean"),
        median_mttr_hours=("res", "median"), ack_sla_met_pct=("ack_met", "mean"), resolve_sla_met_pct=("res_met", "mean"),
        resolved_incidents=("res", "count")).reset_index()
def availability():
    # ITIL 4 availability (issue 16): 24 x 7 minutes less the outage minutes of the system's incidents opened in the
    # month; a month the incidents export does not cover (no ticket opened, resolved, closed or updated in it) is
    # blank, not 100 %.
    events = pd.concat([inc.opened_at, inc.resolved_at, inc.closed_at, inc.updated_at])
    covered = events[(events >= start) & (events < end)].dt.to_period("M").unique()
    o = inp[inp.system_id.notna() & (inp.outage_minutes > 0)]
    o = o.assign(month=o.opened_at.dt.to_period("M")).groupby(["system_id", "month"]).outage_minutes.sum()
    months = pd.period_range(start, end - pd.Timedelta(days=1), freq="M")
    grid = pd.MultiIndex.from_product([systems.system_id, months], names=["system_id", "month"])
    o = o.reindex(grid, fill_value=0).reset_index()
    o["minutes"] = o.month.dt.days_in_month * 1440
    o["covered"] = o.month.isin(covered)
    o["availability_pct"] = (100 * (1 - o.outage_minutes / o.minutes)).clip(lower=0).where(o.covered)
    return o
u = use[(use.day >= start) & (use.day < end)]
def per_1000():
    # HDI tickets per user over one population (issue 16): the system's average daily active users in the departments
    # its usage covers, and only the tickets those departments raised (case- and space-insensitive); where they raise
    # under 80 % of the system's tickets the row is not comparable (no rate).
    users = u.groupby("system_id").active_users.sum() / u.groupby("system_id").day.nunique()
    depts = u[["system_id", "department"]].drop_duplicates()
    depts = depts.assign(dept=depts.department.str.strip().str.lower())[["system_id", "dept"]].drop_duplicates()
    t = inp.loc[inp.system_id.isin(users.index), ["system_id", "department"]]
    t = t.assign(dept=t.department.str.strip().str.lower()).merge(depts.assign(same=True), how="left")
    n = t.groupby("system_id").agg(system_incidents=("dept", "size"), incidents=("same", "count"))
    r = pd.concat([users.rename("users"), n], axis=1).fillna({"system_incidents": 0, "incidents": 0})
    r["comparable"] = (r.system_incidents == 0) | (100 * r.incidents / r.system_incidents >= 80)
    r["per_1000"] = (1000 * r.incidents / r.users.replace(0, np.nan)).where(r.comparable)
    return r.sort_values("per_1000", ascending=False)
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
    # HIPAA 164.308(a)(7) (issue 16): the population is every system that should be backed up (holds PHI or has an
    # RPO; not SaaS, network or end-user gear, or a medical-device network) plus any system with a job in the period;
    # a system with no job, or only failed jobs, is a gap (counted, not left out). Job success over those systems.
    b = backups[(backups.started_at >= start) & (backups.started_at < end)]
    jobs = b.assign(failed=b.status == "failed").groupby("system_id").agg(jobs=("failed", "size"), failed=("failed", "sum"))
    s = systems.set_index("system_id")
    should = ((s.hosting != "saas") & ~s.category.isin(["network", "end_user"]) & (s.kind != "medical_device_network")
              & (s.holds_phi.fillna(False).astype(bool) | s.rpo_hours.notna()))
    j = s[["criticality_tier"]].assign(should=should).join(jobs, how="outer").fillna({"jobs": 0, "failed": 0, "should": False})
    j = j[(j.jobs > 0) | j.should]
    j["backup"] = np.select([j.jobs > j.failed, j.jobs > 0], ["backed up", "only failed jobs"], "no job")
    r = pd.crosstab(j.criticality_tier.fillna(0), j.backup).reindex(columns=["backed up", "only failed jobs", "no job"], fill_value=0)
    r = r.assign(systems=r.sum(axis=1), jobs=j.groupby(j.criticality_tier.fillna(0)).jobs.sum(),
                 failed=j.groupby(j.criticality_tier.fillna(0)).failed.sum())
    return r.assign(backed_up_pct=100 * r["backed up"] / r.systems, success_pct=100 * (1 - r.failed / r.jobs))
def completion():
    # On time = completed on or before the due day; late = completed after it by the period end; overdue = not
    # completed by the period end (issue 16). An assignment with no due day, assigned in the period, is counted apart.
    t = training[training.due_on.between(start, end, inclusive="left")
                 | (training.due_on.isna() & training.assigned_on.between(start, end, inclusive="left"))]
    done = t.completed_on.notna() & t.due_on.notna()
    r = t.assign(on_time=done & (t.completed_on <= t.due_on), late=done & (t.completed_on > t.due_on) & (t.completed_on < end),
                 no_due_date=t.due_on.isna()).assign(overdue=lambda x: t.due_on.notna() & ~x.on_time & ~x.late)
    r = r.groupby(r.department.fillna("unknown"))[["on_time", "late", "overdue", "no_due_date"]].sum()
    r["assignments"] = r.on_time + r.late + r.overdue
    return r.join(100 * r[["on_time", "late", "overdue"]].div(r.assignments.replace(0, np.nan), axis=0), rsuffix="_pct")
def howto():
    # Same systems and months on both sides (issue 16): how-to tickets on EHR systems only (no system: counted apart)
    # over the department's average daily active EHR users; a department whose EHR usage misses a month the usage
    # feed covers in the period gets no rate. EHR training on time = completed by its due day.
    ehr = systems[systems.category == "ehr"].system_id
    eu = u[u.system_id.isin(ehr)]
    eu = eu.assign(month=eu.day.dt.to_period("M"))
    users = eu.groupby("department").agg(users=("active_users", "mean"), months=("month", "nunique"))
    h = inp[inp.category == "how-to"]
    t = training[training.due_on.between(start, end, inclusive="left") & training.system_id.isin(ehr)]
    r = users.join([h[h.system_id.isin(ehr)].groupby("department").size().rename("howto"),
                    h[h.system_id.isna()].groupby("department").size().rename("howto_no_system"),
                    (100 * (t.completed_on <= t.due_on)).groupby(t.department).mean().rename("ehr_on_time_pct")])
    r = r.fillna({"howto": 0, "howto_no_system": 0})
    r["per_100"] = (100 * r.howto / r.users.replace(0, np.nan)).where(r.months == eu.month.nunique())
    return r.sort_values("per_100", ascending=False)
for name, fn in [("support.incident_volume_by_month", volume), ("support.mttr_by_priority", mttr),
                 ("support.availability_by_system_month", availability),
                 ("support.incidents_per_1000_users_by_system", per_1000), ("support.adoption_by_month", adoption),
                 ("support.top_categories", top), ("support.noisiest_systems", noisy),
                 ("costs.budget_vs_actual_by_pool", budget), ("costs.duplicate_postings", dups),
                 ("continuity.backup_success_by_tier", backup), ("training.completion_by_department", completion),
                 ("training.training_vs_howto_by_department", howto)]:
    timed(name, fn)
total_s = time.perf_counter() - t0
m, c, b = results["support.mttr_by_priority"].set_index("priority").loc[1], results["training.completion_by_department"], \
    results["continuity.backup_success_by_tier"]
headline = {"p1_mttr_hours": float(m.mttr_hours), "p1_resolve_sla_pct": float(m.resolve_sla_met_pct),
            "on_time_pct": float(100 * c.on_time.sum() / c.assignments.sum()),
            "backup_systems": int(b.systems.sum()), "backup_gaps": int((b["no job"] + b["only failed jobs"]).sum()),
            "availability_blank": int(results["support.availability_by_system_month"].availability_pct.isna().sum()),
            "not_comparable": int((~results["support.incidents_per_1000_users_by_system"].comparable).sum())}
print(json.dumps({"total_s": total_s, "times": times, "headline": headline,
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
    agree = True
    print("\nheadline figures, hitplan against pandas (same definitions, issue 16):")
    for key, (label, tol) in HEADLINES.items():
        h, p = sub_res["headline"][key], pd_res["headline"][key]
        same = abs(h - p) <= tol * max(abs(h), abs(p))
        agree &= same
        fmt = lambda v: f"{v:,.4f}" if isinstance(v, float) else f"{v:,}"
        print(f"  {label:<56} {fmt(h):>12} {fmt(p):>12}  {'agree' if same else 'DIFFER'}")
    print("the two sides agree" if agree else "the two sides DIFFER: the baseline no longer computes what the KPIs do")
    if args.json:
        args.json.write_text(json.dumps({"scale": args.scale, "all_s": all_s, "all_rss_mb": all_rss,
                                         "compared_s": sub_s, "compared_rss_mb": sub_rss, "pandas_s": pd_s,
                                         "pandas_rss_mb": pd_rss, "ratio": ratio, "headlines_agree": agree, "hitplan": all_res,
                                         "hitplan_compared": sub_res, "pandas": pd_res}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
