"""Support KPIs on a tiny store with hand-computed expectations."""

from __future__ import annotations

import pytest

from hitplan.kpi import support
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [
    {"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1},
    {"system_id": "S2", "name": "Portal", "kind": "application", "category": "patient_portal"},  # no tier
]


def inc(number, opened, *, ack=None, resolved=None, closed=None, priority=3, state="closed", system="S1",
        department="ED", **kw):
    return {"number": number, "system_id": system, "opened_at": ts(opened), "acknowledged_at": ack and ts(ack),
            "resolved_at": resolved and ts(resolved), "closed_at": closed and ts(closed), "priority": priority,
            "state": state, "department": department, **kw}


INCIDENTS = [
    # P1 acked in 10 min, resolved in 3 h: both within targets (15 min / 4 h)
    inc("I1", "2026-01-05 08:00:00", ack="2026-01-05 08:10:00", resolved="2026-01-05 11:00:00", priority=1,
        outage_minutes=120, category="software"),
    # P1 acked in 20 min, resolved in 5 h: both missed; reopened once
    inc("I2", "2026-01-20 08:00:00", ack="2026-01-20 08:20:00", resolved="2026-01-20 13:00:00", priority=1,
        reopen_count=1, category="software"),
    # P2 still open at the period end (opened 2026-02-20, period ends 2026-03-01): past its 8 h target
    inc("I3", "2026-02-20 09:00:00", ack="2026-02-20 09:05:00", priority=2, state="in_progress", system="S2",
        category="access"),
    # P3 across the spring-forward hour: 01:30 -> 03:30 local on 2026-03-08 is 60 real minutes (outside the period)
    inc("I4", "2026-03-08 01:30:00", ack="2026-03-08 03:30:00", resolved="2026-03-08 03:30:00", priority=3),
    # canceled without a resolution: not backlog
    inc("I5", "2026-02-01 10:00:00", priority=4, state="canceled", category="how-to"),
]
USAGE = [
    {"day": "2026-01-05", "system_id": "S1", "department": "ED", "active_users": 300, "sessions": 10},
    {"day": "2026-01-05", "system_id": "S1", "department": "ICU", "active_users": 100, "sessions": 5},
    {"day": "2026-02-05", "system_id": "S1", "department": "ED", "active_users": 600, "sessions": 30},
    {"day": "2026-01-05", "system_id": "S2", "department": "ED", "active_users": 0, "sessions": 0},  # zero usage
]
Q = period("2026-01-01", "2026-03-01")  # January and February 2026


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=INCIDENTS, usage=USAGE))
    yield c
    c.close()


def test_volume_and_backlog_by_month(con):
    df = support.incident_volume_by_month(con, Q)
    assert df["month"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02"]
    assert df["opened"].tolist() == [2, 2]
    assert df["resolved"].tolist() == [2, 0]
    assert df["backlog_at_month_end"].tolist() == [0, 1]  # I3 open; I5 canceled is not backlog


def test_backlog_at_period_end(con):
    df = support.incident_backlog(con, Q)
    assert df.to_dict("records") == [{"priority": 2, "open_at_period_end": 1, "open_over_30_days": 0}]


def test_mttr_by_priority_counts_open_tickets_past_target_as_misses(con):
    df = support.mttr_by_priority(con, Q).set_index("priority")
    p1 = df.loc[1]
    assert p1["incidents"] == 2
    assert p1["mtta_minutes"] == pytest.approx(15.0)
    assert p1["mttr_hours"] == pytest.approx(4.0)
    assert p1["ack_sla_met_pct"] == pytest.approx(50.0)
    assert p1["resolve_sla_met_pct"] == pytest.approx(50.0)
    p2 = df.loc[2]
    assert pd_isna(p2["mttr_hours"])
    assert p2["resolve_sla_met_pct"] == pytest.approx(0.0)  # open 207 h > 8 h target
    assert p2["open_past_target"] == 1
    assert 4 not in df.index  # canceled tickets are not measured


def pd_isna(v):
    import pandas as pd

    return pd.isna(v)


def test_durations_across_dst_use_real_elapsed_time(con):
    p = period("2026-03-01", "2026-04-01")
    df = support.mttr_by_priority(con, p)
    assert df.loc[0, "mtta_minutes"] == pytest.approx(60.0)


def test_availability_per_system_month(con):
    df = support.availability_by_system_month(con, Q)
    jan = df[(df["system_id"] == "S1") & (df["month"].dt.month == 1)].iloc[0]
    assert jan["period_minutes"] == 31 * 1440
    assert jan["availability_pct"] == pytest.approx(100 * (1 - 120 / 44640))
    assert bool(jan["below_target"])  # 99.73 % < 99.9 %
    assert len(df) == 4  # 2 systems x 2 months, including the system without a tier
    assert df[df["system_id"] == "S2"]["availability_pct"].tolist() == [100.0, 100.0]


def test_availability_on_a_partial_month_uses_the_days_inside_the_period(con):
    df = support.availability_by_system_month(con, period("2026-01-05", "2026-01-06"))
    s1 = df[df["system_id"] == "S1"].iloc[0]
    assert s1["period_minutes"] == 1440
    assert s1["availability_pct"] == pytest.approx(100 * (1 - 120 / 1440))


def test_reopen_rate(con):
    df = support.reopen_rate(con, Q)
    assert df.iloc[0].tolist() == [2, 1, 50.0, 0]  # resolved_by_state_only: every ticket here has its time


def test_incidents_per_1000_users_and_zero_usage(con):
    df = support.incidents_per_1000_users_by_system(con, Q).set_index("system_id")
    assert df.loc["S1", "avg_daily_active_users"] == pytest.approx(500.0)  # (400 + 600) / 2 days
    # I1, I2, I5, all raised by ED, whose usage is counted: 3 / 500 * 1000
    assert df.loc["S1", "incidents_per_1000_active_users"] == pytest.approx(6.0)
    assert df.loc["S1", "population_share_pct"] == pytest.approx(100.0) and df.loc["S1", "comparable"]
    assert pd_isna(df.loc["S2", "incidents_per_1000_active_users"])  # zero users: no rate, not infinity
    assert "zero active users" in df.attrs["note"]


def test_adoption_categories_and_noisy_systems(con):
    ad = support.adoption_by_month(con, Q)
    assert ad[ad["system_category"] == "ehr"]["avg_daily_active_users"].tolist() == [400.0, 600.0]
    top = support.top_categories(con, Q)
    assert top.iloc[0].tolist()[:2] == ["software", 2]
    assert top["share_pct"].sum() == pytest.approx(100.0)
    noisy = support.noisiest_systems(con, Q)
    assert noisy["system_id"].tolist() == ["S1", "S2"]
    assert noisy.iloc[0]["p1_p2_incidents"] == 2


def test_area_status(con):
    st = support.area_status(con, Q)
    assert st.status == "off target"
    assert st.drivers[0].detail == "S1 2026-01 99.731 %"


def test_missing_priority_gives_an_empty_frame_with_a_note(tmp_path):
    rows = [inc("I1", "2026-01-05 08:00:00", priority=None)]
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=rows))
    try:
        df = support.mttr_by_priority(con, Q)
        assert df.empty and df.attrs["note"] == "incidents.priority is not in this export"
        assert "int_incidents" in df.attrs["source"]
    finally:
        con.close()


def test_empty_store_never_fails(store_path):
    con = connect(store_path)
    try:
        for name, f in support.KPIS.items():
            df = f(con, Q)
            assert df.empty, name
            assert df.attrs.get("note") and df.attrs.get("source"), name
    finally:
        con.close()


def test_blank_outage_minutes_is_not_read_as_full_availability(tmp_path):
    rows = [inc("I1", "2026-01-05 08:00:00")]  # an export without outage minutes
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=rows))
    try:
        df = support.availability_by_system_month(con, Q)
        assert df.empty and df.attrs["note"] == "incidents.outage_minutes is blank in every row of this export"
        st = support.area_status(con, Q)
        assert st.drivers[0].status == "no data" and st.drivers[0].value is None and "outage_minutes" in st.drivers[0].detail
    finally:
        con.close()
