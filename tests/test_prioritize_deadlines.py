"""Must-finish-by days come from the data an initiative addresses, hand-checked on a tiny hospital."""

from __future__ import annotations

import pandas as pd
import pytest

from hitplan.prioritize.evidence import initiative_evidence
from hitplan.settings import load_settings
from kpi_fixtures import connect, period, tiny_store


@pytest.fixture
def evidence(tmp_path):
    systems = [
        {"system_id": "S1", "name": "Switch", "kind": "infrastructure", "criticality_tier": 3,
         "end_of_support": "2026-06-30"},
        {"system_id": "S2", "name": "EHR", "kind": "application", "criticality_tier": 3},
        {"system_id": "S3", "name": "Lab", "kind": "application", "criticality_tier": 3},
    ]
    vulns = [
        {"host": "ehr1", "vuln_id": "V1", "cve": "CVE-1", "system_id": "S2", "severity": "high",
         "first_seen": "2025-01-01 00:00:00", "state": "open"},
        {"host": "ehr2", "vuln_id": "V2", "cve": "CVE-1", "system_id": "S2", "severity": "high",
         "first_seen": "2025-01-01 00:00:00", "state": "open"},
        {"host": "ehr1", "vuln_id": "V3", "cve": "CVE-2", "system_id": "S2", "severity": "high",
         "first_seen": "2025-01-01 00:00:00", "state": "open"},
        # fixed before the period end: its due day does not count
        {"host": "ehr1", "vuln_id": "V4", "cve": "CVE-3", "system_id": "S2", "severity": "high",
         "first_seen": "2025-01-01 00:00:00", "fixed_at": "2025-02-01 00:00:00", "state": "fixed"},
    ]
    kev = [{"cve_id": "CVE-1", "date_added": "2025-05-01", "due_date": "2025-05-22"},  # past at the period end
           {"cve_id": "CVE-2", "date_added": "2025-06-20", "due_date": "2025-07-11"},
           {"cve_id": "CVE-3", "date_added": "2024-12-01", "due_date": "2024-12-22"}]
    contracts = [  # 2026-06-30 - 90 days = notice deadline 2026-04-01, beyond the KPI's 180-day view
        {"contract_id": "C-9", "vendor_id": "V1", "system_id": "S3", "title": "Lab support", "start_date": "2023-07-01",
         "end_date": "2026-06-30", "notice_days": 90, "auto_renew": True}]
    findings = [
        {"finding_id": "F-1", "source": "audit", "framework": "HIPAA Security Rule", "control_id": "164.312(b)",
         "title": "Audit log review not documented", "severity": "high", "opened_on": "2025-04-02",
         "due_on": "2025-10-31"},
        {"finding_id": "F-2", "source": "audit", "framework": "HIPAA Security Rule", "control_id": "164.308(a)(5)",
         "title": "Closed", "severity": "high", "opened_on": "2025-01-02", "due_on": "2025-03-31",
         "closed_on": "2025-03-15"},
    ]
    initiatives = [
        # KEV due 2025-05-22 (past: due at once) comes before due_by
        {"initiative_id": "KEV", "name": "Patch EHR", "area": "security", "target_systems": "S2", "addresses": "kev",
         "due_by": "2026-03-01"},
        # due_by comes before the KEV due day
        {"initiative_id": "DUE", "name": "Patch EHR early", "area": "security", "target_systems": "S2",
         "addresses": "kev:0.5", "due_by": "2025-04-30"},
        # declares no KEV work: the KEV due days on its targets are not its deadline
        {"initiative_id": "NONE", "name": "Upgrade EHR", "area": "support", "target_systems": "S2"},
        {"initiative_id": "EOS", "name": "Replace switch", "area": "infrastructure", "target_systems": "S1",
         "addresses": "end_of_support"},
        {"initiative_id": "VEN", "name": "Renegotiate lab support", "area": "vendors", "target_systems": "S3"},
        {"initiative_id": "CMP", "name": "Audit log review", "area": "compliance",
         "description": "Close the finding on 164.312(b)"},
        {"initiative_id": "CMP0", "name": "Policy refresh", "area": "compliance"},
    ]
    path = tiny_store(tmp_path / "s.duckdb", systems=systems, vulnerabilities=vulns, kev=kev, contracts=contracts,
                      findings=findings, initiatives=initiatives,
                      vendors=[{"vendor_id": "V1", "name": "LabCo"}])
    con = connect(path)
    try:
        m, _ = initiative_evidence(con, period("2024-07-01", "2025-07-01"), load_settings(), None)
    finally:
        con.close()
    return m.set_index("initiative_id")


def test_the_earliest_of_due_by_and_the_kev_due_day(evidence):
    m = evidence
    # open KEV findings on S2 at the period end: CVE-1 on two hosts (due 2025-05-22), CVE-2 (due 2025-07-11);
    # min(due_by 2026-03-01, 2025-05-22) = 2025-05-22, already past: due at once
    assert m.loc["KEV", "deadline"] == pd.Timestamp("2025-05-22")
    reason = m.loc["KEV", "deadline_reason"]
    assert "CISA KEV due 2025-05-22" in reason and "2 findings on S2" in reason and "due at once" in reason
    # min(due_by 2025-04-30, 2025-05-22) = due_by
    assert m.loc["DUE", "deadline"] == pd.Timestamp("2025-04-30") and "due_by" in m.loc["DUE", "deadline_reason"]
    assert pd.isna(m.loc["NONE", "deadline"]) and m.loc["NONE", "deadline_reason"] == ""


def test_end_of_support_contract_notice_and_audit_finding_deadlines(evidence):
    m = evidence
    assert m.loc["EOS", "deadline"] == pd.Timestamp("2026-06-30") and "S1" in m.loc["EOS", "deadline_reason"]
    # the vendors initiative's target has a contract: its notice deadline 2026-06-30 - 90 days = 2026-04-01
    assert m.loc["VEN", "deadline"] == pd.Timestamp("2026-04-01")
    assert "C-9" in m.loc["VEN", "deadline_reason"] and "notice" in m.loc["VEN", "deadline_reason"]
    # the compliance initiative names control 164.312(b): open finding F-1 due 2025-10-31
    assert m.loc["CMP", "deadline"] == pd.Timestamp("2025-10-31") and "F-1" in m.loc["CMP", "deadline_reason"]
    # one naming no finding or control has none, and says why
    assert pd.isna(m.loc["CMP0", "deadline"]) and "no audit finding" in m.loc["CMP0", "deadline_note"]


def test_demo_deadlines_follow_the_planted_kev_findings_and_due_by(demo_store):
    """On the synthetic hospital: the KEV remediation's deadline is the earliest CISA due day of its targets' open KEV
    findings, already past (due at once); the initiative given a due_by finishes by it."""
    from hitplan import store
    from hitplan.periods import resolve_period

    path, truth, as_of = demo_store
    plants = truth.prioritization_plants
    con = store.connect(path)
    try:
        p = resolve_period(con, "last-12-months", today=as_of)
        m, _ = initiative_evidence(con, p, load_settings(), None)
        targets = con.execute("select target_systems from stg_initiatives where initiative_id = ?",
                              [plants.overdue_kev]).fetchone()[0].split(";")
        # the ground truth's earliest due day, read straight from the feeds (open at the period end)
        first_due = con.execute(f"""
            select min(k.due_date) from vulnerabilities v join kev k on k.cve_id = v.cve
            where v.system_id in ({", ".join("?" for _ in targets)}) and v.state in ('open', 'reopened')
        """, targets).fetchone()[0]
    finally:
        con.close()
    m = m.set_index("initiative_id")
    kev = m.loc[plants.overdue_kev]
    assert kev.deadline == pd.Timestamp(first_due) and kev.deadline < pd.Timestamp(plants.plan_start)
    assert "CISA KEV" in kev.deadline_reason and "due at once" in kev.deadline_reason
    assert m.loc[plants.due_by, "deadline"] <= pd.Timestamp(plants.due_by_day)
