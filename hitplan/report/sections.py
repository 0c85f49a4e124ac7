"""The section builder: what a report section is and how one is put together.

A ``Section`` is what a notebook shows (``hitplan.report.display.show``) and what the deck puts on slides: the
findings stated in sentences computed from the data, the key numbers, figures, detail tables and the sources
behind them. A ``Draft`` is a section being built. ``audience="board"`` drops host names, IP addresses and
CVE-level detail (counts, trends and named systems only); ``hitplan.report.disclosure.assert_board_safe``
refuses a section that still carries any.

The sections themselves live by concern: ``hitplan.report.areas`` (one narrative per area),
``hitplan.report.quality`` (data quality), ``hitplan.report.portfolio`` (prioritization and portfolio) and
``hitplan.report.board`` (the board pack).

A frame's source travels in ``attrs["source"]``: pandas (pinned to 3.1) keeps ``attrs`` through assign, column
selection, filtering, head, groupby and melt, so derived frames need no copy; pivot and concat drop it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from hitplan import charts
from hitplan.errors import UsageError
from hitplan.analysis import NO_DATA, AreaStatus
from hitplan.periods import Period
from hitplan.report.findings import Findings

AUDIENCES = ("it", "board")
TITLES = {**charts.AREA_TITLES, "data_quality": "Data quality", "portfolio": "Initiative prioritization and portfolio",
          "scorecard": "Area scorecard", "risks": "Top risks", "budget": "Budget position"}
# columns that name hosts, addresses or individual vulnerabilities: IT reports only
BOARD_DROP = {"host", "hosts", "cve", "vuln_id", "ip", "ip_address", "detail", "entry_id", "invoice_number",
              "test_id", "contract_id", "finding_id", "untested_system_ids", "system_id", "vendor_id"}


@dataclass
class Section:
    """One section of a report: findings in sentences, key numbers, figures, tables and their sources."""

    key: str
    title: str
    status: str | None
    findings: list[str] = field(default_factory=list)
    key_numbers: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    area_status: AreaStatus | None = field(default=None, repr=False)  # the KPI status behind ``status``


class Draft:
    """A section being built: findings ordered by status, tables trimmed for the audience, sources gathered."""

    def __init__(self, key: str, period: Period | None, audience: str, status: AreaStatus | None = None):
        if audience not in AUDIENCES:
            raise UsageError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
        self.key, self.period, self.audience, self.area_status = key, period, audience, status
        self.findings = Findings()
        self.numbers: list[tuple[str, str]] = []
        self.figures: list[tuple[str, go.Figure]] = []
        self.tables: list[tuple[str, pd.DataFrame]] = []
        self.sources: list[str] = []

    @property
    def label(self) -> str:
        return self.period.label if self.period else ""

    def driver(self, kpi: str, index: int = 0):
        """The area status's ``index``-th driver computed by ``kpi`` (None when there is none)."""
        found = [d for d in (self.area_status.drivers if self.area_status else ()) if d.kpi == kpi]
        return found[index] if len(found) > index else None

    def driver_status(self, kpi: str) -> str | None:
        """The status of the first driver computed by ``kpi`` (None when there is none)."""
        d = self.driver(kpi)
        return d.status if d else None

    def say(self, text: str, status: str | None = None) -> None:
        self.findings.add(text, status)

    def number(self, label: str, value: str) -> None:
        self.numbers.append((label, value))

    def source(self, *frames: pd.DataFrame) -> None:
        for f in frames:
            s = f.attrs.get("source") if isinstance(f, pd.DataFrame) else None
            if s and s not in self.sources:
                self.sources.append(s)

    def figure(self, fig: go.Figure, *, headline: bool = False, chart: str | None = None) -> None:
        """Add a figure (first when it is the section's headline chart), captioned by its alt text."""
        meta = dict(fig.layout.meta) if isinstance(fig.layout.meta, dict) else {}
        if chart:
            fig.layout.meta = {**meta, "chart": chart}
        caption = meta.get("alt") or fig.layout.title.text or ""
        if headline:
            self.figures.insert(0, (caption, fig))
        else:
            self.figures.append((caption, fig))

    def table(self, caption: str, df: pd.DataFrame, *, rows: int | None = None) -> None:
        """Add a detail table; board sections lose host, address and vulnerability-id columns."""
        self.source(df)
        out = df.drop(columns=[c for c in df.columns if c in BOARD_DROP]) if self.audience == "board" else df
        out = out.head(rows) if rows else out
        out = out.reset_index(drop=True)
        self.tables.append((caption, out))

    def drivers_table(self) -> None:
        if not self.area_status:
            return
        # a driver that could not be measured keeps its reason (a note on missing data, board-safe) for every audience
        rows = [{"measure": d.measure, "value": d.value, "target": d.target, "status": d.status,
                 **({"detail": d.detail} if self.audience != "board" else
                    {"reason": d.detail} if d.status == NO_DATA else {})}
                for d in self.area_status.drivers]
        df = pd.DataFrame(rows)
        df.attrs["source"] = f"hitplan.kpi.{self.key}.area_status"
        self.tables.insert(0, ("What drives the status", df))

    def done(self) -> Section:
        """The finished section, the table of what drives its status first."""
        self.drivers_table()
        status = self.area_status.status if self.area_status else None
        return Section(self.key, TITLES.get(self.key, self.key), status, self.findings.ordered(), self.numbers,
                       self.figures, self.tables, self.sources, self.area_status)


def fix_captions(s: Draft) -> None:
    """Caption each figure by its alt text (set by the chart builders), else its caption or title."""
    s.figures = [((fig.layout.meta or {}).get("alt") or cap or fig.layout.title.text or "", fig) for cap, fig in s.figures]


def column_sum(df: pd.DataFrame, col: str) -> float:
    """The sum of a column read as numbers (0 for an empty frame)."""
    return float(pd.to_numeric(df[col], errors="coerce").sum()) if not df.empty else 0.0


def as_float(v) -> float | None:
    """A value as a float, None when missing."""
    return None if v is None or pd.isna(v) else float(v)


def long_frame(df: pd.DataFrame, x: str, cols: dict[str, str], name: str, value: str) -> pd.DataFrame:
    """A wide frame's ``cols`` (column -> label) stacked into (x, name, value) rows for one chart."""
    out = df.melt(id_vars=[x], value_vars=list(cols), var_name=name, value_name=value)
    out[name] = out[name].map(cols)
    return out
