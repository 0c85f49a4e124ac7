"""Incident volume per system or per ticket category, one to four fiscal quarters ahead, with 80 % prediction
intervals and an honest comparison with the seasonal-naive baseline.

The model is one global gradient-boosting regressor over every series of the grouping (scikit-learn's
HistGradientBoostingRegressor), fitted directly for each horizon: it predicts the count h quarters after an
origin as a multiple of the series' mean over the last four quarters, from the last four quarters, the value
one year before the target quarter, the change against the four quarters before that, the level itself, the
horizon and the target's fiscal quarter. Poisson loss (with the level as sample weight, i.e. a Poisson model
of the count with the level as exposure) gives the point forecast; two quantile-loss models give the 10 % and
90 % bounds, widened where needed to at least the Poisson spread of the point forecast.

Every series is backtested from the last four quarter ends (rolling origin); where the model's MASE is not
strictly below the seasonal-naive baseline's, the baseline's forecast is shown and the row says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import poisson
from sklearn.ensemble import HistGradientBoostingRegressor
# imported before any threadpool_limits block: a limit only reaches OpenMP runtimes already loaded
from threadpoolctl import threadpool_limits

from hitplan.errors import UsageError
from hitplan.forecast.backtest import (
    backtest_metrics,
    model_beats_baseline,
    rolling_origin,
    seasonal_naive_forecaster,
)
from hitplan.forecast.common import setting
from hitplan.models import attach_models
from hitplan.periods import add_months, complete_quarters, fiscal_quarter_label, fiscal_year_start_month
from hitplan.store import scalar

BY = ("system", "category")
COLUMNS = ["by", "series_id", "series_name", "quarter", "quarter_start", "horizon", "forecast", "lower", "upper",
           "shown", "status", "model_forecast", "baseline_forecast", "model_mase", "baseline_mase",
           "model_coverage_pct", "baseline_coverage_pct", "backtest_forecasts", "last_4_quarters"]
MODEL, BASELINE = "model", "seasonal_naive"


class GradientBoostingForecaster:
    """The global gradient-boosting count model as a backtest forecaster (point and 80 % interval, counts)."""

    def __init__(self, season: int, seed: int, params: dict[str, Any], levels: tuple[float, float]) -> None:
        self.season, self.seed, self.params, self.levels = season, seed, params, levels

    def _rows(self, y: np.ndarray, first_period: int, origins: np.ndarray, series: np.ndarray, h: np.ndarray):
        """Features and level of the (series, origin, horizon) rows (the origin is the last column used)."""
        s = self.season

        def at(k):
            ok = (k >= 0) & (k < y.shape[1])
            out = np.full(len(k), np.nan)
            out[ok] = y[series[ok], k[ok]]
            return out

        last4 = np.stack([at(origins - k) for k in range(4)], axis=1)
        level = np.maximum(last4.mean(axis=1), 0.25)
        prev4 = np.stack([at(origins - k) for k in range(4, 8)], axis=1)
        prev_mean = prev4.mean(axis=1)  # NaN unless all four quarters are known
        seasonal = at(origins + (h - 1) % s + 1 - s)
        x = np.column_stack([
            h,
            (first_period + origins + h) % s,
            np.log(level),
            last4 / level[:, None],
            seasonal / level,
            (last4.mean(axis=1) - prev_mean) / level,
        ])
        return x, level, ~np.isnan(last4).any(axis=1) & ~np.isnan(seasonal)

    def _model(self, loss: str, n_rows: int, quantile: float | None = None) -> HistGradientBoostingRegressor:
        p = dict(self.params)
        p["min_samples_leaf"] = int(min(p.get("min_samples_leaf", 20), max(3, n_rows // 10)))
        kw = {"quantile": quantile} if quantile is not None else {}
        return HistGradientBoostingRegressor(loss=loss, early_stopping=False, random_state=self.seed, **p, **kw)

    def __call__(self, train: np.ndarray, first_period: int, horizon: int):
        n_series, n = train.shape
        nan = np.full((n_series, horizon), np.nan)
        # training rows: every origin with four quarters before it and a known target h quarters later
        ii, tt, hh = (a.ravel() for a in np.meshgrid(np.arange(n_series), np.arange(3, n), np.arange(1, horizon + 1),
                                                     indexing="ij"))
        inside = tt + hh < n
        ii, tt, hh = ii[inside], tt[inside], hh[inside]
        x, level, ok = self._rows(train, first_period, tt, ii, hh)
        target = train[ii, tt + hh]
        ok &= ~np.isnan(target)
        if ok.sum() < 10 or np.nansum(target[ok]) <= 0:
            return nan, nan.copy(), nan.copy()
        x, level, ratio = x[ok], level[ok], target[ok] / level[ok]
        # a feature unknown in every training row (the yearly change, early on) carries nothing: zero it
        unknown = np.isnan(x).all(axis=0)
        x[:, unknown] = 0.0
        # a few thousand rows: OpenMP threads cost far more than they bring (20x slower on a busy 2-core box)
        with threadpool_limits(limits=1):
            point_m = self._model("poisson", len(x)).fit(x, ratio)
            lo_m = self._model("quantile", len(x), self.levels[0]).fit(x, ratio)
            hi_m = self._model("quantile", len(x), self.levels[1]).fit(x, ratio)
        # forecasts from the last column, for every horizon
        pi, ph = (a.ravel() for a in np.meshgrid(np.arange(n_series), np.arange(1, horizon + 1), indexing="ij"))
        px, plevel, pok = self._rows(train, first_period, np.full(len(pi), n - 1), pi, ph)
        px[:, unknown] = 0.0
        point, lower, upper = (np.full(len(pi), np.nan) for _ in range(3))
        if pok.any():
            with threadpool_limits(limits=1):
                point[pok] = point_m.predict(px[pok]) * plevel[pok]
                lower[pok] = np.maximum(lo_m.predict(px[pok]) * plevel[pok], 0.0)
                upper[pok] = hi_m.predict(px[pok]) * plevel[pok]
        # a count is at least Poisson-noisy: the interval is never narrower than the Poisson one
        lower = np.minimum(np.minimum(lower, poisson.ppf(self.levels[0], np.nan_to_num(point))), point)
        upper = np.maximum(np.maximum(upper, poisson.ppf(self.levels[1], np.nan_to_num(point))), point)
        shape = (n_series, horizon)
        return point.reshape(shape), lower.reshape(shape), upper.reshape(shape)


def _series_sql(by: str) -> str:
    if by == "system":
        return """
        select s.system_id as series_id, any_value(s.system_name) as series_name, min(s.go_live) as since
        from stg_systems s group by s.system_id"""
    return """
        select incident_category as series_id, incident_category as series_name, cast(min(opened_at) as date) as since
        from int_incidents where incident_category is not null and opened_at < $end group by incident_category"""


def _panel(con, by: str, quarters: list[dt.date]) -> tuple[pd.DataFrame, np.ndarray]:
    """The series (id, name, index of their first whole quarter) and their quarterly counts (NaN before it)."""
    start, end = quarters[0], add_months(quarters[-1], 3)
    key = "system_id" if by == "system" else "incident_category"
    series = con.execute(f"select * from ({_series_sql(by)}) order by series_id", {"end": end} if by != "system"
                         else {}).df()
    counts = con.execute(f"""
        select {key} as series_id, datediff('month', cast($start as date), opened_at) // 3 as q, count(*) as n
        from int_incidents where opened_at >= $start and opened_at < $end and {key} is not null
        group by all""", {"start": start, "end": end}).df()
    index = {k: i for i, k in enumerate(series["series_id"])}
    y = np.zeros((len(series), len(quarters)))
    for k, q, n in counts.itertuples(index=False):
        if k in index:
            y[index[k], int(q)] = n
    first = np.zeros(len(series), dtype=int)
    for i, since in enumerate(series["since"]):
        if since is not None and not pd.isna(since):
            since = pd.Timestamp(since).date()
            # the first quarter the series was live for all of
            first[i] = sum(1 for q in quarters if q < since)
            y[i, : first[i]] = np.nan
    series["first"] = first
    return series, y


def _quarters(con, as_of: dt.date) -> tuple[int, list[dt.date]]:
    """The fiscal year's start month, and the start days of the complete fiscal quarters of incidents on or before
    ``as_of``."""
    attach_models(con)
    fy = fiscal_year_start_month(con)
    first_day = scalar(con, "select cast(min(opened_at) as date) from int_incidents where opened_at < ?",
                       [as_of + dt.timedelta(days=1)])
    return fy, (complete_quarters(first_day, as_of, fy) if first_day else [])


def _unplaced(con, by: str, as_of: dt.date) -> str | None:
    """Why incidents on or before ``as_of`` are in no series of the grouping ("9,996 of 9,996 incidents have no
    system_id"), or None when every one is in a series."""
    attach_models(con)
    key = "system_id" if by == "system" else "incident_category"
    total, blank, unknown, systems = con.execute(f"""
        select count(*), count(*) filter (where {key} is null),
            count(*) filter (where {key} is not null and {"system_id not in (select system_id from stg_systems)"
                                                         if by == "system" else "false"}),
            (select count(*) from stg_systems)
        from int_incidents where opened_at < $end""", {"end": as_of + dt.timedelta(days=1)}).fetchone()
    parts = []
    if blank:
        parts.append(f"{blank:,} of {total:,} incidents have no {'system_id' if by == 'system' else 'category'}")
    if unknown:
        parts.append(f"{unknown:,} of {total:,} incidents name a system that is not in the systems feed"
                     + ("" if systems else " (the feed is empty: hitplan ingest systems FILE)"))
    return "; ".join(parts) or None


def _no_quarter(con, as_of: dt.date, fy: int, min_q: int) -> str:
    """Why there is no complete fiscal quarter to count incidents in, with the days the incidents cover."""
    first, last, n = con.execute(
        "select cast(min(opened_at) as date), cast(max(opened_at) as date), count(*) from int_incidents "
        "where opened_at < ?", [as_of + dt.timedelta(days=1)]).fetchone()
    if not n:
        later = scalar(con, "select cast(min(opened_at) as date) from int_incidents")
        return (f"no incidents opened on or before {as_of}" + (f" (the first was opened {later}: give a later "
                                                                f"--as-of)" if later else ""))
    return (f"no complete fiscal quarter of incidents on or before {as_of}: {n:,} incidents opened {first} to "
            f"{last} lie in {fiscal_quarter_label(first, fy)}"
            + (f" to {fiscal_quarter_label(last, fy)}" if fiscal_quarter_label(last, fy)
               != fiscal_quarter_label(first, fy) else "")
            + f", which hold no whole quarter of data; a forecast needs {min_q} complete quarters")


def _run(con, as_of: dt.date, by: str, horizon: int, seed: int, cfg: dict | None):
    """(series frame, quarter starts, panel, backtest frame, the final forecasts of both forecasters)."""
    if by not in BY:
        raise UsageError(f"by must be one of {', '.join(BY)}, not {by!r}")
    if not 1 <= horizon <= 8:
        raise UsageError(f"horizon must be 1 to 8 quarters, not {horizon}")
    fy, quarters = _quarters(con, as_of)
    if not quarters:
        return None, quarters, None, pd.DataFrame(), None
    season = setting(cfg, "volume", "season_quarters")
    levels = tuple(setting(cfg, "volume", "interval"))
    series, y = _panel(con, by, quarters)
    first_period = (quarters[0].month - fy) % 12 // 3
    forecasters = {
        MODEL: GradientBoostingForecaster(season, seed, setting(cfg, "volume", "model"), levels),
        BASELINE: seasonal_naive_forecaster(season, levels),
    }
    bt = rolling_origin(y, forecasters, origins=setting(cfg, "volume", "backtest_origins"), horizon=horizon,
                        season=season, first_period=first_period)
    final = {name: f(y, first_period, horizon) for name, f in forecasters.items()}
    return series, quarters, y, bt, final


def _source(by: str) -> str:
    key = "system_id (stg_systems: system_name, go_live)" if by == "system" else "incident_category"
    return f"int_incidents (stg_incidents): opened_at, {key}; settings: forecast/config.yaml volume"


def incident_volume_backtest(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, *, horizon: int = 4, by: str = "system", seed: int = 7,
    cfg: dict | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of the model and the seasonal-naive baseline: one row per series, origin and
    horizon with the actual incidents and each forecast and 80 % interval (counts per quarter)."""
    series, quarters, _y, bt, _ = _run(con, as_of, by, horizon, seed, cfg)
    return _labelled_backtest(series, quarters, bt, by, con)


def _labelled_backtest(series, quarters, bt: pd.DataFrame, by: str, con) -> pd.DataFrame:
    cols = ["by", "series_id", "origin_quarter", "quarter", "horizon", "actual", MODEL, f"{MODEL}_lower",
            f"{MODEL}_upper", BASELINE, f"{BASELINE}_lower", f"{BASELINE}_upper", "scale"]
    if series is None or bt.empty:
        df = pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        df.attrs.update(source=_source(by), note="not enough complete quarters of incidents to backtest")
        return df
    fy = fiscal_year_start_month(con)
    labels = [fiscal_quarter_label(q, fy) for q in quarters]
    out = bt.assign(
        by=by,
        series_id=series["series_id"].to_numpy()[bt["series"].to_numpy()],
        origin_quarter=[labels[o - 1] for o in bt["origin"]],
        quarter=[labels[o + h - 1] for o, h in zip(bt["origin"], bt["horizon"])],
    )[cols]
    out.attrs["source"] = _source(by)
    return out


def volume_backtest_summary(backtest: pd.DataFrame) -> pd.DataFrame:
    """MASE, mean absolute error (incidents per quarter) and 80 % interval coverage (percent) of the model and the
    seasonal-naive baseline, per horizon and over all horizons ('all')."""
    if backtest.empty:
        return pd.DataFrame(columns=["horizon", "forecasts", "model_mase", "baseline_mase", "model_mae",
                                     "baseline_mae", "model_coverage_pct", "baseline_coverage_pct"])
    per_h = backtest_metrics(backtest, [MODEL, BASELINE], ["horizon"])
    overall = backtest_metrics(backtest, [MODEL, BASELINE], [])
    overall.insert(0, "horizon", "all")
    per_h["horizon"] = per_h["horizon"].astype(str)
    out = pd.concat([per_h, overall], ignore_index=True).rename(columns=lambda c: c.replace(BASELINE, "baseline"))
    out = out[["horizon", "forecasts", "model_mase", "baseline_mase", "model_mae", "baseline_mae",
               "model_coverage_pct", "baseline_coverage_pct"]]
    out.attrs["source"] = backtest.attrs.get("source", "")
    return out


def incident_volume_forecast(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, *, horizon: int = 4, by: str = "system", seed: int = 7,
    cfg: dict | None = None,
) -> pd.DataFrame:
    """Incidents expected per series in each of the next ``horizon`` fiscal quarters after the last complete quarter
    on or before ``as_of`` (count, with an 80 % interval), from the model where it beat the seasonal-naive
    baseline in backtest and from the baseline otherwise; ``attrs['backtest']`` holds the backtest summary."""
    series, quarters, y, bt, final = _run(con, as_of, by, horizon, seed, cfg)
    src = _source(by)
    fy = fiscal_year_start_month(con)
    min_q = setting(cfg, "volume", "min_history_quarters")
    if series is None or series.empty:
        why = (_no_quarter(con, as_of, fy, min_q) if series is None else
               f"no {by} series to forecast: " + (_unplaced(con, by, as_of) or f"no {by} in the store"))
        df = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
        df.attrs.update(source=src, note=why, backtest=[])
        return df
    labelled = _labelled_backtest(series, quarters, bt, by, con)
    per_series = backtest_metrics(bt, [MODEL, BASELINE], ["series"]).set_index("series") if not bt.empty else None
    future = [add_months(quarters[-1], 3 * h) for h in range(1, horizon + 1)]
    rows = []
    for i, s in enumerate(series.itertuples(index=False)):
        n_hist = len(quarters) - int(s.first)
        m = per_series.loc[i] if per_series is not None and i in per_series.index else None
        last4 = float(np.nansum(y[i, -4:])) if n_hist >= 4 else np.nan
        enough = n_hist >= min_q and m is not None
        silent = enough and not np.nansum(y[i, int(s.first):])  # all zero: nothing to forecast
        enough = enough and not silent
        use_model = False
        if enough:
            use_model = model_beats_baseline(m[f"{MODEL}_mase"], m[f"{BASELINE}_mase"], m[f"{MODEL}_mae"],
                                             m[f"{BASELINE}_mae"]) and not np.isnan(final[MODEL][0][i]).any()
        for h in range(1, horizon + 1):
            mp, ml, mu = (final[MODEL][k][i, h - 1] for k in range(3))
            bp, bl, bu = (final[BASELINE][k][i, h - 1] for k in range(3))
            if silent:
                shown, status, value = None, f"all zero: no incidents in its {n_hist} complete quarters", \
                    (np.nan, np.nan, np.nan)
            elif not enough:
                shown, status, value = None, f"not enough history ({n_hist} complete quarters, need {min_q})", \
                    (np.nan, np.nan, np.nan)
            elif use_model:
                shown, status, value = MODEL, "model: beat the seasonal-naive baseline in backtest", (mp, ml, mu)
            else:
                shown, status, value = "seasonal naive", \
                    "baseline shown: the model did not beat the seasonal-naive baseline in backtest", (bp, bl, bu)
            rows.append({
                "by": by, "series_id": s.series_id, "series_name": s.series_name,
                "quarter": fiscal_quarter_label(future[h - 1], fy), "quarter_start": future[h - 1], "horizon": h,
                "forecast": value[0], "lower": value[1], "upper": value[2], "shown": shown, "status": status,
                "model_forecast": mp if enough else np.nan, "baseline_forecast": bp if enough else np.nan,
                "model_mase": m[f"{MODEL}_mase"] if m is not None else np.nan,
                "baseline_mase": m[f"{BASELINE}_mase"] if m is not None else np.nan,
                "model_coverage_pct": m[f"{MODEL}_coverage_pct"] if m is not None else np.nan,
                "baseline_coverage_pct": m[f"{BASELINE}_coverage_pct"] if m is not None else np.nan,
                "backtest_forecasts": int(m["forecasts"]) if m is not None else 0,
                "last_4_quarters": last4,
            })
    df = pd.DataFrame(rows, columns=COLUMNS)
    notes = []
    last_day = add_months(quarters[-1], 3) - dt.timedelta(days=1)
    if last_day < as_of:
        notes.append(f"counts run to {last_day} (the last complete quarter); {last_day + dt.timedelta(days=1)} to "
                     f"{as_of} is a partial quarter and is left out")
    one = df.drop_duplicates("series_id")
    shown = one["shown"].value_counts()
    zero = int(one["status"].str.startswith("all zero").sum())
    notes.append(f"{int(shown.get(MODEL, 0))} series from the model, {int(shown.get('seasonal naive', 0))} from the "
                 f"seasonal-naive baseline (the model did not beat it in backtest), "
                 f"{int(one['shown'].isna().sum()) - zero} with not enough history (fewer than {min_q} complete "
                 f"quarters)" + (f", {zero} all zero (no incidents to forecast from)" if zero else ""))
    if unplaced := _unplaced(con, by, as_of):
        notes.append(f"{unplaced}: they are in no {by} series")
    df.attrs.update(source=src, note="; ".join(notes),
                    backtest=volume_backtest_summary(labelled).to_dict(orient="records"))
    return df


def incident_volume_history(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, *, by: str = "system", quarters: int = 8,
) -> pd.DataFrame:
    """Incidents per series in each of the last ``quarters`` complete fiscal quarters on or before ``as_of`` (the
    counts the forecast is fitted on; quarters before a system went live are left out)."""
    cols = ["by", "series_id", "series_name", "quarter", "quarter_start", "incidents"]
    if by not in BY:
        raise UsageError(f"by must be one of {', '.join(BY)}, not {by!r}")
    fy, qs = _quarters(con, as_of)
    if not qs:
        df = pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        df.attrs.update(source=_source(by), note="no complete fiscal quarter of incidents on or before the as-of day")
        return df
    series, y = _panel(con, by, qs)
    keep = slice(max(0, len(qs) - quarters), len(qs))
    rows = [{"by": by, "series_id": s.series_id, "series_name": s.series_name, "quarter": fiscal_quarter_label(q, fy),
             "quarter_start": q, "incidents": y[i, j]}
            for i, s in enumerate(series.itertuples(index=False))
            for j, q in list(enumerate(qs))[keep] if not np.isnan(y[i, j])]
    df = pd.DataFrame(rows, columns=cols)
    df.attrs["source"] = _source(by)
    return df
