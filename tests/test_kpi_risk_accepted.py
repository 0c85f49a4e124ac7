"""Risk-accepted findings are counted apart, never dropped; a known-exploited (KEV) one is an open finding.

A finding in state ``accepted_risk`` stays on its host: the open-findings, KEV and PHI-exposure KPIs show it in a
column of its own instead of letting it vanish. CISA BOD 22-01 (required actions 1-2) allows no risk acceptance of a
KEV-listed CVE: such a finding is open and, after CISA's due date, past due. The same rule as
remediation_time_by_severity (issue 16, first wave). The expectations below are worked out by hand.
"""

from __future__ import annotations

import pytest

from hitplan.kpi import runner, security
from hitplan.report.areas import area_section
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [
    {"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1,
     "holds_phi": True},
    {"system_id": "S2", "name": "Printers", "kind": "infrastructure", "category": "end_user", "criticality_tier": 4,
     "holds_phi": False},
    {"system_id": "S3", "name": "Lab", "kind": "application", "category": "lis", "criticality_tier": 2,
     "holds_phi": True},
]
Q1 = period("2026-01-01", "2026-04-01")  # ends 2026-04-01 00:00; its last day is 2026-03-31


def vuln(vuln_id, host, system, severity, first_seen, state, cve=None):
    return {"host": host, "vuln_id": vuln_id, "cve": cve, "system_id": system, "severity": severity,
            "first_seen": ts(first_seen), "state": state}


VULNS = [
    # K1: critical KEV on the EHR (PHI), due 2026-02-15, marked accepted_risk: BOD 22-01 allows no acceptance ->
    # open, past due by 2026-03-31 - 2026-02-15 = 44 days; open since 2026-01-20: 71 days at the end (31-90 band)
    vuln("K1", "h1", "S1", "critical", "2026-01-20 00:00:00", "accepted_risk", cve="CVE-K1"),
    # K2: medium KEV on the printers, due 2026-05-01 (after the period), accepted_risk -> open, not yet past due
    vuln("K2", "h2", "S2", "medium", "2026-03-01 00:00:00", "accepted_risk", cve="CVE-K2"),
    # C1: critical on the EHR, risk-accepted, not KEV -> counted apart (not open, not vanished)
    vuln("C1", "h1", "S1", "critical", "2025-10-01 00:00:00", "accepted_risk"),
    # C2: critical open on the printers since 2026-02-01: 59 days at the end (31-90 band)
    vuln("C2", "h2", "S2", "critical", "2026-02-01 00:00:00", "open"),
    # C3: critical on the lab system (PHI), risk-accepted, not KEV -> the lab's only critical, counted apart
    vuln("C3", "h3", "S3", "critical", "2025-12-01 00:00:00", "accepted_risk"),
    # H1: high risk-accepted, not KEV -> apart; H2: high open since 2026-03-20: 12 days (0-30 band)
    vuln("H1", "h1", "S1", "high", "2025-11-01 00:00:00", "accepted_risk"),
    vuln("H2", "h1", "S1", "high", "2026-03-20 00:00:00", "open"),
    # L1: a low finding only risk-accepted: the low row is shown with 0 open and 1 accepted
    vuln("L1", "h2", "S2", "low", "2025-05-01 00:00:00", "accepted_risk"),
    # X1: high risk-accepted but first seen after the period: not in it
    vuln("X1", "h1", "S1", "high", "2026-04-05 00:00:00", "accepted_risk"),
]
KEV = [
    {"cve_id": "CVE-K1", "date_added": "2026-01-25", "due_date": "2026-02-15"},
    {"cve_id": "CVE-K2", "date_added": "2026-03-10", "due_date": "2026-05-01"},
]


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, vulnerabilities=VULNS, kev=KEV))
    yield c
    c.close()


def test_open_findings_count_risk_accepted_apart_and_kev_ones_as_open(con):
    df = security.open_findings_by_severity(con, Q1).set_index("severity")
    # the old definition dropped every accepted_risk finding: critical 1 open (C2), high 1 (H2), no medium or low row
    assert list(df.index) == ["critical", "high", "medium", "low"]
    c = df.loc["critical"]
    # open: C2 and K1 (KEV: its acceptance is void) = 2, of which 1 KEV marked risk-accepted; C1 apart (C3 too) = 2
    assert (c["open_findings"], c["risk_accepted_kev"], c["risk_accepted"]) == (2, 1, 2)
    assert (c["age_0_30_days"], c["age_31_90_days"], c["oldest_days"]) == (0, 2, 71)
    h = df.loc["high"]
    assert (h["open_findings"], h["risk_accepted"], h["age_0_30_days"]) == (1, 1, 1)  # H2 open, H1 apart, X1 later
    m = df.loc["medium"]
    assert (m["open_findings"], m["risk_accepted_kev"], m["risk_accepted"]) == (1, 1, 0)  # K2
    lo = df.loc["low"]
    assert (lo["open_findings"], lo["risk_accepted"]) == (0, 1)  # L1 shown, not vanished
    rows = runner.kpi_rows(con, "open_findings_by_severity", Q1)
    assert dict(zip(rows["vuln_id"], rows["counted_as"])) == {
        "K1": "open", "K2": "open", "C2": "open", "H2": "open",
        "C1": "risk accepted", "C3": "risk accepted", "H1": "risk accepted", "L1": "risk accepted"}


def test_a_risk_accepted_kev_finding_is_exposed_and_past_due(con):
    df = security.kev_exposure(con, Q1)
    # the old definition returned no row: both KEV findings are marked accepted_risk
    assert df[["host", "cve", "past_due", "days_past_due", "risk_accepted"]].values.tolist() == [
        ["h1", "CVE-K1", True, 44, True], ["h2", "CVE-K2", False, 0, True]]
    st = security.area_status(con, Q1)
    d = next(d for d in st.drivers if d.kpi == "kev_exposure")
    assert (d.value, d.status) == (1.0, "off target")
    assert "h1 CVE-K1" in d.detail and "risk-accepted" in d.detail


def test_phi_exposure_shows_risk_accepted_criticals_apart(con):
    df = security.phi_systems_with_critical_findings(con, Q1)
    # EHR: K1 (critical, KEV, acceptance void) open; C1 accepted apart. Lab: only C3, accepted -> shown, 0 open.
    # The old definition returned no row at all.
    assert df[["system_id", "open_critical_findings", "open_kev_findings", "risk_accepted_critical_findings"]
              ].values.tolist() == [["S1", 1, 1, 1], ["S3", 0, 0, 1]]
    b = security.breach_loss_exposure(con, Q1).iloc[0]
    # PHI systems: EHR and lab (2); exposed by an open critical/KEV: EHR (1); only risk-accepted criticals: lab (1)
    assert (b["phi_systems"], b["phi_systems_exposed"], b["phi_systems_risk_accepted_only"]) == (2, 1, 1)


def test_the_report_says_what_is_risk_accepted(con):
    s = area_section(con, "security", Q1)
    kev_said = next(f for f in s.findings if "known-exploited (KEV)" in f)
    assert "1 of them marked risk-accepted" in kev_said and "BOD 22-01" in kev_said
    open_said = next(f for f in s.findings if "vulnerability findings were open" in f)
    assert open_said.startswith("4 vulnerability findings were open")
    assert "4 risk-accepted findings (2 critical) are counted apart, not as fixed" in open_said  # C1, C3, H1, L1
    loss_said = next(f for f in s.findings if "expected annual breach loss" in f)
    assert "1 of 2 systems holding PHI" in loss_said and "1 more has only risk-accepted critical findings" in loss_said
