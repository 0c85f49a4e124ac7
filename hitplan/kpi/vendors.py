"""Vendor management and procurement: SLA attainment per vendor, spend concentration, contracts renewing
(with notice deadlines and near auto-renewals), BAA coverage for PHI systems, incidents per vendor."""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.analysis import AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi.common import setting
from hitplan.kpi.runner import Results, area_functions
from hitplan.periods import Period

AREA = "vendors"

KPIS = area_functions(AREA)  # hitplan/kpi/definitions/vendors/: each KPI a function by name
globals().update(KPIS)


def area_status(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                results: dict | None = None) -> AreaStatus:
    """Vendors' status: vendors missing a contract SLA (escalated P1 response, availability per system-month),
    vendors handling PHI without a BAA, auto-renewals with a near notice deadline."""
    kpi = Results(con, period, cfg, results)
    drivers = []
    sla = kpi("vendor_sla_attainment")
    th = setting(cfg, AREA, "sla_missed_vendors")
    measure = "vendors missing a contract SLA (escalated P1 response per ticket, availability per system-month)"
    if why := not_measurable(sla):
        drivers.append(unmeasured("vendor_sla_attainment", measure, str(th["watch"]), why))
    else:
        drivers.append(_sla_driver(sla, measure, th))
    baa = kpi("baa_coverage")
    th = setting(cfg, AREA, "baa_gap_vendors")
    measure = "vendors handling PHI (supplier, contract or paid for a PHI system) without a signed BAA"
    if why := not_measurable(baa):
        drivers.append(unmeasured("baa_coverage", measure, str(th["watch"]), why))
    else:
        gaps = baa[baa["baa_gap"]] if not baa.empty else baa
        drivers.append(Driver("baa_coverage", measure, float(len(gaps)), str(th["watch"]),
                              grade(float(len(gaps)), th, higher_is_better=False),
                              ", ".join(f"{r.vendor_id} ({r.scope_routes})" for r in gaps.itertuples())))
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


def sla_missed(sla: pd.DataFrame) -> pd.DataFrame:
    """The vendors of a ``vendor_sla_attainment`` result that missed a contract SLA (response or availability)."""
    if sla.empty:
        return sla
    return sla[sla["response_met"].map(_false) | sla["availability_met"].map(_false)]


def sla_not_measurable(sla: pd.DataFrame) -> pd.DataFrame:
    """The vendors of a ``vendor_sla_attainment`` result whose response or availability could not be measured."""
    if sla.empty:
        return sla
    nm = sla["response_note"].fillna("").str.startswith("not measurable") | sla["availability_note"].fillna(
        "").str.startswith("not measurable")
    return sla[nm]


def _sla_driver(sla: pd.DataFrame, measure: str, th: dict) -> Driver:
    """Vendors missing an SLA: graded when any missed; 'no data' when nothing could be judged; 'watch' when none of
    those measured missed but some vendor's clock is not seen (what was not measured may be missed)."""
    miss, unseen = sla_missed(sla), sla_not_measurable(sla)
    judged = sla[sla["response_met"].notna() | sla["availability_met"].notna()] if not sla.empty else sla
    unseen_note = (f"not measurable for {len(unseen)} of {len(sla)} vendors ({unseen['vendor_id'].iloc[0]}: "
                   f"{unmeasured_reason(unseen.iloc[0])})" if len(unseen) else "")
    if len(miss):
        detail = ", ".join(f"{r.vendor_id} {r.vendor_name} ({missed_text(r)})" for r in miss.itertuples())
        return Driver("vendor_sla_attainment", measure, float(len(miss)), str(th["watch"]),
                      grade(float(len(miss)), th, higher_is_better=False),
                      detail + (f"; {unseen_note}" if unseen_note else ""))
    if judged.empty:
        return unmeasured("vendor_sla_attainment", measure, str(th["watch"]), unseen_note or sla.attrs.get("note")
                          or "no vendor with a contract SLA had an escalated P1 or a system-month under an "
                             "availability SLA in the period")
    if len(unseen):
        return Driver("vendor_sla_attainment", measure, 0.0, str(th["watch"]), "watch",
                      f"none of the {len(judged)} vendors measured missed; {unseen_note}")
    return Driver("vendor_sla_attainment", measure, 0.0, str(th["watch"]),
                  grade(0.0, th, higher_is_better=False), "")


def _false(v: object) -> bool:
    """A nullable boolean that is known to be False (blank is not False)."""
    return v is not None and not pd.isna(v) and not bool(v)


def unmeasured_reason(r: pd.Series) -> str:
    """Why a vendor's response (else its availability) is not measurable, from its row's notes."""
    note = r["response_note"] if str(r["response_note"]).startswith("not measurable") else r["availability_note"]
    return str(note).removeprefix("not measurable: ")


def missed_text(r: pd.Series | tuple) -> str:
    """What a vendor missed, in words: its response attainment and/or its system-months below the availability SLA."""
    parts = []
    if _false(r.response_met):
        parts.append(f"{r.response_sla_met_pct:.0f} % of {int(r.responses_met + r.responses_missed)} escalated P1 "
                     f"tickets answered within {r.sla_response_minutes:.0f} minutes")
    if _false(r.availability_met):
        parts.append(f"{int(r.system_months_missed)} system-month(s) below its availability SLA, worst "
                     f"{r.worst_system_id} {r.worst_month:%Y-%m} at {r.worst_availability_pct:.2f} %")
    return "; ".join(parts)
