"""Periods that find the data (issue 15, item 6): on a store holding only an old export, every command's default
as-of day and period come from the data it analyses (resolutions included), a partial last month is kept and
labelled, a period without data says which feeds run when and which --period to use, and `forecast` says why a
series was not modelled.

The export: 20 closed incidents opened every 90 days from 2012-02-18 (the last, #19, on 2016-10-24), each
resolved 5 hours after opening except #19, resolved on 2016-11-17. By hand:
- last day of data 2016-11-17 (a resolution; the last opening is 2016-10-24) -> default period 2015-12-01 to
  2016-12-01, label "2015-12 to 2016-11 (2016-11 partial, data to 2016-11-17)";
- opened in it: #16 2016-01-28, #17 2016-04-27, #18 2016-07-26, #19 2016-10-24 = 4, all resolved in it, backlog 0;
- no hospital feed: fiscal years are calendar years, so 2016-11-17 lies in FY2016;
- categories: software for #0-#16 (18 complete quarters, 2012Q2 to 2016Q3), network for #17-#19 (first seen
  2016-04-27, so its first whole quarter is 2016-07-01: 1 complete quarter, 6 needed); no row has a system.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from conftest import write_csv
from hitplan import store
from hitplan.kpi import runner
from hitplan.periods import (
    Period,
    data_period,
    default_period,
    feed_ranges,
    feeds_behind,
    latest_data_date,
    no_data_hint,
    period_from_text,
    resolve_period,
)
from hitplan.report.context import area_feeds, open_context

D = dt.date
FIRST = dt.datetime(2012, 2, 18, 9, 0)
LABEL = "2015-12 to 2016-11 (2016-11 partial, data to 2016-11-17)"
HINT = ("no incidents opened in FY2027; incidents run from 2012-02-18 to 2016-11-17: try --period FY2016 or "
        "--as-of 2016-11-17 (or --start 2015-12-01 --end 2016-11-18)")


def _rows() -> list[list[object]]:
    rows = []
    for i in range(20):
        opened = FIRST + dt.timedelta(days=90 * i)
        resolved = dt.datetime(2016, 11, 17, 16, 30) if i == 19 else opened + dt.timedelta(hours=5)
        rows.append([f"INC{i + 1:07d}", f"{opened:%Y-%m-%d %H:%M:%S}", f"{resolved:%Y-%m-%d %H:%M:%S}", "closed",
                     3, "network" if i >= 17 else "software"])
    return rows


@pytest.fixture
def old_store(tmp_path, cli):
    """A store holding only a 2012-2016 incident export, loaded the way a user loads it."""
    path = tmp_path / "old.duckdb"
    code, _, err = cli("init", "--store", path)
    assert code == 0, err
    csv_file = write_csv(tmp_path / "incidents_2012_2016.csv",
                         ["number", "opened_at", "resolved_at", "state", "priority", "category"], _rows())
    code, out, err = cli("ingest", "incidents", csv_file, "--store", path)
    assert code == 0, err
    assert "20 read = 20 loaded + 0 merged + 0 rejected + 0 skipped" in out
    return path


def test_kpi_support_without_a_period_describes_the_old_export(old_store, cli):
    code, out, err = cli("kpi", "support", "--store", old_store, "--format", "json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["period"] == {"label": LABEL, "start": "2015-12-01", "end": "2016-12-01"}
    months = result["kpis"]["incident_volume_by_month"]["records"]
    assert len(months) == 12 and months[-1]["month"] == "2016-11-01"
    assert sum(m["opened"] for m in months) == 4 and sum(m["resolved"] for m in months) == 4
    assert [m["month"] for m in months if m["opened"]] == ["2016-01-01", "2016-04-01", "2016-07-01", "2016-10-01"]
    # #19, opened in October, is the October backlog and is resolved in the partial month that is kept
    assert [(m["resolved"], m["backlog_at_month_end"]) for m in months[-2:]] == [(0, 1), (1, 0)]
    mttr = result["kpis"]["mttr_by_priority"]["records"]
    assert [(r["priority"], r["incidents"]) for r in mttr] == [(3, 4)]
    code, out, _ = cli("kpi", "support", "--store", old_store)
    assert out.startswith(f"support - {LABEL} (2015-12-01 to 2016-12-01, end excluded)")


def test_a_period_without_data_names_the_feed_range_and_a_period_that_has_it(old_store, cli):
    code, out, err = cli("kpi", "support", "--store", old_store, "--period", "FY2027")
    assert code == 0 and "no incidents opened in the period" in out
    assert err.strip().splitlines() == [f"hitplan: {HINT}"]
    for usable in (["--period", "FY2016"], ["--as-of", "2016-11-17"], ["--start", "2015-12-01", "--end", "2016-11-18"]):
        code, out, err = cli("kpi", "incident_volume_by_month", "--store", old_store, "--format", "json", *usable)
        assert code == 0 and err == "", usable
        opened = sum(m["opened"] for m in json.loads(out)["kpis"]["incident_volume_by_month"]["records"])
        # FY2016 = calendar 2016: #16-#19; the 12 months to 2016-11-17 (either spelling): the same four
        assert opened == 4, usable


def test_forecast_says_why_no_series_was_modelled(old_store, cli):
    code, out, err = cli("forecast", "--store", old_store, "--format", "json", "--horizon", "2")
    assert code == 0, err
    result = json.loads(out)
    assert result["as_of"] == "2016-11-17" and result["period"]["label"] == LABEL
    system = result["incident_volume"]["system"]
    assert system["records"] == [] and system["note"] == "no system series to forecast: 20 of 20 incidents have no system_id"
    category = result["incident_volume"]["category"]
    network = [r for r in category["records"] if r["series_id"] == "network"]
    assert len(network) == 2 and {r["shown"] for r in network} == {None}
    assert {r["status"] for r in network} == {"not enough history (1 complete quarters, need 6)"}
    software = [r for r in category["records"] if r["series_id"] == "software"]
    assert {r["shown"] for r in software} <= {"model", "seasonal naive"} and len(software) == 2
    assert "1 with not enough history (fewer than 6 complete quarters)" in category["note"]
    assert "per system, load the inventory" in result["outage_risk"]["note"]
    code, out, _ = cli("forecast", "--store", old_store, "--horizon", "2")
    assert "note: no system series to forecast: 20 of 20 incidents have no system_id" in out
    assert "0 series" not in out


def test_open_context_defaults_to_the_data_and_names_no_data(old_store):
    with open_context(str(old_store), period=None) as ctx:
        assert (ctx.as_of, ctx.period.label, ctx.period.data_to) == (D(2016, 11, 17), LABEL, D(2016, 11, 17))
        assert ctx.period.short_label == "2015-12 to 2016-11"
        assert ctx.no_data_note("support") is None
    with open_context(str(old_store), period="FY2027") as ctx:
        assert ctx.no_data_note("support") == HINT
    assert area_feeds(["support"]) == ("incidents", "usage")
    assert area_feeds(["costs"]) == ("usage", "costs")  # cost per active user reads usage
    assert area_feeds(["board_pack"]) is None and area_feeds([]) is None


def test_data_period_keeps_a_partial_last_month_and_labels_it():
    p = data_period(D(2016, 11, 17))
    assert (p.label, p.start, p.end, p.data_to) == (LABEL, D(2015, 12, 1), D(2016, 12, 1), D(2016, 11, 17))
    assert p.short_label == "2015-12 to 2016-11" and p.days == 366
    # ending on a month's last day it is last-12-months, whatever the fiscal calendar
    for day in (D(2026, 9, 30), D(2024, 2, 29), D(2025, 12, 31)):
        for sm in (1, 7, 10):
            assert data_period(day) == period_from_text("last-12-months", sm, day)
            assert data_period(day).data_to is None
    assert data_period(D(2026, 1, 1)) == Period("2025-02 to 2026-01 (2026-01 partial, data to 2026-01-01)",
                                                D(2025, 2, 1), D(2026, 2, 1))


def _incidents(con: duckdb.DuckDBPyConnection, with_updates: bool) -> None:
    extra = ", updated_at timestamp" if with_updates else ""
    con.execute(f"create table incidents (opened_at timestamp, resolved_at timestamp, closed_at timestamp{extra})")
    row = "('2016-10-24 09:00', null, '2016-11-03 10:00'" + (", '2016-11-20 08:00')" if with_updates else ")")
    con.execute("insert into incidents values ('2016-09-01 09:00', '2016-09-02 09:00', null"
                + (", null)" if with_updates else ")") + f", {row}")
    con.execute("create table usage (day date)")
    con.execute("insert into usage values ('2016-06-30')")
    con.execute("create table costs (posting_date date)")
    con.execute("create table hospital (fiscal_year_start_month integer)")


def test_the_last_day_counts_closures_and_updates_and_each_feed_alone():
    con = duckdb.connect()
    _incidents(con, with_updates=True)
    ranges = {r.feed: (r.first, r.last, r.rows) for r in feed_ranges(con)}
    assert ranges == {"incidents": (D(2016, 9, 1), D(2016, 11, 20), 2), "usage": (D(2016, 6, 30), D(2016, 6, 30), 1)}
    assert latest_data_date(con) == D(2016, 11, 20)  # the update, after the closure and every opening
    assert latest_data_date(con, ["usage"]) == D(2016, 6, 30)
    assert latest_data_date(con, ["costs"]) is None
    # a command on an empty feed takes the store's last day; one given --as-of keeps it
    assert default_period(con, feed_names=["costs"])[1] == D(2016, 11, 20)
    assert default_period(con, as_of=D(2016, 7, 31), feed_names=["incidents"]) == (
        Period("2015-08 to 2016-07", D(2015, 8, 1), D(2016, 8, 1)), D(2016, 7, 31))
    # explicit labels keep their meaning
    assert default_period(con, "last-12-months")[0] == resolve_period(con, "last-12-months", today=D(2016, 11, 20))
    assert default_period(con, "last-12-months")[0].end == D(2016, 11, 1)
    con.close()
    older = duckdb.connect()  # a store made before migration 0008 has no updated_at: the closure is the last day
    _incidents(older, with_updates=False)
    assert latest_data_date(older) == D(2016, 11, 3)
    older.close()


def test_no_data_hint_names_each_feed_and_stays_quiet_when_there_is_data():
    con = duckdb.connect()
    _incidents(con, with_updates=True)
    assert no_data_hint(con, data_period(D(2016, 11, 20))) is None
    assert no_data_hint(con, period_from_text("2016-07", 1, D(2020, 1, 1)), ["costs"]) is None  # empty feed: no hint
    hint = no_data_hint(con, period_from_text("2016-07", 1, D(2020, 1, 1)))
    assert hint == ("no incidents opened or usage days in 2016-07; incidents run from 2016-09-01 to 2016-11-20; "
                    "usage runs from 2016-06-30 to 2016-06-30: try --period FY2016 or --as-of 2016-11-20 "
                    "(or --start 2015-12-01 --end 2016-11-21)")
    con.execute("update hospital set fiscal_year_start_month = 7")
    con.execute("insert into hospital values (7)")
    assert "try --period FY2017 " in no_data_hint(con, period_from_text("2016-07", 7, D(2020, 1, 1)))
    con.close()


def test_feeds_behind_a_kpi_are_its_activity_feeds():
    support = [m for d in runner.definitions().values() if d.area == "support" for m in d.models]
    assert feeds_behind(support) == ("incidents", "usage")
    assert feeds_behind(["stg_systems", "stg_budgets"]) == ()  # inventory and plans set no as-of day
    assert feeds_behind(["int_vulnerabilities"]) == ("vulnerabilities",)
    assert feeds_behind(runner.definition("mttr_by_priority").models) == ("incidents",)


@pytest.mark.slow
def test_the_demo_store_keeps_its_twelve_months(demo_store):
    path, truth, end = demo_store
    con = store.connect(path, read_only=True)
    try:
        assert end == D(2026, 9, 30) and latest_data_date(con) == end
        period, as_of = default_period(con)
        assert as_of == end and period == Period("2025-10 to 2026-09", D(2025, 10, 1), D(2026, 10, 1))
        assert period == resolve_period(con, today=end)
        for area in ("support", "costs"):
            feeds = feeds_behind(m for d in runner.definitions().values() if d.area == area for m in d.models)
            assert default_period(con, feed_names=feeds) == (period, end), area
    finally:
        con.close()


def test_the_support_section_of_a_period_without_data_opens_with_where_the_data_is(old_store):
    from hitplan.report.areas import area_section

    with open_context(str(old_store), period="FY2027") as ctx:
        section = area_section(ctx.con, "support", ctx.period)
    assert section.status == "no data"
    assert section.findings[0] == HINT[:1].upper() + HINT[1:] + "."
    with open_context(str(old_store), period=None) as ctx:
        assert not any("try --period" in f for f in area_section(ctx.con, "support", ctx.period).findings)
