"""Regulatory compliance and reporting: HIPAA Security Rule coverage, control evidence freshness, open audit
findings by age, and breach-notification timeliness against the 60-day rule.

The store has no breach discovery or notification dates. Breach-notification timeliness therefore uses
security incidents (``incidents.is_security``) with ``opened_at`` as discovery and ``closed_at`` as a
proxy for notification; every result says so in its note.
"""

from __future__ import annotations


import duckdb

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "compliance"
HIPAA = "HIPAA Security Rule"

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/compliance/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Compliance's status: stale HIPAA control evidence, audit findings past due, HIPAA required implementation
    specifications implemented (any one not implemented is off target)."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    ev = kpi("control_evidence_freshness")
    th = setting(cfg, AREA, "stale_required_controls")
    hipaa = ev[ev["framework"] == HIPAA] if not ev.empty else ev
    if hipaa.empty:  # no HIPAA control in the store: 0 stale would be a count of nothing
        drivers.append(unmeasured("control_evidence_freshness", "HIPAA controls with stale evidence", "0",
                                  not_measurable(ev) or ev.attrs.get("note") or f"no {HIPAA} controls in the store"))
    else:
        stale = hipaa[hipaa["stale"]]
        drivers.append(Driver("control_evidence_freshness", "HIPAA controls with stale evidence", float(len(stale)),
                              "0", grade(float(len(stale)), th, higher_is_better=False), ", ".join(stale["control_id"])))
    f = kpi("open_audit_findings_by_age")
    th = setting(cfg, AREA, "open_findings_past_due")
    if why := not_measurable(f):
        drivers.append(unmeasured("open_audit_findings_by_age", "audit findings past due", "0", why))
    else:  # findings loaded and none open at the period end: a measured 0
        past = float(f["past_due"].sum()) if not f.empty else 0.0
        drivers.append(Driver("open_audit_findings_by_age", "audit findings past due", past, "0",
                              grade(past, th, higher_is_better=False)))
    # 45 CFR 164.306(d)(2): every applicable required specification must be implemented; addressable ones
    # (164.306(d)(3)) are reported apart by the narrative and not graded.
    cov = kpi("hipaa_coverage")
    req = cov[cov["requirement"] == "required"] if not cov.empty else cov
    applicable = float(req["applicable"].sum()) if not req.empty else 0.0
    if applicable <= 0:
        drivers.append(unmeasured("hipaa_coverage", "HIPAA required specifications implemented (%)", "100 %",
                                  not_measurable(cov)
                                  or "no applicable HIPAA required implementation specification among the controls"))
    else:
        value = 100.0 * float(req["implemented"].sum()) / applicable
        th = setting(cfg, AREA, "hipaa_required_implemented_pct")
        drivers.append(Driver("hipaa_coverage", "HIPAA required specifications implemented (%)", value, "100 %",
                              grade(value, th, higher_is_better=True),
                              f"{int(req['partial'].sum())} partial, {int(req['not_implemented'].sum())} not implemented "
                              f"of {int(applicable)} applicable ({int(req['not_applicable'].sum())} not applicable)"))
    return AreaStatus(AREA, tuple(drivers))
