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
        miss = sla[sla["response_met"] == False]  # noqa: E712 (nullable booleans)
        if miss.empty:
            s.say(f"Every vendor with a response SLA acknowledged its P1/P2 incidents within it in {p.label} (median).",
                  d.status if d else None)
        else:
            r = miss.iloc[0]
            s.say(f"{plural(len(miss), 'vendor')} acknowledged P1/P2 incidents more slowly than the contract allows in "
                  f"{p.label}: {r['vendor_name']} took {r['median_ack_minutes']:.0f} minutes (median) against "
                  f"{r['sla_response_minutes']:.0f}" + (f", and {names(miss['vendor_name'].iloc[1:])}" if len(miss) > 1 else "")
                  + ".", d.status if d else None)
        s.number("Vendors missing their response SLA", count(len(miss)))
        shown = sla.dropna(subset=["response_sla_met_pct"])
        shown = shown.nsmallest(10, "response_sla_met_pct")
        s.figure(fig=charts.ranked_bars(
            shown, "vendor_name", "response_sla_met_pct", unit="%",
            target=float(setting(cfg, "vendors", "response_sla_met_pct")["watch"]),
            title=f"P1/P2 acknowledged within the contract's SLA: lowest vendors, {p.label}", x_title="Within SLA"))
        s.table(f"SLA attainment by vendor, {p.label}", sla)
    d = s.driver("baa_coverage")
    if baa.empty:
        s.say(absent("Business associate agreement coverage", p, baa, "systems"), d.status if d else None)
    else:
        gaps = baa[baa["baa_gap"]]
        s.say((f"{plural(len(gaps), 'vendor')} of systems holding PHI had no signed business associate agreement in "
               f"{p.label}: {names(gaps['vendor_name'])}.") if len(gaps) else
              f"Every vendor of a system holding PHI had a signed business associate agreement in {p.label}.",
              d.status if d else None)
        s.number("PHI vendors without a BAA", count(len(gaps)))
        if len(gaps):
            s.table(f"Vendors of PHI systems without a signed BAA, {p.label}", gaps)
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
