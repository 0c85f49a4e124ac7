"""Hostile use of the command line (issue 12): nothing destroyed without consent, no SQL from settings, no spill
files or snapshots left behind, a damaged store named as such, Ctrl-C as 130, user mistakes as one line."""

from __future__ import annotations

import gc
import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import query, write_csv
from hitplan import store
from hitplan.store.snapshot import SNAPSHOT_DIR, connect_snapshot, snapshot

VENDORS = (["vendor_id", "name"], [["V1", "Acme Health IT"], ["V2", "Bolt Systems"]])


def _one_line_error(err: str) -> str:
    """The error line, checked to be the only line a user sees (argparse's usage lines aside)."""
    lines = [line for line in err.strip().splitlines() if "error:" in line]
    assert len(lines) == 1, err
    return lines[0]


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _assert_exit_2_naming(cli, store_path: Path, cases: list) -> None:
    """Each (args, what the line must name, the fix it must say) is exit 2 with that one error line."""
    for args, named, fix in cases:
        code, _, err = cli(*args, "--store", store_path, "-q")
        line = _one_line_error(err)
        assert code == 2, (args, err)
        assert named in line and fix in line, (args, line)


# case 1: nothing destroyed without consent

def test_demo_refuses_a_folder_it_did_not_write_and_keeps_its_files(tmp_path, cli):
    out = tmp_path / "exports"
    out.mkdir()
    (out / "budget 2027.xlsx").write_text("the CFO's numbers")
    code, _, err = cli("demo", "--out", out, "--store", tmp_path / "demo.duckdb", "--scale", "0.05", "-q")
    assert code == 2
    assert str(out) in _one_line_error(err) and "new or empty folder" in err
    assert (out / "budget 2027.xlsx").read_text() == "the CFO's numbers"
    assert not (tmp_path / "demo.duckdb").exists()


def test_demo_refuses_a_store_holding_the_hospitals_loads(store_path, tmp_path, cli):
    f = write_csv(tmp_path / "vendors.csv", *VENDORS)
    assert cli("ingest", "vendors", f, "--store", store_path, "-q")[0] == 0
    code, _, err = cli("demo", "--out", tmp_path / "demo", "--store", store_path, "--scale", "0.05", "-q")
    assert code == 2
    assert "vendors.csv" in _one_line_error(err) and "--replace" in err
    assert query(store_path, "select count(*) from vendors")[0][0] == 2
    assert not (tmp_path / "demo").exists()


@pytest.mark.slow
def test_demo_reruns_over_its_own_folder_and_store_and_replaces_others_only_when_told(tmp_path, cli):
    out, path = tmp_path / "data" / "demo", tmp_path / "data" / "hitplan.duckdb"
    assert cli("demo", "--out", out, "--store", path, "--scale", "0.05", "-q")[0] == 0
    assert (out / ".hitplan-demo").is_file()
    # a rerun over the demo's own folder and store is `make demo` run twice
    assert cli("demo", "--out", out, "--store", path, "--scale", "0.05", "-q")[0] == 0
    # and so is a folder and store an earlier hitplan made, before the markers existed
    (out / ".hitplan-demo").unlink()
    con = duckdb.connect(str(path))
    con.execute("comment on table load_log is null")
    con.close()
    assert cli("demo", "--out", out, "--store", path, "--scale", "0.05", "-q")[0] == 0
    f = write_csv(tmp_path / "vendors.csv", *VENDORS)
    assert cli("ingest", "vendors", f, "--store", path, "-q")[0] == 0
    assert cli("demo", "--out", out, "--store", path, "--scale", "0.05", "-q")[0] == 2
    assert cli("demo", "--out", out, "--store", path, "--scale", "0.05", "--replace", "-q")[0] == 0
    assert query(path, "select count(*) from load_log where file_name = 'vendors.csv' and file_sha256 = ?",
                 [hashlib.sha256(f.read_bytes()).hexdigest()])[0][0] == 0


# case 2: every --out refuses the store, its log, its snapshots, and a file it would clobber

def test_rejects_out_never_overwrites_the_store_or_an_existing_file(store_path, tmp_path, cli):
    before = store_path.read_bytes()
    for target in (store_path, Path(f"{store_path}.wal"), store_path.parent / SNAPSHOT_DIR / "r.csv"):
        code, _, err = cli("rejects", "--out", target, "--store", store_path)
        assert code == 2 and "would overwrite the store" in _one_line_error(err), target
    assert store_path.read_bytes() == before
    mine = tmp_path / "rejects.csv"
    mine.write_text("my notes on last week's rejects\n")
    code, _, err = cli("rejects", "--out", mine, "--store", store_path)
    assert code == 2 and "--force" in _one_line_error(err)
    assert mine.read_text() == "my notes on last week's rejects\n"
    assert cli("rejects", "--out", mine, "--force", "--store", store_path)[0] == 0
    assert stat.S_IMODE(mine.stat().st_mode) == 0o600  # it holds the files' raw rows
    code, _, err = cli("rejects", "--out", tmp_path / "no-such-folder" / "r.csv", "--store", store_path)
    assert code == 2 and "does not exist" in _one_line_error(err)


@pytest.mark.slow
def test_synth_and_report_out_refuse_the_store_and_its_snapshots(store_path, tmp_path, cli):
    before = store_path.read_bytes()
    code, _, err = cli("synth", "--out", store_path.parent / SNAPSHOT_DIR, "--store", store_path, "-q")
    assert code == 2 and "would overwrite the store" in _one_line_error(err)
    code, _, err = cli("report", "--out", store_path.parent / SNAPSHOT_DIR, "--store", store_path, "-q")
    assert code == 2 and "would overwrite the store" in _one_line_error(err)
    code, _, err = cli("synth", "--out", store_path, "--store", store_path, "-q")
    assert code == 2
    assert store_path.read_bytes() == before


# case 7: no SQL from settings

@pytest.mark.slow
def test_a_quote_in_any_setting_that_reaches_sql_runs_no_sql(tmp_path, cli, monkeypatch):
    odd = tmp_path / "O'Brien's files"
    odd.mkdir()
    path = odd / "it's.duckdb"
    assert cli("init", "--store", path, "-q")[0] == 0
    f = write_csv(odd / "vendors'.csv", *VENDORS)
    monkeypatch.setenv("HITPLAN_MEMORY_LIMIT", "1GB'; create table pwned as select 1 as x; --")
    code, _, err = cli("ingest", "vendors", f, "--store", path, "-q")
    assert code == 2 and "HITPLAN_MEMORY_LIMIT" in _one_line_error(err)
    monkeypatch.setenv("HITPLAN_MEMORY_LIMIT", "512MiB")
    # a quote in the store's path (its spill folder), a file's name and a rule's words is data, not SQL
    rules = odd / "rules'.yaml"
    rules.write_text("rules:\n  - when: {description_contains: \"o'; drop table costs; --\"}\n"
                     "    set: {cost_pool: software}\n")
    costs = write_csv(odd / "costs'.csv", ["entry_id", "posting_date", "amount", "gl_account", "cost_center",
                                            "description"],
                      [["E1", "2026-01-05", "10.00", "6400", "IT-100", "o'; drop table costs; -- licence"]])
    assert cli("ingest", "vendors", f, "--store", path, "-q")[0] == 0
    assert cli("ingest", "costs", costs, "--rules", rules, "--store", path, "-q")[0] == 0
    for args in (("rejects", "--feed", "x'; drop table vendors; --"), ("kpi", "costs", "--period", "x' or 1=1 --")):
        assert cli(*args, "--store", path)[0] in (0, 2)
    tables = {r[0] for r in query(path, "select table_name from information_schema.tables")}
    assert "pwned" not in tables and {"vendors", "costs"} <= tables
    assert query(path, "select count(*) from vendors")[0][0] == 2


# case 8: spill files and snapshots

def test_spill_files_are_private_and_those_of_a_killed_load_are_removed(store_path, tmp_path, cli):
    stale_default = Path(f"{store_path}.tmp")  # DuckDB's own default, where earlier versions spilled
    stale_own = store_path.parent / f".{store_path.name}.tmp"  # the folder hitplan now spills into
    for folder in (stale_default, stale_own):
        folder.mkdir()
        (folder / "duckdb_temp_storage-4.tmp").write_text("INC0010001,Dr. Jane Roe cannot log in")
    f = write_csv(tmp_path / "vendors.csv", *VENDORS)
    assert cli("ingest", "vendors", f, "--store", store_path, "-q")[0] == 0
    assert not stale_default.exists()
    assert not (stale_own / "duckdb_temp_storage-4.tmp").exists()
    with store.writing(store_path) as con:
        spill = Path(store.scalar(con, "select current_setting('temp_directory')"))
        assert spill == store.spill_dir(store_path).absolute()
        assert stat.S_IMODE(spill.stat().st_mode) == 0o700


@pytest.mark.slow
def test_snapshots_are_kept_while_a_reader_holds_them_and_removed_after(store_path, tmp_path, cli):
    folder = store_path.parent / SNAPSHOT_DIR
    reader = connect_snapshot(store_path)  # an analyst's notebook
    held = {p for p in folder.glob("*.duckdb")}
    assert len(held) == 1
    (held_path,) = held
    f = write_csv(tmp_path / "vendors.csv", *VENDORS)
    assert cli("ingest", "vendors", f, "--store", store_path, "-q")[0] == 0
    newer = snapshot(store_path)  # a report run after the load
    assert newer != held_path and held_path.exists()  # the notebook keeps reading its copy
    assert store.scalar(reader, "select count(*) from vendors") == 0
    # a report's notebooks open the report's snapshot itself, not a snapshot of it
    nested = connect_snapshot(newer)
    nested.close()
    del nested
    assert not (folder / SNAPSHOT_DIR).exists()
    reader.close()
    del reader
    gc.collect()
    f2 = write_csv(tmp_path / "vendors2.csv", VENDORS[0], [["V3", "Cobalt Imaging"]])
    assert cli("ingest", "vendors", f2, "--store", store_path, "-q")[0] == 0
    assert not held_path.exists()  # nobody held it any more
    assert newer.exists()  # this process still holds the snapshot it took
    latest = snapshot(store_path)
    assert not newer.exists() and sorted(folder.glob("*.duckdb")) == [latest]


# case 12: a damaged store

@pytest.mark.slow
@pytest.mark.parametrize("size", ["half", "a few bytes"])
def test_a_truncated_store_is_store_damaged_exit_4_from_every_command(store_path, tmp_path, cli, size):
    f = write_csv(tmp_path / "vendors.csv", *VENDORS)
    assert cli("ingest", "vendors", f, "--store", store_path, "-q")[0] == 0
    n = store_path.stat().st_size // 2 if size == "half" else 10
    with open(store_path, "r+b") as fh:
        fh.truncate(n)
    for args in (["init"], ["status"], ["kpi", "support"], ["ingest", "vendors", str(f), "--force"], ["rejects"],
                 ["scorecard"], ["score"], ["forecast"], ["report"]):
        code, out, err = cli(*args, "--store", store_path, "-q")
        line = _one_line_error(err)
        assert code == 4, (args, err)
        assert f"store damaged: {store_path}" in line and "restore it from a backup" in line, (args, err)
        assert "up to date" not in out and str(f) not in line


# case 13: Ctrl-C

@pytest.mark.slow
def test_ctrl_c_during_a_load_exits_130_within_seconds_and_leaves_the_store(store_path, tmp_path):
    from hitplan.synth import generate

    generate(tmp_path / "synth", scale=0.05)
    big = tmp_path / "incidents.csv"
    con = duckdb.connect()
    cols = [r[0] for r in con.execute(
        f"describe select * from read_csv('{tmp_path / 'synth' / 'incidents.csv'}', all_varchar = true)").fetchall()]
    rows = ", ".join(f"{c} || '-' || i::varchar as {c}" if c == "number" else c for c in cols)
    con.execute(f"copy (select {rows} from read_csv('{tmp_path / 'synth' / 'incidents.csv'}', all_varchar = true), "
                f"range(300) t(i)) to '{big}' (header)")
    con.close()
    before = query(store_path, "select count(*), (select count(*) from load_log) from incidents")[0]
    env = dict(os.environ, HITPLAN_STORE=str(store_path))
    proc = subprocess.Popen([sys.executable, "-m", "hitplan", "ingest", "incidents", str(big)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stderr:  # wait until the load is under way inside DuckDB
            if "reading and checking rows" in line:
                break
        time.sleep(0.3)
        assert proc.poll() is None, "the load finished before it could be interrupted; make the file larger"
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - sent < 10
    assert "interrupted" in err
    after = query(store_path, "select count(*), (select count(*) from load_log) from incidents")[0]
    if after != before:  # Ctrl-C came after the commit (while the store checkpointed): kept whole, and said so
        (read, loaded), = query(store_path, "select rows_read, rows_loaded from load_log")
        assert after == (before[0] + loaded, before[1] + 1) and loaded == read, after
        assert "kept: incidents.csv (load" in err, err
    else:
        assert "none of these was loaded" in err, err
    assert not store.spill_dir(store_path).exists() or not any(store.spill_dir(store_path).iterdir())


# case 14: user mistakes are exit 2 with one line naming the file and the fix

def test_user_mistakes_are_one_line_exit_2_naming_the_file(store_path, tmp_path, cli):
    def yaml_file(name: str, text: str) -> Path:
        return _written(tmp_path / name, text)

    cases = [
        (["score", "--weights", yaml_file("w1.yaml", "criteria:\n  bogus: {direction: benefit, weight: 1}\n")],
         "w1.yaml", "unknown criterion 'bogus'"),
        (["score", "--weights", yaml_file("w2.yaml", "criteria:\n  cost: {direction: cost, weight: abc}\n")],
         "w2.yaml", "is not a number"),
        (["score", "--weights", yaml_file("w3.yaml", "criteria: [1, 2\n")], "w3.yaml", "not valid YAML"),
        (["score", "--weights", yaml_file("w4.yaml", "- a\n- b\n")], "w4.yaml", "expected a 'criteria' mapping"),
        (["score", "--weights", tmp_path / "missing.yaml"], "missing.yaml", "no such file"),
        (["score", "--budget", yaml_file("b1.yaml", "FY2028: {capex: lots, opex: 1, hours: 1}\n")],
         "b1.yaml", "FY2028.capex 'lots' is not a number"),
        (["score", "--budget", yaml_file("b2.yaml", "- 1\n")], "b2.yaml", "fiscal years like FY2028"),
        (["score", "--budget", yaml_file("b3.yaml", "FY2028: {capex: 1, opex: 1, hours: 1}\n"),
          "--scenario", yaml_file("s1.yaml", "weights: [1]\n")], "s1.yaml", "weights must map"),
        (["report", "--kpi-config", yaml_file("k1.yaml", "support: {reopen_rat: 5}\n")],
         "k1.yaml", "support.reopen_rat is not a figure"),
        (["report", "--kpi-config", yaml_file("k2.yaml", "support: {reopen_rate_pct: {watch: five, "
                                                         "off_target: 10}}\n")],
         "k2.yaml", "support.reopen_rate_pct.watch 'five' is not a number"),
        (["rejects", "--out", tmp_path / "nowhere" / "rejects.csv"], "nowhere", "does not exist"),
        (["kpi", "support", "--period", "FY9999Q4"], "FY9999Q4", "outside the calendar"),
    ]
    _assert_exit_2_naming(cli, store_path, cases)


# case 15: NaN and infinity are refused in settings; nonsense numbers in options too

def test_nan_and_infinite_settings_and_nonpositive_options_are_refused(store_path, tmp_path, cli):
    def yaml_file(name: str, text: str) -> Path:
        return _written(tmp_path / name, text)

    cases = [
        (["score", "--budget", yaml_file("b.yaml", "budgets:\n  FY2028: {capex: .nan, opex: 1, hours: 1}\n")],
         "b.yaml", "FY2028.capex is nan"),
        (["score", "--budget", yaml_file("i.yaml", "FY2028: {capex: 1, opex: .inf, hours: 1}\n")],
         "i.yaml", "FY2028.opex is inf"),
        (["score", "--weights", yaml_file("w.yaml", "criteria:\n  cost: {direction: cost, weight: .nan}\n")],
         "w.yaml", "cost.weight is nan"),
        (["score", "--budget", yaml_file("b2.yaml", "FY2028: {capex: 1, opex: 1, hours: 1}\n"),
          "--scenario", yaml_file("s.yaml", "budget_scale: .inf\n")], "s.yaml", "budget_scale is inf"),
        (["report", "--kpi-config", yaml_file("k.yaml", "costs: {actual_to_budget: {watch: .inf, off_target: 1}}\n")],
         "k.yaml", "costs.actual_to_budget.watch is inf"),
    ]
    _assert_exit_2_naming(cli, store_path, cases)
    for args in (["report", "--cell-timeout", "-5"], ["report", "--jobs", "0"], ["report", "--cell-timeout", "nan"],
                 ["forecast", "--horizon", "0"], ["forecast", "--horizon", "9"], ["score", "--samples", "0"],
                 ["score", "--time-limit", "-1"], ["kpi", "support", "--limit", "0"], ["rejects", "--limit", "-3"],
                 ["forecast", "--limit", "0"], ["demo", "--scale", "inf"], ["kpi", "support", "--as-of", "9999-12-31"],
                 ["score", "--as-of", "0001-01-01"]):
        with pytest.raises(SystemExit) as exc:
            cli(*args, "--store", store_path)
        assert exc.value.code == 2, args
