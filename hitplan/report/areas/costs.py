"""Budgeting and cost: budget against actual, the year-end forecast, IT spending's share of hospital opex and duplicate
postings.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import money, pct
from hitplan.kpi import costs as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, plural
from hitplan.report.sections import Draft, as_float, column_sum


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "budget_vs_actual_by_pool": k.budget_vs_actual_by_pool(con, p),
        "year_end_forecast": k.year_end_forecast(con, p),
        "it_spending_share": k.it_spending_share(con, p, cfg=cfg),
        "duplicate_postings": k.duplicate_postings(con, p),
        "actual_by_tower_month": k.actual_by_tower_month(con, p),
        "top_vendors_by_spend": k.top_vendors_by_spend(con, p),
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    pools = results["budget_vs_actual_by_pool"]
    fc = results["year_end_forecast"]
    share = results["it_spending_share"]
    dup = results["duplicate_postings"]
    tower = results["actual_by_tower_month"]
    vendors = results["top_vendors_by_spend"]
    th = setting(cfg, "costs", "actual_to_budget")
    d = s.driver("budget_vs_actual_by_pool")
    if pools.empty:
        s.say(absent("Budget against actual", p, pools, "costs"), d.status if d else None)
    else:
        actual, budget = column_sum(pools, "actual_usd"), column_sum(pools, "budget_usd")
        ratio = f" ({pct(100 * actual / budget)} of budget)" if budget else ""
        s.say(f"IT spent {money(actual)} in {p.label} against a budget of {money(budget)}{ratio}.")
        s.number(f"IT spend, {p.label}", money(actual))
        s.number("Spend against budget", pct(100 * actual / budget) if budget else charts.MISSING)
        over = pools[pools["actual_to_budget"] > th["watch"]]
        for r in over.head(2).itertuples():
            s.say(f"The {r.cost_pool} pool ran at {pct(100 * r.actual_to_budget, 0)} of its budget in {p.label} "
                  f"({money(r.variance_usd)} over; off target above {pct(100 * th['off_target'], 0)}).",
                  d.status if d else None)
        shown = pools.assign(actual_to_budget_pct=100 * pools["actual_to_budget"],
                             cost_pool=pools["cost_pool"].astype(str).str.replace("_", " "))
        s.figure(fig=charts.ranked_bars(shown, "cost_pool", "actual_to_budget_pct", unit="%", target=100.0,
                                                 title=f"Actual spend as % of budget by cost pool, {p.label}",
                                                 x_title="Actual / budget"))
        s.table(f"Budget and actual by cost pool, {p.label}", pools)
    if not fc.empty and as_float(fc["run_rate_forecast_usd"].iloc[0]) is not None:
        r = fc.iloc[0]
        vs = (f", {pct(100 * r['forecast_to_budget'])} of its {money(r['budget_usd'])} budget"
              if as_float(r["forecast_to_budget"]) is not None else " (no budget loaded for the year)")
        s.say(f"At the run rate of its first {r['months_elapsed']} months, FY{r['fiscal_year']} ends at "
              f"{money(r['run_rate_forecast_usd'])}{vs}.")
        s.number(f"FY{r['fiscal_year']} forecast (run rate)", money(r["run_rate_forecast_usd"]))
        s.table(f"Year-end forecast, FY{r['fiscal_year']}", fc)
    d = s.driver("it_spending_share")
    what = "IT spending (operating and capital) as a share of hospital " + str(
        setting(cfg, "costs", "it_spending_share_basis")).replace("_", " ")
    if share.empty:
        s.say(absent(what, p, share, "hospital"), d.status if d else None)
    elif as_float(share["it_spending_share_pct"].iloc[0]) is None:
        s.say(f"{what[0].upper() + what[1:]} is not measured for {p.label}: {share['note'].iloc[0]}.",
              d.status if d else None)
    else:
        r = share.iloc[0]
        basis = str(r["benchmark_basis"]).replace("_", " ")
        where = ("within" if r["within_benchmark"] else
                 "below" if r["it_spending_share_pct"] < r["benchmark_low_pct"] else "above")
        caveat = f" ({r['note']})" if isinstance(r["note"], str) and r["note"] else ""
        s.say(f"Annualized, IT spending in {p.label} ({money(r['it_opex_usd'])} operating, {money(r['it_capex_usd'])} "
              f"capital) was {pct(r['it_spending_share_pct'], 2)} of the hospital's {basis}, {where} the "
              f"{r['benchmark_low_pct']:g}-{r['benchmark_high_pct']:g} % range typical of healthcare providers{caveat}.",
              d.status if d else None)
    d = s.driver("duplicate_postings")
    if dup.empty:
        if "in the store" in str(dup.attrs.get("note", "")) or "blank" in str(dup.attrs.get("note", "")):
            s.say(absent("The duplicate-invoice check", p, dup, "costs"))
        else:
            s.say(f"No invoice was posted twice in {p.label}.", d.status if d else None)
    else:
        groups = dup.groupby(["vendor_id", "invoice_number", "amount_usd"]).ngroups
        extra = column_sum(dup, "amount_usd") - float(dup.groupby(["vendor_id", "invoice_number", "amount_usd"])
                                                ["amount_usd"].first().sum())
        s.say(f"{plural(groups, 'invoice')} {'was' if groups == 1 else 'were'} posted more than once in {p.label}, "
              f"{money(extra)} to recover.", d.status if d else None)
        s.table(f"Duplicate postings, {p.label}", dup)
    if not tower.empty:
        named = tower.assign(tower=tower["tower"].astype(str).str.replace("_", " "))
        s.figure(headline=True, fig=charts.stacked_bars(named, "month", "actual_usd", "tower", unit="$",
                                                     title=f"Actual IT spend per month by tower, {p.label}"))
    if not vendors.empty:
        s.table(f"Vendors paid most, {p.label}", vendors)
