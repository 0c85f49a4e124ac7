"""Costs and strategy KPIs on a tiny store with hand-computed expectations."""

from __future__ import annotations

import pandas as pd
import pytest

from hitplan.kpi import costs, load_config, runner, strategy
from kpi_fixtures import connect, period, tiny_store


def line(entry, day, amount, pool="cloud", **kw):
    return {"entry_id": entry, "posting_date": day, "amount": amount, "gl_account": "6000", "cost_center": "IT",
            "cost_pool": pool, **kw}


COSTS = [
    line("E1", "2025-07-10", 110, rgt="run", vendor_id="V1", invoice_number="INV-1", system_id="S1"),
    line("E2", "2025-07-20", 110, rgt="run", vendor_id="V1", invoice_number="INV-1", system_id="S1"),  # duplicate
    line("E3", "2025-07-20", 110, rgt="run", vendor_id="V1", invoice_number="INV-2", system_id="S1"),  # other invoice
    line("E4", "2025-09-05", 200, pool="software", rgt="transform", vendor_id="V2", capex_opex="capex", system_id="S1"),
    line("E5", "2025-09-06", -20, pool="software", rgt="grow", vendor_id="V2"),  # a credit
]
BUDGETS = [
    {"fiscal_year": 2026, "month": "2025-07-01", "cost_pool": "cloud", "cost_center": "IT", "amount": 300},
    {"fiscal_year": 2026, "month": "2025-08-01", "cost_pool": "cloud", "cost_center": "IT", "amount": 100},  # no costs
    {"fiscal_year": 2026, "month": "2025-09-01", "cost_pool": "software", "cost_center": "IT", "amount": 200},
]
USAGE = [{"day": "2025-07-01", "system_id": "S1", "department": "ED", "active_users": 10}]
Q1 = period("2025-07-01", "2025-10-01")
JUL = period("2025-07-01", "2025-08-01")


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", costs=COSTS, budgets=BUDGETS, usage=USAGE,
                           systems=[{"system_id": "S1", "name": "One", "kind": "application", "category": "ehr"}],
                           vendors=[{"vendor_id": "V1", "name": "Cloudy"}, {"vendor_id": "V2", "name": "Softy"}]))
    yield c
    c.close()


def test_budget_vs_actual_by_month_includes_a_month_with_no_costs(con):
    df = costs.budget_vs_actual_by_pool_month(con, Q1)
    rows = df[["cost_pool", "budget_usd", "actual_usd"]].values.tolist()
    # the month has no ledger line at all: its actual is not measured (blank, a gap in the chart), not 0
    assert rows[0] == ["cloud", 300.0, 330.0] and rows[2] == ["software", 200.0, 180.0]
    assert rows[1][:2] == ["cloud", 100.0] and pd.isna(rows[1][2])


def test_budget_vs_actual_by_pool(con):
    df = costs.budget_vs_actual_by_pool(con, Q1).set_index("cost_pool")
    assert df.loc["cloud", "actual_to_budget"] == pytest.approx(330 / 400)
    assert df.loc["cloud", "months_over_budget"] == 1
    assert df.loc["cloud", "ratio_change_first_to_last_month"] == pytest.approx(0 - 1.1)
    assert df.loc["software", "variance_usd"] == pytest.approx(-20.0)
    assert "note" not in df.attrs  # every pool has a budget


def test_year_end_forecast_run_rate(con):
    df = costs.year_end_forecast(con, Q1).iloc[0]
    assert (df["fiscal_year"], df["months_elapsed"]) == (2026, 3)
    assert df["actual_to_date_usd"] == pytest.approx(510.0)
    assert df["run_rate_forecast_usd"] == pytest.approx(510 / 3 * 12)
    assert df["budget_usd"] == pytest.approx(600.0)


def test_rgt_mix_and_transformation_share(con):
    df = costs.rgt_mix(con, Q1).set_index("rgt")
    assert df.loc["transform", "actual_usd"] == 200.0
    assert df["share_pct"].sum() == pytest.approx(100.0)
    ts = strategy.transformation_share(con, Q1).iloc[0]
    assert ts["transform_share_pct"] == pytest.approx(100 * 200 / 510)


def test_it_spending_share(con):
    # capital and operating lines alike (Gartner IT Key Metrics Data): 330 + 200 - 20 = 510 in Q1; but August has no
    # ledger line at all, so the year cannot be annualized from Q1: not measured, said in `note`
    df = costs.it_spending_share(con, Q1).iloc[0]
    assert (df["it_opex_usd"], df["it_capex_usd"], df["it_spending_usd"]) == (310.0, 200.0, 510.0)
    assert df["it_spending_share_pct"] != df["it_spending_share_pct"]  # blank
    assert df["note"].startswith("1 of the period's 3 months has no ledger lines (2025-08)")
    jul = costs.it_spending_share(con, JUL).iloc[0]  # July is covered: 330 x 365 / 31 of 1,000,000
    assert jul["it_spending_share_pct"] == pytest.approx(100 * 330 * 365 / 31 / 1_000_000)
    assert not jul["within_benchmark"]


@pytest.mark.slow
def test_per_system_costs_and_vendors(con):
    cpu = costs.cost_per_active_user_by_system(con, Q1).iloc[0]
    assert cpu["usd_per_active_user"] == pytest.approx(530 / 10)
    tco = costs.tco_by_system(con, Q1).iloc[0]
    assert (tco["capex_usd"], tco["opex_usd"], tco["tco_usd"]) == (200.0, 330.0, 530.0)
    top = costs.top_vendors_by_spend(con, Q1)
    assert top[["vendor_id", "actual_usd"]].values.tolist() == [["V1", 330.0], ["V2", 180.0]]


@pytest.mark.slow
def test_duplicate_postings(con):
    df = costs.duplicate_postings(con, Q1)
    assert df["entry_id"].tolist() == ["E1", "E2"]
    assert costs.duplicate_postings(con, period("2025-10-01", "2026-01-01")).empty



def test_year_end_forecast_without_a_complete_month_has_no_run_rate(con):
    df = costs.year_end_forecast(con, period("2025-07-01", "2025-07-15"))  # fiscal year starts in July
    r = df.iloc[0]
    assert (r["fiscal_year"], r["months_elapsed"], r["actual_to_date_usd"]) == (2026, 0, 0.0)
    assert r["run_rate_forecast_usd"] != r["run_rate_forecast_usd"]  # blank (NaN), not zero
    assert df.attrs["note"] == "no complete month of the fiscal year yet; no run rate"
    assert "note" not in costs.year_end_forecast(con, Q1).attrs


def test_a_pool_without_budget_has_no_ratio_and_says_so(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb", costs=[line("E1", "2025-07-10", 50, pool="network")],
                             budgets=BUDGETS))
    try:
        df = costs.budget_vs_actual_by_pool(con, Q1).set_index("cost_pool")
        assert df.loc["network", "budget_usd"] == 0.0 and df["actual_to_budget"].isna().sum() == 1
        assert df.attrs["note"] == "pools without a budget have no ratio (blank)"
    finally:
        con.close()


def test_it_spending_benchmark_from_the_caller_or_the_settings(con):
    # the share is 0.389 % in July, below the shipped 3-4.5 % range
    assert bool(costs.it_spending_share(con, JUL, benchmark_pct={"low": 0.3, "high": 0.4})["within_benchmark"].iloc[0])
    cfg = load_config()
    cfg["costs"]["it_spending_share_pct"]["value"] = {"low": 0.38, "high": 0.39}
    r = costs.it_spending_share(con, JUL, cfg=cfg).iloc[0]
    assert (r["benchmark_low_pct"], r["benchmark_high_pct"], bool(r["within_benchmark"])) == (0.38, 0.39, True)


def test_drill_down_rows_add_up_to_the_figures(con):
    top = costs.top_vendors_by_spend(con, Q1).set_index("vendor_id")["actual_usd"]
    rows = runner.kpi_rows(con, "top_vendors_by_spend", Q1)
    assert rows.groupby("vendor_id")["amount"].sum().to_dict() == top.to_dict()
    assert sorted(runner.kpi_rows(con, "tco_by_system", Q1)["entry_id"]) == ["E1", "E2", "E3", "E4"]  # E5: no system
    fc = costs.year_end_forecast(con, Q1).iloc[0]
    assert runner.kpi_rows(con, "year_end_forecast", Q1)["amount"].sum() == pytest.approx(fc["actual_to_date_usd"])
    dup = runner.kpi_rows(con, "duplicate_postings", Q1)
    assert dup["entry_id"].tolist() == costs.duplicate_postings(con, Q1)["entry_id"].tolist()

def test_costs_status(con):
    st = costs.area_status(con, Q1)
    # 0.9 ratio, 1 duplicate; the IT spending share is not measured: August has no ledger lines
    assert [d.status for d in st.drivers] == ["on target", "watch", "no data"]
    assert "2025-08" in st.drivers[2].detail


def test_strategy_portfolio(tmp_path):
    rows = [{"initiative_id": "I1", "name": "a", "area": "security", "capex": 100, "status": "proposed"},
            {"initiative_id": "I2", "name": "b", "area": "security", "capex": 50, "status": "rejected"},
            {"initiative_id": "I3", "name": "c", "area": "costs", "opex_per_year": 10, "status": "approved",
             "mandatory": True}]
    con = connect(tiny_store(tmp_path / "s.duckdb", initiatives=rows))
    try:
        mix = strategy.portfolio_mix_by_area(con, Q1).set_index("area")
        assert mix.loc["security", "capex_usd"] == 100.0 and mix.loc["security", "initiatives"] == 1
        pipe = strategy.initiative_pipeline_by_status(con, Q1)
        assert pipe[["initiative_status", "initiatives", "mandatory"]].values.tolist() == [
            ["proposed", 1, 0], ["approved", 1, 1], ["rejected", 1, 0]]
        assert strategy.transformation_share(con, Q1).attrs["note"]
    finally:
        con.close()


def test_empty_store(store_path):
    con = connect(store_path)
    try:
        for mod in (costs, strategy):
            for name, f in mod.KPIS.items():
                df = f(con, Q1)
                assert df.empty and df.attrs.get("note"), name
    finally:
        con.close()
