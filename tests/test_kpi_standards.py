"""Issue 16: every KPI names the published definition it follows, every ratio states its population, and README's
table of them is the one `hitplan kpi --list --format markdown` prints (so the two cannot drift apart)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hitplan.kpi import runner

README = Path(__file__).resolve().parents[1] / "README.md"
DEFS = list(runner.definitions().values())


@pytest.mark.parametrize("d", DEFS, ids=[d.name for d in DEFS])
def test_every_kpi_cites_the_standard_it_follows(d):
    assert d.standard and len(d.standard.split()) >= 3, f"{d.area}/{d.name}: no `standard:` in its kpis.yaml entry"


RATIOS = [d for d in DEFS if "percent" in d.unit or " per " in f" {d.label.lower()} "]


@pytest.mark.parametrize("d", RATIOS, ids=[d.name for d in RATIOS])
def test_every_ratio_states_its_population(d):
    assert d.population and len(d.population.split()) >= 3, (
        f"{d.area}/{d.name} is a ratio ({d.unit}): its kpis.yaml entry needs `population:` (what both sides cover)")


def test_readme_lists_every_kpi_with_its_standard(cli):
    code, out, _ = cli("kpi", "--list", "--format", "markdown")
    assert code == 0
    table = out.strip()
    assert table == runner.standards_table()
    assert len(table.splitlines()) == len(DEFS) + 2
    readme = README.read_text(encoding="utf-8")
    assert table in readme, "README's KPI standards table is stale: paste `hitplan kpi --list --format markdown`"


def test_the_json_list_carries_standard_and_population(cli):
    code, out, _ = cli("kpi", "--list", "--format", "json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == {d.name for d in DEFS}
    assert all("standard" in r and "population" in r for r in rows.values())


def test_a_pipe_in_a_standard_cannot_break_the_table():
    d = DEFS[0].__class__(**{**DEFS[0].__dict__, "standard": "A | B", "population": None})
    line = runner.standards_table([d]).splitlines()[-1]
    assert line.count(" | ") == 4 and "A \\| B" in line and line.endswith("| – |")


def test_markdown_is_only_for_the_list(cli):
    code, _, err = cli("kpi", "support", "--format", "markdown")
    assert code != 0 and "--list" in err and "Traceback" not in err
