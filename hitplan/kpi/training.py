"""Staff training: assignments done on time, late and overdue by role, department or system, EHR training against
how-to tickets on the EHR by department, and phishing results before and after security-awareness training.

An assignment counts in a period when it falls due inside it; it is on time when completed on or before its due day
(HIPAA 45 CFR 164.308(a)(5), the hospital's due dates), late when completed after it by the period end, and overdue
when still open at the period end. Assignments with no due day are counted apart, never as on time.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.errors import UsageError
from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "training"
_GROUPS = ("role", "department", "system")

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/training/: each KPI a function by name
globals().update(KPIS)


def completion_by_group(con: duckdb.DuckDBPyConnection, period: Period, *, by: str = "department") -> pd.DataFrame:
    """Assignments due in the period per role, department or system: on time, late and overdue at the period end (counts,
    percent)."""
    if by not in _GROUPS:
        raise UsageError(f"completion_by_group: by must be one of {', '.join(_GROUPS)}, not {by!r}")
    return KPIS[f"completion_by_{by}"](con, period)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Training's status: departments with an EHR training gap, and assignments due completed on time overall."""
    kpi = Results(con, period, cfg, results)
    gap = kpi("departments_with_training_gap")
    measure = "departments with low EHR training on time and a high how-to rate"
    if why := not_measurable(gap):
        drivers = [unmeasured("departments_with_training_gap", measure, "0", why)]
    else:
        drivers = [Driver("departments_with_training_gap", measure, float(len(gap)), "0",
                          "off target" if len(gap) else "on target",
                          ", ".join(gap["department"]) if not gap.empty else gap.attrs.get("note", ""))]
    c = kpi("completion_by_department")
    th = setting(cfg, AREA, "ehr_completion_pct")
    value = 100.0 * c["on_time"].sum() / c["assignments"].sum() if not c.empty and c["assignments"].sum() else None
    measure, target = "assignments completed on time (%)", f">= {th['watch']} %"
    if value is None:
        drivers.append(unmeasured("completion_by_department", measure, target,
                                  not_measurable(c) or c.attrs.get("note", "")))
    else:
        drivers.append(Driver("completion_by_department", measure, value, target,
                              grade(value, th, higher_is_better=True)))
    return AreaStatus(AREA, tuple(drivers))
