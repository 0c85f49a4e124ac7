"""Dates in every layout a tool writes, the tools' own state and priority words, and the user's value map."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import ingest, query, write_csv
from hitplan.ingest.profiles import (
    DATETIME_FORMATS,
    date_layouts,
    profile,
    profiles,
    value_sql,
    vocabularies,
)
from hitplan.schema import feeds

FIX = Path(__file__).parent / "fixtures" / "exports"
T = dt.datetime
SN = ["number", "opened_at", "short_description", "priority", "state"]
CANON = ["number", "opened_at", "state"]
ALLOWED = "new, in_progress, on_hold, resolved, closed, canceled"



def counts(res) -> tuple[int, int, int, int, int]:
    return res["rows_read"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"], res["rows_skipped"]


def opened(store_path) -> dict[str, dt.datetime]:
    return dict(query(store_path, "select number, opened_at from incidents"))


def reasons(store_path) -> list[str]:
    return [r for (r,) in query(store_path, "select reason from rejects order by row_number")]


# --- the user's side: `hitplan ingest` of real layouts -------------------------------------------------------------

def test_servicenow_list_export_with_legacy_states_and_dashed_month_first_dates(store_path, cli):
    res = ingest(cli, "incidents", FIX / "servicenow_legacy_states.csv")
    # 14 records, all valid: read = loaded + merged + rejected + skipped
    assert (res["profile"], *counts(res)) == ("servicenow-incidents", 14, 14, 0, 0, 0)
    states = dict(query(store_path, "select number, state from incidents"))
    assert states == {
        "INC0040001": "closed",       # Closed Complete
        "INC0040002": "closed",       # Closed Incomplete
        "INC0040003": "canceled",     # Closed Skipped
        "INC0040004": "in_progress",  # Active (pre-Helsinki 2)
        "INC0040005": "in_progress",  # Work In Progress
        "INC0040006": "on_hold",      # Pending
        "INC0040007": "on_hold",      # Awaiting User Info
        "INC0040008": "on_hold",      # Awaiting Problem
        "INC0040009": "on_hold",      # Awaiting Vendor
        "INC0040010": "on_hold",      # Awaiting Evidence
        "INC0040011": "on_hold",      # Awaiting Change
        "INC0040012": "resolved",
        "INC0040013": "new",
        "INC0040014": "closed",
    }
    assert query(store_path, "select opened_at, updated_at, priority from incidents where number = 'INC0040004'") == [
        (T(2025, 2, 5, 7, 45), T(2025, 2, 13, 15, 46, 6), 2)]
    assert query(store_path, "select opened_at, closed_at from incidents where number = 'INC0040014'") == [
        (T(2025, 2, 13, 15, 46, 6), T(2025, 2, 14, 8, 0))]
    # Worked by hand from the file: the data ends 2025-02-14 08:00 (INC0040014's close). Backlog there = the 9
    # tickets new, in progress or on hold (0004-0011, 0013); resolved or closed = 4 (0001, 0002, 0012, 0014);
    # canceled = 1 (0003). Resolution basis: 3 recorded times (0001 resolved_at, 0012 resolved_at, 0014 closed_at),
    # 1 last update of a closed ticket (0002), 0 durations.
    assert query(store_path, "select max(greatest(opened_at, resolved_at, closed_at, updated_at)) from incidents") == [
        (T(2025, 2, 14, 8, 0),)]
    lifecycle = dict(query(store_path, """
        select case when state in ('resolved', 'closed') then 'resolved' when state = 'canceled' then 'canceled'
                    else 'backlog' end, count(*) from incidents group by 1"""))
    assert lifecycle == {"backlog": 9, "resolved": 4, "canceled": 1}
    basis = dict(query(store_path, """
        select case when coalesce(resolved_at, closed_at) is not null then 'recorded' else 'last_update' end, count(*)
        from incidents where state in ('resolved', 'closed') group by 1"""))
    assert basis == {"recorded": 3, "last_update": 1}
    names = " ".join(str(v) for row in query(store_path, "select * from incidents") for v in row)
    assert "Quillfeather" not in names and "Oxtongue" not in names


@pytest.mark.parametrize(("text", "expected"), [
    ("02/13/2025 15:46", T(2025, 2, 13, 15, 46)),
    ("02/13/2025 15:46:06", T(2025, 2, 13, 15, 46, 6)),
    ("02-13-2025 15:46:06", T(2025, 2, 13, 15, 46, 6)),
    ("02.13.2025 15:46", T(2025, 2, 13, 15, 46)),
    ("2/13/25 3:46 PM", T(2025, 2, 13, 15, 46)),
    ("02-13-25 03:46:06 am", T(2025, 2, 13, 3, 46, 6)),
    ("2/13/2025 12:05:00 AM", T(2025, 2, 13, 0, 5)),
    ("02/13/2025", T(2025, 2, 13)),
    ("2025-02-13 15:46:06", T(2025, 2, 13, 15, 46, 6)),
    ("2025-02-13T15:46:06", T(2025, 2, 13, 15, 46, 6)),
    ("2025-02-13T15:46:06.250", T(2025, 2, 13, 15, 46, 6, 250000)),
    ("2025-02-13 3:46 PM", T(2025, 2, 13, 15, 46)),
    ("2025-02-13 03:46:06 PM", T(2025, 2, 13, 15, 46, 6)),
    ("2025-02-13T15:46:06Z", T(2025, 2, 13, 15, 46, 6)),  # no hospital row: UTC wall time kept
    ("45700.6458", T(2025, 2, 12, 15, 29, 57)),  # Excel serial: 1899-12-30 + 45700 days + 0.6458 * 86400 s
    ("45701", T(2025, 2, 13)),
])
def test_month_first_profile_reads_every_layout(tmp_path, store_path, cli, text, expected):
    f = write_csv(tmp_path / "sn.csv", SN, [["INC1", text, "x", "3", "New"]])
    res = ingest(cli, "incidents", f, "--profile", "servicenow-incidents")
    assert counts(res) == (1, 1, 0, 0, 0), reasons(store_path)
    assert opened(store_path) == {"INC1": expected}


@pytest.mark.parametrize(("text", "expected"), [
    ("13/02/2025 7:04", T(2025, 2, 13, 7, 4)),
    ("13.02.2025 15:46:06", T(2025, 2, 13, 15, 46, 6)),
    ("13-02-25 3:46 PM", T(2025, 2, 13, 15, 46)),
    ("03/04/2025", T(2025, 4, 3)),
])
def test_date_order_dmy_overrides_the_profile(tmp_path, store_path, cli, text, expected):
    f = write_csv(tmp_path / "sn.csv", SN, [["INC1", text, "x", "3", "New"]])
    res = ingest(cli, "incidents", f, "--profile", "servicenow-incidents", "--date-order", "dmy")
    assert counts(res) == (1, 1, 0, 0, 0), reasons(store_path)
    assert opened(store_path) == {"INC1": expected}


def test_a_date_fitting_no_layout_is_rejected_with_the_layouts_tried(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "sn.csv", SN, [["INC1", "13/02/2025 7:04", "x", "3", "New"],
                                            ["INC2", "02/13/2025 7:04", "y", "3", "New"]])
    res = ingest(cli, "incidents", f, "--profile", "servicenow-incidents")
    assert counts(res) == (2, 1, 0, 1, 0)
    assert reasons(store_path) == [
        "opened_at: '13/02/2025 7:04' is not a date-time in the layouts tried: MM/DD/YYYY HH:MM[:SS], "
        "MM/DD/YYYY HH:MM[:SS] AM/PM, MM/DD/YYYY (also with - or . and YY), YYYY-MM-DD HH:MM:SS, "
        "YYYY-MM-DD HH:MM[:SS] AM/PM, ISO 8601 (T, Z, offset), Excel serial number; "
        "pass --date-order dmy if days come first"]


def test_canonical_layout_reads_slash_dates_only_with_date_order(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "inc.csv", CANON, [["INC1", "02-13-2025 15:46:06", "new"]])
    res = ingest(cli, "incidents", f)
    assert (res["profile"], *counts(res)) == ("canonical", 1, 0, 0, 1, 0)
    (reason,) = reasons(store_path)
    assert reason.startswith("opened_at: '02-13-2025 15:46:06' is not a date-time in the layouts tried: "
                             "YYYY-MM-DD HH:MM:SS, YYYY-MM-DD HH:MM[:SS] AM/PM, ISO 8601 (T, Z, offset), ")
    assert reason.endswith("pass --date-order mdy or dmy to read dates like 02/13/2025 or 13.02.2025")
    res = ingest(cli, "incidents", f, "--date-order", "mdy", "--force")  # the same file, loaded again
    assert (res["profile"], *counts(res)) == ("canonical", 1, 1, 0, 0, 0)
    assert opened(store_path) == {"INC1": T(2025, 2, 13, 15, 46, 6)}


def test_canonical_layout_reads_iso_t_ampm_and_excel_serials_without_a_flag(tmp_path, store_path, cli):
    rows = [["INC1", "2025-02-13T15:46:06", "new"], ["INC2", "2025-02-13 3:46 PM", "new"],
            ["INC3", "45700.6458", "new"], ["INC4", "3000000", "new"], ["INC5", "20250213", "new"]]
    res = ingest(cli, "incidents", write_csv(tmp_path / "inc.csv", CANON, rows))
    # two bare numbers outside Excel's range (1..2958465) are not dates: rejected, never guessed
    assert counts(res) == (5, 3, 0, 2, 0)
    assert opened(store_path) == {"INC1": T(2025, 2, 13, 15, 46, 6), "INC2": T(2025, 2, 13, 15, 46),
                                  "INC3": T(2025, 2, 12, 15, 29, 57)}
    assert [r.split(" is not")[0] for r in reasons(store_path)] == ["opened_at: '3000000'", "opened_at: '20250213'"]


def test_excel_serial_in_a_date_column(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "usage.csv", ["day", "system_id", "department", "active_users"],
                  [["45701", "SYS-1", "ED", "10"], ["2025-02-14", "SYS-1", "ED", "11"]])
    res = ingest(cli, "usage", f)
    assert counts(res) == (2, 2, 0, 0, 0)
    assert query(store_path, "select day from usage order by day") == [(dt.date(2025, 2, 13),), (dt.date(2025, 2, 14),)]


def test_offsets_are_converted_to_the_hospital_time_zone(tmp_path, store_path, cli):
    hospital = write_csv(tmp_path / "hospital.csv", ["hospital_id", "name", "time_zone", "fiscal_year_start_month"],
                         [["SMH", "St. Invented Hospital", "America/Chicago", "7"]])
    ingest(cli, "hospital", hospital)
    rows = [["INC1", "2025-02-13T21:46:06Z", "new"],          # UTC; Chicago is UTC-6 in February
            ["INC2", "2025-02-13T23:46:06+02:00", "new"],     # 21:46:06 UTC
            ["INC3", "2025-07-01 12:00:00-0500", "new"],      # 17:00 UTC; Chicago is UTC-5 in July
            ["INC4", "2025-02-13T21:46:06.500Z", "new"]]
    res = ingest(cli, "incidents", write_csv(tmp_path / "inc.csv", CANON, rows))
    assert counts(res) == (4, 4, 0, 0, 0), reasons(store_path)
    assert opened(store_path) == {"INC1": T(2025, 2, 13, 15, 46, 6), "INC2": T(2025, 2, 13, 15, 46, 6),
                                  "INC3": T(2025, 7, 1, 12, 0), "INC4": T(2025, 2, 13, 15, 46, 6)}


def test_servicenow_codes_legacy_words_and_label_priorities(tmp_path, store_path, cli):
    header = SN + ["impact", "urgency"]
    rows = [["INC1", "2025-02-13 08:00:00", "a", "Critical", "2", "High", "Low"],
            ["INC2", "2025-02-13 08:00:00", "b", "5 - Planning", "4", "2 - Medium", "2 - Medium"],
            ["INC3", "2025-02-13 08:00:00", "c", "Moderate", "5", "3 - Low", "1 - High"],
            ["INC4", "2025-02-13 08:00:00", "d", "2 - High", "8", "", ""],
            ["INC5", "2025-02-13 08:00:00", "e", "4 - Low", "-5", "", ""],
            ["INC6", "2025-02-13 08:00:00", "f", "3", "awaiting CALLER", "", ""]]
    res = ingest(cli, "incidents", write_csv(tmp_path / "sn.csv", header, rows))
    assert counts(res) == (6, 6, 0, 0, 0), reasons(store_path)
    assert query(store_path, "select number, priority, state, impact, urgency from incidents order by number") == [
        ("INC1", 1, "in_progress", 1, 3), ("INC2", 5, "on_hold", 2, 2), ("INC3", 3, "on_hold", 3, 1),
        ("INC4", 2, "canceled", None, None), ("INC5", 4, "on_hold", None, None), ("INC6", 3, "on_hold", None, None)]


def test_jira_statuses_status_categories_and_priorities(tmp_path, store_path, cli):
    words = [("Waiting for support", "Highest", "in_progress", 1), ("Escalated", "Blocker", "in_progress", 1),
             ("Pending", "High", "on_hold", 2), ("Waiting for customer", "Major", "on_hold", 3),
             ("To Do", "Medium", "new", 3), ("In Progress", "Minor", "in_progress", 4), ("Done", "Low", "resolved", 4),
             ("Resolved", "Trivial", "resolved", 5), ("Closed", "Lowest", "closed", 5), ("Canceled", "P1", "canceled", 1),
             ("Declined", "P2", "canceled", 2), ("Won't Do", "P3", "canceled", 3), ("Duplicate", "P4", "canceled", 4),
             ("Completed", "P5", "resolved", 5), ("Reopened", "critical", "in_progress", 1),
             ("Work in progress", "HIGH", "in_progress", 2), ("Open", "medium", "new", 3)]
    rows = [[f"ITSM-{i}", "Incident", s, p, "12/Mar/24 9:41 AM", f"issue {i}", "Invented Reporter"]
            for i, (s, p, *_ ) in enumerate(words, 1)]
    f = write_csv(tmp_path / "jira.csv", ["Issue key", "Issue Type", "Status", "Priority", "Created", "Summary",
                                          "Reporter"], rows)
    res = ingest(cli, "incidents", f)
    assert (res["profile"], *counts(res)) == ("jira-service-management", 17, 17, 0, 0, 0), reasons(store_path)
    got = {n: (s, p) for n, s, p in query(store_path, "select number, state, priority from incidents")}
    assert got == {f"ITSM-{i}": (state, prio) for i, (_, _, state, prio) in enumerate(words, 1)}
    assert set(opened(store_path).values()) == {T(2024, 3, 12, 9, 41)}


def test_value_map_loads_the_users_words_and_wins_over_the_profile(tmp_path, store_path, cli):
    vm = tmp_path / "values.yaml"
    vm.write_text('incidents:\n  state: {"Triaged": in_progress, "Pending": new, "Resolved - Fixed": Resolved}\n'
                  '  priority: {"Sev A": 1, "sev b": 2}\n')
    rows = [["INC1", "2025-02-13 08:00:00", "a", "Sev A", "TRIAGED"],
            ["INC2", "2025-02-13 08:00:00", "b", "SEV B", "Pending"],          # the user's Pending beats on_hold
            ["INC3", "2025-02-13 08:00:00", "c", "3 - Moderate", "Resolved - Fixed"],
            ["INC4", "2025-02-13 08:00:00", "d", "2 - High", "Awaiting Vendor"]]  # the profile's words still apply
    res = ingest(cli, "incidents", write_csv(tmp_path / "sn.csv", SN, rows), "--values", vm)
    assert counts(res) == (4, 4, 0, 0, 0), reasons(store_path)
    assert query(store_path, "select number, priority, state from incidents order by number") == [
        ("INC1", 1, "in_progress"), ("INC2", 2, "new"), ("INC3", 3, "resolved"), ("INC4", 2, "on_hold")]


def test_value_map_works_with_the_canonical_layout_and_warns_when_it_has_no_section(tmp_path, store_path, cli):
    vm = tmp_path / "values.yaml"
    vm.write_text('incidents:\n  state: {"Parked": on_hold}\n')
    res = ingest(cli, "incidents", write_csv(tmp_path / "inc.csv", CANON, [["INC1", "2025-02-13 08:00:00", "Parked"]]),
                 "--values", vm)
    assert (res["profile"], *counts(res)) == ("canonical", 1, 1, 0, 0, 0)
    assert query(store_path, "select state from incidents") == [("on_hold",)]
    other = tmp_path / "costs.yaml"
    other.write_text("costs:\n  cost_pool: {licences: software}\n")
    res = ingest(cli, "incidents", write_csv(tmp_path / "inc2.csv", CANON, [["INC2", "2025-02-13 08:00:00", "new"]]),
                 "--values", other)
    assert any("has no section for the incidents feed" in w for w in res["warnings"])


def test_unknown_word_names_the_value_map_line_that_loads_it(tmp_path, store_path, cli):
    rows = [["INC1", "2025-02-13 08:00:00", "a", "Urgent", "Triaged"],
            ["INC2", "2025-02-13 08:00:00", "b", "2", 'Say "hi"']]
    f = write_csv(tmp_path / "sn.csv", SN, rows)
    res = ingest(cli, "incidents", f)
    assert counts(res) == (2, 0, 0, 2, 0)
    first, second = reasons(store_path)
    assert first == (
        "priority: 'Urgent' is not a whole number; add it to a value map and pass --values FILE, e.g. under "
        'incidents: priority: the line  "Urgent": <a whole number from 1 to 5>; '
        f"state: 'Triaged' is not one of {ALLOWED}; add it to a value map and pass --values FILE, e.g. under "
        'incidents: state: the line  "Triaged": <one of these>')
    assert second.endswith('the line  "Say \\"hi\\"": <one of these>')
    # the named line, with the value it means, loads the rows
    vm = tmp_path / "values.yaml"
    vm.write_text('incidents:\n  priority:\n    "Urgent": 2\n  state:\n    "Triaged": in_progress\n'
                  '    "Say \\"hi\\"": new\n')
    res = ingest(cli, "incidents", f, "--values", vm, "--force")
    assert counts(res) == (2, 2, 0, 0, 0)
    # copied as it stands, the placeholder is refused before anything loads
    vm.write_text('incidents:\n  state:\n    "Triaged": <one of these>\n')
    code, _, err = cli("ingest", "incidents", f, "--values", vm, "--force")
    assert code == 2 and "'<one of these>' is not one of new" in err


@pytest.mark.parametrize(("text", "problem"), [
    ("incidents: [state", "not valid YAML (line 2"),
    ("", "the file is empty"),
    ("- incidents", "one section per feed"),
    ("incident:\n  state: {x: new}\n", "incident: not a feed (did you mean 'incidents'?)"),
    ("incidents:\n  status: {x: new}\n", "the incidents feed has no column 'status' (did you mean 'state'?)"),
    ("incidents:\n  state: new\n", 'give the words as a mapping'),
    ("incidents:\n  state: {Parked: parked}\n", "'parked' is not one of new, in_progress"),
    ("incidents:\n  priority: {Urgent: high}\n", "'high' is not a whole number"),
    ("incidents:\n  state: {Yes: new}\n", "quote the export's word"),
    ("incidents:\n  state: {Parked: on_hold, PARKED: new}\n", "given twice"),
    ("incidents:\n  state: {Parked: [on_hold]}\n", "give one value after the colon"),
])
def test_a_broken_value_map_is_one_clear_usage_error(tmp_path, store_path, cli, text, problem):
    vm = tmp_path / "values.yaml"
    vm.write_text(text)
    f = write_csv(tmp_path / "sn.csv", SN, [["INC1", "2025-02-13 08:00:00", "a", "2", "New"]])
    code, out, err = cli("ingest", "incidents", f, "--values", vm)
    assert code == 2 and f"value map {vm}" in err and problem in err, err
    assert len(err.strip().splitlines()) == 1
    assert query(store_path, "select count(*) from incidents") == [(0,)]


def test_a_missing_value_map_file_is_named(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "sn.csv", SN, [["INC1", "2025-02-13 08:00:00", "a", "2", "New"]])
    code, _, err = cli("ingest", "incidents", f, "--values", tmp_path / "nope.yaml")
    assert code == 2 and "nope.yaml: no such file" in err


# --- units ---------------------------------------------------------------------------------------------------------

def test_two_digit_years_are_tried_before_four_digit_ones():
    # %Y reads "25" as the year 25: every %y layout must come before the same layout with %Y
    for name in ("mdy", "dmy"):
        formats = DATETIME_FORMATS[name]
        for i, f in enumerate(formats):
            if "%Y" in f:
                assert formats.index(f.replace("%Y", "%y")) < i


def test_every_profile_rule_and_vocabulary_builds():
    assert vocabularies()["servicenow_incident_state"]["awaiting evidence"] == "on_hold"
    assert vocabularies()["jira_status"]["won't do"] == "canceled"
    for prof in profiles().values():
        for feed in prof.values:
            for col in feeds()[feed].columns:
                assert value_sql(prof, feed, col.name, "x", col.type, "dmy", "UTC", {"a": "b"})


def test_every_vocabulary_word_maps_to_a_value_the_feed_takes():
    state = feeds()["incidents"].column("state")
    for name, words in vocabularies().items():
        for word, value in words.items():
            assert value in state.values or value in {"1", "2", "3", "4", "5"}, (name, word, value)


def test_date_layouts_hint_names_the_other_order():
    sn, canonical = profile("servicenow-incidents"), profile("canonical")
    assert date_layouts(sn, "incidents", "opened_at", "timestamp").endswith("--date-order dmy if days come first")
    assert date_layouts(sn, "incidents", "opened_at", "timestamp", "dmy").startswith("DD/MM/YYYY HH:MM[:SS], ")
    assert date_layouts(canonical, "incidents", "opened_at", "timestamp", "dmy").endswith(
        "--date-order mdy if months come first")
    assert date_layouts(canonical, "usage", "day", "date") == (
        "YYYY-MM-DD, ISO 8601 (T, Z, offset), Excel serial number; pass --date-order mdy or dmy to read dates like "
        "02/13/2025 or 13.02.2025")
    assert date_layouts(canonical, "incidents", "state", "text") is None
