"""Infrastructure: end-of-support exposure, degrading systems, incidents by age and where P1s concentrate.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, pct
from hitplan.kpi import infrastructure as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, names, plural
from hitplan.report.sections import Draft


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "end_of_support_exposure": k.end_of_support_exposure(con, p, cfg=cfg),
        "eos_systems_with_rising_incidents": k.eos_systems_with_rising_incidents(con, p, cfg=cfg),
        "incident_rate_by_age": k.incident_rate_by_age(con, p),
        "p1_concentration_by_system": k.p1_concentration_by_system(con, p),
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    eos = results["end_of_support_exposure"]
    rising = results["eos_systems_with_rising_incidents"]
    age = results["incident_rate_by_age"]
    p1 = results["p1_concentration_by_system"]
    d = s.driver("end_of_support_exposure")
    h = setting(cfg, "infrastructure", "eos_horizons_months")
    if eos.empty and any(m in str(eos.attrs.get("note", "")) for m in ("blank", "in the store")):
        s.say(absent("End-of-support exposure", p, eos, "systems"), d.status if d else None)
    else:
        past = eos[eos["eos_status"] == "past"] if not eos.empty else eos
        t1 = past[past["criticality_tier"] == 1] if not past.empty else past
        soon = eos[eos["eos_status"] == f"within_{h[0]}_months"] if not eos.empty else eos
        later = len(eos) - len(past) - len(soon)
        lead = (f"{plural(len(t1), 'tier-1 system')} {'was' if len(t1) == 1 else 'were'} past the vendor's end of "
                f"support at the end of {p.label} (target 0)" + (f": {names(t1['system_name'], 4)}" if len(t1) else ""))
        s.say(f"{lead}. In all {plural(len(past), 'system')} {'is' if len(past) == 1 else 'are'} past end of support; "
              f"{count(len(soon))} more reach it within {h[0]} months and {count(later)} within {h[-1]}.",
              d.status if d else None)
        s.number("Tier-1 systems past end of support", count(len(t1)))
        s.number(f"Systems reaching end of support within {h[-1]} months", count(len(eos) - len(past)))
        if not eos.empty:
            shown = eos.assign(status=eos["eos_status"].str.replace("_", " "))
            s.figure(headline=True, fig=charts.ranked_bars(shown, "system_name", "criticality_weight", color="status",
                                                        top=15, title=f"Systems past or near end of support, by "
                                                        f"criticality weight, end of {p.label}"))
            s.table(f"Systems past or within {h[-1]} months of end of support, end of {p.label}", eos)
    d = s.driver("eos_systems_with_rising_incidents")
    if not rising.empty:
        r = rising.iloc[0]
        s.say(f"{names(rising['system_name'])}, past end of support, had {count(r['p1_p2_in_period'])} P1/P2 incidents in "
              f"{p.label} against {count(r['p1_p2_previous_span'])} in the equally long span before: a system that is "
              "degrading, not noise.", d.status if d else None)
        s.table(f"End-of-support systems with rising P1/P2 incidents, {p.label}", rising)
    if not age.empty and len(age) > 1:
        young, old = age.iloc[0], age.iloc[-1]
        s.say(f"Systems aged {old['age_band']} had {old['incidents_per_system']:.1f} incidents each in {p.label}, "
              f"against {young['incidents_per_system']:.1f} for systems aged {young['age_band']}.")
        s.figure(charts.ranked_bars(age, "age_band", "incidents_per_system", unit="incidents",
                                    title=f"Incidents per system by system age, {p.label}"))
        s.table(f"Incidents per system by age band, {p.label}", age)
    if not p1.empty and p1["p1_incidents"].sum() > 0:
        r = p1.iloc[0]
        s.say(f"{r['system_name']} had {count(r['p1_incidents'])} of the P1 incidents in {p.label} "
              f"({pct(r['share_of_p1_pct'], 0)} of all).")
        s.figure(charts.ranked_bars(p1, "system_name", "p1_incidents", unit="incidents",
                                    title=f"Where P1 incidents concentrate, {p.label}"))
        s.table(f"Systems with most P1 incidents, {p.label}", p1)
