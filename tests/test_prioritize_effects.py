"""Benefit criteria measure what an initiative changes (baseline x expected effect), hand-checked on a tiny hospital."""

from __future__ import annotations

import math

import pytest

from hitplan.prioritize.evidence import initiative_evidence
from hitplan.settings import load_settings
from kpi_fixtures import connect, period, tiny_store

PERIOD = ("2024-07-01", "2025-07-01")


@pytest.fixture
def evidence(tmp_path):
    systems = [
        # S1: big outages, no end of support, tier 3 (no DR gap counted), no findings
        {"system_id": "S1", "name": "Core switch", "kind": "infrastructure", "category": "network",
         "criticality_tier": 3},
        # S2: tier 3 (no DR gap), PHI, two open KEV findings (one critical: 1 PHI point too)
        {"system_id": "S2", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 3,
         "holds_phi": True},
    ]
    incidents = [
        {"number": "I1", "system_id": "S1", "opened_at": "2025-03-01 10:00:00", "resolved_at": "2025-03-01 12:00:00",
         "outage_minutes": 120, "users_affected": 600, "priority": 1},
        {"number": "I2", "system_id": "S1", "opened_at": "2025-04-01 10:00:00", "resolved_at": "2025-04-01 14:00:00",
         "outage_minutes": 0, "users_affected": 10, "priority": 3},
    ]
    vulns = [
        {"host": "ehr1", "vuln_id": "V1", "cve": "CVE-1", "system_id": "S2", "severity": "critical",
         "first_seen": "2025-01-01 00:00:00", "state": "open"},
        {"host": "ehr1", "vuln_id": "V2", "cve": "CVE-2", "system_id": "S2", "severity": "high",
         "first_seen": "2025-01-01 00:00:00", "state": "open"},
    ]
    kev = [{"cve_id": "CVE-1", "date_added": "2025-01-10", "due_date": "2025-01-31"},
           {"cve_id": "CVE-2", "date_added": "2025-05-01", "due_date": "2025-05-22"}]
    common = {"area": "infrastructure", "capex": 100000, "opex_per_year": 10000, "savings_per_year": 5000}
    initiatives = [
        {"initiative_id": "ZERO", "name": "No effect", "target_systems": "S1", "outage_reduction_pct": 0,
         "incident_reduction_pct": 0, **common},
        {"initiative_id": "HALF", "name": "Half", "target_systems": "S1", "outage_reduction_pct": 50,
         "outage_reduction_low_pct": 20, "outage_reduction_high_pct": 80, "incident_reduction_pct": 50, **common},
        {"initiative_id": "UNK", "name": "Unknown effect", "target_systems": "S1", **common},
        {"initiative_id": "KEV", "name": "Patch", "area": "security", "target_systems": "S2", "addresses": "kev"},
        {"initiative_id": "KEVH", "name": "Patch half", "area": "security", "target_systems": "S2",
         "addresses": "kev:0.5"},
        {"initiative_id": "BLANK", "name": "Patch nothing", "area": "security", "target_systems": "S2"},
    ]
    path = tiny_store(tmp_path / "s.duckdb", systems=systems, incidents=incidents, vulnerabilities=vulns, kev=kev,
                      initiatives=initiatives)
    con = connect(path)
    try:
        m, trace = initiative_evidence(con, period(*PERIOD), load_settings(), None, horizon_years=2, discount_rate=0.0)
    finally:
        con.close()
    return m.set_index("initiative_id"), trace


def how(trace, initiative, criterion):
    return trace.query("initiative_id == @initiative and criterion == @criterion")["how"].item()


def test_a_big_problem_with_no_promised_effect_scores_zero(evidence):
    m, trace = evidence
    # S1: 120 min x 600 users / 60 = 1200 user-hours, tier 3 weighs 5 - 3 = 2 -> 2400
    assert m.loc["ZERO", "clinical_impact_baseline"] == pytest.approx(2400.0)
    assert m.loc["ZERO", "clinical_impact_effect"] == 0.0 and m.loc["ZERO", "clinical_impact"] == 0.0
    # 2 incidents x mean (2 h + 4 h) / 2 = 3 h -> 6 h baseline; 0 % -> 0
    assert m.loc["ZERO", "operational_effect_baseline"] == pytest.approx(6.0)
    assert m.loc["ZERO", "operational_effect"] == 0.0
    assert "2,400" in how(trace, "ZERO", "clinical_impact") and "0 %" in how(trace, "ZERO", "clinical_impact")


def test_half_the_outages_removed_is_half_the_baseline_with_its_range(evidence):
    m, trace = evidence
    h = m.loc["HALF"]
    assert h.clinical_impact_effect == 0.5 and h.clinical_impact == pytest.approx(1200.0)  # 2400 x 50 %
    assert h.clinical_impact_low == pytest.approx(480.0) and h.clinical_impact_high == pytest.approx(1920.0)  # 20/80 %
    assert h.operational_effect == pytest.approx(3.0)  # 6 h x 50 %
    # no incident range given: no values for the Monte Carlo to draw from
    assert math.isnan(h.operational_effect_low) and math.isnan(h.operational_effect_high)
    assert "= 1,200" in how(trace, "HALF", "clinical_impact")
    # avoided downtime: 2 outage hours x $30k (tier 3, shipped) x 50 % = 30k a year; benefit over 2 years at 0 %:
    # 2 x (5k savings + 30k) = 70k, costs not subtracted; NPV subtracts them: 70k - 100k - 2 x 10k = -50k
    cph = load_settings().value("kpi", "continuity", "downtime_cost_per_hour_usd")[3]
    avoided = 2 * cph * 0.5
    assert h.avoided_downtime_usd_per_year == pytest.approx(avoided)
    assert h.financial_benefit == pytest.approx(2 * (5000 + avoided))
    assert h.financial_npv == pytest.approx(2 * (5000 + avoided) - 100000 - 2 * 10000)
    assert h.cost_usd == pytest.approx(120000.0)


def test_a_blank_effect_is_unknown_not_the_baseline(evidence):
    m, trace = evidence
    u = m.loc["UNK"]
    assert u.clinical_impact_baseline == pytest.approx(2400.0) and u.clinical_impact == 0.0
    assert u.operational_effect == 0.0 and u.avoided_downtime_usd_per_year == 0.0
    assert "unknown" in how(trace, "UNK", "clinical_impact")
    assert "unknown" in how(trace, "UNK", "operational_effect")


def test_risk_reduction_counts_only_the_classes_declared(evidence):
    m, trace = evidence
    # S2: 2 open KEV findings x 2 points = 4; 1 open critical on a PHI system x 1 point = 1; tier 3: no DR gap
    assert (m.loc[["KEV", "KEVH", "BLANK"], "risk_reduction_baseline"] == 5.0).all()
    assert m.loc["KEV", "risk_reduction"] == 4.0  # kev only, not the PHI critical point
    assert m.loc["KEV", "risk_reduction_effect"] == pytest.approx(4 / 5)
    assert m.loc["KEVH", "risk_reduction"] == 2.0  # kev:0.5 -> half of 4
    assert m.loc["BLANK", "risk_reduction"] == 0.0  # declares nothing: removes nothing
    assert "declares no risk class it removes" in how(trace, "BLANK", "risk_reduction")
    assert "2x2 open KEV" in how(trace, "KEV", "risk_reduction") and "x 0.5" in how(trace, "KEVH", "risk_reduction")
    # the trace carries baseline and effect beside the value for every benefit criterion
    row = trace.query("initiative_id == 'KEVH' and criterion == 'risk_reduction'").iloc[0]
    assert row.baseline == 5.0 and row.effect == pytest.approx(2 / 5) and row.value == 2.0


def test_an_unknown_risk_class_is_named_not_silently_counted(tmp_path):
    systems = [{"system_id": "S1", "name": "X", "kind": "application", "criticality_tier": 1,
                "end_of_support": "2024-12-31"}]
    path = tiny_store(tmp_path / "s.duckdb", systems=systems, initiatives=[
        {"initiative_id": "T", "name": "Typo", "area": "infrastructure", "target_systems": "S1",
         "addresses": "end_of_suport;dr_gap:0.5"}])
    con = connect(path)
    try:
        m, trace = initiative_evidence(con, period(*PERIOD), load_settings(), None)
    finally:
        con.close()
    # past end of support: 5 points; tier 1 without a DR test: 3 points -> baseline 8; only dr_gap x 0.5 = 1.5 counts
    assert m.loc[0, "risk_reduction_baseline"] == 8.0 and m.loc[0, "risk_reduction"] == 1.5
    assert "end_of_suport" in how(trace, "T", "risk_reduction")


def test_demo_zero_effect_plant_has_a_baseline_but_no_benefit(demo_store):
    """On the synthetic hospital, the initiative planted with big problems on its targets but no promised effect and
    no risk class removed keeps its baseline and scores 0 on every effect-based criterion."""
    from hitplan import store
    from hitplan.periods import resolve_period

    path, truth, as_of = demo_store
    plants = truth.prioritization_plants
    con = store.connect(path)
    try:
        m, _ = initiative_evidence(con, resolve_period(con, "last-12-months", today=as_of), load_settings(), None)
    finally:
        con.close()
    z = m.set_index("initiative_id").loc[plants.zero_effect]
    assert z.clinical_impact_baseline > 0 and z.risk_reduction_baseline > 0
    assert z.clinical_impact == 0 and z.operational_effect == 0 and z.risk_reduction == 0
