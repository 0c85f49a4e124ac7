"""Remediation within policy (CISA BOD 19-02: critical 15 days, high 30 days; BOD 22-01: KEV by CISA's due date).

The share's population is every finding whose policy clock ran out or that was fixed in the period:
fixed within policy / (fixed in the period + open at the period end past policy, reopened ones included).
A reopened finding is open, not a fix; risk-accepted findings are counted apart, except a KEV one, which
BOD 22-01 does not allow: it is an open finding. The expectations below are worked out by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hitplan.kpi import runner, security
from hitplan.report.areas import area_section
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [{"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1,
            "holds_phi": True}]
Q1 = period("2026-01-01", "2026-04-01")  # the period ends at 2026-04-01 00:00


def vuln(vuln_id, severity, first_seen, state, fixed_at=None, cve=None):
    return {"host": "h1", "vuln_id": vuln_id, "cve": cve, "system_id": "S1", "severity": severity,
            "first_seen": ts(first_seen), "fixed_at": ts(fixed_at) if fixed_at else None, "state": state}


VULNS = [
    # C1 fixed in the period in 10 days: within the 15-day policy
    vuln("C1", "critical", "2026-01-05 00:00:00", "fixed", "2026-01-15 00:00:00"),
    # C2 fixed in the period in 25 days: late
    vuln("C2", "critical", "2026-02-01 00:00:00", "fixed", "2026-02-26 00:00:00"),
    # C3 open since 2025-11-01: its clock ran out on 2025-11-16, before the period even began -> open past policy
    vuln("C3", "critical", "2025-11-01 00:00:00", "open"),
    # C4 open since 2026-03-25: its clock runs to 2026-04-09, after the period end -> not in the share yet
    vuln("C4", "critical", "2026-03-25 00:00:00", "open"),
    # C5 "fixed" on 2026-01-20 (10 days) then seen again: reopened is open, not a fix; its clock (from
    # 2026-01-10) ran out on 2026-01-25 -> open past policy (and reopened)
    vuln("C5", "critical", "2026-01-10 00:00:00", "reopened", "2026-01-20 00:00:00"),
    # C6 fixed only on 2026-04-20, after the period: open at its end, clock ran out 2026-03-16 -> open past policy
    vuln("C6", "critical", "2026-03-01 00:00:00", "fixed", "2026-04-20 00:00:00"),
    # C7 risk-accepted, not KEV: counted apart, outside the share
    vuln("C7", "critical", "2025-12-01 00:00:00", "accepted_risk"),
    # C8 risk-accepted but KEV (due 2026-02-15): BOD 22-01 allows no acceptance -> an open finding; its clock
    # (15 days from 2026-01-20 = 2026-02-04) ran out -> open past policy
    vuln("C8", "critical", "2026-01-20 00:00:00", "accepted_risk", cve="CVE-K1"),
    # C9 fixed before the period: not in it
    vuln("C9", "critical", "2025-10-01 00:00:00", "fixed", "2025-10-05 00:00:00"),
    # C10 KEV due 2026-03-02, fixed 2026-03-06 in 9 days: inside 15 days but after CISA's due date -> late
    vuln("C10", "critical", "2026-02-25 00:00:00", "fixed", "2026-03-06 00:00:00", cve="CVE-K2"),
    # H1 high fixed in 20 days: within 30. H2 high open since 2026-03-05: clock to 2026-04-04, still running
    vuln("H1", "high", "2026-01-01 00:00:00", "fixed", "2026-01-21 00:00:00"),
    vuln("H2", "high", "2026-03-05 00:00:00", "open"),
    # M1 medium, only risk-accepted: shown, but no share to judge
    vuln("M1", "medium", "2025-06-01 00:00:00", "accepted_risk"),
]
KEV = [
    {"cve_id": "CVE-K1", "date_added": "2026-01-25", "due_date": "2026-02-15"},
    {"cve_id": "CVE-K2", "date_added": "2026-02-09", "due_date": "2026-03-02"},
]


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, vulnerabilities=VULNS, kev=KEV))
    yield c
    c.close()


def test_open_findings_past_policy_count_against_the_share(con):
    df = security.remediation_time_by_severity(con, Q1).set_index("severity")
    c = df.loc["critical"]
    # fixed in the period: C1, C2, C10 (C5 is reopened, C6 fixed after the end, C9 before the start)
    # within policy: C1 only (C2 took 25 days; C10 missed CISA's due date)
    # open past policy at the end: C3, C5 (reopened), C6, C8 (KEV, its risk acceptance void)
    # within policy share = 1 / (3 + 4) = 14.29 % (the old definition said 3 of 4 "fixes", 75 %)
    assert (c["fixed_findings"], c["fixed_within_policy"], c["open_past_policy"]) == (3, 1, 4)
    assert c["within_policy_pct"] == pytest.approx(100 / 7)
    assert (c["reopened_past_policy"], c["risk_accepted"], c["risk_accepted_kev"]) == (1, 1, 1)
    # MTTR stays the days to fix of the fixed ones: (10 + 25 + 9) / 3, median 10
    assert c["mean_days_to_remediate"] == pytest.approx(44 / 3)
    assert c["median_days_to_remediate"] == pytest.approx(10.0)
    assert c["policy_days"] == 15
    # high: H1 fixed in 20 of 30 days; H2's clock is still running at the end -> 1 / 1
    h = df.loc["high"]
    assert (h["fixed_findings"], h["open_past_policy"], h["within_policy_pct"]) == (1, 0, 100.0)
    # medium: one risk-accepted finding, shown, and no share (not 0 %, not 100 %)
    m = df.loc["medium"]
    assert (m["risk_accepted"], m["fixed_findings"], m["open_past_policy"]) == (1, 0, 0)
    assert pd.isna(m["within_policy_pct"])


def test_drill_down_rows_are_the_share_population(con):
    rows = runner.kpi_rows(con, "remediation_time_by_severity", Q1)
    got = dict(zip(rows["vuln_id"], rows["counted_as"]))
    assert got == {
        "C1": "fixed within policy", "C2": "fixed late", "C10": "fixed late",
        "C3": "open past policy", "C5": "open past policy", "C6": "open past policy", "C8": "open past policy",
        "C7": "risk accepted", "H1": "fixed within policy", "M1": "risk accepted",
    }  # C4 and H2 (clock running) and C9 (fixed before the period) are not in it


def test_driver_and_report_say_how_many_are_open_past_policy(con):
    st = security.area_status(con, Q1)
    d = next(d for d in st.drivers if d.kpi == "remediation_time_by_severity")
    assert d.value == pytest.approx(100 / 7) and d.status == "off target"  # below 75 %
    assert "4 open past policy" in d.detail
    s = area_section(con, "security", Q1)
    said = next(f for f in s.findings if "within the 15-day policy" in f)
    assert "14.3%" in said and "4 open past the 15-day policy" in said and "1 reopened" in said
    assert "1 risk-accepted critical finding is counted apart" in said
