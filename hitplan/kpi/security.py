"""Cybersecurity and data protection: open findings, KEV exposure, remediation time against policy,
PHI systems with critical findings, security incidents, phishing, expected breach loss.

A finding is open at the period end when it was first seen before the end and is not fixed by then
(state open/reopened, or fixed_at on or after the end). The HHS OCR peer-breach landscape needs a reference
table another issue adds; it is not computed here.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.kpi.common import AreaStatus, Driver, empty, grade, missing, period_params, run, setting
from hitplan.periods import Period

AREA = "security"

# open at the period end: seen before it, not fixed before it, and not risk-accepted
_OPEN_AT_END = """first_seen < $end
      and finding_state <> 'accepted_risk'
      and (is_open or (fixed_at is not null and fixed_at >= $end))"""


def open_findings_by_severity(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Vulnerability findings open at the end of the period by severity and age band (counts; age in days)."""
    src = "int_vulnerabilities (stg_vulnerabilities): severity, first_seen, fixed_at, finding_state"
    cols = ["severity", "open_findings", "age_0_30_days", "age_31_90_days", "age_91_180_days", "age_over_180_days",
            "oldest_days"]
    if note := missing(con, "int_vulnerabilities"):
        return empty(cols, note, src)
    sql = f"""
    with f as (
        select severity, (epoch(cast($end as timestamp)) - epoch(first_seen)) / 86400.0 as age_days
        from int_vulnerabilities where {_OPEN_AT_END}
    )
    select severity, count(*) as open_findings,
        count(*) filter (where age_days <= 30) as age_0_30_days,
        count(*) filter (where age_days > 30 and age_days <= 90) as age_31_90_days,
        count(*) filter (where age_days > 90 and age_days <= 180) as age_91_180_days,
        count(*) filter (where age_days > 180) as age_over_180_days,
        floor(max(age_days)) as oldest_days
    from f group by severity
    order by list_position(['critical', 'high', 'medium', 'low', 'info'], severity)
    """
    return run(con, sql, period_params(period), source=src, when_empty="no findings open at the end of the period")


def kev_exposure(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Findings open at the period end whose CVE is in CISA's KEV catalog, with days past CISA's due date (days)."""
    src = "int_vulnerabilities (stg_vulnerabilities.cve joined to stg_kev.cve_id): host, cve, kev_due_date; stg_systems.holds_phi"
    cols = ["host", "cve", "system_id", "system_name", "system_holds_phi", "severity", "kev_due_date",
            "days_past_due", "past_due", "kev_known_ransomware_use"]
    if note := missing(con, "stg_kev"):
        return empty(cols, note + " (load CISA's KEV catalog: hitplan ingest kev known_exploited_vulnerabilities.csv)", src)
    if note := missing(con, "int_vulnerabilities", "cve"):
        return empty(cols, note, src)
    sql = f"""
    select host, cve, system_id, system_name, system_holds_phi, severity, kev_due_date,
        greatest(0, cast($end as date) - 1 - kev_due_date) as days_past_due,
        kev_due_date < cast($end as date) - 1 as past_due,
        kev_known_ransomware_use
    from int_vulnerabilities where is_kev and {_OPEN_AT_END}
    order by past_due desc, days_past_due desc, host, cve
    """
    return run(con, sql, period_params(period), source=src, when_empty="no open findings of KEV-listed CVEs")


def remediation_time_by_severity(
    con: duckdb.DuckDBPyConnection, period: Period, *, policy_days: dict | None = None, cfg: dict | None = None
) -> pd.DataFrame:
    """Mean and median days to remediate findings fixed in the period by severity, against the policy (days, percent)."""
    policy = policy_days or setting(cfg, AREA, "remediation_policy_days")
    src = "int_vulnerabilities (stg_vulnerabilities): severity, first_seen, fixed_at; policy: kpi/config.yaml security.remediation_policy_days"
    cols = ["severity", "fixed_findings", "mean_days_to_remediate", "median_days_to_remediate", "policy_days",
            "within_policy_pct"]
    if note := missing(con, "int_vulnerabilities", "fixed_at"):
        return empty(cols, note, src)
    values = ", ".join(f"('{k}', {float(v)})" for k, v in policy.items() if str(k).isidentifier())
    sql = f"""
    with policy(severity, policy_days) as (values {values})
    select v.severity, count(*) as fixed_findings, avg(days_to_fix) as mean_days_to_remediate,
        median(days_to_fix) as median_days_to_remediate, any_value(p.policy_days) as policy_days,
        100.0 * count(*) filter (where days_to_fix <= p.policy_days) / count(*) as within_policy_pct
    from int_vulnerabilities v left join policy p using (severity)
    where fixed_at >= $start and fixed_at < $end
    group by v.severity order by list_position(['critical', 'high', 'medium', 'low', 'info'], v.severity)
    """
    return run(con, sql, period_params(period), source=src, when_empty="no findings fixed in the period")


def phi_systems_with_critical_findings(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Systems holding PHI with critical or KEV-listed findings open at the period end (counts)."""
    src = "int_vulnerabilities: system_id, severity, is_kev, system_holds_phi (stg_systems.holds_phi)"
    cols = ["system_id", "system_name", "criticality_tier", "open_critical_findings", "open_kev_findings"]
    if note := missing(con, "int_vulnerabilities"):
        return empty(cols, note, src)
    sql = f"""
    select system_id, any_value(system_name) as system_name, any_value(criticality_tier) as criticality_tier,
        count(*) filter (where severity = 'critical') as open_critical_findings,
        count(*) filter (where is_kev) as open_kev_findings
    from int_vulnerabilities
    where system_holds_phi and (severity = 'critical' or is_kev) and {_OPEN_AT_END}
    group by system_id order by open_kev_findings desc, open_critical_findings desc, system_id
    """
    return run(con, sql, period_params(period), source=src,
               when_empty="no PHI system has an open critical or KEV finding")


def security_incidents_by_month(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Security incidents opened per month of the period, and those on PHI systems (counts, outage minutes)."""
    src = "int_incidents (stg_incidents): is_security, opened_at, outage_minutes; stg_systems.holds_phi"
    cols = ["month", "security_incidents", "on_phi_systems", "outage_minutes"]
    if note := missing(con, "stg_incidents", "is_security"):
        return empty(cols, note, src)
    sql = """
    select opened_month as month, count(*) as security_incidents,
        count(*) filter (where system_holds_phi) as on_phi_systems, sum(outage_minutes) as outage_minutes
    from int_incidents where is_security and opened_at >= $start and opened_at < $end
    group by opened_month order by opened_month
    """
    return run(con, sql, period_params(period), source=src, when_empty="no security incidents in the period")


def phishing_rates_by_month(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Phishing-simulation click and report rates per month (percent of e-mails delivered)."""
    src = "stg_phishing: campaign_date, sent, clicked, reported"
    cols = ["month", "sent", "click_rate_pct", "report_rate_pct"]
    if note := missing(con, "stg_phishing"):
        return empty(cols, note, src)
    sql = """
    select cast(date_trunc('month', campaign_date) as date) as month, sum(sent) as sent,
        100.0 * sum(clicked) / nullif(sum(sent) filter (where clicked is not null), 0) as click_rate_pct,
        100.0 * sum(reported) / nullif(sum(sent) filter (where reported is not null), 0) as report_rate_pct
    from stg_phishing where campaign_date >= $start and campaign_date < $end
    group by all order by month
    """
    return run(con, sql, period_params(period), source=src, when_empty="no phishing campaigns in the period")


def breach_loss_exposure(
    con: duckdb.DuckDBPyConnection, period: Period, *, cost_per_breach_usd: float | None = None,
    annual_likelihood: float | None = None, cfg: dict | None = None,
) -> pd.DataFrame:
    """Expected annual breach loss (US$) = likelihood x cost per breach, with the PHI systems exposed by open critical/KEV findings."""
    cost = float(cost_per_breach_usd if cost_per_breach_usd is not None else setting(cfg, AREA, "cost_per_breach_usd"))
    p = float(annual_likelihood if annual_likelihood is not None else setting(cfg, AREA, "annual_breach_likelihood"))
    exposed = phi_systems_with_critical_findings(con, period)
    n_phi = run(con, "select count(*) as n from stg_systems where holds_phi", None, source="").iloc[0, 0]
    df = pd.DataFrame([{
        "phi_systems": int(n_phi),
        "phi_systems_exposed": int(len(exposed)),
        "cost_per_breach_usd": cost,
        "annual_breach_likelihood": p,
        "expected_annual_loss_usd": cost * p,
    }])
    df.attrs["source"] = ("kpi/config.yaml security.cost_per_breach_usd (IBM Cost of a Data Breach 2024, healthcare) "
                          "and annual_breach_likelihood; stg_systems.holds_phi; int_vulnerabilities")
    return df


_PEER_SRC = "mart_peer_breaches_by_year (stg_breaches, the HHS OCR breach report): {}"


def peer_breaches_by_year(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Peer breaches of 500+ individuals reported to HHS OCR per year, and those by hacking/IT incident (counts, people)."""
    src = _PEER_SRC.format("submitted_on, breach_type, individuals_affected")
    cols = ["breach_year", "breaches", "hacking_it_breaches", "hacking_it_pct", "individuals_affected"]
    if note := missing(con, "stg_breaches"):
        return empty(cols, note + " (hitplan init loads the report hitplan ships)", src)
    sql = """
    select breach_year, count(*) as breaches,
        count(*) filter (where breach_type ilike 'hacking%') as hacking_it_breaches,
        100.0 * count(*) filter (where breach_type ilike 'hacking%') / count(*) as hacking_it_pct,
        sum(individuals_affected) as individuals_affected
    from (select year(submitted_on) as breach_year, breach_type, individuals_affected from stg_breaches)
    group by breach_year order by breach_year
    """
    return run(con, sql, None, source=src)


def peer_breaches_by_type_and_location(con: duckdb.DuckDBPyConnection, period: Period, *, years: int = 3) -> pd.DataFrame:
    """Peer breaches in the report's latest ``years`` years by type and location of the breached information (counts, people)."""
    src = _PEER_SRC.format("breach_type, breached_location (split per location), individuals_affected")
    cols = ["breach_type", "breached_location", "breaches", "individuals_affected", "share_pct"]
    if note := missing(con, "stg_breaches"):
        return empty(cols, note, src)
    sql = f"""
    with recent as (
        select * from mart_peer_breaches_by_year
        where breach_year > (select max(breach_year) from mart_peer_breaches_by_year) - {int(years)}
    )
    select breach_type, breached_location, sum(breaches) as breaches, sum(individuals_affected) as individuals_affected,
        100.0 * sum(breaches) / (select sum(breaches) from recent) as share_pct
    from recent group by all order by breaches desc, breach_type, breached_location
    """
    return run(con, sql, None, source=src)


def peer_breaches_by_entity_and_state(con: duckdb.DuckDBPyConnection, period: Period, *, state: str | None = None) -> pd.DataFrame:
    """Peer breaches by covered-entity type and state, all years, optionally one state (counts, people)."""
    src = "stg_breaches (the HHS OCR breach report): entity_type, state, individuals_affected"
    cols = ["entity_type", "state", "breaches", "individuals_affected", "largest_breach"]
    if note := missing(con, "stg_breaches"):
        return empty(cols, note, src)
    sql = """
    select entity_type, state, count(*) as breaches, sum(individuals_affected) as individuals_affected,
        max(individuals_affected) as largest_breach
    from stg_breaches where $state is null or state = $state
    group by all order by breaches desc, entity_type, state
    """
    return run(con, sql, {"state": state}, source=src)


KPIS = {
    "open_findings_by_severity": open_findings_by_severity,
    "kev_exposure": kev_exposure,
    "remediation_time_by_severity": remediation_time_by_severity,
    "phi_systems_with_critical_findings": phi_systems_with_critical_findings,
    "security_incidents_by_month": security_incidents_by_month,
    "phishing_rates_by_month": phishing_rates_by_month,
    "breach_loss_exposure": breach_loss_exposure,
    "peer_breaches_by_year": peer_breaches_by_year,
    "peer_breaches_by_type_and_location": peer_breaches_by_type_and_location,
    "peer_breaches_by_entity_and_state": peer_breaches_by_entity_and_state,
}


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> AreaStatus:
    """Security's status: open KEV findings past CISA's due date, critical remediation within policy, phishing click rate."""
    drivers = []
    kev = kev_exposure(con, period)
    th = setting(cfg, AREA, "kev_past_due_findings")
    if kev.empty and "no open findings" not in kev.attrs.get("note", ""):
        drivers.append(Driver("kev_exposure", "open KEV findings past due", None, "0", "watch", kev.attrs["note"]))
    else:
        past = kev[kev["past_due"]] if not kev.empty else kev
        detail = "; ".join(f"{r.host} {r.cve}" for r in past.itertuples())
        drivers.append(Driver("kev_exposure", "open KEV findings past due", float(len(past)), "0",
                              grade(float(len(past)), th, higher_is_better=False), detail))
    rem = remediation_time_by_severity(con, period, cfg=cfg)
    th = setting(cfg, AREA, "critical_within_policy_pct")
    crit = rem[rem["severity"] == "critical"] if not rem.empty else rem
    value = None if crit.empty else float(crit["within_policy_pct"].iloc[0])
    drivers.append(Driver("remediation_time_by_severity", "critical findings fixed within policy (%)", value,
                          f">= {th['watch']} %", grade(value, th, higher_is_better=True)))
    ph = phishing_rates_by_month(con, period)
    th = setting(cfg, AREA, "phishing_click_rate_pct")
    value = None if ph.empty else float(ph["click_rate_pct"].iloc[-1])
    drivers.append(Driver("phishing_rates_by_month", "latest phishing click rate (%)", value,
                          f"<= {th['watch']} %", grade(value, th, higher_is_better=False)))
    return AreaStatus(AREA, tuple(drivers))
