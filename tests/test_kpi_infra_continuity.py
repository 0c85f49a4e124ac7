"""Infrastructure and continuity KPIs on a tiny store with hand-computed expectations."""

from __future__ import annotations

import pandas as pd
import pytest

from hitplan.kpi import continuity, infrastructure
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [
    {"system_id": "SW", "name": "Core switch", "kind": "infrastructure", "category": "network", "criticality_tier": 1,
     "end_of_support": "2025-06-30", "go_live": "2012-01-01"},
    {"system_id": "AP", "name": "App", "kind": "application", "category": "clinical", "criticality_tier": 2,
     "end_of_support": "2026-09-30", "go_live": "2024-06-01"},
    {"system_id": "NT", "name": "No tier", "kind": "application", "category": "business",
     "end_of_support": "2027-06-30", "go_live": "2020-01-01"},
]
CY2026 = period("2026-01-01", "2027-01-01")


def p12(n, when, system="SW", **kw):
    return {"number": n, "system_id": system, "opened_at": ts(when), "priority": 2, **kw}


INCIDENTS = [{"number": "A0", "system_id": "NT", "opened_at": ts("2025-01-15 10:00:00"), "priority": 4},
             p12("A", "2025-05-01 10:00:00")] + [p12(f"B{i}", f"2026-0{i}-01 10:00:00") for i in range(1, 5)] + [
    {"number": "C", "system_id": "NT", "opened_at": ts("2026-02-01 10:00:00"), "priority": 4, "outage_minutes": 90},
    {"number": "D", "system_id": "SW", "opened_at": ts("2026-02-02 10:00:00"), "priority": 1, "outage_minutes": 30},
]
DR = [
    {"test_id": "T1", "system_id": "SW", "test_date": "2026-05-01", "test_type": "full_failover", "rto_target_hours": 4,
     "rto_achieved_hours": 9, "rpo_target_hours": 1, "rpo_achieved_hours": 0.5, "passed": False},
    {"test_id": "T2", "system_id": "AP", "test_date": "2025-10-01", "test_type": "partial", "rto_target_hours": 4,
     "rto_achieved_hours": 5, "rpo_target_hours": 1, "rpo_achieved_hours": 0.5, "passed": False},
    {"test_id": "T3", "system_id": "AP", "test_date": "2024-12-01", "test_type": "partial", "rto_target_hours": 4,
     "rto_achieved_hours": 1, "rpo_target_hours": 1, "rpo_achieved_hours": 0.5, "passed": True},
]
BACKUPS = [
    {"job_id": f"J{i}", "system_id": "SW", "started_at": ts(f"2026-03-{i + 1:02d} 01:00:00"),
     "status": "failed" if i == 0 else "success", "size_gb": 100 + i} for i in range(4)
] + [{"job_id": "K1", "system_id": "NT", "started_at": ts("2026-11-01 01:00:00"), "status": "success", "size_gb": 10}]


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=INCIDENTS, dr_tests=DR, backups=BACKUPS))
    yield c
    c.close()


def test_end_of_support_exposure(con):
    df = infrastructure.end_of_support_exposure(con, period("2025-01-01", "2026-01-01"))
    assert df[["system_id", "eos_status", "criticality_weight"]].values.tolist() == [
        ["SW", "past", 4.0], ["AP", "within_12_months", 3.0], ["NT", "within_24_months", 2.0]]  # no tier weighs 2


def test_rising_p1_p2_on_a_past_eos_system(con):
    df = infrastructure.eos_systems_with_rising_incidents(con, CY2026)
    # 5 P1/P2 in 2026 against 1 in 2025
    assert df[["system_id", "p1_p2_previous_span", "p1_p2_in_period"]].values.tolist() == [["SW", 1, 5]]
    assert infrastructure.eos_systems_with_rising_incidents(con, period("2025-01-01", "2026-01-01")).empty


def test_rising_needs_the_span_before_in_the_data(tmp_path):
    # the incidents start on 2025-05-01: January-April 2025 are not in the store, so "1 P1/P2 in 2025" is not known
    # (the old definition read the missing months as none and flagged SW: 5 against 1)
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=INCIDENTS[1:]))
    try:
        df = infrastructure.eos_systems_with_rising_incidents(c, CY2026)
        assert df.empty and "span before the period" in df.attrs["not_measurable"]
    finally:
        c.close()


def test_incident_rate_by_age_and_p1_concentration(con):
    age = infrastructure.incident_rate_by_age(con, CY2026).set_index("age_band")
    assert age.loc["10+ years", "incidents_per_system"] == 5.0  # the switch went live in 2012
    assert age.loc["0-3 years", "incidents"] == 0
    p1 = infrastructure.p1_concentration_by_system(con, CY2026)
    assert p1.iloc[0][["system_id", "p1_incidents", "p2_incidents", "share_of_p1_pct"]].tolist() == ["SW", 1, 4, 100.0]


def test_backup_volume_growth(con):
    df = infrastructure.backup_volume_growth_by_system(con, CY2026).set_index("system_id")
    assert df.loc["SW", "last_month_avg_gb"] == pytest.approx(102.0)  # failed job excluded: (101+102+103)/3
    assert df.loc["NT", "growth_pct"] == 0.0


def test_infrastructure_status(con):
    st = infrastructure.area_status(con, CY2026)
    assert st.status == "off target"
    assert st.drivers[0].detail == "SW" and st.drivers[1].detail == "SW"


def test_dr_coverage_by_tier_includes_unassessed_systems(con):
    df = continuity.dr_test_coverage_by_tier(con, CY2026).set_index("criticality_tier")
    assert df.loc["1", "coverage_pct"] == 0.0 and df.loc["1", "failed_only_systems"] == 1  # T1 failed: not covered
    assert df.loc["2", "untested_systems"] == 1  # T2 on 2025-10-01 is more than 12 months before 2026-12-31
    mid = continuity.dr_test_coverage_by_tier(con, period("2026-01-01", "2026-07-01")).set_index("criticality_tier")
    assert mid.loc["2", "failed_only_systems"] == 1  # ... but within 12 months of 2026-06-30 (and failed)
    assert df.loc["unassessed", "coverage_pct"] == 0.0


def test_dr_results_severity(con):
    df = continuity.dr_test_results(con, period("2025-01-01", "2027-01-01"))
    assert df[["test_id", "severity"]].values.tolist() == [["T1", "severe miss"], ["T2", "missed"]]
    assert df.iloc[0]["rto_multiple"] == pytest.approx(2.25)


def test_backup_success_and_downtime_cost(con):
    b = continuity.backup_success_by_tier(con, CY2026).set_index("criticality_tier")
    assert b.loc["1", "success_pct"] == pytest.approx(75.0)
    assert b.loc["unassessed", "jobs"] == 1
    d = continuity.downtime_cost_by_system(con, CY2026).set_index("system_id")
    assert d.loc["SW", "downtime_cost_usd"] == pytest.approx(0.5 * 250_000)
    assert d.loc["NT", "downtime_cost_usd"] == pytest.approx(1.5 * 10_000)  # unassessed priced like tier 3


def test_a_tier_without_a_cost_per_hour_is_not_priced_at_zero(con):
    # rates for tiers 1 and 2 only: SW (tier 1) 0.5 h x 100 = 50; NT (no tier, no `unassessed` rate) 1.5 h unpriced
    # (the old definition priced it at 0)
    d = continuity.downtime_cost_by_system(con, CY2026, cost_per_hour_usd={1: 100, 2: 50}).set_index("system_id")
    assert d.loc["SW", "downtime_cost_usd"] == pytest.approx(50.0)
    assert pd.isna(d.loc["NT", "downtime_cost_usd"]) and d.loc["NT", "outage_hours"] == pytest.approx(1.5)
    assert "not priced" in d.attrs["note"]


def test_continuity_status(con):
    st = continuity.area_status(con, CY2026)
    # severe miss; 0 % covered (T1 failed); 75 % of tier-1/2 backup jobs succeeded (the switch, in the backup
    # population by its jobs, was backed up; AP has no RPO and a blank PHI flag: not expected)
    assert [d.status for d in st.drivers] == ["off target", "off target", "off target"]


def test_empty_store(store_path):
    con = connect(store_path)
    try:
        for mod in (infrastructure, continuity):
            for name, f in mod.KPIS.items():
                df = f(con, CY2026)
                assert df.empty and df.attrs.get("note"), name
    finally:
        con.close()
