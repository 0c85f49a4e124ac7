"""Vendor management and procurement: SLA attainment per vendor, spend concentration, contracts renewing
(with notice deadlines and near auto-renewals), BAA coverage for PHI systems, incidents per vendor."""

from __future__ import annotations

import duckdb

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "vendors"

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/vendors/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Vendors' status: vendors missing their response SLA, BAA gaps, auto-renewals with a near notice deadline."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    sla = kpi("vendor_sla_attainment")
    th = setting(cfg, AREA, "sla_missed_vendors")
    measure = "vendors whose median P1/P2 acknowledgement exceeds the SLA"
    judged = sla.dropna(subset=["response_met"]) if not sla.empty else sla
    if judged.empty:  # no vendor with a response SLA had a P1/P2 with an acknowledgement time: nothing to judge
        drivers.append(unmeasured("vendor_sla_attainment", measure, str(th["watch"]), not_measurable(sla)
                                  or sla.attrs.get("note")
                                  or "no P1/P2 acknowledgement time for a vendor with a response SLA in the period"))
    else:
        miss = judged[judged["response_met"] == False]  # noqa: E712 (nullable booleans)
        drivers.append(Driver("vendor_sla_attainment", measure, float(len(miss)), str(th["watch"]),
                              grade(float(len(miss)), th, higher_is_better=False),
                              ", ".join(f"{r.vendor_id} {r.vendor_name}" for r in miss.itertuples())))
    baa = kpi("baa_coverage")
    th = setting(cfg, AREA, "baa_gap_vendors")
    measure = "vendors of PHI systems without a signed BAA"
    if why := not_measurable(baa):
        drivers.append(unmeasured("baa_coverage", measure, str(th["watch"]), why))
    else:
        gaps = baa[baa["baa_gap"]] if not baa.empty else baa
        drivers.append(Driver("baa_coverage", measure, float(len(gaps)), str(th["watch"]),
                              grade(float(len(gaps)), th, higher_is_better=False),
                              ", ".join(gaps["vendor_id"]) if not gaps.empty else ""))
    ren = kpi("contracts_renewing")
    measure = "auto-renewals with a near notice deadline"
    if why := not_measurable(ren):
        drivers.append(unmeasured("contracts_renewing", measure, "0", why))
    else:
        near = ren[ren["deadline_near"]] if not ren.empty else ren
        drivers.append(Driver("contracts_renewing", measure, float(len(near)), "0",
                              setting(cfg, AREA, "near_notice_renewal_status") if len(near) else "on target",
                              ", ".join(f"{r.contract_id} by {r.notice_deadline:%Y-%m-%d}" for r in near.itertuples())))
    return AreaStatus(AREA, tuple(drivers))
