"""Infrastructure: end-of-support exposure weighted by criticality, incident rate against age, usage and
backup-volume growth per system, and where P1/P2 incidents concentrate and rise."""

from __future__ import annotations

import duckdb

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "infrastructure"

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/infrastructure/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Infrastructure's status: tier-1 systems past end of support, end-of-support systems with rising P1/P2s, weighted exposure within 12 months."""
    kpi = Results(con, period, cfg, results)
    eos = kpi("end_of_support_exposure")
    th = setting(cfg, AREA, "tier1_past_eos_systems")
    h = setting(cfg, AREA, "eos_horizons_months")[0]
    near_measure = f"criticality-weighted systems reaching end of support within {h} months"
    drivers = []
    if why := not_measurable(eos):
        drivers.append(unmeasured("end_of_support_exposure", "tier-1 systems past end of support", "0", why))
    else:
        t1 = eos[(eos["eos_status"] == "past") & (eos["criticality_tier"] == 1)] if not eos.empty else eos
        drivers.append(Driver("end_of_support_exposure", "tier-1 systems past end of support", float(len(t1)), "0",
                              grade(float(len(t1)), th, higher_is_better=False), ", ".join(t1["system_id"])))
    rising = kpi("eos_systems_with_rising_incidents")
    measure = "end-of-support systems with rising P1/P2"
    if why := not_measurable(rising):
        drivers.append(unmeasured("eos_systems_with_rising_incidents", measure, "0", why))
    else:
        drivers.append(Driver("eos_systems_with_rising_incidents", measure, float(len(rising)), "0",
                              "off target" if len(rising) else "on target",
                              ", ".join(rising["system_id"]) if not rising.empty else ""))
    if why := not_measurable(eos):
        drivers.append(unmeasured("end_of_support_exposure", near_measure, "0", why))
    else:
        soon = eos[eos["eos_status"] != "past"] if not eos.empty else eos
        near = soon[soon["eos_status"] == f"within_{h}_months"] if not soon.empty else soon
        w = float(near["criticality_weight"].sum()) if not near.empty else 0.0
        drivers.append(Driver("end_of_support_exposure", near_measure, w, "0", "watch" if w > 0 else "on target",
                              ", ".join(near["system_id"]) if not near.empty else ""))
    return AreaStatus(AREA, tuple(drivers))
