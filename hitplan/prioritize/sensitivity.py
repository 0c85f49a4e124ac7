"""How robust a ranking is to the weights and the effect estimates: Dirichlet weight samples around the chosen
weights, Beta-PERT draws of criterion values given as low / likely / high (SMAA rank acceptability, central
weights, chance of being funded) and one-at-a-time tornado swings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hitplan.errors import UsageError
from hitplan.prioritize.methods import rank

CHUNK_ROWS = 2048  # weight samples scored per block: bounds memory to CHUNK_ROWS x initiatives floats
PERT_LAMBDA = 4.0  # the classic PERT weight of the most likely value (mean = (low + 4 likely + high) / 6)


def weight_samples(weights: np.ndarray, n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` weight vectors (rows summing to 1) from a Dirichlet whose mean is ``weights``; spread ~ variance scale."""
    w = np.asarray(weights, dtype=float)
    if spread <= 0:
        raise UsageError(f"spread must be > 0 (0.05 = tight, 0.5 = loose), got {spread}")
    if np.any(w < 0) or abs(w.sum() - 1) > 1e-6:
        raise UsageError(f"weights must be >= 0 and sum to 1, got sum {w.sum():.6g}")
    # Dirichlet(alpha = w / spread): mean w, Var(w_j) = w_j (1 - w_j) * spread / (1 + spread). Drawn as
    # normalized gammas so a zero weight stays exactly zero (numpy's dirichlet refuses alpha = 0).
    g = rng.standard_gamma(w / spread, size=(n, w.size))
    return g / g.sum(axis=1, keepdims=True)


def pert_samples(likely: np.ndarray, low: np.ndarray, high: np.ndarray, n: int, rng: np.random.Generator,
                 lam: float = PERT_LAMBDA) -> np.ndarray:
    """``n`` draws (rows) per value (columns) from the Beta-PERT distribution over low / likely / high: low +
    (high - low) x Beta(1 + lam (likely - low) / (high - low), 1 + lam (high - likely) / (high - low)), mean (low
    + 4 likely + high) / 6 (Malcolm, Roseboom, Clark and Fazar 1959; Vose, Risk Analysis, 3rd ed. 2008, ch. 9).
    A blank end counts as the likely value; where low = high every draw is the likely value."""
    m = np.asarray(likely, dtype=float).ravel()
    lo = np.asarray(low, dtype=float).ravel()
    hi = np.asarray(high, dtype=float).ravel()
    # ends on the wrong side of the likely value would give negative Beta shapes: the range always holds it
    a = np.where(np.isnan(lo), m, np.minimum(lo, m))
    b = np.where(np.isnan(hi), m, np.maximum(hi, m))
    out = np.broadcast_to(m, (n, m.size)).copy()
    ranged = b - a > 0
    if ranged.any():
        span = (b - a)[ranged]
        alpha = 1 + lam * (m[ranged] - a[ranged]) / span
        beta = 1 + lam * (b[ranged] - m[ranged]) / span
        out[:, ranged] = a[ranged] + rng.beta(alpha, beta, size=(n, int(ranged.sum()))) * span
    return out


def _orders(norm_matrix: np.ndarray, samples: np.ndarray):
    """Per block of samples: the initiatives from best to worst (ties keep matrix row order) and the scores.
    ``norm_matrix`` is one matrix (initiatives x criteria) or one per sample (samples x initiatives x criteria)."""
    z = np.asarray(norm_matrix, dtype=float)
    for start in range(0, len(samples), CHUNK_ROWS):
        w = samples[start:start + CHUNK_ROWS]
        scores = w @ z.T if z.ndim == 2 else np.einsum("sk,smk->sm", w, z[start:start + CHUNK_ROWS])
        yield np.argsort(-scores, axis=1, kind="stable"), scores


def rank_acceptability(norm_matrix: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Share of weight samples (0..1) in which initiative i takes rank r + 1: shape initiatives x ranks.
    ``norm_matrix``: one normalized matrix, or one per sample (samples x initiatives x criteria) when the values
    are drawn too (``pert_samples``)."""
    m = np.asarray(norm_matrix).shape[-2]
    counts = np.zeros(m * m, dtype=np.int64)
    for order, _ in _orders(norm_matrix, samples):
        # order[s, r] = initiative at rank r in sample s -> count the (initiative, rank) cells
        cells = order * m + np.arange(m)[None, :]
        counts += np.bincount(cells.ravel(), minlength=m * m)
    return counts.reshape(m, m) / len(samples)


def central_weights(norm_matrix: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Mean weight vector of the samples in which each initiative ranks first (NaN row if it never does)."""
    m, k = np.asarray(norm_matrix).shape[-2:]
    sums, counts = np.zeros((m, k)), np.zeros(m)
    at = 0
    for order, _ in _orders(norm_matrix, samples):
        first = order[:, 0]
        np.add.at(sums, first, samples[at:at + len(first)])
        counts += np.bincount(first, minlength=m)
        at += len(first)
    with np.errstate(invalid="ignore"):
        return sums / counts[:, None]


def funded_probability(norm_matrix: np.ndarray, samples: np.ndarray, costs: np.ndarray, budget: float) -> np.ndarray:
    """Share of weight samples (0..1) in which each initiative is funded by greedy-by-score within ``budget``."""
    c = np.asarray(costs, dtype=float)
    funded = np.zeros(c.size)
    for order, _ in _orders(norm_matrix, samples):
        spent = np.zeros(len(order))
        # Greedy skips what does not fit and keeps going: a loop over rank positions (bounded by the number
        # of initiatives), vectorized over samples.
        for r in range(order.shape[1]):
            who = order[:, r]
            fits = spent + c[who] <= budget
            spent += np.where(fits, c[who], 0.0)
            np.add.at(funded, who[fits], 1.0)
    return funded / len(samples)


def _shifted(weights: np.ndarray, j: int, factor: float) -> np.ndarray:
    """Weights with w_j scaled by ``factor`` (capped at 1) and the others rescaled proportionally to sum to 1."""
    w = weights.copy()
    new = min(1.0, w[j] * factor)
    rest = 1.0 - w[j]
    w[np.arange(w.size) != j] *= (1.0 - new) / rest if rest > 0 else 0.0
    w[j] = new
    return w


def tornado(norm_matrix: np.ndarray, weights: np.ndarray, names: Sequence[str],
            criteria: Sequence[str] | None = None, delta: float = 0.2) -> pd.DataFrame:
    """Score and rank of each initiative when each weight moves by -delta and +delta (others renormalized);
    rank_change > 0 means the initiative moves up."""
    z = np.asarray(norm_matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    crit = list(criteria) if criteria is not None else [f"criterion_{j}" for j in range(w.size)]
    base = pd.Series(z @ w, index=list(names))
    base_rank = rank(base)
    rows = []
    for j, cname in enumerate(crit):
        for side, factor in (("-", 1 - delta), ("+", 1 + delta)):
            wj = _shifted(w, j, factor)
            score = pd.Series(z @ wj, index=base.index)
            r = rank(score)
            rows.append(pd.DataFrame({
                "criterion": cname, "side": side, "weight": wj[j], "initiative": base.index,
                "base_score": base.to_numpy(), "score": score.to_numpy(),
                "score_change": (score - base).to_numpy(), "base_rank": base_rank.to_numpy(),
                "rank": r.to_numpy(), "rank_change": (base_rank - r).to_numpy(),
            }))
    return pd.concat(rows, ignore_index=True)
