"""MTTR and resolution SLA to the standard (issue 16), on a tiny store worked out by hand.

ITIL 4 Incident Management / Service Level Management and HDI's metric definitions measure resolution time from
open to resolved *excluding* the time the SLA clock was paused (on hold, awaiting the caller or a vendor); the
service desk tool's own SLA verdict (made_sla: it applies the real SLA calendar and the pauses) is the one of
record; a canceled ticket was never resolved, so it is in no MTTR, no reopen rate and no SLA attainment; and a
month the incidents export does not cover has no availability (it is not 100 %).

Shipped targets: P1 4 h, P2 8 h, P3 72 h, P4 120 h. Hospital time zone America/Chicago; no DST change in January.
The tickets (all opened in January 2026, on S1):

  A  P3  05 08:00 -> 06 08:00   24 h elapsed, on hold 0 h       -> 24 h          met (72 h)   made_sla blank
  B  P3  12 08:00 -> 14 20:00   60 h elapsed, on hold 5 h       -> 55 h          met          reopened once
  C  P3  19 08:00 -> 19 18:00   10 h elapsed, on hold blank     -> 10 h (pauses, if any, included: not known)
  D  P2  07 08:00 -> 07 18:00   10 h elapsed, on hold 3 h       ->  7 h          met (8 h); calendar time misses
  E  P1  08 08:00 -> 08 10:00    2 h elapsed, made_sla FALSE    -> the tool's verdict wins: missed
  G  P1  10 08:00 -> 10 09:00    1 h elapsed, made_sla blank    -> hitplan's verdict: met
  H  P4  15 08:00, closed by its state, business duration 10 h (a lower bound within 120 h proves nothing),
         made_sla TRUE                                          -> the tool's verdict: met
  K  P1  11 08:00, canceled (closed_at 11 09:00, made_sla true, reopened once) -> in nothing

MTTR P3 = (24 + 55 + 10) / 3 = 29.667 h (calendar time: (24 + 60 + 10) / 3 = 31.333 h); median 24 h.
P3: 1 ticket with a pause subtracted (B), 1 with on-hold time not known (C).
P2: MTTR 7 h, SLA 100 % (calendar: 10 h, 0 %).
P1: MTTR (2 + 1) / 2 = 1.5 h; SLA: E missed (tool), G met (hitplan) = 50 % (hitplan alone: 100 %); K is not counted.
P4: SLA 1 of 1 = 100 % by the tool (hitplan alone: not measurable, blank).
Reopen rate: resolved A, B, C, D, E, G, H = 7 (H by its state only), reopened B = 1/7 = 14.286 %
(counting canceled K, which has a closed time and a reopen: 2/8 = 25 %).
"""

from __future__ import annotations

import pandas as pd
import pytest

from hitplan.kpi import support
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [
    {"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1},
    {"system_id": "S2", "name": "Portal", "kind": "application", "category": "patient_portal", "criticality_tier": 1},
]


def inc(number, opened, resolved=None, *, priority, state="closed", **kw):
    return {"number": number, "system_id": "S1", "opened_at": ts(opened), "resolved_at": resolved and ts(resolved),
            "closed_at": resolved and ts(resolved), "priority": priority, "state": state, **kw}


INCIDENTS = [
    inc("A", "2026-01-05 08:00:00", "2026-01-06 08:00:00", priority=3, on_hold_hours=0.0),
    inc("B", "2026-01-12 08:00:00", "2026-01-14 20:00:00", priority=3, on_hold_hours=5.0, reopen_count=1),
    inc("C", "2026-01-19 08:00:00", "2026-01-19 18:00:00", priority=3),
    inc("D", "2026-01-07 08:00:00", "2026-01-07 18:00:00", priority=2, on_hold_hours=3.0),
    inc("E", "2026-01-08 08:00:00", "2026-01-08 10:00:00", priority=1, made_sla=False),
    inc("G", "2026-01-10 08:00:00", "2026-01-10 09:00:00", priority=1),
    inc("H", "2026-01-15 08:00:00", priority=4, business_duration_hours=10.0, made_sla=True),
    {**inc("K", "2026-01-11 08:00:00", priority=1, state="canceled", made_sla=True, reopen_count=1),
     "closed_at": ts("2026-01-11 09:00:00")},
]
JAN = period("2026-01-01", "2026-02-01")


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=INCIDENTS))
    yield c
    c.close()


def test_mttr_leaves_out_on_hold_time_and_says_where_it_is_not_known(con):
    df = support.mttr_by_priority(con, JAN).set_index("priority")
    p3 = df.loc[3]
    assert p3["mttr_hours"] == pytest.approx(89 / 3)  # (24 + 55 + 10) / 3, not (24 + 60 + 10) / 3
    assert p3["median_mttr_hours"] == pytest.approx(24.0)
    assert (p3["paused_time_subtracted"], p3["paused_time_unknown"]) == (1, 1)  # B; C
    assert "on-hold time not in the export for 1 of 3" in p3["pause_note"] and "includes" in p3["pause_note"]
    p2 = df.loc[2]
    assert p2["mttr_hours"] == pytest.approx(7.0)  # 10 h elapsed less 3 h on hold
    assert p2["resolve_sla_met_pct"] == pytest.approx(100.0)  # 7 h within 8 h (calendar 10 h would miss)
    assert pd.isna(p2["pause_note"])  # on-hold time known for its one ticket


def test_the_tools_sla_verdict_wins_where_it_is_present(con):
    df = support.mttr_by_priority(con, JAN).set_index("priority")
    p1 = df.loc[1]
    assert p1["resolve_sla_met_pct"] == pytest.approx(50.0)  # E missed by the tool's verdict, G met
    assert (p1["sla_by_tool"], p1["sla_by_hitplan"], p1["resolve_sla_measured"]) == (1, 1, 2)
    p4 = df.loc[4]
    assert p4["resolve_sla_met_pct"] == pytest.approx(100.0)  # H: a lower bound proves nothing, the tool says met
    assert (p4["sla_by_tool"], p4["sla_by_hitplan"], p4["resolve_sla_not_measurable"]) == (1, 0, 0)
    # P1/P2 on the scorecard: E missed, G met, D met -> 2 of 3
    d = next(d for d in support.area_status(con, JAN).drivers if d.kpi == "mttr_by_priority")
    assert d.value == pytest.approx(200 / 3)


def test_a_canceled_ticket_is_in_no_mttr_no_sla_and_no_reopen_rate(con):
    df = support.mttr_by_priority(con, JAN).set_index("priority")
    assert (df.loc[1, "incidents"], df.loc[1, "resolved_incidents"]) == (2, 2)  # E, G; not K
    assert df.loc[1, "mttr_hours"] == pytest.approx(1.5)
    r = support.reopen_rate(con, JAN).iloc[0]
    assert (r["resolved_incidents"], r["reopened_incidents"], r["resolved_by_state_only"]) == (7, 1, 1)
    assert r["reopen_rate_pct"] == pytest.approx(100 / 7)  # B of A, B, C, D, E, G, H; not canceled K (2/8)


def test_a_month_the_incidents_export_does_not_cover_is_not_100_pct(tmp_path):
    # Incidents only in January 2026: a 60-minute outage on S1 (tier 1). For January to March, S1's January is
    # 100 * (1 - 60 / 44,640) = 99.866 % (below 99.9 %), S2's January 100 % (the export covers it, no outage);
    # February and March are outside the export: no availability (blank), never 100 %.
    rows = [inc("O1", "2026-01-20 08:00:00", "2026-01-20 09:00:00", priority=1, outage_minutes=60)]
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=rows))
    try:
        df = support.availability_by_system_month(c, period("2026-01-01", "2026-04-01"))
        got = {(r.system_id, f"{r.month:%m}"): r for r in df.itertuples()}
        assert got[("S1", "01")].availability_pct == pytest.approx(100 * (1 - 60 / 44640))
        assert got[("S2", "01")].availability_pct == pytest.approx(100.0)
        for key in [("S1", "02"), ("S1", "03"), ("S2", "02"), ("S2", "03")]:
            assert pd.isna(got[key].availability_pct) and pd.isna(got[key].below_target), key
            assert not got[key].incidents_covered
        assert "not 100 %" in df.attrs["note"]
        d = support.area_status(c, period("2026-01-01", "2026-04-01")).drivers[0]
        assert (d.value, d.status) == (1.0, "off target") and "S1 2026-01" in d.detail
        # a period the export does not reach at all: not measurable, with the reason
        later = support.availability_by_system_month(c, period("2026-06-01", "2026-07-01"))
        assert later.empty and "not 100 %" in later.attrs["not_measurable"]
        d = support.area_status(c, period("2026-06-01", "2026-07-01")).drivers[0]
        assert d.status == "no data" and d.value is None
    finally:
        c.close()
