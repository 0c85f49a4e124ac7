"""Vendor contracts: terms, values, SLAs and BAA flags, with the planted renewal-notice deadlines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import Org, Params, stream

# Vendors without systems in the inventory: what they are contracted for.
SERVICE_CONTRACTS = {
    "lakeshore": ("After-hours service desk and managed network monitoring", 480_000, True),
    "summit": ("IT contract staffing master agreement", 700_000, True),
    "heartland": ("Colocation space and power, recovery data center", 420_000, True),
    "riverbend": ("IT strategy and project advisory services", 200_000, True),
    "beacon": ("IT research and advisory subscription", 80_000, False),
}
# Contract value by tier before the size adjustment; EHR and the enterprise agreement are set explicitly.
VALUE_BY_TIER = {1: 150_000, 2: 70_000, 3: 25_000, 4: 10_000, 0: 9_000}
VALUE_OVERRIDES = {"ehr": 1_900_000, "m365_mail": 750_000, "erp_hcm": 520_000, "pacs": 380_000}
# The system a vendor's main contract is written for, where it is not simply the vendor's most critical one.
MAIN_SYSTEM = {"microsoft": "m365_mail", "workday": "erp_hcm"}
RENEWAL_VENDORS = ("proofpoint", "imprivata", "crescent")
RENEWAL_DAYS_AFTER_END = (19, 38, 55)
HOSTED = {"saas", "cloud_iaas", "colocation"}
# The vendor planted without a BAA: paid every month to support the patient-monitoring network (a PHI system it does
# not supply) and supplier of PHI-holding applications, yet its contract was written without a BAA.
BAA_GAP_VENDOR = "keystone"


@dataclass(frozen=True)
class Contract:
    """One contract row."""

    contract_id: str
    vendor: str
    system: str | None
    title: str
    start: dt.date
    end: dt.date
    annual_value: int
    notice_days: int
    auto_renew: bool
    sla_availability: float | None
    sla_response: float | None
    baa: bool

    @property
    def notice_deadline(self) -> dt.date:
        """Last day to give notice before the term renews."""
        return self.end - dt.timedelta(days=self.notice_days)


def _covered_systems(org: Org) -> list[tuple[str, str]]:
    """(vendor, system) pairs that get their own contract: each vendor's main system plus extra tier-1 ones."""
    by_vendor: dict[str, list[catalog.SystemSpec]] = {}
    for s in org.systems:
        by_vendor.setdefault(s.vendor, []).append(s)
    pairs = []
    for vendor, specs in by_vendor.items():
        ranked = sorted(specs, key=lambda s: (s.key != MAIN_SYSTEM.get(vendor), s.tier or 9, -(s.users or 0)))
        pairs.append((vendor, ranked[0].key))
        pairs += [(vendor, s.key) for s in ranked[1:] if s.tier == 1]
    return pairs


def _title(spec: catalog.SystemSpec) -> str:
    """What a system contract covers, in procurement's words."""
    if spec.hosting == "saas":
        return f"{spec.name} subscription and support"
    if spec.kind == "infrastructure":
        return f"{spec.name} hardware and software maintenance"
    if spec.kind == "medical_device_network":
        return f"{spec.name} service agreement"
    return f"{spec.name} license and maintenance"


def build_contracts(params: Params, org: Org) -> list[Contract]:
    """Every contract; notice deadlines stay out of the 60 days after the window, except the planted ones."""
    rng = stream(params, "contracts")
    end = params.end
    rows: list[tuple] = []
    for vendor, key in _covered_systems(org):
        spec = org.spec(key)
        phi_vendor = any(s.phi for s in org.systems if s.vendor == vendor)
        size = ((spec.users or 400) / 500) ** 0.3
        value = VALUE_OVERRIDES.get(key, VALUE_BY_TIER[spec.tier or 0] * size * rng.uniform(0.7, 1.4))
        hosted = spec.hosting in HOSTED
        sla_av = float(rng.choice([99.5, 99.9, 99.95])) if hosted else None
        sla_resp = float(rng.choice([15, 30, 30, 60])) if (spec.tier or 9) <= 2 else None
        if vendor == catalog.SLA_VENDOR:
            sla_resp = 30.0
        # A BAA is signed per vendor relationship, so it covers every contract with a vendor that touches PHI.
        rows.append((vendor, key, _title(spec), value, sla_av, sla_resp, phi_vendor and vendor != BAA_GAP_VENDOR))
    for vendor, (title, value, baa) in SERVICE_CONTRACTS.items():
        rows.append((vendor, None, title, value * rng.uniform(0.9, 1.1), None, None, baa))
    contracts = []
    for vendor, key, title, value, sla_av, sla_resp, baa in rows:
        notice = int(rng.choice([30, 60, 90, 90, 120, 180]))
        auto = bool(rng.random() < 0.55)
        term_years = int(rng.choice([1, 3, 3, 5]))
        if notice + 75 > term_years * 365 - 30:
            term_years = 3
        if vendor in RENEWAL_VENDORS and key == _covered_key(org, vendor):
            auto = True
            j = RENEWAL_VENDORS.index(vendor)
            end_date = end + dt.timedelta(days=RENEWAL_DAYS_AFTER_END[j] + notice)
        else:
            # The deadline lands at least 75 days after the window, outside the 60-day alert horizon,
            # and the current term has already started.
            end_date = end + dt.timedelta(days=int(rng.integers(notice + 75, term_years * 365 - 30)))
        start = _years_before(end_date, term_years) + dt.timedelta(days=1)
        contracts.append(
            (
                start,
                vendor,
                key,
                title,
                end_date,
                int(round(value / 100.0)) * 100,
                notice,
                auto,
                sla_av,
                sla_resp,
                bool(baa),
            )
        )
    contracts.sort(key=lambda c: (c[0], c[1], c[2] or ""))
    out_rows, seq = [], {}
    for start, vendor, key, title, end_date, value, notice, auto, sla_av, sla_resp, baa in contracts:
        seq[start.year] = seq.get(start.year, 0) + 1
        cid = f"C-{start.year}-{seq[start.year]:03d}"
        out_rows.append(Contract(cid, vendor, key, title, start, end_date, value, notice, auto, sla_av, sla_resp, baa))
    return out_rows


def _covered_key(org: Org, vendor: str) -> str:
    """The main system key of a vendor (its first contract)."""
    return next(k for v, k in _covered_systems(org) if v == vendor)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (28 Feb for 29 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def vendor_sla_minutes(contracts: list[Contract]) -> dict[str, float]:
    """The tightest P1 response SLA per vendor."""
    sla: dict[str, float] = {}
    for c in contracts:
        if c.sla_response is not None:
            sla[c.vendor] = min(sla.get(c.vendor, c.sla_response), c.sla_response)
    return sla


def contract_columns(org: Org, contracts: list[Contract]) -> dict[str, out.pa.Array]:
    """The contracts feed."""
    av = np.array([c.sla_availability if c.sla_availability is not None else np.nan for c in contracts])
    resp = np.array([c.sla_response if c.sla_response is not None else np.nan for c in contracts])
    return {
        "contract_id": out.text([c.contract_id for c in contracts]),
        "vendor_id": out.text([org.vendor_ids[c.vendor] for c in contracts]),
        "system_id": out.text([org.sid(c.system) if c.system else None for c in contracts]),
        "title": out.text([c.title for c in contracts]),
        "start_date": out.dates(np.array([c.start for c in contracts], dtype="datetime64[D]")),
        "end_date": out.dates(np.array([c.end for c in contracts], dtype="datetime64[D]")),
        "annual_value": out.money(np.array([c.annual_value * 100 for c in contracts])),
        "notice_days": out.integers(np.array([c.notice_days for c in contracts])),
        "auto_renew": out.booleans(np.array([c.auto_renew for c in contracts])),
        "sla_availability_pct": out.number(av),
        "sla_response_minutes": out.number(resp),
        "baa_signed": out.booleans(np.array([c.baa for c in contracts])),
    }
