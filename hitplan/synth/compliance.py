"""Compliance feeds: the control register (HIPAA Security Rule and HICP) and audit findings."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hitplan.synth import catalog
from hitplan.synth import output as out
from hitplan.synth.security import REFERENCE
from hitplan.synth.world import Params, stream

CONTROL_FILES = ("hipaa_security_rule.csv", "hicp_practices.csv")
HIPAA = "HIPAA Security Rule"
# Controls whose evidence is planted stale, in order of preference (those present in the reference are used).
STALE_PREFERENCE = (
    "164.308(a)(1)(ii)(A)",
    "164.308(a)(7)(ii)(D)",
    "164.308(a)(8)",
    "164.312(b)",
    "164.310(d)(2)(iii)",
    "164.308(a)(5)(ii)(B)",
)
MIN_STALE = 4
# Planted audit findings: open past a due day inside the window, and closed after their due day (days late).
PAST_DUE_FINDINGS = 3
CLOSED_LATE_FINDINGS = 3
LATE_DAYS = (7, 45)


@dataclass(frozen=True)
class FindingPlants:
    """Finding ids planted past due (open at the window's end, due inside it) and closed late, with their figures."""

    past_due: tuple[str, ...]
    past_due_on: tuple[str, ...]
    closed_late: tuple[str, ...]
    closed_late_days: tuple[int, ...]

FINDINGS: tuple[tuple[str, str, str, str, str], ...] = (
    # (source, framework, control_id, title, severity)
    ("external audit", HIPAA, "164.312(b)", "Audit log review not documented for clinical systems", "high"),
    (
        "external audit",
        HIPAA,
        "164.308(a)(3)(ii)(C)",
        "Terminated users retained active accounts beyond 24 hours",
        "high",
    ),
    ("external audit", HIPAA, "164.312(a)(2)(iii)", "Automatic logoff not enforced on shared workstations", "medium"),
    ("external audit", HIPAA, "164.310(d)(1)", "Disposal of decommissioned drives not tracked", "medium"),
    ("internal audit", HIPAA, "164.308(a)(4)(ii)(B)", "Access requests approved without manager sign-off", "medium"),
    (
        "internal audit",
        HIPAA,
        "164.308(a)(5)(ii)(D)",
        "Password policy exceptions for service accounts undocumented",
        "medium",
    ),
    ("internal audit", HIPAA, "164.308(b)(1)", "Business associate inventory incomplete", "high"),
    ("internal audit", HIPAA, "164.316(b)(2)(iii)", "Security policies past their review date", "low"),
    ("internal audit", HIPAA, "164.310(a)(2)(iii)", "Data center visitor log gaps", "low"),
    (
        "HIPAA risk assessment",
        HIPAA,
        "164.312(e)(1)",
        "Legacy interfaces send PHI unencrypted on the internal network",
        "high",
    ),
    (
        "HIPAA risk assessment",
        HIPAA,
        "164.312(a)(2)(iv)",
        "Laptops without full-disk encryption found in inventory",
        "high",
    ),
    (
        "HIPAA risk assessment",
        HIPAA,
        "164.308(a)(6)(ii)",
        "Incident response playbooks lack ransomware scenario",
        "medium",
    ),
    ("HIPAA risk assessment", HIPAA, "164.308(a)(7)(ii)(B)", "Disaster recovery plan missing newer systems", "medium"),
    ("HIPAA risk assessment", HIPAA, "164.312(c)(1)", "No integrity checks on interface message archives", "low"),
    ("HIPAA risk assessment", HIPAA, "164.310(b)", "Workstations in public areas face the corridor", "low"),
    (
        "penetration test",
        HIPAA,
        "164.312(d)",
        "Multi-factor authentication not required for remote vendor access",
        "high",
    ),
    (
        "penetration test",
        "HHS 405(d) HICP",
        "HICP-06",
        "Flat network between clinical and guest segments in one clinic",
        "high",
    ),
    (
        "penetration test",
        "HHS 405(d) HICP",
        "HICP-03",
        "Shared local administrator password on clinical workstations",
        "high",
    ),
    ("penetration test", "HHS 405(d) HICP", "HICP-01", "Lookalike domains not blocked at the e-mail gateway", "medium"),
    (
        "penetration test",
        "HHS 405(d) HICP",
        "HICP-02",
        "Endpoint agent missing on a group of imaging workstations",
        "medium",
    ),
    (
        "HICP self-assessment",
        "HHS 405(d) HICP",
        "HICP-05",
        "Asset inventory does not reconcile with the CMDB",
        "medium",
    ),
    ("HICP self-assessment", "HHS 405(d) HICP", "HICP-09", "Medical devices on the general VLAN", "high"),
    (
        "HICP self-assessment",
        "HHS 405(d) HICP",
        "HICP-07",
        "Vulnerability remediation SLAs not defined for medical devices",
        "medium",
    ),
    ("HICP self-assessment", "HHS 405(d) HICP", "HICP-08", "After-hours security alert escalation untested", "medium"),
    ("HICP self-assessment", "HHS 405(d) HICP", "HICP-10", "Cybersecurity metrics not reported to the board", "low"),
    ("HICP self-assessment", "HHS 405(d) HICP", "HICP-04", "Data loss prevention in monitor-only mode", "low"),
    (
        "external audit",
        HIPAA,
        "164.308(a)(1)(ii)(D)",
        "Information system activity review not performed monthly",
        "medium",
    ),
    ("internal audit", HIPAA, "164.310(d)(2)(iv)", "Backup copies before equipment moves not documented", "low"),
    (
        "external audit",
        HIPAA,
        "164.314(a)(1)",
        "Business associate agreement template not updated for subcontractors",
        "medium",
    ),
    ("internal audit", HIPAA, "164.308(a)(2)", "Security official responsibilities not in job description", "low"),
)


def read_controls() -> list[dict[str, str]]:
    """Every control row of the reference frameworks."""
    rows: list[dict[str, str]] = []
    for name in CONTROL_FILES:
        with (REFERENCE / name).open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def stale_controls(params: Params, controls: list[dict[str, str]]) -> list[tuple[str, str]]:
    """The HIPAA controls planted with evidence over a year old."""
    hipaa = [r["control_id"] for r in controls if r["framework"] == HIPAA]
    chosen = [c for c in STALE_PREFERENCE if c in hipaa]
    if len(chosen) < MIN_STALE:
        rng = stream(params, "controls", "stale")
        rest = [c for c in hipaa if c not in chosen]
        chosen += [rest[i] for i in rng.choice(len(rest), size=MIN_STALE - len(chosen), replace=False)]
    return [(HIPAA, c) for c in chosen]


def control_columns(
    params: Params, controls: list[dict[str, str]]
) -> tuple[dict[str, pa.Array], list[tuple[str, str]]]:
    """The control register with status, evidence date and owner; returns the planted stale controls too."""
    rng = stream(params, "controls")
    stale = set(stale_controls(params, controls))
    status, evidence, owner = [], [], []
    owners = catalog.CONTROL_OWNERS
    by_safeguard = {
        "administrative": 0,
        "physical": 1,
        "technical": 2,
        "organizational": 3,
        "documentation": 4,
        "practice": 5,
    }
    for r in controls:
        key = (r["framework"], r["control_id"])
        u = rng.random()
        if r["requirement"] == "addressable" and u < 0.05:
            st = "not_applicable"
        elif u < 0.80:
            st = "implemented"
        elif u < 0.96:
            st = "partial"
        else:
            st = "not_implemented"
        days = int(rng.integers(390, 620)) if key in stale else int(rng.integers(5, 330))
        status.append(st)
        evidence.append(params.end - dt.timedelta(days=days))
        base = by_safeguard.get(r["safeguard"], 6)
        owner.append(owners[(base + int(rng.integers(0, 2))) % len(owners)])
    cols = {
        "framework": out.text([r["framework"] for r in controls]),
        "control_id": out.text([r["control_id"] for r in controls]),
        "title": out.text([r["title"] for r in controls]),
        "safeguard": out.text([r["safeguard"] for r in controls]),
        "requirement": out.text([r["requirement"] for r in controls]),
        "status": out.text(status),
        "last_evidence_on": out.dates(np.array(evidence, dtype="datetime64[D]")),
        "owner": out.text(owner),
    }
    return cols, sorted(stale)


def finding_rows(params: Params, controls: list[dict[str, str]]) -> tuple[list[tuple], FindingPlants]:
    """About thirty audit and assessment findings spread over the window (sorted by opening day, with their ids),
    and the planted ones: a few open past their due day at the window's end, a few closed after it."""
    rng = stream(params, "findings")
    known = {(r["framework"], r["control_id"]) for r in controls}
    rows, later = [], []
    for source, framework, control, title, severity in FINDINGS:
        if (framework, control) not in known:
            control = None
        opened = params.start + dt.timedelta(days=int(rng.integers(20, params.n_days - 10)))
        due = opened + dt.timedelta(days=int(rng.choice([60, 90, 120, 180])))
        age = (params.end - opened).days
        closed, pushed = None, None
        if age > 60 and rng.random() < 0.75:
            closed = opened + dt.timedelta(days=int(rng.integers(14, min(age, (due - opened).days) + 1)))
        elif due <= params.end:
            pushed = params.end + dt.timedelta(days=int(rng.integers(30, 120)))
        rows.append([opened, source, framework, control, title, severity, due, closed])
        later.append(pushed)
    past_due, late = _plant_due_findings(params, rows)
    for i, r in enumerate(rows):
        # Every other finding still open was given more time (a revised due day after the window): only the planted
        # ones are past due at the window's end.
        if r[7] is None and i not in past_due and later[i] is not None:
            r[6] = later[i]
    order = sorted(range(len(rows)), key=lambda i: rows[i][0])
    ids, seq = {}, {}
    for i in order:
        y = rows[i][0].year
        seq[y] = seq.get(y, 0) + 1
        ids[i] = f"AF-{y}-{seq[y]:03d}"
    plants = FindingPlants(
        past_due=tuple(sorted(ids[i] for i in past_due)),
        past_due_on=tuple(rows[i][6].isoformat() for i in sorted(past_due, key=lambda i: ids[i])),
        closed_late=tuple(sorted(ids[i] for i in late)),
        closed_late_days=tuple((rows[i][7] - rows[i][6]).days for i in sorted(late, key=lambda i: ids[i])),
    )
    return [(ids[i], *rows[i]) for i in order], plants


def _plant_due_findings(params: Params, rows: list[list]) -> tuple[list[int], list[int]]:
    """Set the planted findings in ``rows`` (changed in place): PAST_DUE_FINDINGS left open past a due day inside
    the window, CLOSED_LATE_FINDINGS closed some days after their due day. Draws from their own stream."""
    rng = stream(params, "findings", "due")
    end = params.end
    # Past due by weeks to about a year, never years: due at least a month before the end, opened in its last 18 months.
    recent = [i for i, r in enumerate(rows) if r[6] <= end - dt.timedelta(days=30) and r[0] >= end - dt.timedelta(days=540)]
    older = [i for i, r in enumerate(rows) if r[6] <= end - dt.timedelta(days=30) and i not in recent]
    pool = recent if len(recent) >= PAST_DUE_FINDINGS else recent + older[-(PAST_DUE_FINDINGS - len(recent)):]
    past_due = sorted(int(i) for i in rng.choice(pool, size=min(PAST_DUE_FINDINGS, len(pool)), replace=False))
    for i in past_due:
        rows[i][7] = None
    rest = [i for i, r in enumerate(rows) if i not in past_due and r[6] <= end - dt.timedelta(days=60)]
    late = sorted(int(i) for i in rng.choice(rest, size=min(CLOSED_LATE_FINDINGS, len(rest)), replace=False))
    for i in late:
        days = int(rng.integers(LATE_DAYS[0], LATE_DAYS[1] + 1))
        rows[i][7] = min(rows[i][6] + dt.timedelta(days=days), end - dt.timedelta(days=1))
    return past_due, late


def finding_columns(params: Params, controls: list[dict[str, str]]) -> dict[str, pa.Array]:
    """The findings feed."""
    rows, _ = finding_rows(params, controls)
    c = list(zip(*rows))
    return {
        "finding_id": out.text(list(c[0])),
        "source": out.text(list(c[2])),
        "framework": out.text(list(c[3])),
        "control_id": out.text(list(c[4])),
        "title": out.text(list(c[5])),
        "severity": out.text(list(c[6])),
        "opened_on": out.dates(np.array(c[1], dtype="datetime64[D]")),
        "due_on": out.dates(np.array(c[7], dtype="datetime64[D]")),
        "closed_on": out.dates(np.array([d if d else np.datetime64("NaT") for d in c[8]], dtype="datetime64[D]")),
    }
