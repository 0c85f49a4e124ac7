"""Tiny stores for the KPI tests: an initialized store with a few hand-written rows per feed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from hitplan import store
from hitplan.periods import Period

HOSPITAL = {"hospital_id": "H", "name": "Test Hospital", "time_zone": "America/Chicago",
            "fiscal_year_start_month": 7, "operating_expense": 1_000_000}


def tiny_store(path: Path, **feeds: list[dict]) -> Path:
    """A new store at ``path`` holding the given rows (feed name -> list of column dicts; unnamed columns are blank)."""
    store.init(path)
    con = duckdb.connect(str(path))
    try:
        feeds.setdefault("hospital", [HOSPITAL])
        for feed, rows in feeds.items():
            for row in rows:
                cols = list(row) + ["_load_id"]
                marks = ", ".join("?" for _ in cols)
                con.execute(f'insert into "{feed}" ({", ".join(cols)}) values ({marks})', list(row.values()) + [1])
    finally:
        con.close()
    return path


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """The store opened read-only, as the KPIs are used."""
    return store.connect(path)


def period(start: str, end: str, label: str = "test") -> Period:
    """A period from ISO dates (end excluded)."""
    return Period(label, dt.date.fromisoformat(start), dt.date.fromisoformat(end))


def ts(text: str) -> dt.datetime:
    """A naive local timestamp."""
    return dt.datetime.fromisoformat(text)
