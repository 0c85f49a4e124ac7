"""Benefits realization: did a done initiative deliver what it promised, measured on its target systems against
comparable systems it did not touch (difference-in-differences), with an interval.

For each initiative with status ``done`` and a finish day (``finished_on``), four metrics on its targets and on its
controls, in equal windows before and after the finish day (``portfolio.realization.window_months``):

- incidents, P1/P2 incidents (priority 1 or 2) and outage minutes: per system-month (canceled tickets left out);
- risk points: per system, the mean of monthly snapshots (the first day of each month of the window) of the
  points the evidence counts for findings (``portfolio.evidence.risk_points``: open critical findings on PHI
  systems, open KEV-listed findings) plus ``portfolio.evidence.eos_points.past`` once past end of support.

Controls are the systems of the same category as a target (else of the same criticality tier) that no done
initiative finishing inside the windows targets (``min_controls`` at least). The estimate is
(after - before on the targets) - (after - before on the controls); the achieved reduction is minus that, as a
percent of the targets' before level, against the promised ``incident_reduction_pct`` (incidents, P1/P2) or
``outage_reduction_pct`` (outage minutes); risk points carry no promise. The realization ratio is achieved /
promised, clipped to ``ratio_bounds``. The interval is a percentile bootstrap: control systems (and target
systems) resampled with replacement, and each target's incident counts redrawn from their Poisson posterior
(Gamma(n + 1/2); outage minutes as the redrawn number of outages times their mean length), so an initiative with
one target still shows its own noise.

Missing is not zero: a window the incidents export (or, for risk points, the vulnerability scans) does not cover,
a window not over by the as-of day, no finish day, no targets or too few controls make a row not measurable with
the reason, never an estimate of 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from hitplan.models import attach_models
from hitplan.periods import add_months, feed_ranges
from hitplan.settings import Settings, load_settings

METRICS = ("incidents", "p1_p2_incidents", "outage_minutes", "risk_points")
UNITS = {"incidents": "incidents per system-month", "p1_p2_incidents": "P1/P2 incidents per system-month",
         "outage_minutes": "outage minutes per system-month", "risk_points": "risk points per system"}
PROMISE = {"incidents": "incident_reduction_pct", "p1_p2_incidents": "incident_reduction_pct",
           "outage_minutes": "outage_reduction_pct", "risk_points": None}
COUNTS = frozenset({"incidents", "p1_p2_incidents"})  # Poisson counts: a target's own noise is redrawn
COLUMNS = ["initiative_id", "name", "area", "finished_on", "metric", "unit", "before_start", "after_end",
           "targets", "controls", "control_basis", "target_before", "target_after", "control_before",
           "control_after", "did_estimate", "ci_low", "ci_high", "achieved_pct", "achieved_low_pct",
           "achieved_high_pct", "promised_pct", "realization_ratio", "ratio_low", "ratio_high", "measurable", "note"]
SOURCE = ("stg_initiatives (status, finished_on, target_systems, incident_reduction_pct, outage_reduction_pct); "
          "int_incidents (opened_at, priority, outage_minutes); int_vulnerabilities; stg_systems (category, "
          "criticality_tier, end_of_support); settings portfolio.realization and portfolio.evidence")

_COUNTS_SQL = """
with pairs as (select * from {pairs}),
windows as (select * from {windows}),
incidents as (
    select system_id, opened_at, priority, outage_minutes from int_incidents
    where system_id is not null and lifecycle <> 'canceled'
),
final as (
    select p.initiative_id, p.system_id, p.role,
        count(i.opened_at) filter (where i.opened_at < w.finished_on) as incidents_before,
        count(i.opened_at) filter (where i.opened_at >= w.finished_on) as incidents_after,
        count(i.opened_at) filter (where i.opened_at < w.finished_on and i.priority <= 2) as p1_p2_incidents_before,
        count(i.opened_at) filter (where i.opened_at >= w.finished_on and i.priority <= 2) as p1_p2_incidents_after,
        coalesce(sum(i.outage_minutes) filter (where i.opened_at < w.finished_on), 0) as outage_minutes_before,
        coalesce(sum(i.outage_minutes) filter (where i.opened_at >= w.finished_on), 0) as outage_minutes_after,
        count(i.opened_at) filter (where i.opened_at < w.finished_on and i.outage_minutes > 0) as outages_before,
        count(i.opened_at) filter (where i.opened_at >= w.finished_on and i.outage_minutes > 0) as outages_after
    from pairs p
    join windows w using (initiative_id)
    left join incidents i on i.system_id = p.system_id
        and i.opened_at >= w.before_start and i.opened_at < w.after_end
    group by all
)
select * from final
"""

_RISK_SQL = """
with pairs as (select * from {pairs}),
windows as (select * from {windows}),
snapshots as (
    -- the first day of each month of both windows: k = 0 .. 2W-1 from the before window's start
    select w.initiative_id, cast(w.before_start + to_months(cast(k as integer)) as date) as day,
        k < $months as is_before
    from windows w, range(0, 2 * $months) as r(k)
),
findings as (
    select system_id, severity, system_holds_phi, is_kev, first_seen,
        -- a finding no longer open without a fix time was closed by its last sighting at the latest
        coalesce(fixed_at, case when not is_open then last_seen end) as closed_at
    from int_vulnerabilities where system_id is not null
),
per_snapshot as (
    select p.initiative_id, p.system_id, p.role, s.day, s.is_before,
        $crit * count(f.first_seen) filter (where f.severity = 'critical' and f.system_holds_phi)
        + $kev * count(f.first_seen) filter (where f.is_kev)
        + case when sy.end_of_support < s.day then $eos else 0 end as points
    from pairs p
    join snapshots s using (initiative_id)
    left join stg_systems sy on sy.system_id = p.system_id
    left join findings f on f.system_id = p.system_id and f.first_seen < s.day
        and (f.closed_at is null or f.closed_at > s.day)
    group by p.initiative_id, p.system_id, p.role, s.day, s.is_before, sy.end_of_support
),
final as (
    select initiative_id, system_id, role,
        avg(points) filter (where is_before) as risk_points_before,
        avg(points) filter (where not is_before) as risk_points_after
    from per_snapshot group by all
)
select * from final
"""


def benefits_realization(con: duckdb.DuckDBPyConnection, as_of: dt.date, settings: Settings | None = None
                         ) -> pd.DataFrame:
    """One row per done initiative and metric: before/after levels on its targets and controls, the
    difference-in-differences (metric per system-month; risk points per system) with its interval, achieved and
    promised reduction (%) and their ratio, or not measurable with the reason (``note``)."""
    settings = settings or load_settings()
    attach_models(con)
    cfg = settings.group("portfolio", "realization")
    months = int(cfg["window_months"])
    done = con.execute("""
        select initiative_id, initiative_name as name, area, target_systems, finished_on,
            incident_reduction_pct, outage_reduction_pct
        from stg_initiatives where lower(trim(initiative_status)) = 'done' order by initiative_id
    """).df()
    systems = con.execute("select system_id, system_category, criticality_tier from stg_systems").df()
    if done.empty:
        return _frame([])
    done["targets"] = done["target_systems"].map(_split)
    done["finished_on"] = done["finished_on"].map(lambda d: None if pd.isna(d) else pd.Timestamp(d).date())
    done["before_start"] = done["finished_on"].map(lambda d: None if d is None else add_months(d, -months))
    done["after_end"] = done["finished_on"].map(lambda d: None if d is None else add_months(d, months))
    ranges = {r.feed: r for r in feed_ranges(con, ("incidents", "vulnerabilities"))}

    plans: dict[str, dict] = {}
    rows: list[dict] = []
    for r in done.itertuples(index=False):
        base = {"initiative_id": r.initiative_id, "name": r.name, "area": r.area, "finished_on": r.finished_on,
                "before_start": r.before_start, "after_end": r.after_end, "targets": len(r.targets)}
        reason = _initiative_reason(r, as_of, months)
        controls, basis = ([], "") if reason else _controls(r, done, systems, int(cfg["min_controls"]))
        if not reason and len(controls) < int(cfg["min_controls"]):
            reason = (f"only {len(controls)} comparable untouched systems (same category or criticality tier, not "
                      f"targeted by a done initiative finishing between {r.before_start} and {r.after_end}); "
                      f"at least {int(cfg['min_controls'])} needed")
        if reason:
            rows += [{**base, "metric": m, "controls": len(controls), "note": reason} for m in METRICS]
            continue
        plans[r.initiative_id] = {"base": {**base, "controls": len(controls), "control_basis": basis},
                                  "targets": r.targets, "controls": controls, "row": r}

    if plans:
        levels = _levels(con, plans, months, settings)
        rng = np.random.default_rng(int(cfg["seed"]))
        slack = int(cfg["coverage_slack_days"])
        for iid, plan in plans.items():
            r = plan["row"]
            for metric in METRICS:
                if metric == "risk_points":  # snapshots: the last is on the after window's last first-of-month
                    last = add_months(r.after_end, -1)
                    gap = _coverage_gap(ranges.get("vulnerabilities"), "vulnerability scans", r.before_start, last,
                                        f"the monthly snapshots {r.before_start} to {last}", slack)
                else:
                    gap = _coverage_gap(ranges.get("incidents"), "incidents export", r.before_start,
                                        r.after_end - dt.timedelta(days=1),
                                        f"the windows {r.before_start} to {r.after_end}", slack)
                if gap:
                    rows.append({**plan["base"], "metric": metric, "note": gap})
                    continue
                promised = getattr(r, PROMISE[metric]) if PROMISE[metric] else None
                rows.append({**plan["base"], "metric": metric,
                             **_estimate(levels[levels["initiative_id"] == iid], metric, months, promised, cfg, rng,
                                         plan["base"]["control_basis"])})
    order = {m: k for k, m in enumerate(METRICS)}
    rows.sort(key=lambda x: (str(x["initiative_id"]), order[x["metric"]]))
    return _frame(rows)


def area_confidence_factors(realized: pd.DataFrame, settings: Settings | None = None) -> dict[str, float]:
    """Per area, the factor (bounded, about 1) its done initiatives' track record applies to the confidence of its
    open initiatives: the mean realization ratio of the area's initiatives (each the mean of its measurable
    ratios), shrunk toward 1 by ``confidence_prior_cases`` pseudo-cases; areas without a measured ratio are left out
    (their confidence stays as entered)."""
    settings = settings or load_settings()
    cfg = settings.group("portfolio", "realization")
    k = float(cfg["confidence_prior_cases"])
    lo, hi = (float(x) for x in cfg["confidence_factor_bounds"])
    if realized.empty:
        return {}
    ok = realized[realized["measurable"].astype(bool) & realized["realization_ratio"].notna()]
    per_initiative = ok.groupby(["area", "initiative_id"])["realization_ratio"].mean()
    out = {}
    for area, ratios in per_initiative.groupby(level="area"):
        n = len(ratios)
        out[str(area)] = float(min(hi, max(lo, (n * ratios.mean() + k) / (n + k))))
    return out


def _split(text: object) -> list[str]:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return []
    return sorted({t.strip() for t in str(text).split(";") if t.strip()})


def _initiative_reason(r, as_of: dt.date, months: int) -> str:
    """Why a done initiative cannot be measured whatever the data (no finish day, no targets, window not over)."""
    if r.finished_on is None:
        return "no finish day (finished_on) given: the before and after windows are unknown"
    if not r.targets:
        return "no target systems named: nothing to measure on"
    if r.after_end > as_of + dt.timedelta(days=1):
        return (f"the {months}-month after window runs to {r.after_end}, past the data's end ({as_of}): "
                "measurable once it is over")
    return ""


def _controls(r, done: pd.DataFrame, systems: pd.DataFrame, enough: int) -> tuple[list[str], str]:
    """Comparable systems no done initiative finishing inside the windows touched: same category as a target,
    else same criticality tier (untiered as 3); and which basis was used."""
    touched = set(r.targets)
    inside = done[done["finished_on"].map(lambda d: d is not None and r.before_start <= d < r.after_end)]
    for t in inside["targets"]:
        touched.update(t)
    known = systems[systems["system_id"].isin(r.targets)]
    free = systems[~systems["system_id"].isin(touched)]
    same_category = sorted(free.loc[free["system_category"].isin(known["system_category"].dropna()), "system_id"])
    if len(same_category) >= enough or known.empty:
        return same_category, "same category"
    tiers = known["criticality_tier"].fillna(3)
    same_tier = sorted(free.loc[free["criticality_tier"].fillna(3).isin(tiers), "system_id"])
    if len(same_tier) > len(same_category):
        return same_tier, "same criticality tier"
    return same_category, "same category"


def _levels(con: duckdb.DuckDBPyConnection, plans: Mapping[str, dict], months: int, settings: Settings
            ) -> pd.DataFrame:
    """Per initiative and system (role target or control): each metric's total before and after (incidents and
    minutes summed over the window, risk points averaged over the monthly snapshots)."""
    pairs = [(iid, sid, role) for iid, p in plans.items() for role in ("target", "control") for sid in p[role + "s"]]
    windows = [(iid, p["row"].before_start, p["row"].finished_on, p["row"].after_end) for iid, p in plans.items()]
    # the small lists travel as parameters (no registered frames, so no temporary names on the caller's connection)
    params = {"p_ids": [x[0] for x in pairs], "p_systems": [x[1] for x in pairs], "p_roles": [x[2] for x in pairs],
              "w_ids": [x[0] for x in windows], "w_before": [x[1] for x in windows],
              "w_finish": [x[2] for x in windows], "w_after": [x[3] for x in windows]}
    names = {"pairs": "(select unnest($p_ids) as initiative_id, unnest($p_systems) as system_id, "
                      "unnest($p_roles) as role)",
             "windows": "(select unnest($w_ids) as initiative_id, "
                        "cast(unnest($w_before) as timestamp) as before_start, "
                        "cast(unnest($w_finish) as timestamp) as finished_on, "
                        "cast(unnest($w_after) as timestamp) as after_end)"}
    points = settings.value("portfolio", "evidence", "risk_points")
    eos = settings.value("portfolio", "evidence", "eos_points")
    counts = con.execute(_COUNTS_SQL.format(**names), params).df()
    risk = con.execute(_RISK_SQL.format(**names), {
        **params, "months": months, "crit": float(points["open_critical_phi"]), "kev": float(points["open_kev"]),
        "eos": float(eos["past"])}).df()
    return counts.merge(risk, on=["initiative_id", "system_id", "role"], how="left")


def _coverage_gap(feed_range, what: str, first: dt.date, last: dt.date, label: str, slack: int) -> str:
    """Why a feed does not cover the days ``first`` to ``last`` (its first and last event days within ``slack``
    days of them), or '': an export that stops inside the after window would read as fewer incidents, a false
    success."""
    if feed_range is None:
        return f"no {what} in the store: {label} cannot be measured"
    if feed_range.first > first + dt.timedelta(days=slack) or feed_range.last < last - dt.timedelta(days=slack):
        return f"the {what} runs from {feed_range.first} to {feed_range.last} and does not cover {label}"
    return ""


def _estimate(levels: pd.DataFrame, metric: str, months: int, promised: float | None, cfg: Mapping,
              rng: np.random.Generator, basis: str) -> dict:
    """The difference-in-differences of one metric with its bootstrap interval, achieved % and ratio."""
    per = 1.0 if metric == "risk_points" else float(months)  # totals -> per system-month; risk points are levels
    t = levels[levels["role"] == "target"]
    c = levels[levels["role"] == "control"]
    tb, ta = (t[f"{metric}_{w}"].astype(float).to_numpy() for w in ("before", "after"))
    cb, ca = (c[f"{metric}_{w}"].astype(float).to_numpy() for w in ("before", "after"))
    did = ((ta.mean() - tb.mean()) - (ca.mean() - cb.mean())) / per + 0.0  # + 0.0: no "-0.0" shown
    n = int(cfg["bootstrap_samples"])
    ic = rng.integers(0, len(cb), (n, len(cb)))
    it = rng.integers(0, len(tb), (n, len(tb)))
    tb_s, ta_s = tb[it], ta[it]
    if metric in COUNTS:
        tb_s, ta_s = _redrawn(tb_s, rng), _redrawn(ta_s, rng)
    elif metric == "outage_minutes":
        # the number of outages is redrawn, each lasting the window's mean (a window without outages: the mean of
        # both windows), so one short outage before and none after does not read as a certain 100 % cut
        ob, oa = (t[f"outages_{w}"].astype(float).to_numpy()[it] for w in ("before", "after"))
        with np.errstate(divide="ignore", invalid="ignore"):
            pooled = np.where(ob + oa > 0, (tb_s + ta_s) / (ob + oa), 0.0)
            tb_s = _redrawn(ob, rng) * np.where(ob > 0, tb_s / ob, pooled)
            ta_s = _redrawn(oa, rng) * np.where(oa > 0, ta_s / oa, pooled)
    did_s = ((ta_s.mean(axis=1) - tb_s.mean(axis=1)) - (ca[ic].mean(axis=1) - cb[ic].mean(axis=1))) / per
    tail = (1 - float(cfg["interval"])) / 2 * 100
    out = {"unit": UNITS[metric], "target_before": tb.mean() / per, "target_after": ta.mean() / per,
           "control_before": cb.mean() / per, "control_after": ca.mean() / per, "did_estimate": did,
           "ci_low": float(np.percentile(did_s, tail)), "ci_high": float(np.percentile(did_s, 100 - tail)),
           "measurable": True}
    notes = [f"{UNITS[metric]}; {len(tb)} target{'s' * (len(tb) != 1)} against {len(cb)} untouched "
             f"system{'s' * (len(cb) != 1)} ({basis})"]
    base = tb.mean() / per
    if base <= 0:
        notes.append("none on the targets before: no reduction to measure in percent")
        return {**out, "note": "; ".join(notes)}
    with np.errstate(divide="ignore", invalid="ignore"):
        ach_s = np.where(tb_s.mean(axis=1) > 0, -did_s * per / tb_s.mean(axis=1) * 100, np.nan)
    out.update(achieved_pct=-did / base * 100 + 0.0, achieved_low_pct=float(np.nanpercentile(ach_s, tail)),
               achieved_high_pct=float(np.nanpercentile(ach_s, 100 - tail)))
    if promised is None or pd.isna(promised) or float(promised) <= 0:
        notes.append("no promised reduction: no realization ratio")
        return {**out, "promised_pct": None if promised is None or pd.isna(promised) else float(promised),
                "note": "; ".join(notes)}
    lo, hi = (float(x) for x in cfg["ratio_bounds"])
    ratio_s = np.clip(ach_s / float(promised), lo, hi)
    out.update(promised_pct=float(promised),
               realization_ratio=float(np.clip(out["achieved_pct"] / float(promised), lo, hi)),
               ratio_low=float(np.nanpercentile(ratio_s, tail)),
               ratio_high=float(np.nanpercentile(ratio_s, 100 - tail)))
    return {**out, "note": "; ".join(notes)}


def _redrawn(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each count redrawn from its Jeffreys posterior Gamma(n + 1/2): Poisson noise, also around a count of 0."""
    return rng.gamma(counts + 0.5)


def _frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["measurable"] = df["measurable"].astype(object).fillna(False).astype(bool)
    for c in ("targets", "controls"):
        df[c] = df[c].fillna(0).astype(int)
    for c in COLUMNS[COLUMNS.index("target_before"):COLUMNS.index("measurable")]:
        df[c] = df[c].astype(float)
    df["control_basis"] = df["control_basis"].astype(object).fillna("").astype(str)
    df.attrs["source"] = SOURCE
    return df
