"""Hostile cases of `hitplan report` (issue 12, cases 8-11 and 16, and case 15's --cell-timeout): --only keeps the
other reports, relative store paths work, workers die with the run, private build folders cleaned on the next start,
parameters the runner sets are refused."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import live_processes, demo_key_file

from hitplan.errors import UsageError
from hitplan.report.run import checked_parameters, run_report

from test_report_run import _notebook, _project

PERIOD = "FY2027Q1"  # the demo data runs to 2026-09-30: its last quarter


@pytest.fixture
def project(tmp_path, monkeypatch, demo_store):
    """A project with three stand-in reports (board pack, support, security) on the shared demo store."""
    home = _project(tmp_path / "project")
    _notebook(home / "notebooks" / "02_security.ipynb", "Security")
    monkeypatch.setenv("HITPLAN_HOME", str(home))
    monkeypatch.setenv("HITPLAN_STORE", str(demo_store[0]))
    monkeypatch.setenv("HITPLAN_KEY_FILE", str(demo_key_file(demo_store)))
    return home


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _loose_modes(folder: Path) -> list[str]:
    """Everything in ``folder`` (itself included) that others could read: anything but 0700 folders, 0600 files."""
    return [f"{p} {oct(p.stat().st_mode & 0o777)}" for p in [folder, *folder.rglob("*")]
            if p.stat().st_mode & 0o777 != (0o700 if p.is_dir() else 0o600)]


def test_only_remakes_the_named_reports_and_keeps_the_others(project, cli, tmp_path, demo_store):
    folder = project / "reports" / PERIOD
    assert cli("report", "--formats", "html")[0] == 0
    # the board pack's PDF and deck as a run with Chrome leaves them (planted, so that this test needs no Chrome)
    # (real, if empty, files: the run scans every file of the pack it swaps in, kept ones too)
    from pptx import Presentation
    from pypdf import PdfWriter

    pdf = PdfWriter()
    pdf.add_blank_page(width=612, height=792)
    pdf.write(folder / "board_pack.pdf")
    Presentation().save(folder / "board_deck.pptx")
    before, first = _digests(folder), json.loads((folder / "manifest.json").read_text())
    other = tmp_path / "other.duckdb"  # the same data in another file: another store fingerprint
    shutil.copyfile(demo_store[0], other)

    code, _, err = cli("report", "--only", "support", "--store", other)  # default formats: the PDF and deck too
    assert code == 0, err
    after = _digests(folder)
    for kept in ("board_pack.html", "security.html", "notebooks/00_board_pack.ipynb", "notebooks/02_security.ipynb",
                 "board_pack.pdf", "board_deck.pptx"):
        assert after.get(kept) == before[kept], kept
    assert after["support.html"] != before["support.html"]
    m = json.loads((folder / "manifest.json").read_text())
    runs = {e["name"]: e["run"] for e in m["notebooks"]}
    assert set(runs) == {"board_pack", "support", "security"}
    assert runs["support"]["store"]["fingerprint"] == m["store"]["fingerprint"] != first["store"]["fingerprint"]
    assert runs["security"]["store"] == first["store"] and runs["security"]["generated_at"] == first["generated_at"]
    assert m["board_files"]["board_pack.pdf"]["generated_at"] == first["generated_at"]
    assert m["mixed_runs"] and "another store" in err and any("another store" in w for w in m["warnings"])
    assert set(m["files"]) == set(after) - {"manifest.json"}
    index = (folder / "index.html").read_text()
    for href in ("board_pack.html", "security.html", "support.html", "board_pack.pdf", "board_deck.pptx"):
        assert f'href="{href}"' in index, href

    # a new board pack without a new PDF and deck: the earlier ones no longer match it and go, with a warning
    code, _, err = cli("report", "--only", "board_pack", "--formats", "html", "--store", other)
    assert code == 0, err
    assert not (folder / "board_pack.pdf").exists() and not (folder / "board_deck.pptx").exists()
    assert "board_pack.pdf" in err and (folder / "security.html").is_file()


def test_only_refuses_a_pack_whose_manifest_it_cannot_read(project, cli):
    folder = project / "reports" / PERIOD
    folder.mkdir(parents=True)
    (folder / "security.html").write_text("an earlier report")
    (folder / "manifest.json").write_text('{"notebooks": [')  # cut short
    code, _, err = cli("report", "--only", "support", "--formats", "html")
    assert code == 6 and "manifest.json" in err and "without --only" in err
    assert (folder / "security.html").read_text() == "an earlier report"


@pytest.mark.parametrize("how", ["--store", "HITPLAN_STORE"])
def test_a_relative_store_path_works_from_another_folder(project, cli, tmp_path, monkeypatch, demo_store, how):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "data").mkdir(parents=True)
    shutil.copyfile(demo_store[0], elsewhere / "data" / "s.duckdb")
    monkeypatch.chdir(elsewhere)
    args = ["report", "--only", "support", "--formats", "html"]
    if how == "--store":
        args += ["--store", "data/s.duckdb"]
    else:
        monkeypatch.setenv("HITPLAN_STORE", "data/s.duckdb")
    code, _, err = cli(*args)
    assert code == 0, err
    m = json.loads((project / "reports" / PERIOD / "manifest.json").read_text())
    assert m["store"]["path"] == str((elsewhere / "data" / "s.duckdb").resolve())
    assert not (elsewhere / "data" / ".snapshots" / ".snapshots").exists()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the run's processes in Linux's /proc")
def test_a_run_killed_with_sigkill_takes_its_workers_and_kernels_with_it(project, tmp_path):
    mark = f"hitplan-test-{uuid.uuid4().hex}"
    env = {**os.environ, "HITPLAN_HOME": str(project), "HITPLAN_TEST_RUN": mark}
    proc = subprocess.Popen([sys.executable, "-m", "hitplan", "report", "--formats", "html", "--jobs", "2",
                             "--param", "delay=120"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            executed = list((project / "reports").glob(f".{PERIOD}.building-*/notebooks/*.ipynb"))
            kernels = [c for c in live_processes(mark).values() if "ipykernel" in c]
            if len(kernels) == 2 and len(executed) == 2:
                break
            time.sleep(0.2)
        assert len(kernels) == 2 and len(executed) == 2, live_processes(mark)
        loose = _loose_modes(executed[0].parent.parent)
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as the OOM killer would
        proc.wait()
        deadline = time.monotonic() + 10
        while live_processes(mark) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live_processes(mark) == {}
        assert loose == []  # case 8: the build folder is private from the start, not only once the run is done
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in live_processes(mark):  # only this test's run carries the mark
            os.kill(pid, signal.SIGKILL)


def test_failed_and_stale_folders_are_private_and_go_on_the_next_start(project, cli):
    reports = project / "reports"
    code, _, err = cli("report", "--only", "support", "--formats", "html", "--param", "fail=True")
    assert code == 6, err
    failed = reports / f".{PERIOD}.failed"
    assert (failed / "notebooks" / "01_support.ipynb").is_file()
    assert _loose_modes(reports) == []  # the reports folder it made, the lock, the .failed folder and its files
    # what a run of another period left when it was killed long ago
    stale = reports / ".FY2026Q4.building-4242"
    (stale / "notebooks").mkdir(parents=True)
    (stale / "notebooks" / "01_support.ipynb").write_text("{}")
    (reports / ".FY2026Q4.failed").mkdir()
    code, _, err = cli("report", "--only", "support", "--formats", "html")
    assert code == 0, err
    assert sorted(p.name for p in reports.iterdir()) == [".FY2026Q4.lock", f".{PERIOD}.lock", PERIOD]
    assert _loose_modes(reports) == []


@pytest.mark.parametrize("param, option", [("store", "--store"), ("period", "--period"), ("start", "--start"),
                                           ("end", "--end"), ("as_of", "--as-of"), ("deck_file", "--formats")])
def test_parameters_the_runner_sets_are_refused_in_param(project, cli, param, option):
    code, _, err = cli("report", "--formats", "html", "--only", "support", "--param", f"{param}=2026-01-01")
    assert code == 2 and f"--param {param}" in err and option in err, err
    assert not (project / "reports" / PERIOD).exists()


def test_parameter_files_are_made_absolute_before_the_notebooks_run_in_their_own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extra = checked_parameters({"weights": "conf/weights.yaml", "budget": None, "hospital": "St. Elsewhere"})
    assert extra == {"weights": str(tmp_path.resolve() / "conf" / "weights.yaml"), "budget": None,
                     "hospital": "St. Elsewhere"}


@pytest.mark.parametrize("seconds", [0, -5, float("nan"), float("inf")])
def test_a_cell_timeout_that_is_not_a_positive_number_is_refused(project, seconds):
    with pytest.raises(UsageError, match="--cell-timeout"):
        run_report(formats=("html",), only=["support"], cell_timeout=seconds)
    assert not (project / "reports" / PERIOD).exists()
