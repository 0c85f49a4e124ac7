"""Cybersecurity and data protection: known-exploited exposure, open findings, remediation, phishing and breach loss.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, money, pct
from hitplan.kpi import security as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, names, plural
from hitplan.report.sections import Draft, long_frame


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "open_findings_by_severity": k.open_findings_by_severity(con, p),
        "kev_exposure": k.kev_exposure(con, p),
        "remediation_time_by_severity": k.remediation_time_by_severity(con, p, cfg=cfg),
        "phi_systems_with_critical_findings": k.phi_systems_with_critical_findings(con, p),
        "phishing_rates_by_month": k.phishing_rates_by_month(con, p),
        "breach_loss_exposure": k.breach_loss_exposure(con, p, cfg=cfg),
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    ofs = results["open_findings_by_severity"]
    kev = results["kev_exposure"]
    rem = results["remediation_time_by_severity"]
    phi = results["phi_systems_with_critical_findings"]
    ph = results["phishing_rates_by_month"]
    loss = results["breach_loss_exposure"]
    d = s.driver("kev_exposure")
    if kev.empty and "no open findings" not in str(kev.attrs.get("note", "")):
        s.say(absent("Exposure to known-exploited vulnerabilities", p, kev, "vulnerabilities"), d.status if d else None)
    else:
        past = kev[kev["past_due"]] if not kev.empty else kev
        s.number("Known-exploited findings past due", count(len(past)))
        if past.empty:
            s.say(f"No open finding of a CISA known-exploited (KEV) vulnerability was past CISA's due date at the end "
                  f"of {p.label} (target 0).", d.status if d else None)
        else:
            s.say(f"{plural(len(past), 'open finding')} of CISA known-exploited (KEV) vulnerabilities "
                  f"{'was' if len(past) == 1 else 'were'} past CISA's remediation due date at the end of {p.label} "
                  f"(target 0), on {plural(past['system_name'].nunique(), 'system')} "
                  f"({names(past['system_name'])}); the most overdue by {count(past['days_past_due'].max())} days"
                  + (f"; {count(past['risk_accepted'].sum())} of them marked risk-accepted, which CISA BOD 22-01 does "
                     "not allow for a known-exploited vulnerability" if past["risk_accepted"].any() else "") + ".",
                  d.status if d else None)
        if s.audience == "board":
            by_sys = (past.groupby("system_name", as_index=False)
                      .agg(findings_past_due=("past_due", "size"), most_days_past_due=("days_past_due", "max")))
            s.table(f"Known-exploited findings past due by system, end of {p.label}", by_sys)
        else:
            s.table(f"Open findings of known-exploited (KEV) vulnerabilities, end of {p.label}", kev)
    if ofs.empty:
        s.say(absent("Open vulnerability findings", p, ofs, "vulnerabilities"))
    else:
        by = ofs.set_index("severity")
        total, crit = int(by["open_findings"].sum()), int(by["open_findings"].get("critical", 0))
        old = int(by["age_91_180_days"].sum() + by["age_over_180_days"].sum())
        accepted = int(by["risk_accepted"].sum())
        s.say(f"{count(total)} vulnerability findings were open at the end of {p.label}: {count(crit)} critical and "
              f"{count(by['open_findings'].get('high', 0))} high; {count(old)} have been open for more than 90 days."
              + (f" {plural(accepted, 'risk-accepted finding')}"
                 + (f" ({count(by['risk_accepted'].get('critical', 0))} critical)"
                    if by["risk_accepted"].get("critical", 0) else "")
                 + f" {'is' if accepted == 1 else 'are'} counted apart, not as fixed." if accepted else "")
              + (f" The open ones include {plural(int(by['risk_accepted_kev'].sum()), 'known-exploited finding')} "
                 "marked risk-accepted: CISA BOD 22-01 allows no risk acceptance of them."
                 if by["risk_accepted_kev"].sum() else ""))
        s.number("Open critical findings", count(crit))
        bands = {"age_0_30_days": "0-30 days", "age_31_90_days": "31-90 days", "age_91_180_days": "91-180 days",
                 "age_over_180_days": "over 180 days"}
        long = long_frame(ofs, "severity", bands, "age", "findings")
        long["severity"] = pd.Categorical(long["severity"], ["critical", "high", "medium", "low", "info"], ordered=True)
        s.figure(headline=True, fig=charts.stacked_bars(long, "severity", "findings", "age", unit="findings",
                                                     title=f"Open findings by severity and age, end of {p.label}"))
        s.table(f"Open findings by severity and age, end of {p.label}", ofs)
    d = s.driver("remediation_time_by_severity")
    crit = rem[rem["severity"] == "critical"] if not rem.empty else rem
    if crit.empty or pd.isna(crit["within_policy_pct"].iloc[0]):
        s.say(absent("Remediation of critical findings", p, rem, "vulnerabilities") if rem.empty else
              f"No critical finding was fixed in {p.label} or open past policy at its end, so remediation against "
              "policy cannot be judged.", d.status if d else None)
    else:  # the share counts the open findings past policy, not only the fixes: the sentence says how many
        r = crit.iloc[0]
        days, fixed, late = f"{r['policy_days']:.0f}-day", int(r["fixed_findings"]), int(r["open_past_policy"])
        said = (f"{pct(r['within_policy_pct'])} of critical findings were remediated within the {days} policy in "
                f"{p.label} (target at least {setting(cfg, 'security', 'critical_within_policy_pct')['watch']} %): "
                + (f"{count(r['fixed_within_policy'])} of the {count(fixed)} fixed in the period were fixed in time, "
                   f"in {r['mean_days_to_remediate']:.0f} days on average"
                   if fixed else "none was fixed in the period")
                + f", with {count(late)} open past the {days} policy at its end")
        if r["reopened_past_policy"]:
            said += f" ({count(r['reopened_past_policy'])} reopened after a fix)"
        if late:
            said += f", the oldest for {count(r['oldest_past_policy_days'])} days"
        said += "."
        if r["risk_accepted_kev"]:
            said += (f" {plural(r['risk_accepted_kev'], 'known-exploited finding')} marked risk-accepted "
                     f"{'is' if r['risk_accepted_kev'] == 1 else 'are'} counted as open: CISA BOD 22-01 allows no "
                     "risk acceptance.")
        if r["risk_accepted"]:
            said += (f" {plural(r['risk_accepted'], 'risk-accepted critical finding')} "
                     f"{'is' if r['risk_accepted'] == 1 else 'are'} counted apart.")
        s.say(said, d.status if d else None)
        s.number("Critical remediated within policy", pct(r["within_policy_pct"]))
    if not rem.empty:
        s.table(f"Time to remediate by severity, {p.label}", rem)
    d = s.driver("phishing_rates_by_month")
    if ph.empty:
        s.say(absent("Phishing simulation results", p, ph, "phishing"), d.status if d else None)
    else:
        last = ph.iloc[-1]
        watch = setting(cfg, "security", "phishing_click_rate_pct")["watch"]
        s.say(f"In the latest phishing simulation month ({charts.month_label(last['month'])}) {pct(last['click_rate_pct'])} "
              f"of recipients clicked (limit {watch} %) and {pct(last['report_rate_pct'])} reported it.",
              d.status if d else None)
        s.number("Phishing click rate, latest month", pct(last["click_rate_pct"]))
        s.figure(charts.trend(ph, "month", "click_rate_pct", unit="%", target=float(watch), target_label="Limit",
                              title=f"Phishing simulation click rate, {p.label}", y_title="Click rate"))
    if not loss.empty:
        r = loss.iloc[0]
        s.say(f"The expected annual breach loss is {money(r['expected_annual_loss_usd'])} "
              f"({pct(100 * r['annual_breach_likelihood'], 0)} likelihood x {money(r['cost_per_breach_usd'])}, the "
              f"average healthcare breach); {count(r['phi_systems_exposed'])} of {count(r['phi_systems'])} systems holding PHI have an "
              "open critical or known-exploited finding"
              + (f"; {count(r['phi_systems_risk_accepted_only'])} more "
                 f"{'has' if r['phi_systems_risk_accepted_only'] == 1 else 'have'} only risk-accepted critical findings"
                 if r["phi_systems_risk_accepted_only"] else "") + ".")
        s.number("Expected annual breach loss", money(r["expected_annual_loss_usd"]))
    if not phi.empty:
        s.figure(charts.ranked_bars(phi, "system_name", "open_critical_findings", unit="findings", top=10,
                                    title=f"PHI systems with open critical findings, end of {p.label}"))
        s.table(f"Systems holding PHI with open critical or known-exploited findings, end of {p.label}", phi)
