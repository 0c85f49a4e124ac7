"""Regulatory compliance and reporting: HIPAA coverage, control evidence, audit findings and breach notification
(45 CFR 164.404 and 164.408).

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
    hipaa = ev[ev["framework"] == k.HIPAA] if not ev.empty else ev
    if hipaa.empty:
        s.say(absent("Control evidence freshness", p, ev, "controls"), d.status if d else None)
    else:
        stale, none = hipaa[hipaa["stale"]], hipaa[hipaa["no_evidence"]]
        unknown = hipaa[hipaa["evidence_state"].str.startswith("undetermined")]
        off = setting(cfg, "compliance", "stale_required_controls")["off_target"]
        if len(stale) or len(none):
            text = (f"{plural(len(stale), 'HIPAA Security Rule control')} had evidence older than {months} months at "
                    f"the end of {p.label}" if len(stale) else
                    f"No HIPAA Security Rule control had evidence older than {months} months at the end of {p.label}")
            text += (f" and {plural(len(none), 'control')} had no evidence date at all, counted as not current"
                     if len(none) else "")
            text += f" (off target above {off} together): " if len(none) else f" (off target above {off}): "
            text += "; ".join(x for x in (names(stale["control_id"], 4) if len(stale) else "",
                                          ("no evidence: " if len(stale) else "") + names(none["control_id"], 4)
                                          if len(none) else "") if x)
            s.say(text + ".", d.status if d else None)
        elif len(unknown) < len(hipaa):
            s.say(f"Every HIPAA Security Rule control with evidence dated by the end of {p.label} had evidence from "
                  f"the last {months} months.", d.status if d else None)
        if len(unknown):  # the feed keeps only the latest evidence date: what a control had back then is unknown
            one = len(unknown) == 1
            s.say(f"{plural(len(unknown), 'HIPAA Security Rule control')} {'has its' if one else 'have their'} latest "
                  f"evidence dated after {p.label}, so whether {'it was' if one else 'they were'} current at its end "
                  "is not known (not judged).", None if len(unknown) < len(hipaa) else (d.status if d else None))
        s.number("HIPAA controls with stale or no evidence", count(len(stale) + len(none)))
        if len(stale):
            shown = stale.assign(control=stale["control_id"] + " " + stale["title"].fillna("").str.slice(0, 40))
            s.figure(fig=charts.ranked_bars(shown, "control", "evidence_age_days", unit="days", top=10,
                                                     target=float(months * 365 / 12),
                                                     title=f"HIPAA controls with stale evidence, end of {p.label}",
                                                     x_title="Age of latest evidence"))
        if len(stale) or len(none):
            s.table(f"HIPAA controls with stale or no evidence, end of {p.label}", pd.concat([none, stale]))
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
        past = int((fnd["due_state"] == "past due").sum())
        undated = int((fnd["due_state"] == "no due date").sum())
        s.say(f"{plural(len(fnd), 'audit finding')} {'was' if len(fnd) == 1 else 'were'} open at the end of {p.label}, "
              f"{count(past)} past the agreed remediation date"
              + (f" and {count(undated)} with no agreed remediation date (so not judged on time)" if undated else "")
              + f"; the oldest has been open {count(fnd['age_days'].max())} days.", d.status if d else None)
        s.number("Open audit findings", count(len(fnd)))
        s.table(f"Audit findings open at the end of {p.label}", fnd)
    breach_notification(bn, p, s)


def breach_notification(bn: pd.DataFrame, p: Period, s: Draft) -> None:
    """The breach-notification sentences (45 CFR 164.404(b) individuals, 164.408 HHS), and the table of counts."""
    d = s.driver("breach_notification_timeliness")
    if bn.empty:
        # the note says which column to fill: no generic load hint after it
        s.say(f"Breach notification timeliness for {p.label}: {bn.attrs['note']}." if bn.attrs.get("not_measurable")
              else f"No breach of unsecured PHI was discovered in {p.label} or had a notice still owed at its start.",
              d.status if d else None)
        return
    r = bn.iloc[0]
    n, limit = int(r["breaches"]), count(r["limit_days"])
    late = f" (the slowest after {count(r['max_days_to_notify'])} days)" if r["notified_late"] else ""
    oldest = f" (the oldest {count(r['max_days_unnotified'])} days since discovery)" if r["overdue_unnotified"] else ""
    s.say(f"Of {plural(n, 'breach of unsecured PHI', 'breaches of unsecured PHI')} discovered in {p.label} or with a "
          f"notice owed at its start, the affected individuals were notified within {limit} days of discovery for "
          f"{count(r['notified_within_limit'])}, late for {count(r['notified_late'])}{late}, not yet and past the "
          f"deadline for {count(r['overdue_unnotified'])}{oldest}, and not yet but still in time for "
          f"{count(r['pending_in_time'])} (45 CFR 164.404(b), as at the period's end). "
          + hhs_sentence(r), d.status if d else None)
    s.number("Breach notices late or overdue",
             count(r["notified_late"] + r["overdue_unnotified"] + r["hhs_late"] + r["hhs_overdue"]))
    s.table(f"Breach notification against 45 CFR 164.404 and 164.408, {p.label}", bn)


def hhs_sentence(r: pd.Series) -> str:
    """What the breach-notification counts say of the notices to HHS (45 CFR 164.408)."""
    hhs = (f"HHS was notified on time for {count(r['hhs_within_limit'])}, late for {count(r['hhs_late'])}, not yet and "
           f"past the deadline for {count(r['hhs_overdue'])}, not yet and still in time for "
           f"{count(r['hhs_pending_in_time'])}")
    if r["hhs_undetermined"]:
        hhs += (f"; for {count(r['hhs_undetermined'])} the deadline cannot be told because the number of individuals "
                "affected is not recorded")
    return hhs + (" (45 CFR 164.408: with the individuals' notice for 500 or more individuals, else within 60 days "
                  "after the end of the calendar year of discovery).")
