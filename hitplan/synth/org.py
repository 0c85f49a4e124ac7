"""The reference feeds: the hospital profile, the vendor list and the system inventory."""

from __future__ import annotations

import numpy as np

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import RTO_RPO_BY_TIER, Org


def hospital_columns() -> dict[str, out.pa.Array]:
    """The one-row hospital profile."""
    h = catalog.HOSPITAL
    return {
        "hospital_id": out.text([h["hospital_id"]]),
        "name": out.text([h["name"]]),
        "time_zone": out.text([h["time_zone"]]),
        "fiscal_year_start_month": out.integers(np.array([h["fiscal_year_start_month"]])),
        "beds": out.integers(np.array([h["beds"]])),
        "operating_expense": out.money(np.array([h["operating_expense"] * 100])),
        "revenue": out.money(np.array([h["revenue"] * 100])),
        "staff": out.integers(np.array([h["staff"]])),
        "state": out.text([h["state"]]),
        "currency": out.text([h["currency"]]),
    }


def vendor_columns(org: Org) -> dict[str, out.pa.Array]:
    """One row per vendor."""
    vs = catalog.VENDORS
    return {
        "vendor_id": out.text([org.vendor_ids[v.key] for v in vs]),
        "name": out.text([v.name for v in vs]),
        "category": out.text([v.category for v in vs]),
        "is_strategic": out.booleans(np.array([v.strategic for v in vs])),
    }


def system_columns(org: Org) -> dict[str, out.pa.Array]:
    """One row per system in the inventory."""
    ss = org.systems
    tier = org.tier
    assessed = tier > 0
    rto = np.array([RTO_RPO_BY_TIER.get(int(t), (np.nan, np.nan))[0] for t in tier])
    rpo = np.array([RTO_RPO_BY_TIER.get(int(t), (np.nan, np.nan))[1] for t in tier])
    users = np.array([s.users or 0 for s in ss])
    return {
        "system_id": out.text(org.system_ids),
        "name": out.text([s.name for s in ss]),
        "kind": out.text([s.kind for s in ss]),
        "category": out.text([s.category for s in ss]),
        "criticality_tier": out.integers(tier, assessed),
        "vendor_id": out.text([org.vendor_ids[s.vendor] for s in ss]),
        "hosting": out.text([s.hosting for s in ss]),
        "go_live": out.dates(org.go_live),
        "end_of_support": out.dates(org.end_of_support),
        "licensed_users": out.integers(users, np.array([s.users is not None for s in ss])),
        "rto_hours": out.number(rto),
        "rpo_hours": out.number(rpo),
        "holds_phi": out.booleans(org.phi),
        "owner_department": out.text([s.owner for s in ss]),
    }
