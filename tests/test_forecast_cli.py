"""`hitplan forecast` on the demo hospital: the four capabilities with their honesty metrics beside the baselines;
outage risk on a store with too little history; outage probability as initiative evidence."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from hitplan import store
from hitplan.forecast import outage_risk
from kpi_fixtures import connect, tiny_store


@pytest.fixture(scope="module")
def forecast_json(demo_store):
    from hitplan.cli import main

    path, truth, as_of = demo_store
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["forecast", "--store", str(path), "--format", "json", "--start", truth.start,
                     "--end", str(as_of + dt.timedelta(days=1)), "--truth",
                     str(path.parent / "files" / "ground_truth.json")])
    assert code == 0
    return json.loads(buf.getvalue()), truth, as_of


def test_volume_forecasts_carry_their_backtest_beside_the_baseline(forecast_json):
    out, truth, as_of = forecast_json
    assert out["as_of"] == truth.end
    for by in ("system", "category"):
        block = out["incident_volume"][by]
        bt = {r["horizon"]: r for r in block["backtest"]}
        assert set(bt) == {"1", "2", "3", "4", "all"}
        assert bt["all"]["forecasts"] == sum(bt[h]["forecasts"] for h in "1234")
        for key in ("model_mase", "baseline_mase", "model_coverage_pct", "baseline_coverage_pct"):
            assert bt["all"][key] is not None
        rows = block["records"]
        assert {r["horizon"] for r in rows} == {1, 2, 3, 4}
        assert {"model", "seasonal naive"} <= {r["shown"] for r in rows}, "both branches below are checked"
        for r in rows:
            if r["shown"] == "model":
                assert r["forecast"] == r["model_forecast"] and r["model_mase"] < r["baseline_mase"]
            elif r["shown"] == "seasonal naive":
                assert r["forecast"] == r["baseline_forecast"] and "baseline shown" in r["status"]
                assert r["model_mase"] is None or r["model_mase"] >= r["baseline_mase"]
            if r["forecast"] is not None:
                assert r["lower"] <= r["forecast"] <= r["upper"]


def test_anomalies_themes_and_outage_risk_are_in_the_output(forecast_json):
    out, truth, _ = forecast_json
    pr = {r["kind"]: r for r in out["cost_anomalies"]["precision_recall"]}
    assert pr["all"]["planted"] == 3 and pr["all"]["recall_pct"] == 100.0
    assert out["incident_themes"]["records"] and all(r["top_terms"] for r in out["incident_themes"]["records"])
    risk = out["outage_risk"]
    b = risk["backtest"]
    assert b["forecasts"] > 0 and 0 < b["events"] < b["forecasts"]
    assert 0 <= b["brier_model"] <= 1 and 0 <= b["brier_base_rate"] <= 1
    assert sum(r["forecasts"] for r in b["reliability"]) == b["forecasts"]
    probs = {r["system_id"]: r for r in risk["records"]}
    # one verdict for the store: the model where it beat the base rate in backtest, else the base rate, shown for
    # every system with enough history (the demo's model wins, so a base-rate-only check would never run)
    verdict = "model" if b["brier_model"] < b["brier_base_rate"] else "base rate"
    assert {r["shown"] for r in probs.values()} - {None} == {verdict}
    for r in probs.values():
        assert r["probability"] is None or 0 <= r["probability"] <= 1
        if r["shown"] is not None:
            assert r["probability"] == r["model_probability" if verdict == "model" else "base_rate"], r
    # the planted end-of-support switch stack, with its rising P1/P2, is above the base rate
    for sid in truth.eos_switch_stack.system_ids:
        assert probs[sid]["probability"] > probs[sid]["base_rate"], probs[sid]
    # no person column and no caller's name or pseudonym: the summaries' "caller at x3500" is a phone extension
    dumped = json.dumps(out)
    assert '"caller"' not in dumped.lower() and not re.search(r"P-[0-9a-f]{16}", dumped)
    assert not re.search(r"Site Request from (?!\[name\])", dumped)  # the demo's named summaries show [name]


def test_forecast_table_prints_the_metrics_and_says_which_forecast_is_shown(demo_store, cli):
    path, _, _ = demo_store
    code, out, err = cli("forecast", "--store", path, "--horizon", "1", "--limit", "3")
    assert code == 0, err
    assert "MASE model" in out and "MASE baseline" in out and "coverage model" in out
    assert "Brier score model" in out and "base rate" in out
    assert "precision/recall need labelled anomalies" in out


def test_outage_risk_with_too_little_history_gives_no_number(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb",
                             systems=[{"system_id": "S1", "name": "EHR", "criticality_tier": 1}],
                             incidents=[{"number": "I1", "system_id": "S1", "opened_at": "2026-01-05 10:00:00",
                                         "priority": 1}]))
    df = outage_risk(con, dt.date(2026, 6, 30))
    assert df.empty and df.attrs["note"].startswith("not enough history")


def test_outage_probability_is_evidence_for_initiatives(demo_store):
    from hitplan.periods import resolve_period
    from hitplan.prioritize.evidence import initiative_evidence
    from hitplan.settings import load_settings

    path, truth, as_of = demo_store
    con = store.connect(path)
    try:
        period = resolve_period(con, "last-12-months", today=as_of)
        frame = outage_risk(con, period.last_day)
        m, trace = initiative_evidence(con, period, load_settings(), frame)
        risk = frame.set_index("system_id")["probability"]
        targets = con.execute("select initiative_id, target_systems from stg_initiatives").fetchall()
    finally:
        con.close()
    assert "outage_probability" in m.columns and "outage_probability" not in set(trace["criterion"])
    row = m.set_index("initiative_id")
    checked = 0
    for initiative_id, systems in targets:
        if initiative_id not in row.index or not systems:
            continue
        known = [risk[s.strip()] for s in systems.split(";") if s.strip() in risk.index]
        if known:
            assert row.loc[initiative_id, "outage_probability"] == pytest.approx(max(known))
            checked += 1
    assert checked >= 5, "the demo's open initiatives target systems with an outage forecast"
