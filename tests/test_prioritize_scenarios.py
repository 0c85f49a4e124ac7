"""Urgency on the demo store (time-critical initiatives start in the first fiscal year), scenario files and their
errors, the scenario comparison, and `hitplan score --scenario`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from hitplan.cli import main
from hitplan.errors import UsageError
from hitplan.periods import resolve_period
from hitplan.prioritize import load_criteria
from hitplan.prioritize.portfolio import Discount, Initiative as I, Portfolio, solve_portfolio
from hitplan.prioritize.score import (
    _changes, funded_portfolio, load_budgets, load_scenarios, ranked_initiatives, scenario_comparison,
)

BUDGETS = Path(str(resources.files("hitplan.prioritize").joinpath("budget_example.yaml")))
EXAMPLE = Path(str(resources.files("hitplan.prioritize").joinpath("scenarios_example.yaml")))
KEV = "Remediate KEV-listed vulnerabilities"
SWITCH = "Replace end-of-support core switch stack"


@pytest.fixture(scope="module")
def demo(demo_store):
    path, _, as_of = demo_store
    con = duckdb.connect(str(path), read_only=True)
    period = resolve_period(con, None, today=as_of)
    ranking = ranked_initiatives(con, period, load_criteria(), samples=200)
    yield con, period, ranking
    con.close()


def _starts(portfolio: Portfolio, ranking: pd.DataFrame) -> dict[str, str]:
    ids = dict(zip(ranking["name"], ranking["initiative_id"]))
    road = portfolio.roadmap().set_index("initiative")["start_quarter"]
    return {name: road.get(ids[name], "not funded") for name in (KEV, SWITCH)}


def test_kev_remediation_and_switch_replacement_start_in_the_first_fiscal_year(demo):
    con, _, ranking = demo
    budgets = load_budgets(BUDGETS)
    first_fy = str(budgets.index[0])
    urgency = ranking.set_index("name")["urgency"]
    assert urgency[KEV] > 0.9 and urgency[SWITCH] > 0.5  # among the highest risk reductions of the candidates
    starts = _starts(funded_portfolio(con, ranking, budgets), ranking)
    assert all(s.startswith(first_fy) for s in starts.values()), starts


def test_the_kev_deadline_moves_kev_remediation_forward_even_without_urgency(demo):
    # issue 17: the KEV findings are past CISA's due day, so the remediation is due at once - it starts in the plan's
    # first quarter (the first after the data) whatever the discount; without its deadline and with no discount the
    # start quarter is worth nothing and it may land later
    con, period, ranking = demo
    budgets = load_budgets(BUDGETS)
    flat = Discount(0.0, 0.0)
    due = _starts(funded_portfolio(con, ranking, budgets, discount=flat, plan_start=period.end), ranking)
    assert due[KEV] == "FY2027Q2", due
    undated = ranking.assign(deadline=pd.NaT, deadline_reason="")
    loose = _starts(funded_portfolio(con, undated, budgets, discount=flat, plan_start=period.end), ranking)
    assert loose[KEV] != "not funded"
    urgent = _starts(funded_portfolio(con, undated, budgets, plan_start=period.end), ranking)
    assert urgent[KEV] == "FY2027Q2", "urgency alone also starts it first"


def test_shipped_example_compares_four_scenarios_side_by_side(demo):
    con, period, ranking = demo
    scenarios = load_scenarios([EXAMPLE])
    assert [s.name for s in scenarios] == ["budget_cut_10", "budget_plus_10", "security_first", "wireless_now"]
    out = scenario_comparison(con, period, load_criteria(), load_budgets(BUDGETS), scenarios, samples=200)
    summary = out.summary.set_index("scenario")
    assert list(summary.index) == ["base", *[s.name for s in scenarios]]
    assert summary.loc["base", "funded"] == len(out.portfolios["base"].chosen)
    usage = out.usage.set_index(["scenario", "fiscal_year"])
    base_cap = usage.loc[("base", "FY2028"), "capex_budget"]
    assert usage.loc[("budget_cut_10", "FY2028"), "capex_budget"] == pytest.approx(0.9 * base_cap)
    assert (usage["capex_used"] <= usage["capex_budget"] + 1e-6).all()
    assert "INI-018" in out.portfolios["wireless_now"].chosen
    assert "INI-019" not in out.portfolios["wireless_now"].chosen
    # the changes table lists exactly the initiatives whose start (or funding) differs somewhere
    starts = {n: dict(zip(p.roadmap()["initiative"], p.roadmap()["start_quarter"])) for n, p in out.portfolios.items()}
    differing = sorted(i for i in set().union(*starts.values()) if len({s.get(i, "") for s in starts.values()}) > 1)
    assert out.changes["initiative"].tolist() == differing


def test_changes_say_where_an_initiative_is_funded_and_when_it_moves():
    budgets = {"FY2027": {"capex": 10.0}}
    a = solve_portfolio([I("x", 1, capex=5), I("y", 1, capex=5)], budgets, horizon_quarters=4)
    b = solve_portfolio([I("x", 1, capex=5, earliest_start=2), I("y", 1, capex=50)], budgets, horizon_quarters=4)
    c = _changes({"base": a, "tight": b}).set_index("initiative")
    assert c.loc["x", "base"] == "FY2027Q1" and c.loc["x", "tight"] == "FY2027Q3" and c.loc["x", "change"] == "start moves"
    assert c.loc["y", "tight"] == "" and c.loc["y", "change"] == "funded only in base"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_one_scenario_per_file_with_a_budget_file_beside_it(tmp_path):
    _write(tmp_path, "lean.yaml", "budgets:\n  FY2028: {capex: 1000000, opex: 100000, hours: 4000}\n")
    p = _write(tmp_path, "lean_year.yaml", "description: half the money\nbudget_file: lean.yaml\nmethod: topsis\n"
                                           "budget_scale: {hours: 0.5}\nforce_out: [INI-012]\n")
    (s,) = load_scenarios([p])
    assert s.name == "lean_year" and s.method == "topsis" and s.budget_scale == {"hours": 0.5}
    assert s.budgets.loc["FY2028", "capex"] == 1_000_000 and s.force_out == ("INI-012",)


@pytest.mark.parametrize("text, message", [
    ("colour: red\n", "unknown key 'colour'; use description, budgets"),
    ("weights: {cost: 1.0}\n", "weights must name each criterion once"),
    ("weights: {cost: 1.0}\ncriteria: c.yaml\n", "give weights or criteria, not both"),
    ("budget_scale: -1\n", "budget_scale must be a factor >= 0"),
    ("budget_scale: {staff: 0.9}\n", "budget_scale must be a factor >= 0"),
    ("method: borda\n", "unknown method 'borda'"),
    ("force_in: INI-001\n", "force_in and force_out must be lists"),
    ("budgets: {2028: {capex: 1}}\n", "give fiscal years like FY2028"),
    ("budget_file: missing.yaml\n", "cannot read budgets file"),
    ("budget_scale: [0.9\n", "not valid YAML"),
    ("- 1\n- 2\n", "expected keys like"),
])
def test_bad_scenario_files_name_the_file_and_the_fix(tmp_path, text, message):
    p = _write(tmp_path, "what_if.yaml", text)
    with pytest.raises(UsageError, match="scenario file .*what_if.yaml") as err:
        load_scenarios([p])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_more_than_four_scenarios_or_repeated_names_are_refused(tmp_path):
    five = _write(tmp_path, "five.yaml", "scenarios:\n" + "".join(f"  s{i}: {{budget_scale: 1}}\n" for i in range(5)))
    with pytest.raises(UsageError, match="5 scenarios in .*five.yaml: compare at most 4"):
        load_scenarios([five])
    one = _write(tmp_path, "one.yaml", "budget_scale: 0.9\n")
    with pytest.raises(UsageError, match="must differ .*: one"):
        load_scenarios([one, one])
    with pytest.raises(UsageError, match="cannot read scenario file .*nope.yaml: no such file"):
        load_scenarios([tmp_path / "nope.yaml"])


def test_forcing_out_a_prerequisite_of_a_forced_in_initiative_is_refused(demo):
    con, _, ranking = demo
    # INI-018 (wireless) depends on INI-001 (core switches)
    with pytest.raises(UsageError, match="INI-018 is mandatory \\(or forced in\\) but forced out, or depends"):
        funded_portfolio(con, ranking, load_budgets(BUDGETS), force_in=["INI-018"], force_out=["INI-001"])
    with pytest.raises(UsageError, match="not open candidates: INI-999"):
        funded_portfolio(con, ranking, load_budgets(BUDGETS), force_in=["INI-999"])


def test_cli_scenarios_in_json_and_one_line_errors(demo_store, tmp_path, capsys):
    path, _, as_of = demo_store
    base = ["score", "--store", str(path), "-q", "--as-of", as_of.isoformat(), "--samples", "200"]
    assert main(base + ["--budget", str(BUDGETS), "--scenario", str(EXAMPLE), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["scenario"] for r in out["scenarios"]["summary"]] == ["base", "budget_cut_10", "budget_plus_10",
                                                                    "security_first", "wireless_now"]
    assert {"initiative", "base", "wireless_now", "change"} <= set(out["scenarios"]["changes"][0])
    assert main(base + ["--budget", str(BUDGETS), "--scenario", str(EXAMPLE)]) == 0
    text = capsys.readouterr().out
    assert "scenarios side by side:" in text and "what changes (start quarter per scenario" in text
    bad = _write(tmp_path, "bad.yaml", "weight: {cost: 1}\n")
    assert main(base + ["--budget", str(BUDGETS), "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hitplan: error: scenario file") and "bad.yaml" in err and "unknown key 'weight'" in err
    assert len(err.splitlines()) == 1
    assert main(base + ["--scenario", str(EXAMPLE)]) == 2
    assert "give the base budgets with --budget" in capsys.readouterr().err
