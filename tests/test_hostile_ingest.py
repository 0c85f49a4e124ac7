"""Every byte accounted for (issue 12): records are counted apart from DuckDB's reader, a quote left open stops
the load with its line, and read (+ split) = loaded + merged + rejected + skipped holds, is printed and logged."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import query, write_csv

FIX = Path(__file__).parent / "fixtures" / "exports"
INC = ["number", "opened_at", "priority", "short_description"]


def store_digest(path: Path) -> dict[str, tuple[int, int]]:
    """Every table's row count and an order-free hash of its rows (load times left out: they differ per run)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
        out = {}
        for t in tables:
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main' and table_name = ? "
                "and column_name not in ('started_at', 'finished_at') order by ordinal_position", [t]).fetchall()]
            row = ", ".join(f'"{c}"' for c in cols)
            out[t] = tuple(con.execute(f'select count(*), coalesce(sum(hash({row})), 0) from "{t}"').fetchall()[0])
        return out
    finally:
        con.close()


@pytest.fixture
def loaded_store(tmp_path, store_path, cli) -> Path:
    """A store holding one earlier load, so a refused load has rows it must leave alone."""
    f = write_csv(tmp_path / "earlier.csv", INC, [["INC00001", "2024-12-01 09:00:00", "2", "earlier"]])
    assert cli("ingest", "incidents", f)[0] == 0
    return store_path


def ingest_json(cli, feed, path, *extra):
    code, out, err = cli("ingest", feed, path, "--format", "json", *extra)
    return code, (json.loads(out.strip().splitlines()[-1]) if out.strip() else None), err


def identity_holds(res: dict) -> bool:
    return res["rows_read"] + res["rows_split"] == (
        res["rows_loaded"] + res["rows_merged"] + res["rows_rejected"] + res["rows_skipped"])


def thousand_rows(tmp_path: Path, row2: str) -> Path:
    lines = ["number,opened_at,priority,short_description"]
    for i in range(1, 1001):
        desc = row2 if i == 2 else ('"Monitor, 24 inch"' if i % 100 == 0 else "ok")
        lines.append(f"INC{i:05d},2025-01-01 10:00:00,3,{desc}")
    path = tmp_path / "incidents.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_quote_left_open_in_row_2_stops_the_load_naming_its_line(tmp_path, loaded_store, cli):
    # The case 3: before, "rows_read 2, loaded 1, rejected 1" and exit 0, 998 rows inside one reject.
    lines = ["number,opened_at,priority,short_description"]
    open_quote = '"Printer broken'
    lines += [f"INC{i:05d},2025-01-01 10:00:00,3,{open_quote if i == 2 else 'ok'}" for i in range(1, 1001)]
    f = tmp_path / "incidents.csv"
    f.write_text("\n".join(lines) + "\n")
    before = store_digest(loaded_store)
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3
    assert "quote opened on line 3 is never closed" in err and str(f) in err and '("")' in err
    assert store_digest(loaded_store) == before


@pytest.mark.slow
def test_a_quote_left_open_and_closed_rows_later_stops_the_load(tmp_path, loaded_store, cli):
    # RFC 4180 pairs row 2's stray quote with row 100's opening one: rows 2-100 would be one rejected value.
    f = thousand_rows(tmp_path, '"Printer broken')
    before = store_digest(loaded_store)
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3 and "opened on line 3 is only closed on line 101" in err
    assert store_digest(loaded_store) == before
    # Quoted values over several lines are fine when they close properly.
    f = thousand_rows(tmp_path, '"Printer broken\nsince Monday, ""again"""')
    code, res, err = ingest_json(cli, "incidents", f)
    assert (code, res["rows_read"], res["rows_loaded"]) == (0, 1000, 1000), err


def test_the_identity_is_printed_logged_and_skips_only_empty_records(tmp_path, store_path, cli):
    text = ("number,opened_at,priority,short_description\r\n"
            "INC1,2025-01-01 10:00:00,1,ok\r\n"
            "\r\n"  # an empty line: skipped
            "INC2,2025-01-02 10:00:00,2,\"two\r\nlines\"\r\n"
            "   \r\n"  # blanks only: skipped
            ",,,\r\n"  # every value blank: skipped
            "INC3,2025-01-03 10:00:00,9,priority out of range\r\n"
            "INC4,2025-01-03 10:00:00,2\r\n"  # ragged: rejected
            "INC1,2025-01-04 10:00:00,1,repeated key\r\n"
            "INC5,2025-01-05 10:00:00,2,last line without a line break")
    f = tmp_path / "incidents.csv"
    f.write_bytes(text.encode())
    code, out, _ = cli("ingest", "incidents", f)
    assert code == 0
    assert "9 read = 3 loaded + 0 merged + 3 rejected + 3 skipped" in out
    assert query(store_path, "select rows_read, rows_loaded, rows_merged, rows_rejected, rows_skipped, rows_split "
                             "from load_log") == [(9, 3, 0, 3, 3, 0)]
    # Reject row numbers count every record under the header, the empty ones too.
    assert query(store_path, "select row_number from rejects order by 1") == [(6,), (7,), (8,)]


def test_blank_lines_before_a_bad_row_do_not_shift_its_row_number(tmp_path, store_path, cli):
    f = tmp_path / "incidents.csv"
    f.write_text("number,opened_at,priority\nINC1,2025-01-01 10:00:00,1\n\n\nINC2,2025-01-02 10:00:00,2\nINC3,bad,2\n")
    code, res, _ = ingest_json(cli, "incidents", f)
    assert (code, res["rows_read"], res["rows_skipped"], res["rows_rejected"]) == (0, 5, 2, 1)
    assert query(store_path, "select row_number, column_name from rejects") == [(5, "opened_at")]


@pytest.mark.slow
def test_a_reader_that_returns_fewer_records_than_the_file_holds_stops_the_load(tmp_path, loaded_store, cli, monkeypatch):
    from hitplan.ingest import source

    real = source.count_text_records

    def one_more(*args, **kwargs):  # a record DuckDB's reader would not return
        count = real(*args, **kwargs)
        return source.RecordCount(records=count.records + 1, empty=count.empty)

    monkeypatch.setattr(source, "count_text_records", one_more)
    f = write_csv(tmp_path / "inc.csv", INC, [["INC1", "2025-01-01 10:00:00", "1", "a"]])
    before = store_digest(loaded_store)
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3 and "the reader returned 1 records but the file holds 2" in err and "nothing was loaded" in err
    assert store_digest(loaded_store) == before


def test_parquet_and_json_are_counted_by_their_own_readers(tmp_path, store_path, cli, monkeypatch):
    from hitplan.ingest import source

    table = pa.table({"number": ["INC1", "INC2", None], "opened_at": ["2025-01-01 10:00:00", "2025-01-02 10:00:00", None],
                      "priority": ["1", "2", None]})
    pq.write_table(table, tmp_path / "inc.parquet")
    code, res, _ = ingest_json(cli, "incidents", tmp_path / "inc.parquet")
    assert (code, res["rows_read"], res["rows_loaded"], res["rows_skipped"]) == (0, 3, 2, 1)
    monkeypatch.setattr(source, "_parquet_rows", lambda path: 4)
    code, _, err = cli("ingest", "incidents", tmp_path / "inc.parquet", "--force")
    assert code == 3 and "holds 4 (counted from the file's metadata)" in err
    code, res, _ = ingest_json(cli, "kev", FIX / "cisa_kev.json")
    n = len(json.loads((FIX / "cisa_kev.json").read_text())["vulnerabilities"])
    assert code == 0 and res["rows_read"] == n and identity_holds(res)


@pytest.mark.slow
def test_every_real_export_keeps_the_identity_in_the_output_and_the_log(store_path, cli):
    for feed, name, extra in [("vulnerabilities", "qualys_sample_report.csv", ()),
                              ("vulnerabilities", "nessus_classic.csv", ("--scan-date", "2025-03-01")),
                              ("incidents", "servicenow_event_log.csv", ()),
                              ("breaches", "hhs_ocr_breach_sample.csv", ())]:
        code, res, err = ingest_json(cli, feed, FIX / name, *extra)
        assert code == 0 and identity_holds(res), (name, res, err)
        logged = query(store_path, "select rows_read, rows_loaded, rows_merged, rows_rejected, rows_skipped, rows_split "
                                   "from load_log where load_id = ?", [res["load_id"]])
        assert logged == [(res["rows_read"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"],
                           res["rows_skipped"], res["rows_split"])]
    # Qualys: 6 records, 22 more rows from splitting the CVE lists; the event log: 4 updates merged into 2 incidents.
    assert query(store_path, "select rows_read, rows_split, rows_loaded from load_log where profile = 'qualys'") == [(6, 22, 28)]
    assert query(store_path, "select rows_read, rows_merged, rows_loaded from load_log "
                             "where profile = 'servicenow-event-log'") == [(6, 4, 2)]


# ---- .xlsx formula cells ----------------------------------------------------------------------------------

COSTS = ["entry_id", "posting_date", "amount", "gl_account", "cost_center", "quantity", "unit_price"]


def workbook(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(COSTS)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def with_cached_value(path: Path, cell: str, value: str) -> None:
    """Write a formula cell's saved value into the sheet's XML, as Excel does when it saves."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    start = xml.index(f'<c r="{cell}"')
    end = xml.index("</c>", start)
    parts["xl/worksheets/sheet1.xml"] = (xml[:start] + xml[start:end].replace("<v></v>", f"<v>{value}</v>")
                                         .replace("<v />", f"<v>{value}</v>") + xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)


def test_xlsx_formulas_load_their_saved_value_or_are_rejected_naming_the_formula(tmp_path, store_path, cli):
    # Before, a formula with no saved value (a workbook a program wrote, never opened in Excel) read as blank.
    f = workbook(tmp_path / "costs.xlsx", [
        ["JE-1", "2025-01-05", 100.5, "6400", "CC1", 2, 50.25],
        ["JE-2", "2025-01-06", "=F3*G3", "6400", "CC1", 3, 10],  # no saved value
        [None] * 7,
        ["JE-3", "2025-01-07", "=F5*G5", "6400", "CC1", 1, 12],  # saved value 12, written below
    ])
    with_cached_value(f, "C5", "12")
    code, res, _ = ingest_json(cli, "costs", f, "--ignore-extra")
    assert code == 0
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"], res["rows_skipped"]) == (4, 2, 1, 1)
    (row, col, reason), = query(store_path, "select row_number, column_name, reason from rejects")
    assert (row, col) == (2, "amount")
    assert reason == "amount: a formula with no saved value (=F3*G3); open the file in Excel and save it, or paste values"
    assert query(store_path, "select entry_id, amount::double from costs order by 1") == [("JE-1", 100.5), ("JE-3", 12.0)]


# ---- temporary files ----------------------------------------------------------------------------------------

def test_a_transcoded_copy_lives_in_a_private_folder_removed_after_the_load_or_after_a_crash(tmp_path, store_path, cli,
                                                                                           monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    tempfile.tempdir = None  # read TMPDIR again
    try:
        seen = []
        from hitplan.ingest import source

        real = source._transcode

        def spy(path):
            out = real(path)
            seen.append((out, stat.S_IMODE(out.parent.stat().st_mode)))
            return out

        monkeypatch.setattr(source, "_transcode", spy)
        # A folder left by an ingest that was killed (its pid is gone) is removed by the next one.
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        stale = tmp_path / "tmp" / f"hitplan-ingest-{dead.stdout.strip()}-x"
        stale.mkdir()
        (stale / "transcoded.csv").write_text("INC1,Müller")
        f = tmp_path / "inc.csv"
        f.write_bytes("number,opened_at,priority,short_description\nINC1,2025-01-01 10:00:00,1,caf\xe9 \x96 menu\n"
                      .encode("latin-1"))
        code, res, _ = ingest_json(cli, "incidents", f)
        assert (code, res["rows_loaded"]) == (0, 1)
        (copy, mode), = seen
        assert mode == 0o700 and copy.parent.name.startswith(f"hitplan-ingest-{os.getpid()}-")
        assert not copy.parent.exists() and not stale.exists()
    finally:
        tempfile.tempdir = None
