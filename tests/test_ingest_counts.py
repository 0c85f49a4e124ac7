"""Counts and numbers that keep their word, from the user's side: the summary shows every record read
(read = loaded + merged + rejected + skipped), exact repeats are merged, empty rows are skipped, and a reject names
the line where its record starts in the file (a sheet's row in a workbook)."""

from __future__ import annotations

import json

import openpyxl
import pytest

from conftest import query, write_csv
from hitplan.ingest.source import record_start_lines, records_at_offsets

INC = ["number", "opened_at", "priority", "state", "short_description"]


def identity(res: dict) -> bool:
    return res["rows_read"] + res["rows_split"] == (res["rows_loaded"] + res["rows_merged"] + res["rows_rejected"]
                                                   + res["rows_skipped"])


# Lines (numbered as an editor shows them): 1-2 metadata above the header, 3 the header, 4-6 one record with a
# three-line quoted description, 7 an empty row of delimiters, 8 a bad priority, 9 too few fields, 10-11 INC44,
# 12-13 the same INC44 again (every cell equal: merged), 14-15 INC44 with another priority (rejected as conflicting).
MESSY = (
    '# exported by a tool\nreport: weekly\nnumber,opened_at,priority,state,short_description\n'
    'INC41,2025-01-01 10:00:00,2,closed,"multi\nline\ndesc"\n'
    ',,,,\n'
    'INC42,2025-01-01 10:00:00,x,closed,bad priority\n'
    'INC43,2025-01-01 10:00:00\n'
    'INC44,2025-01-01 10:00:00,2,closed,"a\nb"\n'
    'INC44,2025-01-01 10:00:00,2,closed,"a\nb"\n'
    'INC44,2025-01-01 10:00:00,3,closed,"a\nb"\n'
)


def test_messy_file_counts_merges_skips_and_names_lines(tmp_path, store_path, cli):
    f = tmp_path / "messy.csv"
    f.write_text(MESSY, encoding="utf-8")
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert code == 0 and identity(res)
    # 7 records: INC41 and the first INC44 loaded, the repeat merged, 3 rejected, the delimiters-only row skipped.
    assert (res["rows_read"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"], res["rows_skipped"]) == \
        (7, 2, 1, 3, 1)
    got = query(store_path, "select row_number, line, column_name from rejects order by row_number")
    assert [(r, ln) for r, ln, _ in got] == [(3, 8), (4, 9), (7, 14)]
    assert got[0][2] == "priority" and got[2][2] == "number"
    code, out, _ = cli("rejects")
    assert code == 0
    assert "messy.csv line 8 [priority]" in out and "messy.csv line 9 [" in out and "messy.csv line 14 [number]" in out
    assert "duplicate key (number=INC44)" in out


def test_text_summary_spells_the_identity(tmp_path, store_path, cli):
    f = tmp_path / "messy.csv"
    f.write_text(MESSY, encoding="utf-8")
    code, out, _ = cli("ingest", "incidents", f)
    assert code == 0
    assert "7 read = 2 loaded + 1 merged + 3 rejected + 1 skipped" in out
    assert "hitplan rejects --load 1" in out


def test_reader_rejects_after_quoted_line_breaks_and_empty_lines_name_their_record(tmp_path, store_path, cli):
    # 1 header; 2-4 INC51 with a blank line inside its quotes; 5 empty; 6 too few fields; 7 empty; 8 two commas
    # (too few fields, but empty: skipped); 9 too many fields; 10 a bad priority.
    f = tmp_path / "ragged.csv"
    f.write_text(",".join(INC) + '\nINC51,2025-01-01 10:00:00,2,closed,"x\n\ny"\n\nINC52,2025-01-01 10:00:00\n\n,,\n'
                 "INC53,2025-01-01 10:00:00,2,closed,x,too,many\nINC54,2025-01-01 10:00:00,q,closed,x\n",
                 encoding="utf-8")
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert code == 0 and identity(res)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"], res["rows_skipped"]) == (7, 1, 3, 3)
    assert query(store_path, "select row_number, line from rejects order by row_number") == [(3, 6), (6, 9), (7, 10)]


def test_tenable_style_trailing_comma_rows_are_skipped_not_rejected(tmp_path, store_path, cli):
    rows = [["INC1", "2025-01-01 10:00:00", "2", "closed", "x"], ["INC2", "2025-01-02 10:00:00", "3", "new", "y"]]
    f = write_csv(tmp_path / "t.csv", INC, rows)
    with f.open("a", encoding="utf-8") as fh:
        fh.write(",,,,\n,,\n")  # one row as wide as the header, one narrower: both empty
    code, out, _ = cli("ingest", "incidents", f, "--format", "json")
    res = json.loads(out)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"], res["rows_skipped"]) == (4, 2, 0, 2)
    assert query(store_path, "select count(*) from rejects") == [(0,)]


def test_empty_rows_of_a_sheet_and_of_json_are_skipped(tmp_path, store_path, cli):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(INC)
    ws.append(["INC1", "2025-01-01 10:00:00", "2", "closed", "x"])
    ws.append([None] * 5)
    ws.append(["INC2", "2025-01-01 10:00:00", "z", "closed", "bad"])
    ws["C6"].value = "  "  # a formatted row whose only cell is blanks
    wb.save(tmp_path / "i.xlsx")
    code, out, _ = cli("ingest", "incidents", tmp_path / "i.xlsx", "--format", "json")
    res = json.loads(out)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"], res["rows_skipped"]) == (5, 1, 1, 3)
    # Sheet rows: 1 header, 2 INC1, 3 blank, 4 INC2, 5 and 6 blank: the reject shows the row Excel shows.
    assert query(store_path, "select row_number, line from rejects") == [(3, 4)]
    code, out, _ = cli("rejects")
    assert "i.xlsx sheet row 4 [priority]" in out
    j = tmp_path / "i.json"
    j.write_text(json.dumps([{"number": "INC9", "opened_at": "2025-01-01 10:00:00", "state": "new"},
                             {"number": None, "opened_at": None, "state": None},
                             {"number": "", "opened_at": " ", "state": ""}]), encoding="utf-8")
    code, out, _ = cli("ingest", "incidents", j, "--format", "json")
    res = json.loads(out)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"], res["rows_skipped"]) == (3, 1, 0, 2)


def test_exact_repeats_merge_in_every_feed_and_differing_ones_stay_rejected(tmp_path, store_path, cli):
    header = ["system_id", "name", "kind", "category"]
    rows = [["SYS-1", "EHR", "application", "ehr"], ["SYS-2", "PACS", "application", "pacs"],
            ["SYS-1", "EHR", "application", "ehr"], ["SYS-1", "EHR", "application", "ehr"],
            ["SYS-2", "PACS viewer", "application", "pacs"]]
    f = write_csv(tmp_path / "systems.csv", header, rows)
    code, out, _ = cli("ingest", "systems", f, "--format", "json")
    res = json.loads(out)
    assert code == 0 and identity(res)
    assert (res["rows_read"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"]) == (5, 2, 2, 1)
    assert query(store_path, "select row_number, line from rejects") == [(5, 6)]
    assert query(store_path, "select name from systems order by system_id") == [("EHR",), ("PACS",)]


def test_init_loads_the_shipped_snapshots_with_no_reject(tmp_path, cli):
    path = tmp_path / "fresh.duckdb"
    code, _, _ = cli("init", "--store", path, "-q")
    assert code == 0
    (read, loaded, merged, rejected), = query(
        path, "select rows_read, rows_loaded, rows_merged, rows_rejected from load_log where feed = 'breaches'")
    # The HHS OCR snapshot holds 5,356 rows of which 4 repeat an earlier row cell for cell.
    assert (read, loaded, merged, rejected) == (5356, 5352, 4, 0)
    code, out, _ = cli("status", "--store", path, "--format", "json")
    assert {s["feed"]: s["rejects"] for s in json.loads(out)}["breaches"] == 0
    code, out, _ = cli("rejects", "--store", path)
    assert out.strip() == "no rejected rows"


def test_ignore_extra_lets_detection_load_a_canonical_file_with_extra_columns(tmp_path, store_path, cli):
    # A tool's profile fits this header as well as hitplan's own but would leave acknowledged_at blank, so
    # detection alone refuses; with --ignore-extra the canonical layout loads it and names what it left out.
    header = ["number", "opened_at", "impact", "acknowledged_at", "category", "short_description", "closed",
              "my_notes"]
    f = write_csv(tmp_path / "i.csv", header,
                  [["INC1", "2025-01-01 10:00:00", "1", "2025-01-01 10:05:00", "sw", "x", "", "n"]])
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3 and "--ignore-extra" in err
    code, out, _ = cli("ingest", "incidents", f, "--ignore-extra")
    assert code == 0 and "(canonical): 1 read = 1 loaded" in out
    assert "columns not loaded (not in the incidents feed): closed, my_notes" in out
    assert query(store_path, "select acknowledged_at is not null from incidents") == [(True,)]


def test_ignore_extra_picks_the_canonical_layout_when_no_tool_profile_is_identified(tmp_path, store_path, cli):
    header = ["number", "opened_at", "closed_at", "incident_state", "severity", "zz_extra"]
    f = write_csv(tmp_path / "i.csv", header, [["INC1", "2025-01-01 10:00:00", "2025-01-02 10:00:00", "7", "2", "z"]])
    assert cli("ingest", "incidents", f)[0] == 3
    code, out, _ = cli("ingest", "incidents", f, "--ignore-extra")
    assert code == 0 and "(canonical)" in out
    assert "incident_state, severity, zz_extra" in out
    assert "pass --profile servicenow-incidents" in out


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_record_start_lines_and_offsets_agree_with_the_file(tmp_path, newline):
    text = newline.join(["# c", "a,b", "1,\"x", "y\"", "", "2,3", "\"q\"\"\",4", ""])
    f = tmp_path / "f.csv"
    f.write_bytes(text.encode())
    assert record_start_lines(f, ",", 1, [1, 2, 3, 4, 9]) == {1: 3, 2: 5, 3: 6, 4: 7}
    raw = f.read_bytes()
    starts = [raw.index(b"1,"), raw.index(b"2,3"), raw.index(b'"q')]
    got = records_at_offsets(f, ",", 1, starts + [starts[1] + 1, starts[1] - 1])
    assert [got[s] for s in starts] == [1, 3, 4]
    assert got[starts[1] + 1] == 3 and got[starts[1] - 1] == 3
