"""Budget and cost: budget against actual, year-end forecast, run/grow/transform mix, IT spending (operating and
capital) as a share of hospital operating expense, cost per active user, TCO per system, top vendors and duplicate
postings.

Money columns are in the hospital's currency (``hospital.currency``, US$ for US hospitals) and named ``_usd``.
Monthly figures take the calendar months whose first day falls in the period.
"""

from __future__ import annotations

import duckdb

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "costs"

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/costs/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Costs' status: the most over-budget cost pool, duplicate invoices, IT share of operating expense."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    pools = kpi("budget_vs_actual_by_pool")
    th = setting(cfg, AREA, "actual_to_budget")
    if pools.empty or pools["actual_to_budget"].isna().all():
        drivers.append(unmeasured("budget_vs_actual_by_pool", "highest pool actual/budget", f"<= {th['watch']}",
                                  not_measurable(pools) or pools.attrs.get("note") or "no pool has a budget"))
    else:
        top = pools.dropna(subset=["actual_to_budget"]).iloc[0]
        over = pools[pools["actual_to_budget"] > th["off_target"]]
        drivers.append(Driver("budget_vs_actual_by_pool", "highest pool actual/budget", float(top["actual_to_budget"]),
                              f"<= {th['watch']}", grade(float(top["actual_to_budget"]), th, higher_is_better=False),
                              ", ".join(over["cost_pool"]) or str(top["cost_pool"])))
    dup = kpi("duplicate_postings")
    th = setting(cfg, AREA, "duplicate_postings")
    if why := not_measurable(dup):
        drivers.append(unmeasured("duplicate_postings", "duplicated invoices", "0", why))
    else:
        groups = 0 if dup.empty else int(dup.groupby(["vendor_id", "invoice_number", "amount_usd"]).ngroups)
        drivers.append(Driver("duplicate_postings", "duplicated invoices", float(groups), "0",
                              grade(float(groups), th, higher_is_better=False),
                              ", ".join(dup["entry_id"]) if not dup.empty else ""))
    share = kpi("it_spending_share")
    basis = str(setting(cfg, AREA, "it_spending_share_basis")).replace("_", " ")
    measure = f"IT spending (opex + capex) as % of hospital {basis}"
    if share.empty or share["it_spending_share_pct"].isna().all():
        why = not_measurable(share) or (str(share["note"].iloc[0]) if not share.empty else share.attrs.get("note", ""))
        drivers.append(unmeasured("it_spending_share", measure, "benchmark range", why))
    else:
        r = share.iloc[0]
        caveat = r["note"] if isinstance(r["note"], str) else ""
        drivers.append(Driver("it_spending_share", measure, float(r["it_spending_share_pct"]),
                              f"{r['benchmark_low_pct']}-{r['benchmark_high_pct']} %",
                              "on target" if r["within_benchmark"] else "watch", caveat))
    return AreaStatus(AREA, tuple(drivers))
