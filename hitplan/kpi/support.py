"""Technology implementation and support: incident volume and backlog, response times against SLA,
availability, reopen rate, incidents per active user, adoption, top categories and noisiest systems.

An incident belongs to the period it was opened in. It is done at ``coalesce(resolved_at, closed_at)``;
a canceled ticket with neither is not in the backlog. Durations come from ``int_incidents`` (real elapsed
time in the hospital's time zone).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "support"

_MONTHS = """
    months as (
        select cast(m as date) as month,
               cast(greatest(m, $start) as date) as month_start,
               cast(least(m + interval 1 month, $end) as date) as month_end
        from unnest(generate_series(cast(date_trunc('month', cast($start as date)) as timestamp),
                                    cast($end as timestamp) - interval 1 day, interval 1 month)) as t(m)
    )"""


def incident_volume_by_month(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Incidents opened and resolved in each month of the period and the backlog open at each month's end (counts)."""
    src = "int_incidents (stg_incidents): opened_at, resolved_at, closed_at, incident_state"
    if note := missing(con, "int_incidents"):
        return empty(["month", "opened", "resolved", "backlog_at_month_end"], note, src)
    # events instead of a months x incidents inequality join: +1 when opened, -1 when done (a canceled ticket
    # never done is never backlog); the backlog at a month's end is the running sum of events before it
    sql = f"""
    with {_MONTHS},
    incidents as (
        select opened_at, coalesce(resolved_at, closed_at) as done_at,
            coalesce(resolved_at, closed_at) is null and incident_state = 'canceled' as dead
        from int_incidents where opened_at < $end
    ),
    events as (
        select opened_at as event_at, 1 as opened, 0 as resolved, case when dead then 0 else 1 end as delta from incidents
        union all
        select done_at, 0, 1, -1 from incidents where done_at is not null and done_at < $end
    ),
    bucketed as (
        select case when event_at < $start then null else cast(date_trunc('month', event_at) as date) end as month,
            sum(opened) as opened, sum(resolved) as resolved, sum(delta) as delta
        from events group by 1
    )
    select months.month, cast(coalesce(b.opened, 0) as bigint) as opened,
        cast(coalesce(b.resolved, 0) as bigint) as resolved,
        cast((select coalesce(sum(delta), 0) from bucketed where month is null)
          + sum(coalesce(b.delta, 0)) over (order by months.month) as bigint) as backlog_at_month_end
    from months left join bucketed b on b.month = months.month
    order by months.month
    """
    return run(con, sql, period_params(period), source=src)


def incident_backlog(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Incidents still open at the end of the period by priority, and how many of them are over 30 days old (counts)."""
    src = "int_incidents (stg_incidents): opened_at, resolved_at, closed_at, priority, incident_state"
    if note := missing(con, "int_incidents"):
        return empty(["priority", "open_at_period_end", "open_over_30_days"], note, src)
    sql = """
    select priority,
        count(*) as open_at_period_end,
        count(*) filter (where opened_at < cast($end as timestamp) - interval 30 day) as open_over_30_days
    from int_incidents
    where opened_at < $end
      and (coalesce(resolved_at, closed_at) is null or coalesce(resolved_at, closed_at) >= $end)
      and not (coalesce(resolved_at, closed_at) is null and incident_state = 'canceled')
    group by priority order by priority nulls last
    """
    return run(con, sql, period_params(period), source=src, when_empty="no incidents open at the end of the period")


def _targets_sql(targets: dict) -> str:
    rows = ", ".join(
        f"({int(p)}, {float(t['ack_minutes'])}, {float(t['resolve_hours'])})" for p, t in sorted(targets.items())
    )
    return f"targets(priority, ack_target_minutes, resolve_target_hours) as (values {rows})"


def mttr_by_priority(
    con: duckdb.DuckDBPyConnection, period: Period, *, targets: dict | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Mean time to acknowledge (minutes) and to resolve (hours) by priority, with SLA attainment (percent).

    Attainment counts a ticket still open at the period end as a miss once it is older than its target,
    so a backlog of stuck tickets cannot make the figure look better.
    """
    targets = targets or setting(cfg, AREA, "response_targets")
    src = "int_incidents (stg_incidents): priority, opened_at, acknowledged_at, resolved_at; targets: kpi/config.yaml support.response_targets"
    cols = ["priority", "incidents", "mtta_minutes", "mttr_hours", "median_mttr_hours", "ack_target_minutes",
            "resolve_target_hours", "ack_sla_met_pct", "resolve_sla_met_pct", "open_past_target"]
    if note := missing(con, "int_incidents", "priority"):
        return empty(cols, note if "blank" not in note else "incidents.priority is not in this export", src)
    sql = f"""
    with {_targets_sql(targets)},
    base as (
        select i.priority, i.ack_minutes, i.resolve_hours, t.ack_target_minutes, t.resolve_target_hours,
            i.resolved_at is not null and i.resolved_at < $end as resolved,
            i.acknowledged_at is not null and i.acknowledged_at < $end as acked,
            (epoch(cast($end as timestamp)) - epoch(i.opened_at)) / 3600.0 as age_hours
        from int_incidents i left join targets t using (priority)
        where i.opened_at >= $start and i.opened_at < $end and i.priority is not null
          and i.incident_state <> 'canceled'
    )
    select priority, count(*) as incidents,
        avg(ack_minutes) filter (where acked) as mtta_minutes,
        avg(resolve_hours) filter (where resolved) as mttr_hours,
        median(resolve_hours) filter (where resolved) as median_mttr_hours,
        any_value(ack_target_minutes) as ack_target_minutes,
        any_value(resolve_target_hours) as resolve_target_hours,
        100.0 * count(*) filter (where acked and ack_minutes <= ack_target_minutes)
            / nullif(count(*) filter (where acked or age_hours * 60 > ack_target_minutes), 0) as ack_sla_met_pct,
        100.0 * count(*) filter (where resolved and resolve_hours <= resolve_target_hours)
            / nullif(count(*) filter (where resolved or age_hours > resolve_target_hours), 0) as resolve_sla_met_pct,
        count(*) filter (where not resolved and age_hours > resolve_target_hours) as open_past_target
    from base group by priority order by priority
    """
    return run(con, sql, period_params(period), source=src, when_empty="no incidents opened in the period")


def availability_by_system_month(
    con: duckdb.DuckDBPyConnection, period: Period, *, target_pct: float | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Availability of every inventoried system in each month of the period (percent), from incident outage minutes.

    Outage minutes count in the month the incident was opened; a month's minutes are its days inside the
    period x 1,440 (calendar minutes: the DST hour is not added or removed).
    """
    target = float(target_pct if target_pct is not None else setting(cfg, AREA, "availability_target_pct"))
    src = "stg_systems: system_id, system_name, criticality_tier; int_incidents: outage_minutes, opened_at"
    cols = ["system_id", "system_name", "criticality_tier", "month", "outage_minutes", "period_minutes",
            "availability_pct", "target_pct", "below_target"]
    if note := missing(con, "stg_systems"):
        return empty(cols, note, src)
    if note := missing(con, "stg_incidents", "outage_minutes"):
        return empty(cols, note, src)
    sql = f"""
    with {_MONTHS},
    outages as (
        select system_id, cast(date_trunc('month', opened_at) as date) as month, sum(outage_minutes) as outage_minutes
        from int_incidents where opened_at >= $start and opened_at < $end and system_id is not null
        group by all
    )
    select s.system_id, s.system_name, s.criticality_tier, m.month,
        coalesce(o.outage_minutes, 0) as outage_minutes,
        (m.month_end - m.month_start) * 1440 as period_minutes,
        greatest(0, 100.0 * (1 - coalesce(o.outage_minutes, 0) / ((m.month_end - m.month_start) * 1440.0))) as availability_pct,
        $target as target_pct,
        availability_pct < $target as below_target
    from stg_systems s cross join months m
    left join outages o on o.system_id = s.system_id and o.month = m.month
    order by s.system_id, m.month
    """
    return run(con, sql, {**period_params(period), "target": target}, source=src)


def reopen_rate(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Share of incidents opened in the period and resolved that were reopened at least once (percent)."""
    src = "int_incidents (stg_incidents): reopen_count, resolved_at, closed_at, opened_at"
    cols = ["resolved_incidents", "reopened_incidents", "reopen_rate_pct"]
    if note := missing(con, "stg_incidents", "reopen_count"):
        return empty(cols, note, src)
    sql = """
    select count(*) as resolved_incidents,
        count(*) filter (where reopen_count > 0) as reopened_incidents,
        100.0 * count(*) filter (where reopen_count > 0) / nullif(count(*), 0) as reopen_rate_pct
    from int_incidents
    where opened_at >= $start and opened_at < $end and coalesce(resolved_at, closed_at) is not null
    """
    df = run(con, sql, period_params(period), source=src)
    if int(df["resolved_incidents"].iloc[0]) == 0:
        return empty(cols, "no resolved incidents opened in the period", src)
    return df


def incidents_per_1000_users_by_system(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Incidents opened in the period per 1,000 average daily active users, for each system with usage (rate)."""
    src = "int_incidents: system_id, opened_at; mart_usage_by_system_month (stg_usage): active_user_days, usage_days"
    cols = ["system_id", "system_name", "incidents", "avg_daily_active_users", "incidents_per_1000_active_users"]
    if note := missing(con, "stg_usage"):
        return empty(cols, note, src)
    sql = """
    with users as (
        select system_id, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_users
        from mart_usage_by_system_month where month >= date_trunc('month', cast($start as date)) and month < $end
        group by system_id
    ),
    inc as (
        select system_id, count(*) as incidents from int_incidents
        where opened_at >= $start and opened_at < $end group by system_id
    )
    select users.system_id, s.system_name, coalesce(inc.incidents, 0) as incidents,
        users.avg_daily_active_users,
        1000.0 * coalesce(inc.incidents, 0) / nullif(users.avg_daily_active_users, 0) as incidents_per_1000_active_users
    from users left join inc using (system_id) left join stg_systems s using (system_id)
    order by incidents_per_1000_active_users desc nulls last, users.system_id
    """
    df = run(con, sql, period_params(period), source=src, when_empty="no usage in the period")
    if not df.empty and df["incidents_per_1000_active_users"].isna().any():
        df.attrs["note"] = "systems with zero active users have no rate (blank), not an infinite one"
    return df


def adoption_by_month(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Average daily active users and sessions per month by system category (users, sessions; telehealth sessions are visits)."""
    src = "mart_usage_by_system_month (stg_usage): avg_daily_active_users, sessions; stg_systems: system_category"
    cols = ["month", "system_category", "avg_daily_active_users", "sessions"]
    if note := missing(con, "stg_usage"):
        return empty(cols, note, src)
    sql = """
    select u.month, coalesce(s.system_category, 'unknown') as system_category,
        sum(u.avg_daily_active_users) as avg_daily_active_users, sum(u.sessions) as sessions
    from mart_usage_by_system_month u left join stg_systems s using (system_id)
    where u.month >= date_trunc('month', cast($start as date)) and u.month < $end
    group by all order by u.month, system_category
    """
    return run(con, sql, period_params(period), source=src, when_empty="no usage in the period")


def top_categories(con: duckdb.DuckDBPyConnection, period: Period, *, limit: int = 10) -> pd.DataFrame:
    """The incident categories with most incidents opened in the period (count and percent of all)."""
    src = "int_incidents (stg_incidents): incident_category, opened_at"
    cols = ["incident_category", "incidents", "share_pct"]
    if note := missing(con, "int_incidents", "incident_category"):
        return empty(cols, note, src)
    sql = """
    select coalesce(incident_category, 'uncategorized') as incident_category, count(*) as incidents,
        100.0 * count(*) / sum(count(*)) over () as share_pct
    from int_incidents where opened_at >= $start and opened_at < $end
    group by all order by incidents desc, incident_category limit $limit
    """
    return run(con, sql, {**period_params(period), "limit": int(limit)}, source=src,
               when_empty="no incidents opened in the period")


def noisiest_systems(con: duckdb.DuckDBPyConnection, period: Period, *, limit: int = 10) -> pd.DataFrame:
    """The systems with most incidents opened in the period (counts and outage minutes)."""
    src = "int_incidents (stg_incidents, stg_systems): system_id, priority, outage_minutes, opened_at"
    cols = ["system_id", "system_name", "incidents", "p1_p2_incidents", "outage_minutes"]
    if note := missing(con, "int_incidents", "system_id"):
        return empty(cols, note, src)
    sql = """
    select system_id, any_value(system_name) as system_name, count(*) as incidents,
        count(*) filter (where priority <= 2) as p1_p2_incidents, sum(outage_minutes) as outage_minutes
    from int_incidents where opened_at >= $start and opened_at < $end and system_id is not null
    group by system_id order by incidents desc, system_id limit $limit
    """
    return run(con, sql, {**period_params(period), "limit": int(limit)}, source=src,
               when_empty="no incidents opened in the period")


KPIS = {
    "incident_volume_by_month": incident_volume_by_month,
    "incident_backlog": incident_backlog,
    "mttr_by_priority": mttr_by_priority,
    "availability_by_system_month": availability_by_system_month,
    "reopen_rate": reopen_rate,
    "incidents_per_1000_users_by_system": incidents_per_1000_users_by_system,
    "adoption_by_month": adoption_by_month,
    "top_categories": top_categories,
    "noisiest_systems": noisiest_systems,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Support's status: tier-1 availability, P1/P2 resolution SLA attainment and reopen rate."""
    drivers, notes = [], []
    av = availability_by_system_month(con, period, cfg=cfg)
    target = setting(cfg, AREA, "availability_target_pct")
    if av.empty:
        drivers.append(Driver("availability_by_system_month", "tier-1 system-months below target", None,
                              f">= {target} %", "watch", av.attrs.get("note", "")))
    else:
        t1 = av[av["criticality_tier"] == 1]
        below = t1[t1["below_target"]]
        detail = "; ".join(f"{r.system_id} {r.month:%Y-%m} {r.availability_pct:.3f} %" for r in below.itertuples())
        drivers.append(Driver("availability_by_system_month", "tier-1 system-months below target", float(len(below)),
                              f"0 below {target} %", "off target" if len(below) else "on target", detail))
    m = mttr_by_priority(con, period, cfg=cfg)
    th = setting(cfg, AREA, "resolve_sla_met_pct")
    value = None
    if not m.empty:
        p12 = m[m["priority"] <= 2]
        met = (p12["resolve_sla_met_pct"] / 100 * p12["incidents"]).sum()
        value = 100.0 * met / p12["incidents"].sum() if p12["incidents"].sum() else None
    else:
        notes.append(m.attrs.get("note", ""))
    drivers.append(Driver("mttr_by_priority", "P1/P2 resolved within SLA (%)", value, f">= {th['watch']} %",
                          grade(value, th, higher_is_better=True)))
    r = reopen_rate(con, period)
    th = setting(cfg, AREA, "reopen_rate_pct")
    value = None if r.empty else float(r["reopen_rate_pct"].iloc[0])
    drivers.append(Driver("reopen_rate", "reopen rate (%)", value, f"<= {th['watch']} %",
                          grade(value, th, higher_is_better=False)))
    return AreaStatus(AREA, tuple(drivers), tuple(n for n in notes if n))
