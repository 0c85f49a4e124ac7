"""Scoring methods on hand-computed 3 x 2 cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hitplan.errors import UsageError
from hitplan.prioritize import Criteria, contributions, normalized, rank, rice, topsis, weighted_sum, wsjf

CRIT = Criteria(("benefit", "cost"), ("benefit", "cost"), (0.6, 0.4))
MATRIX = pd.DataFrame({"benefit": [10, 20, 30], "cost": [100, 300, 200]}, index=["X", "Y", "Z"])


def test_min_max_normalization_reverses_cost_columns():
    z = normalized(MATRIX, CRIT)
    assert z["benefit"].tolist() == [0.0, 0.5, 1.0]
    assert z["cost"].tolist() == [1.0, 0.0, 0.5]


def test_constant_column_scores_one_half_either_direction():
    m = MATRIX.assign(cost=250.0, benefit=7.0)
    assert normalized(m, CRIT).to_numpy().tolist() == [[0.5, 0.5]] * 3


def test_weighted_sum_hand_checked():
    # X = .6*0 + .4*1, Y = .6*.5 + .4*0, Z = .6*1 + .4*.5
    assert weighted_sum(MATRIX, CRIT).to_dict() == pytest.approx({"X": 0.4, "Y": 0.3, "Z": 0.8})


def test_contributions_sum_to_the_score_and_explain_it():
    c = contributions(MATRIX, CRIT)
    assert c.loc["Z"].to_dict() == pytest.approx({"benefit": 0.6, "cost": 0.2})
    assert c.sum(axis=1).to_numpy() == pytest.approx(weighted_sum(MATRIX, CRIT).to_numpy())


def test_topsis_hand_checked():
    # columns are multiples of (1,2,3)/sqrt(14): X d+ = 1.2/s, d- = .8/s -> .4; Y d+ = 1/s, d- = .6/s -> .375;
    # Z d+ = .4/s, d- = sqrt(1.6)/s -> .7597
    closeness = topsis(MATRIX, CRIT)
    assert closeness.to_numpy() == pytest.approx([0.4, 0.375, np.sqrt(1.6) / (0.4 + np.sqrt(1.6))])


def test_topsis_identical_initiatives_are_one_half():
    m = pd.DataFrame({"benefit": [1.0, 1.0], "cost": [2.0, 2.0]}, index=["a", "b"])
    assert topsis(m, CRIT).tolist() == [0.5, 0.5]


def test_wsjf_and_rice_hand_checked():
    assert wsjf([8, 1], [5, 1], [3, 1], [4, 3]).tolist() == [4.0, 1.0]
    assert rice([1000], [2], [0.8], [4]).tolist() == [400.0]


@pytest.mark.parametrize("call, message", [
    (lambda: wsjf([1], [1], [1], [0]), "job_size"),
    (lambda: rice([1], [1], [0.5], [-1]), "effort"),
    (lambda: rice([1], [1], [80], [1]), "confidence"),
])
def test_bad_sizes_are_refused(call, message):
    with pytest.raises(UsageError, match=message):
        call()


def test_rank_ordinal_breaks_ties_by_name_and_dense_shares_them():
    scores = pd.Series({"b": 1.0, "a": 1.0, "c": 2.0})
    assert rank(scores).to_dict() == {"b": 3, "a": 2, "c": 1}
    assert rank(scores, "dense").to_dict() == {"b": 2, "a": 2, "c": 1}
    with pytest.raises(UsageError):
        rank(scores, "average")


def test_missing_value_or_column_is_named():
    with pytest.raises(UsageError, match="Y / cost"):
        weighted_sum(MATRIX.astype(float).assign(cost=[1.0, np.nan, 2.0]), CRIT)
    with pytest.raises(UsageError, match="lacks columns cost"):
        weighted_sum(MATRIX[["benefit"]], CRIT)


def test_normalization_per_sample_scales_each_sample_on_its_own():
    from hitplan.prioritize.methods import normalized_array

    # sample 1 is MATRIX; sample 2 doubles Z's benefit (30 -> 60): X 0, Y (20-10)/50 = .2, Z 1
    x = np.stack([MATRIX.to_numpy(float), MATRIX.assign(benefit=[10, 20, 60]).to_numpy(float)])
    z = normalized_array(x, CRIT.is_cost)
    assert z[0].tolist() == normalized(MATRIX, CRIT).to_numpy().tolist()
    assert z[1][:, 0].tolist() == pytest.approx([0.0, 0.2, 1.0]) and z[1][:, 1].tolist() == [1.0, 0.0, 0.5]


def test_benefit_per_dollar_is_per_100k_and_blank_without_a_cost():
    from hitplan.prioritize.methods import benefit_per_dollar

    # .5 for $250k -> .2 per $100k; no cost or a blank cost: no ratio
    out = benefit_per_dollar([0.5, 0.5, 0.5], [250_000, 0, np.nan])
    assert out[0] == pytest.approx(0.2) and np.isnan(out[1:]).all()
