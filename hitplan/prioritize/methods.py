"""Scoring methods over a criteria matrix (one row per initiative, one column per criterion): normalization,
weighted sum, TOPSIS, WSJF, RICE, per-criterion contributions and ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hitplan.errors import UsageError
from hitplan.prioritize.criteria import Criteria

CONSTANT_COLUMN_VALUE = 0.5


def _checked(matrix: pd.DataFrame, criteria: Criteria) -> np.ndarray:
    missing = [c for c in criteria.names if c not in matrix.columns]
    if missing:
        raise UsageError(f"criteria matrix lacks columns {', '.join(missing)}")
    if not matrix.index.is_unique:
        raise UsageError("criteria matrix has repeated initiative names in its index")
    x = matrix[list(criteria.names)].to_numpy(dtype=float)
    if not np.all(np.isfinite(x)):
        i, j = np.argwhere(~np.isfinite(x))[0]
        raise UsageError(f"criteria matrix has no value for {matrix.index[i]} / {criteria.names[j]}: "
                         "fill it (or score it 0 with a note) before ranking")
    return x


def normalized_array(x: np.ndarray, is_cost: np.ndarray) -> np.ndarray:
    """Min-max scaled values in [0, 1] where 1 is best (cost columns reversed); constant columns give 0.5.
    ``x`` is initiatives x criteria, or samples x initiatives x criteria (each sample scaled on its own)."""
    lo, hi = x.min(axis=-2, keepdims=True), x.max(axis=-2, keepdims=True)
    span = hi - lo
    flat = span == 0
    # A constant column cannot tell initiatives apart: 0.5 (neither best nor worst) keeps the ranking
    # unchanged, as any constant would, without claiming every initiative is worst (0) or best (1) on it.
    z = np.where(flat, CONSTANT_COLUMN_VALUE, (x - lo) / np.where(flat, 1.0, span))
    return np.where(is_cost & ~flat, 1.0 - z, z)


def normalized(matrix: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """The criteria matrix min-max scaled to [0, 1] per criterion, 1 = best whatever the direction."""
    z = normalized_array(_checked(matrix, criteria), criteria.is_cost)
    return pd.DataFrame(z, index=matrix.index, columns=list(criteria.names))


def contributions(matrix: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """Each initiative's points per criterion (normalized value x weight); a row sums to its weighted-sum score."""
    return normalized(matrix, criteria) * criteria.weight_array


def benefit_per_dollar(benefit, cost, per: float = 100_000.0) -> np.ndarray:
    """Benefit score points per ``per`` US$ of cost (default per $100k); blank where the cost is 0 or unknown."""
    b, c = np.asarray(benefit, dtype=float), np.asarray(cost, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(c) & (c > 0), b / np.where(c > 0, c, 1.0) * per, np.nan)


def weighted_sum(matrix: pd.DataFrame, criteria: Criteria) -> pd.Series:
    """Each initiative's weighted-sum score in [0, 1] over min-max normalized criteria."""
    return contributions(matrix, criteria).sum(axis=1).rename("score")


def topsis(matrix: pd.DataFrame, criteria: Criteria) -> pd.Series:
    """Each initiative's TOPSIS closeness to the ideal in [0, 1] (vector normalization, weighted)."""
    x = _checked(matrix, criteria)
    norm = np.sqrt((x**2).sum(axis=0))
    v = x / np.where(norm == 0, 1.0, norm) * criteria.weight_array
    cost = criteria.is_cost
    ideal = np.where(cost, v.min(axis=0), v.max(axis=0))
    anti = np.where(cost, v.max(axis=0), v.min(axis=0))
    d_best = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    d_worst = np.sqrt(((v - anti) ** 2).sum(axis=1))
    total = d_best + d_worst
    # all initiatives identical: equally near both poles
    closeness = np.where(total == 0, 0.5, d_worst / np.where(total == 0, 1.0, total))
    return pd.Series(closeness, index=matrix.index, name="closeness")


def _positive(name: str, values: np.ndarray) -> np.ndarray:
    if np.any(~np.isfinite(values) | (values <= 0)):
        raise UsageError(f"{name} must be a positive number for every initiative")
    return values


def wsjf(value, time_criticality, risk_reduction, job_size) -> np.ndarray:
    """SAFe weighted shortest job first: (value + time criticality + risk reduction) / job size (per unit size)."""
    size = _positive("job_size", np.asarray(job_size, dtype=float))
    return (np.asarray(value, float) + np.asarray(time_criticality, float) + np.asarray(risk_reduction, float)) / size


def rice(reach, impact, confidence, effort) -> np.ndarray:
    """Intercom RICE score: reach x impact x confidence / effort (reach units per effort unit, e.g. per person-month)."""
    eff = _positive("effort", np.asarray(effort, dtype=float))
    conf = np.asarray(confidence, dtype=float)
    if np.any((conf < 0) | (conf > 1)):
        raise UsageError("confidence must be a share between 0 and 1 (e.g. 0.8 for 80 %)")
    return np.asarray(reach, float) * np.asarray(impact, float) * conf / eff


def rank(scores: pd.Series, method: str = "ordinal") -> pd.Series:
    """Ranks (1 = highest score): 'ordinal' breaks ties by initiative name, 'dense' gives ties one rank."""
    if method not in ("ordinal", "dense"):
        raise UsageError(f"rank method must be 'ordinal' or 'dense', got {method!r}")
    frame = pd.DataFrame({"score": scores.to_numpy(dtype=float), "name": scores.index.astype(str)},
                         index=scores.index)
    ordered = frame.sort_values(["score", "name"], ascending=[False, True], kind="stable")
    if method == "ordinal":
        ranks = pd.Series(np.arange(1, len(ordered) + 1), index=ordered.index)
    else:
        ranks = pd.Series(ordered["score"].ne(ordered["score"].shift()).cumsum().to_numpy(), index=ordered.index)
    return ranks.reindex(scores.index).astype(int).rename("rank")
