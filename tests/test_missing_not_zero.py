"""Missing is not zero (issue 15, item 7): a KPI whose inputs are absent or blank is *not measurable*, with the
reason; a status computed from nothing is *no data* (grey), never *on target* and not *watch*; charts and tables
show a gap, not 0.

Every feed an area's KPIs read is emptied in turn on a copy of the demo store (one copy per feed), and the area's
KPIs and status are checked: no KPI that needs the feed reports a figure, no driver built on it has a value or a
grade, and the area is "no data" when none of its drivers could be measured.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from hitplan import charts
from hitplan.analysis import NO_DATA, AreaStatus, Driver, grade, not_measurable, unmeasured
from hitplan.kpi import AREAS, area_module
from hitplan.kpi.runner import _staging_behind, definitions, run_kpi
from hitplan.periods import Period
from hitplan.report.display import _cell, section_markdown
from hitplan.report.sections import Draft


def _feeds(models) -> set[str]:
    return {s.removeprefix("stg_") for m in models for s in _staging_behind(m)}


def _reads(name: str) -> set[str]:
    """The feeds a KPI's SQL reads."""
    return _feeds(definitions()[name].models)


def _needs(name: str) -> set[str]:
    """The feeds a KPI cannot be measured without: the feed each model of its ``requires`` is built on
    (stg_costs, int_costs and mart_costs_... on costs; the feeds a model only joins to are not needed)."""
    d = definitions()[name]
    if d.requires_any:
        return set()
    return {f for r in d.requires for f in FEEDS
            if r.model in (f"stg_{f}", f"int_{f}") or r.model.startswith(f"mart_{f}_")}


AREA_FEEDS = {a: sorted({f for n, d in definitions().items() if d.area == a for f in _reads(n)}) for a in AREAS}
FEEDS = sorted({f for fs in AREA_FEEDS.values() for f in fs})

# With these feeds empty, nothing of the area can be measured (worked out from each driver's KPI and its inputs).
NO_DATA_WHEN_EMPTY = {
    ("contracts", "vendors"), ("costs", "costs"), ("training", "training"), ("systems", "infrastructure"),
    ("incidents", "support"),
}


@pytest.fixture(scope="module")
def period(demo_store) -> Period:
    end = demo_store[2]
    last = dt.date(end.year, end.month, 1)
    return Period("12 months to the data's end", dt.date(last.year - 1, last.month, 1), last)


@pytest.fixture(scope="module", params=FEEDS)
def minus(request, demo_store, tmp_path_factory):
    """(feed, a read-write connection to a copy of the demo store with every row of that feed deleted)."""
    feed = request.param
    path = tmp_path_factory.mktemp(f"minus-{feed}") / "store.duckdb"
    shutil.copy(demo_store[0], path)
    con = duckdb.connect(str(path))
    con.execute(f'delete from "{feed}"')
    yield feed, con
    con.close()


def test_every_area_with_each_feed_empty(minus, period):
    feed, con = minus
    checked = 0
    for area in AREAS:
        if feed not in AREA_FEEDS[area]:
            continue
        names = [n for n, d in definitions().items() if d.area == area and feed in _reads(n)]
        results = {}
        for name in names:
            df = results[name] = run_kpi(con, name, period)
            if feed in _needs(name):  # it cannot be measured: no figure, a reason naming the feed
                assert not_measurable(df), f"{name} without {feed}: measured {df.head(2).to_dict('records')}"
                assert df.empty and df.attrs["note"], f"{name}: {df.attrs.get('note')!r}"
        status = area_module(area).area_status(con, period, None, results)
        for d in status.drivers:
            df = results.get(d.kpi)
            if df is not None and not_measurable(df):
                assert d.status == NO_DATA and d.value is None and d.detail, f"{area}/{d.kpi} without {feed}: {d}"
        graded = [d for d in status.drivers if d.status != NO_DATA]
        if not graded:
            assert status.status == NO_DATA and status.reason, f"{area} without {feed}: {status.to_dict()}"
        else:
            assert status.status != NO_DATA
            if len(graded) < len(status.drivers):  # partly measured: never on target
                assert status.status != "on target", f"{area} without {feed}"
        if (feed, area) in NO_DATA_WHEN_EMPTY:
            assert status.status == NO_DATA, f"{area} without {feed}: {status.to_dict()}"
        checked += 1
    assert checked


@pytest.mark.parametrize("feed,area", sorted(NO_DATA_WHEN_EMPTY))
def test_area_is_no_data_without_its_feed(feed, area, demo_store, period, tmp_path):
    path = tmp_path / "store.duckdb"
    shutil.copy(demo_store[0], path)
    con = duckdb.connect(str(path))
    try:
        con.execute(f'delete from "{feed}"')
        status = area_module(area).area_status(con, period)
    finally:
        con.close()
    assert status.status == NO_DATA
    assert all(d.value is None for d in status.drivers)


def test_scorecard_cli_says_no_data_for_vendors_without_contracts(cli, demo_store, demo_key, period, tmp_path):
    path = tmp_path / "store.duckdb"
    shutil.copy(demo_store[0], path)
    con = duckdb.connect(str(path))
    con.execute("delete from contracts")
    con.close()
    code, out, err = cli("scorecard", "--store", path, "--start", period.start, "--end", period.end,
                         "--format", "json")
    assert code == 0, err
    areas = {a["area"]: a for a in json.loads(out)["areas"]}
    assert areas["vendors"]["status"] == "no data"
    assert "no contracts rows" in areas["vendors"]["reason"]
    assert all(d["value"] is None and d["status"] == "no data" for d in areas["vendors"]["drivers"])
    assert areas["costs"]["status"] != "no data"  # the other areas still measured


# ---------------------------------------------------------------- units: grade, AreaStatus, charts, tables

TH = {"watch": 95.0, "off_target": 90.0}


def test_grade_of_nothing_is_no_data():
    assert grade(None, TH, higher_is_better=True) == NO_DATA
    assert grade(float("nan"), TH, higher_is_better=False) == NO_DATA
    assert grade(0.0, TH, higher_is_better=True) == "off target"  # a measured 0 is still a grade


def _d(status: str, value: float | None = 1.0) -> Driver:
    return Driver("k", f"m {status}", value, "t", status, "")


def test_area_status_from_its_drivers():
    none = AreaStatus("vendors", (unmeasured("a", "A", "0", "no contracts rows in the store"),
                                  unmeasured("b", "B", "0", "no contracts rows in the store")))
    assert none.status == NO_DATA
    assert none.reason == "A: not measurable (no contracts rows in the store); B: not measurable (no contracts rows in the store)"
    assert none.lead.kpi == "a"
    assert none.to_dict()["status"] == "no data"
    partly = AreaStatus("x", (_d("on target"), unmeasured("b", "B", "0", "why")))
    assert partly.status == "watch" and partly.lead.kpi == "b"  # what is not measured may be off
    worse = AreaStatus("x", (_d("off target"), unmeasured("b", "B", "0", "why")))
    assert worse.status == "off target" and worse.lead.status == "off target"
    assert AreaStatus("x", (_d("on target"), _d("on target"))).status == "on target"
    assert AreaStatus("x", ()).status == NO_DATA


def test_scorecard_chart_shows_no_data_in_grey():
    statuses = [AreaStatus("vendors", (unmeasured("a", "A", "0", "no contracts rows in the store"),)),
                AreaStatus("costs", (_d("on target"),))]
    fig = charts.scorecard(statuses)
    assert fig.layout.title.text == "0 of 2 areas off target, 0 to watch, 1 with no data"
    table = fig.data[0]
    assert table.cells.values[1][0] == "<b>○ no data</b>"
    assert table.cells.fill.color[1][0] == charts.STATUS_STYLE[NO_DATA]["tint"]
    assert charts.STATUS_STYLE[NO_DATA]["color"] == charts.GREY
    assert "A: no data (no contracts rows in the store)" == table.cells.values[2][0]
    assert charts.scorecard([statuses[1]]).layout.title.text == "All 1 areas on target"


def test_trend_breaks_at_a_month_with_no_measurement():
    df = pd.DataFrame({"month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-04-01", "2026-05-01"]),
                       "rate_pct": [4.0, np.nan, 3.0, 2.0]})  # February blank, March absent
    fig = charts.trend(df, "month", "rate_pct", title="t", unit="%")
    tr = fig.data[0]
    assert tr.connectgaps is False
    ys = list(tr.y)
    assert len(ys) == 5 and ys[0] == 4.0 and np.isnan(ys[1]) and np.isnan(ys[2]) and ys[3:] == [3.0, 2.0]
    assert pd.Timestamp(tr.x[2]) == pd.Timestamp("2026-03-01")
    assert "latest: Rate 2.0%" in fig.layout.meta["alt"]
    blank = charts.trend(df.assign(rate_pct=np.nan), "month", "rate_pct", title="t")
    assert "No data" in blank.layout.annotations[0].text  # all months blank: no line at 0


def test_tables_show_a_gap_not_zero():
    assert _cell(None) == _cell(float("nan")) == _cell(pd.NA) == "–"
    assert _cell(0.0) == "0.00"
    status = AreaStatus("training", (unmeasured("completion_by_department", "assignments completed (%)", ">= 95 %",
                                                "no training rows in the store"),))
    for audience in ("it", "board"):
        s = Draft("training", None, audience, status).done()
        assert s.status == NO_DATA
        drivers = s.tables[0][1]
        assert pd.isna(drivers["value"].iloc[0]) and drivers["status"].iloc[0] == NO_DATA
        assert "no training rows in the store" in drivers.iloc[0].tolist()
        md = section_markdown(s)
        assert "**Status: ○ no data**" in md and "*Why no data: assignments completed" in md
        assert "no training rows in the store" in md
