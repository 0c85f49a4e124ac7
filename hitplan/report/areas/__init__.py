"""The nine area sections: one narrative module per area, each stating in sentences what its KPI results show.

Each module has ``kpi_results(con, period, cfg)``, the KPIs its narrative reads computed once, by name, and
``narrative(results, period, cfg, draft)``, which builds the section from those results without querying the
store again.
"""

from __future__ import annotations

from types import ModuleType

import duckdb

from hitplan.kpi import AREAS, area_module
from hitplan.kpi.common import load_config
from hitplan.periods import ACTIVITY_FEEDS, Period, no_data_hint
from hitplan.report.areas import (
    compliance, continuity, costs, infrastructure, security, strategy, support, training, vendors,
)
from hitplan.report.context import area_feeds
from hitplan.report.disclosure import assert_board_safe
from hitplan.report.sections import Draft, Section, fix_captions

NARRATIVES: dict[str, ModuleType] = {
    "support": support, "security": security, "infrastructure": infrastructure, "continuity": continuity,
    "costs": costs, "training": training, "vendors": vendors, "strategy": strategy, "compliance": compliance,
}
assert tuple(NARRATIVES) == AREAS  # one narrative per KPI area, in the scorecard's order


def area_section(con: duckdb.DuckDBPyConnection, area: str, period: Period, cfg: dict | None = None,
                 audience: str = "it") -> Section:
    """An area's section: its status, findings with period, value and target, key numbers, figures and tables."""
    cfg = cfg or load_config()
    narrative = NARRATIVES[area]
    results = narrative.kpi_results(con, period, cfg)
    status = area_module(area).area_status(con, period, cfg, dict(results))  # the same frames: each KPI runs once
    s = Draft(area, period, audience, status)
    s.source(*results.values())
    if hint := no_data_hint(con, period, area_feeds([area]) or ACTIVITY_FEEDS):
        s.findings.lead(f"{hint[:1].upper()}{hint[1:]}.")  # the period misses the data: say where it is first
    narrative.narrative(results, period, cfg, s)
    fix_captions(s)
    out = s.done()
    if audience == "board":
        assert_board_safe(out)
    return out
