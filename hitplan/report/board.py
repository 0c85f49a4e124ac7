"""The board pack: the area scorecard, the top risks, the recommended portfolio and what it buys, and the budget
position, for the board audience (no host, address, CVE id or person); and its opening paragraph.

The deck shows the same: the board pack notebook hands its ``board_pack`` to ``hitplan.report.deck.deck_from_pack``."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count
from hitplan.kpi import AREAS
from hitplan.analysis import GRADES, NO_DATA, STATUSES
from hitplan.periods import Period
from hitplan.prioritize.run import Prioritization
from hitplan.report.areas import area_section
from hitplan.report.disclosure import assert_board_safe, store_hosts
from hitplan.report.findings import names
from hitplan.report.portfolio import portfolio_section, report_prioritization
from hitplan.report.sections import TITLES, Draft, Section
from hitplan.settings import Settings

BOARD_SAMPLES = 200  # weight scenarios behind the board's ranking robustness


@dataclass
class BoardPack:
    """The board pack's sections (scorecard, risks, portfolio, budget) and what they were built from: the nine
    board-audience area sections, the portfolio section and the prioritization behind it; and the store's host
    names and addresses, which nothing made from the pack (its deck) may show."""

    sections: list[Section]
    areas: list[Section]
    portfolio: Section
    prioritization: Prioritization
    hosts: frozenset[str] = frozenset()


def board_pack(con: duckdb.DuckDBPyConnection, period: Period, settings: Settings, hospital: str | None = None, *,
               samples: int = BOARD_SAMPLES) -> BoardPack:
    """The board pack for a period (its sections, the area sections and the prioritization behind them), every
    figure from the run's ``settings``; each section (and each area section) checked by ``assert_board_safe``
    against the store's host names."""
    cfg = settings.kpi
    hosts = frozenset(store_hosts(con))
    top_risks = int(settings.value("report", "board", "top_risks"))
    areas = [area_section(con, a, period, cfg, audience="board") for a in AREAS]
    statuses = [a.area_status for a in areas]
    score = Draft("scorecard", period, "board")
    counts = {st: sum(a.status == st for a in areas) for st in STATUSES}
    who = hospital or "The hospital"
    off = [a.title.lower() for a in areas if a.status == "off target"]
    nodata = [a.title.lower() for a in areas if a.status == NO_DATA]  # never counted as on target
    score.say(f"In {period.label}, {counts['off target']} of {who}'s nine IT areas were off target"
              + (f" ({names(off, 9)})" if off else "") + f", {counts['watch']} to watch and {counts['on target']} on "
              "target" + (f"; {names(nodata, 9)} had no data to measure" if nodata else "") + ".")
    for st in (*GRADES, NO_DATA):
        score.number(st.capitalize(), count(counts[st]))
    score.figure(charts.scorecard(statuses))
    sc_table = pd.DataFrame([{"area": a.title, "status": a.status, "headline": a.findings[0] if a.findings else ""}
                             for a in areas])
    sc_table.attrs["source"] = "hitplan.kpi.scorecard and the area sections"
    score.table(f"Area scorecard, {period.label}", sc_table)
    for a in areas:
        score.sources.extend(x for x in a.sources if x not in score.sources)
    risks = Draft("risks", period, "board")
    ranked = sorted((a for a in areas if a.status in ("off target", "watch")),
                    key=lambda a: (-STATUSES.index(a.status), AREAS.index(a.key)))
    rows = []
    for i, a in enumerate(ranked[:top_risks], 1):
        risks.say(a.findings[0], a.status)
        rows.append({"rank": i, "area": a.title, "status": a.status, "why": a.findings[0]})
        risks.sources.extend(x for x in a.sources if x not in risks.sources)
    if not rows:
        risks.say(f"No area was off target or on watch in {period.label}.")
    risks_df = pd.DataFrame(rows, columns=["rank", "area", "status", "why"])
    risks_df.attrs["source"] = "the area sections' headline findings, off target first"
    risks.table("Top risks, off target first", risks_df)
    risk_figs = [f for a in ranked[:2] for f in a.figures[:1]]
    risks.figures.extend(risk_figs)
    pr = report_prioritization(con, period, settings, samples=samples, sensitivity=False)
    portfolio = portfolio_section(con, period, settings, audience="board", prioritization=pr)
    costs = next(a for a in areas if a.key == "costs")
    budget = Section("budget", TITLES["budget"], costs.status, list(costs.findings), list(costs.key_numbers),
                     list(costs.figures[:2]), [t for t in costs.tables if "pool" in t[0] or "forecast" in t[0].lower()],
                     list(costs.sources))
    out = [score.done(), risks.done(), portfolio, budget]
    out[0].status = None
    for sec in [*out, *areas]:
        assert_board_safe(sec, hosts)
    return BoardPack(out, areas, portfolio, pr, hosts)


def board_summary(sections: list[Section], hospital: str, period: Period) -> str:
    """The board pack's opening paragraph, computed from its sections."""
    by = {s.key: s for s in sections}
    parts = []
    if "scorecard" in by and by["scorecard"].findings:
        parts.append(by["scorecard"].findings[0])
    if "risks" in by and by["risks"].findings:
        parts.append("The most pressing: " + by["risks"].findings[0][0].lower() + by["risks"].findings[0][1:])
    if "budget" in by and by["budget"].findings:
        parts.extend(by["budget"].findings[:1])
    if "portfolio" in by:
        funded = [f for f in by["portfolio"].findings if f.startswith("Within the")]
        parts.extend(funded[:1])
    return " ".join(parts) or f"No data for {hospital} in {period.label}."
