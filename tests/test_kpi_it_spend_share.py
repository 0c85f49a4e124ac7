"""IT spending as a share of the hospital's operating expense (or revenue) counts operating *and* capital IT spend, as
the benchmark does (Gartner IT Key Metrics Data, "Total IT spending/budget definition": IT spending is operating plus
capital expense; IT spending as a percent of operating expense, or of revenue). Expectations worked out by hand."""

from __future__ import annotations

import pytest

from hitplan.analysis import not_measurable
from hitplan.kpi import costs, load_config
from kpi_fixtures import HOSPITAL, connect, period, tiny_store

FY2026 = period("2025-07-01", "2026-07-01")  # fiscal year starting in July: 365 days, 12 calendar months
HOSP = {**HOSPITAL, "operating_expense": 100_000_000}  # a 100 M opex hospital, no revenue on its row
MONTHS = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
          "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def line(entry, day, amount, kind="opex"):
    return {"entry_id": entry, "posting_date": day, "amount": amount, "gl_account": "6000", "cost_center": "IT",
            "capex_opex": kind}


# 2 M opex: ten months of 150,000 and two of 250,000 (10 x 150,000 + 2 x 250,000 = 2,000,000), one line a month
OPEX = [line(f"O{i}", f"{m}-15", 250_000 if m in ("2025-12", "2026-06") else 150_000) for i, m in enumerate(MONTHS)]
CAPEX = [line("C1", "2025-11-20", 500_000, "capex")]  # 0.5 M capex: a server refresh
# By hand: IT spending = 2,000,000 + 500,000 = 2,500,000 over the 365-day fiscal year, so annualized 2,500,000;
# share = 2,500,000 / 100,000,000 = 2.5 % (the old, opex-only definition: 2,000,000 / 100,000,000 = 2.0 %).
BENCH = {"low": 2.2, "high": 3.0}  # a range 2.5 % is in and 2.0 % is not


def run(tmp_path, ledger, hospital=HOSP, cfg=None, name="s", **kw):
    con = connect(tiny_store(tmp_path / f"{name}.duckdb", hospital=[hospital], costs=ledger))
    try:
        return costs.it_spending_share(con, FY2026, cfg=cfg, **kw)
    finally:
        con.close()


def test_capital_spend_counts_in_it_spending(tmp_path):
    df = run(tmp_path, OPEX + CAPEX, benchmark_pct=BENCH)
    r = df.iloc[0]
    assert (r["it_opex_usd"], r["it_capex_usd"], r["it_spending_usd"]) == (2_000_000, 500_000, 2_500_000)
    assert r["annualized_it_spending_usd"] == pytest.approx(2_500_000)
    assert (r["benchmark_basis"], r["hospital_basis_usd"]) == ("operating_expense", 100_000_000)
    assert r["it_spending_share_pct"] == pytest.approx(2.5)
    assert bool(r["within_benchmark"])
    assert (r["months_in_period"], r["months_with_costs"]) == (12, 12)
    assert r["note"] is None or r["note"] != r["note"]  # nothing to say


def test_a_ledger_without_capital_lines_says_it_may_be_understated(tmp_path):
    r = run(tmp_path, OPEX).iloc[0]
    assert r["it_spending_share_pct"] == pytest.approx(2.0)  # 2 M / 100 M: shown, with the caveat
    assert r["note"] == "no capital lines in the ledger: IT spending may be understated"


def test_months_without_ledger_lines_are_not_annualized_as_zero(tmp_path):
    # a ledger that starts in October: July-September have no lines at all. Annualizing 9 months of spend
    # (1,550,000 + 500,000) over the 365-day year would understate the share, so it is not measured
    late_start = [r for r in OPEX if r["posting_date"] >= "2025-10"] + CAPEX
    df = run(tmp_path, late_start)
    r = df.iloc[0]
    assert r["it_spending_usd"] == pytest.approx(7 * 150_000 + 2 * 250_000 + 500_000)  # 2,050,000
    assert (r["months_in_period"], r["months_with_costs"]) == (12, 9)
    assert r["it_spending_share_pct"] != r["it_spending_share_pct"]  # blank, not a share
    assert "3 of the period's 12 months have no ledger lines (2025-07, 2025-08, 2025-09)" in r["note"]
    con = connect(tiny_store(tmp_path / "t.duckdb", hospital=[HOSP], costs=late_start))
    try:
        d = next(d for d in costs.area_status(con, FY2026).drivers if d.kpi == "it_spending_share")
    finally:
        con.close()
    assert d.status == "no data" and "no ledger lines" in d.detail


def test_a_revenue_benchmark_without_revenue_is_not_measurable(tmp_path):
    cfg = load_config()
    cfg["costs"]["it_spending_share_basis"]["value"] = "revenue"
    df = run(tmp_path, OPEX + CAPEX, cfg=cfg)
    assert df.empty and "revenue" in not_measurable(df)
    # with revenue on the row, the share is of revenue: 2,500,000 / 125,000,000 = 2.0 %
    r = run(tmp_path, OPEX + CAPEX, name="r", hospital={**HOSP, "revenue": 125_000_000}, cfg=cfg).iloc[0]
    assert (r["benchmark_basis"], r["it_spending_share_pct"]) == ("revenue", pytest.approx(2.0))
