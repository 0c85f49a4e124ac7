"""Cost anomalies: a hand-made ledger with one of each kind, and every anomaly planted in the demo hospital."""

from __future__ import annotations

import datetime as dt

import pytest

from hitplan import store
from hitplan.forecast import anomaly_precision_recall, cost_anomalies, planted_cost_anomalies
from hitplan.periods import Period
from kpi_fixtures import connect, period, tiny_store


@pytest.fixture
def ledger(tmp_path):
    """Vendor V posts 1,000-1,300 to hardware every month of 2024; in 2025 one line of 9,000 (spike), one ordinary line
    coded to software (off its pool) and invoice INV-2 posted a second time (duplicate)."""
    vendors = [{"vendor_id": "V", "name": "Acme Servers"}]
    rows = [{"entry_id": f"E{m:02d}", "posting_date": f"2024-{m:02d}-15", "amount": 1000 + 100 * (m % 4),
             "vendor_id": "V", "invoice_number": f"INV-{m}", "cost_pool": "hardware"} for m in range(1, 13)]
    rows += [
        {"entry_id": "SPIKE", "posting_date": "2025-02-10", "amount": 9000, "vendor_id": "V",
         "invoice_number": "INV-20", "cost_pool": "hardware"},
        {"entry_id": "OFFPOOL", "posting_date": "2025-02-11", "amount": 1100, "vendor_id": "V",
         "invoice_number": "INV-21", "cost_pool": "software"},
        {"entry_id": "DUP", "posting_date": "2025-02-12", "amount": 1200, "vendor_id": "V",
         "invoice_number": "INV-2", "cost_pool": "hardware"},
        {"entry_id": "NORMAL", "posting_date": "2025-02-13", "amount": 1250, "vendor_id": "V",
         "invoice_number": "INV-22", "cost_pool": "hardware"},
        {"entry_id": "LABOR", "posting_date": "2025-02-14", "amount": 90000, "cost_pool": "internal_labor"},
    ]
    return connect(tiny_store(tmp_path / "s.duckdb", vendors=vendors, costs=rows))


def test_each_kind_is_flagged_with_a_reason_and_nothing_else(ledger):
    df = cost_anomalies(ledger, period("2025-01-01", "2025-04-01")).set_index("entry_id")
    assert sorted(df.index) == ["DUP", "OFFPOOL", "SPIKE"]
    assert df.loc["DUP", "anomaly"] == "duplicate invoice"
    assert "INV-2" in df.loc["DUP", "reason"] and "E02" in df.loc["DUP", "reason"]
    # 9,000 against a median of 1,150 over 12 lines (7.8x) and a largest line of 1,300 (6.9x)
    assert df.loc["SPIKE", "anomaly"] == "spike" and df.loc["SPIKE", "vendor_median_before"] == 1150.0
    assert "7.8x Acme Servers's median line ($1,150.00)" in df.loc["SPIKE", "reason"]
    assert df.loc["OFFPOOL", "anomaly"] == "off usual cost pool" and df.loc["OFFPOOL", "usual_cost_pool"] == "hardware"
    assert "coded to software" in df.loc["OFFPOOL", "reason"]


def test_a_vendor_without_a_years_history_is_not_judged(ledger):
    # in March 2024 the vendor has two earlier lines: no spike or pool judgement, only exact duplicates
    assert cost_anomalies(ledger, period("2024-01-01", "2024-12-31")).empty


def test_every_planted_anomaly_of_the_demo_hospital_is_found(demo_store):
    path, truth, as_of = demo_store
    whole = Period("window", dt.date.fromisoformat(truth.start), as_of + dt.timedelta(days=1))
    con = store.connect(path)
    try:
        flags = cost_anomalies(con, whole)
    finally:
        con.close()
    planted = planted_cost_anomalies(truth, whole)
    assert set(planted["planted"]) == {"duplicate invoice", "spike", "off usual cost pool"}
    pr = anomaly_precision_recall(flags, planted).set_index("kind")
    assert pr.loc["all", "planted"] == 3 and pr.loc["all", "recall_pct"] == 100.0, pr
    flagged = flags.set_index("entry_id")
    assert flagged.loc[truth.duplicate_invoice.entry_ids[1], "anomaly"] == "duplicate invoice"
    assert "spike" in flagged.loc[truth.cost_anomalies.spike_entry_id, "anomaly"]
    assert "off usual cost pool" in flagged.loc[truth.cost_anomalies.off_pool_entry_id, "anomaly"]
    assert flags["reason"].str.len().gt(20).all()
    # precision is reported, not assumed: the flagged lines that are planted over all flagged lines
    assert pr.loc["all", "precision_pct"] == pytest.approx(100.0 * pr.loc["all", "flagged_planted"] / len(flags))
