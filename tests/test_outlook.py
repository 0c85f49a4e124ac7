"""The outlook of the IT area reports: forecasts with their backtest against the baseline, outage risk with its
Brier score, ledger postings to check with their reasons; and figures shown in notebooks without plotly's
start-up cost and without anything from the network."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from hitplan import store
from hitplan.forecast import cost_anomalies, outage_risk, planted_cost_anomalies
from hitplan.periods import Period
from hitplan.report.outlook import OUTLOOKS, outlook_section

Q1 = Period("FY2027Q1", dt.date(2026, 7, 1), dt.date(2026, 10, 1))


@pytest.fixture(scope="module")
def con(demo_store):
    c = store.connect(demo_store[0])
    yield c
    c.close()


@pytest.fixture(scope="module")
def support(con):
    return outlook_section(con, "support", Q1)


def test_only_support_infrastructure_and_costs_have_an_outlook(con):
    assert set(OUTLOOKS) == {"support", "infrastructure", "costs"}
    assert outlook_section(con, "training", Q1) is None


def test_support_outlook_states_the_forecast_and_its_backtest_against_the_baseline(support):
    text = " ".join(support.findings)
    assert support.key == "support_outlook"
    assert "FY2027Q2" in text, "forecasts start with the quarter after the period"
    assert re.search(r"MASE \d\.\d\d against \d\.\d\d", text), text
    assert "seasonal-naive baseline" in text and "80 % intervals held" in text
    captions = [c for c, _ in support.tables]
    assert any(c.startswith("Backtest of the per-category forecast") for c in captions)
    assert any(c.startswith("Backtest of the per-system forecast") for c in captions)
    bt = dict(support.tables)[next(c for c in captions if c.startswith("Backtest of the per-category"))]
    assert {"MASE, model", "MASE, seasonal naive", "80 % interval coverage, model (%)"} <= set(bt.columns)
    assert list(bt["quarters ahead"]) [-1] == "all"
    assert len(support.figures) >= 2, "a forecast fan and the themes"
    assert all(s for s in support.sources)


def test_forecast_tables_say_which_series_show_the_baseline(support):
    table = dict(support.tables)[next(c for c, _ in support.tables if c.startswith("Incidents forecast per category"))]
    assert set(table["shown from"]) <= {"model", "seasonal naive", "not enough history"}
    nxt = [c for c in table.columns if re.fullmatch(r"FY\d{4}Q\d", str(c))]
    assert len(nxt) == 4 and nxt[0] == "FY2027Q2"
    first = table[nxt[0]]
    known = first.dropna()
    assert len(known) >= 2 and known.is_monotonic_decreasing, "largest first"
    assert list(first.isna()) == sorted(first.isna()), "series without a forecast come last"
    assert (first.isna() == (table["shown from"] == "not enough history")).all(), "no number means not enough history"


def test_the_forecast_figure_is_a_fan_with_actuals_and_an_interval(support):
    fig = support.figures[0][1]
    names = [t.name for t in fig.data]
    assert "Actual" in names and "Forecast" in names and any("prediction interval" in (n or "") for n in names)


def test_support_outlook_names_the_themes(support):
    themes = dict(support.tables)[next(c for c, _ in support.tables if c.startswith("Incident themes"))]
    assert len(themes) >= 3
    assert not themes["label"].str.contains(r"\d").any(), "no ticket numbers or host-like tokens as themes"
    assert any("most common theme" in f for f in support.findings)


def test_infrastructure_outlook_reports_brier_against_the_base_rate(con):
    s = outlook_section(con, "infrastructure", Q1)
    risk = outage_risk(con, Q1.last_day)
    b = risk.attrs["backtest"]
    text = " ".join(s.findings)
    assert f"{b['brier_model']:.3f}" in text and f"{b['brier_base_rate']:.3f}" in text
    top = risk.dropna(subset=["probability"])
    top = top[top["criticality_tier"].isin([1, 2])].iloc[0]
    assert top["system_name"] in s.findings[0]
    rel = dict(s.tables)[next(c for c, _ in s.tables if c.startswith("Reliability"))]
    assert (rel["forecasts"] > 0).all() and rel["forecasts"].sum() == b["forecasts"]


def test_costs_outlook_lists_every_planted_anomaly_with_a_reason(con, demo_store):
    _, truth, as_of = demo_store
    period = Period("window", dt.date.fromisoformat(truth.start), as_of + dt.timedelta(days=1))
    planted = planted_cost_anomalies(truth, period)
    assert len(planted), "the demo hospital plants ledger anomalies"
    s = outlook_section(con, "costs", period)
    table = dict(s.tables)[next(c for c, _ in s.tables if c.startswith("Ledger postings that look wrong"))]
    for kind, lines in planted.groupby("planted"):  # a duplicate's first line is the genuine one
        assert set(lines["entry_id"]) & set(table["entry_id"]), kind
    assert table["reason"].str.len().min() > 20, "every flag has a reason in words"
    assert len(table) == len(cost_anomalies(con, period))


def test_a_store_with_little_history_says_so_instead_of_a_number(tmp_path):
    path = tmp_path / "empty.duckdb"
    store.init(path)
    con = store.connect(path)
    try:
        for area in OUTLOOKS:
            s = outlook_section(con, area, Q1)
            assert s.findings and not s.figures, area
            assert not any(re.search(r"MASE \d", f) for f in s.findings)
    finally:
        con.close()


def test_figures_are_shown_offline_with_plotly_js_once(monkeypatch):
    import plotly.graph_objects as go

    from hitplan.report import display

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))
    monkeypatch.setattr(display, "_plotly_js_shown", False)
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    display.show_figure(fig)
    display.show_figure(fig)
    first, second = (b["text/html"] for b in shown)
    assert len(first) > 1_000_000 and len(second) < 100_000, "plotly.js is embedded in the first figure only"
    for bundle in shown:
        assert bundle["application/vnd.plotly.v1+json"]["data"][0]["type"] == "bar"
        assert not re.search(r"src=[\"']https?://", bundle["text/html"]), "nothing from the network"
