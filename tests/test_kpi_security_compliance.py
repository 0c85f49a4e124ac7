"""Security and compliance KPIs on a tiny store with hand-computed expectations."""

from __future__ import annotations

import pytest

from hitplan.kpi import compliance, runner, security
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [
    {"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1, "holds_phi": True},
    {"system_id": "S2", "name": "Printers", "kind": "infrastructure", "category": "end_user", "holds_phi": False},
]
VULNS = [
    # KEV, open, due 2026-01-10: past due at the end of January
    {"host": "h1", "vuln_id": "CVE-1", "cve": "CVE-1", "system_id": "S1", "severity": "critical",
     "first_seen": ts("2025-12-01 02:00:00"), "state": "open"},
    # KEV on a non-PHI system, fixed on 2026-02-15: still open at the end of January
    {"host": "h2", "vuln_id": "CVE-2", "cve": "CVE-2", "system_id": "S2", "severity": "high",
     "first_seen": ts("2026-01-20 02:00:00"), "fixed_at": ts("2026-02-15 02:00:00"), "state": "fixed"},
    # critical fixed in 10 days (within 15), high fixed in 40 days (over 30)
    {"host": "h1", "vuln_id": "Q-1", "severity": "critical", "system_id": "S1",
     "first_seen": ts("2026-01-01 00:00:00"), "fixed_at": ts("2026-01-11 00:00:00"), "state": "fixed"},
    {"host": "h1", "vuln_id": "Q-2", "severity": "high", "system_id": "S1",
     "first_seen": ts("2025-12-10 00:00:00"), "fixed_at": ts("2026-01-19 00:00:00"), "state": "fixed"},
    # accepted risk: never counted as open, counted apart
    {"host": "h1", "vuln_id": "Q-3", "severity": "critical", "system_id": "S1",
     "first_seen": ts("2025-06-01 00:00:00"), "state": "accepted_risk"},
]
KEV = [
    {"cve_id": "CVE-1", "date_added": "2025-12-20", "due_date": "2026-01-10"},
    {"cve_id": "CVE-2", "date_added": "2026-01-25", "due_date": "2026-02-15"},
]
PHISHING = [
    {"campaign_id": "P1", "campaign_date": "2026-01-10", "department": "ED", "sent": 100, "clicked": 10, "reported": 20},
    {"campaign_id": "P1", "campaign_date": "2026-01-10", "department": "ICU", "sent": 100, "clicked": 0, "reported": 40},
]
INCIDENTS = [
    {"number": "S-1", "system_id": "S1", "opened_at": ts("2026-01-02 00:00:00"), "closed_at": ts("2026-01-12 00:00:00"),
     "is_security": True, "state": "closed"},
    {"number": "S-2", "system_id": "S1", "opened_at": ts("2026-01-03 00:00:00"), "closed_at": ts("2026-03-14 00:00:00"),
     "is_security": True, "state": "closed"},
    {"number": "N-1", "system_id": "S1", "opened_at": ts("2026-01-03 00:00:00"), "is_security": False},
]
CONTROLS = [
    {"framework": "HIPAA Security Rule", "control_id": "164.308(a)(1)", "safeguard": "administrative",
     "requirement": "required", "status": "implemented", "last_evidence_on": "2025-01-30"},  # stale on 2026-01-31
    {"framework": "HIPAA Security Rule", "control_id": "164.312(b)", "safeguard": "technical",
     "requirement": "required", "status": "partial", "last_evidence_on": "2025-01-31"},  # exactly 12 months: fresh
    {"framework": "HIPAA Security Rule", "control_id": "164.310(a)", "safeguard": "physical",
     "requirement": "addressable", "status": "not_applicable"},
]
FINDINGS = [
    {"finding_id": "F1", "title": "a", "opened_on": "2025-10-01", "due_on": "2026-01-01"},  # past due by 30 days
    {"finding_id": "F2", "title": "b", "opened_on": "2025-10-01", "due_on": "2026-06-01"},
    {"finding_id": "F3", "title": "c", "opened_on": "2025-10-01", "closed_on": "2025-12-01"},
]
JAN = period("2026-01-01", "2026-02-01")


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, vulnerabilities=VULNS, kev=KEV,
                           phishing=PHISHING, incidents=INCIDENTS, controls=CONTROLS, findings=FINDINGS))
    yield c
    c.close()


def test_open_findings_by_severity(con):
    df = security.open_findings_by_severity(con, JAN).set_index("severity")
    assert df.loc["critical", "open_findings"] == 1  # CVE-1; Q-1 fixed in January, Q-3 accepted
    assert df.loc["critical", "risk_accepted"] == 1  # Q-3, counted apart
    assert df.loc["critical", "oldest_days"] == 61  # 2025-12-01 02:00 to 2026-02-01 00:00
    assert df.loc["high", "open_findings"] == 1  # CVE-2, fixed only after the period
    assert df.loc["high", "age_0_30_days"] == 1


def test_kev_exposure_and_due_dates(con):
    df = security.kev_exposure(con, JAN)
    assert df[["host", "cve", "past_due", "days_past_due"]].values.tolist() == [
        ["h1", "CVE-1", True, 21], ["h2", "CVE-2", False, 0]]


def test_remediation_time_against_policy(con):
    df = security.remediation_time_by_severity(con, JAN).set_index("severity")
    assert df.loc["critical", "mean_days_to_remediate"] == pytest.approx(10.0)
    # critical: Q-1 fixed within 15 days; CVE-1 open since 2025-12-01, past policy at the end (BOD 19-02): 1 / 2
    assert df.loc["critical", "within_policy_pct"] == pytest.approx(50.0)
    assert (df.loc["critical", "open_past_policy"], df.loc["critical", "risk_accepted"]) == (1, 1)  # Q-3 apart
    assert df.loc["high", "within_policy_pct"] == pytest.approx(0.0)
    assert "medium" not in df.index


def test_phi_systems_and_breach_exposure(con):
    df = security.phi_systems_with_critical_findings(con, JAN)
    assert df[["system_id", "open_critical_findings", "open_kev_findings"]].values.tolist() == [["S1", 1, 1]]
    b = security.breach_loss_exposure(con, JAN).iloc[0]
    assert (b["phi_systems"], b["phi_systems_exposed"]) == (1, 1)
    assert b["expected_annual_loss_usd"] == pytest.approx(9_770_000 * 0.10)


def test_security_incidents_and_phishing(con):
    si = security.security_incidents_by_month(con, JAN)
    assert si[["security_incidents", "on_phi_systems"]].values.tolist() == [[2, 2]]
    ph = security.phishing_rates_by_month(con, JAN).iloc[0]
    assert (ph["sent"], ph["click_rate_pct"], ph["report_rate_pct"]) == (200, 5.0, 30.0)


@pytest.mark.slow
def test_security_status_is_off_target_on_a_past_due_kev(con):
    st = security.area_status(con, JAN)
    assert st.status == "off target" and st.drivers[0].detail == "h1 CVE-1"


def test_hipaa_coverage(con):
    df = compliance.hipaa_coverage(con, JAN).set_index(["safeguard", "requirement"])
    # 164.308(a)(1) is the Security management process standard, met through its specifications: not counted
    assert ("administrative", "required") not in df.index
    assert df.loc[("technical", "required"), "implemented_pct"] == 0.0
    assert pd_isna(df.loc[("physical", "addressable"), "implemented_pct"])  # only not-applicable controls


def pd_isna(v):
    import pandas as pd

    return pd.isna(v)


def test_evidence_older_than_12_months_is_stale(con):
    df = compliance.control_evidence_freshness(con, JAN).set_index("control_id")
    assert bool(df.loc["164.308(a)(1)", "stale"]) and not bool(df.loc["164.312(b)", "stale"])
    assert df.loc["164.312(b)", "evidence_age_days"] == 365
    assert "164.310(a)" not in df.index


def test_evidence_on_a_leap_day(tmp_path):
    rows = [{"framework": "F", "control_id": "C", "status": "implemented", "last_evidence_on": "2024-02-29"}]
    con = connect(tiny_store(tmp_path / "s.duckdb", controls=rows))
    try:
        # as of 2025-02-28 the cutoff is 2024-02-28: evidence from 2024-02-29 is still fresh
        assert not compliance.control_evidence_freshness(con, period("2025-02-01", "2025-03-01"))["stale"].iloc[0]
        assert compliance.control_evidence_freshness(con, period("2025-03-01", "2025-03-02"))["stale"].iloc[0]
    finally:
        con.close()


def test_open_audit_findings(con):
    df = compliance.open_audit_findings_by_age(con, JAN)
    assert df[["finding_id", "past_due", "days_past_due"]].values.tolist() == [["F1", True, 30], ["F2", False, 0]]


def test_security_tickets_are_no_breach_notification_proxy(con):
    # S-1 and S-2 are security incidents with no breach dates: not measurable, never "1 of 2 within 60 days"
    # (breach dates worked by hand: tests/test_kpi_breach_notification.py)
    df = compliance.breach_notification_timeliness(con, JAN)
    assert df.empty and df.attrs["not_measurable"].startswith("not measurable: no breach discovery dates loaded")


def test_compliance_status(con):
    st = compliance.area_status(con, JAN)
    # 1 stale, 1 past due, 0 % of required specifications implemented (164.312(b) partial: non-compliance), no breach
    # dates (not measurable)
    assert [d.status for d in st.drivers] == ["watch", "watch", "off target", "no data"]


def test_empty_feeds_give_notes(store_path):
    con = connect(store_path)
    try:
        for mod in (security, compliance):
            for name, f in mod.KPIS.items():
                df = f(con, JAN)  # breach_loss_exposure too: 0 PHI systems exposed on an empty store was no measure
                assert df.empty and df.attrs.get("note"), name
        assert "KEV" in security.kev_exposure(con, JAN).attrs["note"]
        assert security.peer_breaches_by_year(con, JAN).attrs["note"] == (
            "no breaches rows in the store (hitplan init loads the report hitplan ships)")
        assert compliance.hipaa_coverage(con, JAN).attrs["note"] == "no HIPAA Security Rule controls in the period in the store"
        assert compliance.breach_notification_timeliness(con, JAN).attrs["note"].startswith(
            "not measurable: no breach discovery dates loaded (no incidents rows in the store); fill ")
    finally:
        con.close()


def test_notes_when_the_feeds_are_there_but_nothing_counts(tmp_path):
    vulns = [{"host": "h3", "vuln_id": "CVE-9", "cve": "CVE-9", "severity": "low",
              "first_seen": ts("2025-12-01 00:00:00"), "state": "open"}]  # not in the KEV catalog
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, kev=KEV, vulnerabilities=vulns,
                             incidents=INCIDENTS[2:]))
    try:
        assert security.kev_exposure(con, JAN).attrs["note"] == "no open findings of KEV-listed CVEs"  # no load hint
        assert compliance.breach_notification_timeliness(con, JAN).attrs["note"].startswith(
            "not measurable: no breach discovery dates loaded (incidents.breach_discovered_at is blank in every row")
    finally:
        con.close()


def test_peer_breach_landscape_from_the_ocr_report(tmp_path):
    rows = [
        {"covered_entity": "A Clinic", "state": "NY", "entity_type": "Healthcare Provider", "individuals_affected": 1000,
         "submitted_on": "2022-03-01", "breach_type": "Hacking/IT Incident", "breached_location": "Email, Network Server"},
        {"covered_entity": "B Plan", "state": "TX", "entity_type": "Health Plan", "individuals_affected": 600,
         "submitted_on": "2023-01-05", "breach_type": "Theft", "breached_location": "Laptop"},
        {"covered_entity": "C Hospital", "state": "NY", "entity_type": "Healthcare Provider", "individuals_affected": 5000,
         "submitted_on": "2023-02-07", "breach_type": "Hacking/IT Incident", "breached_location": "Network Server"},
    ]
    con = connect(tiny_store(tmp_path / "s.duckdb", breaches=rows))
    p = period("2023-01-01", "2024-01-01")
    by_year = security.peer_breaches_by_year(con, p)
    assert by_year.to_dict("records") == [
        {"breach_year": 2022, "breaches": 1, "hacking_it_breaches": 1, "hacking_it_pct": 100.0, "individuals_affected": 1000},
        {"breach_year": 2023, "breaches": 2, "hacking_it_breaches": 1, "hacking_it_pct": 50.0, "individuals_affected": 5600},
    ]
    loc = security.peer_breaches_by_type_and_location(con, p, years=3)
    # the 2022 breach lists two locations: it counts once in each
    assert loc[["breach_type", "breached_location", "breaches"]].values.tolist() == [
        ["Hacking/IT Incident", "Network Server", 2], ["Hacking/IT Incident", "Email", 1], ["Theft", "Laptop", 1]]
    ny = security.peer_breaches_by_entity_and_state(con, p, state="NY")
    assert ny.to_dict("records") == [{"entity_type": "Healthcare Provider", "state": "NY", "breaches": 2,
                                      "individuals_affected": 6000, "largest_breach": 5000}]
    # the source is derived from the SQL: the staging model of the OCR report's feed
    assert by_year.attrs["source"].startswith("stg_breaches: ")
    assert "HHS OCR" in security.peer_breaches_by_year.kpi.description


def test_peer_breaches_without_the_report_say_so(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb"))
    df = security.peer_breaches_by_year(con, period("2023-01-01", "2024-01-01"))
    assert df.empty and "no breaches rows" in df.attrs["note"]


def test_findings_and_incidents_link_to_systems_through_aliases_and_names(tmp_path):
    """Scanner exports name hosts and ServiceNow names CIs: aliases and inventory names resolve them."""
    from hitplan.kpi import support  # noqa: F401  (attaches the same models)
    from hitplan.models import attach_models

    systems = [{"system_id": "SYS-1", "name": "EHR Prod DB", "kind": "application", "category": "ehr",
                "criticality_tier": 1, "holds_phi": True}]
    vulns = [{"host": "EHR-DB-01", "vuln_id": "CVE-2024-1", "cve": "CVE-2024-1", "severity": "critical",
              "first_seen": "2025-01-01 00:00:00", "state": "open"},
             {"host": "unknown-host", "vuln_id": "CVE-2024-2", "cve": "CVE-2024-2", "severity": "critical",
              "first_seen": "2025-01-01 00:00:00", "state": "open"}]
    aliases = [{"alias": "ehr-db-01", "system_id": "SYS-1", "kind": "host"},
               {"alias": "Clinical Apps - Epic", "system_id": "SYS-1", "kind": "assignment_group"}]
    incidents = [{"number": "INC1", "system_id": "ehr prod db", "opened_at": "2025-01-02 10:00:00", "priority": 2},
                 {"number": "INC2", "system_id": "SYS-9", "opened_at": "2025-01-02 10:00:00", "priority": 2},
                 {"number": "INC3", "assignment_group": "clinical apps - epic", "opened_at": "2025-01-02 10:00:00"}]
    epss = [{"cve": "CVE-2024-1", "epss": 0.91, "percentile": 0.99}]
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=systems, vulnerabilities=vulns,
                             system_aliases=aliases, incidents=incidents, epss=epss))
    attach_models(con)
    assert con.execute("select host, system_id, system_holds_phi from int_vulnerabilities order by host").fetchall() == [
        ("EHR-DB-01", "SYS-1", True), ("unknown-host", None, False)]
    assert con.execute("select incident_number, system_id, system_name from int_incidents order by 1").fetchall() == [
        ("INC1", "SYS-1", "EHR Prod DB"), ("INC2", "SYS-9", None), ("INC3", "SYS-1", "EHR Prod DB")]
    assert con.execute("select host, epss_score from int_vulnerabilities order by host").fetchall() == [
        ("EHR-DB-01", 0.91), ("unknown-host", None)]
    phi = security.phi_systems_with_critical_findings(con, period("2025-01-01", "2025-02-01"))
    assert phi["system_id"].tolist() == ["SYS-1"]


@pytest.mark.slow
def test_drill_down_rows_are_what_the_figures_count(con):
    kev = runner.kpi_rows(con, "kev_exposure", JAN)
    assert sorted(kev["vuln_id"]) == ["CVE-1", "CVE-2"] and len(security.kev_exposure(con, JAN)) == len(kev)
    rem = runner.kpi_rows(con, "remediation_time_by_severity", JAN)
    # fixed in January, open past policy at its end (CVE-1), risk-accepted apart; CVE-2 is open
    # at the end but inside its policy (and CISA's due date, 2026-02-15)
    assert sorted(rem["vuln_id"]) == ["CVE-1", "Q-1", "Q-2", "Q-3"]
    fixed = rem[rem["counted_as"].str.startswith("fixed")]
    assert int(security.remediation_time_by_severity(con, JAN)["fixed_findings"].sum()) == len(fixed) == 2
    opened = runner.kpi_rows(con, "open_findings_by_severity", JAN)
    assert dict(zip(opened["vuln_id"], opened["counted_as"])) == {  # Q-3 is risk-accepted: counted apart
        "CVE-1": "open", "CVE-2": "open", "Q-3": "risk accepted"}
    phi = runner.kpi_rows(con, "breach_loss_exposure", JAN)
    assert phi[["system_id", "exposed"]].values.tolist() == [["S1", True]]
    audit = runner.kpi_rows(con, "open_audit_findings_by_age", JAN)
    assert sorted(audit["finding_id"]) == ["F1", "F2"]
    notified = runner.kpi_rows(con, "breach_notification_timeliness", JAN)
    assert notified.empty and notified.attrs["not_measurable"]  # security tickets are not breaches
    controls = runner.kpi_rows(con, "hipaa_coverage", JAN)
    assert len(controls) == int(compliance.hipaa_coverage(con, JAN)["specifications"].sum()) == 2  # no standard


def test_parameters_given_by_the_caller(con):
    rem = security.remediation_time_by_severity(con, JAN, policy_days={"critical": 5, "high": 50}).set_index("severity")
    assert (rem.loc["critical", "within_policy_pct"], rem.loc["high", "within_policy_pct"]) == (0.0, 100.0)
    assert rem.loc["high", "policy_days"] == 50.0
    loss = security.breach_loss_exposure(con, JAN, cost_per_breach_usd=1_000_000, annual_likelihood=0.5).iloc[0]
    assert loss["expected_annual_loss_usd"] == pytest.approx(500_000.0)
    assert not compliance.control_evidence_freshness(con, JAN, stale_months=24)["stale"].any()
    with pytest.raises(TypeError, match="unexpected parameters"):
        security.kev_exposure(con, JAN, years=3)
