"""What every notebook opens first: the store (a read-only snapshot), the period, the as-of day, the
hospital's name, the KPI configuration and the files prioritization reads, with the house chart style on.

Papermill passes parameters as text, so dates may come as ISO strings and paths as strings.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from hitplan import config
from hitplan.errors import UsageError
from hitplan.kpi.common import load_config
from hitplan.periods import Period, latest_data_date, resolve_period
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
    weights: Path
    budget: Path

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


def load_kpi_config(path: str | Path | None = None) -> dict[str, Any]:
    """The KPI configuration: the shipped one, with the figures a ``path`` file sets replacing the shipped ones."""
    cfg = load_config()
    if path is None or path == "":
        return cfg
    where = f"KPI configuration {path}"
    own = config.read_yaml(path, "KPI configuration") or {}
    if not isinstance(own, dict):
        raise UsageError(f"{where}: expected areas mapping figures to values, e.g. support: {{reopen_rate_pct: "
                         "{watch: 5, off_target: 10}}; start from hitplan/kpi/config.yaml")
    unknown = sorted(str(a) for a in set(own) - set(cfg))
    if unknown:
        raise UsageError(f"{where}: unknown areas {unknown}; areas: {', '.join(cfg)}")
    for area, figures in own.items():
        if not isinstance(figures or {}, dict):
            raise UsageError(f"{where}: {area} must map figure names to values; see hitplan/kpi/config.yaml")
        for name, spec in (figures or {}).items():
            if name not in cfg[area]:
                raise UsageError(f"{where}: {area}.{name} is not a figure of {area}; figures: {', '.join(cfg[area])}")
            given = copy.deepcopy(spec) if isinstance(spec, dict) and "value" in spec else {"value": spec}
            _check_like(given["value"], cfg[area][name]["value"], where, f"{area}.{name}")
            cfg[area][name] = given
    return cfg


def _check_like(given: Any, shipped: Any, where: str, key: str) -> None:
    """Refuse (UsageError naming the key) a figure whose shape differs from the shipped one: a number for a number,
    a mapping with the same keys for a mapping, a list of numbers for a list."""
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if number(shipped):
        if not number(given):
            raise UsageError(f"{where}: {key} {given!r} is not a number; give one like the shipped {shipped!r}")
    elif isinstance(shipped, dict):
        if not isinstance(given, dict) or set(map(str, given)) != set(map(str, shipped)):
            raise UsageError(f"{where}: {key} must give {', '.join(map(str, shipped))} (as the shipped "
                             "hitplan/kpi/config.yaml does)")
        by_text = {str(k): v for k, v in shipped.items()}
        for k, v in given.items():
            _check_like(v, by_text[str(k)], where, f"{key}.{k}")
    elif isinstance(shipped, list):
        if not isinstance(given, list) or not given or not all(number(v) for v in given):
            raise UsageError(f"{where}: {key} must be a list of numbers like the shipped {shipped!r}")
    elif isinstance(shipped, str) and not isinstance(given, str):
        raise UsageError(f"{where}: {key} {given!r} must be text like the shipped {shipped!r}")


def _package_file(name: str) -> Path:
    return Path(str(resources.files("hitplan.prioritize").joinpath(name)))


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
) -> Context:
    """Open the store read-only on a snapshot and resolve the report's parameters; the one call atop every notebook.

    ``store`` defaults to $HITPLAN_STORE, else data/hitplan.duckdb; ``start``/``end`` (end excluded) replace
    ``period``; ``as_of`` (the day relative periods count from) defaults to the store's last day of data; ``hospital`` to the hospital feed's
    name; ``kpi_config`` is a YAML file overriding figures of hitplan/kpi/config.yaml; ``weights`` and
    ``budget`` default to hitplan/prioritize/criteria.yaml and budget_example.yaml.
    """
    from hitplan.charts import use_house_style

    path = Path(store).expanduser() if store not in (None, "") else config.default_store()
    start_d, end_d = _date(start, "start"), _date(end, "end")
    cfg = load_kpi_config(kpi_config)
    con = _connect(path)
    try:
        day = _date(as_of, "as_of") or latest_data_date(con) or dt.date.today()
        label = None if (start_d or end_d) else (period or None)
        resolved = resolve_period(con, label, start=start_d, end=end_d, today=day)
        name = hospital or hospital_name(con) or "the hospital"
    except Exception:
        con.close()
        raise
    use_house_style()
    return Context(
        con=con, period=resolved, as_of=day, hospital=name, cfg=cfg, store=path,
        weights=Path(weights).expanduser() if weights else _package_file("criteria.yaml"),
        budget=Path(budget).expanduser() if budget else _package_file("budget_example.yaml"),
    )
