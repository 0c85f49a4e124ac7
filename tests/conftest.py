"""Shared fixtures: every test gets its own store and pseudonymization key, never the user's."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

from hitplan import store
from hitplan.cli import main
from hostile import hostile_store


# The session's shared builds: the demo hospital (about 10 s) and the report pack on it (about 45 s). A test asking
# for one is slow whatever its own marks say, so `make check` never builds them.
SLOW_FIXTURES = frozenset({"demo_store", "hostile_pack"})


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Point the store and the key file at the test's own folder."""
    monkeypatch.setenv("HITPLAN_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("HITPLAN_KEY_FILE", str(tmp_path / "keys" / "pseudonym.key"))
    monkeypatch.delenv("HITPLAN_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("HITPLAN_SHARE_GROUP", raising=False)
    yield


@pytest.fixture
def store_path(tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    store.init(path)
    return path


@pytest.fixture
def cli(capsys):
    """Run `hitplan ARGS...` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write_csv(path: Path, header: list[str], rows: list[list[object]], **kw) -> Path:
    """A small CSV file written the way a tool would export it."""
    with path.open("w", newline="", encoding=kw.pop("encoding", "utf-8")) as fh:
        w = csv.writer(fh, delimiter=kw.pop("delimiter", ","))
        w.writerow(header)
        w.writerows(rows)
    return path


def query(path: Path, sql: str, params=None):
    con = store.connect(path)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """One small demo hospital (scale 0.2) built once per test session and shared read-only:
    (store path, ground truth, the last day of its data). A test that would change it works on a copy: the
    session ends in an error when the store's bytes changed."""
    import datetime as dt
    import os

    from hitplan.pipeline import build_demo

    base = tmp_path_factory.mktemp("session-demo")
    old = os.environ.get("HITPLAN_KEY_FILE")
    os.environ["HITPLAN_KEY_FILE"] = str(base / "key")
    try:
        build_demo(base / "files", base / "demo.duckdb", scale=0.2)
    finally:
        if old is None:
            os.environ.pop("HITPLAN_KEY_FILE", None)
        else:
            os.environ["HITPLAN_KEY_FILE"] = old
    from hitplan.synth import GroundTruth

    truth = GroundTruth.load(base / "files" / "ground_truth.json")
    built = _digest(base / "demo.duckdb")
    yield base / "demo.duckdb", truth, dt.date.fromisoformat(truth.end)
    assert _digest(base / "demo.duckdb") == built, "a test wrote to the shared demo store: copy it first"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def hostile_pack(demo_store, tmp_path_factory) -> Path:
    """The whole report pack (every notebook, HTML, PDF and deck) of a copy of the demo store with script payloads
    planted in every text column (tests/hostile.py), built once per session: the report-pack and the escaping
    tests read it, none writes to it."""
    from hitplan.report.run import run_report  # inside, as build_demo above: `make check` never pays its import

    base = tmp_path_factory.mktemp("hostile")
    store = hostile_store(demo_store[0], base / "hostile.duckdb")
    settings = base / "settings.yaml"  # one figure changed: test_report_pack.py checks it reaches every number
    settings.write_text(PACK_SETTINGS, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:  # the run checks the pack for the register's names: the store's key
        mp.setenv("HITPLAN_KEY_FILE", str(demo_key_file(demo_store)))
        return run_report(store=store, out=base / "reports", jobs=2, params={"settings": str(settings)}).folder


def demo_key_file(demo_store) -> Path:
    """The pseudonymization key the session's demo store was built with."""
    return demo_store[0].parent / "key"


@pytest.fixture
def demo_key(demo_store, monkeypatch) -> Path:
    """Use the demo store's key in this test (a report on the demo store, or a copy, needs it)."""
    monkeypatch.setenv("HITPLAN_KEY_FILE", str(demo_key_file(demo_store)))
    return demo_key_file(demo_store)


# The settings file of the session's pack: a tier-1 system's downtime costs $777,000 an hour instead of $250,000.
PACK_SETTINGS = """kpi:
  continuity:
    downtime_cost_per_hour_usd: {1: 777000, 2: 60000, 3: 10000, 4: 1000, unassessed: 10000}
"""


def live_processes(mark: str) -> dict[int, str]:
    """Live processes whose environment carries ``mark`` (a run's workers, kernels and their children): pid -> cmdline."""
    found = {}
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if mark.encode() in env.read_bytes():  # a zombie's environ reads empty: only live ones match
                found[int(env.parent.name)] = (env.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue  # gone meanwhile
    return found


# Hypothesis: the suite (and CI) runs the same examples every time, so a red run is a change in the code, not luck;
# `HYPOTHESIS_PROFILE=explore make test` searches with fresh random examples, twenty times as many (tests/budget.py).
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def ingest(cli, feed: str, path, *extra) -> dict:
    """`hitplan ingest FEED PATH --format json EXTRA...` through the ``cli`` fixture: the load's JSON summary (the
    command must succeed)."""
    code, out, err = cli("ingest", feed, path, "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])
