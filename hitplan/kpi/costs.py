"""Budget and cost: budget against actual, year-end forecast, run/grow/transform mix, IT share of hospital
operating expense, cost per active user, TCO per system, top vendors and duplicate postings.

Money columns are in the hospital's currency (``hospital.currency``, US$ for US hospitals) and named ``_usd``.
Monthly figures take the calendar months whose first day falls in the period.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period, add_months, fiscal_year_of, fiscal_year_start

AREA = "costs"
_IN_MONTHS = "month >= date_trunc('month', cast($start as date)) and month < $end"


def budget_vs_actual_by_pool_month(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Budget and actual per cost pool per month, with the variance (US$) and actual/budget ratio."""
    src = "mart_budget_vs_actual_by_pool_month (stg_budgets.amount, int_costs.amount): month, cost_pool"
    cols = ["month", "cost_pool", "budget_usd", "actual_usd", "variance_usd", "actual_to_budget"]
    if (note := missing(con, "stg_budgets")) and missing(con, "stg_costs"):
        return empty(cols, note + " and no costs rows in the store", src)
    sql = f"""
    select month, cost_pool, budget_amount as budget_usd, actual_amount as actual_usd,
        actual_amount - budget_amount as variance_usd, actual_amount / nullif(budget_amount, 0) as actual_to_budget
    from mart_budget_vs_actual_by_pool_month where {_IN_MONTHS} order by month, cost_pool
    """
    return run(con, sql, period_params(period), source=src, when_empty="no budget or costs in the period")


def budget_vs_actual_by_pool(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Budget and actual per cost pool over the period (US$), the ratio, months over budget and the ratio's change from first to last month."""
    src = "mart_budget_vs_actual_by_pool_month (stg_budgets.amount, int_costs.amount): month, cost_pool"
    cols = ["cost_pool", "budget_usd", "actual_usd", "variance_usd", "actual_to_budget", "months_over_budget",
            "ratio_change_first_to_last_month"]
    if (note := missing(con, "stg_budgets")) and missing(con, "stg_costs"):
        return empty(cols, note + " and no costs rows in the store", src)
    sql = f"""
    with m as (
        select *, actual_amount / nullif(budget_amount, 0) as ratio
        from mart_budget_vs_actual_by_pool_month where {_IN_MONTHS}
    )
    select cost_pool, sum(budget_amount) as budget_usd, sum(actual_amount) as actual_usd,
        sum(actual_amount) - sum(budget_amount) as variance_usd,
        sum(actual_amount) / nullif(sum(budget_amount), 0) as actual_to_budget,
        count(*) filter (where actual_amount > budget_amount) as months_over_budget,
        arg_max(ratio, month) - arg_min(ratio, month) as ratio_change_first_to_last_month
    from m group by cost_pool order by actual_to_budget desc nulls last, cost_pool
    """
    df = run(con, sql, period_params(period), source=src, when_empty="no budget or costs in the period")
    if not df.empty and df["budget_usd"].eq(0).any():
        df.attrs["note"] = "pools without a budget have no ratio (blank)"
    return df


def actual_by_tower_month(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Actual spend per TBM tower per month (US$)."""
    src = "int_costs (stg_costs): month, tower, amount"
    cols = ["month", "tower", "actual_usd"]
    if note := missing(con, "int_costs"):
        return empty(cols, note, src)
    sql = f"""
    select month, tower, sum(amount) as actual_usd from int_costs where {_IN_MONTHS}
    group by all order by month, tower
    """
    return run(con, sql, period_params(period), source=src, when_empty="no costs in the period")


def year_end_forecast(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Run-rate forecast of the fiscal year the period ends in: actual to date + average month to date x months left (US$)."""
    from hitplan.periods import fiscal_year_start_month

    src = "int_costs (stg_costs): fiscal_year, month, amount; stg_budgets: fiscal_year, amount"
    cols = ["fiscal_year", "months_elapsed", "actual_to_date_usd", "run_rate_forecast_usd", "budget_usd",
            "forecast_to_budget", "method"]
    if note := missing(con, "int_costs"):
        return empty(cols, note, src)
    fy_month = fiscal_year_start_month(con)
    last = period.last_day
    fy = fiscal_year_of(last, fy_month)
    fy_start = fiscal_year_start(fy, fy_month)
    # months complete by the period end (the month of the last day counts when the period ends on its last day)
    end_month = add_months(last, 1) if period.end.day == 1 and period.end > last else add_months(last, 0)
    months = (end_month.year * 12 + end_month.month) - (fy_start.year * 12 + fy_start.month)
    sql = """
    with a as (select coalesce(sum(amount), 0) as v from int_costs where month >= $fy_start and month < $end_month),
    b as (select sum(cast(budget_amount as double)) as v from stg_budgets where fiscal_year = $fy)
    select $fy as fiscal_year, $months as months_elapsed, a.v as actual_to_date_usd,
        a.v + a.v / nullif($months, 0) * (12 - $months) as run_rate_forecast_usd,
        b.v as budget_usd,
        (a.v + a.v / nullif($months, 0) * (12 - $months)) / nullif(b.v, 0) as forecast_to_budget,
        'run-rate: actual to date + (actual to date / months elapsed) x months remaining' as method
    from a cross join b
    """
    df = run(con, sql, {"fy": fy, "months": months, "fy_start": fy_start, "end_month": end_month}, source=src)
    if months <= 0:
        df.attrs["note"] = "no complete month of the fiscal year yet; no run rate"
    return df


def rgt_mix(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Actual spend by run / grow / transform in the period (US$ and percent)."""
    src = "int_costs (stg_costs): rgt, amount"
    cols = ["rgt", "actual_usd", "share_pct"]
    if note := missing(con, "int_costs"):
        return empty(cols, note, src)
    sql = f"""
    select rgt, sum(amount) as actual_usd, 100.0 * sum(amount) / sum(sum(amount)) over () as share_pct
    from int_costs where {_IN_MONTHS} group by rgt
    order by list_position(['run', 'grow', 'transform', 'unclassified'], rgt)
    """
    return run(con, sql, period_params(period), source=src, when_empty="no costs in the period")


def it_opex_share(
    con: duckdb.DuckDBPyConnection, period: Period, *, benchmark_pct: dict | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """IT operating expense in the period, annualized, as a percent of the hospital's annual operating expense, against the benchmark range."""
    bench = benchmark_pct or setting(cfg, AREA, "it_opex_share_pct")
    src = "int_costs (stg_costs): capex_opex, amount; stg_hospital.operating_expense; benchmark: kpi/config.yaml costs.it_opex_share_pct"
    cols = ["it_opex_usd", "annualized_it_opex_usd", "hospital_operating_expense_usd", "it_opex_share_pct",
            "benchmark_low_pct", "benchmark_high_pct", "within_benchmark"]
    if note := missing(con, "stg_hospital", "operating_expense"):
        return empty(cols, note, src)
    sql = f"""
    with h as (select cast(max(operating_expense) as double) as opex from stg_hospital),
    c as (
        select sum(amount) as it_opex_usd,
            sum(amount) * 365.0 / (cast($end as date) - cast($start as date)) as annualized_it_opex_usd
        from int_costs where {_IN_MONTHS} and coalesce(capex_opex, 'opex') = 'opex'
    )
    select c.it_opex_usd, c.annualized_it_opex_usd, h.opex as hospital_operating_expense_usd,
        100.0 * c.annualized_it_opex_usd / h.opex as it_opex_share_pct,
        $low as benchmark_low_pct, $high as benchmark_high_pct,
        it_opex_share_pct between $low and $high as within_benchmark
    from c cross join h
    """
    df = run(con, sql, {**period_params(period), "low": float(bench["low"]), "high": float(bench["high"])},
             source=src)
    if df["it_opex_usd"].isna().all():
        return empty(cols, "no operating costs in the period", src)
    return df


def cost_per_active_user_by_system(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Spend attributed to each system in the period per average daily active user (US$ per user)."""
    src = "int_costs (stg_costs): system_id, amount; mart_usage_by_system_month (stg_usage): active_user_days, usage_days"
    cols = ["system_id", "system_name", "actual_usd", "avg_daily_active_users", "usd_per_active_user"]
    if note := missing(con, "int_costs", "system_id"):
        return empty(cols, note, src)
    if note := missing(con, "stg_usage"):
        return empty(cols, note, src)
    sql = f"""
    with c as (select system_id, sum(amount) as actual_usd from int_costs where {_IN_MONTHS} and system_id is not null group by all),
    u as (select system_id, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_users
          from mart_usage_by_system_month where {_IN_MONTHS} group by all)
    select c.system_id, s.system_name, c.actual_usd, u.avg_daily_active_users,
        c.actual_usd / nullif(u.avg_daily_active_users, 0) as usd_per_active_user
    from c join u using (system_id) left join stg_systems s using (system_id)
    order by usd_per_active_user desc nulls last, c.system_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no system has both costs and usage in the period")


def tco_by_system(con: duckdb.DuckDBPyConnection, period: Period, *, limit: int = 20) -> pd.DataFrame:
    """Total cost of ownership per system in the period: capital plus operating spend attributed to it (US$)."""
    src = "int_costs (stg_costs): system_id, capex_opex, amount; stg_systems.system_name"
    cols = ["system_id", "system_name", "capex_usd", "opex_usd", "tco_usd"]
    if note := missing(con, "int_costs", "system_id"):
        return empty(cols, note, src)
    sql = f"""
    select c.system_id, any_value(s.system_name) as system_name,
        coalesce(sum(amount) filter (where capex_opex = 'capex'), 0) as capex_usd,
        coalesce(sum(amount) filter (where coalesce(capex_opex, 'opex') = 'opex'), 0) as opex_usd,
        sum(amount) as tco_usd
    from int_costs c left join stg_systems s using (system_id)
    where {_IN_MONTHS} and c.system_id is not null
    group by c.system_id order by tco_usd desc, c.system_id limit $limit
    """
    return run(con, sql, {**period_params(period), "limit": int(limit)}, source=src,
               when_empty="no costs attributed to systems in the period")


def top_vendors_by_spend(con: duckdb.DuckDBPyConnection, period: Period, *, limit: int = 10) -> pd.DataFrame:
    """The vendors paid most in the period (US$ and percent of vendor spend)."""
    src = "int_costs (stg_costs): vendor_id, amount; stg_vendors.vendor_name"
    cols = ["vendor_id", "vendor_name", "actual_usd", "share_pct"]
    if note := missing(con, "int_costs", "vendor_id"):
        return empty(cols, note, src)
    sql = f"""
    select c.vendor_id, any_value(v.vendor_name) as vendor_name, sum(amount) as actual_usd,
        100.0 * sum(amount) / sum(sum(amount)) over () as share_pct
    from int_costs c left join stg_vendors v using (vendor_id)
    where {_IN_MONTHS} and c.vendor_id is not null
    group by c.vendor_id order by actual_usd desc, c.vendor_id limit $limit
    """
    return run(con, sql, {**period_params(period), "limit": int(limit)}, source=src,
               when_empty="no vendor payments in the period")


def duplicate_postings(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Ledger lines with the same vendor, invoice number and amount as another line, posted in the period (US$)."""
    src = "mart_duplicate_postings (int_costs): vendor_id, invoice_number, amount, entry_id"
    cols = ["entry_id", "posting_date", "vendor_id", "invoice_number", "amount_usd", "lines_in_group"]
    if note := missing(con, "stg_costs", "invoice_number"):
        return empty(cols, note, src)
    # a group counts when any of its lines is posted in the period; its other lines are shown wherever they fall
    sql = """
    with d as materialized (select * from mart_duplicate_postings)
    select entry_id, posting_date, vendor_id, invoice_number, amount as amount_usd, lines_in_group
    from d
    where (vendor_id, invoice_number, amount) in (
        select (vendor_id, invoice_number, amount) from d where posting_date >= $start and posting_date < $end)
    order by vendor_id, invoice_number, posting_date, entry_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no duplicate postings in the period")


KPIS = {
    "budget_vs_actual_by_pool_month": budget_vs_actual_by_pool_month,
    "budget_vs_actual_by_pool": budget_vs_actual_by_pool,
    "actual_by_tower_month": actual_by_tower_month,
    "year_end_forecast": year_end_forecast,
    "rgt_mix": rgt_mix,
    "it_opex_share": it_opex_share,
    "cost_per_active_user_by_system": cost_per_active_user_by_system,
    "tco_by_system": tco_by_system,
    "top_vendors_by_spend": top_vendors_by_spend,
    "duplicate_postings": duplicate_postings,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Costs' status: the most over-budget cost pool, duplicate invoices, IT share of operating expense."""
    drivers = []
    pools = budget_vs_actual_by_pool(con, period)
    th = setting(cfg, AREA, "actual_to_budget")
    if pools.empty or pools["actual_to_budget"].isna().all():
        drivers.append(Driver("budget_vs_actual_by_pool", "highest pool actual/budget", None,
                              f"<= {th['watch']}", "watch", pools.attrs.get("note", "")))
    else:
        top = pools.dropna(subset=["actual_to_budget"]).iloc[0]
        over = pools[pools["actual_to_budget"] > th["off_target"]]
        drivers.append(Driver("budget_vs_actual_by_pool", "highest pool actual/budget", float(top["actual_to_budget"]),
                              f"<= {th['watch']}", grade(float(top["actual_to_budget"]), th, higher_is_better=False),
                              ", ".join(over["cost_pool"]) or str(top["cost_pool"])))
    dup = duplicate_postings(con, period)
    th = setting(cfg, AREA, "duplicate_postings")
    groups = 0 if dup.empty else int(dup.groupby(["vendor_id", "invoice_number", "amount_usd"]).ngroups)
    drivers.append(Driver("duplicate_postings", "duplicated invoices", float(groups), "0",
                          grade(float(groups), th, higher_is_better=False),
                          ", ".join(dup["entry_id"]) if not dup.empty else ""))
    share = it_opex_share(con, period, cfg=cfg)
    if share.empty:
        drivers.append(Driver("it_opex_share", "IT opex as % of hospital opex", None, "benchmark range", "watch",
                              share.attrs.get("note", "")))
    else:
        r = share.iloc[0]
        drivers.append(Driver("it_opex_share", "IT opex as % of hospital opex", float(r["it_opex_share_pct"]),
                              f"{r['benchmark_low_pct']}-{r['benchmark_high_pct']} %",
                              "on target" if r["within_benchmark"] else "watch"))
    return AreaStatus(AREA, tuple(drivers))
