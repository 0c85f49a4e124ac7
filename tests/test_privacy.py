"""No personal name reaches the store: pseudonyms at ingest, a secret key outside the store."""

from __future__ import annotations

import stat

import pytest

from conftest import query, write_csv
from hitplan import store
from hitplan.ingest.pseudonymize import load_key, pseudonym

NAMES = ["Margaret Okafor", "jonas.lindqvist@example-hospital.org", "Priya Raman (praman)"]


def _all_text(path) -> str:
    """Every text value in every table of the store, concatenated."""
    con = store.connect(path)
    try:
        chunks = []
        cols = con.execute(
            "select table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        for table, col in cols:
            chunks += [str(v[0]) for v in con.execute(f'select "{col}" from "{table}"').fetchall()]
        return "\n".join(chunks)
    finally:
        con.close()


@pytest.mark.slow
def test_names_never_reach_the_store_in_rows_or_rejects(tmp_path, store_path, cli):
    inc = write_csv(
        tmp_path / "inc.csv",
        ["number", "opened_at", "caller", "priority"],
        [["INC1", "2025-01-01 10:00:00", NAMES[0], "2"], ["INC2", "2025-01-01 10:00:00", NAMES[1], "bad"]],
    )
    tr = write_csv(
        tmp_path / "tr.csv",
        ["person", "course", "assigned_on", "completed_on"],
        [[NAMES[2], "EHR basics", "2025-01-01", "2025-01-05"], [NAMES[0], "EHR basics", "2025-01-01", "2024-01-01"]],
    )
    assert cli("ingest", "incidents", inc)[0] == 0
    assert cli("ingest", "training", tr)[0] == 0
    assert query(store_path, "select count(*) from rejects") == [(2,)]
    text = _all_text(store_path).lower()
    for name in NAMES:
        for part in name.lower().replace("(", " ").replace(")", " ").replace("@", " ").split():
            if len(part) > 3:
                assert part not in text, part
    key = load_key()
    assert query(store_path, "select caller from incidents") == [(pseudonym(NAMES[0], key),)]


def test_same_person_written_differently_gets_one_pseudonym_and_other_keys_differ(tmp_path, monkeypatch):
    key = load_key()
    assert pseudonym("Margaret  Okafor", key) == pseudonym(" margaret okafor", key)
    assert pseudonym("Margaret Okafor", key) != pseudonym("Margaret Okafor", b"k" * 40)
    monkeypatch.setenv("HITPLAN_PSEUDONYM_KEY", "z" * 40)
    assert load_key() == b"z" * 40


def test_key_file_is_created_owner_only_outside_the_store(tmp_path):
    from hitplan import config

    load_key()
    path = config.key_file()
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.parent != (tmp_path / "store.duckdb").parent or path.name != "store.duckdb"
    assert load_key() == load_key()
