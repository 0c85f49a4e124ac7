"""Rolling-origin backtests of count forecasts against the seasonal-naive baseline, on panels of series.

A panel is a 2-D array: one row per series, one column per period (quarter), NaN before a series starts.
A forecaster is a callable ``(train, first_period, horizon) -> (point, lower, upper)``, each an array of
shape (series, horizon), that sees only the columns before the forecast origin; ``first_period`` is the
season position (0 .. season-1) of the panel's first column.

Accuracy is the mean absolute scaled error (MASE, Hyndman & Koehler 2006, "Another look at measures of
forecast accuracy", IJF 22(4)): absolute errors divided by the in-sample mean absolute error of the
seasonal-naive forecast over the training columns. A series whose seasonal differences are all zero (a
pure seasonal series) is scaled by its one-step naive error instead, and a constant series has no MASE
(NaN): any error on it is infinitely worse than the baseline's, which is then kept.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Forecaster = Callable[[np.ndarray, int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]


def seasonal_naive(train: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The seasonal-naive forecast (the value one season earlier) of every row for 1..horizon periods ahead (counts)."""
    n = train.shape[1]
    cols = [n - season + (h - 1) % season for h in range(1, horizon + 1)]
    out = np.full((train.shape[0], horizon), np.nan)
    for j, c in enumerate(cols):
        if c >= 0:
            out[:, j] = train[:, c]
    return out


def mase_scale(train: np.ndarray, season: int) -> np.ndarray:
    """Each row's in-sample mean absolute seasonal-naive error (counts), falling back to the one-step naive error
    when that is zero and to NaN for a constant row or one shorter than a season plus one."""
    scale = np.full(train.shape[0], np.nan)
    for i, row in enumerate(train):
        y = row[~np.isnan(row)]
        if len(y) <= season:
            continue
        s = np.mean(np.abs(y[season:] - y[:-season]))
        if s == 0 and len(y) > 1:
            s = np.mean(np.abs(np.diff(y)))
        scale[i] = s if s > 0 else np.nan
    return scale


def seasonal_naive_forecaster(season: int, levels: tuple[float, float] = (0.1, 0.9)) -> Forecaster:
    """The seasonal-naive baseline as a forecaster; its interval adds the quantiles of each series' own in-sample
    seasonal differences (counts, never below zero)."""

    def forecast(train: np.ndarray, first_period: int, horizon: int):
        point = seasonal_naive(train, horizon, season)
        lo = np.full(train.shape[0], np.nan)
        hi = np.full(train.shape[0], np.nan)
        for i, row in enumerate(train):
            y = row[~np.isnan(row)]
            if len(y) > season:
                d = y[season:] - y[:-season]
                lo[i], hi[i] = np.quantile(d, levels[0]), np.quantile(d, levels[1])
        lower = np.maximum(point + lo[:, None], 0.0)
        upper = np.maximum(point + hi[:, None], lower)
        return point, lower, upper

    return forecast


def rolling_origin(
    panel: np.ndarray,
    forecasters: dict[str, Forecaster],
    *,
    origins: int,
    horizon: int,
    season: int,
    first_period: int = 0,
) -> pd.DataFrame:
    """One row per series, forecast origin and horizon with the actual count and each forecaster's point and
    interval, over the last ``origins`` origins that have at least one actual after them."""
    n = panel.shape[1]
    rows = []
    for origin in range(max(1, n - origins), n):
        train = panel[:, :origin]
        scale = mase_scale(train, season)
        h_max = min(horizon, n - origin)
        outs = {name: f(train, first_period, horizon) for name, f in forecasters.items()}
        for h in range(1, h_max + 1):
            actual = panel[:, origin + h - 1]
            frame = {"series": np.arange(panel.shape[0]), "origin": origin, "horizon": h, "actual": actual,
                     "scale": scale}
            for name, (point, lower, upper) in outs.items():
                frame[name] = point[:, h - 1]
                frame[f"{name}_lower"] = lower[:, h - 1]
                frame[f"{name}_upper"] = upper[:, h - 1]
            rows.append(pd.DataFrame(frame))
    if not rows:
        return pd.DataFrame(columns=["series", "origin", "horizon", "actual", "scale"])
    bt = pd.concat(rows, ignore_index=True)
    # a forecast of a period the series had not started by, or from a series too short to forecast, is no test
    keep = bt["actual"].notna()
    for name in forecasters:
        keep &= bt[name].notna()
    return bt[keep].reset_index(drop=True)


def backtest_metrics(bt: pd.DataFrame, names: list[str], by: list[str]) -> pd.DataFrame:
    """MASE, mean absolute error (counts) and 80 % interval coverage (percent) of each forecaster per group of
    ``by`` columns, with the number of forecasts tested."""
    if bt.empty:
        return pd.DataFrame(columns=[*by, "forecasts"])
    d = bt.copy()
    cols = {"forecasts": ("actual", "size")}
    for name in names:
        err = (d["actual"] - d[name]).abs()
        d[f"{name}_ae"] = err
        d[f"{name}_se"] = err / d["scale"]
        d[f"{name}_in"] = (d["actual"] >= d[f"{name}_lower"]) & (d["actual"] <= d[f"{name}_upper"])
        cols[f"{name}_mase"] = (f"{name}_se", "mean")
        cols[f"{name}_mae"] = (f"{name}_ae", "mean")
        cols[f"{name}_coverage_pct"] = (f"{name}_in", "mean")
    keys = by or ["_all"]
    if not by:
        d["_all"] = 0
    out = d.groupby(keys, sort=True).agg(**cols).reset_index()
    if not by:
        out = out.drop(columns="_all")
    for name in names:
        out[f"{name}_coverage_pct"] = 100.0 * out[f"{name}_coverage_pct"].astype(float)
    return out


def model_beats_baseline(model_mase: float, baseline_mase: float, model_mae: float, baseline_mae: float) -> bool:
    """Whether the model's backtest error is strictly below the baseline's (MASE when defined, else MAE)."""
    if not (np.isnan(model_mase) or np.isnan(baseline_mase)):
        return bool(model_mase < baseline_mase)
    if np.isnan(model_mae) or np.isnan(baseline_mae):
        return False
    return bool(model_mae < baseline_mae)
