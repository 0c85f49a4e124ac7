"""Portfolio MILP: hand-checked instances, error messages, frontier and scenarios, and (hypothesis) the optimum
equals brute force over every assignment of start quarters on small random instances."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hitplan.errors import HitplanError, UsageError
from hitplan.prioritize import (
    Criteria, InfeasiblePortfolio, Initiative as I, compare_scenarios, efficient_frontier, solve_portfolio,
)
from hitplan.prioritize.portfolio import Discount, load_discount, start_windows

ONE_YEAR = {"FY2027": {"capex": 100.0, "opex": 1000.0, "hours": 1000.0}}


def test_knapsack_picks_the_best_pair_within_capex():
    items = [I("a", 10, capex=60), I("b", 7, capex=50), I("c", 6, capex=40)]
    p = solve_portfolio(items, ONE_YEAR, horizon_quarters=1)
    assert sorted(p.chosen) == ["a", "c"] and p.value == 16 and p.status == "optimal"
    assert p.totals.loc["FY2027", "capex_used"] == 100 and p.totals.loc["FY2027", "capex_budget"] == 100


def test_dependency_starts_after_its_prerequisite_finishes():
    items = [I("ehr", 5, duration=2), I("portal", 3, duration=1, depends_on=("ehr",))]
    road = solve_portfolio(items, ONE_YEAR, horizon_quarters=4).roadmap().set_index("initiative")
    assert road.loc["ehr", ["start", "finish"]].tolist() == [0, 1]
    assert road.loc["portal", "start"] == 2
    assert road.loc["portal", "start_quarter"] == "FY2027Q3"


def test_dependent_is_dropped_when_its_prerequisite_cannot_finish_in_time():
    items = [I("a", 1, duration=4), I("b", 100, depends_on=("a",))]
    assert solve_portfolio(items, ONE_YEAR, horizon_quarters=4).chosen == ["a"]


def test_opex_runs_from_go_live_and_pushes_the_start_out_of_the_tight_year():
    # live from Q2 of FY2027 -> 3 quarters x 400/4 = 300 > 250; starting in Q2 -> 2 quarters = 200
    budgets = {"FY2027": {"opex": 250.0}, "FY2028": {"opex": 400.0}}
    p = solve_portfolio([I("pacs", 1, opex=400)], budgets, horizon_quarters=8)
    road = p.roadmap()
    assert road["start"].tolist() == [1] and road["opex_usd"].tolist() == [600.0]
    assert p.totals["opex_used"].tolist() == [200.0, 400.0]


def test_capex_and_hours_spread_evenly_across_fiscal_years():
    budgets = {"FY2027": {"capex": 50.0, "hours": 100.0}, "FY2028": {"capex": 50.0, "hours": 100.0}}
    p = solve_portfolio([I("erp", 1, duration=4, capex=100, hours=200)], budgets, horizon_quarters=8)
    # only a start in Q3 splits 2 + 2 quarters across the years
    assert p.roadmap()["start_quarter"].tolist() == ["FY2027Q3"]
    assert p.totals["capex_used"].tolist() == [50.0, 50.0] and p.totals["hours_used"].tolist() == [100.0, 100.0]


def test_exclusion_keeps_the_better_alternative():
    items = [I("vendor_x", 5, excludes=("vendor_y",)), I("vendor_y", 8)]
    assert solve_portfolio(items, ONE_YEAR, horizon_quarters=2).chosen == ["vendor_y"]


def test_mandatory_item_crowds_out_a_better_optional_one():
    items = [I("hipaa_fix", 1, capex=70, mandatory=True), I("ai_triage", 50, capex=60)]
    assert solve_portfolio(items, ONE_YEAR, horizon_quarters=1).chosen == ["hipaa_fix"]


def test_mandatory_items_prerequisite_is_chosen_with_it():
    items = [I("network", 0.1, duration=1), I("telemetry", 1, depends_on=("network",), mandatory=True),
             I("other", 5, excludes=("network",))]
    assert sorted(solve_portfolio(items, ONE_YEAR, horizon_quarters=4).chosen) == ["network", "telemetry"]


def test_earliest_start_and_prefer_early():
    p = solve_portfolio([I("a", 1, earliest_start=2), I("b", 1)], ONE_YEAR, horizon_quarters=4)
    assert p.roadmap().set_index("initiative")["start"].to_dict() == {"a": 2, "b": 0}


def test_infeasible_mandatory_capex_names_the_year_and_shortfall():
    items = [I("ups", 1, capex=2_000_000, mandatory=True), I("firewall", 1, capex=1_400_000, mandatory=True),
             I("nice", 9, capex=1)]
    with pytest.raises(InfeasiblePortfolio) as err:
        solve_portfolio(items, {"FY2027": {"capex": 2_200_000}}, horizon_quarters=4)
    assert str(err.value) == ("mandatory items need $3.4M capex in FY2027 but the budget is $2.2M: "
                              "short by $1.2M")
    assert err.value.exit_code == 3 and isinstance(err.value, HitplanError)


def test_infeasible_mandatory_hours_are_named_in_hours():
    with pytest.raises(InfeasiblePortfolio, match="need 1,500 staff hours in FY2027 but the budget is 1,000: short by 500"):
        solve_portfolio([I("a", 1, hours=1500, mandatory=True)], ONE_YEAR, horizon_quarters=4)


def test_mandatory_that_cannot_finish_in_the_horizon_is_named():
    items = [I("a", 1, duration=3), I("b", 1, duration=2, depends_on=("a",), mandatory=True)]
    with pytest.raises(InfeasiblePortfolio, match="b \\(mandatory\\) cannot finish within the 4-quarter horizon"):
        solve_portfolio(items, ONE_YEAR, horizon_quarters=4)


def test_mandatory_items_that_exclude_each_other_are_named():
    items = [I("a", 1, mandatory=True, excludes=("b",)), I("b", 1, mandatory=True)]
    with pytest.raises(InfeasiblePortfolio, match="a and b are both required"):
        solve_portfolio(items, ONE_YEAR, horizon_quarters=4)


@pytest.mark.parametrize("items, message", [
    ([I("a", 1, depends_on=("c",)), I("b", 1, depends_on=("a",)), I("c", 1, depends_on=("b",))],
     "cycle: a -> c -> b -> a"),
    ([I("a", 1, depends_on=("zz",))], "unknown initiatives: zz"),
    ([I("a", 1), I("a", 2)], "names repeat: a"),
    ([I("a", 1, duration=0)], "duration"),
    ([I("a", 1, capex=-5)], "capex"),
])
def test_bad_items_are_refused(items, message):
    with pytest.raises(UsageError, match=message):
        solve_portfolio(items, ONE_YEAR, horizon_quarters=4)


def test_horizon_needs_budgets_for_every_year():
    with pytest.raises(UsageError, match="1..4 quarters"):
        solve_portfolio([I("a", 1)], ONE_YEAR, horizon_quarters=5)


def test_frame_input_with_comma_separated_dependencies():
    frame = pd.DataFrame({"name": ["a", "b", "c"], "value": [1.0, 2.0, 3.0], "duration": [1, 1, 1],
                          "depends_on": [None, "a", "a, b"], "mandatory": [False, False, True]})
    road = solve_portfolio(frame, ONE_YEAR, horizon_quarters=4).roadmap().set_index("initiative")
    assert road["start"].to_dict() == {"a": 0, "b": 1, "c": 2}


def test_efficient_frontier_value_rises_with_the_capex_budget():
    items = [I("a", 10, capex=60), I("b", 7, capex=50), I("c", 6, capex=40), I("m", 0, capex=40, mandatory=True)]
    f = efficient_frontier(items, ONE_YEAR, horizon_quarters=1, scales=[0.3, 0.5, 1.0, 1.5, 2.0])
    assert f["capex_budget_usd"].tolist() == [30.0, 50.0, 100.0, 150.0, 200.0]
    assert np.isnan(f["value"][0]) and "short by $10" in f["note"][0]
    assert f["value"][1:].tolist() == [0.0, 10.0, 17.0, 23.0]


def test_compare_scenarios_reports_added_and_removed():
    items = [I("a", 10, capex=60), I("b", 7, capex=50), I("c", 6, capex=40)]
    out = compare_scenarios(items, ONE_YEAR, {
        "cut": {"budget_scale": {"capex": 0.5}},
        "b_matters": {"values": {"b": 20}},
    }, horizon_quarters=1).set_index("scenario")
    assert out.loc["base", "value"] == 16
    assert out.loc["cut", "removed"] == ["a", "c"] and out.loc["cut", "added"] == ["b"]
    # b (20, $50) + c (6, $40) = 26 beats a + c = 16; a + b needs $110
    assert out.loc["b_matters", "added"] == ["b"] and out.loc["b_matters", "removed"] == ["a"]


def test_compare_scenarios_with_new_weights_rescores_from_the_matrix():
    crit = Criteria(("care", "money"), ("benefit", "benefit"), (0.9, 0.1))
    matrix = pd.DataFrame({"care": [1.0, 0.0], "money": [0.0, 1.0]}, index=["a", "b"])
    items = [I("a", 0.9, capex=60), I("b", 0.1, capex=60)]
    out = compare_scenarios(items, ONE_YEAR, {"money_first": {"weights": {"care": 0.2, "money": 0.8}}},
                            horizon_quarters=1, matrix=matrix, criteria=crit).set_index("scenario")
    assert out.loc["money_first", "added"] == ["b"] and out.loc["money_first", "removed"] == ["a"]
    with pytest.raises(UsageError, match="unknown scenario keys"):
        compare_scenarios(items, ONE_YEAR, {"x": {"colour": 1}}, horizon_quarters=1)


def test_urgent_item_goes_first_when_only_one_fits_a_year():
    # 10 staff hours a year: one starts in FY2027 (quarter 0), the other in FY2028 (quarter 4). "a" first is worth
    # 5 + 5 / 1.02**4 = 9.619, "b" first 5 + 5 / 1.22**4 = 7.257
    items = [I("b", 5, hours=10), I("a", 5, hours=10, urgency=1.0)]
    budgets = {"FY2027": {"hours": 10.0}, "FY2028": {"hours": 10.0}}
    p = solve_portfolio(items, budgets, horizon_quarters=8, discount=Discount(0.02, 0.2))
    assert p.roadmap().set_index("initiative")["start"].to_dict() == {"a": 0, "b": 4}
    assert p.value == 10 and p.delivered_value == pytest.approx(5 + 5 / 1.02**4)


def test_discount_trades_an_early_start_against_opex_saved_by_starting_late():
    # opex budget 250 in FY2027 only allows a start in Q2 (see the opex test above); with a year-2 budget that
    # takes a Q1 start, urgency moves the start to Q1 and the delivered value is the undiscounted value
    budgets = {"FY2027": {"opex": 300.0}, "FY2028": {"opex": 400.0}}
    p = solve_portfolio([I("pacs", 1, opex=400, urgency=1.0)], budgets, horizon_quarters=8,
                        discount=Discount(0.0, 0.1))
    assert p.roadmap()["start"].tolist() == [0] and p.delivered_value == pytest.approx(1.0)
    late = solve_portfolio([I("pacs", 1, opex=400, earliest_start=3)], budgets, horizon_quarters=8,
                           discount=Discount(0.1, 0.0))
    assert late.value == 1 and late.delivered_value == pytest.approx(1 / 1.1**3)


def test_deadline_is_honoured_and_a_missed_mandatory_deadline_is_named():
    budgets = {"FY2027": {"capex": 10.0}, "FY2028": {"capex": 10.0}}
    # capex 10 per year: both cannot start in FY2027; the deadline keeps "kev" there
    items = [I("kev", 3, capex=10, latest_start=3), I("big", 5, capex=10, urgency=1.0)]
    # without the deadline: big at 0 and kev at 4 (5 + 3 = 8); with it: kev at 0, big at 4 (3 + 5 / 1.2**4 = 5.41)
    # beats big alone (5)
    road = solve_portfolio(items, budgets, horizon_quarters=8, discount=Discount(0.0, 0.2)).roadmap()
    assert road.set_index("initiative")["start"].to_dict() == {"kev": 0, "big": 4}
    with pytest.raises(InfeasiblePortfolio, match="kev \\(mandatory\\) must start by quarter 1 .* cannot start "
                                                  "before quarter 2; move the deadline"):
        solve_portfolio([I("kev", 1, earliest_start=2, latest_start=1, mandatory=True)], budgets, horizon_quarters=8)


def test_start_windows_follow_prerequisites_deadlines_and_required_dependents():
    items = [I("net", 1, duration=2), I("seg", 1, duration=3, depends_on=("net",), earliest_start=1),
             I("nac", 1, depends_on=("seg",), mandatory=True, latest_start=6), I("late", 1, duration=2, latest_start=9)]
    first, last = start_windows(items, 8, {0, 1, 2})
    # seg cannot start before net finishes (2); nac after seg (5); net must finish before seg's last start (3)
    assert first == [0, 2, 5, 0] and last == [1, 3, 6, 6]
    # an optional dependent does not limit its prerequisite
    assert start_windows(items, 8, set())[1] == [6, 5, 6, 6]


def test_shipped_discount_is_seven_percent_a_year_per_quarter():
    d = load_discount()
    assert (1 + d.quarterly_rate) ** 4 == pytest.approx(1.07) and d.urgent_rate == 0.10
    with pytest.raises(UsageError, match="shares per quarter"):
        Discount(-0.1, 0.0)


# ---- brute force -------------------------------------------------------------------------------------------

def _usage(it: I, start: int, horizon: int, years: int) -> np.ndarray:
    """Resource x fiscal-year usage written out loop by loop, independently of the module."""
    u = np.zeros((3, years))
    for q in range(start, start + it.duration):
        u[0, q // 4] += it.capex / it.duration
        u[2, q // 4] += it.hours / it.duration
    for q in range(start + it.duration, horizon):
        u[1, q // 4] += it.opex / 4
    return u


def _brute_force(items: list[I], caps: np.ndarray, horizon: int, disc: Discount) -> float | None:
    """Best delivered value (value / (1 + rate + urgency x urgent rate) ** start) over every (not chosen | start
    quarter) assignment, or None when none is feasible."""
    years = caps.shape[1]
    last = [horizon - it.duration if it.latest_start is None else min(horizon - it.duration, it.latest_start)
            for it in items]
    options = [[None] + list(range(it.earliest_start, last[i] + 1)) for i, it in enumerate(items)]
    idx = np.array(list(itertools.product(*[range(len(o)) for o in options])))  # assignments x items
    starts = np.stack([np.array([-1 if s is None else s for s in o])[idx[:, i]] for i, o in enumerate(options)], 1)
    chosen = starts >= 0
    ok = np.ones(len(idx), bool)
    total = np.zeros((len(idx), 3, years))
    names = [it.name for it in items]
    for i, (it, o) in enumerate(zip(items, options)):
        per_option = np.stack([np.zeros((3, years))] + [_usage(it, s, horizon, years) for s in o[1:]])
        total += per_option[idx[:, i]]
        if it.mandatory:
            ok &= chosen[:, i]
        for d in it.depends_on:
            a = names.index(d)
            ok &= ~chosen[:, i] | (chosen[:, a] & (starts[:, i] >= starts[:, a] + items[a].duration))
        for e in it.excludes:
            ok &= ~(chosen[:, i] & chosen[:, names.index(e)])
    ok &= (total <= caps[None] + 1e-9).all(axis=(1, 2))
    if not ok.any():
        return None
    worth = np.zeros(len(idx))
    for i, it in enumerate(items):
        rate = disc.quarterly_rate + it.urgency * disc.urgent_rate
        worth += np.where(chosen[:, i], it.value / (1 + rate) ** np.maximum(starts[:, i], 0), 0.0)
    return float(worth[ok].max())


@st.composite
def instances(draw, max_items: int, min_horizon: int, max_horizon: int):
    n = draw(st.integers(1, max_items))
    horizon = draw(st.integers(min_horizon, max_horizon))
    years = (horizon + 3) // 4
    items = []
    for k in range(n):
        deps = draw(st.lists(st.integers(0, k - 1), max_size=2, unique=True)) if k else []  # earlier only: acyclic
        items.append(dict(name=f"i{k}", value=draw(st.integers(0, 20)), duration=draw(st.integers(1, 3)),
                          capex=draw(st.integers(0, 10)), opex=draw(st.integers(0, 12)), hours=draw(st.integers(0, 8)),
                          earliest_start=draw(st.integers(0, 2)), mandatory=draw(st.booleans()) and draw(st.booleans()),
                          depends_on=tuple(f"i{d}" for d in deps), excludes=(),
                          urgency=draw(st.sampled_from([0.0, 0.5, 1.0])),
                          latest_start=draw(st.none() | st.integers(0, horizon - 1))))
    for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=2)):
        if a != b:
            items[a]["excludes"] += (f"i{b}",)
    caps = np.array([[draw(st.integers(0, 20)) for _ in range(years)] for _ in range(3)], dtype=float)
    disc = Discount(draw(st.sampled_from([0.0, 0.02, 0.1])), draw(st.sampled_from([0.0, 0.1, 0.3])))
    return [I(**d) for d in items], caps, horizon, disc


def _check_against_brute_force(items: list[I], caps: np.ndarray, horizon: int, disc: Discount) -> None:
    years = caps.shape[1]
    budgets = pd.DataFrame(caps.T, index=[f"FY{2027 + y}" for y in range(years)], columns=["capex", "opex", "hours"])
    best = _brute_force(items, caps, horizon, disc)
    if best is None:
        for tighten in (True, False):
            with pytest.raises(InfeasiblePortfolio, match="mandatory|cannot|exclude"):
                solve_portfolio(items, budgets, horizon_quarters=horizon, discount=disc, tighten=tighten)
        return
    # the plain formulation (the benchmark's baseline) reaches the same optimum
    plain = solve_portfolio(items, budgets, horizon_quarters=horizon, discount=disc, tighten=False)
    assert plain.delivered_value == pytest.approx(best, abs=1e-6)
    p = solve_portfolio(items, budgets, horizon_quarters=horizon, discount=disc)
    assert p.delivered_value == pytest.approx(best, abs=1e-6)
    road = p.roadmap().set_index("initiative")
    by_name = {it.name: it for it in items}
    used = sum((_usage(by_name[n], int(s), horizon, years) for n, s in road["start"].items()), np.zeros((3, years)))
    assert (used <= caps + 1e-6).all()
    assert np.allclose(p.totals[["capex_used", "opex_used", "hours_used"]].to_numpy().T, used)
    for it in items:
        if it.mandatory:
            assert it.name in road.index
        if it.name in road.index:
            assert road.loc[it.name, "start"] >= it.earliest_start
            assert it.latest_start is None or road.loc[it.name, "start"] <= it.latest_start
            assert road.loc[it.name, "finish"] == road.loc[it.name, "start"] + it.duration - 1 < horizon
            for d in it.depends_on:
                assert d in road.index and road.loc[it.name, "start"] > road.loc[d, "finish"]
            assert not any(e in road.index for e in it.excludes)


@pytest.mark.slow
@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_items=7, min_horizon=1, max_horizon=4))
def test_milp_equals_brute_force_within_one_year(instance):
    _check_against_brute_force(*instance)


@pytest.mark.slow
@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_items=5, min_horizon=5, max_horizon=8))
def test_milp_equals_brute_force_across_two_years(instance):
    _check_against_brute_force(*instance)
