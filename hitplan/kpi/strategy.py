"""Innovation and strategic planning: the initiative portfolio by area and status, spend by run / grow /
transform and the share going to transformation. (Scoring and prioritizing initiatives is another issue.)"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "strategy"


def portfolio_mix_by_area(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Candidate initiatives per area of IT management with their capital, yearly operating cost and savings (count, US$)."""
    src = "stg_initiatives: area, capex, opex_per_year, savings_per_year, initiative_status"
    cols = ["area", "initiatives", "capex_usd", "opex_per_year_usd", "savings_per_year_usd"]
    if note := missing(con, "stg_initiatives"):
        return empty(cols, note, src)
    sql = """
    select area, count(*) as initiatives, sum(cast(capex as double)) as capex_usd,
        sum(cast(opex_per_year as double)) as opex_per_year_usd, sum(cast(savings_per_year as double)) as savings_per_year_usd
    from stg_initiatives where coalesce(initiative_status, 'proposed') not in ('rejected', 'done')
    group by area order by capex_usd desc nulls last, area
    """
    return run(con, sql, None, source=src, when_empty="no open initiatives")


def spend_by_rgt(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Actual spend in the period by run / grow / transform (US$, percent)."""
    from hitplan.kpi.costs import rgt_mix

    return rgt_mix(con, period)


def transformation_share(
    con: duckdb.DuckDBPyConnection, period: Period, *, thresholds: dict | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Share of the period's classified spend that is 'transform' (percent), against the configured floor."""
    th = thresholds or setting(cfg, AREA, "transform_share_pct")
    src = "int_costs (stg_costs): rgt, amount; floor: kpi/config.yaml strategy.transform_share_pct"
    cols = ["transform_usd", "classified_usd", "transform_share_pct", "target_pct"]
    if note := missing(con, "stg_costs", "rgt"):
        return empty(cols, note, src)
    sql = """
    select sum(amount) filter (where rgt = 'transform') as transform_usd,
        sum(amount) filter (where rgt in ('run', 'grow', 'transform')) as classified_usd,
        100.0 * coalesce(transform_usd, 0) / nullif(classified_usd, 0) as transform_share_pct,
        $target as target_pct
    from int_costs where month >= date_trunc('month', cast($start as date)) and month < $end
    """
    df = run(con, sql, {**period_params(period), "target": float(th["watch"])}, source=src)
    if df["classified_usd"].isna().all():
        return empty(cols, "no costs classified run/grow/transform in the period", src)
    return df


def initiative_pipeline_by_status(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Initiatives per pipeline status with capital and yearly operating cost (count, US$)."""
    src = "stg_initiatives: initiative_status, capex, opex_per_year"
    cols = ["initiative_status", "initiatives", "capex_usd", "opex_per_year_usd", "mandatory"]
    if note := missing(con, "stg_initiatives"):
        return empty(cols, note, src)
    sql = """
    with i as (select * exclude (initiative_status), coalesce(initiative_status, 'unknown') as initiative_status
               from stg_initiatives)
    select initiative_status, count(*) as initiatives,
        sum(cast(capex as double)) as capex_usd, sum(cast(opex_per_year as double)) as opex_per_year_usd,
        count(*) filter (where mandatory) as mandatory
    from i group by initiative_status
    order by list_position(['proposed', 'approved', 'in_progress', 'done', 'rejected', 'unknown'], initiative_status)
    """
    return run(con, sql, None, source=src)


KPIS = {
    "portfolio_mix_by_area": portfolio_mix_by_area,
    "spend_by_rgt": spend_by_rgt,
    "transformation_share": transformation_share,
    "initiative_pipeline_by_status": initiative_pipeline_by_status,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Strategy's status: the share of spend going to transformation, and whether any initiative is in the pipeline."""
    ts = transformation_share(con, period, cfg=cfg)
    th = setting(cfg, AREA, "transform_share_pct")
    value = None if ts.empty else float(ts["transform_share_pct"].iloc[0])
    drivers = [Driver("transformation_share", "transform share of spend (%)", value, f">= {th['watch']} %",
                      grade(value, th, higher_is_better=True), ts.attrs.get("note", ""))]
    pipe = initiative_pipeline_by_status(con, period)
    open_n = float(pipe[pipe["initiative_status"].isin(["proposed", "approved", "in_progress"])]["initiatives"].sum()) \
        if not pipe.empty else 0.0
    drivers.append(Driver("initiative_pipeline_by_status", "initiatives proposed, approved or in progress", open_n,
                          ">= 1", "on target" if open_n else "watch"))
    return AreaStatus(AREA, tuple(drivers))
