"""Hostile headers and values (issue 12, cases 4 and 15): no profile drops a feed's column unasked, numbers stay
in plausible ranges, NUL bytes and sub-cent money are rejected with a reason naming the column."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from conftest import ingest, query, write_csv
from hitplan.errors import InputError
from hitplan.ingest import profiles as profiles_module
from hitplan.ingest.profiles import detect
from hitplan.ingest.validate import problems, typed_sql
from hitplan.schema import feed, feeds

FIX = Path(__file__).parent / "fixtures" / "exports"
T = dt.datetime

# One incident with every column of the incidents feed, in hitplan's own layout.
FULL = {
    "number": "INC1", "system_id": "SYS-1", "opened_at": "2025-01-01 10:00:00", "acknowledged_at": "2025-01-01 10:05:00",
    "resolved_at": "2025-01-01 11:00:00", "closed_at": "2025-01-02 11:00:00", "priority": "2", "impact": "1",
    "urgency": "2", "state": "closed", "category": "software", "assignment_group": "Service Desk",
    "short_description": "printer down", "caller": "Ann Example", "department": "ED", "is_security": "false",
    "outage_minutes": "30", "users_affected": "12", "reopen_count": "0", "reassignment_count": "1", "made_sla": "true",
}
STORED = ("select system_id, acknowledged_at, is_security, outage_minutes, users_affected, reassignment_count, made_sla "
          "from incidents")



def reasons(store_path) -> dict[int, str]:
    return dict(query(store_path, "select row_number, reason from rejects order by row_number"))


# ---- case 4: profile detection never drops a column the feed has -------------------------------------


@pytest.mark.slow
def test_hitplan_layout_with_22_extra_columns_is_not_read_as_servicenow_and_keeps_stored_rows(tmp_path, store_path, cli):
    ingest(cli, "incidents", write_csv(tmp_path / "first.csv", list(FULL), [list(FULL.values())]))
    assert query(store_path, STORED) == [("SYS-1", T(2025, 1, 1, 10, 5), False, 30.0, 12, 1, True)]
    extra = [f"u_custom_{i}" for i in range(22)]
    wide = write_csv(tmp_path / "wide.csv", list(FULL) + extra, [list(FULL.values()) + ["x"] * 22])
    code, _, err = cli("ingest", "incidents", wide)
    assert code == 3, err
    assert "unknown columns 'u_custom_0'" in err and "and 17 more" in err and "--ignore-extra" in err
    assert query(store_path, STORED) == [("SYS-1", T(2025, 1, 1, 10, 5), False, 30.0, 12, 1, True)]
    res = ingest(cli, "incidents", wide, "--ignore-extra", "--force")
    assert (res["profile"], res["rows_loaded"], res["rows_replaced"]) == ("canonical", 1, 1)
    assert query(store_path, STORED) == [("SYS-1", T(2025, 1, 1, 10, 5), False, 30.0, 12, 1, True)]


@pytest.mark.parametrize("extra", [22, 40])
def test_detection_ranks_hitplan_layout_above_a_tool_that_reads_less_of_the_header(extra):
    header = list(FULL) + [f"x{i}" for i in range(extra)]
    assert detect(feed("incidents"), header, file="wide.csv").name == "canonical"


def test_best_tool_fit_that_would_drop_a_feed_column_lists_the_candidates(tmp_path, store_path, cli):
    header = ["number", "opened_at", "short_description", "caller_id", "priority", "state", "assignment_group",
              "cmdb_ci", "outage_minutes"]
    f = write_csv(tmp_path / "sn.csv", header,
                  [["INC9", "2025-01-01 10:00:00", "EHR down", "Ann Example", "1 - Critical", "New", "SD", "EHR", "30"]])
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3, err
    assert "servicenow-incidents, would leave out outage_minutes" in err
    assert "servicenow-incidents reads 8 of 9 columns" in err and "canonical reads 7 of 9 columns" in err
    assert "Pick one with --profile" in err and len(err.strip().splitlines()) == 1
    assert query(store_path, "select count(*) from incidents") == [(0,)]
    # Chosen on purpose, the profile loads, and the warning says a feed column was left out.
    res = ingest(cli, "incidents", f, "--profile", "servicenow-incidents")
    assert res["rows_loaded"] == 1
    assert any("does not read were NOT loaded: outage_minutes" in w for w in res["warnings"])
    assert not any("not in the incidents feed" in w and "outage_minutes" in w for w in res["warnings"])


def test_two_tool_profiles_fitting_a_header_equally_are_an_error_naming_both(monkeypatch):
    real = profiles_module.profiles()
    # The same columns read with day-first dates: which one is meant decides what 03/04 is.
    twin = dataclasses.replace(real["servicenow-incidents"], name="servicenow-twin",
                               values={"incidents": {"opened_at": {"datetime": ["dmy"]}}})
    monkeypatch.setattr(profiles_module, "profiles",
                        lambda: {"canonical": real["canonical"], "servicenow-incidents": real["servicenow-incidents"],
                                 "servicenow-twin": twin})
    header = ["number", "opened_at", "short_description", "caller_id"]
    with pytest.raises(InputError, match="servicenow-incidents and servicenow-twin fit it equally well") as err:
        detect(feed("incidents"), header, file="x.csv")
    assert "--profile" in str(err.value) and "servicenow-twin reads 4 of 4 columns" in str(err.value)


# ---- case 15: values in range ----------------------------------------------------------------------------


def test_every_numeric_column_has_a_range_with_its_reason():
    for f in feeds().values():
        for c in f.columns:
            if c.type in ("integer", "number", "money"):
                assert c.min is not None and c.max is not None, f"{f.name}.{c.name}"
                # Scales (a 1-5 priority, a 0-10 CVSS, a percentage, a month) explain themselves.
                assert c.range_note or c.max in (1, 3, 4, 5, 10, 12, 20, 100, 2100), f"{f.name}.{c.name}"


def test_absurd_incident_numbers_are_rejected_naming_the_column_and_the_limit(tmp_path, store_path, cli):
    header = ["number", "opened_at", "resolved_at", "closed_at", "short_description", "outage_minutes",
              "users_affected", "reopen_count"]
    rows = [
        ["A1", "2025-01-01 10:00:00", "2025-01-01 11:00:00", "", "huge outage", "1e308", "5", "0"],
        ["A2", "2025-01-01 10:00:00", "2025-01-01 11:00:00", "", "whole planet", "10", "9200000000000000000", "0"],
        ["A3", "2025-01-01 10:00:00", "2025-01-01 11:00:00", "", "seconds, not minutes", "5400", "5", "0"],
        ["A4", "2025-01-01 10:00:00", "", "2025-01-01 11:00:00", "closed only", "3000", "5", "0"],
        ["A5", "2025-01-01 10:00:00", "2025-01-01 11:00:00", "", "reopened forever", "10", "5", "5000"],
        ["A6", "2025-01-01 10:00:00", "2025-01-01 11:00:00", "", "began before the ticket", "1440", "5", "0"],
        ["A7", "2025-01-01 10:00:00", "", "", "still open", "5000", "1000000", "0"],
    ]
    res = ingest(cli, "incidents", write_csv(tmp_path / "inc.csv", header, rows))
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (7, 2, 5)
    r = reasons(store_path)
    assert r[1] == "outage_minutes: '1e308' is above the maximum 527,040"
    assert r[2] == "users_affected: '9200000000000000000' is above the maximum 1,000,000"
    assert r[3].startswith("outage_minutes: longer than the time from opened_at to resolved_at (or closed_at) plus a day")
    assert r[4].startswith("outage_minutes: longer than the time")
    assert r[5] == "reopen_count: '5000' is above the maximum 1000"
    assert query(store_path, "select number from incidents order by 1") == [("A6",), ("A7",)]


@pytest.mark.slow
def test_money_and_usage_beyond_their_ranges_are_rejected(tmp_path, store_path, cli):
    costs = write_csv(tmp_path / "costs.csv", ["entry_id", "posting_date", "amount", "gl_account", "cost_center"],
                      [["E1", "2025-01-01", "2000000000000", "6420", "IT"], ["E2", "2025-01-01", "-2000000000000", "6420", "IT"],
                       ["E3", "2025-01-01", "999999999999.99", "6420", "IT"]])
    res = ingest(cli, "costs", costs)
    assert (res["rows_loaded"], res["rows_rejected"]) == (1, 2)
    assert reasons(store_path)[1] == "amount: '2000000000000' is above the maximum 1,000,000,000,000"
    usage = write_csv(tmp_path / "usage.csv", ["day", "system_id", "department", "active_users", "sessions"],
                      [["2025-01-01", "S1", "ED", "2000000", "1"], ["2025-01-01", "S2", "ED", "10", "1e9"]])
    res = ingest(cli, "usage", usage)
    assert (res["rows_loaded"], res["rows_rejected"]) == (0, 2)
    assert {r for (r,) in query(store_path, f"select reason from rejects where load_id = {res['load_id']}")} == {
        "active_users: '2000000' is above the maximum 1,000,000", "sessions: '1e9' is above the maximum 100,000,000"}


# ---- NUL bytes -------------------------------------------------------------------------------------------


def test_nul_bytes_are_rejected_naming_the_column_and_never_reach_csv_output(tmp_path, store_path, cli):
    records = [
        {"number": "J1", "opened_at": "2025-01-01 10:00:00", "short_description": "printer\x00down"},
        {"number": "J2", "opened_at": "2025-01-01 10:00:00", "short_description": "ok", "caller": "Ann\x00Example"},
        {"number": "J3", "opened_at": "2025-01-01 10:00:00", "short_description": "ok", "state": "clo\x00sed"},
        {"number": "J4", "opened_at": "2025-01-01 10:00:00", "short_description": "ok", "outage_minutes": "6\x000"},
        {"number": "J5", "opened_at": "2025-01-01 10:00:00", "short_description": "clean"},
    ]
    f = tmp_path / "incidents.json"
    f.write_text(json.dumps(records))
    res = ingest(cli, "incidents", f, "--profile", "canonical")
    assert (res["rows_loaded"], res["rows_rejected"]) == (1, 4)
    r = reasons(store_path)
    assert r[1] == "short_description: contains a NUL byte; remove it"
    assert r[2] == "caller: contains a NUL byte; remove it"
    assert r[3] == "state: contains a NUL byte; remove it"
    assert r[4] == "outage_minutes: '6\\00' is not a number"
    out = tmp_path / "rejects.csv"
    assert cli("rejects", "--out", out)[0] == 0
    written = out.read_bytes()
    assert b"\x00" not in written and b"printer\\0down" in written and b"Ann" not in written


def test_a_nul_byte_past_the_first_64_kilobytes_of_a_csv_is_rejected(tmp_path, store_path, cli):
    # The binary-file sniff reads only the start of a file; a NUL further on reaches the rows.
    rows = [f"INC{i:05d},2025-01-01 10:00:00,padding text for row {i}" for i in range(3000)]
    f = tmp_path / "late_nul.csv"
    f.write_text("number,opened_at,short_description\n" + "\n".join(rows) + "\nINCNUL,2025-01-01 10:00:00,a\x00b\n")
    res = ingest(cli, "incidents", f)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (3001, 3000, 1)
    assert reasons(store_path) == {3001: "short_description: contains a NUL byte; remove it"}
    assert query(store_path, "select count(*) from incidents where contains(short_description, chr(0))") == [(0,)]


# ---- money keeps its precision ---------------------------------------------------------------------------


def test_money_with_a_third_decimal_is_rejected_never_rounded(tmp_path, store_path, cli):
    header = ["entry_id", "posting_date", "amount", "gl_account", "cost_center"]
    rows = [["E1", "2025-01-01", "12.345", "6420", "IT"], ["E2", "2025-01-01", "12.3400", "6420", "IT"],
            ["E3", "2025-01-01", "-0.005", "6420", "IT"], ["E4", "2025-01-01", "7", "6420", "IT"],
            ["E5", "2025-01-01", "1250.5", "6420", "IT"]]
    res = ingest(cli, "costs", write_csv(tmp_path / "costs.csv", header, rows))
    assert (res["rows_loaded"], res["rows_rejected"]) == (3, 2)
    assert reasons(store_path) == {
        1: "amount: '12.345' has more than 2 decimal places; round it to cents in the export",
        3: "amount: '-0.005' has more than 2 decimal places; round it to cents in the export",
    }
    assert query(store_path, "select entry_id, amount from costs order by 1") == [
        ("E2", D("12.34")), ("E4", D("7.00")), ("E5", D("1250.50"))]


@pytest.mark.slow
def test_general_ledger_debits_are_exact_and_a_side_that_is_no_number_is_never_zero(tmp_path, store_path, cli):
    header = (FIX / "gl_export.csv").read_text().splitlines()[0].split(",")
    line = dict.fromkeys(header, "")
    line.update({"GL Date": "3/31/2025", "Account": "6420", "Cost Center": "IT-APPS", "Vendor Name": "Epic"})
    rows = []
    for n, (debit, credit) in enumerate([("12.345", ""), ("n/a", ""), ("", ""), ("1,000.10", ""), ("", "99.99")], 1):
        rows.append(list({**line, "Journal ID": "JE-1", "Line": str(n), "Debit": debit, "Credit": credit}.values()))
    res = ingest(cli, "costs", write_csv(tmp_path / "gl.csv", header, rows))
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("general-ledger", 2, 3)
    r = reasons(store_path)
    assert "has more than 2 decimal places" in r[1]
    assert r[2] == "amount: 'n/a' is not an amount like 1234.56 (no currency sign or thousands separator)"
    assert r[3] == "amount: required but blank"
    assert query(store_path, "select entry_id, amount from costs order by 1") == [
        ("JE-1-4", D("1000.10")), ("JE-1-5", D("-99.99"))]


# ---- the column rules themselves -------------------------------------------------------------------------


def first_problem(col, value: str) -> str | None:
    """The first reason problems() gives for one raw value, evaluated in DuckDB."""
    case = "CASE " + " ".join(f"WHEN {c} THEN {m}" for c, m in problems(col, "r", "t")) + " END"
    con = duckdb.connect()
    try:
        return con.execute(f"select {case} from (select r, {typed_sql(col, 'r')} as t from (select ?::varchar as r))",
                           [value]).fetchone()[0]
    finally:
        con.close()


def test_money_precision_rule_rejects_sub_cent_values_and_passes_trailing_zeros():
    amount = feed("costs").column("amount")
    cents = "has more than 2 decimal places; round it to cents in the export"
    for value in ("12.345", "0.000000000001", "999999999999.991"):
        assert first_problem(amount, value) == f"amount: '{value}' {cents}"
    for value in ("12.3400", " 12.34 ", "1.2345e3", "-125000.00", "999999999999.99"):
        assert first_problem(amount, value) is None, value


def test_nul_rules_name_the_column_and_never_echo_the_byte():
    assert first_problem(feed("incidents").column("short_description"), "a\x00b") == (
        "short_description: contains a NUL byte; remove it")
    assert first_problem(feed("incidents").column("state"), "new\x00") == "state: contains a NUL byte; remove it"
    assert first_problem(feed("incidents").column("opened_at"), "2025\x00") == (
        "opened_at: '2025\\0' is not a date-time as YYYY-MM-DD HH:MM:SS")
    assert first_problem(feed("incidents").column("outage_minutes"), "527041") == (
        "outage_minutes: '527041' is above the maximum 527,040")
