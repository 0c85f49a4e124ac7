"""Regulatory compliance and reporting: HIPAA Security Rule coverage, control evidence freshness, open audit
findings by age, and breach-notification timeliness against the 60-day rule.

The store has no breach discovery or notification dates. Breach-notification timeliness therefore uses
security incidents (``incidents.is_security``) with ``opened_at`` as discovery and ``closed_at`` as a
proxy for notification; every result says so in its note.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "compliance"
HIPAA = "HIPAA Security Rule"


def hipaa_coverage(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """HIPAA Security Rule controls per safeguard and requirement (required/addressable) by implementation status (counts, percent)."""
    src = "stg_controls: framework, safeguard, requirement, control_status"
    cols = ["safeguard", "requirement", "controls", "implemented", "partial", "not_implemented", "not_applicable",
            "implemented_pct"]
    if note := missing(con, "stg_controls", where=f"framework = '{HIPAA}'"):
        return empty(cols, note.replace("controls rows", "HIPAA Security Rule controls"), src)
    sql = f"""
    select coalesce(safeguard, 'unknown') as safeguard, coalesce(requirement, 'unknown') as requirement,
        count(*) as controls,
        count(*) filter (where control_status = 'implemented') as implemented,
        count(*) filter (where control_status = 'partial') as partial,
        count(*) filter (where control_status = 'not_implemented') as not_implemented,
        count(*) filter (where control_status = 'not_applicable') as not_applicable,
        100.0 * implemented / nullif(count(*) - not_applicable, 0) as implemented_pct
    from stg_controls where framework = '{HIPAA}'
    group by all order by safeguard, requirement desc
    """
    return run(con, sql, None, source=src)


def control_evidence_freshness(
    con: duckdb.DuckDBPyConnection, period: Period, *, stale_months: int | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Every control with the age of its latest evidence at the period's last day (days), stale when older than the configured months."""
    n = int(stale_months or setting(cfg, AREA, "evidence_stale_months"))
    src = "stg_controls: framework, control_id, last_evidence_on"
    cols = ["framework", "control_id", "title", "requirement", "last_evidence_on", "evidence_age_days", "stale"]
    if note := missing(con, "stg_controls"):
        return empty(cols, note, src)
    sql = f"""
    with d as (select cast($end as date) - 1 as as_of)
    select framework, control_id, title, requirement, last_evidence_on,
        d.as_of - last_evidence_on as evidence_age_days,
        last_evidence_on is null or last_evidence_on < d.as_of - to_months({n}) as stale
    from stg_controls cross join d
    where control_status <> 'not_applicable'
    order by stale desc, last_evidence_on nulls first, framework, control_id
    """
    return run(con, sql, period_params(period), source=src)


def open_audit_findings_by_age(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Audit findings open at the period end with their age and days past the agreed due day (days)."""
    src = "stg_findings: opened_on, due_on, closed_on, finding_severity"
    cols = ["finding_id", "framework", "control_id", "title", "finding_severity", "opened_on", "due_on", "age_days",
            "days_past_due", "past_due"]
    if note := missing(con, "stg_findings"):
        return empty(cols, note, src)
    sql = """
    with d as (select cast($end as date) - 1 as as_of)
    select finding_id, framework, control_id, title, finding_severity, opened_on, due_on,
        d.as_of - opened_on as age_days, greatest(0, d.as_of - due_on) as days_past_due,
        coalesce(due_on < d.as_of, false) as past_due
    from stg_findings cross join d
    where opened_on < $end and (closed_on is null or closed_on >= $end)
    order by past_due desc, days_past_due desc, finding_id
    """
    return run(con, sql, period_params(period), source=src, when_empty="no audit findings open at the period end")


def breach_notification_timeliness(
    con: duckdb.DuckDBPyConnection, period: Period, *, limit_days: int | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Security incidents opened in the period and the days from opening to closing against the 60-day notification rule (days) - a proxy."""
    n = int(limit_days or setting(cfg, AREA, "breach_notification_days"))
    src = "int_incidents (stg_incidents): is_security, opened_at, closed_at; rule: 45 CFR 164.404(b)"
    proxy = ("proxy: the store has no breach discovery or notification dates; security incidents "
             "(is_security) are used with opened_at as discovery and closed_at as notification")
    cols = ["security_incidents", "closed", "within_limit", "over_limit", "still_open_past_limit",
            "max_days_to_close", "limit_days"]
    if note := missing(con, "stg_incidents", "is_security"):
        return empty(cols, note + "; " + proxy, src)
    sql = """
    select count(*) as security_incidents, count(closed_at) as closed,
        count(*) filter (where close_days <= $n) as within_limit,
        count(*) filter (where close_days > $n) as over_limit,
        count(*) filter (where closed_at is null and cast($end as date) - cast(opened_at as date) > $n) as still_open_past_limit,
        max(close_days) as max_days_to_close, $n as limit_days
    from int_incidents where is_security and opened_at >= $start and opened_at < $end
    """
    df = run(con, sql, {**period_params(period), "n": n}, source=src)
    if int(df["security_incidents"].iloc[0]) == 0:
        return empty(cols, "no security incidents in the period; " + proxy, src)
    df.attrs["note"] = proxy
    return df


KPIS = {
    "hipaa_coverage": hipaa_coverage,
    "control_evidence_freshness": control_evidence_freshness,
    "open_audit_findings_by_age": open_audit_findings_by_age,
    "breach_notification_timeliness": breach_notification_timeliness,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Compliance's status: stale HIPAA control evidence, audit findings past due, HIPAA required controls implemented."""
    drivers = []
    ev = control_evidence_freshness(con, period, cfg=cfg)
    th = setting(cfg, AREA, "stale_required_controls")
    stale = ev[ev["stale"] & (ev["framework"] == HIPAA)] if not ev.empty else ev
    drivers.append(Driver("control_evidence_freshness", "HIPAA controls with stale evidence", float(len(stale)), "0",
                          grade(float(len(stale)), th, higher_is_better=False),
                          ", ".join(stale["control_id"]) if not stale.empty else ev.attrs.get("note", "")))
    f = open_audit_findings_by_age(con, period)
    th = setting(cfg, AREA, "open_findings_past_due")
    past = float(f["past_due"].sum()) if not f.empty else 0.0
    drivers.append(Driver("open_audit_findings_by_age", "audit findings past due", past, "0",
                          grade(past, th, higher_is_better=False)))
    cov = hipaa_coverage(con, period)
    req = cov[cov["requirement"] == "required"] if not cov.empty else cov
    value = None
    if not req.empty:
        value = 100.0 * req["implemented"].sum() / max(1, req["controls"].sum() - req["not_applicable"].sum())
    drivers.append(Driver("hipaa_coverage", "HIPAA required specifications implemented (%)", value, "100 %",
                          "on target" if value == 100.0 else "watch"))
    return AreaStatus(AREA, tuple(drivers))
