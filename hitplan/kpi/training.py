"""Staff training: completion and overdue assignments by role, department or system, EHR training against
how-to tickets by department, and phishing results before and after security-awareness training.

An assignment counts in a period when it falls due inside it; it is complete when completed by the period
end and overdue when it is still open after its due day.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.errors import UsageError
from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "training"
_GROUPS = {"role": "role", "department": "department", "system": "system_id"}


def completion_by_group(con: duckdb.DuckDBPyConnection, period: Period, *, by: str = "department") -> pd.DataFrame:
    """Assignments due in the period per role, department or system, completed and overdue at the period end (counts, percent)."""
    if by not in _GROUPS:
        raise UsageError(f"completion_by_group: by must be one of {', '.join(_GROUPS)}, not {by!r}")
    col = _GROUPS[by]
    src = f"int_training (stg_training): {col}, due_on, completed_on"
    cols = [by, "assignments", "completed", "overdue", "completion_pct", "overdue_pct"]
    if note := missing(con, "int_training", "due_on"):
        return empty(cols, note, src)
    sql = f"""
    select coalesce({col}, 'unknown') as "{by}", count(*) as assignments,
        count(*) filter (where completed_on < $end) as completed,
        count(*) filter (where completed_on is null or completed_on >= $end) as overdue,
        100.0 * completed / count(*) as completion_pct, 100.0 * overdue / count(*) as overdue_pct
    from int_training where due_on >= $start and due_on < $end
    group by all order by completion_pct, "{by}"
    """
    return run(con, sql, period_params(period), source=src, when_empty="no training assignments due in the period")


def training_vs_howto_by_department(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Per department: EHR course completion (percent) against how-to tickets per 100 average daily active EHR users."""
    src = ("int_training: is_ehr_course, due_on, completed_on, department; int_incidents: incident_category = 'how-to', "
           "department; mart_usage_by_department_system_month (stg_usage): active_user_days, usage_days for EHR systems")
    cols = ["department", "ehr_assignments", "ehr_completion_pct", "howto_incidents", "avg_daily_active_ehr_users",
            "howto_per_100_active_users"]
    if note := missing(con, "stg_usage"):
        return empty(cols, note, src)
    if note := missing(con, "int_incidents", "incident_category"):
        return empty(cols, note, src)
    sql = """
    with ehr as (select system_id from stg_systems where system_category = 'ehr'),
    users as (
        select department, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_ehr_users
        from mart_usage_by_department_system_month
        where system_id in (select system_id from ehr)
          and month >= date_trunc('month', cast($start as date)) and month < $end
        group by department
    ),
    howto as (
        select department, count(*) as howto_incidents from int_incidents
        where incident_category = 'how-to' and opened_at >= $start and opened_at < $end group by department
    ),
    trained as (
        select department, count(*) as ehr_assignments,
            100.0 * count(*) filter (where completed_on < $end) / count(*) as ehr_completion_pct
        from int_training where is_ehr_course and due_on >= $start and due_on < $end group by department
    )
    select users.department, coalesce(trained.ehr_assignments, 0) as ehr_assignments, trained.ehr_completion_pct,
        coalesce(howto.howto_incidents, 0) as howto_incidents, users.avg_daily_active_ehr_users,
        100.0 * coalesce(howto.howto_incidents, 0) / nullif(users.avg_daily_active_ehr_users, 0) as howto_per_100_active_users
    from users left join howto using (department) left join trained using (department)
    order by howto_per_100_active_users desc nulls last, users.department
    """
    return run(con, sql, period_params(period), source=src, when_empty="no EHR usage in the period")


def departments_with_training_gap(
    con: duckdb.DuckDBPyConnection, period: Period, *, cfg: dict | None = None
) -> pd.DataFrame:
    """Departments below the EHR completion threshold whose how-to rate is at least the configured multiple of the median (percent, rate)."""
    th = setting(cfg, AREA, "ehr_completion_pct")
    k = float(setting(cfg, AREA, "howto_multiple_of_median"))
    df = training_vs_howto_by_department(con, period)
    if df.empty:
        return df
    median = float(df["howto_per_100_active_users"].median())
    out = df[(df["ehr_completion_pct"] < th["off_target"]) & (df["howto_per_100_active_users"] >= k * median)]
    out = out.assign(median_howto_per_100_active_users=median).reset_index(drop=True)
    out.attrs["source"] = df.attrs["source"] + "; thresholds: kpi/config.yaml training"
    if out.empty:
        out.attrs["note"] = "no department combines low EHR completion with a high how-to rate"
    return out


def phishing_before_after_training(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Per department, phishing click rate (percent) in campaigns before and after the department's security-awareness training was half complete."""
    src = ("int_training: course like '%Cybersecurity%' or '%Security%', completed_on, department; "
           "stg_phishing: campaign_date, sent, clicked")
    cols = ["department", "trained_on", "click_rate_before_pct", "click_rate_after_pct", "change_pct_points"]
    if note := missing(con, "stg_phishing", "clicked"):
        return empty(cols, note, src)
    sql = """
    with sec as (
        select department, completed_on from int_training
        where (lower(course) like '%cybersecurity%' or lower(course) like '%security awareness%')
          and completed_on is not null and due_on >= $start and due_on < $end
    ),
    trained as (  -- the day half of the department's completions in the period were done
        select department, quantile_disc(completed_on, 0.5) as trained_on from sec group by department
    ),
    ph as (
        select p.department, t.trained_on,
            sum(p.clicked) filter (where p.campaign_date < t.trained_on) as clicked_before,
            sum(p.sent) filter (where p.campaign_date < t.trained_on) as sent_before,
            sum(p.clicked) filter (where p.campaign_date >= t.trained_on) as clicked_after,
            sum(p.sent) filter (where p.campaign_date >= t.trained_on) as sent_after
        from stg_phishing p join trained t using (department)
        where p.campaign_date >= $start and p.campaign_date < $end
        group by all
    )
    select department, trained_on, 100.0 * clicked_before / nullif(sent_before, 0) as click_rate_before_pct,
        100.0 * clicked_after / nullif(sent_after, 0) as click_rate_after_pct,
        click_rate_after_pct - click_rate_before_pct as change_pct_points
    from ph order by department
    """
    return run(con, sql, period_params(period), source=src,
               when_empty="no security-awareness completions and phishing campaigns in the same departments and period")


KPIS = {
    "completion_by_role": lambda con, period: completion_by_group(con, period, by="role"),
    "completion_by_department": lambda con, period: completion_by_group(con, period, by="department"),
    "completion_by_system": lambda con, period: completion_by_group(con, period, by="system"),
    "training_vs_howto_by_department": training_vs_howto_by_department,
    "departments_with_training_gap": departments_with_training_gap,
    "phishing_before_after_training": phishing_before_after_training,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Training's status: departments with an EHR training gap, and overall completion of assignments due."""
    gap = departments_with_training_gap(con, period, cfg=cfg)
    drivers = [Driver("departments_with_training_gap", "departments with low EHR completion and high how-to rate",
                      float(len(gap)), "0", "off target" if len(gap) else "on target",
                      ", ".join(gap["department"]) if not gap.empty else gap.attrs.get("note", ""))]
    c = completion_by_group(con, period, by="department")
    th = setting(cfg, AREA, "ehr_completion_pct")
    value = 100.0 * c["completed"].sum() / c["assignments"].sum() if not c.empty else None
    drivers.append(Driver("completion_by_department", "assignments completed (%)", value, f">= {th['watch']} %",
                          grade(value, th, higher_is_better=True)))
    return AreaStatus(AREA, tuple(drivers))
