"""Properties of initiative scoring (hitplan/prioritize: criteria.py, methods.py, sensitivity.py) on any criteria
matrix: normalized values in [0, 1] with 1 = best whatever the direction, weights summing to 1, scores in [0, 1],
a better value on one criterion never costs an initiative score or rank, and min-max scores unchanged when a
criterion is shifted by a constant or rescaled (its unit changes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budget import examples
from hitplan.errors import UsageError
from hitplan.prioritize import (
    Criteria, contributions, normalized, rank, rank_acceptability, topsis, weight_samples, weighted_sum,
)
from hitplan.prioritize.criteria import WEIGHT_TOLERANCE
from hitplan.prioritize.methods import CONSTANT_COLUMN_VALUE

pytestmark = pytest.mark.slow  # a property suite (a few seconds): `make test` runs it, `make check` does not

# Whole numbers: every subtraction in min-max scaling is exact, so the invariances below hold to the last bit.
values = st.integers(min_value=-10**6, max_value=10**6)


@st.composite
def weight_vectors(draw, k: int) -> tuple[float, ...]:
    raw = draw(st.lists(st.integers(min_value=0, max_value=1000), min_size=k, max_size=k).filter(any))
    total = sum(raw)
    return tuple(r / total for r in raw)


@st.composite
def problems(draw, min_rows: int = 1) -> tuple[pd.DataFrame, Criteria]:
    """A criteria matrix (initiatives x criteria, whole-number values) and criteria with random directions and
    weights summing to 1."""
    k = draw(st.integers(min_value=1, max_value=5))
    n = draw(st.integers(min_value=min_rows, max_value=8))
    names = tuple(f"c{j}" for j in range(k))
    directions = tuple(draw(st.lists(st.sampled_from(["benefit", "cost"]), min_size=k, max_size=k)))
    crit = Criteria(names, directions, draw(weight_vectors(k)))
    cols = {c: draw(st.lists(values, min_size=n, max_size=n)) for c in names}
    return pd.DataFrame(cols, index=[f"INI-{i:02d}" for i in range(n)], dtype=float), crit


@settings(max_examples=examples(200))
@given(st.integers(min_value=1, max_value=8).flatmap(weight_vectors))
def test_weights_summing_to_one_are_accepted_and_others_refused(weights):
    k = len(weights)
    crit = Criteria(tuple(f"c{j}" for j in range(k)), ("benefit",) * k, weights)
    assert abs(crit.weight_array.sum() - 1.0) <= WEIGHT_TOLERANCE and (crit.weight_array >= 0).all()
    with pytest.raises(UsageError, match="sum to 1"):
        Criteria(crit.names, crit.directions, tuple(w * 1.001 for w in weights))
    moved = crit.with_weights(dict(zip(reversed(crit.names), weights)))
    assert moved.weights == tuple(reversed(weights)) and abs(sum(moved.weights) - 1.0) <= WEIGHT_TOLERANCE
    if k > 1:
        with pytest.raises(UsageError, match=">= 0"):
            Criteria(crit.names, crit.directions, (-0.5, 1.5, *([0.0] * (k - 2))))


@settings(max_examples=examples(150))
@given(problems())
def test_normalized_values_are_in_0_1_with_1_for_the_best(problem):
    matrix, crit = problem
    z = normalized(matrix, crit)
    assert list(z.columns) == list(crit.names) and list(z.index) == list(matrix.index)
    assert ((z >= 0) & (z <= 1)).all().all()
    for name, direction in zip(crit.names, crit.directions):
        col = matrix[name]
        if col.nunique() == 1:  # cannot tell initiatives apart: neither best nor worst
            assert (z[name] == CONSTANT_COLUMN_VALUE).all()
            continue
        best = col.idxmax() if direction == "benefit" else col.idxmin()
        worst = col.idxmin() if direction == "benefit" else col.idxmax()
        assert z.loc[best, name] == 1.0 and z.loc[worst, name] == 0.0
        # the order of the values is kept (benefit) or reversed (cost), never scrambled
        sign = 1 if direction == "benefit" else -1
        order = np.argsort(sign * col.to_numpy(), kind="stable")
        assert (np.diff(z[name].to_numpy()[order]) >= 0).all()


@settings(max_examples=examples(150))
@given(problems())
def test_a_cost_criterion_is_the_mirror_of_the_same_values_as_a_benefit(problem):
    matrix, crit = problem
    flipped = Criteria(crit.names, tuple("cost" if d == "benefit" else "benefit" for d in crit.directions),
                       crit.weights)
    a, b = normalized(matrix, crit), normalized(matrix, flipped)
    for name in crit.names:
        if matrix[name].nunique() > 1:
            assert np.allclose(a[name] + b[name], 1.0, rtol=0, atol=1e-12), name
        else:
            assert (a[name] == b[name]).all()


@settings(max_examples=examples(150))
@given(problems())
def test_scores_are_in_0_1_and_are_the_sum_of_their_contributions(problem):
    matrix, crit = problem
    ws = weighted_sum(matrix, crit)
    parts = contributions(matrix, crit)
    assert ((ws >= -1e-12) & (ws <= 1 + 1e-12)).all()
    assert np.allclose(parts.sum(axis=1), ws, rtol=0, atol=1e-12)
    assert ((parts >= 0) & (parts <= crit.weight_array + 1e-15)).all().all()  # no criterion gives more than its weight
    closeness = topsis(matrix, crit)
    assert ((closeness >= 0) & (closeness <= 1)).all()
    ranks = rank(ws)
    assert sorted(ranks) == list(range(1, len(ws) + 1))
    assert all(ws[a] >= ws[b] for a in ws.index for b in ws.index if ranks[a] < ranks[b])


@settings(max_examples=examples(150))
@given(problems(), values, st.integers(min_value=1, max_value=1000), st.data())
def test_min_max_scores_ignore_a_shift_or_a_change_of_unit(problem, shift, factor, data):
    matrix, crit = problem
    name = data.draw(st.sampled_from(crit.names))
    moved = matrix.assign(**{name: matrix[name] * factor + shift})
    assert normalized(moved, crit).equals(normalized(matrix, crit))
    assert weighted_sum(moved, crit).equals(weighted_sum(matrix, crit))


@settings(max_examples=examples(150))
@given(problems(min_rows=2), st.integers(min_value=1, max_value=10**6), st.data())
def test_a_better_value_never_costs_an_initiative_score_or_rank(problem, step, data):
    matrix, crit = problem
    who = data.draw(st.sampled_from(list(matrix.index)))
    j = data.draw(st.integers(min_value=0, max_value=len(crit.names) - 1))
    name = crit.names[j]
    better = matrix.copy()
    better.loc[who, name] += step if crit.directions[j] == "benefit" else -step
    before, after = weighted_sum(matrix, crit), weighted_sum(better, crit)
    assert after[who] >= before[who]
    others = before.index != who
    assert (after[others] <= before[others]).all(), "the others can only lose ground on that criterion"
    assert rank(after)[who] <= rank(before)[who]


@settings(max_examples=examples(200))
@given(st.integers(min_value=1, max_value=6).flatmap(weight_vectors), st.integers(min_value=1, max_value=200),
       st.floats(min_value=0.01, max_value=1.0), st.integers(min_value=0, max_value=2**32 - 1))
def test_weight_samples_are_weights_and_rank_shares_add_up(weights, n, spread, seed):
    w = np.asarray(weights)
    w = w / w.sum()  # exact to the tolerance weight_samples checks
    samples = weight_samples(w, n, spread, np.random.default_rng(seed))
    assert samples.shape == (n, w.size)
    assert (samples >= 0).all() and np.allclose(samples.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    assert (samples[:, w == 0] == 0).all(), "a zero weight stays zero"
    z = np.random.default_rng(seed).random((4, w.size))
    shares = rank_acceptability(z, samples)
    assert np.allclose(shares.sum(axis=0), 1.0) and np.allclose(shares.sum(axis=1), 1.0)
