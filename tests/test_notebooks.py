"""The report notebooks: their shape (one parameters cell with the agreed names, short cells, no outputs) and
that every one runs top to bottom with its defaults on a demo store (nbval, as in JupyterLab)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PARAMETERS = ["store", "period", "start", "end", "as_of", "hospital", "settings", "kpi_config", "weights", "budget"]
EXPECTED = ["00_board_pack", "01_support", "02_security", "03_infrastructure", "04_continuity", "05_costs",
            "06_training", "07_vendors", "08_strategy", "09_compliance", "10_data_quality", "11_prioritization"]


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_twelve_notebooks_are_there_in_reading_order():
    assert [p.stem for p in _notebooks()] == EXPECTED


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: p.stem)
def test_notebook_shape(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged parameters"
    assigned = [t.id for node in ast.parse(tagged[0].source).body for t in node.targets]
    # the board pack alone takes where `hitplan report` wants its deck written (None in JupyterLab: no deck)
    assert assigned == PARAMETERS + (["deck_file"] if path.stem == "00_board_pack" else [])
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert len(cell.source.splitlines()) <= 15, cell.source
            assert not cell.get("outputs") and cell.get("execution_count") is None, "stored without outputs"
    text = "\n".join(c.source for c in nb.cells)
    assert not re.search(r"/(work|tmp|home|root)/", text), "no machine-specific paths"


def test_generator_is_in_step_with_the_notebooks():
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import build_notebooks
    finally:
        sys.path.pop(0)
    for name, nb in build_notebooks.notebooks().items():
        stored = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert [c.source for c in stored.cells] == [c.source for c in nb.cells], f"rerun build_notebooks.py ({name})"


def run_notebooks(store_path: Path, folder: Path, workers: int = 3) -> list[tuple[int, str]]:
    """Run ``pytest --nbval-lax`` over the notebooks with HITPLAN_STORE set, split over ``workers`` processes
    (kernels mostly wait on each other's start-up, so processes overlap well); (exit code, output) per worker."""
    env = {**os.environ, "HITPLAN_STORE": str(store_path)}
    chosen = _nbval_notebooks()
    groups = [g for g in (chosen[i::workers] for i in range(workers)) if g]
    procs = []
    for k, group in enumerate(groups):
        cwd = folder / f"worker{k}"
        cwd.mkdir()
        log = (folder / f"worker{k}.log").open("w")
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-cell-timeout=240", "-v", "-p", "no:cacheprovider",
             "--rootdir", str(cwd), *map(str, group)], env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
            text=True), log))
    results = []
    for p, log in procs:  # a cell that hangs fails on its own timeout; a worker that still hangs is killed
        try:
            code = p.wait(timeout=900)
        except subprocess.TimeoutExpired:
            p.kill()
            code = p.wait()
        log.close()
        results.append((code, Path(log.name).read_text()))
    return results


# Every notebook also runs in the suite's report pack (papermill, tests/conftest.py hostile_pack); under nbval, as
# a JupyterLab user opens them, `make test` runs these (the board pack without a deck, an area, data quality) and
# `make exhaustive` (HITPLAN_NBVAL=all) every one.
NBVAL_SAMPLE = ("00_board_pack", "01_support", "10_data_quality")


def _nbval_notebooks() -> list[Path]:
    return [p for p in _notebooks() if os.environ.get("HITPLAN_NBVAL") == "all" or p.stem in NBVAL_SAMPLE]


@pytest.mark.slow
def test_every_notebook_runs_with_its_defaults(demo_store, tmp_path):
    results = run_notebooks(demo_store[0], tmp_path)
    for code, out in results:
        assert code == 0, out[-4000:]
    cells = sum(c.cell_type == "code" for p in _nbval_notebooks() for c in nbformat.read(p, as_version=4).cells)
    passed = sum(int(m) for _, out in results for m in re.findall(r"(\d+) passed", out))
    assert passed == cells
