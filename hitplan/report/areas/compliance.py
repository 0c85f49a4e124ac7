"""Regulatory compliance and reporting: HIPAA coverage, control evidence, audit findings and breach notification.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, pct
from hitplan.kpi import compliance as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, names, plural
from hitplan.report.sections import Draft, column_sum, long_frame


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "hipaa_coverage": k.hipaa_coverage(con, p),
        "control_evidence_freshness": k.control_evidence_freshness(con, p, cfg=cfg),
        "open_audit_findings_by_age": k.open_audit_findings_by_age(con, p),
        "breach_notification_timeliness": k.breach_notification_timeliness(con, p, cfg=cfg),
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    cov = results["hipaa_coverage"]
    ev = results["control_evidence_freshness"]
    fnd = results["open_audit_findings_by_age"]
    bn = results["breach_notification_timeliness"]
    months = setting(cfg, "compliance", "evidence_stale_months")
    d = s.driver("control_evidence_freshness")
    if ev.empty:
        s.say(absent("Control evidence freshness", p, ev, "controls"), d.status if d else None)
    else:
        stale = ev[ev["stale"] & (ev["framework"] == k.HIPAA)]
        s.say((f"{plural(len(stale), 'HIPAA Security Rule control')} had evidence older than {months} months at the end "
               f"of {p.label} (off target above {setting(cfg, 'compliance', 'stale_required_controls')['off_target']}): "
               f"{names(stale['control_id'], 4)}.") if len(stale) else
              f"Every HIPAA Security Rule control had evidence from the last {months} months at the end of {p.label}.",
              d.status if d else None)
        s.number("HIPAA controls with stale evidence", count(len(stale)))
        if len(stale):
            shown = stale.assign(control=stale["control_id"] + " " + stale["title"].str.slice(0, 40))
            s.figure(fig=charts.ranked_bars(shown, "control", "evidence_age_days", unit="days", top=10,
                                                     target=float(months * 365 / 12),
                                                     title=f"HIPAA controls with stale evidence, end of {p.label}",
                                                     x_title="Age of latest evidence"))
            s.table(f"HIPAA controls with stale evidence, end of {p.label}", stale)
    d = s.driver("hipaa_coverage")
    if cov.empty:
        s.say(absent("HIPAA Security Rule implementation specifications", p, cov, "controls"), d.status if d else None)
    else:
        req = cov[cov["requirement"] == "required"]
        if d and d.value is not None:  # 45 CFR 164.306(d)(2): a required specification must be implemented
            na, part, none = (column_sum(req, c) for c in ("not_applicable", "partial", "not_implemented"))
            s.say(f"{pct(d.value)} of the {count(column_sum(req, 'applicable'))} applicable HIPAA required "
                  f"implementation specifications were implemented at the end of {p.label} (target 100 %; "
                  + (f"{count(na)} {'does' if na == 1 else 'do'} not apply, left out); " if na
                     else "none marked not applicable); ")
                  + f"{count(part)} partial and {count(none)} not implemented"
                  + (", each a non-compliance with 45 CFR 164.306(d)(2)." if part + none else "."),
                  d.status)
            s.number("HIPAA required specifications implemented", pct(d.value))
        add = cov[cov["requirement"] == "addressable"]
        if not add.empty:  # 164.306(d)(3): implement, or document why not and implement an equivalent alternative
            needed = column_sum(add, "alternatives_needed")
            s.say(f"Addressable specifications (not graded): {count(column_sum(add, 'implemented'))} implemented, "
                  f"{count(column_sum(add, 'partial'))} partial, {count(column_sum(add, 'not_implemented'))} not "
                  f"implemented and {count(column_sum(add, 'not_applicable'))} not applicable"
                  + (f"; {'the one' if needed == 1 else 'the ' + count(needed)} not fully implemented "
                     f"{'needs' if needed == 1 else 'each need'} a documented reason and an equivalent "
                     "alternative (45 CFR 164.306(d)(3), 164.316(b)), which the controls feed does not record, so "
                     "whether they comply is not measurable here." if needed else "."))
        long = long_frame(cov.groupby("safeguard", as_index=False)[["implemented", "partial", "not_implemented",
                                                                   "not_applicable"]].sum(),
                          "safeguard", {"implemented": "implemented", "partial": "partial",
                                        "not_implemented": "not implemented", "not_applicable": "not applicable"},
                          "status", "specifications")
        s.figure(headline=True, fig=charts.stacked_bars(long, "safeguard", "specifications", "status",
                                                        unit="specifications",
                                                        title="HIPAA Security Rule implementation specifications by "
                                                              "safeguard and status"))
        s.table("HIPAA Security Rule implementation specifications by safeguard and requirement", cov)
    d = s.driver("open_audit_findings_by_age")
    if fnd.empty:
        s.say(absent("Open audit findings", p, fnd, "findings") if "in the store" in str(fnd.attrs.get("note", ""))
              else f"No audit finding was open at the end of {p.label}.", d.status if d else None)
    else:
        past = int(fnd["past_due"].sum())
        s.say(f"{plural(len(fnd), 'audit finding')} {'was' if len(fnd) == 1 else 'were'} open at the end of {p.label}, "
              f"{count(past)} past the agreed remediation date; the oldest has been open {count(fnd['age_days'].max())} "
              "days.", d.status if d else None)
        s.number("Open audit findings", count(len(fnd)))
        s.table(f"Audit findings open at the end of {p.label}", fnd)
    if not bn.empty:
        r = bn.iloc[0]
        s.say(f"Of {plural(r['security_incidents'], 'security incident')} opened in {p.label}, "
              f"{count(r['within_limit'])} closed within {count(r['limit_days'])} days and {count(r['over_limit'])} took longer "
              f"(a proxy for the HIPAA breach-notification deadline: the store has no notification dates).")
        s.table(f"Security incidents against the 60-day notification rule (proxy), {p.label}", bn)
    elif "no security incidents" in str(bn.attrs.get("note", "")):
        s.say(f"No security incident was opened in {p.label}, so no breach-notification deadline was running.")
