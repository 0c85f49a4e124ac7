"""The store: migrations, versions, locks, permissions, and a killed ingest leaving it unchanged."""

from __future__ import annotations

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
from hitplan.errors import StoreError, StoreLockedError, StoreVersionError
from hitplan.schema import feeds

REPO = Path(__file__).resolve().parents[1]


def test_init_creates_every_feed_table_owner_only_and_is_idempotent(tmp_path):
    path = tmp_path / "s.duckdb"
    assert store.init(path) == (0, store.code_version())
    assert store.init(path) == (store.code_version(), store.code_version())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tables = {r[0] for r in query(path, "select table_name from information_schema.tables")}
    assert set(feeds()) | {"load_log", "rejects", "hitplan_meta"} <= tables


@pytest.mark.slow
def test_declared_columns_match_the_migrated_tables(store_path):
    """feeds.yaml (which drives validation and docs/feeds.md) and the real tables never drift."""
    for name, feed in feeds().items():
        real = query(store_path, "select column_name, data_type from information_schema.columns "
                     "where table_name = ? order by ordinal_position", [name])
        declared = [(c.name, c.sql_type) for c in feed.columns]
        # columns added by later migrations come after _load_id, so it is compared apart
        assert [r for r in real if r[0] != "_load_id"] == declared, name
        assert ("_load_id", "BIGINT") in real, name


def test_docs_feeds_md_is_generated_from_the_schema():
    from hitplan.schema.docs import feeds_markdown

    committed = (REPO / "docs" / "feeds.md").read_text(encoding="utf-8")
    assert committed.strip() == feeds_markdown().strip(), "run `make docs` to regenerate docs/feeds.md"


def test_newer_store_is_refused_with_a_clear_message(store_path, cli):
    con = duckdb.connect(str(store_path))
    con.execute("insert into hitplan_meta values (99, 'future', now())")
    con.close()
    with pytest.raises(StoreVersionError, match="newer than this hitplan understands"):
        store.connect(store_path)
    code, _, err = cli("status")
    assert code == 4 and "schema version 99" in err and "upgrade hitplan" in err


def test_missing_store_says_how_to_create_one(tmp_path, cli):
    with pytest.raises(StoreError, match="run `hitplan init`"):
        store.connect(tmp_path / "none.duckdb")
    code, _, err = cli("status", "--store", tmp_path / "none.duckdb")
    assert code == 4 and "hitplan init" in err


@pytest.mark.slow  # a second process holds the store
def test_a_writer_elsewhere_gives_a_locked_message(store_path, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HITPLAN_LOCK_WAIT", "1")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(store_path)!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreLockedError):
            store.connect(store_path, read_only=False)
        f = write_csv(tmp_path / "v.csv", ["vendor_id", "name"], [["V1", "Acme"]])
        code, _, err = cli("ingest", "vendors", f)
        assert code == 4 and "held by another process" in err and "waiting for store" in err
    finally:
        holder.kill()
        holder.wait()


def _big_usage_file(path: Path, rows: int) -> Path:
    con = duckdb.connect()
    con.execute(
        f"""copy (select date '2024-01-01' + (i % 700)::int as day, 'SYS-' || (i // 700 % 1000) as system_id,
                   'Dept ' || (i // 700000) as department, (i % 97)::bigint as active_users,
                   (i % 13)::bigint as sessions, (i % 11)::bigint as transactions
            from range({rows}) t(i)) to '{path}' (header, delimiter ',')"""
    )
    con.close()
    return path


@pytest.mark.slow  # kills a real ingest process
def test_killed_ingest_leaves_the_store_unchanged_and_the_next_one_succeeds(store_path, tmp_path, cli):
    small = write_csv(tmp_path / "u.csv", ["day", "system_id", "department", "active_users"],
                      [["2024-01-01", "SYS-1", "ED", "5"]])
    assert cli("ingest", "usage", small)[0] == 0
    before = query(store_path, "select (select count(*) from usage), (select count(*) from load_log), "
                   "(select count(*) from rejects)")
    big = _big_usage_file(tmp_path / "usage_big.csv", 3_000_000)
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hitplan", "ingest", "usage", str(big), "--store", str(store_path)],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    line = proc.stderr.readline()
    assert "reading and checking" in line, line
    time.sleep(0.5)
    assert proc.poll() is None, "the ingest finished before it could be killed; use a bigger file"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = query(store_path, "select (select count(*) from usage), (select count(*) from load_log), "
                  "(select count(*) from rejects)")
    assert after == before
    code, out, _ = cli("ingest", "usage", big, "--format", "json")
    assert code == 0 and '"rows_loaded": 3000000' in out
    assert query(store_path, "select count(*) from usage") == [(3_000_001,)]


@pytest.mark.slow
def test_init_gives_an_empty_store_the_shipped_reference_snapshots(tmp_path, cli):
    path = tmp_path / "fresh.duckdb"
    code, out, _ = cli("init", "--store", path, "-q")
    assert code == 0 and "schema version 0 -> " in out
    (n, latest), = query(path, "select count(*), max(date_added) from kev")
    assert n == 250 and str(latest) == "2025-08-25"
    assert query(path, "select file_name from load_log order by load_id") == [("kev_snapshot.csv",), ("hhs_ocr_breaches.csv",)]
    assert query(path, "select count(*) > 5000, max(submitted_on) from breaches")[0][0]
    assert cli("init", "--store", path, "-q")[0] == 0
    assert query(path, "select count(*) from load_log") == [(2,)]


def test_store_given_before_or_after_the_command_is_kept():
    from hitplan.cli import build_parser

    p = build_parser()
    assert p.parse_args(["--store", "X", "status"]).store == "X"  # once silently replaced by the default
    assert p.parse_args(["status", "--store", "Y"]).store == "Y"
    assert p.parse_args(["status"]).store is None
    args = p.parse_args(["--debug", "status", "-q"])
    assert args.debug and args.quiet
