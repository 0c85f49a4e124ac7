"""Technology implementation and support: incident volume and backlog, response times against SLA,
availability, reopen rate, incidents per active user, adoption, top categories and noisiest systems.

An incident belongs to the period it was opened in. Its lifecycle comes from ``int_incidents``: from its resolved
and closed times where present, else from its state, so a resolved, closed or canceled ticket is never backlog.
Resolution times carry their basis (timestamps, the tool's durations, the last update as an upper bound), which
each KPI counts; elapsed times are real elapsed time in the hospital's time zone. Resolution time leaves out the
time the SLA clock was paused (ITIL 4, HDI) where the export has it; SLA attainment takes the service desk tool's
own verdict where present; a canceled ticket never counts as resolved; each KPI cites its standard in its
``standard:`` entry (hitplan/kpi/definitions/support/kpis.yaml).
"""

from __future__ import annotations

import duckdb

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
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
    drivers = []
    av = kpi("availability_by_system_month")
    target = setting(cfg, AREA, "availability_target_pct")
    measure = "tier-1 system-months below target"
    if av.empty or not_measurable(av):
        drivers.append(unmeasured("availability_by_system_month", measure, f"0 below {target} %",
                                  not_measurable(av) or av.attrs.get("note", "")))
    else:
        t1 = av[av["criticality_tier"] == 1]
        below = t1[t1["below_target"].eq(True)]
        detail = "; ".join(f"{r.system_id} {r.month:%Y-%m} {r.availability_pct:.3f} %" for r in below.itertuples())
        # a month the incidents export does not cover is not measured: without a miss, at best "watch"
        unseen = sorted({f"{m:%Y-%m}" for m in t1.loc[~t1["incidents_covered"].astype(bool), "month"]})
        if unseen:
            detail = "; ".join(filter(None, [detail, f"not measured (outside the incidents export): {', '.join(unseen)}"]))
        status = "off target" if len(below) else "watch" if unseen else "on target"
        drivers.append(Driver("availability_by_system_month", measure, float(len(below)),
                              f"0 below {target} %", status, detail))
    m = kpi("mttr_by_priority")
    th = setting(cfg, AREA, "resolve_sla_met_pct")
    value = None
    if not m.empty and not not_measurable(m):
        # Weighted by the tickets whose outcome is known (met or missed), the percentage's own denominator: a
        # ticket still inside its target, or whose resolution time is a bound that proves nothing, is neither.
        p12 = m[m["priority"] <= 2]
        measured = p12["resolve_sla_measured"].sum()
        met = (p12["resolve_sla_met_pct"].fillna(0) / 100 * p12["resolve_sla_measured"]).sum()
        value = 100.0 * met / measured if measured else None
    drivers.append(_graded("mttr_by_priority", "P1/P2 resolved within SLA (%)", value, th, m, higher_is_better=True,
                           why="no P1/P2 incident with a known resolution outcome in the period"))
    r = kpi("reopen_rate")
    th = setting(cfg, AREA, "reopen_rate_pct")
    value = None if r.empty or not_measurable(r) else float(r["reopen_rate_pct"].iloc[0])
    drivers.append(_graded("reopen_rate", "reopen rate (%)", value, th, r, higher_is_better=False,
                           why="no resolved incident opened in the period"))
    return AreaStatus(AREA, tuple(drivers))


def _graded(kpi: str, measure: str, value: float | None, th: dict, df, *, higher_is_better: bool, why: str) -> Driver:
    """A driver graded against its thresholds, or 'no data' with the reason the KPI gave (``why`` when it gave none)."""
    target = f"{'>=' if higher_is_better else '<='} {th['watch']} %"
    if value is None:
        return unmeasured(kpi, measure, target, not_measurable(df) or df.attrs.get("note", "") or why)
    return Driver(kpi, measure, value, target, grade(value, th, higher_is_better=higher_is_better))
