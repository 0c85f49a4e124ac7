"""Vendor management and procurement: SLA attainment, BAA coverage, renewals and spend concentration.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, money, pct
from hitplan.kpi import vendors as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, names, plural
from hitplan.report.sections import Draft, column_sum


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "vendor_sla_attainment": k.vendor_sla_attainment(con, p),
        "spend_concentration": k.spend_concentration(con, p),
        "contracts_renewing": k.contracts_renewing(con, p, cfg=cfg),
        "baa_coverage": k.baa_coverage(con, p),
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    sla = results["vendor_sla_attainment"]
    conc = results["spend_concentration"]
    ren = results["contracts_renewing"]
    baa = results["baa_coverage"]
    d = s.driver("vendor_sla_attainment")
    if sla.empty:
        s.say(absent("Vendor SLA attainment", p, sla, "contracts"), d.status if d else None)
    else:
        miss, unseen = k.sla_missed(sla), k.sla_not_measurable(sla)
        if len(miss):
            r = miss.iloc[0]
            s.say(f"{plural(len(miss), 'vendor')} missed a contract SLA in {p.label}: {r['vendor_name']} "
                  f"({k.missed_text(r)})" + (f", and {names(miss['vendor_name'].iloc[1:])}" if len(miss) > 1 else "")
                  + ".", d.status if d else None)
        elif sla["response_met"].isna().all() and sla["availability_met"].isna().all() and len(unseen):
            s.say(f"Vendor SLA attainment is not measurable for {p.label}: {k.unmeasured_reason(unseen.iloc[0])}.",
                  d.status if d else None)
        else:
            s.say(f"No vendor missed a contract SLA that could be measured in {p.label} (P1 escalations on the "
                  "vendor's own clock, availability per system-month)"
                  + (f"; the response or availability of {plural(len(unseen), 'vendor')} is not measurable: "
                     f"{k.unmeasured_reason(unseen.iloc[0])}" if len(unseen) else "") + ".", d.status if d else None)
        s.number("Vendors missing a contract SLA", count(len(miss)))
        shown = sla.dropna(subset=["response_sla_met_pct"])
        if not shown.empty:
            shown = shown.nsmallest(10, "response_sla_met_pct")
            s.figure(fig=charts.ranked_bars(
                shown, "vendor_name", "response_sla_met_pct", unit="%",
                target=float(setting(cfg, "vendors", "response_sla_met_pct")["watch"]),
                title=f"Escalated P1 tickets the vendor answered within its SLA: lowest vendors, {p.label}",
                x_title="Within SLA"))
        s.table(f"SLA attainment by vendor, {p.label}", sla)
    d = s.driver("baa_coverage")
    if baa.empty:
        s.say(absent("Business associate agreement coverage", p, baa, "systems"), d.status if d else None)
    else:
        gaps = baa[baa["baa_gap"]]
        s.say((f"{plural(len(gaps), 'vendor')} handling PHI (supplying, contracted for or paid for a system holding "
               f"it) had no signed business associate agreement in force in {p.label}: {names(gaps['vendor_name'])}.")
              if len(gaps) else
              f"Every vendor supplying, contracted for or paid for a system holding PHI had a signed business "
              f"associate agreement in force in {p.label}.", d.status if d else None)
        s.number("PHI vendors without a BAA", count(len(gaps)))
        if len(gaps):
            s.table(f"Vendors handling PHI without a signed BAA, {p.label}", gaps)
    d = s.driver("contracts_renewing")
    alert = setting(cfg, "vendors", "notice_alert_days")
    if ren.empty:
        s.say(absent("Contract renewals", p, ren, "contracts"), d.status if d else None)
    else:
        near = ren[ren["deadline_near"]]
        if near.empty:
            s.say(f"No auto-renewing contract reaches its notice deadline within {alert} days after {p.label}; "
                  f"{plural(len(ren), 'contract')} end or reach a deadline within "
                  f"{setting(cfg, 'vendors', 'renewal_horizon_days')} days.", d.status if d else None)
        else:
            r = near.iloc[0]
            s.say(f"{plural(len(near), 'auto-renewing contract')} worth {money(column_sum(near, 'annual_value_usd'))} a year "
                  f"reach their notice deadline within {alert} days after {p.label} and renew unless acted on; the first "
                  f"is {r['title']} ({r['vendor_name']}), by {r['notice_deadline']:%Y-%m-%d}.", d.status if d else None)
        s.number(f"Auto-renewals with notice due within {alert} days", count(len(near)))
        s.table(f"Contracts ending or reaching their notice deadline soon, after {p.label}", ren)
    if not conc.empty:
        top5 = conc[conc["rank"] <= 5]
        s.say(f"The five vendors paid most took {pct(top5['share_pct'].sum(), 0)} of vendor spend in {p.label} "
              f"(Herfindahl index {conc['hhi'].iloc[0]:,.0f} of 10,000).")
        s.figure(headline=True, fig=charts.ranked_bars(conc, "vendor_name", "actual_usd", unit="$", top=10,
                                                    title=f"Spend by vendor, {p.label}"))
        s.table(f"Vendor spend concentration, {p.label}", conc, rows=15)
