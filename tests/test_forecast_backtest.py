"""Backtests on series with known answers: the seasonal-naive baseline is perfect on a pure seasonal series and
exactly MASE 1 on a straight line, where the model must beat it; a short series gets no number."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from hitplan.forecast.backtest import (
    backtest_metrics,
    mase_scale,
    model_beats_baseline,
    rolling_origin,
    seasonal_naive,
    seasonal_naive_forecaster,
)
from hitplan.forecast.volume import GradientBoostingForecaster, incident_volume_forecast
from kpi_fixtures import connect, tiny_store

PARAMS = {"max_iter": 60, "learning_rate": 0.1, "max_leaf_nodes": 8, "min_samples_leaf": 20, "l2_regularization": 1.0}


def forecasters():
    return {"model": GradientBoostingForecaster(4, 7, PARAMS, (0.1, 0.9)), "baseline": seasonal_naive_forecaster(4)}


def test_seasonal_naive_and_mase_scale_by_hand():
    y = np.array([[1.0, 2.0, 3.0, 4.0, 2.0, 3.0]])
    # one season back from the end: h=1 -> y[2], h=2 -> y[3], h=3 -> y[4], h=4 -> y[5]
    assert seasonal_naive(y, 4, 4).tolist() == [[3.0, 4.0, 2.0, 3.0]]
    # |2-1| + |3-2| over 2 seasonal differences
    assert mase_scale(y, 4).tolist() == [1.0]
    # a pure seasonal row falls back to its one-step error; a constant row has no scale
    assert mase_scale(np.array([[1.0, 3.0, 1.0, 3.0]]), 2).tolist() == [2.0]
    assert np.isnan(mase_scale(np.array([[5.0] * 8]), 4)[0])


def test_pure_seasonal_series_the_baseline_is_perfect_and_stays():
    pattern = np.array([10.0, 20.0, 30.0, 40.0])
    panel = np.array([np.tile(pattern * k, 6) for k in (1, 2, 3, 5, 8)])  # 24 quarters, five scales
    bt = rolling_origin(panel, forecasters(), origins=4, horizon=4, season=4)
    m = backtest_metrics(bt, ["model", "baseline"], [])
    assert len(bt) == 5 * (4 + 3 + 2 + 1)
    assert m["baseline_mae"].item() == 0.0 and m["baseline_mase"].item() == 0.0
    assert m["baseline_coverage_pct"].item() == 100.0
    # nothing can be strictly better than perfect: the baseline is what is shown
    assert not model_beats_baseline(m["model_mase"].item(), 0.0, m["model_mae"].item(), 0.0)


@pytest.mark.slow
def test_trend_the_model_beats_the_seasonal_naive_baseline():
    t = np.arange(24, dtype=float)
    panel = np.array([a + b * t for a, b in [(10, 1), (20, 2), (5, 0.5), (40, 3), (15, 1.5), (30, 2.5)]])
    bt = rolling_origin(panel, forecasters(), origins=4, horizon=4, season=4)
    per = backtest_metrics(bt, ["model", "baseline"], ["series"])
    # on a straight line the seasonal-naive error is always 4 slopes, exactly its in-sample scale: MASE 1
    assert per["baseline_mase"].tolist() == pytest.approx([1.0] * 6)
    assert (per["model_mase"] < per["baseline_mase"]).all(), per[["model_mase", "baseline_mase"]]
    assert all(model_beats_baseline(r.model_mase, r.baseline_mase, r.model_mae, r.baseline_mae)
               for r in per.itertuples())


@pytest.mark.slow
def test_the_model_is_the_same_for_the_same_seed():
    rng = np.random.default_rng(3)
    panel = rng.poisson(20, size=(12, 16)).astype(float)
    a = GradientBoostingForecaster(4, 7, PARAMS, (0.1, 0.9))(panel, 0, 4)
    b = GradientBoostingForecaster(4, 7, PARAMS, (0.1, 0.9))(panel, 0, 4)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    point, lower, upper = a
    assert (lower <= point).all() and (point <= upper).all() and (lower >= 0).all()


@pytest.fixture
def short_and_long(tmp_path):
    """S1 live since 2020 with 1 + (quarter index % 4) incidents per quarter from FY2024Q1 (2023-07) to FY2026Q4;
    S2 live since 2026-01-01: two complete quarters."""
    systems = [{"system_id": "S1", "name": "Old system", "go_live": "2020-01-01", "criticality_tier": 2},
               {"system_id": "S2", "name": "New system", "go_live": "2026-01-01", "criticality_tier": 2}]
    incidents, n = [], 0
    for q in range(12):
        start = dt.date(2023 + (6 + 3 * q) // 12, (6 + 3 * q) % 12 + 1, 5)
        for k in range(1 + q % 4):
            n += 1
            incidents.append({"number": f"I{n}", "system_id": "S1", "priority": 3, "category": "software",
                              "opened_at": f"{start + dt.timedelta(days=k)} 09:00:00"})
    for k, day in enumerate(["2026-01-10", "2026-02-10", "2026-04-10", "2026-05-10"]):
        incidents.append({"number": f"N{k}", "system_id": "S2", "opened_at": f"{day} 09:00:00", "priority": 3,
                          "category": "software"})
    return connect(tiny_store(tmp_path / "s.duckdb", systems=systems, incidents=incidents))


@pytest.mark.slow
def test_a_system_with_too_little_history_gets_not_enough_history(short_and_long):
    df = incident_volume_forecast(short_and_long, dt.date(2026, 6, 30), horizon=2, by="system")
    new = df[df["series_id"] == "S2"]
    assert len(new) == 2 and new["forecast"].isna().all() and new["shown"].isna().all()
    assert new["status"].str.startswith("not enough history (2 complete quarters").all()
    old = df[df["series_id"] == "S1"].set_index("horizon")
    assert old.loc[1, "quarter"] == "FY2027Q1" and old.loc[2, "quarter"] == "FY2027Q2"
    # the baseline is the same quarter a year before: FY2026Q1 (q index 8 -> 1 incident), FY2026Q2 (2)
    assert old.loc[1, "baseline_forecast"] == 1.0 and old.loc[2, "baseline_forecast"] == 2.0
    assert old["forecast"].notna().all() and old["shown"].notna().all()
    assert df.attrs["backtest"] and "1 with not enough history" in df.attrs["note"]
