"""Snapshots: readers work on a copy, so an open notebook never blocks a load and a load never breaks a reader."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hitplan import store
from hitplan.store.snapshot import connect_snapshot, fingerprint, snapshot

from conftest import write_csv


def _vendors(path) -> int:
    con = store.connect(path)
    try:
        return store.scalar(con, "select count(*) from vendors")
    finally:
        con.close()


def test_a_snapshot_is_reused_until_the_store_changes(store_path, tmp_path, cli):
    first = snapshot(store_path)
    assert snapshot(store_path) == first
    assert oct(first.stat().st_mode & 0o777) == "0o600"
    f = write_csv(tmp_path / "v.csv", ["vendor_id", "name"], [["V1", "Acme"]])
    assert cli("ingest", "vendors", f, "--store", store_path)[0] == 0
    second = snapshot(store_path)
    assert second != first and not first.exists()  # the stale copy is cleaned up
    con = connect_snapshot(store_path)
    try:
        assert store.scalar(con, "select count(*) from vendors") == 1
    finally:
        con.close()


def test_an_open_snapshot_reader_does_not_block_a_load(store_path, tmp_path, cli):
    con = connect_snapshot(store_path)  # an analyst's notebook, left open
    try:
        f = write_csv(tmp_path / "v.csv", ["vendor_id", "name"], [["V1", "Acme"], ["V2", "Bolt"]])
        code, _, err = cli("ingest", "vendors", f, "--store", store_path)
        assert code == 0, err
        assert store.scalar(con, "select count(*) from vendors") == 0  # the reader keeps its consistent view
    finally:
        con.close()
    assert _vendors(store_path) == 2


@pytest.mark.slow  # holds the store for 2 s on purpose
def test_a_load_waits_for_a_short_hold_instead_of_failing(store_path, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("HITPLAN_LOCK_WAIT", "30")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(store_path)!r}, read_only=True); "
                               "print('ok', flush=True); time.sleep(2)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        f = write_csv(tmp_path / "v.csv", ["vendor_id", "name"], [["V1", "Acme"]])
        code, _, err = cli("ingest", "vendors", f, "--store", store_path)
        assert code == 0 and "waiting for store" in err
    finally:
        holder.kill()
        holder.wait()
    assert _vendors(store_path) == 1


def test_the_fingerprint_changes_with_the_store(store_path, tmp_path, cli):
    before = fingerprint(store_path)
    assert fingerprint(store_path) == before
    f = write_csv(tmp_path / "v.csv", ["vendor_id", "name"], [["V1", "Acme"]])
    cli("ingest", "vendors", f, "--store", store_path)
    assert fingerprint(store_path) != before
