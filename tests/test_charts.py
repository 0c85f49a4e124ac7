"""The house chart style and figure builders, on tiny inline frames."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from plotly.offline import get_plotlyjs

from hitplan import charts as C
from hitplan.analysis import AreaStatus, Driver
from hitplan.report import browser

MONTHS = pd.date_range("2026-07-01", periods=3, freq="MS")


def _alt(fig: go.Figure) -> str:
    alt = fig.layout.meta["alt"]
    assert isinstance(alt, str) and len(alt) > 20 and alt.endswith(".")
    return alt


def _says_no_data(fig: go.Figure) -> bool:
    return any("No data" in (a.text or "") for a in fig.layout.annotations) and len(fig.data) == 0


@pytest.mark.parametrize("value, text", [
    (0, "$0"), (950, "$950"), (999.6, "$1k"), (4500, "$4.5k"), (45_000, "$45k"), (450_000, "$450k"),
    (999_999, "$1M"), (1_250_000, "$1.25M"), (12_345_678, "$12.3M"), (2.1e9, "$2.1B"), (-1.5e6, "-$1.5M"),
    (None, "–"), (float("nan"), "–"),
])
def test_money(value, text):
    assert C.money(value) == text


def test_pct_count_number():
    assert C.pct(99.82) == "99.8%"
    assert C.pct(99.825, 2) == "99.83%" or C.pct(99.825, 2) == "99.82%"  # float rounding of the half
    assert C.pct(0.25, 0, fraction=True) == "25%"
    assert C.pct(None) == "–"
    assert C.count(12345.4) == "12,345"
    assert C.count(pd.NA) == "–"
    assert C.number(1234.5, "$") == "$1.23k"
    assert C.number(3.14159, "hours") == "3.14 hours"
    assert C.number(1200, "hours") == "1,200 hours"
    assert C.number(99.95, "%") == "99.95%" and C.number(99.9996, "%") == "99.9996%" and C.number(42.26, "%") == "42.3%"


def test_dates_and_fiscal_quarters():
    assert C.month_label(dt.date(2026, 7, 15)) == "Jul 2026"
    assert C.fiscal_quarter(dt.date(2026, 7, 1), 7) == "FY2027Q1"
    assert C.fiscal_quarter(dt.date(2026, 10, 1), 7) == "FY2027Q2"
    assert C.fiscal_quarter(dt.date(2027, 6, 30), 7) == "FY2027Q4"
    assert C.fiscal_quarter(dt.date(2026, 3, 1), 1) == "FY2026Q1"
    assert C.fiscal_quarter(dt.date(2026, 9, 30), 10) == "FY2026Q4"


def test_house_style_is_registered_and_made_default():
    assert "hitplan" in pio.templates
    t = pio.templates["hitplan"].layout
    assert list(t.colorway) == C.COLORWAY and t.paper_bgcolor == "white" and t.separators == ".,"
    old_template = pio.templates.default
    try:
        C.use_house_style()
        assert pio.templates.default == "hitplan"
    finally:
        pio.templates.default = old_template


@pytest.mark.slow  # a fresh interpreter importing plotly and the report modules: seconds
def test_report_kernels_do_not_import_nbformat():
    """plotly's renderers import nbformat and jsonschema (seconds per kernel); the report cells never need them."""
    import subprocess
    import sys

    code = ("import sys, plotly.graph_objects as go; from hitplan.report.context import open_context; "
            "from hitplan.report.display import show, show_figure; from hitplan.report.areas import area_section; "
            "from hitplan.charts import use_house_style; use_house_style(); "
            "print('nbformat' in sys.modules, 'jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_statuses_differ_by_more_than_colour():
    styles = list(C.STATUS_STYLE.values())
    for key in ("color", "symbol", "glyph", "pattern"):
        assert len({s[key] for s in styles}) == 4, key  # on target, watch, off target and no data
    assert C.status_text("watch") == "▲ watch"


def test_trend_with_groups_and_target():
    df = pd.DataFrame({"month": list(MONTHS) * 2, "availability_pct": [99.9, 99.7, 99.95, 99.99, 99.98, 99.97],
                       "system": ["EHR"] * 3 + ["PACS"] * 3})
    df.attrs["source"] = "int_incidents: outage_minutes"
    fig = C.trend(df, "month", "availability_pct", title="EHR fell below target in August", unit="%",
                  color="system", target=99.9)
    assert fig.layout.title.text == "EHR fell below target in August"
    assert len(fig.data) == 2 and {t.name for t in fig.data} == {"EHR", "PACS"}
    assert fig.data[0].line.dash != fig.data[1].line.dash  # not colour alone
    assert fig.layout.yaxis.ticksuffix == "%" and fig.layout.yaxis.title.text == "Availability (%)"
    assert fig.layout.xaxis.tickformat == "%b %Y"
    assert fig.layout.shapes[0].y0 == 99.9
    alt = _alt(fig)
    assert "Jul 2026 to Sep 2026" in alt and "EHR 99.95%; PACS 99.97%" in alt and "target of 99.90%" in alt
    assert fig.layout.meta["source"] == "int_incidents: outage_minutes"


def test_ranked_bars_largest_first_top_n_and_status_colours():
    df = pd.DataFrame({"system": list("ABCDE"), "incidents": [5, 50, 20, 40, 1],
                       "status": ["on target", "off target", "watch", "off target", "on target"]})
    fig = C.ranked_bars(df, "system", "incidents", title="B has the most incidents", top=3, color="status")
    shown = [y for t in fig.data for y in t.y]
    assert sorted(shown) == ["B", "C", "D"]
    assert list(fig.layout.yaxis.categoryarray) == ["C", "D", "B"]  # bottom to top: largest on top
    names = {t.name for t in fig.data}
    assert names == {"✖ off target", "▲ watch"}
    off = next(t for t in fig.data if "off" in t.name)
    assert off.marker.color == C.STATUS_STYLE["off target"]["color"] and off.marker.pattern.shape == "x"
    assert "top 3 of 5" in _alt(fig) and "B (50)" in _alt(fig)


def test_stacked_bars_totals_and_money_axis():
    df = pd.DataFrame({"month": list(MONTHS[:2]) * 2, "cost_usd": [100_000, 120_000, 50_000, 40_000],
                       "pool": ["Staff", "Staff", "Software", "Software"]})
    fig = C.stacked_bars(df, "month", "cost_usd", "pool", title="Staff costs dominate", unit="$")
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data[:2]] == ["Staff", "Software"]  # largest group first
    assert list(fig.data[2].text) == ["$150k", "$160k"]
    assert fig.layout.yaxis.tickprefix == "$"
    assert fig.layout.xaxis.dtick == "M1"  # one tick under each month's bar, none between
    assert "highest total $160k in Aug 2026" in _alt(fig)


def test_stacked_bars_fold_groups_beyond_the_palette_into_other():
    towers = [f"tower {k}" for k in range(11)]
    df = pd.DataFrame({"month": [MONTHS[0]] * 11, "cost_usd": [1000.0 * (11 - k) for k in range(11)],
                       "tower": towers})
    fig = C.stacked_bars(df, "month", "cost_usd", "tower", title="Spend by tower", unit="$")
    bars = [t for t in fig.data if t.type == "bar"]
    assert [t.name for t in bars] == towers[:7] + ["Other (4)"]
    assert len({t.marker.color for t in bars}) == len(bars) and bars[-1].marker.color == C.GREY
    assert list(bars[-1].y) == [4000.0 + 3000 + 2000 + 1000]
    assert "11 groups" in _alt(fig)


def _statuses():
    return [
        AreaStatus("support", (Driver("reopen_rate", "reopen rate (%)", 4.2, "<= 5 %", "on target"),)),
        AreaStatus("security", (Driver("kev", "KEV past due", 3.0, "0", "off target"),
                                Driver("x", "patched within SLA (%)", None, ">= 95 %", "watch"))),
        AreaStatus("costs", ()),
    ]


def test_scorecard_symbols_words_and_driver():
    fig = C.scorecard(_statuses())
    table = fig.data[0]
    area, status, driver = table.cells.values
    assert "Technology support" in area[0]
    assert list(status) == ["<b>● on target</b>", "<b>✖ off target</b>", "<b>○ no data</b>"]  # nothing assessed
    assert driver[0] == "reopen rate: 4.2% (target <= 5 %)"
    assert driver[1] == "KEV past due: 3 (target 0)"  # the worst driver is shown
    assert driver[2] == "no KPI measured"
    assert fig.layout.title.text == "1 of 3 areas off target, 0 to watch, 1 with no data"
    assert "Cybersecurity and data protection off target" in _alt(fig)


def test_roadmap_quarter_labels_fill_gaps():
    rm = pd.DataFrame({"initiative": ["MFA", "EHR upgrade"], "start_quarter": ["FY2028 Q1", "FY2028 Q4"],
                       "finish_quarter": ["FY2028 Q2", "FY2029 Q2"], "start": [0, 3], "finish": [1, 5],
                       "capex_usd": [250_000, 2_400_000], "opex_usd": [0, 0], "hours": [0, 0]})
    fig = C.roadmap(rm)
    # every quarter has a tick, the fiscal year written over its first quarter; a dotted line where a year starts
    assert list(fig.layout.xaxis.ticktext) == ["FY2028<br>Q1", "Q2", "Q3", "Q4", "FY2029<br>Q1", "Q2"]
    assert list(fig.layout.xaxis.tickvals) == [0, 1, 2, 3, 4, 5]
    assert [s.x0 for s in fig.layout.shapes] == [3.5]
    bar = fig.data[0]
    assert list(bar.x) == [2, 3] and list(bar.base) == [-0.5, 2.5] and list(bar.text) == ["$250k", "$2.4M"]
    assert [list(c[:2]) for c in bar.customdata] == [["FY2028Q1", "FY2028Q2"], ["FY2028Q4", "FY2029Q2"]]
    assert "2 initiatives from FY2028Q1 to FY2029Q2, capex $2.65M" in _alt(fig)


def _long_roadmap(n_quarters: int = 19) -> tuple[pd.DataFrame, list[str]]:
    """Twelve initiatives over FY2027Q2..FY2031Q4 (19 quarters), with names as long as real ones that are alike
    in their first 36 characters."""
    labels = [f"FY{2027 + (q + 1) // 4}Q{(q + 1) % 4 + 1}" for q in range(n_quarters)]
    names = [f"Epic at-the-elbow support and workflow optimization, wave {k}" for k in range(10)] + [
        "Renegotiate laboratory system support with SLA credits and penalties",
        "Renegotiate laboratory system support with SLA credits and a new term"]
    starts = [min(k * 2, n_quarters - 2) for k in range(len(names))]
    rm = pd.DataFrame({"initiative": names, "start": starts, "finish": [s + 1 for s in starts],
                       "start_quarter": [labels[s] for s in starts], "finish_quarter": [labels[s + 1] for s in starts],
                       "capex_usd": 100_000.0})
    return rm, labels


def test_roadmap_over_many_quarters_labels_fiscal_years():
    rm, labels = _long_roadmap()
    fig = C.roadmap(rm, quarter_labels=labels)
    ax = fig.layout.xaxis
    assert labels[0] == "FY2027Q2" and labels[-1] == "FY2031Q4"
    assert list(ax.ticktext) == ["FY2027", "FY2028", "FY2029", "FY2030", "FY2031"]  # 5 labels, not 19
    assert list(ax.tickvals) == [1.0, 4.5, 8.5, 12.5, 16.5]  # centred over each year's quarters
    assert list(ax.minor.tickvals) == list(range(19))  # each quarter still marked
    assert [s.x0 for s in fig.layout.shapes] == [2.5, 6.5, 10.5, 14.5]  # years start at Q1, not every 4th


def test_roadmap_shortens_long_names_and_keeps_them_in_the_hover():
    rm, labels = _long_roadmap()
    fig = C.roadmap(rm, quarter_labels=labels)
    rows = [y for t in fig.data for y in t.y]
    assert max(len(r) for r in rows) <= C.ROADMAP_LABEL_CHARS and len(set(rows)) == len(rm)  # one row each
    # names alike up to the cut keep their ends, so the rows can be told apart
    assert rows[:2] == ["Epic at-the-elbow support… wave 0", "Epic at-the-elbow support… wave 1"]
    assert set(rows[-2:]) == {"Renegotiate laboratory… penalties", "Renegotiate laboratory… new term"}
    assert C._short_labels(["Backup vault", "Backup vault", "MFA"]) == ["Backup vault", "Backup vault (2)", "MFA"]
    full = {c[2] for t in fig.data for c in t.customdata}
    assert "Renegotiate laboratory system support with SLA credits and penalties" in full
    assert "%{customdata[2]}" in fig.data[0].hovertemplate
    assert fig.layout.yaxis.dtick == 1  # every row labelled, none skipped for lack of room


def test_frontier_marks_current_budget_and_infeasible():
    fr = pd.DataFrame({"scale": [0.5, 1.0, 1.5], "capex_budget_usd": [1e6, 2e6, 3e6], "value": [np.nan, 2.0, 2.5],
                       "capex_used_usd": [np.nan, 1.9e6, 2.8e6], "n_chosen": [0, 3, 4], "note": ["too small", "", ""]})
    fig = C.frontier(fr)
    assert len(fig.data) == 2 and fig.data[1].name == "Current budget" and list(fig.data[1].x) == [2e6]
    assert list(fig.data[0].text) == ["3 funded", "4 funded"]
    assert any("Not feasible at $1M" in a.text for a in fig.layout.annotations)
    assert "from $2M to $3M" in _alt(fig)


def test_budget_position_flags_overrun():
    tot = pd.DataFrame({"capex_used": [90.0, 120.0], "capex_budget": [100.0, 100.0], "opex_used": [1.0, 2.0],
                        "opex_budget": [np.nan, np.nan], "hours_used": [10.0, 10.0], "hours_budget": [20.0, 20.0]},
                       index=pd.Index(["FY2028", "FY2029"], name="fiscal_year"))
    fig = C.budget_position(tot)
    assert len(fig.data) == 9  # per resource: use bars, budget ticks, share labels
    capex, capex_share = fig.data[0], fig.data[2]
    assert list(capex_share.text) == ["90%", "120%"] and list(capex_share.y) == [100.0, 120.0]
    assert capex.marker.pattern.shape == ("", "x")
    assert list(fig.data[5].text) == ["no limit", "no limit"]
    assert fig.layout.title.text == "The plan uses at most 120% of any yearly budget"
    assert "no limit in some years" in _alt(fig)


def test_tornado_orders_by_swing():
    rows = []
    for crit, swing in (("cost", 0.01), ("safety", 0.05)):
        for side, sign in (("-", -1), ("+", 1)):
            rows.append({"criterion": crit, "side": side, "initiative": "A", "score_change": sign * swing,
                         "base_rank": 1, "rank": 1})
            rows.append({"criterion": crit, "side": side, "initiative": "B", "score_change": 0.0,
                         "base_rank": 2, "rank": 2})
    fig = C.tornado(pd.DataFrame(rows))
    assert len(fig.data) == 2 and list(fig.data[0].y) == ["cost", "safety"]  # widest at the top
    assert fig.layout.title.text == "A: its score depends most on the weight of safety"
    assert "0.100" in _alt(fig)


def test_rank_acceptability_from_array():
    a = np.array([[0.1, 0.9], [0.9, 0.1]])
    fig = C.rank_acceptability(a, ["X", "Y"])
    assert list(fig.data[0].y) == ["Y", "X"]  # best expected rank first
    assert fig.layout.title.text == "Y ranks first in 90% of weight scenarios"
    assert fig.data[0].text[0][0] == "90%"
    _alt(fig)


def test_forecast_fan_band_and_documented_columns():
    hist = pd.DataFrame({"month": MONTHS, "incidents": [100, 110, 120]})
    fc = pd.DataFrame({"month": pd.date_range("2026-10-01", periods=2, freq="MS"), "forecast": [125.0, 130.0],
                       "lower": [115.0, 112.0], "upper": [135.0, 148.0]})
    fig = C.forecast_fan(hist, fc, y="incidents", title="Incidents keep rising", level=90)
    names = [t.name for t in fig.data]
    assert names[1:] == ["90% prediction interval", "Forecast", "Actual"]
    assert fig.data[1].fill == "tonexty"
    assert fig.data[2].x[0] == MONTHS[-1]  # the forecast line starts at the last actual
    assert "forecast 130 by Nov 2026 (90% interval 112 to 148)" in _alt(fig)


@pytest.mark.parametrize("build", [
    lambda e: C.trend(e, "month", "v", title="t"),
    lambda e: C.ranked_bars(e, "month", "v", title="t"),
    lambda e: C.stacked_bars(e, "month", "v", "g", title="t"),
    lambda e: C.roadmap(e),
    lambda e: C.frontier(e),
    lambda e: C.budget_position(e),
    lambda e: C.tornado(e),
    lambda e: C.rank_acceptability(e),
    lambda e: C.forecast_fan(e, e, title="t"),
    lambda e: C.scorecard([]),
])
def test_empty_input_says_no_data(build):
    empty = pd.DataFrame({"month": pd.Series(dtype="object"), "v": pd.Series(dtype="float")})
    empty.attrs["note"] = "no incidents rows in the store"
    fig = build(empty)
    assert _says_no_data(fig)
    assert fig.layout.meta["alt"].startswith("No ")


def test_no_data_carries_the_frames_note():
    empty = pd.DataFrame({"month": [], "v": []})
    empty.attrs["note"] = "incidents.priority is not in this export"
    fig = C.trend(empty, "month", "v", title="Resolution times")
    assert fig.layout.annotations[0].text == "No data: incidents.priority is not in this export"
    assert fig.layout.title.text == "Resolution times"


def _legend_figures() -> dict[str, go.Figure]:
    df = pd.DataFrame({"month": list(MONTHS) * 4, "v": [1.0, 2, 3] * 4,
                       "g": [f"a fairly long group name {k}" for k in range(4) for _ in range(3)],
                       "status": ["on target", "watch", "off target"] * 4})
    rm, labels = _long_roadmap()
    tot = pd.DataFrame({"capex_used": [90.0], "capex_budget": [100.0]}, index=pd.Index(["FY2028"]))
    title = "Actual IT spend per month by tower, FY2027Q1"
    return {"trend": C.trend(df, "month", "v", title=title, color="g"),
            "stacked_bars": C.stacked_bars(df, "month", "v", "g", title=title),
            "ranked_bars": C.ranked_bars(df.head(3), "g", "v", title=title, color="status"),
            "roadmap": C.roadmap(rm.assign(area=["a", "b"] * 6), quarter_labels=labels, color="area"),
            "budget_position": C.budget_position(tot)}


@pytest.mark.parametrize("name", ["trend", "stacked_bars", "ranked_bars", "roadmap", "budget_position"])
def test_legend_sits_at_the_foot_of_the_figure(name):
    fig = _legend_figures()[name]
    template = pio.templates["hitplan"].layout
    legend = fig.layout.legend
    placed = (legend.yref or template.legend.yref, legend.y if legend.y is not None else template.legend.y,
              legend.yanchor or template.legend.yanchor)
    # measured from the whole figure and anchored at its bottom edge: plotly widens the bottom margin for it
    assert fig.layout.showlegend is not False and placed == ("container", 0, "bottom")


# geometry as Chromium lays it out: each chart's title, legend, plot area and tick labels (top, bottom, left, right)
_BOXES_JS = """var d = document.getElementById('{plot_id}');
function box(e) { var r = e.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]; }
function one(sel) { var e = d.querySelector(sel); return e ? box(e) : null; }
function lines(e) { var ls = e.querySelectorAll('tspan.line'); return ls.length ? Array.from(ls) : [e]; }
function all(sel) { return Array.from(d.querySelectorAll(sel)).flatMap(lines).map(box); }
var out = document.createElement('pre'); out.className = 'boxes';
out.textContent = JSON.stringify({title: one('.gtitle'), legend: one('g.legend'), plot: one('.nsewdrag'),
                                  xticks: all('g.xtick text'), yticks: all('g.ytick text')});
document.body.appendChild(out);"""


def _laid_out(figs: list[go.Figure], width: int, height: int) -> list[dict]:
    """The boxes of each figure drawn by plotly.js in headless Chromium at ``width`` x ``height`` pixels (a figure's
    own height wins)."""
    divs = "".join(f.to_html(full_html=False, include_plotlyjs=False, default_width=f"{width}px",
                             default_height=f"{height}px", post_script=_BOXES_JS) for f in figs)
    page = (f"<html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
            f"<body style='margin:0'>{divs}</body></html>")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.html"
        path.write_text(page, encoding="utf-8")
        dom = subprocess.run([str(browser.find_chrome()), *browser.chrome_flags(Path(tmp) / "profile"), "--dump-dom",
                              "--virtual-time-budget=20000", path.as_uri()],
                             capture_output=True, text=True, timeout=120, check=True).stdout
    found = [json.loads(html.unescape(m)) for m in re.findall(r'<pre class="boxes">(.*?)</pre>', dom)]
    assert len(found) == len(figs), "plotly.js did not draw every figure"
    return found


def _apart(a: list[float], b: list[float], *, axis: str) -> bool:
    """Two boxes do not overlap vertically (axis "y") or horizontally (axis "x"); a pixel of anti-aliasing is
    allowed."""
    lo, hi = (0, 1) if axis == "y" else (2, 3)
    return a[hi] <= b[lo] + 1 or b[hi] <= a[lo] + 1


def _clear(boxes: list[list[float]]) -> bool:
    """No two boxes overlap (each pair apart vertically or horizontally)."""
    return all(_apart(a, b, axis="x") or _apart(a, b, axis="y") for k, a in enumerate(boxes) for b in boxes[k + 1:])


needs_chrome = pytest.mark.skipif(browser.find_chrome() is None,
                                  reason="no Chrome/Chromium installed (apt-get install chromium); CI installs it")


@pytest.mark.slow
@needs_chrome
@pytest.mark.parametrize("width, height", [(1200, 675), (560, 400)])  # static export; a narrow print column
def test_drawn_legends_never_reach_the_title(width, height):
    figs = _legend_figures()
    for name, b in zip(figs, _laid_out(list(figs.values()), width, height)):
        assert b["title"] and b["legend"] and b["plot"], name
        assert b["legend"][0] >= b["title"][1] and _apart(b["legend"], b["title"], axis="y"), name
        assert b["legend"][0] >= b["plot"][1], f"{name}: the legend is under the plot area"


@pytest.mark.slow
@needs_chrome
@pytest.mark.parametrize("quarters, width, level", [
    (19, 1200, True), (19, 720, True),  # static export and the deck's slide width: year labels, level
    (8, 600, True),  # the print column: quarter labels, level
    (19, 560, False),  # narrower still: the year labels may turn, but must stay clear of the title
])
def test_drawn_roadmap_labels_do_not_overlap(quarters, width, level):
    rm, labels = _long_roadmap(quarters)
    (b,) = _laid_out([C.roadmap(rm, quarter_labels=labels)], width, 675)
    # each line of a tick label is a box: 5 fiscal years, or 8 quarters (FY2027Q2..FY2029Q1) and the 3 years
    # written over the first quarter and each Q1
    assert len(b["xticks"]) == (5 if quarters > 8 else 8 + 3) and len(b["yticks"]) == len(rm)
    assert b["title"][1] <= min(t[0] for t in b["xticks"]), "tick labels run into the title"
    assert _clear(b["yticks"]), b["yticks"]
    if level:  # turned labels' boxes overlap even when their text does not
        assert _clear(b["xticks"]), b["xticks"]
