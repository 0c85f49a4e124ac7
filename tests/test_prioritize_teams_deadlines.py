"""Portfolio model, issue 17: staff hours by team, deadlines (met, due at once, missed with the reason) and a plan
that starts in the first quarter after the data, on hand-worked instances."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hitplan.errors import UsageError
from hitplan.prioritize.portfolio import Discount, Initiative as I, budget_frame, initiatives, solve_portfolio

NO_DISCOUNT = Discount(0.0, 0.0)
# fiscal years start in July (the demo hospital); the data end on 2026-09-30, so the plan starts in FY2027Q2
JULY = 7
AFTER_DATA = dt.date(2026, 10, 1)
THREE_YEARS = {"FY2027": {"capex": 100.0}, "FY2028": {"capex": 100.0}, "FY2029": {"capex": 100.0}}


def _solve(items, budgets=THREE_YEARS, **kw):
    kw.setdefault("discount", Discount(0.0, 0.2))
    return solve_portfolio(items, budgets, plan_start=AFTER_DATA, fiscal_start_month=JULY, **kw)


def test_plan_starts_in_the_first_quarter_after_the_data_not_the_first_budget_year():
    # FY2027 runs 2026-07..2027-06: the quarter after 2026-09-30 is FY2027Q2; to the end of FY2029 = 3 + 4 + 4 = 11
    p = _solve([I("a", 1, capex=10)])
    assert p.quarter_labels[0] == "FY2027Q2" and p.quarter_labels[-1] == "FY2029Q4" and len(p.quarter_labels) == 11
    assert p.roadmap()["start_quarter"].tolist() == ["FY2027Q2"] and p.plan_start == AFTER_DATA
    assert p.totals.index.tolist() == ["FY2027", "FY2028", "FY2029"]
    # data ending mid-quarter (2026-08-15): the plan still starts with the next whole quarter, FY2027Q2
    mid = solve_portfolio([I("a", 1)], THREE_YEARS, plan_start=dt.date(2026, 8, 16), fiscal_start_month=JULY)
    assert mid.quarter_labels[0] == "FY2027Q2"
    # years before the plan are ignored: a budget file naming FY2026 too plans from FY2027Q2 all the same
    more = solve_portfolio([I("a", 1)], {"FY2026": {"capex": 1.0}, **THREE_YEARS}, plan_start=AFTER_DATA,
                           fiscal_start_month=JULY)
    assert more.quarter_labels[0] == "FY2027Q2" and more.totals.index.tolist() == ["FY2027", "FY2028", "FY2029"]


def test_a_year_of_the_plan_missing_from_the_budgets_is_named():
    gap = {"FY2027": {"capex": 1.0}, "FY2029": {"capex": 1.0}}
    with pytest.raises(UsageError, match=r"plan runs FY2027Q2..FY2029Q4 but the budgets have no FY2028"):
        solve_portfolio([I("a", 1)], gap, plan_start=AFTER_DATA, fiscal_start_month=JULY)
    with pytest.raises(UsageError, match="budgets end with FY2026"):
        solve_portfolio([I("a", 1)], {"FY2026": {"capex": 1.0}}, plan_start=AFTER_DATA, fiscal_start_month=JULY)


def test_a_deadline_in_the_second_quarter_is_finished_by_it():
    # capex 100 a year: "big" and "eos" cannot both run in FY2027. Without a deadline big (urgent, 5) goes first:
    # 5 + 1 = 6 against 1 + 5 / 1.2**3 = 3.89. eos is due 2027-02-15, in FY2027Q3 (plan quarter 1), and takes two
    # quarters, so it must start in FY2027Q2 and big waits for FY2028
    eos = I("eos", 1, duration=2, capex=100, deadline=dt.date(2027, 2, 15), deadline_reason="end of support 2027-02-15")
    big = I("big", 5, capex=100, urgency=1.0)
    free = _solve([I("eos", 1, duration=2, capex=100), big]).roadmap().set_index("initiative")
    assert free.loc["eos", "finish_quarter"] > "FY2027Q3"  # the test can fail: the deadline changes the plan
    p = _solve([eos, big])
    road = p.roadmap().set_index("initiative")
    assert road.loc["eos", ["start_quarter", "finish_quarter"]].tolist() == ["FY2027Q2", "FY2027Q3"]
    assert road.loc["big", "start_quarter"] == "FY2028Q1"
    d = p.deadlines.set_index("initiative").loc["eos"]
    assert d["status"] == "met" and d["due_quarter"] == "FY2027Q3" and d["quarters_late"] == 0
    assert "end of support 2027-02-15" in d["reason"]


def test_an_overdue_deadline_starts_in_the_first_quarter():
    # KEV findings past CISA's due date (2026-06-30, before the plan): due at once, so kev starts in FY2027Q2
    # although big alone is worth more early (without the deadline kev waits for FY2028Q1)
    kev = I("kev", 1, capex=100, deadline=dt.date(2026, 6, 30), deadline_reason="CISA KEV due 2026-06-30")
    big = I("big", 5, capex=100, urgency=1.0)
    assert _solve([I("kev", 1, capex=100), big]).roadmap().set_index("initiative").loc["kev", "start"] > 0
    p = _solve([kev, big])
    assert p.roadmap().set_index("initiative").loc["kev", "start_quarter"] == "FY2027Q2"
    d = p.deadlines.set_index("initiative").loc["kev"]
    assert d["status"] == "met" and d["due_quarter"] == "before the plan" and "already due" in d["reason"]


def test_an_infeasible_deadline_is_reported_missed_with_its_reason():
    # mandatory kev is due at once but cannot start before FY2027Q4 (earliest start 2): planned there, 2 quarters
    # late, and the plan is still made
    kev = I("kev", 1, capex=10, mandatory=True, earliest_start=2, deadline=dt.date(2026, 6, 30),
            deadline_reason="CISA KEV due 2026-06-30")
    p = _solve([kev, I("other", 2, capex=10)])
    d = p.deadlines.set_index("initiative").loc["kev"]
    assert d["status"] == "missed" and d["quarters_late"] == 2 and d["finish_quarter"] == "FY2027Q4"
    assert "cannot start before FY2027Q4" in d["reason"] and "CISA KEV due 2026-06-30" in d["reason"]
    # a budget that cannot hold it on time: 150 of capex in FY2027 is more than its 100, so it lands in FY2028Q1
    # (3 quarters late) and the reason names the budget
    dear = I("dear", 1, capex=150, mandatory=True, deadline=dt.date(2026, 6, 30))
    d = _solve([dear], {**THREE_YEARS, "FY2028": {"capex": 200.0}}).deadlines.set_index("initiative").loc["dear"]
    assert d["status"] == "missed" and d["quarters_late"] == 3 and "overrun capex in FY2027" in d["reason"]
    # an optional initiative with a deadline is funded like a mandatory one when it fits at all (late here, in
    # FY2028Q1), and reported missed and not funded, with the reason, when it fits no year of the plan
    opt = I("opt", 1, capex=150, deadline=dt.date(2026, 6, 30))
    d = _solve([opt], {**THREE_YEARS, "FY2028": {"capex": 200.0}}).deadlines.set_index("initiative").loc["opt"]
    assert d["funded"] and d["status"] == "missed" and d["finish_quarter"] == "FY2028Q1"
    p = _solve([opt])
    assert p.chosen == []
    d = p.deadlines.set_index("initiative").loc["opt"]
    assert d["status"] == "missed" and not d["funded"] and "not funded: on time it would overrun capex in FY2027" \
        in d["reason"]


def test_a_lower_late_penalty_trades_a_deadline_for_value():
    # at 0.05 of the candidates' total (6) a quarter late costs 0.3; eos then finishes in FY2028Q2 (3 quarters late,
    # -0.9) because big first gains 5 - 5 / 1.2**3 = 2.11 > 0.9
    eos = I("eos", 1, duration=2, capex=100, deadline=dt.date(2027, 2, 15))
    p = _solve([eos, I("big", 5, capex=100, urgency=1.0)], late_penalty=0.05)
    d = p.deadlines.set_index("initiative").loc["eos"]
    assert d["status"] == "missed" and d["quarters_late"] == 3


def test_team_hours_from_text_and_a_team_the_budget_lacks():
    frame = pd.DataFrame({"name": ["net", "ehr"], "value": [1.0, 2.0], "hours": [0.0, 500.0],
                          "team_hours": ["network:300; security:100", "ehr_apps:500"],
                          "deadline": [pd.NaT, pd.Timestamp("2027-03-31")], "deadline_reason": [None, "due_by"]})
    net, ehr = initiatives(frame)
    assert dict(net.team_hours) == {"network": 300.0, "security": 100.0} and net.hours == 400  # hours from teams
    assert ehr.deadline == dt.date(2027, 3, 31) and net.deadline is None and ehr.deadline_reason == "due_by"
    budgets = {"FY2027": {"hours": 1000, "teams": {"network": 500, "ehr_apps": 600}}}
    with pytest.raises(UsageError, match="net names team security, which the budgets lack .teams: ehr_apps, network"):
        solve_portfolio(frame, budgets, horizon_quarters=4)
    with pytest.raises(UsageError, match="staff hours are 900 but its team hours add up to 500"):
        initiatives([I("x", 1, hours=900, team_hours={"network": 500})])
    # hours without teams stay one pool: the split is not checked against teams, 400 + 500 > 800 leaves one out
    p = solve_portfolio(frame, {"FY2027": {"hours": 800}}, horizon_quarters=4, discount=NO_DISCOUNT)
    assert p.chosen == ["ehr"]


def test_each_team_caps_its_own_hours_per_year():
    # network 500 a year: a (400) and b (300) cannot share FY2027, so b goes to FY2028; ehr_apps has room for both
    items = [I("a", 3, team_hours={"network": 400}), I("b", 2, team_hours={"network": 300, "ehr_apps": 100}),
             I("c", 1, team_hours={"ehr_apps": 200})]
    budgets = {fy: {"hours": 2000, "teams": {"network": 500, "ehr_apps": 1000}} for fy in ("FY2027", "FY2028")}
    road = solve_portfolio(items, budgets, horizon_quarters=8, discount=Discount(0.02, 0.0)).roadmap()
    start = road.set_index("initiative")["start_quarter"].to_dict()
    assert start == {"a": "FY2027Q1", "b": "FY2028Q1", "c": "FY2027Q1"}
    frame = budget_frame(budgets)
    assert list(frame.columns) == ["capex", "opex", "hours", "team:ehr_apps", "team:network"]
    with pytest.raises(UsageError, match="team network in some years but not in FY2028"):
        budget_frame({"FY2027": {"teams": {"network": 1}}, "FY2028": {"hours": 1}})


def test_an_initiative_whose_team_hours_are_not_team_hours_is_rejected_at_ingest(tmp_path, store_path, cli):
    # what the portfolio model cannot read is stopped with its reason at load, not by a failed report later
    from conftest import ingest, query, write_csv

    f = write_csv(tmp_path / "initiatives.csv", ["initiative_id", "name", "area", "team_hours", "staff_hours"],
                  [["I1", "A", "security", "network:100; security:50", "150"],
                   ["I2", "B", "security", "lots of hours", "10"],
                   ["I3", "C", "security", "", "0"]])
    s = ingest(cli, "initiatives", f)
    assert (s["rows_loaded"], s["rows_rejected"]) == (2, 1)
    assert query(store_path, "select initiative_id from initiatives order by 1") == [("I1",), ("I3",)]
    reason = query(store_path, "select reason from rejects")[0][0]
    assert "team:hours pairs" in reason
