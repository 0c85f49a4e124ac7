"""The shared analysis core below ``kpi``, ``forecast`` and ``prioritize``: running a model query into a small tidy
frame, notes for missing data, the period's query parameters, and the status types an area's assessment is made of.

Conventions, used by every analysis function:
- ``df.attrs["source"]``: the models (and through them the feeds) and columns the result comes from.
- ``df.attrs["note"]``: set when the result is empty or partial because data is missing (an empty feed, a
  column blank in this export, nothing in the period); an analysis never fails on missing data and never
  invents a number.
- ``df.attrs["not_measurable"]``: set (with the reason) when the result measures nothing because its inputs are
  absent or blank in every row: missing is not zero, so a status from it is ``NO_DATA`` ("no data").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from hitplan.models import attach_models
from hitplan.periods import Period

NO_DATA = "no data"
# Least to most severe. "no data" is no grade: a status computed from nothing (every input missing or blank) is
# "no data", never "on target" and not "watch" either; it ranks below the graded statuses, so it never looks worse
# (or better) than a measurement. GRADES are what a measured value can get.
STATUSES = (NO_DATA, "on target", "watch", "off target")
GRADES = STATUSES[1:]


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


def not_measurable(df: pd.DataFrame) -> str | None:
    """Why a KPI result measures nothing (its inputs are absent or blank: ``attrs["not_measurable"]``, set by the
    KPI runner), or None when it was measured (an empty result of present inputs is a measurement: nothing found)."""
    reason = df.attrs.get("not_measurable")
    return str(reason) if reason else None


def grade(value: float | None, thresholds: dict[str, float], *, higher_is_better: bool) -> str:
    """'on target', 'watch' or 'off target' for a value against {watch, off_target} thresholds; 'no data' when
    there is no value (nothing measured is not a grade)."""
    if value is None or pd.isna(value):
        return NO_DATA
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


def unmeasured(kpi: str, measure: str, target: str, reason: str) -> Driver:
    """A driver that could not be measured: no value, status 'no data', the reason as its detail."""
    return Driver(kpi, measure, None, target, NO_DATA, reason or "not measurable: its data is missing")


@dataclass(frozen=True)
class AreaStatus:
    """An area's status and the two or three KPIs that drive it. The status is the worst of the measured drivers;
    an area none of whose drivers could be measured is 'no data' (the reason in ``reason``), and one only partly
    measured is never 'on target' (its best is 'watch': what was not measured may be off)."""

    area: str
    drivers: tuple[Driver, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def measured(self) -> tuple[Driver, ...]:
        """The drivers that have a grade (not 'no data')."""
        return tuple(d for d in self.drivers if d.status != NO_DATA)

    @property
    def status(self) -> str:
        """The worst measured driver's status; 'no data' when nothing was measured, 'watch' instead of 'on target'
        when some driver was not measured."""
        measured = self.measured
        if not measured:
            return NO_DATA
        worst = max((d.status for d in measured), key=STATUSES.index)
        return "watch" if worst == "on target" and len(measured) < len(self.drivers) else worst

    @property
    def reason(self) -> str:
        """Why the area is 'no data' or only partly measured: each unmeasured driver with its reason ("" when
        every driver was measured)."""
        missing = [d for d in self.drivers if d.status == NO_DATA]
        if not self.drivers:
            return "no KPI of this area was assessed"
        return "; ".join(dict.fromkeys(f"{d.measure}: not measurable ({d.detail})" if d.detail else
                                       f"{d.measure}: not measurable" for d in missing))

    @property
    def lead(self) -> Driver | None:
        """The driver behind the status: the worst measured one, or, when the status is owed to a driver that was
        not measured ('no data', or 'watch' for an area only partly measured), the first unmeasured one."""
        measured = self.measured
        worst = max(measured, key=lambda d: STATUSES.index(d.status), default=None)
        if worst is None or (worst.status == "on target" and len(measured) < len(self.drivers)):
            return next((d for d in self.drivers if d.status == NO_DATA), None)
        return worst

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready content."""
        return {"area": self.area, "status": self.status, "reason": self.reason,
                "drivers": [d.to_dict() for d in self.drivers], "notes": list(self.notes)}


__all__ = ["GRADES", "NO_DATA", "STATUSES", "AreaStatus", "Driver", "empty", "first", "grade", "missing",
           "not_measurable", "period_params", "run", "unmeasured"]
