"""The shared analysis core below ``kpi``, ``forecast`` and ``prioritize``: running a model query into a small tidy
frame, notes for missing data, the period's query parameters, and the status types an area's assessment is made of.

Conventions, used by every analysis function:
- ``df.attrs["source"]``: the models (and through them the feeds) and columns the result comes from.
- ``df.attrs["note"]``: set when the result is empty or partial because data is missing (an empty feed, a
  column blank in this export, nothing in the period); an analysis never fails on missing data and never
  invents a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from hitplan.models import attach_models
from hitplan.periods import Period

STATUSES = ("on target", "watch", "off target")


def missing(con: duckdb.DuckDBPyConnection, model: str, *columns: str, where: str | None = None,
            params: dict | None = None) -> str | None:
    """A note when ``model`` has no rows (optionally under ``where``, which may use ``$name`` parameters from
    ``params``) or one of ``columns`` is blank in every row."""
    attach_models(con)
    counts = ", ".join(["count(*)"] + [f"count({c})" for c in columns])
    sql = f"select {counts} from {model}" + (f" where {where}" if where else "")
    used = {k: v for k, v in (params or {}).items() if f"${k}" in sql}
    row = con.execute(sql, used).fetchall()[0]
    feed = model.split("_", 1)[1] if model.startswith(("stg_", "int_")) else model
    if row[0] == 0:
        return f"no {feed} rows" + (" in the period" if where else "") + " in the store"
    blank = [c for c, n in zip(columns, row[1:]) if n == 0]
    if blank:
        return ", ".join(f"{feed}.{c}" for c in blank) + " is blank in every row of this export"
    return None


def empty(columns: list[str], note: str, source: str) -> pd.DataFrame:
    """An empty result with the given columns, its source and the note saying why it is empty."""
    df = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    df.attrs.update(source=source, note=note)
    return df


def run(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list | dict | None,
    *,
    source: str,
    when_empty: str = "nothing in the period",
) -> pd.DataFrame:
    """The query's (small, aggregated) result as a frame carrying its source, and a note when it is empty."""
    attach_models(con)
    if isinstance(params, dict):  # DuckDB refuses named parameters the query does not use
        params = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
    df = con.execute(sql, params or []).df()
    df.attrs["source"] = source
    if df.empty:
        df.attrs["note"] = when_empty
    return df


def period_params(period: Period) -> dict[str, Any]:
    """The named query parameters ($start, $end) every period query uses."""
    return {"start": period.start, "end": period.end}


def first(df: pd.DataFrame, column: str) -> float | None:
    """The first value of a column, or None for an empty frame."""
    if df.empty:
        return None
    v = df[column].iloc[0]
    return None if pd.isna(v) else float(v)


def grade(value: float | None, thresholds: dict[str, float], *, higher_is_better: bool) -> str:
    """'on target', 'watch' or 'off target' for a value against {watch, off_target} thresholds."""
    if value is None or pd.isna(value):
        return "watch"  # nothing measured cannot be called on target
    if higher_is_better:
        if value < thresholds["off_target"]:
            return "off target"
        if value < thresholds["watch"]:
            return "watch"
        return "on target"
    if value > thresholds["off_target"]:
        return "off target"
    if value > thresholds["watch"]:
        return "watch"
    return "on target"


@dataclass(frozen=True)
class Driver:
    """One KPI figure that drives an area's status."""

    kpi: str
    measure: str
    value: float | None
    target: str
    status: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready content."""
        v = None if self.value is None or pd.isna(self.value) else float(self.value)
        return {"kpi": self.kpi, "measure": self.measure, "value": v, "target": self.target,
                "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class AreaStatus:
    """An area's status (the worst of its drivers) and the two or three KPIs that drive it; a driver that could
    not be measured (missing data) is 'watch', never 'on target'."""

    area: str
    drivers: tuple[Driver, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        """The worst driver status ('watch' when the area has no drivers)."""
        return max((d.status for d in self.drivers), key=STATUSES.index, default="watch")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready content."""
        return {"area": self.area, "status": self.status, "drivers": [d.to_dict() for d in self.drivers],
                "notes": list(self.notes)}


__all__ = ["STATUSES", "AreaStatus", "Driver", "empty", "first", "grade", "missing", "period_params", "run"]
