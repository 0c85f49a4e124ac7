"""What the forecasting modules share: their configuration and the fiscal quarters that series are counted in
(the latest data date is ``hitplan.periods.latest_data_date``)."""

from __future__ import annotations

import copy
import datetime as dt
from functools import lru_cache
from importlib import resources
from typing import Any

import duckdb

from hitplan.periods import add_months, fiscal_year_of, fiscal_year_start_month


@lru_cache(maxsize=1)
def _default_config() -> dict[str, Any]:
    import yaml

    from hitplan.config import refuse_non_finite

    text = resources.files("hitplan.forecast").joinpath("config.yaml").read_text(encoding="utf-8")
    cfg = yaml.safe_load(text)
    refuse_non_finite(cfg, "hitplan/forecast/config.yaml")  # an edited copy with .nan must not pass as a setting
    return cfg


def load_config() -> dict[str, Any]:
    """The forecasting configuration shipped in hitplan/forecast/config.yaml (a fresh copy the caller may change)."""
    return copy.deepcopy(_default_config())


def setting(cfg: dict[str, Any] | None, section: str, name: str) -> Any:
    """The value of one configured figure (``cfg`` defaults to the shipped configuration)."""
    return (cfg or _default_config())[section][name]["value"]


def quarter_start(d: dt.date, fy_start_month: int) -> dt.date:
    """The first day of the fiscal quarter ``d`` falls in."""
    offset = (d.month - fy_start_month) % 3
    return add_months(dt.date(d.year, d.month, 1), -offset)


def quarter_label(start: dt.date, fy_start_month: int) -> str:
    """The fiscal quarter starting on ``start`` as finance names it, e.g. FY2027Q1."""
    q = (start.month - fy_start_month) % 12 // 3 + 1
    return f"FY{fiscal_year_of(start, fy_start_month)}Q{q}"


def complete_quarters(
    first_day: dt.date, as_of: dt.date, fy_start_month: int
) -> list[dt.date]:
    """Start days of the fiscal quarters lying wholly inside ``[first_day, as_of]`` (a partial first or last
    quarter is left out, so every count covers a whole quarter)."""
    q = quarter_start(first_day, fy_start_month)
    if q < first_day:
        q = add_months(q, 3)
    out = []
    while add_months(q, 3) - dt.timedelta(days=1) <= as_of:
        out.append(q)
        q = add_months(q, 3)
    return out


def fy_start(con: duckdb.DuckDBPyConnection) -> int:
    """The hospital's fiscal-year start month (1 without a hospital row)."""
    return fiscal_year_start_month(con)
