"""Staff training: completion by department and role, EHR training gaps and phishing before and after training.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, pct
from hitplan.kpi import training as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, names, plural
from hitplan.report.sections import Draft, column_sum


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "completion_by_department": k.completion_by_department(con, p),
        "completion_by_role": k.completion_by_role(con, p),
        "departments_with_training_gap": k.departments_with_training_gap(con, p, cfg=cfg),
        "training_vs_howto_by_department": k.training_vs_howto_by_department(con, p),
        "phishing_before_after_training": k.phishing_before_after_training(con, p),
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    dept = results["completion_by_department"]
    role = results["completion_by_role"]
    gap = results["departments_with_training_gap"]
    howto = results["training_vs_howto_by_department"]
    phish = results["phishing_before_after_training"]
    th = setting(cfg, "training", "ehr_completion_pct")
    d = s.driver("completion_by_department")
    if dept.empty:
        s.say(absent("Training completion", p, dept, "training"), d.status if d else None)
    else:
        n, on_time = column_sum(dept, "assignments"), column_sum(dept, "on_time")
        late, overdue = column_sum(dept, "late"), column_sum(dept, "overdue")
        undated = column_sum(dept, "no_due_date")
        low = dept.dropna(subset=["on_time_pct"]).iloc[0] if n else None
        if not n:
            s.say(f"No training assignment with a due day fell due in {p.label}; {plural(undated, 'assignment')} made in "
                  f"it {'has' if undated == 1 else 'have'} no due day, so whether they were done on time is not known.",
                  d.status if d else None)
        else:
            s.say(f"{pct(100 * on_time / n)} of the {count(n)} training assignments due in {p.label} were completed on "
                  f"time (target at least {th['watch']} %); {count(late)} were completed late and {count(overdue)} are "
                  f"overdue, and {low['department']} did the least on time ({pct(low['on_time_pct'])})."
                  + (f" {plural(undated, 'assignment')} made in it {'has' if undated == 1 else 'have'} no due day and "
                     f"{'is' if undated == 1 else 'are'} not counted." if undated else ""),
                  d.status if d else None)
            s.number(f"Training completed on time, {p.label}", pct(100 * on_time / n))
            s.number("Assignments overdue", count(overdue))
        s.figure(fig=charts.ranked_bars(dept, "department", "overdue_pct", unit="%", top=12,
                                                 title=f"Departments with the most overdue training, {p.label}",
                                                 x_title="Assignments overdue"))
        s.table(f"Completion by role, {p.label}", role)
        s.table(f"Completion by department, {p.label} (lowest first)", dept, rows=15)
    d = s.driver("departments_with_training_gap")
    if howto.empty:
        s.say(absent("EHR training against how-to tickets", p, howto, "usage"), d.status if d else None)
    elif gap.empty:
        s.say(f"No department combined EHR training on time below {th['off_target']} % with a high rate of how-to "
              f"tickets in {p.label}.", d.status if d else None)
    else:
        k_ = setting(cfg, "training", "howto_multiple_of_median")
        r = gap.iloc[0]
        others = gap["department"].iloc[1:]
        also = (f" {names(others)} {'also meets' if len(others) == 1 else 'also meet'} both conditions."
                if len(others) else "")
        s.say(f"{r['department']} completed {pct(r['ehr_on_time_pct'], 0)} of EHR training on time in {p.label} "
              f"and raised {r['howto_per_100_active_users']:.1f} how-to tickets on the EHR per 100 active EHR users, at "
              f"least {k_:g} times the hospital's median ({r['median_howto_per_100_active_users']:.1f}): a training "
              f"gap.{also}", d.status if d else None)
        s.table(f"Departments with an EHR training gap, {p.label}", gap)
    if not howto.empty:
        s.figure(headline=True, fig=charts.ranked_bars(howto, "department", "howto_per_100_active_users", unit="tickets",
                                                    top=12, title=f"How-to tickets on the EHR per 100 active EHR users, {p.label}",
                                                    x_title="How-to tickets per 100 users"))
    if not phish.empty and phish["change_pct_points"].notna().any():
        ch = float(phish["change_pct_points"].mean())
        s.say(f"After security-awareness training, departments' phishing click rates changed by {ch:+.1f} percentage "
              f"points on average in {p.label}.")
        s.table(f"Phishing click rate before and after security-awareness training, {p.label}", phish)
