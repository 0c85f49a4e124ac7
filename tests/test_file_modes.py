"""File modes from the user's side (issue 14): every file hitplan writes is readable by its owner only (0600, folders
0700), or by $HITPLAN_SHARE_GROUP (0640, folders 0750, owned by that group) when it is set; the key never is."""

from __future__ import annotations

import csv
import grp
import os
import stat
from pathlib import Path

import pytest

from conftest import write_csv
from hitplan import config
from hitplan.ingest.rejects import write_rejects_csv

INC = ["number", "system_id", "opened_at", "resolved_at", "priority", "state", "caller", "short_description",
       "outage_minutes"]
BAD_ROWS = [
    ["INC001", "SYS-1", "2025-01-01 10:00:00", "", "2", "closed", "Ann Example", "printer down", "0"],
    ["INC002", "SYS-1", "2025-01-01 10:00:00", "", "x", "closed", "Bob Sample", "cannot log in", "0"],
]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def share_group() -> tuple[str, int]:
    """A group this user may give files to, other than its own primary group where there is one (so that a file
    handed to it visibly changes group): any group for root, else a supplementary group."""
    own = os.getgid()
    if os.geteuid() == 0:
        others = [g.gr_gid for g in grp.getgrall() if g.gr_gid != own]
    else:
        others = [g for g in os.getgroups() if g != own]
    gid = others[0] if others else own
    return grp.getgrgid(gid).gr_name, gid


@pytest.fixture
def shared(monkeypatch) -> int:
    """$HITPLAN_SHARE_GROUP set to share_group(); returns its gid."""
    name, gid = share_group()
    monkeypatch.setenv("HITPLAN_SHARE_GROUP", name)
    return gid


@pytest.fixture
def with_rejects(tmp_path, store_path, cli) -> Path:
    """A store holding one rejected row (a priority that is not a number)."""
    f = write_csv(tmp_path / "incidents.csv", INC, BAD_ROWS)
    assert cli("ingest", "incidents", f, "-q")[0] == 0
    return store_path


def rejected_numbers(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [r["number"] for r in csv.DictReader(fh)]


def test_rejects_out_is_readable_by_its_owner_only(with_rejects, tmp_path, cli):
    out = tmp_path / "rejects.csv"
    code, said, err = cli("rejects", "--out", out)
    assert code == 0, err
    assert rejected_numbers(out) == ["INC002"]
    assert mode(out) == 0o600
    assert not list(tmp_path.glob(".rejects.csv.*"))  # no part file left


def test_rejects_out_with_a_share_group_is_group_readable_and_the_groups(with_rejects, tmp_path, cli, shared):
    out = tmp_path / "rejects.csv"
    out.write_text("an older export\n")
    out.chmod(0o644)
    assert cli("rejects", "--out", out, "--force")[0] == 0
    assert rejected_numbers(out) == ["INC002"]
    assert mode(out) == 0o640 and out.stat().st_gid == shared


def test_a_share_group_that_does_not_exist_is_refused_before_anything_is_written(with_rejects, tmp_path, cli,
                                                                                  monkeypatch):
    monkeypatch.setenv("HITPLAN_SHARE_GROUP", "no-such-group-hitplan")
    out = tmp_path / "rejects.csv"
    code, _, err = cli("rejects", "--out", out)
    assert code == 2 and "HITPLAN_SHARE_GROUP=no-such-group-hitplan: no such group" in err
    assert not out.exists() and not list(tmp_path.glob(".rejects.csv.*"))


def test_write_rejects_csv_gives_an_existing_file_the_mode_of_a_new_one(tmp_path):
    rows = [{"load_id": 1, "feed": "incidents", "file_name": "f.csv", "row_number": 2, "column_name": "priority",
             "reason": "not a number", "raw": {"number": "INC002"}}]
    old = tmp_path / "old.csv"
    old.write_text("x\n")
    old.chmod(0o666)
    new = tmp_path / "new.csv"
    previous = os.umask(0)  # even a process that lets everyone read its files
    try:
        write_rejects_csv(rows, old)
        write_rejects_csv(rows, new)
    finally:
        os.umask(previous)
    assert mode(old) == mode(new) == 0o600
    assert rejected_numbers(old) == rejected_numbers(new) == ["INC002"]


def test_init_makes_the_store_and_its_new_folders_owner_only(tmp_path, cli):
    store = tmp_path / "new" / "data" / "hitplan.duckdb"
    assert cli("init", "--store", store, "-q")[0] == 0
    assert mode(store) == 0o600
    assert mode(tmp_path / "new") == mode(tmp_path / "new" / "data") == 0o700


def test_init_with_a_share_group_lets_the_group_reach_and_read_the_store(tmp_path, cli, shared):
    store = tmp_path / "new" / "data" / "hitplan.duckdb"
    assert cli("init", "--store", store, "-q")[0] == 0
    for path, want in ((store, 0o640), (store.parent, 0o750), (store.parent.parent, 0o750)):
        assert (mode(path), path.stat().st_gid) == (want, shared), path
    assert mode(tmp_path) != 0o750  # a folder that existed is left as it was


def test_the_key_stays_owner_only_with_a_share_group(tmp_path, cli, shared):
    assert cli("init", "--store", tmp_path / "store.duckdb", "-q")[0] == 0  # its first load makes the key
    backup = tmp_path / "key-backup"
    code, _, err = cli("key", "export", backup)
    assert code == 0, err
    assert mode(backup) == 0o600
    key = Path(os.environ["HITPLAN_KEY_FILE"])
    assert mode(key) == 0o600 and mode(key.parent) == 0o700


def test_the_callers_umask_is_put_back(tmp_path, cli):
    previous = os.umask(0o022)
    try:
        cli("status", "--store", tmp_path / "none.duckdb")
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(previous)


def test_make_folders_and_restrict_tree(tmp_path, monkeypatch):
    previous = os.umask(0)
    try:
        config.make_folders(tmp_path / "a" / "b")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == 0o700
    outside = tmp_path / "outside.txt"
    outside.write_text("not hitplan's")
    outside.chmod(0o644)
    (tmp_path / "a" / "b" / "f.txt").write_text("x")
    (tmp_path / "a" / "b" / "link").symlink_to(outside)
    name, gid = share_group()
    monkeypatch.setenv("HITPLAN_SHARE_GROUP", name)
    config.restrict_tree(tmp_path / "a")
    assert (mode(tmp_path / "a" / "b"), (tmp_path / "a" / "b").stat().st_gid) == (0o750, gid)
    assert (mode(tmp_path / "a" / "b" / "f.txt"), (tmp_path / "a" / "b" / "f.txt").stat().st_gid) == (0o640, gid)
    assert mode(outside) == 0o644  # a link inside is not followed out of the folder


SYNTH = ("--scale", "0.01", "--start", "2025-01-01", "--end", "2025-12-31", "-q")


@pytest.mark.slow
def test_synth_files_are_owner_only_also_when_written_again(tmp_path, cli):
    out = tmp_path / "synth"
    assert cli("synth", "--out", out, *SYNTH)[0] == 0
    files = [p for p in out.iterdir()]
    assert {"incidents.csv", "budgets.xlsx", "ground_truth.json", ".hitplan-demo"} <= {p.name for p in files}
    assert mode(out) == 0o700 and {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    (out / "incidents.csv").chmod(0o644)  # a folder from an older hitplan
    assert cli("synth", "--out", out, *SYNTH)[0] == 0
    assert mode(out / "incidents.csv") == 0o600


@pytest.mark.slow
def test_synth_files_with_a_share_group_are_the_groups(tmp_path, cli, shared):
    out = tmp_path / "synth"
    assert cli("synth", "--out", out, *SYNTH)[0] == 0
    assert (mode(out), out.stat().st_gid) == (0o750, shared)
    assert {(mode(p), p.stat().st_gid) for p in out.iterdir()} == {(0o640, shared)}


@pytest.mark.slow
def test_demo_files_store_and_folders_with_a_share_group(tmp_path, cli, shared):
    out, store = tmp_path / "data" / "demo", tmp_path / "db" / "demo.duckdb"
    code, _, err = cli("demo", "--out", out, "--store", store, "--scale", "0.05", "-q")
    assert code == 0, err
    for folder in (out.parent, out, store.parent):
        assert (mode(folder), folder.stat().st_gid) == (0o750, shared), folder
    assert (mode(store), store.stat().st_gid) == (0o640, shared)
    assert {(mode(p), p.stat().st_gid) for p in out.iterdir()} == {(0o640, shared)}
