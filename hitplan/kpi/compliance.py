"""Regulatory compliance and reporting: HIPAA Security Rule coverage, control evidence freshness, open audit
findings by age, and breach-notification timeliness (45 CFR 164.404 and 164.408).

Breach-notification timeliness reads the breach dates of incidents (``breach_discovered_at``,
``individuals_notified_at``, ``hhs_notified_at``, ``individuals_affected``); without any breach discovery date it
is not measurable. Nothing is counted as fine by default: a control with no evidence date, an audit finding with no
due day and a breach whose HHS deadline cannot be told are counted apart, and keep the area from 'on target'.
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
    """Compliance's status: HIPAA controls with stale or no evidence, audit findings past due, HIPAA required
    implementation specifications implemented (any one not implemented is off target), and breach notices late or
    overdue (any one is off target)."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    ev = kpi("control_evidence_freshness")
    th = setting(cfg, AREA, "stale_required_controls")
    hipaa = ev[ev["framework"] == HIPAA] if not ev.empty else ev
    judged = hipaa[~hipaa["evidence_state"].str.startswith("undetermined")] if not hipaa.empty else hipaa
    if judged.empty:  # no HIPAA control (or none whose evidence can be aged at the period end): 0 would be nothing
        drivers.append(unmeasured("control_evidence_freshness", "HIPAA controls with stale or no evidence", "0",
                                  not_measurable(ev) or ev.attrs.get("note")
                                  or (f"every {HIPAA} control's latest evidence is dated after the period: its age "
                                      "at the period's end is unknown" if not hipaa.empty
                                      else f"no {HIPAA} controls in the store")))
    else:  # a control with no evidence date is not current: counted with the stale ones, named apart
        stale, none = hipaa[hipaa["stale"]], hipaa[hipaa["no_evidence"]]
        unknown = len(hipaa) - len(judged)
        value = float(len(stale) + len(none))
        status = grade(value, th, higher_is_better=False)
        detail = "; ".join(p for p in (
            f"stale: {', '.join(stale['control_id'])}" if len(stale) else "",
            f"no evidence: {', '.join(none['control_id'])}" if len(none) else "",
            f"{unknown} with evidence dated after the period (not judged)" if unknown else "") if p)
        drivers.append(Driver("control_evidence_freshness", "HIPAA controls with stale or no evidence", value, "0",
                              "watch" if unknown and status == "on target" else status, detail))
    f = kpi("open_audit_findings_by_age")
    th = setting(cfg, AREA, "open_findings_past_due")
    if why := not_measurable(f):
        drivers.append(unmeasured("open_audit_findings_by_age", "audit findings past due", "0", why))
    else:  # findings loaded and none open at the period end: a measured 0
        past = float((f["due_state"] == "past due").sum()) if not f.empty else 0.0
        undated = int((f["due_state"] == "no due date").sum()) if not f.empty else 0
        status = grade(past, th, higher_is_better=False)
        # a finding with no agreed due day cannot be shown in time: never 'on target' while one is open
        drivers.append(Driver("open_audit_findings_by_age", "audit findings past due", past, "0",
                              "watch" if undated and status == "on target" else status,
                              f"{undated} open with no agreed due date (not judged)" if undated else ""))
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
    # 45 CFR 164.404(b), 164.408: a notice sent late or not sent by its deadline is a violation
    bn = kpi("breach_notification_timeliness")
    measure = "breach notices late or overdue (individuals and HHS)"
    if why := not_measurable(bn):
        drivers.append(unmeasured("breach_notification_timeliness", measure, "0", why))
    else:  # breach dates loaded and no breach in scope for the period: a measured 0
        r = bn.iloc[0] if not bn.empty else None
        late = (float(sum(int(r[c]) for c in ("notified_late", "overdue_unnotified", "hhs_late", "hhs_overdue")))
                if r is not None else 0.0)
        unknown = int(r["hhs_undetermined"]) if r is not None else 0
        status = grade(late, setting(cfg, AREA, "breach_notices_late"), higher_is_better=False)
        detail = "" if r is None else (
            f"individuals: {int(r['notified_late'])} late, {int(r['overdue_unnotified'])} overdue; HHS: "
            f"{int(r['hhs_late'])} late, {int(r['hhs_overdue'])} overdue"
            + (f", {unknown} undetermined (individuals affected not recorded)" if unknown else "")
            + f" of {int(r['breaches'])} breaches")
        drivers.append(Driver("breach_notification_timeliness", measure, late, "0",
                              "watch" if unknown and status == "on target" else status, detail))
    return AreaStatus(AREA, tuple(drivers))
