"""Candidate technology initiatives for the planning year, across all nine areas of IT management.

Two of them answer planted situations directly (the end-of-support switches and the overdue KEV
findings); two are alternatives for the same need and exclude each other; a few depend on others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import Org, add_months, fiscal_year_start


@dataclass(frozen=True)
class Initiative:
    """One candidate initiative; systems are catalogue keys, dependencies are positions in the list (1-based)."""

    name: str
    area: str
    description: str
    systems: tuple[str, ...]
    capex: int
    opex: int
    savings: int
    hours: int
    quarters: int
    start_month: int  # months after the planning year starts
    depends: tuple[int, ...] = ()
    excludes: tuple[int, ...] = ()
    mandatory_reason: str = ""
    incident_pct: float = 0.0
    outage_pct: float = 0.0
    alignment: float = 3.0
    confidence: float = 0.7
    status: str = "proposed"


INITIATIVES: tuple[Initiative, ...] = (
    Initiative(
        "Replace end-of-support core switch stack",
        "infrastructure",
        "Replace the end-of-support core switches in both data centers and the main tower MDF",
        catalog.EOS_SWITCHES,
        1_450_000,
        85_000,
        40_000,
        2200,
        3,
        0,
        incident_pct=60,
        outage_pct=75,
        alignment=4.5,
        confidence=0.8,
    ),
    Initiative(
        "Remediate KEV-listed vulnerabilities",
        "security",
        "Patch or isolate hosts with CISA known-exploited vulnerabilities past their due date",
        catalog.KEV_SYSTEMS,
        60_000,
        0,
        0,
        900,
        1,
        0,
        incident_pct=10,
        outage_pct=0,
        alignment=4.0,
        confidence=0.9,
        mandatory_reason="BOD 22-01 due dates passed on systems holding PHI",
    ),
    Initiative(
        "Network segmentation for medical devices",
        "security",
        "Move medical devices to dedicated segments with enforced access policies",
        ("pm_network", "infusion", "modalities", "nac"),
        520_000,
        60_000,
        0,
        1600,
        4,
        3,
        depends=(1,),
        incident_pct=15,
        outage_pct=10,
        alignment=4.0,
        confidence=0.6,
    ),
    Initiative(
        "Privileged access management expansion",
        "security",
        "Vault all administrator and vendor remote-access credentials",
        ("pam", "vpn"),
        140_000,
        45_000,
        0,
        700,
        2,
        1,
        incident_pct=5,
        alignment=3.5,
        confidence=0.75,
    ),
    Initiative(
        "PACS disaster recovery redesign",
        "continuity",
        "Active-active image archive across both data centers with tested failover",
        ("pacs", "vna", "storage_dc2"),
        780_000,
        70_000,
        0,
        1400,
        3,
        2,
        incident_pct=10,
        outage_pct=50,
        alignment=4.0,
        confidence=0.65,
    ),
    Initiative(
        "Immutable backup vault",
        "continuity",
        "Air-gapped immutable copies of tier-1 backups for ransomware recovery",
        ("backup_platform",),
        310_000,
        55_000,
        0,
        500,
        2,
        0,
        outage_pct=20,
        alignment=4.0,
        confidence=0.8,
    ),
    Initiative(
        "DR testing program for tier-1 systems",
        "continuity",
        "Quarterly failover tests with documented runbooks for every tier-1 system",
        ("ehr", "lis", "adc"),
        0,
        40_000,
        0,
        1100,
        4,
        0,
        outage_pct=15,
        alignment=3.5,
        confidence=0.7,
    ),
    Initiative(
        "Service desk knowledge base and self-service portal",
        "support",
        "Self-service answers for the most common how-to and access questions",
        ("itsm",),
        90_000,
        30_000,
        120_000,
        800,
        2,
        0,
        incident_pct=12,
        alignment=3.0,
        confidence=0.7,
    ),
    Initiative(
        "Password self-service reset",
        "support",
        "Self-service password reset with MFA enrollment",
        ("ad", "mfa"),
        45_000,
        18_000,
        95_000,
        300,
        1,
        1,
        incident_pct=8,
        alignment=3.0,
        confidence=0.85,
    ),
    Initiative(
        "Epic at-the-elbow support and workflow optimization",
        "training",
        "Targeted Epic coaching on the units with low training completion and high how-to volume",
        ("ehr",),
        0,
        120_000,
        60_000,
        900,
        2,
        0,
        incident_pct=6,
        alignment=4.0,
        confidence=0.6,
    ),
    Initiative(
        "Learning management system integration with HR",
        "training",
        "Automatic course assignment from role and department changes",
        ("lms", "erp_hcm"),
        60_000,
        20_000,
        30_000,
        400,
        2,
        2,
        alignment=2.5,
        confidence=0.7,
    ),
    Initiative(
        "Replace laboratory information system",
        "vendors",
        "Move laboratory, blood bank and pathology to the EHR's integrated lab module",
        ("lis", "blood_bank", "anat_path"),
        2_300_000,
        180_000,
        420_000,
        6000,
        6,
        3,
        excludes=(13,),
        incident_pct=30,
        outage_pct=20,
        alignment=4.0,
        confidence=0.5,
    ),
    Initiative(
        "Renegotiate laboratory system support with SLA credits",
        "vendors",
        "Keep the current LIS with a new support agreement, response credits and an on-site resource",
        ("lis", "blood_bank", "anat_path"),
        0,
        90_000,
        0,
        250,
        1,
        0,
        excludes=(12,),
        incident_pct=5,
        alignment=2.5,
        confidence=0.7,
    ),
    Initiative(
        "Vendor contract renewal calendar",
        "vendors",
        "Central tracking of notice deadlines and auto-renewals with owner alerts",
        ("contract_mgmt",),
        15_000,
        8_000,
        150_000,
        200,
        1,
        0,
        alignment=3.0,
        confidence=0.8,
    ),
    Initiative(
        "Cloud cost management program",
        "costs",
        "Tagging, budgets and rightsizing for Azure, AWS and SaaS subscriptions",
        ("azure", "aws"),
        30_000,
        40_000,
        260_000,
        500,
        2,
        0,
        alignment=3.5,
        confidence=0.65,
    ),
    Initiative(
        "Application portfolio rationalization",
        "costs",
        "Retire overlapping low-tier applications and consolidate contracts",
        ("crm", "price_transparency", "visitor_mgmt", "donor_mgmt"),
        50_000,
        0,
        310_000,
        1200,
        3,
        1,
        alignment=3.5,
        confidence=0.55,
    ),
    Initiative(
        "Accounts payable duplicate-payment controls",
        "costs",
        "Automated duplicate invoice detection before payment",
        ("erp_fin",),
        25_000,
        10_000,
        60_000,
        150,
        1,
        0,
        alignment=2.5,
        confidence=0.8,
    ),
    Initiative(
        "Wireless refresh for patient care floors",
        "infrastructure",
        "Replace aging access points with Wi-Fi 6E on inpatient floors",
        ("wireless",),
        860_000,
        45_000,
        0,
        1300,
        3,
        4,
        depends=(1,),
        incident_pct=20,
        outage_pct=15,
        alignment=3.5,
        confidence=0.7,
    ),
    Initiative(
        "Storage array consolidation",
        "infrastructure",
        "Consolidate file storage onto the primary arrays",
        ("file_storage", "storage_dc1"),
        420_000,
        0,
        140_000,
        700,
        2,
        6,
        incident_pct=5,
        alignment=2.5,
        confidence=0.6,
    ),
    Initiative(
        "Virtual nursing expansion",
        "strategy",
        "Extend virtual nursing to all medical-surgical units",
        ("virtual_nursing", "wireless"),
        650_000,
        220_000,
        380_000,
        1800,
        4,
        3,
        depends=(18,),
        alignment=5.0,
        confidence=0.55,
    ),
    Initiative(
        "Enterprise data platform for analytics",
        "strategy",
        "Move reporting to a governed data platform with self-service analytics",
        ("data_platform", "ehr_reporting", "bi"),
        480_000,
        160_000,
        90_000,
        2400,
        4,
        2,
        alignment=4.5,
        confidence=0.5,
    ),
    Initiative(
        "Telehealth platform consolidation",
        "strategy",
        "One video platform for visits, interpreters and e-consults",
        ("telehealth", "interpreter", "econsult"),
        120_000,
        30_000,
        140_000,
        600,
        2,
        5,
        alignment=4.0,
        confidence=0.65,
    ),
    Initiative(
        "HIPAA risk analysis refresh",
        "compliance",
        "Enterprise-wide security risk analysis and updated risk management plan",
        ("ehr", "m365_mail", "onbase"),
        0,
        85_000,
        0,
        600,
        1,
        0,
        alignment=4.0,
        confidence=0.9,
        mandatory_reason="HIPAA 164.308(a)(1)(ii)(A) risk analysis evidence is over a year old",
    ),
    Initiative(
        "Audit log monitoring for clinical systems",
        "compliance",
        "Automated access-log review for the EHR and ancillary systems",
        ("privacy_monitor", "siem", "ehr"),
        70_000,
        65_000,
        0,
        500,
        2,
        1,
        incident_pct=3,
        alignment=3.5,
        confidence=0.75,
    ),
    Initiative(
        "Business associate agreement inventory",
        "compliance",
        "Reconcile every vendor touching PHI against signed BAAs",
        (),
        0,
        15_000,
        0,
        250,
        1,
        0,
        alignment=3.0,
        confidence=0.85,
        status="approved",
    ),
)


def initiative_columns(org: Org, planning_fy: int) -> dict[str, pa.Array]:
    """The initiatives feed; earliest starts fall inside the planning fiscal year."""
    fy_start = fiscal_year_start(planning_fy)
    ids = [f"INI-{i + 1:03d}" for i in range(len(INITIATIVES))]

    def ref(positions: tuple[int, ...]) -> str | None:
        """Initiative ids for 1-based positions, joined by semicolons (blank when none)."""
        return ";".join(ids[p - 1] for p in positions) or None

    rows = INITIATIVES
    starts = [add_months(fy_start, r.start_month) for r in rows]
    return {
        "initiative_id": out.text(ids),
        "name": out.text([r.name for r in rows]),
        "area": out.text([r.area for r in rows]),
        "description": out.text([r.description for r in rows]),
        "target_systems": out.text([";".join(org.sid(k) for k in r.systems) or None for r in rows]),
        "capex": out.money(np.array([r.capex * 100 for r in rows])),
        "opex_per_year": out.money(np.array([r.opex * 100 for r in rows])),
        "savings_per_year": out.money(np.array([r.savings * 100 for r in rows])),
        "staff_hours": out.integers(np.array([r.hours for r in rows])),
        "duration_quarters": out.integers(np.array([r.quarters for r in rows])),
        "earliest_start": out.dates(np.array(starts, dtype="datetime64[D]")),
        "depends_on": out.text([ref(r.depends) for r in rows]),
        "excludes": out.text([ref(r.excludes) for r in rows]),
        "mandatory": out.booleans(np.array([bool(r.mandatory_reason) for r in rows])),
        "mandatory_reason": out.text([r.mandatory_reason or None for r in rows]),
        "incident_reduction_pct": out.number(np.array([r.incident_pct for r in rows])),
        "outage_reduction_pct": out.number(np.array([r.outage_pct for r in rows])),
        "strategic_alignment": out.number(np.array([r.alignment for r in rows])),
        "confidence": out.number(np.array([r.confidence for r in rows])),
        "status": out.text([r.status for r in rows]),
        # issue 17's columns: written by the prioritization plants (blank until then)
        "addresses": out.blank(len(rows)),
        "incident_reduction_low_pct": out.blank(len(rows)),
        "incident_reduction_high_pct": out.blank(len(rows)),
        "outage_reduction_low_pct": out.blank(len(rows)),
        "outage_reduction_high_pct": out.blank(len(rows)),
        "team_hours": out.blank(len(rows)),
        "due_by": out.blank(len(rows)),
        "finished_on": out.blank(len(rows)),
    }


def _check() -> None:
    """Dependencies point backwards or sideways without cycles, and exclusions are mutual."""
    n = len(INITIATIVES)
    for i, r in enumerate(INITIATIVES, start=1):
        if not all(1 <= d <= n and d != i for d in r.depends):
            raise ValueError(f"initiative {r.name!r} depends on an unknown initiative")
        if any(i not in INITIATIVES[e - 1].excludes for e in r.excludes):
            raise ValueError(f"initiative {r.name!r} excludes one that does not exclude it back")
    seen: dict[int, int] = {}

    def visit(i: int) -> None:
        """Depth-first walk; meeting an initiative still on the path means a cycle."""
        if seen.get(i) == 1:
            raise ValueError(f"dependency cycle through initiative {i}")
        if seen.get(i) == 2:
            return
        seen[i] = 1
        for d in INITIATIVES[i - 1].depends:
            visit(d)
        seen[i] = 2

    for i in range(1, n + 1):
        visit(i)


_check()
