"""The whole pipeline on the synthetic hospital: `hitplan demo` leaves every feed loaded, nothing lost."""

from __future__ import annotations

import json

import pytest

from conftest import query
from hitplan.schema import feeds

pytestmark = pytest.mark.slow  # builds a demo hospital with `hitplan demo`


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo store built once for this module by the real command."""
    import os

    from hitplan.cli import main

    base = tmp_path_factory.mktemp("demo")
    old = dict(os.environ)
    os.environ["HITPLAN_KEY_FILE"] = str(base / "key")
    try:
        code = main(["demo", "--scale", "0.05", "--out", str(base / "files"), "--store", str(base / "demo.duckdb"), "-q"])
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert code == 0
    return base


def test_demo_loads_every_feed_with_no_rejects(demo, cli):
    code, out, _ = cli("status", "--store", demo / "demo.duckdb", "--format", "json")
    assert code == 0
    status = {s["feed"]: s for s in json.loads(out)}
    assert set(status) == set(feeds())
    for name, s in status.items():
        assert s["rows"] > 0, name
        # the real OCR report repeats a few identical rows: merged into the row they repeat, none rejected
        assert s["rejects"] == 0, name
        # kev and breaches start from the snapshots hitplan ships; the demo's copies are skipped as loaded
        assert s["loads"] == 1, name


def test_demo_store_keeps_the_books(demo):
    store = demo / "demo.duckdb"
    (bad,) = query(store, "select count(*) from load_log where rows_read + rows_split <> "
                          "rows_loaded + rows_merged + rows_rejected + rows_skipped")[0]
    assert bad == 0
    for name in feeds():
        (n,) = query(store, f'select count(*) from "{name}"')[0]
        (logged,) = query(store, "select sum(rows_loaded - rows_replaced) from load_log where feed = ?", [name])[0]
        assert n == logged, name


def test_demo_files_and_ground_truth_are_written(demo):
    files = demo / "files"
    assert (files / "ground_truth.json").exists()
    assert (files / "budgets.xlsx").exists()
    assert not list(demo.glob(".demo-*")), "temporary folders are cleaned up"


def test_status_text_lists_every_feed(demo, cli):
    code, out, _ = cli("status", "--store", demo / "demo.duckdb")
    assert code == 0
    for name in feeds():
        assert f"\n{name} " in out
    assert "empty feeds" not in out
