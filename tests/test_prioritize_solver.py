"""The strengthened portfolio solve (cumulative dependency rows, greedy MIP start, objective offset, highspy when
installed) finds the same optimum as the plain formulation, and reports a bound no lower than its value."""

import numpy as np
import pytest

from hitplan.prioritize.portfolio import Discount, Initiative, _greedy_start, _model, solve_portfolio

# Two fiscal years (8 quarters), capex 100 per year, one-quarter items, value counts whenever it starts.
# A(60 capex, value 5) enables B(50, 4); C(50, 3) excludes D(40, 3.5); E(90, 2) must finish by quarter 1.
# By hand: E is due in year 1 and missing it costs far more than every value together, so E takes 90 of year 1
# and nothing else fits there. Year 2 holds 100: A + D = 100 (8.5) is best (B needs A finished before it
# starts, C + D exclude each other, A + C = 110). Optimum: E, A, D = 2 + 5 + 3.5 = 10.5.
ITEMS = [
    Initiative("A", 5.0, capex=60.0),
    Initiative("B", 4.0, capex=50.0, depends_on=("A",)),
    Initiative("C", 3.0, capex=50.0, excludes=("D",)),
    Initiative("D", 3.5, capex=40.0),
    Initiative("E", 2.0, capex=90.0, deadline_quarter=1),
]
BUDGETS = {"FY2027": {"capex": 100.0}, "FY2028": {"capex": 100.0}}


def solve(**options):
    return solve_portfolio(ITEMS, BUDGETS, discount=Discount(0.0, 0.0), prefer_early=False, late_penalty=1.0,
                           **options)


@pytest.mark.parametrize("options", [dict(tighten=True, strengthen=True), dict(tighten=True, strengthen=False)])
def test_same_optimum_as_plain_and_bound_covers_value(options):
    plain = solve(tighten=False, strengthen=False)
    strong = solve(**options)
    assert sorted(plain.chosen) == sorted(strong.chosen) == ["A", "D", "E"]
    assert strong.value == pytest.approx(10.5) == plain.value
    assert strong.status == "optimal"
    assert strong.objective == pytest.approx(10.5)  # E on time: no lateness penalty
    assert strong.bound >= strong.objective - 1e-6 * abs(strong.objective)
    assert plain.bound >= plain.objective - 1e-6 * abs(plain.objective)


def test_greedy_start_is_feasible():
    m = _model(ITEMS, solve_portfolio.__globals__["budget_frame"](BUDGETS), 8, set())
    coef = np.array([ITEMS[k].value for k in m.var_item])
    use, caps = m.usage["capex"].T, np.array([100.0, 100.0])
    x = _greedy_start(m, set(), coef, use, caps)
    on = np.flatnonzero(x > 0.5)
    assert len(set(m.var_item[on])) == len(on)  # each initiative once
    assert (use @ x <= caps + 1e-9).all()
    names = {ITEMS[m.var_item[v]].name: int(m.var_start[v]) for v in on}
    assert not {"C", "D"} <= set(names)
    if "B" in names:
        assert "A" in names and names["A"] < names["B"]


def test_random_instances_agree_with_plain():
    rng = np.random.default_rng(3)
    for _ in range(3):
        items = []
        for k in range(12):
            deps = (f"I{rng.integers(k)}",) if k and rng.random() < 0.3 else ()
            items.append(Initiative(f"I{k}", float(np.round(rng.uniform(1, 5), 2)), duration=int(rng.integers(1, 3)),
                                    capex=float(rng.integers(10, 60)), depends_on=deps, urgency=float(rng.random() < 0.3),
                                    deadline_quarter=int(rng.integers(2, 7)) if rng.random() < 0.2 else None))
        budgets = {"FY2027": {"capex": 120.0}, "FY2028": {"capex": 120.0}}
        runs = [solve_portfolio(items, budgets, discount=Discount(0.01, 0.05), prefer_early=False, late_penalty=0.5,
                                tighten=t, strengthen=s) for t, s in ((False, False), (True, True))]
        assert runs[1].objective == pytest.approx(runs[0].objective, rel=1e-6)
        assert runs[1].bound >= runs[1].objective - 1e-6 * abs(runs[1].objective)
