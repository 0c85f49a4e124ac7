"""One settings object: shipped defaults, one settings file over them, per-run overrides, refusals in one line,
the source of every figure, and every command that computes with settings taking --settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hitplan.errors import UsageError
from hitplan.prioritize.criteria import criteria_from_settings
from hitplan.prioritize.portfolio import budgets_from_settings, load_discount
from hitplan.settings import SECTIONS, load_settings
from kpi_fixtures import tiny_store


def _file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- loading and sources

def test_shipped_settings_carry_every_section_with_its_sources():
    s = load_settings()
    assert set(s.sections) == set(SECTIONS) == {"kpi", "forecast", "criteria", "portfolio", "report"}
    assert s.value("kpi", "continuity", "downtime_cost_per_hour_usd")[1] == 250000
    assert s.source("kpi", "continuity", "downtime_cost_per_hour_usd").startswith("planning assumption")
    assert s.kpi["continuity"]["downtime_cost_per_hour_usd"]["value"][1] == 250000  # the shape KPI code reads
    assert s.forecast["themes"]["n_themes"]["value"] == 10
    assert s.value("portfolio", "urgency", "yearly_discount_rate") == 0.07
    assert s.source("portfolio", "urgency", "yearly_discount_rate") == "hitplan/prioritize/portfolio.yaml"
    assert s.value("report", "board", "top_risks") == 6
    assert s.value("criteria", "cost", "weight") == 0.20 and s.value("criteria", "cost", "direction") == "cost"
    assert "Gartner" in s.source("criteria", "cost", "weight")
    assert s.is_shipped("kpi") and s.files == ()
    assert all(r["source"] for r in s.figures())


def test_a_settings_file_overrides_only_what_it_names_and_is_named_as_their_source(tmp_path):
    path = _file(tmp_path / "s.yaml", """
kpi:
  continuity:
    downtime_cost_per_hour_usd: {1: 500000, 2: 60000, 3: 10000, 4: 1000, unassessed: 10000}
forecast:
  themes: {n_themes: 8}
criteria:
  cost: {weight: 0.10}
  clinical_impact: {weight: 0.30}
portfolio:
  urgency: {yearly_discount_rate: 0.05}
  budgets:
    FY2030: {capex: 1000000, opex: 100000, hours: 2000}
report:
  board: {top_risks: {value: 4, why: "our board reads four"}}
""")
    s = load_settings(path)
    where = f"settings file {path}"
    assert s.value("kpi", "continuity", "downtime_cost_per_hour_usd")[1] == 500000
    assert s.source("kpi", "continuity", "downtime_cost_per_hour_usd") == where
    assert s.value("kpi", "continuity", "dr_coverage_months") == 12  # untouched
    assert s.source("kpi", "continuity", "dr_coverage_months") != where
    assert s.forecast["themes"]["n_themes"]["value"] == 8
    assert s.value("report", "board", "top_risks") == 4 and s.source("report", "board", "top_risks") == where
    assert s.files == (str(path),) and not s.is_shipped("kpi") and s.is_shipped("kpi", "support")
    crit = criteria_from_settings(s)
    assert dict(zip(crit.names, crit.weights))["cost"] == 0.10
    assert list(budgets_from_settings(s).index) == ["FY2030"]  # the budgets are replaced as a whole
    assert load_discount(s).quarterly_rate == pytest.approx(1.05 ** 0.25 - 1)


def test_per_run_overrides_go_over_the_settings_file(tmp_path):
    path = _file(tmp_path / "s.yaml", "kpi:\n  vendors: {notice_alert_days: 30, renewal_horizon_days: 90}\n")
    kpi = _file(tmp_path / "k.yaml", "vendors: {notice_alert_days: 45}\n")
    weights = _file(tmp_path / "w.yaml", "criteria:\n  cost: {direction: cost, weight: 0.5}\n"
                                         "  reach: {direction: benefit, weight: 0.5}\n")
    budget = _file(tmp_path / "b.yaml", "budgets:\n  FY2031: {capex: 5, opex: 6, hours: 7}\n")
    s = load_settings(path, kpi_config=kpi, weights=weights, budget=budget)
    assert s.value("kpi", "vendors", "notice_alert_days") == 45
    assert s.source("kpi", "vendors", "notice_alert_days") == f"KPI configuration {kpi}"
    assert s.value("kpi", "vendors", "renewal_horizon_days") == 90
    assert criteria_from_settings(s).names == ("cost", "reach")  # a weights file replaces the criteria
    assert s.source("criteria", "reach", "weight") == f"criteria file {weights}"
    assert budgets_from_settings(s).loc["FY2031", "hours"] == 7
    assert s.files == (str(path), str(kpi), str(weights), str(budget))


# ---------------------------------------------------------------- refusals, one clear line each

@pytest.mark.parametrize("text, message", [
    ("kpis:\n  support: {}\n", "unknown section 'kpis'; sections: kpi, forecast, criteria, portfolio, report"),
    ("kpi:\n  suport: {reopen_rate_pct: 5}\n", "unknown area kpi.suport; areas: support, "),
    ("kpi:\n  support: {reopen_rat: 5}\n", "kpi.support.reopen_rat is not a figure of kpi.support; figures: "),
    ("kpi:\n  support: {reopen_rate_pct: {watch: five, off_target: 10}}\n",
     "kpi.support.reopen_rate_pct.watch 'five' is not a number"),
    ("kpi:\n  support: {reopen_rate_pct: {watch: 5}}\n", "kpi.support.reopen_rate_pct must give watch, off_target"),
    ("kpi:\n  costs: {actual_to_budget: {watch: .nan, off_target: 1}}\n", "costs.actual_to_budget.watch is nan"),
    ("forecast:\n  themes: {n_themes: many}\n", "forecast.themes.n_themes 'many' is not a number"),
    ("criteria:\n  bogus: {weight: 1}\n", "unknown criterion criteria.bogus; criterions: clinical_impact"),
    ("criteria:\n  cost: {direction: 3}\n", "criteria.cost.direction 3 must be text"),
    ("portfolio:\n  budgets:\n    FY2028: {capex: lots}\n", "portfolio.budgets.FY2028.capex 'lots' is not a number"),
    ("portfolio:\n  budgets:\n    2028: {capex: 1}\n", "fiscal years like FY2028"),
    ("report:\n  board: {top_risks: six}\n", "report.board.top_risks 'six' is not a number"),
    ("- kpi\n", "expected sections (kpi, forecast, criteria, portfolio, report)"),
    ("kpi: [1\n", "not valid YAML"),
])
def test_a_bad_settings_file_is_refused_in_one_line_naming_the_key(tmp_path, text, message):
    path = _file(tmp_path / "bad.yaml", text)
    with pytest.raises(UsageError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_weights_that_do_not_sum_to_one_are_refused_naming_the_settings_file(tmp_path):
    path = _file(tmp_path / "s.yaml", "criteria:\n  cost: {weight: 0.5}\n")
    with pytest.raises(UsageError, match=rf"settings file {path}: weights must sum to 1"):
        criteria_from_settings(load_settings(path))


def test_a_missing_settings_file_is_refused():
    with pytest.raises(UsageError, match="cannot read settings file nowhere.yaml: no such file"):
        load_settings("nowhere.yaml")


# ---------------------------------------------------------------- `hitplan settings`

def test_settings_show_prints_every_figure_with_its_value_and_source(tmp_path, cli):
    path = _file(tmp_path / "s.yaml", "kpi:\n  security: {cost_per_breach_usd: 1234567}\n")
    code, out, _ = cli("settings", "show", "--settings", str(path), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    row = next(r for r in doc["figures"] if (r["section"], r["group"], r["name"]) ==
               ("kpi", "security", "cost_per_breach_usd"))
    assert row == {"section": "kpi", "group": "security", "name": "cost_per_breach_usd", "value": 1234567,
                   "source": f"settings file {path}"}
    assert len(doc["figures"]) == len(load_settings().figures()) and doc["files"] == [str(path)]
    code, out, _ = cli("settings")
    assert code == 0 and "downtime_cost_per_hour_usd" in out and "IBM Security / Ponemon" in out


def test_settings_show_refuses_a_bad_file_with_exit_2(tmp_path, cli):
    path = _file(tmp_path / "s.yaml", "kpi:\n  security: {cost_per_breach: 1}\n")
    code, _, err = cli("settings", "--settings", str(path))
    assert code == 2 and "kpi.security.cost_per_breach is not a figure" in err


# ---------------------------------------------------------------- every command takes --settings

SYSTEMS = [{"system_id": "S1", "name": "Core switch", "kind": "infrastructure", "category": "network",
            "criticality_tier": 1, "end_of_support": "2024-12-31", "holds_phi": False}]
INCIDENTS = [{"number": "I1", "system_id": "S1", "opened_at": "2025-03-01 10:00:00",
              "resolved_at": "2025-03-01 12:00:00", "outage_minutes": 60, "users_affected": 300, "priority": 1}]
INITIATIVES = [{"initiative_id": "A", "name": "Replace switch", "area": "infrastructure", "target_systems": "S1",
                "capex": 100000, "opex_per_year": 10000, "savings_per_year": 5000, "incident_reduction_pct": 50,
                "outage_reduction_pct": 100, "strategic_alignment": 4, "confidence": 0.8}]
DOUBLE_TIER1 = "kpi:\n  continuity:\n    downtime_cost_per_hour_usd: {1: 500000, 2: 60000, 3: 10000, 4: 1000, unassessed: 10000}\n"


@pytest.fixture
def small_store(tmp_path) -> Path:
    return tiny_store(tmp_path / "small.duckdb", systems=SYSTEMS, incidents=INCIDENTS, initiatives=INITIATIVES)


def _json(cli, *args) -> dict:
    code, out, err = cli(*args)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.slow
def test_kpi_takes_settings_and_the_downtime_cost_follows(small_store, tmp_path, cli):
    path = _file(tmp_path / "s.yaml", DOUBLE_TIER1)
    base = ["--store", str(small_store), "kpi", "downtime_cost_by_system", "--period", "2025-03", "--format", "json"]
    shipped = _json(cli, *base)["kpis"]["downtime_cost_by_system"]["records"]
    mine = _json(cli, *base, "--settings", str(path))["kpis"]["downtime_cost_by_system"]["records"]
    cost = next(k for k in shipped[0] if k.endswith("usd"))
    assert shipped[0][cost] == pytest.approx(250000) and mine[0][cost] == pytest.approx(500000)  # 1 h of tier 1


@pytest.mark.slow
def test_scorecard_takes_settings_and_a_threshold_changes_the_status(small_store, tmp_path, cli):
    # S1 (tier 1) is past end of support: off target at the shipped {watch: 0, off_target: 0}
    path = _file(tmp_path / "s.yaml", "kpi:\n  infrastructure:\n    tier1_past_eos_systems: {watch: 5, off_target: 9}\n")
    base = ["--store", str(small_store), "scorecard", "--period", "2025-03", "--format", "json"]

    def driver(doc):
        area = next(a for a in doc["areas"] if a["area"] == "infrastructure")
        return next(d for d in area["drivers"] if d["kpi"] == "end_of_support_exposure")

    assert driver(_json(cli, *base))["status"] == "off target"
    assert driver(_json(cli, *base, "--settings", str(path)))["status"] == "on target"


@pytest.mark.slow
def test_score_takes_settings_and_the_npv_criterion_follows_the_downtime_cost(small_store, tmp_path, cli):
    """The bug of issue 13: the downtime cost per hour of the settings reaches the NPV criterion."""
    path = _file(tmp_path / "s.yaml", DOUBLE_TIER1)
    base = ["--store", str(small_store), "score", "--start", "2024-07-01", "--end", "2025-07-01", "--samples", "50",
            "--format", "json"]
    shipped = _json(cli, *base)["ranking"][0]["financial_npv"]
    mine = _json(cli, *base, "--settings", str(path))["ranking"][0]["financial_npv"]
    # one outage hour a year avoided in full, $250k more per hour, over 5 years at 7 %
    annuity = sum(1.07 ** -y for y in range(1, 6))
    assert mine - shipped == pytest.approx(250000 * annuity)


@pytest.mark.slow
def test_score_funds_the_budgets_of_a_settings_file(small_store, tmp_path, cli):
    path = _file(tmp_path / "s.yaml", "portfolio:\n  budgets:\n    FY2026: {capex: 500000, opex: 50000, hours: 1000}\n")
    base = ["--store", str(small_store), "score", "--start", "2024-07-01", "--end", "2025-07-01", "--samples", "50",
            "--format", "json"]
    assert "portfolio" not in _json(cli, *base)  # the shipped budgets are an example, not the hospital's
    doc = _json(cli, *base, "--settings", str(path))
    assert [t["fiscal_year"] for t in doc["portfolio"]["totals"]] == ["FY2026"]


@pytest.mark.slow
def test_forecast_takes_settings(small_store, tmp_path, cli):
    path = _file(tmp_path / "s.yaml", "forecast:\n  outage:\n    min_history_quarters: 99\n")
    base = ["--store", str(small_store), "forecast", "--format", "json", "--as-of", "2025-06-30"]
    shipped = _json(cli, *base)["outage_risk"]["note"] or ""
    mine = _json(cli, *base, "--settings", str(path))["outage_risk"]["note"] or ""
    # the model needs the configured quarters of history plus two to backtest on
    assert "needs 101" in mine and "needs 6" in shipped


@pytest.mark.slow
def test_report_takes_settings_and_passes_it_to_the_notebooks(small_store, tmp_path, cli):
    path = _file(tmp_path / "s.yaml", "kpi:\n  continuity: {dr_coverage_months: 17}\n")
    code, out, err = cli("--store", str(small_store), "report", "--only", "continuity", "--formats", "html",
                         "--period", "FY2025", "--out", str(tmp_path / "reports"), "--settings", str(path))
    assert code == 0, err
    folder = next((tmp_path / "reports").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["parameters"]["settings"] == str(path.resolve())
    html = next(folder.rglob("*continuity*.html")).read_text(encoding="utf-8")
    assert "17 months" in html
