"""What every notebook opens first: the store (a read-only snapshot), the period, the as-of day, the
hospital's name and the settings (one ``hitplan.settings.Settings``), with the house chart style on.

Papermill passes parameters as text, so dates may come as ISO strings and paths as strings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from hitplan import config
from hitplan.errors import UsageError
from hitplan.kpi import AREAS
from hitplan.kpi.runner import definitions
from hitplan.periods import ACTIVITY_FEEDS, Period, default_period, feeds_behind, no_data_hint
from hitplan.settings import Settings, load_settings
from hitplan.store import scalar

@dataclass
class Context:
    """An open store and the parameters every section of a report shares."""

    con: duckdb.DuckDBPyConnection
    period: Period
    as_of: dt.date
    hospital: str
    cfg: dict[str, Any]
    store: Path
    settings: Settings  # every figure of the run; ``cfg`` is its kpi part

    def no_data_note(self, area: str | None = None) -> str | None:
        """One sentence when the period holds none of the area's activity data (every activity feed's without an
        area): each feed's date range and the ``--period`` that holds the data; None when there is data."""
        return no_data_hint(self.con, self.period, area_feeds([area] if area else []) or ACTIVITY_FEEDS)

    def close(self) -> None:
        """Close the store connection."""
        self.con.close()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def hospital_name(con: duckdb.DuckDBPyConnection) -> str | None:
    """The hospital's name from the hospital feed (None when the feed is empty)."""
    return scalar(con, "select max(name) from hospital")


def area_feeds(areas: Iterable[str]) -> tuple[str, ...] | None:
    """The activity feeds the KPIs of the named areas read (support: incidents, usage); None when a name is not an
    area (the board pack, data quality, prioritization: every activity feed) or the areas read none."""
    names = list(areas)
    if not names or any(a not in AREAS for a in names):
        return None
    return feeds_behind(m for d in definitions().values() if d.area in names for m in d.models) or None


def _date(value: dt.date | str | None, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise UsageError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD") from exc


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    from hitplan.store.snapshot import connect_snapshot

    return connect_snapshot(path)


def open_context(
    store: str | Path | None = None,
    period: str | None = "last-quarter",
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    as_of: dt.date | str | None = None,
    hospital: str | None = None,
    kpi_config: str | Path | None = None,
    weights: str | Path | None = None,
    budget: str | Path | None = None,
    settings: str | Path | None = None,
) -> Context:
    """Open the store read-only on a snapshot and resolve the report's parameters; the one call atop every notebook.

    ``store`` defaults to $HITPLAN_STORE, else data/hitplan.duckdb; ``start``/``end`` (end excluded) replace
    ``period`` (None: the 12 months ending with the as-of day's month, ``hitplan.periods.data_period``); ``as_of``
    (the day relative periods count from) defaults to the store's last day of activity data; ``hospital`` to the hospital feed's
    name; ``settings`` is a settings file (hitplan/settings.py) over the shipped figures, and ``kpi_config``,
    ``weights`` and ``budget`` override its kpi figures, its criteria and its budgets for this run (the shipped
    ones: hitplan/prioritize/criteria.yaml and budget_example.yaml).
    """
    from hitplan.charts import use_house_style

    path = Path(store).expanduser() if store not in (None, "") else config.default_store()
    start_d, end_d = _date(start, "start"), _date(end, "end")
    run_settings = load_settings(settings, kpi_config=kpi_config, weights=weights, budget=budget)
    con = _connect(path)
    try:
        label = None if (start_d or end_d) else (period or None)
        resolved, day = default_period(con, label, start=start_d, end=end_d, as_of=_date(as_of, "as_of"))
        day = day or dt.date.today()
        name = hospital or hospital_name(con) or "the hospital"
    except Exception:
        con.close()
        raise
    use_house_style()
    return Context(
        con=con, period=resolved, as_of=day, hospital=name, cfg=run_settings.kpi, store=path,
        settings=run_settings,
    )
