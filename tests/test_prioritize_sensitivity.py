"""Weight sensitivity: Dirichlet samples, rank acceptability, central weights, funding chance and tornado,
checked by hand and against plain-Python references."""

from __future__ import annotations

import numpy as np
import pytest

from hitplan.errors import UsageError
from hitplan.prioritize import central_weights, funded_probability, rank_acceptability, tornado, weight_samples

W = np.array([0.5, 0.3, 0.2, 0.0])


def test_samples_sum_to_one_center_on_the_weights_and_keep_zero_weights():
    s = weight_samples(W, 20_000, 0.1, np.random.default_rng(1))
    assert s.shape == (20_000, 4)
    assert s.sum(axis=1) == pytest.approx(np.ones(20_000))
    assert s.mean(axis=0) == pytest.approx(W, abs=0.005)
    assert (s[:, 3] == 0).all()
    # Var(w_j) = w_j (1 - w_j) spread / (1 + spread)
    assert s[:, 0].var() == pytest.approx(0.25 * 0.1 / 1.1, rel=0.05)


def test_samples_are_deterministic_for_a_seed():
    a = weight_samples(W, 100, 0.2, np.random.default_rng(7))
    b = weight_samples(W, 100, 0.2, np.random.default_rng(7))
    c = weight_samples(W, 100, 0.2, np.random.default_rng(8))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bad_spread_or_weights_are_refused():
    with pytest.raises(UsageError, match="spread"):
        weight_samples(W, 10, 0.0, np.random.default_rng(0))
    with pytest.raises(UsageError, match="sum 0.9"):
        weight_samples(np.array([0.5, 0.4]), 10, 0.1, np.random.default_rng(0))


def test_dominating_initiative_always_ranks_first():
    z = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5]])
    s = weight_samples(np.array([0.5, 0.5]), 500, 0.3, np.random.default_rng(0))
    assert rank_acceptability(z, s).tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]


def test_trade_off_acceptability_is_the_share_of_samples_favouring_each_side():
    z = np.array([[1.0, 0.0], [0.0, 1.0]])
    s = weight_samples(np.array([0.6, 0.4]), 4_000, 0.5, np.random.default_rng(3))
    share = (s[:, 0] > s[:, 1]).mean()
    ra = rank_acceptability(z, s)
    assert ra[0].tolist() == pytest.approx([share, 1 - share])
    cw = central_weights(z, s)
    assert cw[0] == pytest.approx(s[s[:, 0] > s[:, 1]].mean(axis=0))
    assert cw[0, 0] > 0.5 > cw[1, 0]


def _reference_orders(z, s):
    return [sorted(range(len(z)), key=lambda i: (-float(np.dot(w, z[i])), i)) for w in s]


def test_rank_acceptability_matches_a_python_loop():
    rng = np.random.default_rng(5)
    z, s = rng.random((12, 4)), weight_samples(np.full(4, 0.25), 3_000, 0.2, rng)
    expected = np.zeros((12, 12))
    for order in _reference_orders(z, s):
        for r, i in enumerate(order):
            expected[i, r] += 1
    ra = rank_acceptability(z, s)
    assert ra == pytest.approx(expected / len(s))
    assert ra.sum(axis=0) == pytest.approx(np.ones(12)) and ra.sum(axis=1) == pytest.approx(np.ones(12))


def test_central_weights_is_nan_for_an_initiative_never_first():
    z = np.array([[1.0, 1.0], [0.0, 0.0]])
    cw = central_weights(z, weight_samples(np.array([0.5, 0.5]), 50, 0.1, np.random.default_rng(0)))
    assert np.isnan(cw[1]).all() and cw[0].sum() == pytest.approx(1.0)


def test_funded_probability_matches_a_greedy_python_loop():
    rng = np.random.default_rng(9)
    z, s = rng.random((15, 3)), weight_samples(np.array([0.5, 0.3, 0.2]), 5_000, 0.2, rng)
    costs, budget = rng.integers(1, 10, 15).astype(float), 25.0
    expected = np.zeros(15)
    for order in _reference_orders(z, s):
        spent = 0.0
        for i in order:
            if spent + costs[i] <= budget:
                spent += costs[i]
                expected[i] += 1
    assert funded_probability(z, s, costs, budget) == pytest.approx(expected / len(s))


def test_funded_probability_hand_checked():
    # best (cost 6) always funded; the second (cost 6) never fits in 10; the third (cost 4) fits after the best
    z = np.array([[1.0], [0.5], [0.0]])
    s = np.ones((10, 1))
    assert funded_probability(z, s, np.array([6.0, 6.0, 4.0]), 10.0).tolist() == [1.0, 0.0, 1.0]


def test_tornado_moves_each_weight_twenty_percent_and_renormalizes():
    z = np.array([[1.0, 0.0], [0.0, 1.0]])
    t = tornado(z, np.array([0.5, 0.5]), ["A", "B"], ["speed", "safety"])
    assert len(t) == 2 * 2 * 2
    down = t[(t.criterion == "speed") & (t.side == "-")].set_index("initiative")
    assert down["weight"].tolist() == pytest.approx([0.4, 0.4])
    assert down["score"].to_dict() == pytest.approx({"A": 0.4, "B": 0.6})
    # base tie 0.5/0.5 is broken by name (A first); with speed down B overtakes A
    assert down["base_rank"].to_dict() == {"A": 1, "B": 2}
    assert down["rank_change"].to_dict() == {"A": -1, "B": 1}
    up = t[(t.criterion == "speed") & (t.side == "+")].set_index("initiative")
    assert up["score_change"].to_dict() == pytest.approx({"A": 0.1, "B": -0.1})
    assert (up["rank_change"] == 0).all()
