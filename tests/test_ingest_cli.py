"""`hitplan ingest` from the user's side: good files load, bad input gets a clear message, nothing is lost."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import query, write_csv

INC = ["number", "system_id", "opened_at", "resolved_at", "priority", "state", "caller", "short_description",
       "outage_minutes"]


def good_rows():
    return [
        ["INC001", "SYS-1", "2025-01-01 10:00:00", "2025-01-01 11:30:00", "2", "closed", "Ann Example", "printer down", "0"],
        ["INC002", "SYS-2", "2025-01-02 08:00:00", "", "3", "In Progress", "Bob Sample", "cannot log in", ""],
    ]


def counts(store_path):
    return {
        "incidents": query(store_path, "select count(*) from incidents")[0][0],
        "rejects": query(store_path, "select count(*) from rejects")[0][0],
        "loads": query(store_path, "select count(*) from load_log")[0][0],
    }


def test_good_file_loads_with_json_summary(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "incidents.csv", INC, good_rows())
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    assert code == 0
    res = json.loads(out.strip())
    assert (res["feed"], res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == ("incidents", 2, 2, 0)
    assert res["profile"] == "canonical"
    # no systems loaded yet: both rows are kept and counted as unlinked
    assert (res["rows_unlinked"], res["unlinked"]) == (2, {"system_id": 2})
    rows = query(store_path, "select number, priority, state, resolved_at is null from incidents order by number")
    assert rows == [("INC001", 2, "closed", False), ("INC002", 3, "in_progress", True)]


def test_rows_read_equals_loaded_plus_rejected_and_reasons_name_the_column(tmp_path, store_path, cli):
    rows = good_rows() + [
        ["INC003", "SYS-1", "2025-13-01 10:00:00", "", "2", "closed", "X Y", "bad date", "0"],
        ["INC004", "SYS-1", "2025-01-03 10:00:00", "", "two", "closed", "X Y", "bad priority", "0"],
        ["INC005", "SYS-1", "2025-01-03 10:00:00", "", "2", "closed", "X Y", "negative outage", "-5"],
        ["INC006", "SYS-1", "2099-01-03 10:00:00", "", "2", "closed", "X Y", "future", "0"],
        ["", "SYS-1", "2025-01-03 10:00:00", "", "2", "closed", "X Y", "no number", "0"],
        ["INC007", "SYS-1", "2025-01-03 10:00:00", "2025-01-02 10:00:00", "2", "closed", "X Y", "resolved first", "0"],
        ["INC008", "SYS-1", "2025-01-03 10:00:00", "", "7", "closed", "X Y", "priority out of range", "0"],
        ["INC009", "SYS-1", "2025-01-03 10:00:00", "", "2", "done-ish", "X Y", "unknown state", "0"],
    ]
    f = write_csv(tmp_path / "inc.csv", INC, rows)
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert code == 0
    assert res["rows_read"] == 10 == res["rows_loaded"] + res["rows_rejected"]
    assert res["rows_loaded"] == 2
    got = dict(query(store_path, "select row_number, column_name from rejects order by row_number"))
    assert got == {3: "opened_at", 4: "priority", 5: "outage_minutes", 6: "opened_at", 7: "number",
                   8: "resolved_at", 9: "priority", 10: "state"}
    reasons = dict(query(store_path, "select row_number, reason from rejects"))
    assert "'2025-13-01 10:00:00' is not a date-time" in reasons[3]
    assert "'two' is not a whole number" in reasons[4]
    assert "below the minimum 0" in reasons[5]
    assert "in the future" in reasons[6]
    assert "number: required but blank" in reasons[7]
    assert "resolved before it was opened" in reasons[8]
    assert "is not one of new, in_progress" in reasons[10]


def test_missing_required_column_refuses_file_and_leaves_store_unchanged(tmp_path, store_path, cli):
    before = counts(store_path)
    f = write_csv(tmp_path / "inc.csv", ["number", "priority"], [["INC1", "2"]])
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3
    assert "missing required column opened_at for the incidents feed" in err
    assert str(f) in err and err.count("\n") == 1
    assert counts(store_path) == before


@pytest.mark.slow
def test_unknown_column_is_named_with_a_suggestion_and_can_be_ignored(tmp_path, store_path, cli):
    header = [c if c != "priority" else "prority" for c in INC]
    f = write_csv(tmp_path / "inc.csv", header, good_rows())
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3
    assert "unknown column 'prority' (did you mean 'priority'?)" in err and "--ignore-extra" in err
    assert counts(store_path)["incidents"] == 0
    code, out, _ = cli("ingest", "incidents", f, "--ignore-extra")
    assert code == 0 and "columns not loaded" in out and "prority" in out
    assert counts(store_path)["incidents"] == 2


def test_duplicate_key_inside_file_rejects_the_repeat(tmp_path, store_path, cli):
    rows = good_rows() + [good_rows()[0][:7] + ["repeat", "0"]]
    f = write_csv(tmp_path / "inc.csv", INC, rows)
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (3, 2, 1)
    (row, col, reason), = query(store_path, "select row_number, column_name, reason from rejects")
    assert (row, col) == (3, "number") and "duplicate key (number=INC001)" in reason
    assert query(store_path, "select short_description from incidents where number='INC001'") == [("printer down",)]


@pytest.mark.slow
def test_same_key_against_store_replaces_and_same_file_is_skipped(tmp_path, store_path, cli):
    f1 = write_csv(tmp_path / "a.csv", INC, good_rows())
    assert cli("ingest", "incidents", f1)[0] == 0
    code, out, _ = cli("ingest", "incidents", f1, "--format", "json")
    assert json.loads(out)["status"] == "skipped"
    updated = [r[:] for r in good_rows()]
    updated[1][5] = "resolved"
    f2 = write_csv(tmp_path / "b.csv", INC, updated)
    code, out, _ = cli("ingest", "incidents", f2, "--format", "json")
    res = json.loads(out)
    assert (res["rows_loaded"], res["rows_replaced"]) == (2, 2)
    assert query(store_path, "select count(*), count(distinct number) from incidents") == [(2, 2)]
    assert query(store_path, "select state from incidents where number='INC002'") == [("resolved",)]


def test_empty_file_and_header_only(tmp_path, store_path, cli):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, _, err = cli("ingest", "incidents", empty)
    assert code == 3 and "the file is empty" in err
    header = write_csv(tmp_path / "header.csv", INC, [])
    code, out, _ = cli("ingest", "incidents", header, "--format", "json")
    res = json.loads(out)
    assert code == 0 and res["rows_read"] == 0 and "no data rows" in res["warnings"][0]


@pytest.mark.slow
def test_windows_1252_semicolon_and_bom_files_load(tmp_path, store_path, cli):
    rows = [["INC001", "SYS-1", "2025-01-01 10:00:00", "", "2", "closed", "Zoë Example", "EHR – slow", "0"]]
    f = write_csv(tmp_path / "cp.csv", INC, rows, encoding="cp1252", delimiter=";")
    assert b"\x96" in f.read_bytes()
    code, _, _ = cli("ingest", "incidents", f)
    assert code == 0
    assert query(store_path, "select short_description from incidents") == [("EHR – slow",)]
    g = write_csv(tmp_path / "bom.csv", INC, [good_rows()[1]], encoding="utf-8-sig", delimiter="\t")
    assert cli("ingest", "incidents", g)[0] == 0
    assert query(store_path, "select count(*) from incidents") == [(2,)]


def test_ragged_rows_are_rejected_with_their_row_number(tmp_path, store_path, cli):
    f = tmp_path / "ragged.csv"
    f.write_text(
        ",".join(INC) + "\n"
        "INC001,SYS-1,2025-01-01 10:00:00,,2,closed,A B,ok,0\n"
        "INC002,SYS-1,2025-01-01 10:00:00\n"
        "INC003,SYS-1,2025-01-01 10:00:00,,2,closed,A B,too,many,0\n"
        "INC004,SYS-1,2025-01-01 10:00:00,,2,closed,A B,\"multi\nline\",0\n"
        "INC005,SYS-1,2025-01-01 10:00:00,,x,closed,A B,bad priority,0\n",
        encoding="utf-8",
    )
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (5, 2, 3)
    got = query(store_path, "select row_number, reason, raw_row from rejects order by row_number")
    assert [g[0] for g in got] == [2, 3, 5]
    assert "fewer fields than the header" in got[0][1] and got[0][2] == "INC002,SYS-1,2025-01-01 10:00:00"
    assert "more fields than the header" in got[1][1]
    assert "'x' is not a whole number" in got[2][1]
    assert query(store_path, "select short_description from incidents where number='INC004'") == [("multi\nline",)]


def test_formula_cells_are_kept_as_text_and_neutralized_on_export(tmp_path, store_path, cli):
    rows = [
        ["INC001", "SYS-1", "2025-01-01 10:00:00", "", "2", "closed", "A B", "=HYPERLINK(\"http://x\")", "0"],
        ["INC002", "SYS-1", "2025-01-01 10:00:00", "", "9", "closed", "A B", "@SUM(A1:A2)", "0"],
    ]
    f = write_csv(tmp_path / "f.csv", INC, rows)
    assert cli("ingest", "incidents", f)[0] == 0
    assert query(store_path, "select short_description from incidents") == [("=HYPERLINK(\"http://x\")",)]
    out_csv = tmp_path / "rejects.csv"
    code, _, _ = cli("rejects", "--out", out_csv)
    assert code == 0
    import csv as _csv

    rows_out = list(_csv.DictReader(out_csv.open()))
    assert len(rows_out) == 1
    assert rows_out[0]["short_description"] == "'@SUM(A1:A2)"  # a spreadsheet shows it, never runs it
    assert rows_out[0]["reason"].startswith("priority") and rows_out[0]["number"] == "INC002"


def test_one_megabyte_cell_is_rejected_with_a_clear_reason(tmp_path, store_path, cli):
    big = "x" * 1_000_000
    rows = good_rows() + [["INC003", "SYS-1", "2025-01-01 10:00:00", "", "2", "closed", "A B", big, "0"]]
    f = write_csv(tmp_path / "big.csv", INC, rows)
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert (res["rows_loaded"], res["rows_rejected"]) == (2, 1)
    (reason,), = query(store_path, "select reason from rejects")
    assert reason == "short_description: 1000000 characters, over the limit of 32767; shorten it"


def test_files_that_are_not_tables(tmp_path, store_path, cli):
    png = tmp_path / "chart.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    code, _, err = cli("ingest", "incidents", png)
    assert code == 3 and "is binary, not a text table" in err
    prose = tmp_path / "notes.csv"
    prose.write_text("Dear team\nplease find the incidents attached\n")
    code, _, err = cli("ingest", "incidents", prose)
    assert code == 3 and "does not match any profile" in err and "canonical lacks number, opened_at" in err
    assert "single column" in err
    fake_xlsx = tmp_path / "book.xlsx"
    fake_xlsx.write_text("not a workbook")
    code, _, err = cli("ingest", "incidents", fake_xlsx)
    assert code == 3 and "is not an Excel workbook" in err
    assert counts(store_path) == {"incidents": 0, "rejects": 0, "loads": 0}


@pytest.mark.slow
def test_excel_and_parquet_inputs(tmp_path, store_path, cli):
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["fiscal_year", "month", "cost_pool", "cost_center", "amount"])
    ws.append([2026, dt.datetime(2025, 7, 1), "software", "IT-APPS", 1000.5])
    ws.append([2026, dt.datetime(2025, 8, 1), "Software", None, -3])
    ws.append([None, None, None, None, None])
    wb.save(tmp_path / "budgets.xlsx")
    code, out, _ = cli("ingest", "budgets", tmp_path / "budgets.xlsx", "--format", "json")
    res = json.loads(out)
    assert (code, res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (0, 2, 1, 1)
    assert query(store_path, "select month, amount from budgets") == [(dt.date(2025, 7, 1), __import__("decimal").Decimal("1000.50"))]
    assert "below the minimum 0" in query(store_path, "select reason from rejects")[0][0]

    table = pa.table({"day": [dt.date(2025, 1, 1), dt.date(2025, 1, 2)], "system_id": ["S1", "S1"],
                      "department": ["ED", "ED"], "active_users": [10, 12]})
    pq.write_table(table, tmp_path / "usage.parquet")
    code, out, _ = cli("ingest", "usage", tmp_path / "usage.parquet", "--format", "json")
    assert code == 0 and json.loads(out)["rows_loaded"] == 2


def test_unknown_feed_and_profile_are_usage_errors(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "inc.csv", INC, good_rows())
    code, _, err = cli("ingest", "incidnets", f)
    assert code == 2 and "unknown feed 'incidnets'" in err and "incidents" in err
    code, _, err = cli("ingest", "incidents", f, "--profile", "nope")
    assert code == 2 and "unknown profile 'nope'" in err


@pytest.mark.slow
def test_clean_and_careful_paths_load_the_same_rows(tmp_path, cli):
    """A clean file goes straight in; one bad row sends the file down the careful path: same valid rows."""
    from hitplan import store

    rows = good_rows() + [["INC003", "SYS-3", "2025-02-01 00:00:00", "", "", "on hold", "  Cy  Test ", " trimmed ", "1.5"]]
    clean = write_csv(tmp_path / "clean.csv", INC, rows)
    dirty = write_csv(tmp_path / "dirty.csv", INC, rows + [["INC004", "SYS-1", "yesterday", "", "", "", "", "", ""]])
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    for path, f in ((a, clean), (b, dirty)):
        store.init(path)
        assert cli("ingest", "incidents", f, "--store", path)[0] == 0
    sql = "select * exclude (_load_id) from incidents order by number"
    assert query(a, sql) == query(b, sql)
    assert query(b, "select count(*) from rejects") == [(1,)]
    assert query(a, "select state, short_description from incidents where number = 'INC003'") == [("on_hold", "trimmed")]


def test_damaged_utf8_rejects_only_the_damaged_row_and_never_reads_it_as_windows_1252(tmp_path, store_path, cli):
    f = tmp_path / "mixed.csv"
    f.write_bytes(
        (",".join(INC) + "\n").encode()
        + "INC001,SYS-1,2025-01-01 10:00:00,,2,closed,Zoë Example,café down,0\n".encode("utf-8")
        + b"INC002,SYS-1,2025-01-01 10:00:00,,2,closed,A B,broken \xff byte,0\n"
    )
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert (code, res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (0, 2, 1, 1)
    assert query(store_path, "select short_description from incidents") == [("café down",)]
    (row, reason), = query(store_path, "select row_number, reason from rejects")
    assert row == 2 and "bytes that are not UTF-8" in reason
