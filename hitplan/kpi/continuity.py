"""Disaster recovery and business continuity: DR test coverage by tier, RTO/RPO achieved against target,
backup success, and the estimated cost of downtime."""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "continuity"


KPIS = area_functions(AREA)  # hitplan/kpi/definitions/continuity/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Continuity's status: DR tests that badly missed their objectives, tier-1/2 DR coverage, tier-1/2 systems backed
    up and their backup job success."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    res = kpi("dr_test_results")
    k = setting(cfg, AREA, "rto_severe_multiple")
    measure = f"DR tests at >= {k}x their RTO/RPO"
    if res.empty:  # no DR test held in the period: no test missed, but none was measured either
        drivers.append(unmeasured("dr_test_results", measure, "0", not_measurable(res) or res.attrs.get("note", "")))
    else:
        severe = res[res["severity"] == "severe miss"]
        drivers.append(Driver("dr_test_results", measure, float(len(severe)), "0",
                              "off target" if len(severe) else "on target",
                              ", ".join(f"{r.test_id} ({r.system_id})" for r in severe.itertuples())))
    cov = kpi("dr_test_coverage_by_tier")
    th = setting(cfg, AREA, "dr_coverage_pct")
    crit = cov[cov["criticality_tier"].isin(["1", "2"])] if not cov.empty else cov
    value = 100.0 * crit["tested_systems"].sum() / crit["systems"].sum() if not crit.empty and crit["systems"].sum() else None
    months = setting(cfg, AREA, "dr_coverage_months")
    measure = f"tier-1/2 systems with a passed technical DR test in {months} months (%)"
    target = f">= {th['watch']} %"
    if value is None:
        drivers.append(unmeasured("dr_test_coverage_by_tier", measure, target, not_measurable(cov)
                                  or "no tier-1 or tier-2 system in the inventory (criticality tiers blank)"))
    else:
        drivers.append(Driver("dr_test_coverage_by_tier", measure, value, target,
                              grade(value, th, higher_is_better=True), dr_coverage_gaps(crit)))
    bk = kpi("backup_success_by_tier")
    crit = bk[bk["criticality_tier"].isin(["1", "2"])] if not bk.empty else bk
    th = setting(cfg, AREA, "backup_success_pct")
    systems = int(crit["systems"].sum()) if not crit.empty else 0
    jobs = int(crit["jobs"].sum()) if not crit.empty else 0
    measure = "tier-1/2 backup job success (%), every system that should be backed up"
    target = f">= {th['watch']} % of jobs; every system"
    if not jobs:  # no tier-1/2 job in the period: nothing measured (a system without jobs is a gap, not 0 %)
        drivers.append(unmeasured("backup_success_by_tier", measure, target, not_measurable(bk)
                                  or "no backup job of a tier-1 or tier-2 system in the period"
                                  + (f"; {backup_gaps(crit)}" if systems else "")))
    else:  # HIPAA 164.308(a)(7)(ii)(A): a system with no backup is a gap in the plan, whatever the job success
        value = 100.0 * (1 - crit["failed_jobs"].sum() / jobs)
        done = int(crit["backed_up_systems"].sum())
        status = grade(value, th, higher_is_better=True) if done == systems else "off target"
        detail = (f"{done} of {systems} systems that should be backed up had a successful backup"
                  + (f"; {gaps}" if (gaps := backup_gaps(crit)) else "")
                  + f"; {int(crit['failed_jobs'].sum())} of {jobs} jobs failed")
        drivers.append(Driver("backup_success_by_tier", measure, value, target, status, detail))
    return AreaStatus(AREA, tuple(drivers))


def dr_coverage_gaps(cov: pd.DataFrame) -> str:
    """Why systems of the coverage rows given are not covered (tabletop only, failed only, no test), and the DR
    tests with no test type that were not counted, in words ("" when every system passed a technical test)."""
    parts = [f"{int(cov[c].sum())} {what}" for c, what in (("tabletop_only_systems", "tabletop only"),
                                                           ("failed_only_systems", "failed only"),
                                                           ("untested_systems", "no test")) if cov[c].sum()]
    if untyped := int(cov["untyped_tests"].sum()):
        parts.append(f"{untyped} DR test{'' if untyped == 1 else 's'} with no test type not counted as technical")
    return "; ".join(parts)


def backup_gaps(bk: pd.DataFrame) -> str:
    """The systems of the backup rows given that should be backed up and had no successful job in the period (no
    job, or only failed jobs), in words ("" when there is none)."""
    parts = []
    for n, ids, what in (("no_job_systems", "no_job_system_ids", "no backup job"),
                         ("only_failed_systems", "only_failed_system_ids", "only failed jobs")):
        if k := int(bk[n].sum()):
            named = ", ".join(i for i in bk[ids] if i)
            parts.append(f"{k} with {what} ({named})")
    return "; ".join(parts)
