"""Infrastructure: end-of-support exposure weighted by criticality, incident rate against age, usage and
backup-volume growth per system, and where P1/P2 incidents concentrate and rise."""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "infrastructure"


def _weights_sql(weights: dict) -> str:
    known = ", ".join(f"({int(k)}, {float(v)})" for k, v in weights.items() if str(k).isdigit())
    return f"weights(criticality_tier, weight) as (values {known})", float(weights.get("unassessed", 0))


def end_of_support_exposure(
    con: duckdb.DuckDBPyConnection, period: Period, *, horizons_months: list[int] | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Systems past, or within the horizons (months) of, end of support at the period end, with a criticality weight."""
    h = sorted(horizons_months or setting(cfg, AREA, "eos_horizons_months"))
    weights_cte, unassessed = _weights_sql(setting(cfg, AREA, "criticality_weights"))
    src = "stg_systems: end_of_support, criticality_tier; weights: kpi/config.yaml infrastructure.criticality_weights"
    cols = ["system_id", "system_name", "criticality_tier", "end_of_support", "eos_status", "months_to_eos",
            "criticality_weight"]
    if note := missing(con, "stg_systems", "end_of_support"):
        return empty(cols, note, src)
    sql = f"""
    with {weights_cte}
    select s.system_id, s.system_name, s.criticality_tier, s.end_of_support,
        case when s.end_of_support < $end then 'past'
             when s.end_of_support < cast($end as date) + to_months({h[0]}) then 'within_{h[0]}_months'
             else 'within_{h[-1]}_months' end as eos_status,
        datediff('month', cast($end as date), s.end_of_support) as months_to_eos,
        coalesce(w.weight, $unassessed) as criticality_weight
    from stg_systems s left join weights w using (criticality_tier)
    where s.end_of_support < cast($end as date) + to_months({h[-1]})
    order by s.end_of_support, s.system_id
    """
    return run(con, sql, {**period_params(period), "unassessed": unassessed}, source=src,
               when_empty=f"no system reaches end of support within {h[-1]} months")


def incident_rate_by_age(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Incidents opened in the period per system by system age band at the period end (years since go-live; incidents per system)."""
    src = "stg_systems: go_live; int_incidents: system_id, opened_at"
    cols = ["age_band", "systems", "incidents", "incidents_per_system"]
    if note := missing(con, "stg_systems", "go_live"):
        return empty(cols, note, src)
    sql = """
    with ages as (
        select system_id, datediff('day', go_live, cast($end as date)) / 365.25 as age_years
        from stg_systems where go_live is not null and go_live < $end
    ),
    inc as (select system_id, count(*) as n from int_incidents where opened_at >= $start and opened_at < $end group by all)
    select case when age_years < 3 then '0-3 years' when age_years < 6 then '3-6 years'
                when age_years < 10 then '6-10 years' else '10+ years' end as age_band,
        count(*) as systems, coalesce(sum(inc.n), 0) as incidents,
        coalesce(sum(inc.n), 0) / count(*) as incidents_per_system
    from ages left join inc using (system_id)
    group by all order by min(age_years)
    """
    return run(con, sql, period_params(period), source=src)


def usage_growth_by_system(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Average daily active users in the first and last month of the period per system, and the growth (percent)."""
    src = "mart_usage_by_system_month (stg_usage): avg_daily_active_users"
    cols = ["system_id", "system_name", "first_month", "last_month", "first_avg_daily_active_users",
            "last_avg_daily_active_users", "growth_pct"]
    if note := missing(con, "stg_usage"):
        return empty(cols, note, src)
    sql = """
    with u as (
        select * from mart_usage_by_system_month
        where month >= date_trunc('month', cast($start as date)) and month < $end
    ),
    ends as (
        select system_id, min(month) as first_month, max(month) as last_month from u group by all
    )
    select e.system_id, s.system_name, e.first_month, e.last_month,
        f.avg_daily_active_users as first_avg_daily_active_users,
        l.avg_daily_active_users as last_avg_daily_active_users,
        100.0 * (l.avg_daily_active_users / nullif(f.avg_daily_active_users, 0) - 1) as growth_pct
    from ends e
    join u f on f.system_id = e.system_id and f.month = e.first_month
    join u l on l.system_id = e.system_id and l.month = e.last_month
    left join stg_systems s on s.system_id = e.system_id
    order by growth_pct desc nulls last, e.system_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no usage in the period")


def backup_volume_growth_by_system(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Average size of successful backups in the first and last month of the period per system (GB) and its growth (percent), a capacity proxy."""
    src = "stg_backups: system_id, started_at, size_gb, backup_status"
    cols = ["system_id", "first_month_avg_gb", "last_month_avg_gb", "growth_pct"]
    if note := missing(con, "stg_backups", "size_gb"):
        return empty(cols, note, src)
    sql = """
    with m as (
        select system_id, date_trunc('month', started_at) as month, avg(size_gb) as avg_gb
        from stg_backups where started_at >= $start and started_at < $end and backup_status <> 'failed'
          and size_gb is not null and system_id is not null
        group by all
    ),
    r as (
        select system_id, arg_min(avg_gb, month) as first_month_avg_gb, arg_max(avg_gb, month) as last_month_avg_gb
        from m group by system_id
    )
    select system_id, first_month_avg_gb, last_month_avg_gb,
        100.0 * (last_month_avg_gb / nullif(first_month_avg_gb, 0) - 1) as growth_pct
    from r order by growth_pct desc nulls last, system_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no backups in the period")


def p1_concentration_by_system(con: duckdb.DuckDBPyConnection, period: Period, *, limit: int = 10) -> pd.DataFrame:
    """Systems with most P1 incidents opened in the period, with their share of all P1s (count, percent)."""
    src = "mart_incidents_by_system_month (int_incidents): p1_incidents, p2_incidents"
    cols = ["system_id", "system_name", "criticality_tier", "p1_incidents", "p2_incidents", "share_of_p1_pct"]
    if note := missing(con, "int_incidents", "priority"):
        return empty(cols, note, src)
    sql = """
    select m.system_id, s.system_name, s.criticality_tier, sum(m.p1_incidents) as p1_incidents,
        sum(m.p2_incidents) as p2_incidents,
        100.0 * sum(m.p1_incidents) / nullif(sum(sum(m.p1_incidents)) over (), 0) as share_of_p1_pct
    from mart_incidents_by_system_month m left join stg_systems s using (system_id)
    where m.month >= date_trunc('month', cast($start as date)) and m.month < $end
    group by all having sum(m.p1_incidents) + sum(m.p2_incidents) > 0
    order by p1_incidents desc, p2_incidents desc, m.system_id limit $limit
    """
    return run(con, sql, {**period_params(period), "limit": int(limit)}, source=src,
               when_empty="no P1 or P2 incidents in the period")


def eos_systems_with_rising_incidents(
    con: duckdb.DuckDBPyConnection, period: Period, *, growth_multiple: float | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Systems past end of support with at least 3 P1/P2 incidents in the period and the configured multiple of the equally long span before it (counts)."""
    k = float(growth_multiple or setting(cfg, AREA, "rising_multiple"))
    src = "stg_systems: end_of_support, criticality_tier; int_incidents: priority, opened_at"
    cols = ["system_id", "system_name", "criticality_tier", "end_of_support", "p1_p2_previous_span",
            "p1_p2_in_period", "growth_multiple"]
    if note := missing(con, "stg_systems", "end_of_support"):
        return empty(cols, note, src)
    sql = """
    with span as (
        select cast($start as date) - cast(cast($end as date) - cast($start as date) as integer) as before_start
    )
    select s.system_id, s.system_name, s.criticality_tier, s.end_of_support,
        count(i.incident_number) filter (where i.opened_at < $start) as p1_p2_previous_span,
        count(i.incident_number) filter (where i.opened_at >= $start) as p1_p2_in_period,
        p1_p2_in_period / nullif(p1_p2_previous_span, 0) as growth_multiple
    from stg_systems s cross join span
    left join int_incidents i on i.system_id = s.system_id and i.priority <= 2
        and i.opened_at >= span.before_start and i.opened_at < $end
    where s.end_of_support < $end
    group by all
    having p1_p2_in_period >= 3 and p1_p2_in_period >= $k * p1_p2_previous_span
    order by s.system_id
    """
    return run(con, sql, {**period_params(period), "k": k}, source=src,
               when_empty="no system past end of support has rising P1/P2 incidents")


KPIS = {
    "end_of_support_exposure": end_of_support_exposure,
    "incident_rate_by_age": incident_rate_by_age,
    "usage_growth_by_system": usage_growth_by_system,
    "backup_volume_growth_by_system": backup_volume_growth_by_system,
    "p1_concentration_by_system": p1_concentration_by_system,
    "eos_systems_with_rising_incidents": eos_systems_with_rising_incidents,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Infrastructure's status: tier-1 systems past end of support, end-of-support systems with rising P1/P2s, weighted exposure within 12 months."""
    eos = end_of_support_exposure(con, period, cfg=cfg)
    th = setting(cfg, AREA, "tier1_past_eos_systems")
    drivers = []
    if eos.empty and "blank" in eos.attrs.get("note", ""):
        drivers.append(Driver("end_of_support_exposure", "tier-1 systems past end of support", None, "0", "watch",
                              eos.attrs["note"]))
    else:
        t1 = eos[(eos["eos_status"] == "past") & (eos["criticality_tier"] == 1)] if not eos.empty else eos
        drivers.append(Driver("end_of_support_exposure", "tier-1 systems past end of support", float(len(t1)), "0",
                              grade(float(len(t1)), th, higher_is_better=False), ", ".join(t1["system_id"])))
    rising = eos_systems_with_rising_incidents(con, period, cfg=cfg)
    drivers.append(Driver("eos_systems_with_rising_incidents", "end-of-support systems with rising P1/P2",
                          float(len(rising)), "0", "off target" if len(rising) else "on target",
                          ", ".join(rising["system_id"]) if not rising.empty else ""))
    soon = eos[eos["eos_status"] != "past"] if not eos.empty else eos
    h = setting(cfg, AREA, "eos_horizons_months")[0]
    near = soon[soon["eos_status"] == f"within_{h}_months"] if not soon.empty else soon
    w = float(near["criticality_weight"].sum()) if not near.empty else 0.0
    drivers.append(Driver("end_of_support_exposure", f"criticality-weighted systems reaching end of support within {h} months",
                          w, "0", "watch" if w > 0 else "on target", ", ".join(near["system_id"]) if not near.empty else ""))
    return AreaStatus(AREA, tuple(drivers))
