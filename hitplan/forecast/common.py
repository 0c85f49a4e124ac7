"""What the forecasting modules share: their configuration (the fiscal quarters that series are counted in are
``hitplan.periods``'; the as-of day is the incidents' last day, resolutions and updates included:
``hitplan.periods.latest_data_date(con, ["incidents"])``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hitplan.settings import load_settings


@lru_cache(maxsize=1)
def _default_config() -> dict[str, Any]:
    return load_settings().forecast


def load_config() -> dict[str, Any]:
    """The shipped forecasting settings (``hitplan.settings.load_settings().forecast``), a fresh copy."""
    return load_settings().forecast


def setting(cfg: dict[str, Any] | None, section: str, name: str) -> Any:
    """The value of one configured figure (``cfg``: ``Settings.forecast``; None = the shipped settings)."""
    return (cfg or _default_config())[section][name]["value"]
