"""The ticket lifecycle that holds without timestamps: a list view with only states, last updates and durations.

The fixture tests/fixtures/exports/servicenow_list_no_times.csv is a ServiceNow incident list export (field names,
quoted, yyyy-MM-dd HH:mm:ss dates, glide_duration display values such as "2 Days" or "4 Hours 30 Minutes") of 20
tickets from 2014-2015 with no resolved_at or closed_at. Per ticket (opened; state; priority; what tells its
resolution time -> hours, basis; SLA against the shipped targets P1 4 h, P2 8 h, P3 72 h, P4 120 h):

  1001 2014-11-03 closed   P3 calendar "2 Days" -> done 2014-11-05                     (before 2015)
  1002 2014-12-20 closed   P4 last update 2015-01-10 -> done 2015-01-10               (open at 2014's end)
  1003 2014-12-28 resolved P2 calendar "4 Hours 30 Minutes" -> done 2014-12-28        (before 2015)
  1004 2015-01-05 closed   P1 calendar 3 h            met
  1005 2015-01-12 closed   P1 calendar 6.25 h         missed
  1006 2015-02-02 closed   P2 last update 6 h         met (an upper bound within 8 h)
  1007 2015-02-16 closed   P2 last update 48 h        not measurable (an upper bound above 8 h proves nothing)
  1008 2015-03-03 closed   P3 calendar "1 Day 2 Hours" 26 h  met
  1009 2015-03-20 resolved P3 business "5 Hours" 5 h  not measurable (a lower bound within 72 h); done by its update
  1010 2015-04-07 closed   P4 last update 144 h       not measurable
  1011 2015-05-11 closed   P4 calendar "1 Day" 24 h   met
  1012 2015-06-01 closed   P3 calendar "8 Days" 192 h missed
  1013 2015-07-14 closed   P3 nothing (no update, no duration): resolved at an unknown time, no resolution time
  1014 2015-08-04 canceled P4 last update 2015-08-04 09:30 (done then; never in MTTR)
  1015 2015-09-09 closed   P2 business "9 Hours" 9 h  missed (a lower bound above 8 h); done by its update 09-11
  1016 2015-10-19 resolved P3 calendar "1 Day" 24 h   met
  1017 2015-11-23 closed   P4 calendar "7 Days" 168 h missed
  1018 2015-12-01 in progress P3: open; 736 h old at 2016-01-01, over 30 days, past target
  1019 2015-12-21 new      P2: open; 250 h old at 2016-01-01, past target
  1020 2015-12-28 closed   P4 last update 18 h        met
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from conftest import query, write_csv
from hitplan.ingest.durations import duration_sql
from hitplan.kpi import support
from hitplan.models import attach_models
from hitplan.report.areas.support import pauses_and_verdicts, resolution_basis
from kpi_fixtures import connect, period, tiny_store, ts

FIXTURE = Path(__file__).parent / "fixtures" / "exports" / "servicenow_list_no_times.csv"
YEAR_2015 = ("--start", "2015-01-01", "--end", "2016-01-01")


def _kpis(cli, *names: str) -> dict:
    code, out, err = cli("kpi", *names, *YEAR_2015, "--format", "json")
    assert code == 0, err
    return json.loads(out)["kpis"]


@pytest.fixture
def loaded(store_path, cli):
    code, out, err = cli("ingest", "incidents", FIXTURE, "--format", "json")
    assert code == 0, err
    return json.loads(out.strip())


def test_list_view_loads_every_row_with_its_durations_and_last_update(loaded, store_path):
    assert loaded["profile"] == "servicenow-incidents"
    counts = [loaded[k] for k in ("rows_read", "rows_loaded", "rows_merged", "rows_rejected", "rows_skipped")]
    assert counts == [20, 20, 0, 0, 0]
    rows = dict((n, r) for n, *r in query(store_path, "select number, state, updated_at, calendar_duration_hours, "
                                                      "business_duration_hours, resolved_at, closed_at from incidents"))
    assert rows["INC0001001"][0] == "closed" and rows["INC0001001"][2:4] == [48.0, 16.0]
    assert rows["INC0001003"][2:4] == [4.5, 4.5]
    assert rows["INC0001008"][2] == 26.0 and rows["INC0001008"][3] is None
    assert str(rows["INC0001002"][1]) == "2015-01-10 10:00:00"
    assert rows["INC0001013"][1:] == [None] * 5
    assert all(r[4] is None and r[5] is None for r in rows.values())  # no resolved or closed time anywhere


def test_closed_tickets_are_not_backlog_and_backlog_is_the_two_open_ones(loaded, cli):
    kpis = _kpis(cli, "incident_backlog", "incident_volume_by_month")
    backlog = kpis["incident_backlog"]["records"]
    # only 1018 (P3, opened 2015-12-01, over 30 days) and 1019 (P2) are open at 2016-01-01
    assert [(r["priority"], r["open_at_period_end"], r["open_over_30_days"]) for r in backlog] == [(2, 1, 0), (3, 1, 1)]
    vol = kpis["incident_volume_by_month"]["records"]
    assert [r["opened"] for r in vol] == [2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 3]  # 1004..1020 by month: 17
    # done in 2015: 1002 (by its update), 1004, 1005 in January ... 1020 in December; 1013 is done at no known time
    assert [r["resolved"] for r in vol] == [3, 2, 2, 1, 1, 1, 0, 1, 1, 1, 1, 1]
    # 1002 was open at 2014's end (carried in) and leaves in January; only December's two new tickets stay
    assert [r["backlog_at_month_end"] for r in vol] == [0] * 11 + [2]
    # dated by their last update: 1002 (Jan), 1006, 1007 (Feb), 1009 (Mar), 1010 (Apr), 1014 (Aug), 1015 (Sep), 1020
    assert [r["resolved_by_last_update"] for r in vol] == [1, 2, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1]
    assert [r["resolved_time_unknown"] for r in vol] == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]  # 1013, July


def test_mttr_and_sla_use_each_tickets_resolution_basis(loaded, cli):
    kpi = _kpis(cli, "mttr_by_priority")["mttr_by_priority"]
    by = {r["priority"]: r for r in kpi["records"]}
    cols = ("incidents", "resolved_incidents", "resolved_by_timestamps", "resolved_by_duration",
            "resolved_by_business_time", "resolved_by_last_update", "resolved_time_unknown", "resolve_sla_measured",
            "resolve_sla_not_measurable", "open_past_target")
    assert [by[1][c] for c in cols] == [2, 2, 0, 2, 0, 0, 0, 2, 0, 0]  # 1004, 1005
    assert [by[2][c] for c in cols] == [4, 3, 0, 0, 1, 2, 0, 3, 1, 1]  # 1006, 1007, 1015 resolved; 1019 open
    assert [by[3][c] for c in cols] == [6, 5, 0, 3, 1, 0, 1, 4, 2, 1]  # 1008, 1009, 1012, 1013, 1016; 1018 open
    assert [by[4][c] for c in cols] == [4, 4, 0, 2, 0, 2, 0, 3, 1, 0]  # 1010, 1011, 1017, 1020; 1014 canceled
    # P1 (3 + 6.25) / 2; P2 (6 + 48 + 9) / 3; P3 (26 + 5 + 192 + 24) / 4, 1013 has no time; P4 (144 + 24 + 168 + 18) / 4
    assert [by[p]["mttr_hours"] for p in (1, 2, 3, 4)] == pytest.approx([4.625, 21.0, 61.75, 88.5])
    assert [by[p]["median_mttr_hours"] for p in (1, 2, 3, 4)] == pytest.approx([4.625, 9.0, 25.0, 84.0])
    # met / (met + missed, open past target included): P1 1/2; P2 1006 / (1006, 1015, 1019); P3 1008, 1016 /
    # (1008, 1012, 1016, 1018); P4 1011, 1020 / (1011, 1017, 1020)
    assert [by[p]["resolve_sla_met_pct"] for p in (1, 2, 3, 4)] == pytest.approx([50.0, 100 / 3, 50.0, 200 / 3])
    # no acknowledgement time anywhere: not measurable, never 0 %
    assert all(by[p]["ack_sla_met_pct"] is None and by[p]["mtta_minutes"] is None for p in (1, 2, 3, 4))
    assert "acknowledgement" in kpi["note"] and "not measurable" in kpi["note"]
    # no on-hold time and no made_sla in this list view: calendar times, said so; every outcome is hitplan's
    assert [by[p]["paused_time_unknown"] for p in (1, 2, 3, 4)] == [2, 3, 4, 4]  # resolved with a time: 1013 has none
    assert all(by[p]["pause_note"] == "on-hold time not in the export: MTTR includes pauses" for p in (1, 2, 3, 4))
    assert [by[p]["sla_by_hitplan"] for p in (1, 2, 3, 4)] == [2, 3, 4, 3] and all(by[p]["sla_by_tool"] == 0
                                                                                 for p in (1, 2, 3, 4))


def test_support_status_and_report_say_how_resolution_times_are_known(loaded, store_path):
    con = connect(store_path)
    try:
        q = period("2015-01-01", "2016-01-01", "2015")
        sla = support.mttr_by_priority(con, q)
        status = support.area_status(con, q)
    finally:
        con.close()
    # P1/P2 resolved within target: met 1004, 1006 of the 5 with a known outcome (1004, 1005, 1006, 1015, 1019)
    driver = next(d for d in status.drivers if d.kpi == "mttr_by_priority")
    assert driver.value == pytest.approx(40.0)
    text = resolution_basis(sla)
    assert text.startswith("Of 14 resolved incidents, 7 from the duration the service desk tool computed; "
                           "2 from business hours or time worked (lower bounds); ")
    assert "resolution times for 4 tickets are estimated from their last update (an upper bound)" in text
    assert "1 resolved ticket has no resolution time" in text
    assert "4 tickets whose bound proves neither a met nor a missed target are left out of the SLA figure" in text
    assert pauses_and_verdicts(sla) == (
        "Resolution times include time on hold (awaiting the caller or a vendor), which ITIL and HDI leave out: the "
        "export has no on-hold time; SLA outcomes are computed by hitplan against the targets (the export has no SLA "
        "verdict).")


def test_report_says_nothing_about_bases_when_every_time_is_a_timestamp():
    import pandas as pd

    sla = pd.DataFrame({"resolved_incidents": [3], "resolved_by_timestamps": [3], "resolved_by_duration": [0],
                        "resolved_by_business_time": [0], "resolved_by_last_update": [0],
                        "resolved_time_unknown": [0], "resolve_sla_not_measurable": [0]})
    assert resolution_basis(sla) == ""


# --- the duration rule -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, hours", [
    ("2 Days 3 Hours 4 Minutes", 51 + 4 / 60),  # ServiceNow list export (display value)
    ("5 Minutes", 5 / 60),
    ("1 Day 30 Seconds", 24 + 30 / 3600),
    ("1 Hour, 2 Minutes", 1 + 2 / 60),
    ("3 12:00:00", 84.0),  # GlideDuration d HH:mm:ss
    ("1970-01-03 03:04:00", 51 + 4 / 60),  # the stored value: time since the epoch (XML/JSON exports)
    ("36:00:00", 36.0),  # HH:MM:SS with hours past a day
    ("01:30:00", 1.5),
    ("7200", 2.0),  # seconds (Jira Time Spent, some ServiceNow exports)
    ("90.5", 90.5 / 3600),
])
def test_duration_layouts_become_hours(text, hours):
    got = duckdb.connect().execute(f"select {duration_sql('x')} from (select ? as x)", [text]).fetchone()[0]
    assert float(got) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["2 Dayz", "soon", "1:30", "12:75:00", "-5"])
def test_text_in_no_duration_layout_is_left_for_the_number_check_to_reject(text):
    got = duckdb.connect().execute(f"select {duration_sql('x')} from (select ? as x)", [text]).fetchone()[0]
    assert got == text


def test_a_duration_in_no_layout_is_rejected_naming_the_column(tmp_path, store_path, cli):
    header = ["number", "opened_at", "short_description", "state", "calendar_duration"]
    rows = [["INC1", "2015-01-05 08:00:00", "ok", "Closed", "2 Days"],
            ["INC2", "2015-01-05 09:00:00", "bad", "Closed", "two days"]]
    code, out, err = cli("ingest", "incidents", write_csv(tmp_path / "sn.csv", header, rows), "--format", "json")
    assert code == 0, err
    res = json.loads(out.strip())
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (2, 1, 1)
    reason = query(store_path, "select reason from rejects")[0][0]
    assert "calendar_duration_hours" in reason and "two days" in reason


def test_jira_updated_time_spent_and_time_to_resolution(tmp_path, store_path, cli):
    header = ["Issue key", "Summary", "Status", "Priority", "Created", "Updated", "Resolved", "Time Spent",
              "Custom field (Time to resolution)"]
    rows = [["HD-1", "Printer down", "Done", "High", "12/Mar/15 9:41 AM", "13/Mar/15 10:00 AM", "", "5400", "03:30:00"],
            ["HD-2", "VPN", "In Progress", "Low", "14/Mar/15 8:00 AM", "14/Mar/15 9:00 AM", "", "", ""]]
    code, out, err = cli("ingest", "incidents", write_csv(tmp_path / "jira.csv", header, rows), "--format", "json")
    assert code == 0, err
    assert json.loads(out.strip())["profile"] == "jira-service-management"
    got = query(store_path, "select number, state, cast(updated_at as varchar), time_worked_hours, "
                            "business_duration_hours from incidents order by number")
    assert got == [("HD-1", "resolved", "2015-03-13 10:00:00", 1.5, 3.5),
                   ("HD-2", "in_progress", "2015-03-14 09:00:00", None, None)]


# --- the lifecycle in int_incidents ------------------------------------------------------------------------------

def _inc(number, opened, state, **kw):
    return {"number": number, "opened_at": ts(opened), "state": state, "priority": 3,
            **{k: ts(v) if k.endswith("_at") else v for k, v in kw.items()}}


@pytest.fixture
def lifecycle(tmp_path):
    path = tiny_store(tmp_path / "l.duckdb", incidents=[
        # a time wins over a state that says the ticket is still worked (a later reopen)
        _inc("T1", "2025-01-06 08:00:00", "in_progress", resolved_at="2025-01-06 10:00:00",
             updated_at="2025-01-09 08:00:00", calendar_duration_hours=99.0),
        # closed by its state only: done by its last update (an upper bound)
        _inc("S1", "2025-01-06 08:00:00", "closed", updated_at="2025-01-07 08:00:00"),
        # the calendar duration wins over business hours and the last update
        _inc("S2", "2025-01-06 08:00:00", "resolved", updated_at="2025-01-10 08:00:00",
             calendar_duration_hours=30.0, business_duration_hours=9.0, time_worked_hours=1.0),
        # business hours before time worked; done time from the last update
        _inc("S3", "2025-01-06 08:00:00", "closed", business_duration_hours=9.0, time_worked_hours=1.0,
             updated_at="2025-01-08 08:00:00"),
        # time worked alone: a lower bound of the resolution time, done at no known time
        _inc("S4", "2025-01-06 08:00:00", "closed", time_worked_hours=1.0),
        # canceled with nothing: done, never resolved
        _inc("C1", "2025-01-06 08:00:00", "canceled"),
        # on hold, and open with no state at all
        _inc("H1", "2025-01-06 08:00:00", "on_hold", updated_at="2025-01-07 08:00:00"),
        _inc("O1", "2025-01-06 08:00:00", None),
    ])
    con = connect(path)
    attach_models(con)
    yield con
    con.close()


def test_lifecycle_from_times_else_from_the_state(lifecycle):
    got = {r[0]: r[1:] for r in lifecycle.execute(
        "select incident_number, lifecycle, is_done, cast(done_at as varchar), done_basis, resolve_hours, "
        "resolution_basis from int_incidents").fetchall()}
    assert got["T1"] == ("resolved", True, "2025-01-06 10:00:00", "timestamps", 2.0, "timestamps")
    assert got["S1"] == ("closed", True, "2025-01-07 08:00:00", "last_update", 24.0, "last_update")
    assert got["S2"] == ("resolved", True, "2025-01-07 14:00:00", "calendar_duration", 30.0, "calendar_duration")
    assert got["S3"] == ("closed", True, "2025-01-08 08:00:00", "last_update", 9.0, "business_duration")
    assert got["S4"] == ("closed", True, None, None, 1.0, "time_worked")
    assert got["C1"] == ("canceled", True, None, None, None, None)
    assert got["H1"] == ("on_hold", False, None, None, None, None)
    assert got["O1"] == ("open", False, None, None, None, None)


def test_state_only_and_canceled_tickets_are_not_backlog(lifecycle):
    q = period("2025-01-01", "2025-02-01")
    backlog = support.incident_backlog(lifecycle, q)
    assert backlog["open_at_period_end"].tolist() == [2]  # H1 and O1 (both P3)
    vol = support.incident_volume_by_month(lifecycle, q)
    # opened 8; done with a known time T1, S1, S2, S3; S4 and C1 done at no known time, never backlog
    assert vol[["opened", "resolved", "backlog_at_month_end", "resolved_time_unknown"]].values.tolist() == [[8, 4, 2, 2]]
    mttr = support.mttr_by_priority(lifecycle, q)
    # P3 target 72 h: T1 2 h and S2 30 h met; S1 24 h (an upper bound) met; S3 9 h and S4 1 h (lower bounds within
    # the target) prove nothing; H1 and O1 are open, 26 days old at 2025-02-01 (past 72 h): misses
    assert mttr[["incidents", "resolved_incidents", "resolve_sla_measured", "resolve_sla_not_measurable",
                 "open_past_target"]].values.tolist() == [[7, 5, 5, 2, 2]]
    assert mttr["resolve_sla_met_pct"].iloc[0] == pytest.approx(60.0)
