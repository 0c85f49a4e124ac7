"""Cybersecurity and data protection: open findings, KEV exposure, remediation time against policy,
PHI systems with critical findings, security incidents, phishing, expected breach loss.

A finding is open at the period end when it was first seen before the end and is not fixed by then
(state open/reopened, or fixed_at on or after the end). The HHS OCR peer-breach landscape needs a reference
table another issue adds; it is not computed here.
"""

from __future__ import annotations


import duckdb
import pandas as pd

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
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
    if why := not_measurable(kev):
        drivers.append(unmeasured("kev_exposure", "open KEV findings past due", "0", why))
    else:  # the catalog and the findings are loaded: no KEV finding open is a measured 0
        past = kev[kev["past_due"]] if not kev.empty else kev
        detail = "; ".join(f"{r.host} {r.cve}" for r in past.itertuples())
        drivers.append(Driver("kev_exposure", "open KEV findings past due", float(len(past)), "0",
                              grade(float(len(past)), th, higher_is_better=False), detail))
    rem = kpi("remediation_time_by_severity")
    th = setting(cfg, AREA, "critical_within_policy_pct")
    crit = rem[rem["severity"] == "critical"] if not rem.empty else rem
    value = None if crit.empty else crit["within_policy_pct"].iloc[0]
    measure, target = "critical findings fixed within policy (%)", f">= {th['watch']} %"
    if value is None or pd.isna(value):
        drivers.append(unmeasured("remediation_time_by_severity", measure, target,
                                  not_measurable(rem) or "no critical finding fixed in the period"))
    else:
        drivers.append(Driver("remediation_time_by_severity", measure, float(value), target,
                              grade(float(value), th, higher_is_better=True)))
    ph = kpi("phishing_rates_by_month")
    th = setting(cfg, AREA, "phishing_click_rate_pct")
    rates = ph["click_rate_pct"].dropna() if not ph.empty else pd.Series(dtype=float)
    measure, target = "latest phishing click rate (%)", f"<= {th['watch']} %"
    if rates.empty:
        drivers.append(unmeasured("phishing_rates_by_month", measure, target, not_measurable(ph)
                                  or ph.attrs.get("note") or "no click results in the phishing campaigns"))
    else:  # the latest month that has click results
        drivers.append(Driver("phishing_rates_by_month", measure, float(rates.iloc[-1]), target,
                              grade(float(rates.iloc[-1]), th, higher_is_better=False)))
    return AreaStatus(AREA, tuple(drivers))
