"""Disaster recovery and business continuity: DR test coverage by tier, RTO/RPO achieved against target,
backup success, and the estimated cost of downtime."""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "continuity"


def dr_test_coverage_by_tier(
    con: duckdb.DuckDBPyConnection, period: Period, *, months: int | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Systems per criticality tier with a DR test in the months before the period end (count, percent); blank tier = unassessed."""
    n = int(months or setting(cfg, AREA, "dr_coverage_months"))
    src = "stg_systems: criticality_tier; stg_dr_tests: system_id, test_date"
    cols = ["criticality_tier", "systems", "tested_systems", "coverage_pct", "untested_system_ids"]
    if note := missing(con, "stg_systems"):
        return empty(cols, note, src)
    sql = f"""
    with tested as (
        select distinct system_id from stg_dr_tests
        where test_date < $end and test_date >= cast($end as date) - to_months({n})
    )
    select cast(s.criticality_tier as varchar) as criticality_tier, count(*) as systems,
        count(t.system_id) as tested_systems, 100.0 * count(t.system_id) / count(*) as coverage_pct,
        coalesce(string_agg(s.system_id, ', ' order by s.system_id) filter (where t.system_id is null), '') as untested_system_ids
    from stg_systems s left join tested t using (system_id)
    group by s.criticality_tier order by s.criticality_tier nulls last
    """
    df = run(con, sql, period_params(period), source=src)
    df["criticality_tier"] = df["criticality_tier"].fillna("unassessed")
    return df


def dr_test_results(
    con: duckdb.DuckDBPyConnection, period: Period, *, severe_multiple: float | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """DR tests held in the period with RTO/RPO achieved against target (hours, multiple of target) and a severity."""
    k = float(severe_multiple or setting(cfg, AREA, "rto_severe_multiple"))
    src = "stg_dr_tests: test_date, rto_target_hours, rto_achieved_hours, rpo_target_hours, rpo_achieved_hours, passed"
    cols = ["test_id", "system_id", "test_date", "test_type", "rto_target_hours", "rto_achieved_hours",
            "rto_multiple", "rpo_target_hours", "rpo_achieved_hours", "rto_met", "rpo_met", "passed", "severity"]
    if note := missing(con, "stg_dr_tests"):
        return empty(cols, note, src)
    sql = """
    select test_id, system_id, test_date, test_type, rto_target_hours, rto_achieved_hours,
        rto_achieved_hours / nullif(rto_target_hours, 0) as rto_multiple,
        rpo_target_hours, rpo_achieved_hours,
        rto_achieved_hours <= rto_target_hours as rto_met,
        rpo_achieved_hours <= rpo_target_hours as rpo_met,
        passed,
        case when rto_achieved_hours >= $k * rto_target_hours or rpo_achieved_hours >= $k * rpo_target_hours
                 then 'severe miss'
             when not passed or rto_achieved_hours > rto_target_hours or rpo_achieved_hours > rpo_target_hours
                 then 'missed'
             else 'met' end as severity
    from stg_dr_tests where test_date >= $start and test_date < $end
    order by list_position(['severe miss', 'missed', 'met'], severity), test_date, test_id
    """
    return run(con, sql, {**period_params(period), "k": k}, source=src, when_empty="no DR tests in the period")


def backup_success_by_tier(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Backup job runs started in the period by criticality tier and their success rate (count, percent; warnings count as success)."""
    src = "stg_backups: system_id, started_at, backup_status; stg_systems: criticality_tier"
    cols = ["criticality_tier", "jobs", "failed_jobs", "success_pct"]
    if note := missing(con, "stg_backups"):
        return empty(cols, note, src)
    sql = """
    with b as (
        select system_id, count(*) as jobs, count(*) filter (where backup_status = 'failed') as failed
        from stg_backups where started_at >= $start and started_at < $end group by system_id
    )
    select coalesce(cast(s.criticality_tier as varchar), 'unassessed') as criticality_tier,
        sum(b.jobs) as jobs, sum(b.failed) as failed_jobs, 100.0 * (1 - sum(b.failed) / sum(b.jobs)) as success_pct
    from b left join stg_systems s using (system_id)
    group by all order by criticality_tier
    """
    return run(con, sql, period_params(period), source=src, when_empty="no backup jobs in the period")


def downtime_cost_by_system(
    con: duckdb.DuckDBPyConnection, period: Period, *, cost_per_hour_usd: dict | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Outage hours of incidents opened in the period per system, priced by criticality tier (hours, US$)."""
    costs = cost_per_hour_usd or setting(cfg, AREA, "downtime_cost_per_hour_usd")
    known = ", ".join(f"({int(k)}, {float(v)})" for k, v in costs.items() if str(k).isdigit())
    src = "int_incidents: outage_minutes, criticality_tier; rates: kpi/config.yaml continuity.downtime_cost_per_hour_usd"
    cols = ["system_id", "system_name", "criticality_tier", "outage_hours", "cost_per_hour_usd", "downtime_cost_usd"]
    if note := missing(con, "stg_incidents", "outage_minutes"):
        return empty(cols, note, src)
    sql = f"""
    with rates(criticality_tier, cost_per_hour_usd) as (values {known}),
    per_system as (
        select i.system_id, any_value(i.system_name) as system_name, any_value(i.criticality_tier) as criticality_tier,
            sum(i.outage_minutes) / 60.0 as outage_hours,
            coalesce(any_value(r.cost_per_hour_usd), $unassessed) as cost_per_hour_usd
        from int_incidents i left join rates r using (criticality_tier)
        where i.opened_at >= $start and i.opened_at < $end and i.outage_minutes > 0
        group by i.system_id
    )
    select *, outage_hours * cost_per_hour_usd as downtime_cost_usd
    from per_system order by downtime_cost_usd desc, system_id
    """
    return run(con, sql, {**period_params(period), "unassessed": float(costs.get("unassessed", 0))}, source=src,
               when_empty="no outages in the period")


KPIS = {
    "dr_test_coverage_by_tier": dr_test_coverage_by_tier,
    "dr_test_results": dr_test_results,
    "backup_success_by_tier": backup_success_by_tier,
    "downtime_cost_by_system": downtime_cost_by_system,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Continuity's status: DR tests that badly missed their objectives, tier-1/2 DR coverage, backup success."""
    drivers = []
    res = dr_test_results(con, period, cfg=cfg)
    severe = res[res["severity"] == "severe miss"] if not res.empty else res
    k = setting(cfg, AREA, "rto_severe_multiple")
    drivers.append(Driver("dr_test_results", f"DR tests at >= {k}x their RTO/RPO", float(len(severe)), "0",
                          "off target" if len(severe) else "on target",
                          ", ".join(f"{r.test_id} ({r.system_id})" for r in severe.itertuples())))
    cov = dr_test_coverage_by_tier(con, period, cfg=cfg)
    th = setting(cfg, AREA, "dr_coverage_pct")
    crit = cov[cov["criticality_tier"].isin(["1", "2"])] if not cov.empty else cov
    value = 100.0 * crit["tested_systems"].sum() / crit["systems"].sum() if not crit.empty and crit["systems"].sum() else None
    drivers.append(Driver("dr_test_coverage_by_tier", "tier-1/2 systems DR-tested in 12 months (%)", value,
                          f">= {th['watch']} %", grade(value, th, higher_is_better=True)))
    bk = backup_success_by_tier(con, period)
    th = setting(cfg, AREA, "backup_success_pct")
    value = 100.0 * (1 - bk["failed_jobs"].sum() / bk["jobs"].sum()) if not bk.empty else None
    drivers.append(Driver("backup_success_by_tier", "backup success (%)", value, f">= {th['watch']} %",
                          grade(value, th, higher_is_better=True)))
    return AreaStatus(AREA, tuple(drivers))
