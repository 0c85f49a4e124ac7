"""Cybersecurity and data protection: open findings, KEV exposure, remediation time against policy,
PHI systems with critical findings, security incidents, phishing, expected breach loss.

A finding is open at the period end when it was first seen before the end and is not fixed by then
(state open/reopened, or fixed_at on or after the end). The HHS OCR peer-breach landscape needs a reference
table another issue adds; it is not computed here.
"""

from __future__ import annotations


import duckdb

from hitplan.analysis import AreaStatus, Driver, grade
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "security"

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/security/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Security's status: open KEV findings past CISA's due date, critical remediation within policy, phishing click rate."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    kev = kpi("kev_exposure")
    th = setting(cfg, AREA, "kev_past_due_findings")
    if kev.empty and "no open findings" not in kev.attrs.get("note", ""):
        drivers.append(Driver("kev_exposure", "open KEV findings past due", None, "0", "watch", kev.attrs["note"]))
    else:
        past = kev[kev["past_due"]] if not kev.empty else kev
        detail = "; ".join(f"{r.host} {r.cve}" for r in past.itertuples())
        drivers.append(Driver("kev_exposure", "open KEV findings past due", float(len(past)), "0",
                              grade(float(len(past)), th, higher_is_better=False), detail))
    rem = kpi("remediation_time_by_severity")
    th = setting(cfg, AREA, "critical_within_policy_pct")
    crit = rem[rem["severity"] == "critical"] if not rem.empty else rem
    value = None if crit.empty else float(crit["within_policy_pct"].iloc[0])
    drivers.append(Driver("remediation_time_by_severity", "critical findings fixed within policy (%)", value,
                          f">= {th['watch']} %", grade(value, th, higher_is_better=True)))
    ph = kpi("phishing_rates_by_month")
    th = setting(cfg, AREA, "phishing_click_rate_pct")
    value = None if ph.empty else float(ph["click_rate_pct"].iloc[-1])
    drivers.append(Driver("phishing_rates_by_month", "latest phishing click rate (%)", value,
                          f"<= {th['watch']} %", grade(value, th, higher_is_better=False)))
    return AreaStatus(AREA, tuple(drivers))
