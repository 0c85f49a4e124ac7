"""One prioritization run, for `hitplan score` and the reports alike: the evidence from the store, the ranking with
its robustness, the funded portfolio within the budgets, and on request how value grows with the capital budget
(the frontier), which weights move the ranking (tornado, rank acceptability) and what-if scenarios side by side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from hitplan.periods import Period, add_months
from hitplan.prioritize.criteria import Criteria, scoring_criteria
from hitplan.prioritize.methods import normalized
from hitplan.prioritize.portfolio import Discount, InfeasiblePortfolio, Portfolio, load_discount, marginal_values
from hitplan.prioritize.realization import area_confidence_factors, benefits_realization
from hitplan.prioritize.score import (
    Scenario, ScenarioComparison, funded_portfolio, portfolio_items, ranked_initiatives, scenario_comparison,
)
from hitplan.prioritize.sensitivity import rank_acceptability, tornado, weight_samples
from hitplan.settings import Settings

EVIDENCE_MONTHS = 12  # the reports weigh initiatives on a year of evidence to the period's end (a year's incidents)
NO_INITIATIVES = "no open initiatives in the store"


def evidence_period(period: Period) -> Period:
    """The twelve months ending with the period, over which initiative evidence counts (a year's incidents)."""
    start = (add_months(period.end, -EVIDENCE_MONTHS) if period.end.day == 1
             else period.end - dt.timedelta(days=365))
    if period.days >= 360:
        return period
    return Period(f"{EVIDENCE_MONTHS} months to {period.last_day:%Y-%m-%d}", start, period.end)


@dataclass
class Prioritization:
    """The ranking, the funded portfolio and what goes with it, computed once for the command and the sections.

    ``portfolio`` is None without budgets or when the mandatory initiatives do not fit them (``infeasible`` then
    holds the reason, ``note`` says it in a sentence); ``frontier``, ``tornado``, ``acceptability`` and
    ``comparison`` are None unless asked for."""

    period: Period
    ranking: pd.DataFrame
    evidence: pd.DataFrame
    budgets: pd.DataFrame | None
    portfolio: Portfolio | None
    frontier: pd.DataFrame | None
    tornado: pd.DataFrame | None
    acceptability: pd.DataFrame | None
    note: str = ""
    comparison: ScenarioComparison | None = None
    infeasible: InfeasiblePortfolio | None = None
    plan_start: dt.date | None = None  # the day the plan may start from (the day after the evidence period)
    marginal: pd.DataFrame | None = None  # what +10 % / +25 % of each binding budget line buys (when asked)
    realized: pd.DataFrame | None = None  # benefits realization of done initiatives
    confidence_factors: dict | None = None  # per area, from the realized ratios, applied to open initiatives


def _frontier(con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, budgets: pd.DataFrame, scales: Sequence[float],
              budget_file: str | Path | None, time_limit: float, discount: Discount | None = None,
              settings: Settings | None = None, plan_start: dt.date | None = None,
              base: Portfolio | None = None) -> pd.DataFrame:
    """The funded portfolio's value and size with the capital budgets scaled by each of ``scales``."""
    rows = []
    for sc in scales:
        capex = float(budgets["capex"].sum() * sc)
        try:
            pf = base if sc == 1 and base is not None else funded_portfolio(
                con, ranking, budgets.assign(capex=budgets["capex"] * sc), time_limit=time_limit, discount=discount,
                settings=settings, plan_start=plan_start)
            rows.append({"scale": sc, "capex_budget_usd": capex, "value": pf.value, "n_chosen": len(pf.chosen)})
        except InfeasiblePortfolio as err:
            rows.append({"scale": sc, "capex_budget_usd": capex, "value": np.nan, "n_chosen": 0, "note": str(err)})
    frontier = pd.DataFrame(rows)
    frontier.attrs["source"] = f"funded_portfolio at capital budgets x {list(scales)}: {budget_file}"
    return frontier


def _sensitivity(evidence: pd.DataFrame, criteria: Criteria, samples: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(tornado: the ranking's swing per criterion weight; rank acceptability: how often each initiative takes
    each rank over ``samples`` weight draws)."""
    criteria, _ = scoring_criteria(criteria, evidence.columns)  # the criteria the ranking scores with
    m = evidence.set_index("initiative_id")[list(criteria.names)]
    z = normalized(m, criteria).to_numpy()
    torn = tornado(z, criteria.weight_array, list(m.index), criteria.names)
    a = rank_acceptability(z, weight_samples(criteria.weight_array, samples, 0.05, np.random.default_rng(seed)))
    return torn, pd.DataFrame(a, index=list(m.index))


def prioritize(con: duckdb.DuckDBPyConnection, period: Period, criteria: Criteria, budgets: pd.DataFrame | None = None,
               *, evidence: pd.DataFrame, budget_file: str | Path | None = None, method: str = "weighted_sum",
               samples: int = 2000, seed: int = 7, time_limit: float = 60.0, frontier_scales: Sequence[float] = (),
               sensitivity: bool = False, scenarios: Sequence[Scenario] = (),
               settings: Settings | None = None, plan_start: dt.date | None = None, marginal: bool = False,
               realization: bool = True) -> Prioritization:
    """Rank the open initiatives on their ``evidence`` over ``period`` (the criteria matrix of
    ``hitplan.prioritize.evidence.initiative_evidence``) and fund the best portfolio within ``budgets`` (per fiscal
    year, from ``budget_file``); with ``frontier_scales`` also at scaled capital budgets, with ``sensitivity`` the
    tornado and rank acceptability, with ``scenarios`` their portfolios side by side, with ``marginal`` what more of
    each binding budget line would buy (re-solved); the delay discount and urgency come from ``settings`` (None: the
    shipped ones). The plan starts in the first fiscal quarter on or after ``plan_start`` (None: the day after the
    period). With ``realization``, done initiatives' benefits are measured (``benefits_realization``) and each
    area's realization ratio scales the confidence of its open initiatives before they are ranked."""
    discount = load_discount(settings)
    plan_start = plan_start or period.end
    realized = factors = None
    if realization:
        realized = benefits_realization(con, period.last_day, settings)
        factors = area_confidence_factors(realized, settings)
        if factors and "confidence" in evidence.columns:
            f = evidence["area"].map(factors).fillna(1.0)
            evidence = evidence.assign(confidence_entered=evidence["confidence"],
                                       confidence=(evidence["confidence"] * f).clip(upper=1.0))
    ranking = ranked_initiatives(con, period, criteria, method=method, samples=samples, seed=seed, evidence=evidence,
                                 settings=settings)
    if ranking.empty:
        return Prioritization(period, ranking, evidence, None, None, None, None, None, NO_INITIATIVES,
                              plan_start=plan_start, realized=realized, confidence_factors=factors)
    portfolio = frontier = comparison = infeasible = extra = None
    note = ""
    if budgets is not None:
        try:
            portfolio = funded_portfolio(con, ranking, budgets, time_limit=time_limit, discount=discount,
                                         settings=settings, plan_start=plan_start)
        except InfeasiblePortfolio as err:
            infeasible = err
            where = f" in {Path(budget_file).name}" if budget_file else ""
            note = f"the mandatory initiatives do not fit the budgets{where}: {err}"
        if portfolio is not None and frontier_scales:
            frontier = _frontier(con, ranking, budgets, frontier_scales, budget_file, time_limit, discount, settings,
                                 plan_start, portfolio)
        if portfolio is not None and marginal:
            items, start_month = portfolio_items(con, ranking, budgets, settings=settings, plan_start=plan_start)
            extra = marginal_values(items, budgets, base=portfolio, discount=discount, time_limit=time_limit,
                                    plan_start=plan_start, fiscal_start_month=start_month)
        if portfolio is not None and scenarios:
            comparison = scenario_comparison(con, period, criteria, budgets, scenarios, method=method, samples=samples,
                                             seed=seed, time_limit=time_limit, evidence=evidence, discount=discount,
                                             settings=settings, plan_start=plan_start)
    torn = acc = None
    if sensitivity:
        torn, acc = _sensitivity(evidence, criteria, samples, seed)
    return Prioritization(period, ranking, evidence, budgets, portfolio, frontier, torn, acc, note, comparison,
                          infeasible, plan_start, extra, realized, factors)
