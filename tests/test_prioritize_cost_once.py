"""Cost counted once (issue 17 item 2): the benefit score leaves the cost criterion and the cost side of NPV out
(the budgets carry cost), the ranking shows benefit, cost and benefit per $100k side by side, a cost-weighted
ranking only when asked for, and effect ranges (low / likely / high) drawn in the Monte Carlo.

Three hand-made initiatives, criteria clinical_impact 0.4, financial_npv 0.2, cost 0.4:

    id     clinical  financial_benefit  financial_npv  cost_usd
    CHEAP      10          20,000          -30,000       50,000    cheap and weak
    MID        50          60,000         -240,000      300,000
    DEAR      100         100,000         -900,000    1,000,000    dear and strong
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hitplan.errors import UsageError
from hitplan.prioritize import Criteria, weighted_sum
from hitplan.prioritize.criteria import benefit_criteria, load_criteria
from hitplan.prioritize.evidence import initiative_evidence
from hitplan.prioritize.methods import rank
from hitplan.prioritize.portfolio import budget_frame
from hitplan.prioritize.score import funded_portfolio, ranked_initiatives
from hitplan.prioritize.sensitivity import pert_samples
from hitplan.settings import load_settings
from kpi_fixtures import connect, period, tiny_store

CRIT = Criteria(("clinical_impact", "financial_npv", "cost"), ("benefit", "benefit", "cost"), (0.4, 0.2, 0.4))
IDS = ["CHEAP", "MID", "DEAR"]
COST = [50_000.0, 300_000.0, 1_000_000.0]
EVIDENCE = pd.DataFrame({
    "initiative_id": IDS, "name": ["Cheap and weak", "Middling", "Dear and strong"], "area": ["support"] * 3,
    "clinical_impact": [10.0, 50.0, 100.0], "financial_benefit": [20_000.0, 60_000.0, 100_000.0],
    "financial_npv": [-30_000.0, -240_000.0, -900_000.0], "cost": COST, "cost_usd": COST,
    "risk_reduction": [0.0] * 3, "capex": COST, "opex_per_year": [0.0] * 3, "payback_years": [None] * 3,
    "outage_probability": [np.nan] * 3,
})
PERIOD = period("2026-07-01", "2027-07-01")


@pytest.fixture
def con(tmp_path):
    rows = [{"initiative_id": i, "name": n, "area": "support", "capex": c, "opex_per_year": 0, "staff_hours": 0,
             "duration_quarters": 1} for i, n, c in zip(IDS, EVIDENCE["name"], COST)]
    c = connect(tiny_store(tmp_path / "s.duckdb", initiatives=rows))
    yield c
    c.close()


def test_the_benefit_score_leaves_cost_out_and_renormalizes_the_weights(con):
    r = ranked_initiatives(con, PERIOD, CRIT, evidence=EVIDENCE, samples=200).set_index("initiative_id")
    # cost (0.4) dropped; financial_npv -> financial_benefit; 0.4 and 0.2 renormalized to 2/3 and 1/3.
    # clinical rescaled: CHEAP 0, MID 40/90 = .4444, DEAR 1; financial_benefit: CHEAP 0, MID 40/80 = .5, DEAR 1
    # CHEAP 0; MID 2/3 x .4444 + 1/3 x .5 = .46296; DEAR 1
    assert r["score"].to_dict() == pytest.approx({"CHEAP": 0.0, "MID": 0.462963, "DEAR": 1.0}, abs=1e-6)
    assert (r["score"] == r["benefit_score"]).all()
    assert r["rank"].to_dict() == {"DEAR": 1, "MID": 2, "CHEAP": 3}
    assert "cost" not in " ".join(r["why"])  # the reasons are benefits only
    note = r.attrs["note"]
    assert "renormalized" in note and "clinical_impact 0.667" in note and "financial_benefit 0.333" in note


def test_with_budgets_the_cheap_one_no_longer_gains_from_a_cost_weight(con):
    budgets = budget_frame({"FY2027": {"capex": 1_000_000.0, "opex": 1e9, "hours": 1e9}})
    ranking = ranked_initiatives(con, PERIOD, CRIT, evidence=EVIDENCE, samples=200)
    # $1M buys DEAR alone (benefit 1) or CHEAP + MID (0 + .463): the benefit under the budget is DEAR
    assert funded_portfolio(con, ranking, budgets).chosen == ["DEAR"]
    # Cost weighted (the old way), rescaled cost: CHEAP 1, MID 700/950 = .7368, DEAR 0; npv: CHEAP 1,
    # MID 660/870 = .7586, DEAR 0. CHEAP = .2 x 1 + .4 x 1 = .6; MID = .4 x .4444 + .2 x .7586 + .4 x .7368
    # = .17778 + .15172 + .29474 = .62424; DEAR = .4. Cheap wins on the cost weight and again under the
    # budget: CHEAP + MID funded.
    old = ranked_initiatives(con, PERIOD, CRIT, evidence=EVIDENCE, samples=200, cost_weighted=True)
    assert old.set_index("initiative_id")["score"].to_dict() == pytest.approx(
        {"CHEAP": 0.6, "MID": 0.624239, "DEAR": 0.4}, abs=1e-6)
    assert sorted(funded_portfolio(con, old, budgets).chosen) == ["CHEAP", "MID"]
    assert "cost counted twice" in old.attrs["note"]


def test_without_budgets_the_ranking_shows_benefit_cost_and_benefit_per_100k(con):
    r = ranked_initiatives(con, PERIOD, CRIT, evidence=EVIDENCE, samples=200)
    assert r["initiative_id"].tolist() == ["DEAR", "MID", "CHEAP"]  # ranked by benefit, not per dollar
    by = r.set_index("initiative_id")
    assert by["cost_usd"].to_dict() == dict(zip(IDS, COST))
    # DEAR 1 / $1M x $100k = .1; MID .46296 / 3 = .15432; CHEAP 0
    assert by["benefit_per_100k"].to_dict() == pytest.approx({"DEAR": 0.1, "MID": 0.154321, "CHEAP": 0.0}, abs=1e-6)


def test_without_financial_benefit_npv_stands_in_with_a_note(con):
    ev = EVIDENCE.drop(columns=["financial_benefit"])
    r = ranked_initiatives(con, PERIOD, CRIT, evidence=ev, samples=200)
    # npv rescaled: CHEAP 1, MID .7586, DEAR 0 -> CHEAP 1/3; MID 2/3 x .4444 + 1/3 x .7586 = .54917; DEAR 2/3
    assert r.set_index("initiative_id")["score"].to_dict() == pytest.approx(
        {"CHEAP": 1 / 3, "MID": 0.549170, "DEAR": 2 / 3}, abs=1e-5)
    assert "financial_benefit" in r.attrs["note"] and "financial_npv" in r.attrs["note"]


def test_cost_column_falls_back_to_the_cost_criterion(con):
    r = ranked_initiatives(con, PERIOD, CRIT, evidence=EVIDENCE.drop(columns=["cost_usd"]), samples=200)
    assert r.set_index("initiative_id")["cost_usd"].to_dict() == dict(zip(IDS, COST))


def test_benefit_criteria_refuse_weights_that_are_all_on_cost():
    only_cost = Criteria(("reach", "cost"), ("benefit", "cost"), (0.0, 1.0))
    with pytest.raises(UsageError, match="cost"):
        benefit_criteria(only_cost, ["reach", "cost"])


def test_shipped_criteria_keep_cost_for_the_cost_weighted_ranking_only():
    crit = load_criteria()
    assert "cost" in crit.names and not crit.cost_weighted
    b, note = benefit_criteria(crit, list(crit.names) + ["financial_benefit"])
    # shipped 0.20 cost out: the other weights / 0.80, e.g. clinical impact 0.20 / 0.80 = 0.25
    assert "cost" not in b.names and "financial_benefit" in b.names and "financial_npv" not in b.names
    assert dict(zip(b.names, b.weights))["clinical_impact"] == pytest.approx(0.25)
    assert sum(b.weights) == pytest.approx(1.0)


def test_pert_draws_have_the_pert_mean_not_the_triangular_one():
    rng = np.random.default_rng(1)
    x = pert_samples(np.array([10.0]), np.array([0.0]), np.array([100.0]), 20_000, rng)
    # Beta-PERT mean (a + 4m + b) / 6 = (0 + 40 + 100) / 6 = 23.33; a triangular's would be 36.67
    assert x.shape == (20_000, 1) and x.mean() == pytest.approx(23.33, abs=0.5)
    assert x.min() >= 0 and x.max() <= 100
    # no range (blank or equal ends) -> the likely value in every draw
    same = pert_samples(np.array([5.0, 7.0]), np.array([np.nan, 7.0]), np.array([np.nan, 7.0]), 3, rng)
    assert same.tolist() == [[5.0, 7.0]] * 3


def test_an_effect_range_widens_p_top_quarter_away_from_0_and_1(con):
    crit = Criteria(("clinical_impact", "reach"), ("benefit", "benefit"), (0.5, 0.5))
    ev = EVIDENCE.assign(clinical_impact=[60.0, 50.0, 0.0], reach=[100.0] * 3)  # reach is equal: no say
    ev = ev.assign(initiative_id=["A", "B", "C"])
    firm = ranked_initiatives(con, PERIOD, crit, evidence=ev, samples=4000).set_index("initiative_id")
    # top quarter of three = rank 1; A (60) beats B (50) under any weights
    assert firm["p_top_quartile"].to_dict() == {"A": 1.0, "B": 0.0, "C": 0.0}
    ranged = ev.assign(clinical_impact_low=[np.nan, 0.0, np.nan], clinical_impact_high=[np.nan, 100.0, np.nan])
    wide = ranked_initiatives(con, PERIOD, crit, evidence=ranged, samples=4000).set_index("initiative_id")
    # B ~ PERT(0, 50, 100) = 100 x Beta(3, 3): P(B > 60) = 1 - I_.6(3, 3)
    # = 1 - (10 x .6^3 x .4^2 + 5 x .6^4 x .4 + .6^5) = 1 - .68256 = .31744 (uniform would give .4)
    assert wide.loc["B", "p_top_quartile"] == pytest.approx(0.31744, abs=0.03)
    assert wide.loc["A", "p_top_quartile"] == pytest.approx(0.68256, abs=0.03)
    assert wide["score"].to_dict() == firm["score"].to_dict()  # the score itself is on the likely values
    assert "PERT" in wide.attrs["note"]


# ---- from the command line -----------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    rows = [
        {"initiative_id": "I1", "name": "Cheap fix", "area": "support", "capex": 20_000, "opex_per_year": 0,
         "savings_per_year": 10_000, "strategic_alignment": 2, "confidence": 0.9},
        {"initiative_id": "I2", "name": "Big platform", "area": "strategy", "capex": 900_000, "opex_per_year": 50_000,
         "savings_per_year": 150_000, "strategic_alignment": 5, "confidence": 0.6},
        {"initiative_id": "I3", "name": "Middling upgrade", "area": "infrastructure", "capex": 200_000,
         "opex_per_year": 10_000, "savings_per_year": 40_000, "strategic_alignment": 3, "confidence": 0.8},
    ]
    return tiny_store(tmp_path / "cli.duckdb", initiatives=rows)


def _ranking(cli, store, *extra):
    code, out, err = cli("score", "--store", store, "--start", "2026-07-01", "--end", "2027-07-01",
                         "--samples", "200", "--format", "json", *extra)
    assert code == 0, err
    return pd.DataFrame(json.loads(out)["ranking"]).set_index("initiative_id")


def test_cli_cost_weighted_reproduces_the_old_ranking(cli, store):
    con = connect(store)
    try:
        ev, _ = initiative_evidence(con, PERIOD, load_settings(), None)
    finally:
        con.close()
    crit = load_criteria()
    # the old ranking: every shipped criterion, cost at 0.20, financial_npv net of cost
    old = weighted_sum(ev.set_index("initiative_id")[list(crit.names)], crit)
    got = _ranking(cli, store, "--cost-weighted")
    assert got["score"].to_dict() == pytest.approx(old.to_dict())
    assert got["rank"].to_dict() == rank(old).to_dict()
    default = _ranking(cli, store)
    assert default["score"].to_dict() != pytest.approx(old.to_dict())  # the default does not weigh cost
    assert {"benefit_score", "cost_usd", "benefit_per_100k"} <= set(default.columns)
    # cost = capex + 5 years of opex
    assert default["cost_usd"].to_dict() == pytest.approx({"I1": 20_000, "I2": 1_150_000, "I3": 250_000})


def test_cli_table_shows_benefit_cost_and_per_dollar_side_by_side(cli, store):
    code, out, err = cli("score", "--store", store, "--start", "2026-07-01", "--end", "2027-07-01",
                         "--samples", "200")
    assert code == 0, err
    assert "benefit" in out and "cost" in out and "per $100k" in out
    assert "renormalized" in out
