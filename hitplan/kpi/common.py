"""The KPI settings every KPI module reads: the ``kpi`` section of ``hitplan.settings`` (shipped in
hitplan/kpi/config.yaml, each figure with its source). The query helpers and status types KPIs share are in
``hitplan.analysis``; the KPIs themselves are SQL and YAML run by ``hitplan.kpi.runner``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hitplan.settings import load_settings


@lru_cache(maxsize=1)
def _default_config() -> dict[str, Any]:
    return load_settings().kpi


def load_config() -> dict[str, Any]:
    """The shipped KPI settings (``hitplan.settings.load_settings().kpi``), a fresh copy."""
    return load_settings().kpi


def setting(cfg: dict[str, Any] | None, area: str, name: str) -> Any:
    """The value of one configured figure (``cfg``: ``Settings.kpi``; None = the shipped settings)."""
    return (cfg or _default_config())[area][name]["value"]
