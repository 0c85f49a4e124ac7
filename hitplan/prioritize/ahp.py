"""Criteria weights from a pairwise comparison matrix (Saaty's analytic hierarchy process)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hitplan.errors import UsageError

# Saaty's random consistency index by matrix size n = 1..15 (Saaty, "The Analytic Hierarchy Process", 1980;
# the extended table as reprinted in Saaty & Vargas, "Models, Methods, Concepts & Applications of the AHP", 2012).
RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
MAX_CONSISTENCY_RATIO = 0.1  # Saaty's acceptance threshold for n >= 5 (he relaxes it to 0.05/0.08 for n = 3/4)
RECIPROCITY_TOLERANCE = 1e-3  # judgments like 1/3 are often typed as 0.333


def _validated(matrix: np.ndarray, names: Sequence[str]) -> np.ndarray:
    a = np.asarray(matrix, dtype=float)
    n = len(names)
    if a.ndim != 2 or a.shape != (n, n):
        raise UsageError(f"pairwise matrix must be {n}x{n} (one row and column per name), got shape {a.shape}")
    if not 1 <= n <= len(RANDOM_INDEX):
        raise UsageError(f"pairwise comparison supports 1 to {len(RANDOM_INDEX)} criteria, got {n}")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        i, j = np.argwhere(~np.isfinite(a) | (a <= 0))[0]
        raise UsageError(f"pairwise judgments must be positive numbers: {names[i]} vs {names[j]} is {a[i, j]}")
    if np.any(np.abs(np.diag(a) - 1) > RECIPROCITY_TOLERANCE):
        i = int(np.argmax(np.abs(np.diag(a) - 1)))
        raise UsageError(f"a criterion compared with itself must be 1: {names[i]} vs {names[i]} is {a[i, i]}")
    off = np.abs(a * a.T - 1)
    if np.any(off > RECIPROCITY_TOLERANCE):
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        raise UsageError(f"pairwise matrix is not reciprocal: {names[i]} vs {names[j]} is {a[i, j]:g} "
                         f"but {names[j]} vs {names[i]} is {a[j, i]:g} (expected {1 / a[i, j]:g})")
    return a


def principal_eigenvector(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    """The principal (Perron) eigenvector normalized to sum 1, and its eigenvalue lambda_max."""
    values, vectors = np.linalg.eig(matrix)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)  # a positive matrix's Perron vector has one sign; abs drops it
    return w / w.sum(), float(values[k].real)


def consistency_ratio(lambda_max: float, n: int) -> float:
    """Saaty's consistency ratio CR = ((lambda_max - n) / (n - 1)) / RI(n); 0 for n <= 2."""
    if n <= 2:
        return 0.0  # every reciprocal 1x1 or 2x2 matrix is consistent
    return max(0.0, (lambda_max - n) / (n - 1)) / RANDOM_INDEX[n - 1]


def most_inconsistent_pair(matrix: np.ndarray, weights: np.ndarray) -> tuple[int, int, float]:
    """The pair (i, j) whose judgment a_ij strays most from w_i / w_j, and that ratio a_ij * w_j / w_i."""
    ratio = matrix * weights[None, :] / weights[:, None]
    dev = np.abs(np.log(ratio))
    i, j = np.unravel_index(int(np.argmax(np.triu(dev, 1))), dev.shape)
    return int(i), int(j), float(ratio[i, j])


def ahp_weights(matrix: np.ndarray, names: Sequence[str],
                max_ratio: float = MAX_CONSISTENCY_RATIO) -> tuple[np.ndarray, float]:
    """Weights (summing to 1) from the principal eigenvector, and the consistency ratio (unitless)."""
    a = _validated(matrix, names)
    w, lam = principal_eigenvector(a)
    cr = consistency_ratio(lam, len(names))
    if cr > max_ratio:
        i, j, r = most_inconsistent_pair(a, w)
        raise UsageError(
            f"pairwise judgments are inconsistent (consistency ratio {cr:.3f} > {max_ratio:g}); most inconsistent "
            f"pair: {names[i]} vs {names[j]} judged {a[i, j]:.3g} but the other judgments imply "
            f"{w[i] / w[j]:.3g} ({r:.2f}x off): revisit it")
    return w, cr
