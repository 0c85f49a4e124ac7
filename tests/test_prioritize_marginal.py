"""What binds and what more would buy (issue 17 item 5): used / left / binding per budget line and team per year,
and +10 % / +25 % of a binding line re-solved, on a hand-worked two-team instance."""

from __future__ import annotations

import pytest

from hitplan.prioritize.portfolio import (
    Discount, Initiative as I, binding_constraints, marginal_values, solve_portfolio,
)

# network 1000 and ehr_apps 1000 hours in FY2027. ehr_apps cannot take b (800) and c (400) together, so b (4)
# is funded over c (3); network holds a (600) and d (300) with 100 left that nothing unfunded needs.
ITEMS = [I("a", 5, team_hours={"network": 600}), I("b", 4, team_hours={"ehr_apps": 800}),
         I("c", 3, team_hours={"ehr_apps": 400}), I("d", 1, team_hours={"network": 300})]
BUDGETS = {"FY2027": {"capex": 1000, "teams": {"network": 1000, "ehr_apps": 1000}}}
OPTS = {"horizon_quarters": 1, "discount": Discount(0.0, 0.0)}


def test_the_binding_team_is_named_with_what_it_holds_back():
    p = solve_portfolio(ITEMS, BUDGETS, **OPTS)
    assert sorted(p.chosen) == ["a", "b", "d"] and p.value == 10
    c = p.constraints.set_index("line")
    assert c.loc["team:ehr_apps", ["used", "left"]].tolist() == [800, 200]
    assert c.loc["team:ehr_apps", "binding"] and c.loc["team:ehr_apps", "holds_back"] == ["c"]
    assert c.loc["team:ehr_apps", "name"] == "ehr_apps team hours"
    assert c.loc["team:network", ["used", "left"]].tolist() == [900, 100] and not c.loc["team:network", "binding"]
    assert not c.loc["capex", "binding"]  # nothing uses capex: 1000 left
    b = binding_constraints(p)
    assert b[["fiscal_year", "line"]].values.tolist() == [["FY2027", "team:ehr_apps"]]


def test_more_of_the_binding_team_is_re_solved():
    m = marginal_values(ITEMS, BUDGETS, **OPTS).set_index("step")
    # +10 %: 1100 hours still cannot hold b + c = 1200, nothing changes; +25 %: 1250 does, c enters (+3)
    assert m.loc[0.10, "value_added"] == 0 and m.loc[0.10, "entering"] == []
    assert m.loc[0.25, "extra"] == 250 and m.loc[0.25, "value_added"] == 3 and m.loc[0.25, "entering"] == ["c"]
    assert set(m["line"]) == {"team:ehr_apps"} and m.loc[0.25, "value_before"] == 10
    # a named line that does not bind is re-solved all the same when asked for: more network hours buy nothing
    net = marginal_values(ITEMS, BUDGETS, steps=(0.5,), lines=[("FY2027", "team:network")], **OPTS)
    assert net["value_added"].tolist() == [0]


def test_a_line_binds_only_when_more_of_it_would_let_something_better_in():
    # capex exactly used (100 of 100) but nothing else wants capex: tight, not binding
    p = solve_portfolio([I("x", 1, capex=100), I("y", 1, hours=10)], {"FY2027": {"capex": 100, "hours": 5}}, **OPTS)
    c = p.constraints.set_index("line")
    assert c.loc["capex", "left"] == 0 and not c.loc["capex", "binding"]
    assert c.loc["hours", "binding"] and c.loc["hours", "holds_back"] == ["y"]
    assert marginal_values([I("x", 1, capex=100), I("y", 1, hours=10)], {"FY2027": {"capex": 100, "hours": 5}},
                           steps=(1.0,), **OPTS)["entering"].tolist() == [["y"]]


def test_an_earlier_start_held_back_by_a_year_binds_that_year():
    # hours 10 a year: urgent "a" and "b" cannot share FY2027; b waits for FY2028 and FY2027's hours hold it back
    items = [I("a", 5, hours=10, urgency=1.0), I("b", 5, hours=10)]
    budgets = {"FY2027": {"hours": 10.0}, "FY2028": {"hours": 10.0}}
    p = solve_portfolio(items, budgets, horizon_quarters=8, discount=Discount(0.02, 0.2))
    c = p.constraints.set_index("fiscal_year")
    assert c.loc["FY2027", "binding"] and c.loc["FY2027", "holds_back"] == ["b"]
    m = marginal_values(items, budgets, steps=(1.0,), horizon_quarters=8, discount=Discount(0.02, 0.2))
    row = m.set_index("fiscal_year").loc["FY2027"]
    # doubling FY2027's hours lets b start in quarter 0: delivered 5 + 5 against 5 + 5 / 1.02**4
    assert row["earlier"] == ["b"] and row["delivered_added"] == pytest.approx(5 - 5 / 1.02**4)
