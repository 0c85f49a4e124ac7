"""Innovation and strategic planning: the initiative portfolio by area and status and the share of spend going
to transformation (spend by run / grow / transform is ``hitplan.kpi.costs.rgt_mix``). Scoring and prioritizing
initiatives is ``hitplan.prioritize``."""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "strategy"


KPIS = area_functions(AREA)  # hitplan/kpi/definitions/strategy/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Strategy's status: the share of spend going to transformation, and whether any initiative is in the pipeline."""
    kpi = Results(con, period, cfg, results)
    ts = kpi("transformation_share")
    th = setting(cfg, AREA, "transform_share_pct")
    value = None if ts.empty else ts["transform_share_pct"].iloc[0]
    measure, target = "transform share of spend (%)", f">= {th['watch']} %"
    if value is None or pd.isna(value):
        drivers = [unmeasured("transformation_share", measure, target,
                              not_measurable(ts) or ts.attrs.get("note", ""))]
    else:
        drivers = [Driver("transformation_share", measure, float(value), target,
                          grade(float(value), th, higher_is_better=True), ts.attrs.get("note", ""))]
    pipe = kpi("initiative_pipeline_by_status")
    measure = "initiatives proposed, approved or in progress"
    if why := not_measurable(pipe):
        drivers.append(unmeasured("initiative_pipeline_by_status", measure, ">= 1", why))
    else:
        open_n = float(pipe[pipe["initiative_status"].isin(["proposed", "approved", "in_progress"])]["initiatives"]
                       .sum()) if not pipe.empty else 0.0
        drivers.append(Driver("initiative_pipeline_by_status", measure, open_n, ">= 1",
                              "on target" if open_n else "watch"))
    return AreaStatus(AREA, tuple(drivers))
