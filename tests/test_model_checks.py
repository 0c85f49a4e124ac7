"""The models' declared tests (models.yml) and the SQLGlot parse check: the SQL runs on DuckDB and parses in SQLGlot,
the shipped tests pass on a store ingest built, and each kind of test fails, with dbt's count, when data breaks it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlglot
from sqlglot import exp

from hitplan import store
from hitplan.models import attach_models, models
from hitplan.models.checks import (
    _column_test,
    _model_test,
    declared_tests,
    run_model_tests,
    sqlglot_problem,
)
from hitplan.schema import feeds

# Exports name the system of an incident or a finding by id, CI name, alias or host: the int_ models resolve it,
# so only they test it against the inventory.
RESOLVED_LATER = {("stg_incidents", "system_id"), ("stg_vulnerabilities", "system_id")}


def test_every_model_parses_in_sqlglot_as_duckdb_sql():
    problems = {m.name: sqlglot_problem(m.sql) for m in models().values()}
    assert {k: v for k, v in problems.items() if v} == {}
    assert all(sqlglot_problem(t.sql) is None for t in declared_tests())


def test_the_parse_check_catches_what_sqlglot_cannot_parse():
    assert sqlglot_problem("select x from t order by x using <").startswith("ParseError")
    assert "unsupported syntax" in sqlglot_problem("load httpfs")  # a warning, and an opaque command
    assert sqlglot_problem("select * exclude (a) from t qualify row_number() over () = 1") is None


@pytest.mark.slow
def test_sqlglot_reads_each_model_as_duckdb_does(store_path):
    # the SQL SQLGlot writes back from its parse makes the same view: it read the model, not a part of it
    con = store.connect(store_path)
    try:
        attach_models(con)
        for m in models().values():
            regenerated = sqlglot.transpile(m.sql, read="duckdb", write="duckdb")[0]
            con.execute(f"create or replace temp view _regenerated as {regenerated}")
            assert con.execute("describe _regenerated").fetchall() == con.execute(f"describe {m.name}").fetchall()
    finally:
        con.close()


def _staging_sources(sql: str) -> tuple[str, dict[str, str]]:
    """A staging model's raw table and, for each of its columns, the raw column it renames."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {c.alias: c.this for c in tree.find_all(exp.CTE)}
    table = ctes["source"].find(exp.Table).name
    return table, {e.alias_or_name: e.find(exp.Column).name for e in ctes["renamed"].expressions}


def test_staging_tests_say_what_ingest_guarantees():
    """Keys unique, required columns not null, allowed values accepted, links checked as warnings: as feeds.yaml
    declares them, so the two never drift."""
    sources = {m.name: _staging_sources(m.sql) for m in models().values() if m.layer == "staging"}
    wanted = set()
    for model, (table, renamed) in sources.items():
        feed, back = feeds()[table], {raw: col for col, raw in renamed.items()}
        key = [back[k] for k in feed.key]
        wanted.add((model, key[0], "unique", "error", "") if len(key) == 1
                   else (model, ", ".join(key), "unique_combination_of_columns", "error", ""))
        for col, raw in renamed.items():
            if raw == "_load_id":
                continue
            c = feed.column(raw)
            if c.required:
                wanted.add((model, col, "not_null", "error", ""))
            if c.values:
                wanted.add((model, col, "accepted_values", "error", ", ".join(c.values)))
            elif c.type == "integer" and c.min is not None and c.max is not None and c.max - c.min < 12:
                # a small range of whole numbers is an enumeration (priority, tier, month)
                wanted.add((model, col, "accepted_values", "error", ", ".join(map(str, range(c.min, c.max + 1)))))
            if c.link and (model, col) not in RESOLVED_LATER:
                target_table, target_key = c.link.split(".")
                target = f"stg_{target_table}"
                field = {raw2: col2 for col2, raw2 in sources[target][1].items()}[target_key]
                wanted.add((model, col, "relationships", "warn", f"{target}.{field}"))
    declared = {(t.model, t.column, t.test, t.severity, t.detail) for t in declared_tests() if t.model in sources}
    assert declared - wanted == set(), "declared beyond what ingest guarantees"
    assert wanted - declared == set(), "ingest guarantees it: declare it"


def _load(path, rows: dict[str, tuple[list[str], list[tuple]]]) -> None:
    """Write raw rows straight into the store's feed tables (as a faulty ingest or a hand edit would)."""
    con = store.connect(path, read_only=False)
    try:
        for table, (cols, values) in rows.items():
            marks = ", ".join("?" for _ in range(len(cols) + 1))
            con.executemany(f"insert into {table} ({', '.join(cols)}, _load_id) values ({marks})",
                            [(*v, 1) for v in values])
    finally:
        con.close()


def _failing(path) -> dict[tuple[str, str, str], tuple[int, tuple[str, ...], str]]:
    con = store.connect(path)
    try:
        results = run_model_tests(con)
    finally:
        con.close()
    assert len(results) == len(declared_tests())
    return {(r.model, r.column, r.test): (r.failures, r.examples, r.outcome) for r in results if not r.passed}


SYSTEM = ["system_id", "name", "kind", "category"]
INCIDENT = ["number", "opened_at", "state", "priority", "system_id"]

CASES = {
    "an empty store": ({}, {}),
    "repeated keys": (
        {"systems": (SYSTEM, [("SYS-1", "EHR", "application", "ehr"), ("SYS-1", "EHR test", "application", "ehr"),
                              ("SYS-1", "EHR train", "application", "ehr"), ("SYS-2", "PACS", "application", "pacs"),
                              ("SYS-2", "PACS old", "application", "pacs"), ("SYS-3", "LIS", "application", "lis")]),
         "controls": (["framework", "control_id", "status"],
                      [("HIPAA", "164.308(a)(1)", "implemented"), ("HIPAA", "164.308(a)(1)", "partial"),
                       ("HIPAA", "164.312(b)", "implemented")])},
        # dbt counts the values (or combinations) that repeat, not the rows carrying them
        {("stg_systems", "system_id", "unique"): (2, ("SYS-1", "SYS-2"), "fail"),
         ("stg_controls", "framework, control_id", "unique_combination_of_columns"):
             (1, ("HIPAA / 164.308(a)(1)",), "fail")},
    ),
    "missing ticket numbers, unknown states and priorities": (
        {"incidents": (INCIDENT, [("INC1", "2025-01-01 08:00", "pending", 2, None),
                                  ("INC2", "2025-01-01 09:00", "pending", 9, None),
                                  ("INC3", "2025-01-01 10:00", "waiting", 1, None),
                                  ("INC4", "2025-01-01 11:00", "closed", 1, None),
                                  (None, "2025-01-02 08:00", "closed", 2, None),
                                  (None, "2025-01-03 08:00", "closed", 3, None)])},
        # one failure per null row; one per distinct value not accepted, as dbt counts accepted_values
        {("stg_incidents", "incident_number", "not_null"): (2, (), "fail"),
         ("int_incidents", "incident_number", "not_null"): (2, (), "fail"),
         ("stg_incidents", "incident_state", "accepted_values"): (2, ("pending", "waiting"), "fail"),
         ("int_incidents", "incident_state", "accepted_values"): (2, ("pending", "waiting"), "fail"),
         ("stg_incidents", "priority", "accepted_values"): (1, ("9",), "fail"),
         ("int_incidents", "priority", "accepted_values"): (1, ("9",), "fail")},
    ),
}
# Rows naming a system the inventory lacks: ingest keeps them as unlinked, so they are warnings (one per row).
UNLINKED = {"systems": (SYSTEM, [("SYS-1", "EHR", "application", "ehr")]),
            "usage": (["day", "system_id", "department", "active_users"],
                      [("2025-01-01", "SYS-404", "ED", 5), ("2025-01-02", "SYS-404", "ED", 5),
                       ("2025-01-01", "SYS-1", "ED", 3)]),
            "incidents": (INCIDENT, [("INC1", "2025-01-01 08:00", "closed", 2, "SYS-405"),
                                     ("INC2", "2025-01-01 09:00", "closed", 2, "ehr")])}  # by name: resolved


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.slow
def test_each_kind_of_test_fails_with_its_count_when_the_data_breaks_it(store_path, case):
    rows, expected = CASES[case]
    _load(store_path, rows)
    assert _failing(store_path) == expected


@pytest.mark.slow
def test_models_test_allows_warnings_and_exits_8_on_a_failing_error(store_path, cli):
    _load(store_path, UNLINKED)
    code, out, err = cli("models", "test", "--store", store_path, "--format", "json")
    assert code == 0 and err == ""
    results = json.loads(out)
    assert len(results) == len(declared_tests())
    assert [(r["model"], r["column"], r["test"], r["detail"], r["failures"], r["examples"], r["outcome"])
            for r in results if r["failures"]] == [
        ("stg_usage", "system_id", "relationships", "stg_systems.system_id", 2, ["SYS-404"], "warn"),
        ("int_incidents", "system_id", "relationships", "stg_systems.system_id", 1, ["SYS-405"], "warn")]

    _load(store_path, {"systems": (SYSTEM, [("SYS-1", "EHR again", "application", "ehr")])})
    code, out, err = cli("models", "test", "--store", store_path)
    assert code == 8
    assert err.count("\n") == 1 and "1 declared model test(s) fail: stg_systems.system_id unique (1)" in err
    assert "warn (2)" in out and "SYS-404" in out and "fail (1)" in out
    # the repeated system doubles the incident that names it (INC2 resolves to SYS-1): a warning downstream
    assert [line.split()[:3] for line in out.splitlines() if "warn (1)" in line] == [
        ["int_incidents", "incident_number", "unique"], ["int_incidents", "system_id", "relationships"]]
    n = len(declared_tests())
    assert f"{n} tests: {n - 4} pass, 3 warn (allowed), 1 fail" in out
    # the query a result carries returns its failing rows
    con = store.connect(store_path)
    try:
        results = {(r.model, r.test): r for r in run_model_tests(con)}
        assert con.execute(results["stg_systems", "unique"].sql).fetchall() == [("SYS-1", 2)]
    finally:
        con.close()


def test_models_list_names_every_model_with_its_layer_and_grain(cli):
    code, out, _ = cli("models", "list", "--format", "json")
    listed = json.loads(out)
    assert code == 0 and [m["model"] for m in listed] == list(models())
    assert all(m["grain"].startswith("one row per") and m["layer"] for m in listed)
    assert sum(m["tests"] for m in listed) == len(declared_tests())


@pytest.mark.parametrize("action", ["", "list", "test"])
def test_models_has_help_with_exit_codes(action):
    args = [sys.executable, "-m", "hitplan", "models"] + ([action] if action else []) + ["--help"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    assert "usage: hitplan models" in out and "exit codes:" in out and "8  the store's data fails" in out


def test_declarations_are_read_as_dbt_writes_them_and_mistakes_are_refused():
    bare = _column_test("stg_usage", "system_id", {"relationships": {"to": "stg_systems", "field": "system_id"}})
    dbt = _column_test("stg_usage", "system_id", {"relationships": {
        "arguments": {"to": "ref('stg_systems')", "field": "system_id"}, "config": {"severity": "warn"}}})
    assert (bare.sql, bare.severity, dbt.severity) == (dbt.sql, "error", "warn")
    numbers = _column_test("stg_incidents", "priority", {"accepted_values": {"values": [1, 2], "quote": False}})
    assert numbers.sql.endswith("not in (1, 2) group by \"priority\"")
    text = _column_test("stg_incidents", "incident_state", {"accepted_values": {"values": ["o'k"]}})
    assert "not in ('o''k')" in text.sql
    with pytest.raises(ValueError, match="unknown test 'uniq'"):
        _column_test("stg_systems", "system_id", "uniq")
    with pytest.raises(ValueError, match="not a model"):
        _column_test("stg_usage", "system_id", {"relationships": {"to": "ref('systems')", "field": "system_id"}})
    with pytest.raises(ValueError, match="severity 'fatal'"):
        _column_test("stg_systems", "system_id", {"unique": {"config": {"severity": "fatal"}}})
    with pytest.raises(ValueError, match="takes numbers"):
        _column_test("stg_incidents", "priority", {"accepted_values": {"values": ["1"], "quote": False}})
    with pytest.raises(ValueError, match="a column of stg_systems, not 'id'"):
        _column_test("stg_usage", "system_id", {"relationships": {"to": "ref('stg_systems')", "field": "id"}})
    with pytest.raises(ValueError, match="columns the model lacks: week"):
        _model_test("stg_usage", {"unique_combination_of_columns": {"combination_of_columns": ["week", "day"]}})
    with pytest.raises(ValueError, match="two or more"):
        _model_test("stg_usage", {"unique_combination_of_columns": {"combination_of_columns": ["day"]}})


@pytest.mark.slow
def test_the_shipped_tests_pass_on_the_demo_hospital(demo_store):
    path, _, _ = demo_store
    con = store.connect(path)
    try:
        results = run_model_tests(con)
        # the demo's planted unlinked incidents are the only failures, and they are warnings
        assert [(r.model, r.column, r.test, r.outcome) for r in results if not r.passed] == [
            ("int_incidents", "system_id", "relationships", "warn")]
        for m in models().values():  # and SQLGlot's reading of each model returns the same rows
            con.execute(f"create or replace temp view _regenerated as "
                        f"{sqlglot.transpile(m.sql, read='duckdb', write='duckdb')[0]}")
            differ = con.execute(f"select count(*) from ((select * from {m.name} except all select * from _regenerated)"
                                 f" union all (select * from _regenerated except all select * from {m.name}))")
            assert differ.fetchone()[0] == 0, m.name
    finally:
        con.close()
