"""Innovation and strategic planning: the transformation share of spend, run / grow / transform and the pipeline.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, money, pct
from hitplan.kpi import costs
from hitplan.kpi import strategy as k
from hitplan.periods import Period
from hitplan.report.findings import absent, plural
from hitplan.report.sections import Draft, column_sum


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "transformation_share": k.transformation_share(con, p, cfg=cfg),
        "portfolio_mix_by_area": k.portfolio_mix_by_area(con, p),
        "initiative_pipeline_by_status": k.initiative_pipeline_by_status(con, p),
        "rgt_mix": costs.rgt_mix(con, p),  # spend by run / grow / transform is a costs KPI
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    ts = results["transformation_share"]
    mix = results["portfolio_mix_by_area"]
    pipe = results["initiative_pipeline_by_status"]
    rgt = results["rgt_mix"]
    d = s.driver("transformation_share")
    if ts.empty:
        s.say(absent("The transformation share of spend", p, ts, "costs"), d.status if d else None)
    else:
        r = ts.iloc[0]
        s.say(f"{pct(r['transform_share_pct'])} of classified IT spend in {p.label} went to transforming the hospital "
              f"({money(r['transform_usd'])} of {money(r['classified_usd'])}), against a floor of {r['target_pct']:g} %.",
              d.status if d else None)
        s.number(f"Transformation share of spend, {p.label}", pct(r["transform_share_pct"]))
    if not rgt.empty:
        parts = ", ".join(f"{r.rgt} {pct(r.share_pct, 0)}" for r in rgt.itertuples())
        s.say(f"Spend in {p.label} split into {parts} (run / grow / transform).")
        s.figure(fig=charts.ranked_bars(rgt, "rgt", "actual_usd", unit="$",
                                                 title=f"Spend by run / grow / transform, {p.label}"))
        s.table(f"Spend by run / grow / transform, {p.label}", rgt)
    d = s.driver("initiative_pipeline_by_status")
    if pipe.empty:
        s.say(absent("The initiative pipeline", p, pipe, "initiatives"), d.status if d else None)
    else:
        live = pipe[pipe["initiative_status"].isin(["proposed", "approved", "in_progress"])]
        s.say(f"{plural(column_sum(live, 'initiatives'), 'initiative')} are proposed, approved or in progress, asking for "
              f"{money(column_sum(live, 'capex_usd'))} of capital and {money(column_sum(live, 'opex_per_year_usd'))} a year to run; "
              f"{count(column_sum(live, 'mandatory'))} are mandatory.", d.status if d else None)
        s.number("Initiatives in the pipeline", count(column_sum(live, "initiatives")))
        s.number("Capital asked for", money(column_sum(live, "capex_usd")))
        s.table("Initiatives by pipeline status", pipe)
    if not mix.empty:
        top = mix.iloc[0]
        s.say(f"{top['area'].capitalize()} initiatives ask for the most capital ({money(top['capex_usd'])} across "
              f"{plural(top['initiatives'], 'initiative')}).")
        s.figure(headline=True, fig=charts.ranked_bars(mix, "area", "capex_usd", unit="$",
                                                    title="Capital asked for by open initiatives, by area"))
        s.table("Open initiatives by area", mix)
