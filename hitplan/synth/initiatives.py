"""Candidate technology initiatives for the planning year, across all nine areas of IT management.

Two of them answer planted situations directly (the end-of-support switches and the overdue KEV
findings); two are alternatives for the same need and exclude each other; a few depend on others.

Issue 17's prioritization plants (``PrioritizationPlants`` in the ground truth): the HIPAA risk analysis refresh
targets the EHR but promises no effect and removes no risk class (it must rank in the bottom half); the overdue
KEV remediation is due at once (it must start in the plan's first quarter); the immutable backup vault has a
contractual due day inside the plan (it must finish by it); the EHR applications team's hours are asked for far
beyond its yearly budget (``TEAM_BUDGET_HOURS``: it binds); and two initiatives are done, one whose target's P1
incidents fall after it finished (hitplan/synth/incidents.py plants them) and one whose target's do not.
The plan starts in the first quarter after the data: earliest starts count from there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.world import Org, add_months, month_end


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
    finished_months_before_end: int | None = None  # done ones: finished at the end of the month this far back


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
        mandatory_reason="The cyber insurance renewal requires immutable, air-gapped tier-1 backups by its due day",
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
    Initiative(
        "Interface engine high-availability upgrade",
        "infrastructure",
        "Mirrored interface engine with automatic failover and queue monitoring",
        ("interface_engine",),
        240_000,
        30_000,
        0,
        800,
        2,
        0,
        incident_pct=40,
        outage_pct=30,
        alignment=3.5,
        confidence=0.7,
        status="done",
        finished_months_before_end=12,
    ),
    Initiative(
        "VMware production cluster host refresh",
        "infrastructure",
        "Replace the production cluster's hosts with current hardware",
        ("vmw_prod",),
        380_000,
        20_000,
        0,
        1000,
        2,
        0,
        incident_pct=25,
        outage_pct=20,
        alignment=3.0,
        confidence=0.7,
        status="done",
        finished_months_before_end=9,
    ),
)


@dataclass(frozen=True)
class Detail:
    """Issue 17's columns of one initiative: its hours by team (summing to its staff hours), the risk classes it
    removes (a share after a colon when partial) and the low and high ends of its incident and outage reductions."""

    teams: str
    addresses: str = ""
    incident_range: tuple[float, float] | None = None
    outage_range: tuple[float, float] | None = None


TEAMS = ("network", "ehr_apps", "security", "service_desk", "infrastructure")
# By position (1-based), as dependencies are: what a CIO's teams would put down for each.
DETAILS: dict[int, Detail] = {
    1: Detail("network:1800;infrastructure:400", "end_of_support", (40, 75), (50, 90)),
    2: Detail("security:600;infrastructure:300", "kev", (5, 15)),
    3: Detail("network:1000;security:600", "phi_critical:0.5", (5, 25), (0, 20)),
    4: Detail("security:600;infrastructure:100", "", (2, 10)),
    5: Detail("infrastructure:1000;network:400", "dr_gap", (5, 15), (30, 70)),
    6: Detail("infrastructure:400;security:100", "", None, (10, 30)),
    7: Detail("ehr_apps:400;infrastructure:600;network:100", "dr_gap", None, (5, 25)),
    8: Detail("service_desk:700;infrastructure:100", "", (6, 20)),
    9: Detail("service_desk:200;security:100", "", (4, 12)),
    10: Detail("ehr_apps:600;service_desk:300", "", (2, 10)),
    11: Detail("infrastructure:300;service_desk:100"),
    12: Detail("ehr_apps:3600;infrastructure:1400;network:400;service_desk:600", "", (15, 45), (10, 35)),
    13: Detail("infrastructure:150;ehr_apps:100", "", (0, 10)),
    14: Detail("service_desk:200"),
    15: Detail("infrastructure:500"),
    16: Detail("infrastructure:800;service_desk:400"),
    17: Detail("infrastructure:150"),
    18: Detail("network:1100;service_desk:200", "end_of_support", (10, 30), (5, 25)),
    19: Detail("infrastructure:700", "end_of_support", (0, 10)),
    20: Detail("ehr_apps:700;network:500;service_desk:300;infrastructure:300"),
    21: Detail("ehr_apps:1200;infrastructure:900;security:300"),
    22: Detail("ehr_apps:300;network:100;service_desk:200"),
    # The plant: the EHR among its targets, yet no promised effect and no risk class removed.
    23: Detail("security:500;ehr_apps:100"),
    24: Detail("security:300;ehr_apps:200", "", (1, 5)),
    25: Detail("security:250"),
    26: Detail("ehr_apps:300;infrastructure:500", "", (20, 50), (10, 40)),
    27: Detail("infrastructure:900;service_desk:100", "", (10, 35), (5, 30)),
}
ZERO_EFFECT = 23  # HIPAA risk analysis refresh: large problems on its targets, nothing promised about them
OVERDUE_KEV = 2  # Remediate KEV-listed vulnerabilities: CISA due days already past
DUE_BY = 6  # Immutable backup vault: due by the end of the plan's third quarter (cyber insurance renewal)
DUE_BY_MONTHS = 9
BOTTLENECK_TEAM = "ehr_apps"
# The teams' hours a fiscal year, as hitplan/prioritize/budget_example.yaml assumes: every team but the EHR
# applications team can take on what is asked of it; the EHR team gets about a sixth of its asks a year.
TEAM_BUDGET_HOURS = {"network": 3000, "ehr_apps": 1200, "security": 2500, "service_desk": 2000, "infrastructure": 4000}
# The done ones' targets: P1 incidents a month before and after the finish day (hitplan/synth/incidents.py).
REALIZED_DROP = 26  # its target's P1s fall to a quarter
REALIZED_FLAT = 27  # its target's P1s stay as they were
P1_PER_MONTH = {REALIZED_DROP: (2.0, 0.5), REALIZED_FLAT: (1.0, 1.0)}


def plan_start(end: dt.date) -> dt.date:
    """The first day of the first quarter after the data (quarters begin in January, April, July, October)."""
    nxt = end + dt.timedelta(days=1)
    return nxt if nxt.day == 1 and nxt.month % 3 == 1 else add_months(dt.date(nxt.year, nxt.month, 1),
                                                                      (1 - nxt.month) % 3)


def due_by_day(end: dt.date) -> dt.date:
    """The due day of the ``DUE_BY`` initiative: the last day of the plan's third quarter."""
    return add_months(plan_start(end), DUE_BY_MONTHS) - dt.timedelta(days=1)


def finished_on(r: Initiative, start: dt.date, end: dt.date) -> dt.date | None:
    """A done initiative's finish day: a month's end ``finished_months_before_end`` back from the data's end, and
    never less than six months after the data's start or before its end."""
    if r.finished_months_before_end is None:
        return None
    return max(month_end(add_months(end, -r.finished_months_before_end)), month_end(add_months(start, 6)))


def team_hours(r: int) -> dict[str, int]:
    """Hours by team of the initiative at 1-based position ``r``."""
    return {t: int(h) for t, h in (p.split(":") for p in DETAILS[r].teams.split(";"))}


def team_demand() -> dict[str, int]:
    """Hours asked of each team by the open initiatives (neither done nor rejected)."""
    out = dict.fromkeys(TEAMS, 0)
    for i, r in enumerate(INITIATIVES, start=1):
        if r.status not in ("done", "rejected"):
            for t, h in team_hours(i).items():
                out[t] += h
    return out


def initiative_columns(org: Org, start: dt.date, end: dt.date) -> dict[str, pa.Array]:
    """The initiatives feed; earliest starts count from the first quarter after the data (``end``), the done ones
    finished inside the data (``start`` to ``end``)."""
    first = plan_start(end)
    ids = [f"INI-{i + 1:03d}" for i in range(len(INITIATIVES))]

    def ref(positions: tuple[int, ...]) -> str | None:
        """Initiative ids for 1-based positions, joined by semicolons (blank when none)."""
        return ";".join(ids[p - 1] for p in positions) or None

    rows = INITIATIVES
    done = [finished_on(r, start, end) for r in rows]
    starts = [add_months(first, r.start_month) if d is None else add_months(d, 1 - 3 * r.quarters)
              for r, d in zip(rows, done)]
    details = [DETAILS[i] for i in range(1, len(rows) + 1)]
    due = [due_by_day(end) if i == DUE_BY else None
           for i in range(1, len(rows) + 1)]

    def ends(which: str, k: int) -> pa.Array:
        """One end (0 low, 1 high) of the incident or outage reduction range, blank where none is given."""
        vals = [getattr(d, which) for d in details]
        return out.number(np.array([v[k] if v else np.nan for v in vals]))

    def day_column(days: list[dt.date | None]) -> pa.Array:
        return out.dates(np.array([np.datetime64(d, "D") if d else np.datetime64("NaT") for d in days],
                                  dtype="datetime64[D]"))

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
        "addresses": out.text([d.addresses or None for d in details]),
        "incident_reduction_low_pct": ends("incident_range", 0),
        "incident_reduction_high_pct": ends("incident_range", 1),
        "outage_reduction_low_pct": ends("outage_range", 0),
        "outage_reduction_high_pct": ends("outage_range", 1),
        "team_hours": out.text([d.teams for d in details]),
        "due_by": day_column(due),
        "finished_on": day_column(done),
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
    if set(DETAILS) != set(range(1, n + 1)):
        raise ValueError("every initiative needs its DETAILS entry (team hours, risk classes, ranges)")
    for i, r in enumerate(INITIATIVES, start=1):
        hours = team_hours(i)
        if sum(hours.values()) != r.hours or not set(hours) <= set(TEAMS):
            raise ValueError(f"initiative {r.name!r}: team hours {hours} do not add up to {r.hours} over {TEAMS}")
        for which, pct in (("incident_range", r.incident_pct), ("outage_range", r.outage_pct)):
            rng = getattr(DETAILS[i], which)
            if rng and not rng[0] <= pct <= rng[1]:
                raise ValueError(f"initiative {r.name!r}: likely {pct} % outside its {which} {rng}")


_check()
