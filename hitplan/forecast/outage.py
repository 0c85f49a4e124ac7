"""The probability that each system has a P1/P2 incident next quarter, from a calibrated classifier on its
age, end of support, incident history, open vulnerabilities and disaster-recovery gaps, with its Brier score
and reliability against the base rate.

One row per system and fiscal quarter end holds what was known then (features) and whether a P1/P2 followed
in the next quarter (label). The classifier is scikit-learn's HistGradientBoostingClassifier wrapped in
CalibratedClassifierCV (sigmoid, three folds), so its probabilities are calibrated. It is backtested from the
last four quarter ends with a known next quarter (trained only on rows whose next quarter had ended by the
origin); the baseline gives every system the training base rate. Where the model's Brier score is not below
the base rate's, the base rate is shown and the rows say so.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
# imported before any threadpool_limits block: a limit only reaches OpenMP runtimes already loaded
from threadpoolctl import threadpool_limits

from hitplan.analysis import empty, missing
from hitplan.forecast.common import setting
from hitplan.models import attach_models
from hitplan.periods import add_months, complete_quarters, fiscal_quarter_label, fiscal_year_start_month
from hitplan.store import scalar

FEATURES = ["criticality_tier", "age_years", "years_to_end_of_support", "past_end_of_support", "holds_phi",
            "incidents_4q", "p1_p2_last_q", "p1_p2_4q", "outage_minutes_4q", "open_critical_high", "open_kev",
            "dr_gap", "last_dr_test_failed"]
COLUMNS = ["system_id", "system_name", "criticality_tier", "quarter", "probability", "shown", "status",
           "model_probability", "base_rate", "p1_p2_last_4_quarters", "end_of_support", "drivers"]
SOURCE = ("stg_systems: criticality_tier, go_live, end_of_support, holds_phi; int_incidents: priority, opened_at, "
          "outage_minutes; int_vulnerabilities: severity, is_kev, first_seen, fixed_at; stg_dr_tests: test_date, "
          "passed; settings: forecast/config.yaml outage")

_PANEL_SQL = """
with quarters as (
    select unnest(range(len($starts))) as t, cast(unnest($starts) as date) as q_start,
        cast(unnest($ends) as date) as q_end
),
systems as (
    select system_id, system_name, criticality_tier, go_live, end_of_support, coalesce(holds_phi, false) as holds_phi
    from stg_systems
),
grid as (
    select s.*, q.t, q.q_start, q.q_end from systems s cross join quarters q
),
inc as (
    select system_id, datediff('month', cast($first as date), opened_at) // 3 as t, count(*) as incidents,
        count(*) filter (where priority <= $max_p) as p1_p2, sum(outage_minutes) as outage_minutes
    from int_incidents
    where opened_at >= $first and opened_at < $last_end and system_id is not null
    group by all
),
history as (
    select g.system_id, g.t,
        coalesce(sum(i.incidents), 0) as incidents_4q,
        coalesce(sum(i.p1_p2), 0) as p1_p2_4q,
        coalesce(sum(i.p1_p2) filter (where i.t = g.t), 0) as p1_p2_last_q,
        coalesce(sum(i.outage_minutes), 0) as outage_minutes_4q
    from grid g left join inc i on i.system_id = g.system_id and i.t between g.t - 3 and g.t
    group by all
),
vulns as (
    select g.system_id, g.t,
        count(*) filter (where v.severity in ('critical', 'high')) as open_critical_high,
        count(*) filter (where v.is_kev) as open_kev
    from grid g join int_vulnerabilities v
      on v.system_id = g.system_id and v.first_seen < g.q_end
     and (v.fixed_at is null or v.fixed_at >= g.q_end) and v.finding_state <> 'accepted_risk'
    group by all
),
dr as (
    select g.system_id, g.t,
        -- technical tests only (partial or full failover), as the DR coverage KPI counts: a tabletop proves no recovery
        bool_or(d.passed) filter (where d.test_date >= g.q_end - interval 365 day
                                   and d.test_type in ('partial', 'full_failover')) as passed_recently,
        arg_max(d.passed, d.test_date) filter (where d.test_type in ('partial', 'full_failover')) as last_passed
    from grid g join stg_dr_tests d on d.system_id = g.system_id and d.test_date < g.q_end
    group by all
),
next_q as (
    select system_id, t - 1 as t, p1_p2 as p1_p2_next from inc
)
select g.system_id, g.system_name, g.criticality_tier, g.t, g.go_live, g.end_of_support,
    (g.q_end - coalesce(g.go_live, cast($first as date))) / 365.25 as age_years,
    coalesce((g.end_of_support - g.q_end) / 365.25, 10.0) as years_to_end_of_support,
    coalesce(g.end_of_support < g.q_end, false) as past_end_of_support,
    g.holds_phi,
    h.incidents_4q, h.p1_p2_last_q, h.p1_p2_4q, h.outage_minutes_4q,
    coalesce(v.open_critical_high, 0) as open_critical_high, coalesce(v.open_kev, 0) as open_kev,
    coalesce(g.criticality_tier, 3) <= 2 and not coalesce(d.passed_recently, false) as dr_gap,
    coalesce(not d.last_passed, false) as last_dr_test_failed,
    -- live for the whole quarter (and the three before it, for the four-quarter history)
    g.go_live is null or g.go_live <= g.q_start as live_whole_quarter,
    coalesce(n.p1_p2_next, 0) > 0 as event_next_quarter
from grid g
join history h using (system_id, t)
left join vulns v using (system_id, t)
left join dr d using (system_id, t)
left join next_q n using (system_id, t)
order by g.system_id, g.t
"""


def _panel(con: duckdb.DuckDBPyConnection, quarters: list[dt.date], max_p: int) -> pd.DataFrame:
    """One row per system per complete quarter: the features at the quarter's end and the next quarter's label."""
    ends = [add_months(q, 3) for q in quarters]
    # nothing after the last complete quarter is read: its next-quarter labels stay unknown (False, never trained on)
    df = con.execute(_PANEL_SQL, {"starts": quarters, "ends": ends, "first": quarters[0], "last_end": ends[-1],
                                  "max_p": max_p}).df()
    for c in ("past_end_of_support", "holds_phi", "dr_gap", "last_dr_test_failed"):
        df[c] = df[c].astype(float)
    return df


def _classifier(seed: int) -> CalibratedClassifierCV:
    gb = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=20,
                                        l2_regularization=1.0, early_stopping=False, random_state=seed)
    return CalibratedClassifierCV(gb, method="sigmoid", cv=3)


def _fit_predict(train: pd.DataFrame, test: pd.DataFrame, seed: int) -> np.ndarray | None:
    """Calibrated probabilities for ``test`` from a model fitted on ``train`` (None when train has one class)."""
    y = train["event_next_quarter"].astype(int).to_numpy()
    if len(y) == 0 or len(test) == 0 or y.min() == y.max() or min(y.sum(), len(y) - y.sum()) < 3:
        return None
    x = train[FEATURES].astype(float).to_numpy()
    with threadpool_limits(limits=1):
        model = _classifier(seed).fit(x, y)
        return model.predict_proba(test[FEATURES].astype(float).to_numpy())[:, 1]


def _brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def _reliability(bt: pd.DataFrame, bins: list[float]) -> list[dict]:
    """Per bin of model probability: forecasts, mean predicted and observed frequency (percent), and the base rate."""
    out = []
    cut = pd.cut(bt["model"], bins=bins, include_lowest=True, labels=False)
    for k in range(len(bins) - 1):
        g = bt[cut == k]
        out.append({"bin": f"{bins[k]:.2f}-{bins[k + 1]:.2f}", "forecasts": int(len(g)),
                    "mean_predicted_pct": 100.0 * g["model"].mean() if len(g) else None,
                    "observed_pct": 100.0 * g["actual"].mean() if len(g) else None,
                    "base_rate_pct": 100.0 * g["base_rate"].mean() if len(g) else None})
    return out


def _drivers(r) -> str:
    """The plain facts behind a system's risk (not model weights)."""
    parts = []
    if r.past_end_of_support:
        parts.append("past end of support")
    elif r.years_to_end_of_support < 1:
        parts.append("end of support within a year")
    if r.p1_p2_4q:
        parts.append(f"{int(r.p1_p2_4q)} P1/P2 in the last 4 quarters")
    if r.open_kev:
        parts.append(f"{int(r.open_kev)} open KEV findings")
    if r.open_critical_high:
        parts.append(f"{int(r.open_critical_high)} open critical/high findings")
    if r.dr_gap:
        parts.append("no passed technical DR test in 12 months")
    if r.last_dr_test_failed:
        parts.append("last DR test failed")
    return "; ".join(parts)


def outage_risk(con: duckdb.DuckDBPyConnection, as_of: dt.date, *, seed: int = 7, cfg: dict | None = None
                ) -> pd.DataFrame:
    """Per system, the probability (0-1) of at least one P1/P2 incident in the fiscal quarter after the last complete
    quarter on or before ``as_of``, from the calibrated model where it beat the base rate in backtest (Brier score)
    and the base rate otherwise; ``attrs['backtest']`` holds the Brier scores and the reliability table."""
    if note := missing(con, "stg_systems"):
        return empty(COLUMNS, f"{note}: the risk is per system, load the inventory (hitplan ingest systems FILE)",
                     SOURCE)
    attach_models(con)
    fy = fiscal_year_start_month(con)
    first_day = scalar(con, "select cast(min(opened_at) as date) from int_incidents where opened_at < ?",
                       [as_of + dt.timedelta(days=1)])
    quarters = complete_quarters(first_day, as_of, fy) if first_day else []
    min_q = setting(cfg, "outage", "min_history_quarters")
    if len(quarters) < min_q + 2:
        return empty(COLUMNS, f"not enough history: {len(quarters)} complete quarters of incidents on or before "
                              f"{as_of}, the model needs {min_q + 2}", SOURCE)
    total, linked = con.execute("select count(*), count(*) filter (where system_id in (select system_id from "
                                "stg_systems)) from int_incidents where opened_at < ?",
                                [as_of + dt.timedelta(days=1)]).fetchone()
    if not linked:
        return empty(COLUMNS, f"none of the {total:,} incidents on or before {as_of} names a system in the systems "
                              "feed (system_id blank or unknown): no system has an incident history", SOURCE)
    max_p = int(setting(cfg, "outage", "event_max_priority"))
    panel = _panel(con, quarters, max_p)
    n = len(quarters)
    # a row needs four quarters of history, all of them with the system live
    first_live = panel[panel["live_whole_quarter"]].groupby("system_id")["t"].min()
    panel["first_live"] = panel["system_id"].map(first_live)
    usable = panel["first_live"].notna() & (panel["t"] >= panel["first_live"] + 3) & (panel["t"] >= 3)
    labelled = usable & (panel["t"] <= n - 2)  # the quarter after t has ended
    rows = []
    for origin in range(max(3, n - 1 - setting(cfg, "outage", "backtest_origins")), n - 1):
        train = panel[labelled & (panel["t"] <= origin - 1)]
        test = panel[labelled & (panel["t"] == origin)]
        p = _fit_predict(train, test, seed)
        if p is None or test.empty:
            continue
        rows.append(pd.DataFrame({"origin": origin, "system_id": test["system_id"].to_numpy(), "model": p,
                                  "base_rate": float(train["event_next_quarter"].mean()),
                                  "actual": test["event_next_quarter"].astype(float).to_numpy()}))
    bt = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["model", "base_rate", "actual"])
    brier_model = _brier(bt["model"].to_numpy(float), bt["actual"].to_numpy(float))
    brier_base = _brier(bt["base_rate"].to_numpy(float), bt["actual"].to_numpy(float))
    use_model = bool(len(bt)) and brier_model < brier_base

    train = panel[labelled]
    now = panel[usable & (panel["t"] == n - 1)]
    base_rate = float(train["event_next_quarter"].mean()) if len(train) else float("nan")
    p_now = _fit_predict(train, now, seed) if len(now) else None
    model_p = dict(zip(now["system_id"], p_now)) if p_now is not None else {}
    use_model = use_model and p_now is not None
    target = fiscal_quarter_label(add_months(quarters[-1], 3), fy)
    last = panel[panel["t"] == n - 1].set_index("system_id")
    out = []
    for sid, r in last.iterrows():
        ok = sid in set(now["system_id"])
        mp = model_p.get(sid, np.nan)
        if not ok:
            shown, status, prob = None, f"not enough history (live for fewer than {min_q} complete quarters)", np.nan
        elif use_model:
            shown, status, prob = "model", "model: beat the base rate in backtest (Brier score)", mp
        else:
            shown, status, prob = "base rate", "base rate shown: the model did not beat it in backtest (Brier score)", \
                base_rate
        out.append({"system_id": sid, "system_name": r.system_name, "criticality_tier": r.criticality_tier,
                    "quarter": target, "probability": prob, "shown": shown, "status": status,
                    "model_probability": mp if ok else np.nan, "base_rate": base_rate if ok else np.nan,
                    "p1_p2_last_4_quarters": int(r.p1_p2_4q), "end_of_support": r.end_of_support,
                    "drivers": _drivers(r)})
    df = pd.DataFrame(out, columns=COLUMNS).sort_values(["probability", "system_id"], ascending=[False, True],
                                                        na_position="last").reset_index(drop=True)
    events = int(bt["actual"].sum()) if len(bt) else 0
    df.attrs.update(
        source=SOURCE,
        backtest={"forecasts": int(len(bt)), "events": events, "brier_model": brier_model,
                  "brier_base_rate": brier_base,
                  "brier_skill_pct": 100.0 * (1 - brier_model / brier_base) if brier_base else float("nan"),
                  "shown": "model" if use_model else "base rate",
                  "reliability": _reliability(bt, setting(cfg, "outage", "reliability_bins")) if len(bt) else []},
        note=(f"event: a P1/P{max_p} incident in {target}; backtest over {bt['origin'].nunique() if len(bt) else 0} "
              f"quarter ends, {len(bt)} forecasts, {events} events: Brier {brier_model:.4f} model vs "
              f"{brier_base:.4f} base rate" + ("" if use_model else "; the base rate is shown")),
    )
    return df


def outage_reliability(risk: pd.DataFrame) -> pd.DataFrame:
    """The reliability table of an ``outage_risk`` result: per bin of model probability the forecasts, mean
    predicted and observed frequency of a P1/P2 next quarter and the base rate (percent)."""
    rel = pd.DataFrame(risk.attrs.get("backtest", {}).get("reliability", []),
                       columns=["bin", "forecasts", "mean_predicted_pct", "observed_pct", "base_rate_pct"])
    rel.attrs["source"] = risk.attrs.get("source", SOURCE)
    return rel
