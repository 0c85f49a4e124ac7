"""Forecasts and pattern finding over the store: incident volume per system and category with backtests against
the seasonal-naive baseline, cost anomalies in the ledger, incident themes, and the risk of a P1/P2 outage next
quarter per system. Each result is a small frame with ``attrs['source']`` and, where it matters, the honesty
metrics it was judged by (``attrs['backtest']``)."""

from hitplan.forecast.anomalies import anomaly_precision_recall, cost_anomalies, planted_cost_anomalies
from hitplan.forecast.common import load_config
from hitplan.forecast.outage import outage_reliability, outage_risk
from hitplan.forecast.themes import (
    incident_themes,
    incident_themes_by_month,
    incident_themes_by_system,
    normalize_text,
)
from hitplan.forecast.volume import (
    incident_volume_backtest,
    incident_volume_forecast,
    incident_volume_history,
    volume_backtest_summary,
)

__all__ = [
    "anomaly_precision_recall",
    "cost_anomalies",
    "incident_themes",
    "incident_themes_by_month",
    "incident_themes_by_system",
    "incident_volume_backtest",
    "incident_volume_forecast",
    "incident_volume_history",
    "load_config",
    "normalize_text",
    "outage_reliability",
    "outage_risk",
    "planted_cost_anomalies",
    "volume_backtest_summary",
]
