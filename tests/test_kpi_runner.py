"""KPIs as data: every KPI is one SQL file and one YAML entry, run by hitplan.kpi.runner; `hitplan kpi NAME`,
`hitplan kpi AREA`, `--rows` (drill-down) and `--list`."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import sqlglot

from hitplan.errors import UsageError
from hitplan.kpi import AREAS, area_module, runner, support
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [
    {"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1},
    {"system_id": "S2", "name": "Portal", "kind": "application", "category": "patient_portal", "criticality_tier": 3},
]
INCIDENTS = [
    {"number": "I1", "system_id": "S1", "opened_at": ts("2026-01-05 08:00:00"), "priority": 1, "state": "closed",
     "resolved_at": ts("2026-01-05 11:00:00"), "outage_minutes": 120},
    {"number": "I2", "system_id": "S1", "opened_at": ts("2026-01-20 08:00:00"), "priority": 2, "state": "in_progress"},
    {"number": "I3", "system_id": "S2", "opened_at": ts("2026-02-20 09:00:00"), "priority": 2, "state": "new"},
    {"number": "I4", "system_id": "S2", "opened_at": ts("2026-02-21 09:00:00"), "priority": 4, "state": "canceled"},
]
Q1 = period("2026-01-01", "2026-04-01")


@pytest.fixture
def small(tmp_path):
    return tiny_store(tmp_path / "store.duckdb", systems=SYSTEMS, incidents=INCIDENTS)


def test_every_kpi_is_one_sql_file_and_one_yaml_entry():
    root = resources.files("hitplan.kpi").joinpath("definitions")
    defs = runner.definitions()
    for area in AREAS:
        folder = root.joinpath(area)
        names = {e.name[:-4] for e in folder.iterdir() if e.name.endswith(".sql")}
        declared = {n for n, d in defs.items() if d.area == area}
        assert names == declared, area
        # the area module's functions are exactly its declared KPIs
        assert set(area_module(area).KPIS) == declared, area
    assert len(defs) >= 50


@pytest.mark.parametrize("name", sorted(runner.definitions()))
def test_kpi_sql_parses_in_duckdb_dialect_and_has_a_row_level_step(name):
    d = runner.definition(name)
    tree = sqlglot.parse_one(d.sql, read="duckdb", error_level=sqlglot.ErrorLevel.RAISE)
    ctes = tree.args.get("with_") or tree.args.get("with")
    assert ctes is not None and runner.ROWS_CTE in {c.alias for c in ctes.expressions}, f"{name}: no kpi_rows CTE"
    assert d.models, f"{name} reads no model"
    assert d.label and d.description and d.unit and d.grain and d.columns
    if d.threshold:  # the threshold names a real KPI setting
        area, figure = d.threshold.split(".")
        from hitplan.kpi.common import load_config

        assert figure in load_config()[area], d.threshold
    for p in d.params:
        if p.setting:
            from hitplan.kpi.common import load_config

            assert p.setting[1] in load_config()[p.setting[0]], (name, p)


def test_source_is_derived_from_the_models_and_settings_the_sql_reads():
    d = runner.definition("mttr_by_priority")
    assert d.source.startswith("int_incidents (")
    assert "stg_incidents" in d.source and "priority" in d.source
    assert "settings: support.response_targets, support.resolve_sla_met_pct" in d.source


def test_a_kpi_function_takes_its_declared_parameters_only(small):
    con = connect(small)
    with pytest.raises(TypeError, match="unexpected parameters"):
        support.incident_backlog(con, Q1, months=3)
    assert len(support.noisiest_systems(con, Q1)) == 2
    top = support.noisiest_systems(con, Q1, limit=1)
    assert list(top["system_id"]) == ["S1"]  # 2 incidents each: ties go by system_id
    assert len(top) == 1


def test_a_setting_given_by_the_caller_replaces_the_shipped_one(small):
    con = connect(small)
    shipped = support.availability_by_system_month(con, Q1)
    assert set(shipped["target_pct"]) == {99.9}
    cfg = {**__import__("hitplan.kpi.common", fromlist=["load_config"]).load_config()}
    cfg["support"]["availability_target_pct"] = {"value": 99.0}
    mine = support.availability_by_system_month(con, Q1, cfg=cfg)
    assert set(mine["target_pct"]) == {99.0}


def test_drill_down_rows_are_what_the_figure_counts(small):
    con = connect(small)
    backlog = runner.run_kpi(con, "incident_backlog", Q1)
    rows = runner.kpi_rows(con, "incident_backlog", Q1)
    assert int(backlog["open_at_period_end"].sum()) == len(rows) == 2  # I2 and I3; I4 canceled, I1 resolved
    assert set(rows["incident_number"]) == {"I2", "I3"}


def test_missing_input_is_a_note_not_a_zero(tmp_path):
    con = connect(tiny_store(tmp_path / "empty.duckdb"))
    df = support.incident_backlog(con, Q1)
    assert df.empty and list(df.columns) == ["priority", "open_at_period_end", "open_over_30_days"]
    assert df.attrs["note"] == "no incidents rows in the store"
    rows = runner.kpi_rows(con, "incident_backlog", Q1)
    assert rows.empty and rows.attrs["note"] == "no incidents rows in the store"


def test_unknown_kpi_names_the_known_ones():
    with pytest.raises(UsageError, match="neither an area nor a KPI"):
        runner.select(["nope"])
    assert [d.name for d in runner.select(["reopen_rate", "support"])][0] == "reopen_rate"


@pytest.mark.slow
def test_cli_kpi_by_name_area_rows_and_list(small, cli):
    code, out, _ = cli("kpi", "incident_backlog", "reopen_rate", "--store", small, "--start", "2026-01-01",
                       "--end", "2026-04-01", "--format", "json")
    assert code == 0
    res = json.loads(out)
    assert set(res["kpis"]) == {"incident_backlog", "reopen_rate"} and res["area"] == "support"
    code, out, _ = cli("kpi", "incident_backlog", "--rows", "--store", small, "--start", "2026-01-01",
                       "--end", "2026-04-01", "--format", "json")
    assert code == 0
    assert sorted(r["incident_number"] for r in json.loads(out)["kpis"]["incident_backlog"]["records"]) == ["I2", "I3"]
    code, out, _ = cli("kpi", "--list", "--format", "json")
    listed = {k["name"]: k for k in json.loads(out)}
    assert code == 0 and listed["mttr_by_priority"]["threshold"] == "support.resolve_sla_met_pct"
    code, _, err = cli("kpi", "incident_backlog", "reopen_rate", "--rows", "--store", small)
    assert code == 2 and "one KPI" in err
    code, _, err = cli("kpi", "--store", small)
    assert code == 2 and "--list" in err
