"""Technology implementation and support: incident volume and backlog, response times against SLA,
availability, reopen rate, incidents per active user, adoption, top categories and noisiest systems.

An incident belongs to the period it was opened in. It is done at ``coalesce(resolved_at, closed_at)``;
a canceled ticket with neither is not in the backlog. Durations come from ``int_incidents`` (real elapsed
time in the hospital's time zone).
"""

from __future__ import annotations

import duckdb

from hitplan.analysis import AreaStatus, Driver, grade
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "support"

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/support/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Support's status: tier-1 availability, P1/P2 resolution SLA attainment and reopen rate."""
    kpi = Results(con, period, cfg, results)
    drivers, notes = [], []
    av = kpi("availability_by_system_month")
    target = setting(cfg, AREA, "availability_target_pct")
    if av.empty:
        drivers.append(Driver("availability_by_system_month", "tier-1 system-months below target", None,
                              f">= {target} %", "watch", av.attrs.get("note", "")))
    else:
        t1 = av[av["criticality_tier"] == 1]
        below = t1[t1["below_target"]]
        detail = "; ".join(f"{r.system_id} {r.month:%Y-%m} {r.availability_pct:.3f} %" for r in below.itertuples())
        drivers.append(Driver("availability_by_system_month", "tier-1 system-months below target", float(len(below)),
                              f"0 below {target} %", "off target" if len(below) else "on target", detail))
    m = kpi("mttr_by_priority")
    th = setting(cfg, AREA, "resolve_sla_met_pct")
    value = None
    if not m.empty:
        p12 = m[m["priority"] <= 2]
        met = (p12["resolve_sla_met_pct"] / 100 * p12["incidents"]).sum()
        value = 100.0 * met / p12["incidents"].sum() if p12["incidents"].sum() else None
    else:
        notes.append(m.attrs.get("note", ""))
    drivers.append(Driver("mttr_by_priority", "P1/P2 resolved within SLA (%)", value, f">= {th['watch']} %",
                          grade(value, th, higher_is_better=True)))
    r = kpi("reopen_rate")
    th = setting(cfg, AREA, "reopen_rate_pct")
    value = None if r.empty else float(r["reopen_rate_pct"].iloc[0])
    drivers.append(Driver("reopen_rate", "reopen rate (%)", value, f"<= {th['watch']} %",
                          grade(value, th, higher_is_better=False)))
    return AreaStatus(AREA, tuple(drivers), tuple(n for n in notes if n))
