"""Benefits realization of done initiatives: difference-in-differences against untouched comparable systems,
hand-checked on a tiny hospital (windows of 6 months, the shipped setting)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hitplan.prioritize.realization import area_confidence_factors, benefits_realization
from hitplan.settings import load_settings
from kpi_fixtures import connect, tiny_store

AS_OF = dt.date(2026, 12, 31)


def _months(first: str, n: int) -> list[dt.date]:
    d = dt.date.fromisoformat(first)
    out = []
    for _ in range(n):
        out.append(d)
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _incidents(system: str, per_month: dict[dt.date, int], priority: int = 1) -> list[dict]:
    rows = []
    for month, n in per_month.items():
        for k in range(n):
            rows.append({"number": f"{system}-{month:%Y%m}-{k}", "system_id": system,
                         "opened_at": f"{month:%Y-%m}-{k % 27 + 1:02d} 10:00:00",
                         "resolved_at": f"{month:%Y-%m}-{k % 27 + 1:02d} 11:00:00",
                         "priority": priority, "outage_minutes": 30})
    return rows


@pytest.fixture(scope="module")
def small_hospital(tmp_path_factory):
    months = _months("2025-01-01", 15)  # incidents export: 2025-01 to 2026-03
    systems = [
        {"system_id": sid, "name": sid, "kind": kind, "category": cat, "criticality_tier": tier}
        for sid, kind, cat, tier in [("T1", "infrastructure", "network", 1), ("C1", "infrastructure", "network", 2),
                                     ("C2", "infrastructure", "network", 2), ("C3", "infrastructure", "network", 2),
                                     ("T2", "application", "lab", 2), ("C4", "application", "lab", 2),
                                     ("C5", "application", "lab", 3), ("C6", "application", "lab", 3),
                                     ("T3", "application", "imaging", 2), ("C7", "application", "imaging", 2),
                                     ("C8", "application", "imaging", 2)]]
    inc = []
    # D1 (finished 2025-07-01) cut T1's P1 incidents from 10 to 4 a month; its untouched controls C1, C2 stay at 10
    inc += _incidents("T1", {m: 10 if m < dt.date(2025, 7, 1) else 4 for m in months})
    inc += _incidents("C1", {m: 10 for m in months})
    inc += _incidents("C2", {m: 10 for m in months})
    # C3 is the target of D4 (finished 2025-09-01, inside D1's windows): not a control for D1. Had it counted,
    # D1's controls would have moved from 13.3 to 6.7 a month and the DiD would read +0.7, not -6.
    inc += _incidents("C3", {m: 20 if m < dt.date(2025, 9, 1) else 0 for m in months})
    # D2 (finished 2025-07-01) changed nothing: T2 and its controls run at 3 a month, C5 and C6 wobble
    inc += _incidents("T2", {m: 3 for m in months}, priority=2)
    inc += _incidents("C4", {m: 3 for m in months}, priority=2)
    inc += _incidents("C5", {m: 2 + (i % 3) for i, m in enumerate(months)}, priority=2)
    inc += _incidents("C6", {m: 4 - (i % 3) for i, m in enumerate(months)}, priority=2)
    # D3 (finished 2026-01-01): its after window runs to 2026-07-01, the export stops in 2026-03
    inc += _incidents("T3", {m: 2 for m in months}, priority=3)
    inc += _incidents("C7", {m: 2 for m in months}, priority=3)
    inc += _incidents("C8", {m: 2 for m in months}, priority=3)
    initiatives = [
        {"initiative_id": "D1", "name": "Replace core switch", "area": "infrastructure", "target_systems": "T1",
         "status": "done", "finished_on": "2025-07-01", "incident_reduction_pct": 50, "outage_reduction_pct": 100},
        {"initiative_id": "D2", "name": "Lab interface rework", "area": "implementation", "target_systems": "T2",
         "status": "done", "finished_on": "2025-07-01", "incident_reduction_pct": 30, "outage_reduction_pct": 30},
        {"initiative_id": "D3", "name": "PACS upgrade", "area": "implementation", "target_systems": "T3",
         "status": "done", "finished_on": "2026-01-01", "incident_reduction_pct": 40},
        {"initiative_id": "D4", "name": "Distribution switches", "area": "infrastructure", "target_systems": "C3",
         "status": "done", "finished_on": "2025-09-01", "incident_reduction_pct": 80},
        {"initiative_id": "D5", "name": "No finish date", "area": "security", "target_systems": "C1",
         "status": "done"},
        {"initiative_id": "P1", "name": "Still open", "area": "infrastructure", "target_systems": "C2",
         "status": "proposed", "finished_on": "2025-07-01"},
    ]
    return tiny_store(tmp_path_factory.mktemp("realization") / "s.duckdb", systems=systems, incidents=inc,
                      initiatives=initiatives)


@pytest.fixture(scope="module")
def realized(small_hospital):
    con = connect(small_hospital)
    try:
        return benefits_realization(con, AS_OF)
    finally:
        con.close()


def _row(df: pd.DataFrame, initiative: str, metric: str) -> pd.Series:
    hit = df[(df["initiative_id"] == initiative) & (df["metric"] == metric)]
    assert len(hit) == 1, (initiative, metric, df[["initiative_id", "metric"]])
    return hit.iloc[0]


def test_one_row_per_done_initiative_and_metric(realized):
    # done initiatives only (P1 is open), each with the four metrics
    assert sorted(realized["initiative_id"].unique()) == ["D1", "D2", "D3", "D4", "D5"]
    assert set(realized["metric"]) == {"incidents", "p1_p2_incidents", "outage_minutes", "risk_points"}
    assert len(realized) == 5 * 4


def test_a_real_drop_against_untouched_controls(realized):
    r = _row(realized, "D1", "p1_p2_incidents")
    # targets: 10 -> 4 per system-month; controls C1, C2 (C3 touched by D4): 10 -> 10
    assert r["measurable"]
    assert r["targets"] == 1 and r["controls"] == 2
    assert r["target_before"] == pytest.approx(10) and r["target_after"] == pytest.approx(4)
    assert r["control_before"] == pytest.approx(10) and r["control_after"] == pytest.approx(10)
    # DiD = (4 - 10) - (10 - 10) = -6 per system-month
    assert r["did_estimate"] == pytest.approx(-6)
    assert r["ci_low"] < -6 < r["ci_high"] < 0  # the drop is real: the interval stays below 0
    # achieved 6 / 10 = 60 % against the promised 50 % -> ratio 1.2
    assert r["achieved_pct"] == pytest.approx(60)
    assert r["promised_pct"] == pytest.approx(50)
    assert r["realization_ratio"] == pytest.approx(1.2)
    assert r["ratio_low"] < 1.2 < r["ratio_high"]
    # all incidents: the same figures (every one is a P1)
    assert _row(realized, "D1", "incidents")["did_estimate"] == pytest.approx(-6)
    # outage: 30 min each, 300 -> 120 min per system-month on the target, 300 on controls: DiD -180, 60 % of
    # the promised 100 %
    o = _row(realized, "D1", "outage_minutes")
    assert o["did_estimate"] == pytest.approx(-180)
    assert o["realization_ratio"] == pytest.approx(0.6)


def test_no_drop_gives_about_zero_with_an_interval_covering_zero(realized):
    r = _row(realized, "D2", "p1_p2_incidents")
    # T2 3 -> 3; controls C4 (3, 3), C5 and C6 average 3 both windows (2,3,4 and 4,3,2 cycles over 6 months)
    assert r["measurable"] and r["controls"] == 3
    assert r["did_estimate"] == pytest.approx(0, abs=1e-9)
    assert r["ci_low"] < 0 < r["ci_high"]
    assert r["achieved_pct"] == pytest.approx(0, abs=1e-9)
    assert r["realization_ratio"] == pytest.approx(0, abs=1e-9)


def test_a_window_the_export_does_not_cover_is_not_measurable_never_zero(realized):
    for metric in ("incidents", "p1_p2_incidents", "outage_minutes"):
        r = _row(realized, "D3", metric)
        assert not r["measurable"]
        assert pd.isna(r["did_estimate"]) and pd.isna(r["realization_ratio"]) and pd.isna(r["achieved_pct"])
        # the export's last incident is opened and resolved on 2026-03-10 (day k + 1 for the tenth of a month)
        assert "2026-03-10" in r["note"] and "2026-07-01" in r["note"], r["note"]


def test_the_window_is_a_setting(small_hospital, tmp_path):
    (tmp_path / "settings.yaml").write_text("portfolio:\n  realization:\n    window_months: 3\n")
    con = connect(small_hospital)
    try:
        out = benefits_realization(con, AS_OF, load_settings(tmp_path / "settings.yaml"))
    finally:
        con.close()
    r = _row(out, "D1", "p1_p2_incidents")
    # 3 months each side: 2025-04-01 to 2025-10-01; D4 (2025-09-01) still inside, so C3 still no control
    assert (r["before_start"], r["after_end"]) == (dt.date(2025, 4, 1), dt.date(2025, 10, 1))
    assert r["controls"] == 2 and r["did_estimate"] == pytest.approx(-6)
    # D3's after window now ends 2026-04-01; the export stops 2026-03-10, three weeks short: still not measurable
    # (the missing weeks would read as fewer incidents after the finish)
    d3 = _row(out, "D3", "incidents")
    assert not d3["measurable"] and "2026-03-10" in d3["note"] and "2026-04-01" in d3["note"]


def test_no_finish_date_and_no_scans_are_reasons_not_zeros(realized):
    d5 = realized[realized["initiative_id"] == "D5"]
    assert not d5["measurable"].any() and d5["did_estimate"].isna().all()
    assert d5["note"].str.contains("finish").all()
    risk = _row(realized, "D1", "risk_points")
    assert not risk["measurable"] and pd.isna(risk["did_estimate"])
    assert "vulnerabilit" in risk["note"]


def test_a_window_not_over_at_the_as_of_day_is_not_measurable(tmp_path):
    systems = [{"system_id": "T", "name": "T", "kind": "application", "category": "lab"},
               {"system_id": "C", "name": "C", "kind": "application", "category": "lab"}]
    inc = _incidents("T", {m: 2 for m in _months("2025-01-01", 12)}) + _incidents(
        "C", {m: 2 for m in _months("2025-01-01", 12)})
    path = tiny_store(tmp_path / "s.duckdb", systems=systems, incidents=inc, initiatives=[
        {"initiative_id": "D", "name": "D", "area": "x", "target_systems": "T", "status": "done",
         "finished_on": "2025-10-01", "incident_reduction_pct": 20}])
    con = connect(path)
    try:
        out = benefits_realization(con, dt.date(2025, 12, 31))
    finally:
        con.close()
    r = _row(out, "D", "incidents")
    # the after window runs to 2026-04-01, past the data's end
    assert not r["measurable"] and pd.isna(r["did_estimate"]) and "2026-04-01" in r["note"]


def test_no_comparable_untouched_system_is_not_measurable(tmp_path):
    systems = [{"system_id": "T", "name": "T", "kind": "application", "category": "lab", "criticality_tier": 1},
               {"system_id": "X", "name": "X", "kind": "infrastructure", "category": "network", "criticality_tier": 3}]
    months = _months("2025-01-01", 12)
    inc = _incidents("T", {m: 2 for m in months}) + _incidents("X", {m: 2 for m in months})
    path = tiny_store(tmp_path / "s.duckdb", systems=systems, incidents=inc, initiatives=[
        {"initiative_id": "D", "name": "D", "area": "x", "target_systems": "T", "status": "done",
         "finished_on": "2025-07-01", "incident_reduction_pct": 20}])
    con = connect(path)
    try:
        out = benefits_realization(con, dt.date(2025, 12, 31))
    finally:
        con.close()
    r = _row(out, "D", "incidents")
    assert not r["measurable"] and pd.isna(r["did_estimate"]) and "comparable" in r["note"]


def test_area_confidence_factors_shrink_toward_one_and_stay_bounded():
    realized = pd.DataFrame([
        # infrastructure: two initiatives, ratios 1.0 and 0.4 (each the mean of its measurable ratios)
        {"initiative_id": "A", "area": "infrastructure", "metric": "incidents", "measurable": True,
         "realization_ratio": 1.2},
        {"initiative_id": "A", "area": "infrastructure", "metric": "outage_minutes", "measurable": True,
         "realization_ratio": 0.8},
        {"initiative_id": "B", "area": "infrastructure", "metric": "incidents", "measurable": True,
         "realization_ratio": 0.4},
        {"initiative_id": "B", "area": "infrastructure", "metric": "risk_points", "measurable": True,
         "realization_ratio": float("nan")},  # no promise: does not count
        # security: one initiative at the ratio's cap 2.0
        {"initiative_id": "C", "area": "security", "metric": "incidents", "measurable": True,
         "realization_ratio": 2.0},
        # strategy: nothing measurable -> no factor (the caller keeps the confidence as entered)
        {"initiative_id": "D", "area": "strategy", "metric": "incidents", "measurable": False,
         "realization_ratio": float("nan")},
    ])
    f = area_confidence_factors(realized)
    # shipped: 2 prior cases at 1.0, factor bounded to [0.5, 1.2]
    # infrastructure: mean 0.7 over 2 -> (2 x 0.7 + 2 x 1) / 4 = 0.85
    assert f["infrastructure"] == pytest.approx(0.85)
    # security: (1 x 2.0 + 2) / 3 = 1.33 -> capped at 1.2
    assert f["security"] == pytest.approx(1.2)
    assert "strategy" not in f
    assert area_confidence_factors(realized.iloc[0:0]) == {}


def test_risk_points_from_monthly_snapshots_of_findings_and_end_of_support(tmp_path):
    systems = [{"system_id": "T", "name": "T", "kind": "infrastructure", "category": "network"},
               {"system_id": "C1", "name": "C1", "kind": "infrastructure", "category": "network",
                "end_of_support": "2025-08-15"},
               {"system_id": "C2", "name": "C2", "kind": "infrastructure", "category": "network", "holds_phi": True}]
    vulns = [
        # T: a KEV finding (2 points) open from 2024-12 until fixed on the finish day
        {"host": "t", "vuln_id": "K1", "cve": "CVE-K1", "system_id": "T", "severity": "high",
         "first_seen": "2024-12-01 00:00:00", "fixed_at": "2025-07-01 00:00:00", "state": "fixed"},
        # C1: a KEV finding open throughout (2 points), and past end of support from the 2025-09-01 snapshot (+5)
        {"host": "c1", "vuln_id": "K2", "cve": "CVE-K2", "system_id": "C1", "severity": "high",
         "first_seen": "2024-12-01 00:00:00", "last_seen": "2025-12-20 00:00:00", "state": "open"},
        # C2 (holds PHI): a critical finding (1 point) from 2025-04-15, open at the 05-01 and 06-01 snapshots on
        {"host": "c2", "vuln_id": "V3", "system_id": "C2", "severity": "critical",
         "first_seen": "2025-04-15 00:00:00", "state": "open"},
    ]
    kev = [{"cve_id": "CVE-K1", "date_added": "2024-01-01", "due_date": "2024-02-01"},
           {"cve_id": "CVE-K2", "date_added": "2024-01-01", "due_date": "2024-02-01"}]
    path = tiny_store(tmp_path / "s.duckdb", systems=systems, vulnerabilities=vulns, kev=kev, initiatives=[
        {"initiative_id": "D", "name": "D", "area": "security", "target_systems": "T", "status": "done",
         "finished_on": "2025-07-01", "incident_reduction_pct": 20}])
    con = connect(path)
    try:
        out = benefits_realization(con, AS_OF)
    finally:
        con.close()
    r = _row(out, "D", "risk_points")
    assert r["measurable"], r["note"]
    # snapshots 2025-01-01 .. 06-01 before, 07-01 .. 12-01 after
    assert r["target_before"] == pytest.approx(2) and r["target_after"] == pytest.approx(0)
    # controls before: C1 2, C2 (0,0,0,0,1,1)/6 = 1/3 -> 7/6; after: C1 (2,2,7,7,7,7)/6 = 32/6, C2 1 -> 19/6
    assert r["control_before"] == pytest.approx(7 / 6) and r["control_after"] == pytest.approx(19 / 6)
    # DiD = (0 - 2) - (19/6 - 7/6) = -4; no promise for risk points: no ratio
    assert r["did_estimate"] == pytest.approx(-4)
    assert pd.isna(r["realization_ratio"]) and "no promised" in r["note"]
    # no incidents export: those metrics are not measurable, not 0
    assert not _row(out, "D", "incidents")["measurable"]
