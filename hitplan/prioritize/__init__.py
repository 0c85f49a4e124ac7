"""Prioritization: score technology initiatives on weighted criteria, test how robust the ranking is to the
weights, and choose the portfolio and its start quarters under budgets.

Pure functions over a criteria matrix (one row per initiative, one column per criterion); the evidence
matrix itself is computed from the store elsewhere. Default criteria and weights live in
``hitplan/prioritize/criteria.yaml``, each with its source.
"""

from __future__ import annotations

from hitplan.prioritize.ahp import ahp_weights
from hitplan.prioritize.criteria import Criteria, load_criteria
from hitplan.prioritize.methods import (
    contributions, normalized, rank, rice, topsis, weighted_sum, wsjf,
)
from hitplan.prioritize.portfolio import (
    Discount, Initiative, InfeasiblePortfolio, Portfolio, compare_scenarios, efficient_frontier, load_discount,
    solve_portfolio,
)
from hitplan.prioritize.sensitivity import (
    central_weights, funded_probability, rank_acceptability, tornado, weight_samples,
)

__all__ = [
    "Criteria", "load_criteria", "ahp_weights", "normalized", "weighted_sum", "topsis", "wsjf", "rice",
    "contributions", "rank", "weight_samples", "rank_acceptability", "central_weights", "funded_probability",
    "tornado", "Initiative", "Portfolio", "InfeasiblePortfolio", "solve_portfolio", "efficient_frontier",
    "compare_scenarios", "Discount", "load_discount",
]
