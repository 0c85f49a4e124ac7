"""Evidence for initiatives comes from the store, hand-checked on a tiny hospital, with its trace."""

from __future__ import annotations

import pytest

from hitplan.prioritize.evidence import CRITERIA, initiative_evidence
from hitplan.settings import load_settings
from kpi_fixtures import connect, period, tiny_store


@pytest.fixture
def con(tmp_path):
    systems = [
        {"system_id": "S1", "name": "Core switch", "kind": "infrastructure", "category": "network",
         "criticality_tier": 1, "end_of_support": "2024-12-31", "holds_phi": False},
        {"system_id": "S2", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 2,
         "holds_phi": True},
    ]
    incidents = [
        {"number": "I1", "system_id": "S1", "opened_at": "2025-03-01 10:00:00", "resolved_at": "2025-03-01 12:00:00",
         "outage_minutes": 60, "users_affected": 300, "priority": 1},
        {"number": "I2", "system_id": "S1", "opened_at": "2025-04-01 10:00:00", "resolved_at": "2025-04-01 14:00:00",
         "outage_minutes": 0, "users_affected": 10, "priority": 3},
        {"number": "I3", "system_id": "S2", "opened_at": "2024-01-01 10:00:00", "resolved_at": "2024-01-01 11:00:00",
         "outage_minutes": 600, "users_affected": 900, "priority": 1},  # before the period: not counted
    ]
    vulns = [
        {"host": "ehr1", "vuln_id": "CVE-1", "cve": "CVE-1", "system_id": "S2", "severity": "critical",
         "first_seen": "2025-01-01 00:00:00", "state": "open"},
        {"host": "ehr1", "vuln_id": "CVE-2", "cve": "CVE-2", "system_id": "S2", "severity": "high",
         "first_seen": "2025-01-01 00:00:00", "state": "open"},
    ]
    kev = [{"cve_id": "CVE-2", "date_added": "2024-06-01", "due_date": "2024-06-22"}]
    initiatives = [
        {"initiative_id": "A", "name": "Replace switch", "area": "infrastructure", "target_systems": "S1",
         "capex": 100000, "opex_per_year": 10000, "savings_per_year": 5000, "incident_reduction_pct": 50,
         "outage_reduction_pct": 100, "strategic_alignment": 4, "confidence": 0.8,
         "addresses": "end_of_support;dr_gap"},
        {"initiative_id": "B", "name": "Patch EHR", "area": "security", "target_systems": "S2; S9",
         "capex": 0, "opex_per_year": 0, "strategic_alignment": 3, "confidence": 0.9,
         "addresses": "kev;phi_critical;dr_gap"},
        {"initiative_id": "C", "name": "Done already", "area": "strategy", "status": "done"},
    ]
    path = tiny_store(tmp_path / "s.duckdb", systems=systems, incidents=incidents, vulnerabilities=vulns, kev=kev,
                      initiatives=initiatives)
    return connect(path)


def test_criteria_are_computed_from_the_target_systems(con):
    m, trace = initiative_evidence(con, period("2024-07-01", "2025-07-01"), load_settings(), None, horizon_years=2,
                                   discount_rate=0.0)
    assert m["initiative_id"].tolist() == ["A", "B"]  # done and rejected initiatives are not candidates
    a = m.set_index("initiative_id").loc["A"]
    # 60 min x 300 users / 60 = 300 user-hours, tier 1 weighs 5 - 1 = 4
    assert a.clinical_impact == pytest.approx(1200.0)
    # past end of support: 5 points; tier 1 without a passed DR test: 3 points (both classes it addresses)
    assert a.risk_reduction == 8.0 and a.risk_reduction_baseline == 8.0
    # 2 incidents x 3 h mean to resolve x 50 %
    assert a.operational_effect == pytest.approx(3.0)
    # 1 outage hour x $250k (tier 1) x 100 % avoided; NPV over 2 years at 0 %: -100k + 2 x (5k + 250k - 10k)
    assert a.avoided_downtime_usd_per_year == pytest.approx(250000.0)
    assert a.financial_npv == pytest.approx(-100000 + 2 * 245000)
    assert a.cost == 120000.0 and a.payback_years == pytest.approx(100000 / 245000)
    b = m.set_index("initiative_id").loc["B"]
    # open critical on a PHI system: 1; open KEV finding: 2; tier-2 DR gap: 3
    assert b.risk_reduction == 6.0 and b.clinical_impact == 0.0
    assert set(trace["criterion"]) == set(CRITERIA) and len(trace) == 2 * len(CRITERIA)
    assert "2x1 open KEV" in trace.query("initiative_id == 'B' and criterion == 'risk_reduction'")["how"].item()


def test_planted_priorities_rank_in_the_top_quartile_under_default_weights(demo_store):
    """On the synthetic hospital, replacing the end-of-support switch stack and remediating the overdue
    KEV findings rank in the top quartile of the initiatives under the default weights."""
    from hitplan import store
    from hitplan.periods import resolve_period
    from hitplan.prioritize import load_criteria, rank, weighted_sum

    path, truth, as_of = demo_store
    con = store.connect(path)
    try:
        m, _ = initiative_evidence(con, resolve_period(con, "last-12-months", today=as_of), load_settings(), None)
    finally:
        con.close()
    criteria = load_criteria()
    ranks = rank(weighted_sum(m.set_index("initiative_id")[list(criteria.names)], criteria))
    by_name = dict(zip(m["name"], m["initiative_id"]))
    top_quartile = len(m) / 4
    switch = by_name["Replace end-of-support core switch stack"]
    kev = by_name["Remediate KEV-listed vulnerabilities"]
    assert ranks[switch] <= top_quartile and ranks[kev] <= top_quartile, ranks.sort_values().head(8).to_dict()
    # and for the reasons planted: the switch stack's risk includes its end of support, the KEV work its findings
    risk = m.set_index("initiative_id")["risk_reduction"]
    assert risk[switch] >= 5 * len(truth.eos_switch_stack.system_ids)
    assert risk[kev] >= 2 * len(truth.overdue_kev.findings)


def test_hitplan_score_ranks_explains_and_funds_within_every_budget(demo_store, tmp_path, cli):
    """`hitplan score --budget` on the small demo store: a ranked, explained list and a funded portfolio whose
    totals stay within every fiscal year's capex, opex and staff hours."""
    import json
    from pathlib import Path

    store, base = demo_store[0], tmp_path
    budget = Path(__file__).resolve().parents[1] / "hitplan" / "prioritize" / "budget_example.yaml"
    code, out, err = cli("score", "--store", store, "--as-of", "2026-09-30", "--budget", budget,
                         "--samples", "300", "--format", "json")
    assert code == 0, err
    res = json.loads(out)
    ranks = [r["rank"] for r in res["ranking"]]
    assert ranks == sorted(ranks) and len(ranks) == 25
    assert all(r["why"] and 0 <= r["p_top_quartile"] <= 1 for r in res["ranking"])
    pf = res["portfolio"]
    assert pf["status"] == "optimal" and pf["roadmap"]
    for year in pf["totals"]:
        for resource in ("capex", "opex", "hours"):
            assert year[f"{resource}_used"] <= year[f"{resource}_budget"] + 1e-6, (year, resource)
    funded = {r["initiative"] for r in pf["roadmap"]}
    assert len(funded) < 25  # the budgets bind: a choice was made
    code, out, _ = cli("score", "--store", store, "--as-of", "2026-09-30", "--samples", "300")
    assert code == 0 and "rank" in out and "--budget FILE" in out
    bad = base / "weights.yaml"
    bad.write_text("criteria:\n  cost: {direction: cost, weight: 0.5}\n  reach: {direction: benefit, weight: 0.3}\n")
    code, _, err = cli("score", "--store", store, "--weights", bad)
    assert code == 2 and "sum to 0.8" in err
