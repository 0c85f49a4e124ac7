"""The planted situations of the synthetic hospital: each is found, exactly, by the KPI meant for it and drives
its area's status; plus the `hitplan kpi` and `hitplan scorecard` commands over the same store."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from hitplan import store
from hitplan.kpi import AREAS, area_module, scorecard
from hitplan.kpi import compliance, continuity, costs, infrastructure, security, support, training, vendors
from hitplan.periods import Period, resolve_period


@pytest.fixture(scope="module")
def demo(demo_store):
    return demo_store[0], demo_store[1]


@pytest.fixture(scope="module")
def con(demo):
    c = store.connect(demo[0])
    yield c
    c.close()


@pytest.fixture(scope="module")
def truth(demo):
    return demo[1]


@pytest.fixture(scope="module")
def as_of(truth):
    return dt.date.fromisoformat(truth.end)


@pytest.fixture(scope="module")
def last12(con, as_of):
    return resolve_period(con, "last-12-months", today=as_of)


@pytest.fixture(scope="module")
def window(truth):
    start, end = dt.date.fromisoformat(truth.start), dt.date.fromisoformat(truth.end)
    return Period("window", start, end + dt.timedelta(days=1))


def driver(status, kpi, measure_part=""):
    return next(d for d in status.drivers if d.kpi == kpi and measure_part in d.measure)


def test_eos_switch_stack(con, truth, last12):
    t = truth.eos_switch_stack
    eos = infrastructure.end_of_support_exposure(con, last12)
    assert sorted(eos[eos["eos_status"] == "past"]["system_id"]) == sorted(t.system_ids)
    rising = infrastructure.eos_systems_with_rising_incidents(con, last12)
    assert sorted(rising["system_id"]) == sorted(t.system_ids)
    st = infrastructure.area_status(con, last12)
    assert st.status == "off target"
    assert driver(st, "eos_systems_with_rising_incidents").status == "off target"


def test_ehr_outage_month_is_the_only_system_month_below_target(con, truth, window):
    t = truth.ehr_outage_month
    av = support.availability_by_system_month(con, window)
    below = av[av["below_target"]]
    assert [(r.system_id, f"{r.month:%Y-%m}") for r in below.itertuples()] == [(t.system_id, t.month)]
    assert below.iloc[0]["availability_pct"] == pytest.approx(t.availability_pct, abs=1e-3)
    st = support.area_status(con, window)
    assert driver(st, "availability_by_system_month").status == "off target"
    assert st.status == "off target"


def test_vendor_missing_its_response_sla(con, truth, window):
    t = truth.sla_miss
    df = vendors.vendor_sla_attainment(con, window)
    assert df[df["response_met"] == False]["vendor_id"].tolist() == [t.vendor_id]  # noqa: E712
    row = df.set_index("vendor_id").loc[t.vendor_id]
    assert row["median_ack_minutes"] == pytest.approx(t.median_ack_minutes, rel=0.02)
    st = vendors.area_status(con, window)
    assert driver(st, "vendor_sla_attainment").status == "off target"


def test_duplicate_invoice_is_found_and_puts_costs_on_watch(con, truth, window):
    t = truth.duplicate_invoice
    df = costs.duplicate_postings(con, window)
    assert sorted(df["entry_id"]) == sorted(t.entry_ids)
    assert set(df["invoice_number"]) == {t.invoice_number}
    fy = resolve_period(con, "FY2025")
    d = driver(costs.area_status(con, fy), "duplicate_postings")
    assert (d.status, d.value) == ("watch", 1.0)


def test_low_training_department(con, truth, last12):
    t = truth.low_training_department
    gap = training.departments_with_training_gap(con, last12)
    assert gap["department"].tolist() == [t.department]
    st = training.area_status(con, last12)
    assert st.status == "off target" and driver(st, "departments_with_training_gap").detail == t.department


def test_failed_pacs_dr_test(con, truth, window):
    t = truth.failed_dr_test
    res = continuity.dr_test_results(con, window)
    assert res[res["severity"] == "severe miss"]["test_id"].tolist() == [t.test_id]
    assert res.set_index("test_id").loc[t.test_id, "rto_achieved_hours"] == t.rto_achieved_hours
    assert driver(continuity.area_status(con, window), "dr_test_results").status == "off target"
    # a failed test does not cover its system (HIPAA 164.308(a)(7)(ii)(D)): PACS is listed as failed only
    cov = continuity.dr_test_coverage_by_tier(con, window)
    assert any(t.system_id in ids.split(", ") for ids in cov["failed_only_system_ids"])


def test_overdue_kev_on_phi_systems(con, truth, last12):
    t = truth.overdue_kev
    kev = security.kev_exposure(con, last12)
    flagged = kev[kev["past_due"] & kev["system_holds_phi"]]
    assert sorted(zip(flagged["host"], flagged["cve"])) == sorted(tuple(f) for f in t.findings)
    assert sorted(set(flagged["system_id"])) == sorted(t.system_ids)
    assert len(kev[kev["past_due"]]) == len(flagged), "no unplanted KEV finding is past due"
    assert driver(security.area_status(con, last12), "kev_exposure").status == "off target"


def test_stale_controls(con, truth, last12):
    t = truth.stale_controls
    ev = compliance.control_evidence_freshness(con, last12)
    stale = ev[ev["stale"]]
    assert sorted(zip(stale["framework"], stale["control_id"])) == sorted(tuple(c) for c in t.controls)
    assert driver(compliance.area_status(con, last12), "control_evidence_freshness").status == "off target"


def test_renewal_deadlines(con, truth, last12):
    t = truth.renewal_deadlines
    ren = vendors.contracts_renewing(con, last12)
    near = ren[ren["deadline_near"]]
    assert near["contract_id"].tolist() == list(t.contract_ids)
    assert [f"{d:%Y-%m-%d}" for d in near["notice_deadline"]] == list(t.notice_deadlines)
    assert driver(vendors.area_status(con, last12), "contracts_renewing").status == "watch"


def test_over_budget_pool(con, truth):
    t = truth.over_budget_pool
    fy = resolve_period(con, f"FY{t.fiscal_year}")
    pools = costs.budget_vs_actual_by_pool(con, fy)
    over = pools[pools["actual_to_budget"] > 1.05]
    assert over["cost_pool"].tolist() == [t.cost_pool]
    row = pools.set_index("cost_pool").loc[t.cost_pool]
    assert row["months_over_budget"] == 12 and row["ratio_change_first_to_last_month"] > 0.1
    watch = pools[(pools["actual_to_budget"] > 1.02) & (pools["cost_pool"] != t.cost_pool)]
    assert watch.empty, "no unplanted pool is even on watch"
    d = driver(costs.area_status(con, fy), "budget_vs_actual_by_pool")
    assert (d.status, d.detail) == ("off target", t.cost_pool)


def test_no_baa_gaps_are_reported(con, truth, last12):
    baa = vendors.baa_coverage(con, last12)
    assert sorted(baa[baa["baa_gap"]]["vendor_id"]) == sorted(truth.baa_gaps)


def test_every_kpi_runs_and_carries_its_source(con, last12):
    for area in AREAS:
        for name, f in area_module(area).KPIS.items():
            df = f(con, last12)
            assert df.attrs.get("source"), (area, name)
            assert len(df) < 5000, (area, name)  # small, aggregated results
    cards = scorecard(con, last12)
    assert [c.area for c in cards] == list(AREAS)
    assert all(2 <= len(c.drivers) <= 3 for c in cards)


def test_cli_kpi_every_area_as_json(demo, cli, truth):
    path, _ = demo
    for area in AREAS:
        code, out, err = cli("kpi", area, "--store", path, "--as-of", truth.end, "--format", "json")
        assert code == 0, err
        data = json.loads(out)
        assert set(data["kpis"]) == set(area_module(area).KPIS)
        assert data["period"] == {"label": "2025-10 to 2026-09", "start": "2025-10-01", "end": "2026-10-01"}


def test_cli_kpi_csv_and_table(demo, cli, truth):
    path, _ = demo
    code, out, _ = cli("kpi", "costs", "--store", path, "--period", "FY2026", "--format", "csv")
    assert code == 0 and out.startswith("# budget_vs_actual_by_pool_month\nmonth,cost_pool,budget_usd")
    assert out.count("\n# ") == len(costs.KPIS) - 1
    code, out, _ = cli("kpi", "vendors", "--store", path, "--start", "2026-01-01", "--end", "2026-04-01")
    assert code == 0 and "## contracts_renewing" in out and "source:" in out


def test_cli_scorecard(demo, cli, truth):
    path, _ = demo
    code, out, _ = cli("scorecard", "--store", path, "--as-of", truth.end, "--format", "json")
    assert code == 0
    areas = json.loads(out)["areas"]
    assert [a["area"] for a in areas] == list(AREAS)
    assert all(a["status"] in ("on target", "watch", "off target") for a in areas)
    code, out, _ = cli("scorecard", "--store", path, "--as-of", truth.end)
    assert code == 0 and "compliance" in out


def test_cli_errors(demo, cli):
    path, _ = demo
    code, _, err = cli("kpi", "support", "--store", path, "--period", "FY26")
    assert code == 2 and "accepted: FY2027" in err
    code, _, err = cli("kpi", "support", "--store", path, "--start", "2026-01-01")
    assert code == 2
