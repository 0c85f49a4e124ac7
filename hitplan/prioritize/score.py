"""The `hitplan score` workflow: evidence from the store -> scores and ranks with their reasons and
robustness -> a funded portfolio and roadmap within the budgets."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from hitplan.errors import UsageError
from hitplan.periods import Period, fiscal_year_start, fiscal_year_start_month
from hitplan.prioritize.criteria import Criteria
from hitplan.prioritize.evidence import initiative_evidence
from hitplan.prioritize.methods import contributions, normalized, rank, topsis, weighted_sum
from hitplan.prioritize.portfolio import Portfolio, solve_portfolio
from hitplan.prioritize.sensitivity import rank_acceptability, weight_samples

METHODS = {"weighted_sum": weighted_sum, "topsis": topsis}


def ranked_initiatives(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    criteria: Criteria,
    *,
    method: str = "weighted_sum",
    samples: int = 2000,
    spread: float = 0.05,
    seed: int = 7,
) -> pd.DataFrame:
    """Open initiatives ranked by ``method`` (score 0-1), with the three criteria that contribute most and the
    probability (under weight uncertainty) of ranking in the top quartile."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; use {', '.join(METHODS)}")
    evidence, _ = initiative_evidence(con, period)
    if evidence.empty:
        return evidence
    matrix = evidence.set_index("initiative_id")[list(criteria.names)]
    scores = METHODS[method](matrix, criteria)
    parts = contributions(matrix, criteria)
    why = parts.apply(lambda r: ", ".join(f"{c} {v:.2f}" for c, v in r.sort_values(ascending=False).head(3).items()),
                      axis=1)
    rng = np.random.default_rng(seed)
    acceptability = rank_acceptability(normalized(matrix, criteria).to_numpy(),
                                       weight_samples(criteria.weight_array, samples, spread, rng))
    quartile = max(1, int(np.ceil(len(matrix) / 4)))
    out = evidence.set_index("initiative_id")[["name", "area", "capex", "opex_per_year", "financial_npv",
                                               "payback_years"]].copy()
    out["score"] = scores
    out["rank"] = rank(scores)
    out["p_top_quartile"] = acceptability[:, :quartile].sum(axis=1)
    out["why"] = why
    out = out.sort_values("rank").reset_index()
    out.attrs["source"] = evidence.attrs.get("source", "") + f"; criteria weights: {dict(zip(criteria.names, criteria.weights))}"
    return out


def load_budgets(path: Path) -> pd.DataFrame:
    """Budgets per fiscal year from a YAML file ({FY2028: {capex: .., opex: .., hours: ..}, ...}), in order."""
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read budgets file {path}: {exc}") from exc
    years = spec.get("budgets", spec)
    bad = [k for k in years if not re.fullmatch(r"FY\d{4}", str(k))]
    if bad or not years:
        raise UsageError(f"budgets file {path}: give fiscal years like FY2028 with capex, opex and hours (got {bad or 'nothing'})")
    frame = pd.DataFrame.from_dict(years, orient="index")
    return frame.loc[sorted(frame.index)]


def funded_portfolio(
    con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, budgets: pd.DataFrame, *, time_limit: float = 60.0
) -> Portfolio:
    """The portfolio maximizing total score within the budgets, starting at the first budgeted fiscal year."""
    start_month = fiscal_year_start_month(con)
    first = fiscal_year_start(int(str(budgets.index[0])[2:]), start_month)
    rows = con.execute(
        "select initiative_id, coalesce(duration_quarters, 1), coalesce(capex, 0), coalesce(opex_per_year, 0), "
        "coalesce(staff_hours, 0), earliest_start, coalesce(mandatory, false), depends_on, excludes from initiatives"
    ).fetchall()
    details = {r[0]: r[1:] for r in rows}
    open_ids = set(ranking["initiative_id"])
    items = []
    for r in ranking.itertuples(index=False):
        duration, capex, opex, hours, earliest, mandatory, deps, excl = details[r.initiative_id]
        quarter = 0 if earliest is None else max(0, ((earliest.year - first.year) * 12 + earliest.month - first.month) // 3)
        items.append({
            "name": r.initiative_id, "value": float(r.score), "duration": int(duration), "capex": float(capex),
            "opex": float(opex), "hours": float(hours), "earliest_start": quarter, "mandatory": bool(mandatory),
            # dependencies on initiatives already done or rejected are met, not candidates
            "depends_on": ",".join(d.strip() for d in (deps or "").split(";") if d.strip() in open_ids),
            "excludes": ",".join(d.strip() for d in (excl or "").split(";") if d.strip() in open_ids),
        })
    labels = [f"FY{int(str(budgets.index[0])[2:]) + q // 4}Q{q % 4 + 1}" for q in range(4 * len(budgets))]
    portfolio = solve_portfolio(pd.DataFrame(items), budgets, horizon_quarters=4 * len(budgets), time_limit=time_limit)
    portfolio.quarter_labels[:] = labels
    return portfolio
