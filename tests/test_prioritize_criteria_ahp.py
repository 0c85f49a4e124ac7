"""Criteria loading and AHP weights: the shipped defaults, weight validation, and published/hand-checked matrices."""

from __future__ import annotations

import numpy as np
import pytest

from hitplan.errors import UsageError
from hitplan.prioritize import ahp_weights, load_criteria
from hitplan.prioritize.ahp import RANDOM_INDEX, consistency_ratio, principal_eigenvector


def test_default_criteria_have_directions_and_weights_summing_to_one():
    crit = load_criteria()
    assert crit.names == ("clinical_impact", "risk_reduction", "operational_effect", "financial_npv", "reach",
                          "strategic_alignment", "confidence", "cost")
    assert dict(zip(crit.names, crit.directions))["cost"] == "cost"
    assert crit.directions.count("benefit") == 7
    assert crit.weight_array.sum() == pytest.approx(1.0)
    assert crit.is_cost.tolist() == [False] * 7 + [True]


def test_default_criteria_cite_a_source_and_why():
    import yaml
    from importlib import resources

    spec = yaml.safe_load(resources.files("hitplan.prioritize").joinpath("criteria.yaml").read_text())["criteria"]
    assert all(v["source"].strip() and v["why"].strip() for v in spec.values())


def test_weights_set_directly_replace_the_defaults():
    crit = load_criteria()
    w = {n: 0.0 for n in crit.names} | {"clinical_impact": 0.5, "cost": 0.5}
    assert load_criteria(weights=w).weights == tuple(w[n] for n in crit.names)


def test_weights_not_summing_to_one_name_the_sum():
    crit = load_criteria()
    w = {n: 0.1 for n in crit.names}
    with pytest.raises(UsageError, match=r"sum to 0\.8"):
        crit.with_weights(w)


def test_weights_must_name_every_criterion():
    with pytest.raises(UsageError, match="missing"):
        load_criteria().with_weights({"clinical_impact": 1.0})


def test_criteria_file_with_bad_sum_or_direction_is_refused(tmp_path):
    bad_sum = tmp_path / "c.yaml"
    bad_sum.write_text("criteria:\n  a: {direction: benefit, weight: 0.7}\n  b: {direction: cost, weight: 0.4}\n")
    with pytest.raises(UsageError, match=r"sum to 1\.1"):
        load_criteria(bad_sum)
    bad_dir = tmp_path / "d.yaml"
    bad_dir.write_text("criteria:\n  a: {direction: more, weight: 1.0}\n")
    with pytest.raises(UsageError, match="'benefit' or 'cost'"):
        load_criteria(bad_dir)


# Saaty, T. L. (2008) "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1(1):83-98,
# Table 2: relative consumption of drinks in the US (coffee, wine, tea, beer, sodas, milk, water); the published
# eigenvector is .177 .019 .042 .116 .190 .129 .327.
DRINKS = np.array([
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
])


def test_saaty_drink_example_reproduces_the_published_priorities():
    w, cr = ahp_weights(DRINKS, ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"])
    assert np.round(w, 3).tolist() == [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    _, lam = principal_eigenvector(DRINKS)
    assert cr == pytest.approx((lam - 7) / 6 / 1.32)
    assert 0 < cr < 0.1


def test_three_by_three_hand_checked():
    # w from the geometric-mean rows (15^(1/3), 1, (1/15)^(1/3)) is within 0.3 % of the eigenvector here;
    # lambda_max = mean((A w)_i / w_i) = 3.0385 -> CI = 0.0193, CR = 0.0193 / 0.58 = 0.0332.
    a = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    w, cr = ahp_weights(a, ["x", "y", "z"])
    assert w == pytest.approx([0.6370, 0.2583, 0.1047], abs=5e-4)
    assert cr == pytest.approx(0.0332, abs=5e-4)


def test_consistent_matrix_gives_its_weights_and_zero_ratio():
    w0 = np.array([0.4, 0.3, 0.2, 0.1])
    w, cr = ahp_weights(w0[:, None] / w0[None, :], list("abcd"))
    assert w == pytest.approx(w0)
    assert cr == pytest.approx(0.0, abs=1e-9)


def test_two_criteria_are_always_consistent():
    w, cr = ahp_weights(np.array([[1, 4], [1 / 4, 1]]), ["a", "b"])
    assert w == pytest.approx([0.8, 0.2]) and cr == 0.0


def test_inconsistent_matrix_names_the_pair_that_strays_most():
    w0 = np.array([0.4, 0.3, 0.2, 0.1])
    a = w0[:, None] / w0[None, :]
    a[0, 3], a[3, 0] = 1 / 9, 9  # the others imply a < d is wrong by a factor of 36
    with pytest.raises(UsageError, match=r"consistency ratio .* > 0\.1.*safety vs budget"):
        ahp_weights(a, ["safety", "access", "speed", "budget"])


def test_random_index_table_is_saatys():
    assert RANDOM_INDEX[2:6] == (0.58, 0.90, 1.12, 1.24) and len(RANDOM_INDEX) == 15
    assert consistency_ratio(3.0, 3) == 0.0


@pytest.mark.parametrize("matrix, message", [
    ([[1, 2], [0.4, 1]], "not reciprocal"),
    ([[1, -2], [-0.5, 1]], "positive"),
    ([[2, 1], [1, 1]], "itself must be 1"),
    ([[1, 2, 3], [0.5, 1, 2]], "must be 2x2"),
])
def test_malformed_matrices_are_refused(matrix, message):
    with pytest.raises(UsageError, match=message):
        ahp_weights(np.array(matrix), ["a", "b"])


def test_cost_weighting_is_off_by_default_and_survives_new_weights():
    crit = load_criteria()
    assert not crit.cost_weighted
    on = crit.weighing_cost()
    assert on.cost_weighted and on.with_weights(dict(zip(crit.names, crit.weights))).cost_weighted
    assert not on.weighing_cost(False).cost_weighted
