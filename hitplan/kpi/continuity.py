"""Disaster recovery and business continuity: DR test coverage by tier, RTO/RPO achieved against target,
backup success, and the estimated cost of downtime."""

from __future__ import annotations

import duckdb

from hitplan.analysis import AreaStatus, Driver, grade
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "continuity"


KPIS = area_functions(AREA)  # hitplan/kpi/definitions/continuity/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Continuity's status: DR tests that badly missed their objectives, tier-1/2 DR coverage, backup success."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    res = kpi("dr_test_results")
    severe = res[res["severity"] == "severe miss"] if not res.empty else res
    k = setting(cfg, AREA, "rto_severe_multiple")
    drivers.append(Driver("dr_test_results", f"DR tests at >= {k}x their RTO/RPO", float(len(severe)), "0",
                          "off target" if len(severe) else "on target",
                          ", ".join(f"{r.test_id} ({r.system_id})" for r in severe.itertuples())))
    cov = kpi("dr_test_coverage_by_tier")
    th = setting(cfg, AREA, "dr_coverage_pct")
    crit = cov[cov["criticality_tier"].isin(["1", "2"])] if not cov.empty else cov
    value = 100.0 * crit["tested_systems"].sum() / crit["systems"].sum() if not crit.empty and crit["systems"].sum() else None
    drivers.append(Driver("dr_test_coverage_by_tier", "tier-1/2 systems DR-tested in 12 months (%)", value,
                          f">= {th['watch']} %", grade(value, th, higher_is_better=True)))
    bk = kpi("backup_success_by_tier")
    th = setting(cfg, AREA, "backup_success_pct")
    value = 100.0 * (1 - bk["failed_jobs"].sum() / bk["jobs"].sum()) if not bk.empty else None
    drivers.append(Driver("backup_success_by_tier", "backup success (%)", value, f">= {th['watch']} %",
                          grade(value, th, higher_is_better=True)))
    return AreaStatus(AREA, tuple(drivers))
