"""Cybersecurity and data protection: open findings, KEV exposure, remediation time against policy,
PHI systems with critical findings, security incidents, phishing, expected breach loss.

A finding is open at the period end when it was first seen before the end and is not fixed by then
(state open/reopened, or fixed_at on or after the end). A risk-accepted finding is counted apart, never dropped; a
risk-accepted KEV finding is open (CISA BOD 22-01 allows no risk acceptance of it). Remediation within policy (CISA BOD 19-02, BOD 22-01 for
KEV) counts the findings fixed in the period and those open past policy at its end; a reopened finding is open. The HHS OCR peer-breach landscape needs a reference
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
        detail = "; ".join(f"{r.host} {r.cve}" + (" (risk-accepted: BOD 22-01 allows none)" if r.risk_accepted else "")
                           for r in past.itertuples())
        drivers.append(Driver("kev_exposure", "open KEV findings past due", float(len(past)), "0",
                              grade(float(len(past)), th, higher_is_better=False), detail))
    rem = kpi("remediation_time_by_severity")
    th = setting(cfg, AREA, "critical_within_policy_pct")
    crit = rem[rem["severity"] == "critical"] if not rem.empty else rem
    value = None if crit.empty else crit["within_policy_pct"].iloc[0]
    measure, target = "critical findings remediated within policy (%)", f">= {th['watch']} %"
    if value is None or pd.isna(value):
        drivers.append(unmeasured("remediation_time_by_severity", measure, target, not_measurable(rem)
                                  or "no critical finding fixed in the period or open past policy at its end"))
    else:  # the share counts open findings past policy too: say how many there are, and those accepted apart
        r = crit.iloc[0]
        detail = (f"{int(r['fixed_within_policy'])} of {int(r['fixed_findings'])} fixed in the period within policy; "
                  f"{int(r['open_past_policy'])} open past policy")
        if r["open_past_policy"]:
            detail += f" (oldest {int(r['oldest_past_policy_days']):,} days)"
        if r["risk_accepted_kev"]:
            detail += f"; {int(r['risk_accepted_kev'])} of them KEV marked risk-accepted (BOD 22-01 allows none)"
        if r["risk_accepted"]:
            detail += f"; {int(r['risk_accepted'])} risk-accepted, counted apart"
        drivers.append(Driver("remediation_time_by_severity", measure, float(value), target,
                              grade(float(value), th, higher_is_better=True), detail))
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
