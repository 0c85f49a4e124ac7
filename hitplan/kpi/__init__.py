"""The KPI library. Every KPI is one SQL file and one YAML entry in ``hitplan/kpi/definitions/<area>/``, run by
``hitplan.kpi.runner``; each area module offers its KPIs as functions (``KPIS``) and ``area_status(con, period,
cfg=None, results=None)``, the area's status with the KPIs that drive it (``results``: KPI frames a report section
already computed for the period and settings, reused); ``scorecard`` gives all nine.

Every KPI is ``f(con, period, *, cfg=None, **params) -> DataFrame``: small, tidy, units in the column names, with
``df.attrs["source"]`` (models, feeds and columns, settings) and ``df.attrs["note"]`` when data is missing.
Thresholds and benchmarks are the ``kpi`` section of ``hitplan.settings`` (shipped in hitplan/kpi/config.yaml),
each with its source.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING

from hitplan.errors import UsageError

if TYPE_CHECKING:
    import duckdb

    from hitplan.analysis import AreaStatus
    from hitplan.periods import Period

AREAS = ("support", "security", "infrastructure", "continuity", "costs", "training", "vendors", "strategy",
         "compliance")


def area_module(area: str) -> ModuleType:
    """The KPI module of one area."""
    if area not in AREAS:
        raise UsageError(f"unknown area {area!r}; areas: {', '.join(AREAS)}")
    return import_module(f"hitplan.kpi.{area}")


def scorecard(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None) -> list[AreaStatus]:
    """The nine areas' statuses for the period, in the usual order."""
    from hitplan.kpi.common import load_config

    cfg = cfg or load_config()
    return [area_module(a).area_status(con, period, cfg) for a in AREAS]


def __getattr__(name: str):
    # hitplan.analysis imports pandas (half a second): `hitplan ingest` needs only AREAS, for the CLI's parser.
    if name in ("AreaStatus", "Driver"):
        from hitplan import analysis

        return getattr(analysis, name)
    if name == "load_config":
        from hitplan.kpi import common

        return common.load_config
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["AREAS", "AreaStatus", "Driver", "area_module", "load_config", "scorecard"]
