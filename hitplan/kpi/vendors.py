"""Vendor management and procurement: SLA attainment per vendor, spend concentration, contracts renewing
(with notice deadlines and near auto-renewals), BAA coverage for PHI systems, incidents per vendor."""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "vendors"


def vendor_sla_attainment(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Per vendor with a contract SLA: availability of its systems (percent) against sla_availability_pct, and P1/P2 acknowledgement (minutes) against sla_response_minutes."""
    src = ("int_contracts (stg_contracts): sla_availability_pct, sla_response_minutes, system_id, vendor_id; "
           "int_incidents: outage_minutes, priority, ack_minutes (acknowledged_at - opened_at), vendor_id of the system")
    cols = ["vendor_id", "vendor_name", "systems", "availability_pct", "sla_availability_pct", "availability_met",
            "p1_p2_incidents", "median_ack_minutes", "sla_response_minutes", "response_sla_met_pct", "response_met"]
    if note := missing(con, "int_contracts"):
        return empty(cols, note, src)
    sql = """
    with sla as (
        select vendor_id, any_value(vendor_name) as vendor_name,
            max(sla_availability_pct) as sla_availability_pct, min(sla_response_minutes) as sla_response_minutes
        from int_contracts
        where start_date < $end and end_date >= $start
          and (sla_availability_pct is not null or sla_response_minutes is not null)
        group by vendor_id
    ),
    vsys as (select vendor_id, count(*) as systems from stg_systems group by vendor_id),
    inc as (
        select i.vendor_id, sum(i.outage_minutes) as outage_minutes,
            count(*) filter (where i.priority <= 2) as p1_p2_incidents,
            median(i.ack_minutes) filter (where i.priority <= 2) as median_ack_minutes,
            list(i.ack_minutes) filter (where i.priority <= 2 and i.ack_minutes is not null) as acks
        from int_incidents i where i.opened_at >= $start and i.opened_at < $end and i.vendor_id in (select vendor_id from sla)
        group by i.vendor_id
    )
    select sla.vendor_id, sla.vendor_name, coalesce(vsys.systems, 0) as systems,
        100.0 * (1 - coalesce(inc.outage_minutes, 0)
            / nullif(vsys.systems * (cast($end as date) - cast($start as date)) * 1440.0, 0)) as availability_pct,
        sla.sla_availability_pct,
        availability_pct >= sla.sla_availability_pct as availability_met,
        coalesce(inc.p1_p2_incidents, 0) as p1_p2_incidents, inc.median_ack_minutes, sla.sla_response_minutes,
        100.0 * len(list_filter(inc.acks, lambda a: a <= sla.sla_response_minutes)) / nullif(len(inc.acks), 0) as response_sla_met_pct,
        inc.median_ack_minutes <= sla.sla_response_minutes as response_met
    from sla left join inc using (vendor_id) left join vsys using (vendor_id)
    order by response_met nulls last, response_sla_met_pct nulls last, sla.vendor_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no contract with an SLA in the period")


def spend_concentration(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Vendors ranked by spend in the period with share and cumulative share of vendor spend (US$, percent) and the Herfindahl index (0-10,000)."""
    src = "int_costs (stg_costs): vendor_id, amount"
    cols = ["rank", "vendor_id", "vendor_name", "actual_usd", "share_pct", "cumulative_share_pct", "hhi"]
    if note := missing(con, "int_costs", "vendor_id"):
        return empty(cols, note, src)
    sql = """
    with v as (
        select vendor_id, sum(amount) as actual_usd from int_costs
        where posting_date >= $start and posting_date < $end and vendor_id is not null group by all
    ),
    s as (select *, 100.0 * actual_usd / sum(actual_usd) over () as share_pct from v)
    select row_number() over (order by actual_usd desc, vendor_id) as rank, s.vendor_id, vn.vendor_name,
        s.actual_usd, s.share_pct,
        sum(s.share_pct) over (order by s.actual_usd desc, s.vendor_id rows unbounded preceding) as cumulative_share_pct,
        sum(s.share_pct * s.share_pct) over () as hhi
    from s left join stg_vendors vn using (vendor_id) order by rank
    """
    return run(con, sql, period_params(period), source=src, when_empty="no vendor payments in the period")


def contracts_renewing(
    con: duckdb.DuckDBPyConnection, period: Period, *, horizon_days: int | None = None,
    notice_alert_days: int | None = None, cfg: dict | None = None,
) -> pd.DataFrame:
    """Contracts ending, or whose notice deadline (end_date - notice_days) falls, in the days after the period end, flagging auto-renewals whose deadline is near (days)."""
    horizon = int(horizon_days or setting(cfg, AREA, "renewal_horizon_days"))
    alert = int(notice_alert_days or setting(cfg, AREA, "notice_alert_days"))
    src = "int_contracts (stg_contracts): end_date, notice_days, auto_renew, annual_value"
    cols = ["contract_id", "vendor_id", "vendor_name", "system_id", "title", "end_date", "notice_days",
            "notice_deadline", "days_to_notice_deadline", "auto_renew", "annual_value_usd", "deadline_near"]
    if note := missing(con, "int_contracts"):
        return empty(cols, note, src)
    sql = """
    select contract_id, vendor_id, vendor_name, system_id, title, end_date, notice_days, notice_deadline,
        notice_deadline - cast($end as date) as days_to_notice_deadline, auto_renew,
        cast(annual_value as double) as annual_value_usd,
        auto_renew and notice_deadline >= $end and notice_deadline < cast($end as date) + $alert as deadline_near
    from int_contracts
    where (end_date >= $end and end_date < cast($end as date) + $horizon)
       or (notice_deadline >= $end and notice_deadline < cast($end as date) + $horizon)
    order by notice_deadline, contract_id
    """
    return run(con, sql, {**period_params(period), "horizon": horizon, "alert": alert}, source=src,
               when_empty=f"no contract ends or reaches its notice deadline within {horizon} days")


def baa_coverage(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Vendors whose systems hold PHI, with their contracts and whether a BAA is signed (counts; gap when not)."""
    src = "stg_systems: vendor_id, holds_phi; int_contracts (stg_contracts): baa_signed, start_date, end_date"
    cols = ["vendor_id", "vendor_name", "phi_systems", "contracts", "baa_signed_contracts", "baa_gap"]
    if note := missing(con, "stg_systems", "holds_phi"):
        return empty(cols, note, src)
    sql = """
    with phi as (
        select vendor_id, count(*) as phi_systems from stg_systems where holds_phi and vendor_id is not null group by all
    ),
    c as (
        select vendor_id, count(*) as contracts, count(*) filter (where baa_signed) as baa_signed_contracts
        from int_contracts where start_date < $end and end_date >= $start group by all
    )
    select phi.vendor_id, v.vendor_name, phi.phi_systems, coalesce(c.contracts, 0) as contracts,
        coalesce(c.baa_signed_contracts, 0) as baa_signed_contracts,
        coalesce(c.baa_signed_contracts, 0) = 0 as baa_gap
    from phi left join c using (vendor_id) left join stg_vendors v using (vendor_id)
    order by baa_gap desc, phi.vendor_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no system holds PHI")


def incidents_by_vendor(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Incidents opened in the period on each vendor's systems (counts, outage minutes)."""
    src = "int_incidents: vendor_id (stg_systems.vendor_id), priority, outage_minutes; stg_vendors.vendor_name"
    cols = ["vendor_id", "vendor_name", "incidents", "p1_p2_incidents", "outage_minutes"]
    if note := missing(con, "int_incidents"):
        return empty(cols, note, src)
    sql = """
    select i.vendor_id, any_value(v.vendor_name) as vendor_name, count(*) as incidents,
        count(*) filter (where priority <= 2) as p1_p2_incidents, sum(outage_minutes) as outage_minutes
    from int_incidents i left join stg_vendors v using (vendor_id)
    where opened_at >= $start and opened_at < $end and i.vendor_id is not null
    group by i.vendor_id order by incidents desc, i.vendor_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no incidents on vendors' systems in the period")


KPIS = {
    "vendor_sla_attainment": vendor_sla_attainment,
    "spend_concentration": spend_concentration,
    "contracts_renewing": contracts_renewing,
    "baa_coverage": baa_coverage,
    "incidents_by_vendor": incidents_by_vendor,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Vendors' status: vendors missing their response SLA, BAA gaps, auto-renewals with a near notice deadline."""
    drivers = []
    sla = vendor_sla_attainment(con, period)
    miss = sla[sla["response_met"] == False] if not sla.empty else sla  # noqa: E712 (nullable booleans)
    drivers.append(Driver("vendor_sla_attainment", "vendors whose median P1/P2 acknowledgement exceeds the SLA",
                          float(len(miss)), "0", "off target" if len(miss) else "on target",
                          ", ".join(f"{r.vendor_id} {r.vendor_name}" for r in miss.itertuples())))
    baa = baa_coverage(con, period)
    gaps = baa[baa["baa_gap"]] if not baa.empty else baa
    drivers.append(Driver("baa_coverage", "vendors of PHI systems without a signed BAA", float(len(gaps)), "0",
                          "off target" if len(gaps) else "on target", ", ".join(gaps["vendor_id"]) if not gaps.empty else ""))
    ren = contracts_renewing(con, period, cfg=cfg)
    near = ren[ren["deadline_near"]] if not ren.empty else ren
    drivers.append(Driver("contracts_renewing", "auto-renewals with a near notice deadline", float(len(near)), "0",
                          "watch" if len(near) else "on target",
                          ", ".join(f"{r.contract_id} by {r.notice_deadline:%Y-%m-%d}" for r in near.itertuples())))
    return AreaStatus(AREA, tuple(drivers))
