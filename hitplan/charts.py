"""Plotly figure builders in one house style, for notebooks, HTML and PDF reports and the board deck.

Every builder takes the small tidy frames the analysis layer returns (column names are arguments), returns a
``go.Figure`` in the "hitplan" template and puts a one-sentence description of the chart in
``fig.layout.meta["alt"]`` (used as alt text in reports and the deck) and the data's source, when the frame
carries one in ``df.attrs["source"]``, in ``fig.layout.meta["source"]``. An empty frame gives a figure that
says "No data" (with the frame's ``attrs["note"]``) instead of an error.

Style: Okabe-Ito colours (safe for the common colour-vision deficiencies), statuses told apart by colour,
symbol and word, thousands separators, money as $450k / $1.25M, months as "Jul 2026", fiscal quarters as
"FY2027Q1", white background that prints well. The number and date formats are ``hitplan.formatting``'s and the
fiscal quarters ``hitplan.periods``' (re-exported here: money, pct, count, number, month_label, fiscal_quarter).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from hitplan.analysis import NO_DATA, STATUSES, AreaStatus, Driver
from hitplan.formatting import MISSING, count, is_missing, money, month_label, number, pct
from hitplan.formatting import MONEY_UNITS as _MONEY_UNITS
from hitplan.periods import fiscal_quarter_label as fiscal_quarter  # charts.fiscal_quarter, as before
from hitplan.periods import quarter_labels

# Okabe & Ito (2008), "Color Universal Design"; yellow last because it is faint on white
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000",
}
GREY = "#6E6E6E"
INK = "#1A1A1A"
COLORWAY = [OKABE_ITO[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]
FONT = "Segoe UI, Helvetica Neue, Arial, Liberation Sans, DejaVu Sans, sans-serif"

# status -> colour, plotly marker symbol, bar pattern, glyph: never colour alone
STATUS_STYLE = {
    "on target": {"color": OKABE_ITO["green"], "symbol": "circle", "pattern": "", "glyph": "●",
                  "tint": "#E0F2EC", "ink": "#00664A"},
    "watch": {"color": OKABE_ITO["orange"], "symbol": "triangle-up", "pattern": ".", "glyph": "▲",
              "tint": "#FCEFD4", "ink": "#7A4F00"},
    "off target": {"color": OKABE_ITO["vermillion"], "symbol": "x", "pattern": "x", "glyph": "✖",
                   "tint": "#F8E0D3", "ink": "#9C3700"},
    # nothing measured: grey, never a colour that means good or bad
    NO_DATA: {"color": GREY, "symbol": "circle-open", "pattern": "/", "glyph": "○", "tint": "#EBEBEB",
              "ink": "#4D4D4D"},
}
NO_STATUS = {"color": GREY, "symbol": "circle-open", "pattern": "", "glyph": "○", "tint": "#F0F0F0", "ink": INK}
LINE_DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
LINE_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "cross", "star", "hexagon", "x"]

AREA_TITLES = {
    "support": "Technology support", "security": "Cybersecurity and data protection",
    "infrastructure": "Infrastructure", "continuity": "Disaster recovery and continuity",
    "costs": "Budgeting and cost", "training": "Staff training", "vendors": "Vendors and procurement",
    "strategy": "Innovation and strategy", "compliance": "Regulatory compliance",
}


# ---------------------------------------------------------------- the house template

def _template() -> go.layout.Template:
    axis = dict(showgrid=True, gridcolor="#E6E6E6", zeroline=False, showline=True, linecolor="#8C8C8C",
                ticks="outside", tickcolor="#8C8C8C", title=dict(standoff=12), automargin=True)
    layout = go.Layout(
        font=dict(family=FONT, size=14, color=INK),
        title=dict(x=0, xanchor="left", xref="container", pad=dict(l=24), font=dict(size=20, color=INK)),
        colorway=COLORWAY,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=80, r=40, t=96, b=72),
        separators=".,",
        xaxis=axis,
        yaxis=axis,
        # the legend sits at the foot of the figure: measured from the container, so plotly widens the bottom
        # margin to fit it under the axis, and it can never reach the title however many rows it wraps to
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0,
                    title=dict(text=""), bgcolor="rgba(255,255,255,0)"),
        hoverlabel=dict(font=dict(family=FONT, size=13)),
        bargap=0.25,
    )
    return go.layout.Template(layout=layout)


pio.templates["hitplan"] = _template()


def use_house_style() -> None:
    """Make "hitplan" the default plotly template. Reports show figures with
    ``hitplan.report.display.show_figure`` (JupyterLab's mimetype and offline HTML); plotly's renderers are left
    alone, since touching ``pio.renderers`` imports nbformat and jsonschema (about 3 s in every kernel)."""
    pio.templates.default = "hitplan"


# ---------------------------------------------------------------- shared pieces

def _figure(title: str, alt: str, source: str | None = None, **layout) -> go.Figure:
    fig = go.Figure(layout=dict(template=pio.templates["hitplan"], title=dict(text=title), **layout))
    fig.layout.meta = {"alt": alt, **({"source": source} if source else {})}
    return fig


def _source(*frames) -> str | None:
    parts = [f.attrs.get("source") for f in frames if isinstance(f, pd.DataFrame) and f.attrs.get("source")]
    return "; ".join(dict.fromkeys(parts)) or None


def no_data(title: str, reason: str = "", what: str = "chart") -> go.Figure:
    """A figure saying "No data" (and why) in place of a chart whose input is empty."""
    text = "No data" + (f": {reason}" if reason else " for this period")
    fig = _figure(title, f"No {what}: {text[0].lower()}{text[1:]}.")
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font=dict(size=18, color=GREY))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _empty(df: pd.DataFrame | None, *cols: str) -> bool:
    return df is None or df.empty or any(c not in df.columns for c in cols) or df[list(cols)].dropna(how="all").empty


def _note(df: pd.DataFrame | None) -> str:
    return "" if df is None else str(df.attrs.get("note", ""))


def _is_money(unit: str) -> bool:
    return unit in _MONEY_UNITS


def _value_axis(unit: str, label: str) -> dict:
    """Axis settings for values in ``unit``: ticks ($450k, 99.5%, 1,200) and a title with the unit."""
    if _is_money(unit):
        return dict(tickprefix="$", tickformat="~s", title=dict(text=f"{label} ($)"))
    if unit == "%":
        return dict(ticksuffix="%", tickformat=",~r", title=dict(text=f"{label} (%)"))
    return dict(tickformat=",~r", title=dict(text=f"{label} ({unit})" if unit else label))


# the hover's side box shows the trace's name: taken by plotly from the trace (a store value, escaped with the rest
# of the figure's text when it is drawn), never written into the template, where our markup is kept
_EXTRA = {True: "<extra>%{fullData.name}</extra>", False: "<extra></extra>"}


def _hover_value(unit: str, ref: str = "y") -> str:
    if _is_money(unit):
        return f"$%{{{ref}:,.0f}}"
    if unit == "%":
        return f"%{{{ref}:,.2f}}%"
    return f"%{{{ref}:,}}" + (f" {unit}" if unit else "")


def _pretty(column: str) -> str:
    """A column name as an axis title: availability_pct -> Availability."""
    words = re.sub(r"_(pct|usd|hours|minutes|days|count)$", "", column).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _is_time(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s) or (len(s) > 0 and isinstance(s.dropna().iloc[0], dt.date))


def _pattern(shape: str | list[str]) -> dict:
    """A bar fill pattern drawn in white over the bar's colour (so the colour still shows)."""
    return dict(shape=shape, fillmode="overlay", fgcolor="white", size=8, solidity=0.3)


def _status_of(value) -> dict:
    return STATUS_STYLE.get(str(value), NO_STATUS) if not is_missing(value) else NO_STATUS


def status_text(status: str | None) -> str:
    """A status as symbol and word ("▲ watch"), for tables and slides."""
    return f"{_status_of(status)['glyph']} {status or 'not rated'}"


def _target_line(fig: go.Figure, target: float, label: str, *, horizontal: bool, unit: str) -> None:
    text = f"{label}: {number(target, unit)}" if label else f"Target {number(target, unit)}"
    kw = dict(line=dict(color=INK, width=1.5, dash="dash"), annotation=dict(text=text, font=dict(size=13)))
    if horizontal:
        fig.add_hline(y=target, annotation_position="top left", **kw)
    else:  # the label above the plot area, where it cannot cover the top bar's value
        fig.add_vline(x=target, annotation_position="top", **kw)
        fig.layout.annotations[-1].update(yanchor="bottom", y=1.0, yshift=2)


def _range_text(s: pd.Series) -> str:
    lo, hi = s.min(), s.max()
    if _is_time(s):
        return f"from {month_label(lo)} to {month_label(hi)}"
    return f"from {lo} to {hi}"


# ---------------------------------------------------------------- builders

def _monthly_gaps(g: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """A group's rows with a blank ``y`` row for each month missing between its first and last month, when ``x``
    holds month starts: a month with no measurement breaks the line instead of being bridged."""
    xs = pd.to_datetime(g[x], errors="coerce")
    if xs.isna().any() or not (xs.dt.day == 1).all() or len(xs) < 2:
        return g
    months = pd.date_range(xs.min(), xs.max(), freq="MS")
    if len(months) == xs.nunique():
        return g
    have = set(xs)
    filler = pd.DataFrame({x: [m if isinstance(g[x].iloc[0], pd.Timestamp) or _is_dt64(g[x]) else m.date()
                               for m in months if m not in have]})
    filler[y] = np.nan
    return pd.concat([g, filler], ignore_index=True).sort_values(x, key=lambda s: pd.to_datetime(s))


def _is_dt64(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s)


def trend(df: pd.DataFrame, x: str, y: str, *, title: str, unit: str = "", color: str | None = None,
          target: float | None = None, target_label: str | None = None, y_title: str | None = None) -> go.Figure:
    """Line(s) of ``y`` over ``x`` (one per ``color`` group, each with its own dash and marker) and an optional
    dashed target line. A blank ``y`` (a month with no measurement, or a month missing inside a monthly series) is
    a gap in the line, never 0 and never bridged."""
    if _empty(df, x, y) or df[y].isna().all():
        return no_data(title, _note(df), "trend chart")
    data = df.sort_values(x)
    groups = list(data.groupby(color, sort=False)) if color else [(None, data)]
    fig = _figure(title, "", _source(df))
    for k, (name, g) in enumerate(groups):
        g = _monthly_gaps(g, x, y) if _is_time(g[x]) else g
        fig.add_trace(go.Scatter(
            x=g[x], y=g[y], name=str(name) if name is not None else _pretty(y), mode="lines+markers",
            connectgaps=False, line=dict(width=2.5, dash=LINE_DASHES[k % len(LINE_DASHES)]),
            marker=dict(size=7, symbol=LINE_SYMBOLS[k % len(LINE_SYMBOLS)]),
            hovertemplate=f"%{{x}}<br>{_hover_value(unit)}" + _EXTRA[name is not None]))
    fig.update_layout(showlegend=color is not None)
    fig.update_yaxes(**_value_axis(unit, y_title or _pretty(y)))
    if _is_time(data[x]):
        fig.update_xaxes(tickformat="%b %Y", title=dict(text=""))
        if data[x].nunique() <= 18:
            fig.update_xaxes(dtick="M1" if data[x].nunique() <= 8 else "M3")
    else:
        fig.update_xaxes(type="category", title=dict(text=_pretty(x)))
    if target is not None:
        _target_line(fig, target, target_label or "", horizontal=True, unit=unit)
    measured = data.dropna(subset=[y])  # "latest" is the latest measurement, not a gap
    last = measured.groupby(color, sort=False)[y].last() if color else pd.Series({_pretty(y): measured[y].iloc[-1]})
    latest = "; ".join(f"{k} {number(v, unit)}" for k, v in last.items())
    tgt = f" against a target of {number(target, unit)}" if target is not None else ""
    fig.layout.meta["alt"] = (f"Line chart of {_pretty(y).lower()} {_range_text(data[x])}"
                              f"{f' for {len(groups)} series' if color else ''}; latest: {latest}{tgt}.")
    return fig


def ranked_bars(df: pd.DataFrame, label: str, value: str, *, title: str, unit: str = "", top: int = 10,
                color: str | None = None, target: float | None = None, x_title: str | None = None) -> go.Figure:
    """Horizontal bars of ``value`` by ``label``, largest at the top, at most ``top``; a ``color`` column of
    statuses gets status colours and patterns, any other column the categorical palette."""
    if _empty(df, label, value):
        return no_data(title, _note(df), "bar chart")
    data = df.dropna(subset=[value]).sort_values(value, ascending=False).head(top)
    fig = _figure(title, "", _source(df))
    cats = list(data[label].astype(str))
    if color and set(data[color].dropna().astype(str)) <= set(STATUSES):
        groups = [(s, data[data[color] == s]) for s in STATUSES if (data[color] == s).any()]
        styles = {s: STATUS_STYLE[s] for s, _ in groups}
    elif color:
        groups = list(data.groupby(color, sort=False))
        styles = {g: {"color": COLORWAY[k % len(COLORWAY)], "pattern": ""} for k, (g, _) in enumerate(groups)}
    else:
        groups, styles = [(None, data)], {None: {"color": OKABE_ITO["blue"], "pattern": ""}}
    for name, g in groups:
        st = styles[name]
        fig.add_trace(go.Bar(
            x=g[value], y=g[label].astype(str), orientation="h",
            name=(status_text(name) if name in STATUSES else str(name)) if name is not None else _pretty(value),
            marker=dict(color=st["color"], pattern=_pattern(st["pattern"])),
            text=[number(v, unit) for v in g[value]], textposition="outside", cliponaxis=False,
            hovertemplate=f"%{{y}}: {_hover_value(unit, 'x')}" + _EXTRA[name is not None]))
    fig.update_layout(showlegend=color is not None, barmode="overlay",
                      height=max(320, 110 + 34 * len(cats)), uniformtext=dict(minsize=11, mode="show"))
    fig.update_yaxes(categoryorder="array", categoryarray=cats[::-1], title=dict(text=""), showgrid=False,
                     ticks="")
    vmax = float(data[value].max())
    fig.update_xaxes(**_value_axis(unit, x_title or _pretty(value)),
                     range=[min(0.0, float(data[value].min())) * 1.15, max(vmax, target or 0) * 1.18 or 1])
    if target is not None:
        _target_line(fig, target, "Target", horizontal=False, unit=unit)
    top3 = ", ".join(f"{r[label]} ({number(r[value], unit)})" for _, r in data.head(3).iterrows())
    more = f" of {len(df)}" if len(df) > len(data) else ""
    fig.layout.meta["alt"] = (f"Horizontal bar chart of {_pretty(value).lower()} for the top {len(data)}{more} "
                              f"by {_pretty(label).lower()}, largest first: {top3}.")
    return fig


def _fold_groups(data: pd.DataFrame, x: str, y: str, color: str) -> tuple[pd.DataFrame, list]:
    """``data`` with the smallest ``color`` groups summed into one "Other (n)" group when there are more groups
    than house colours (so no two groups share a colour), and the groups largest first ("Other" last)."""
    order = list(data.groupby(color, sort=False, observed=True)[y].sum().sort_values(ascending=False).index)
    if len(order) <= len(COLORWAY):
        return data, order
    keep = order[:len(COLORWAY) - 1]
    other = f"Other ({len(order) - len(keep)})"
    rest = data[~data[color].isin(keep)].groupby(x, as_index=False, sort=True, observed=True)[y].sum()
    rest[color] = other
    return pd.concat([data[data[color].isin(keep)], rest], ignore_index=True), [*keep, other]


def stacked_bars(df: pd.DataFrame, x: str, y: str, color: str, *, title: str, unit: str = "",
                 y_title: str | None = None) -> go.Figure:
    """Vertical bars of ``y`` by ``x`` stacked by ``color``, with each bar's total above it; beyond eight
    groups the smallest are summed into "Other" (grey), so colours never repeat."""
    if _empty(df, x, y, color):
        return no_data(title, _note(df), "stacked bar chart")
    data = df.sort_values(x)
    n_groups = data[color].nunique()  # counted before folding, for the alt text
    shown, order = _fold_groups(data, x, y, color)
    fig = _figure(title, "", _source(df))
    short = {} if _is_time(data[x]) else _axis_labels(data[x], COLUMN_LABEL_CHARS)
    at = (lambda s: s.astype(str).map(short)) if short else (lambda s: s)  # full names in the hover
    for k, name in enumerate(order):
        g = shown[shown[color] == name].sort_values(x)
        colour = GREY if k == len(COLORWAY) - 1 and len(order) < n_groups else COLORWAY[k % len(COLORWAY)]
        fig.add_trace(go.Bar(x=at(g[x]), y=g[y], name=str(name), marker=dict(color=colour),
                             customdata=g[x].astype(str) if short else None,
                             hovertemplate=f"%{{{'customdata' if short else 'x'}}}<br>{_hover_value(unit)}"
                             + _EXTRA[True]))
    totals = data.groupby(x, sort=True)[y].sum()
    fig.add_trace(go.Scatter(x=at(totals.index.to_series()), y=totals.to_numpy(), mode="text", showlegend=False,
                             hoverinfo="skip",
                             text=[number(v, unit) for v in totals], textposition="top center",
                             textfont=dict(size=12, color=GREY)))
    fig.update_layout(barmode="stack", legend=dict(traceorder="normal"))
    fig.update_yaxes(**_value_axis(unit, y_title or _pretty(y)), range=[0, float(totals.max()) * 1.12 or 1])
    if _is_time(data[x]):
        # one tick per bar (bars stand on the month's first day): automatic ticks fall between the bars
        n = data[x].nunique()
        fig.update_xaxes(tickformat="%b %Y", title=dict(text=""), **({"dtick": "M1" if n <= 8 else "M3"}
                                                                     if n <= 18 else {}))
    else:
        fig.update_xaxes(type="category", title=dict(text=_pretty(x)))
    biggest = ", ".join(str(n) for n in order[:3])
    fig.layout.meta["alt"] = (f"Stacked bar chart of {_pretty(y).lower()} by {_pretty(x).lower()} "
                              f"{_range_text(data[x])}, split by {_pretty(color).lower()} ({n_groups} groups, "
                              f"largest {biggest}); highest total {number(totals.max(), unit)} in "
                              f"{month_label(totals.idxmax()) if _is_time(data[x]) else totals.idxmax()}.")
    return fig


def driver_text(d: Driver, *, with_target: bool = True) -> str:
    """A driving KPI as one readable phrase: "reopen rate (%): 4.2% (target <= 5 %)"."""
    measure = re.sub(r"\s*\(%\)", "", d.measure)
    if d.status == NO_DATA or d.value is None or is_missing(d.value):
        reason = f" ({d.detail})" if d.detail and d.status == NO_DATA else ""
        return f"{measure}: no data{reason}" + (f" (target {d.target})" if with_target and d.target and not reason
                                                else "")
    if "%" in d.measure:
        value = pct(d.value)
    elif float(d.value) == int(d.value):
        value = count(d.value)
    else:
        value = f"{float(d.value):,.2f}"
    return f"{measure}: {value}" + (f" (target {d.target})" if with_target and d.target else "")


def _worst_driver(s: AreaStatus) -> Driver | None:
    return s.lead


def scorecard_title(statuses: Sequence[AreaStatus]) -> str:
    """The scorecard's headline: "2 of 9 areas off target, 1 to watch, 3 with no data", or "All 9 areas on
    target" only when every area is measured and on target."""
    counts = {s: sum(a.status == s for a in statuses) for s in STATUSES}
    n = len(statuses)
    if counts["on target"] == n:
        return f"All {n} areas on target"
    if counts[NO_DATA] == n:
        return f"No data for any of the {n} areas"
    parts = [f"{counts['off target']} of {n} areas off target", f"{counts['watch']} to watch"]
    if counts[NO_DATA]:
        parts.append(f"{counts[NO_DATA]} with no data")
    return ", ".join(parts)


def scorecard(statuses: Sequence[AreaStatus], *, title: str | None = None) -> go.Figure:
    """The areas' statuses as a table: area, status (tinted cell, symbol and word) and the KPI driving it."""
    if not statuses:
        return no_data(title or "Scorecard", "no areas were assessed", "scorecard")
    title = title or scorecard_title(statuses)
    areas, words, drivers, tints, inks = [], [], [], [], []
    for a in statuses:
        st = _status_of(a.status)
        d = _worst_driver(a)
        areas.append(f"<b>{AREA_TITLES.get(a.area, a.area)}</b>")
        words.append(f"<b>{st['glyph']} {a.status}</b>")
        drivers.append(driver_text(d) if d else "no KPI measured")
        tints.append(st["tint"])
        inks.append(INK)
    # room for each row to wrap to two lines (a printed A4 column is ~600 px wide): a table cut short scrolls,
    # and paper does not
    fig = _figure(title, "", margin=dict(l=24, r=24, t=80, b=16), height=130 + 62 * len(statuses))
    fig.add_trace(go.Table(
        columnwidth=[2.2, 1.3, 5.5],
        header=dict(values=["<b>Area</b>", "<b>Status</b>", "<b>What drives it</b>"], align="left",
                    fill_color="#F2F2F2", line_color="white", font=dict(size=14, color=INK), height=34),
        cells=dict(values=[areas, words, drivers], align="left", height=40, line_color="white",
                   fill_color=[["white"] * len(statuses), tints, ["white"] * len(statuses)],
                   font=dict(size=14, color=[inks, [_status_of(a.status)["ink"] for a in statuses], inks]))))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    listing = "; ".join(f"{AREA_TITLES.get(a.area, a.area)} {a.status}" for a in statuses)
    fig.layout.meta["alt"] = f"Scorecard table of {len(statuses)} areas with their status and driving KPI: {listing}."
    return fig


_QUARTER = re.compile(r"FY(\d{4})\s?Q([1-4])")


def _quarter_labels(df: pd.DataFrame, start: str, finish: str, start_label: str, finish_label: str,
                    labels: Sequence[str] | None) -> list[str]:
    """Labels for quarters 0..max(finish): given, or extended from the frame's "FY2027Q1"-style labels."""
    n = int(df[finish].max()) + 1
    if labels is not None and len(labels) >= n:
        return [_QUARTER.sub(r"FY\1Q\2", str(s)) for s in labels[:n]]
    known = dict(zip(df[start].astype(int), df[start_label])) | dict(zip(df[finish].astype(int), df[finish_label]))
    idx, lab = next(iter(known.items()))
    m = _QUARTER.search(str(lab))
    if not m:
        return [str(known.get(q, f"Q+{q}")) for q in range(n)]
    first = int(m.group(1)) * 4 + int(m.group(2)) - 1 - idx  # quarter 0, counted in quarters since year 0
    return quarter_labels(first // 4, first % 4 + 1, n)


QUARTER_TICKS_MAX = 8  # beyond this many quarters the roadmap's axis names fiscal years, not quarters
ROADMAP_LABEL_CHARS = 36  # initiative names longer than this are cut on the roadmap (in full in the hover)


def _quarter_axis(qlabels: Sequence[str]) -> tuple[list[float], list[str], list[int]]:
    """Tick positions and texts for the roadmap's quarter axis, and the quarters that start a fiscal year.

    Up to ``QUARTER_TICKS_MAX`` quarters every quarter gets a tick ("FY2028<br>Q1" where a year starts, "Q2" after);
    beyond, one "FY2028" centred over each fiscal year, so labels stay apart at print width (about 600 px).
    Labels that are not "FY2027Q1"-style get every k-th quarter, at most 10 ticks.
    """
    parsed = [_QUARTER.fullmatch(str(q)) for q in qlabels]
    n = len(qlabels)
    if not all(parsed):
        step = max(1, math.ceil(n / 10))
        return list(range(0, n, step)), [str(q) for q in qlabels[::step]], list(range(4, n, 4))
    years = [m.group(1) for m in parsed]
    starts = [q for q in range(1, n) if years[q] != years[q - 1]]
    if n <= QUARTER_TICKS_MAX:
        text = [f"FY{y}<br>Q{m.group(2)}" if q == 0 or q in starts else f"Q{m.group(2)}"
                for q, (y, m) in enumerate(zip(years, parsed))]
        return list(range(n)), text, starts
    spans = zip([0, *starts], [*starts, n])
    return [(a + b - 1) / 2 for a, b in spans], [f"FY{years[a]}" for a in [0, *starts]], starts


def _cut(text: str, limit: int) -> str:
    """``text`` cut at a word boundary with an ellipsis to at most ``limit`` characters."""
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    if text[limit - 1] != " ":  # a word runs across the cut: drop it
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(",;:-– ") + "…"


def _tail_cut(text: str, limit: int, min_tail: int = 6) -> str:
    """``text`` cut in the middle to at most ``limit`` characters, keeping its last words (at least ``min_tail``
    characters of them): "Epic at-the-elbow support and… wave 2"."""
    words = text.split(" ")
    k = 1
    while k < len(words) - 1 and len(" ".join(words[-k:])) < min_tail:
        k += 1
    tail = " ".join(words[-k:])
    return f"{_cut(' '.join(words[:-k]), limit - len(tail) - 1)} {tail}"


def _short_labels(names: Sequence[str], limit: int = ROADMAP_LABEL_CHARS) -> list[str]:
    """Names cut to at most ``limit`` characters, kept distinct so no two initiatives share a row: names whose
    cuts would match keep their last words instead ("… wave 2"), and a repeated name gets a number (" (2)")."""
    names = [str(x) for x in names]
    cuts = [_cut(n, limit) for n in names]
    alike = {c for c in cuts if len({n for n, k in zip(names, cuts) if k == c}) > 1}
    out: list[str] = []
    seen: dict[str, int] = {}
    for name, cut in zip(names, cuts):
        label = _tail_cut(name, limit) if cut in alike else cut
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{_cut(label, limit - 4)} ({seen[label]})")
    return out


# category names under columns longer than this are cut (in full in the hover): they turn, and five of 40
# characters leave a slide-sized chart no height, when plotly.js draws nothing ("Something went wrong with axis
# scaling"), and the deck or the PDF fails
COLUMN_LABEL_CHARS = 24


def _axis_labels(values, limit: int) -> dict[str, str]:
    """Each distinct name's label on a category axis, cut to ``limit`` characters and kept distinct; empty when no
    name needs cutting (the axis then shows the names as they are)."""
    names = list(dict.fromkeys(str(v) for v in values))
    if all(len(n) <= limit for n in names):
        return {}
    return dict(zip(names, _short_labels(names, limit)))


def roadmap(roadmap_df: pd.DataFrame, *, title: str = "Roadmap of the recommended initiatives",
            label: str = "initiative", start: str = "start", finish: str = "finish",
            start_label: str = "start_quarter", finish_label: str = "finish_quarter", cost: str = "capex_usd",
            color: str | None = None, quarter_labels: Sequence[str] | None = None) -> go.Figure:
    """A Gantt chart of ``Portfolio.roadmap()``: one bar per initiative from its start to its finish quarter
    (0-based indexes, labelled "FY2027Q1"), capex at the bar's end, earliest start at the top. Long initiative
    names are shortened on the axis and given in full in the hover; long horizons are labelled by fiscal year."""
    if _empty(roadmap_df, label, start, finish):
        return no_data(title, _note(roadmap_df) or "no initiatives were chosen", "roadmap")
    df = roadmap_df.sort_values([start, finish, label]).reset_index(drop=True)
    df["_row"] = _short_labels(df[label].astype(str))
    qlabels = _quarter_labels(df, start, finish, start_label if start_label in df else start,
                              finish_label if finish_label in df else finish, quarter_labels)
    fig = _figure(title, "", _source(roadmap_df))
    groups = list(df.groupby(color, sort=False)) if color else [(None, df)]
    for k, (name, g) in enumerate(groups):
        fig.add_trace(go.Bar(
            y=g["_row"], x=(g[finish] - g[start] + 1), base=g[start] - 0.5, orientation="h",
            name=str(name) if name is not None else "Initiative",
            marker=dict(color=COLORWAY[k % len(COLORWAY)], line=dict(color="white", width=1)),
            text=[money(v) if cost in g else "" for v in (g[cost] if cost in g else [None] * len(g))],
            textposition="outside", cliponaxis=False,
            customdata=np.stack([[qlabels[int(s)] for s in g[start]], [qlabels[int(f)] for f in g[finish]],
                                 g[label].astype(str)], axis=1),
            hovertemplate="%{customdata[2]}<br>%{customdata[0]} to %{customdata[1]}<extra></extra>"))
    n = len(qlabels)
    fig.update_layout(showlegend=color is not None, barmode="overlay", height=max(300, 130 + 30 * len(df)),
                      margin=dict(t=120, b=24))
    tickvals, ticktext, year_starts = _quarter_axis(qlabels)
    by_year = n > QUARTER_TICKS_MAX  # then a short tick marks each quarter under the fiscal-year labels
    # quarter labels stay level: a year written over its Q1 shares no line with the next quarter's label, though
    # plotly would count it as a clash and turn them all; year labels may turn when the chart is very narrow
    fig.update_xaxes(tickvals=tickvals, ticktext=ticktext, range=[-0.6, n - 0.4 + 0.12 * n], side="top",
                     title=dict(text=""), showgrid=False, ticks="" if by_year else "outside",
                     **({} if by_year else {"tickangle": 0}),
                     minor=dict(tickvals=list(range(n)), ticks="outside", ticklen=4, showgrid=False) if by_year
                     else None)
    # the title moves up (to the top, below its padding) when the tick labels need the room under it
    fig.update_layout(title=dict(automargin=True, pad=dict(t=24)))
    for q in year_starts:  # fiscal-year boundaries
        fig.add_vline(x=q - 0.5, line=dict(color="#BDBDBD", width=1, dash="dot"))
    fig.update_yaxes(categoryorder="array", categoryarray=list(df["_row"])[::-1], title=dict(text=""),
                     showgrid=False, ticks="", dtick=1)
    first, last = qlabels[int(df[start].min())], qlabels[int(df[finish].max())]
    total = f", capex {money(df[cost].sum())} in all" if cost in df else ""
    runs = [f"{r[label]} ({qlabels[int(r[start])]} to {qlabels[int(r[finish])]})" for _, r in df.head(5).iterrows()]
    more = f" and {len(df) - 5} more" if len(df) > 5 else ""
    fig.layout.meta["alt"] = (f"Gantt chart of {len(df)} initiatives from {first} to {last}{total}; "
                              f"in order of start: {', '.join(runs)}{more}.")
    return fig


def frontier(frontier_df: pd.DataFrame, *, x: str = "capex_budget_usd", y: str = "value", scale: str = "scale",
             chosen: str = "n_chosen", title: str = "Portfolio value against the capital budget",
             unit_y: str = "score points") -> go.Figure:
    """The efficient frontier: optimal portfolio value (``y``) for each capital budget (``x``, dollars), the
    current budget (scale 1) highlighted and each point labelled with how many initiatives it funds."""
    if _empty(frontier_df, x, y):
        return no_data(title, _note(frontier_df), "frontier chart")
    df = frontier_df.sort_values(x)
    ok = df.dropna(subset=[y])
    fig = _figure(title, "", _source(frontier_df))
    labels = [f"{int(n)} funded" if chosen in ok and not is_missing(n) else "" for n in
              (ok[chosen] if chosen in ok else [None] * len(ok))]
    fig.add_trace(go.Scatter(x=ok[x], y=ok[y], mode="lines+markers+text", name="Best portfolio",
                             line=dict(color=OKABE_ITO["blue"], width=2.5), marker=dict(size=9),
                             # the last label leans left, so it stays inside the plot
                             text=labels, textposition=["bottom right"] * (len(ok) - 1) + ["bottom left"],
                             textfont=dict(size=12, color=GREY), cliponaxis=False,
                             hovertemplate="budget $%{x:,.0f}<br>value %{y:,.2f}<extra></extra>"))
    if scale in ok:
        cur = ok[np.isclose(ok[scale], 1.0)]
        if not cur.empty:
            fig.add_trace(go.Scatter(x=cur[x], y=cur[y], mode="markers+text", name="Current budget",
                                     marker=dict(size=16, symbol="star", color=OKABE_ITO["orange"],
                                                 line=dict(color=INK, width=1)),
                                     text=["current budget"], textposition="top left",
                                     hovertemplate="current budget $%{x:,.0f}<br>value %{y:,.2f}<extra></extra>"))
    infeasible = df[df[y].isna()]
    if not infeasible.empty:
        fig.add_annotation(text=f"Not feasible at {', '.join(money(v) for v in infeasible[x])} "
                                "(mandatory initiatives do not fit)", xref="paper", yref="paper", x=0, y=-0.22,
                           showarrow=False, font=dict(size=12, color=GREY), xanchor="left")
    fig.update_xaxes(**_value_axis("$", "Capital budget over the horizon"))
    fig.update_yaxes(**_value_axis(unit_y, "Total value"), rangemode="tozero")
    fig.update_layout(showlegend=False)
    if ok.empty:
        fig.layout.meta["alt"] = "Frontier chart: no budget level gives a feasible portfolio."
        return fig
    gain = ok[y].iloc[-1] - ok[y].iloc[0]
    fig.layout.meta["alt"] = (f"Line chart of the best portfolio value for capital budgets from {money(ok[x].min())} "
                              f"to {money(ok[x].max())}: value rises from {ok[y].iloc[0]:,.2f} to "
                              f"{ok[y].iloc[-1]:,.2f} (+{gain:,.2f}).")
    return fig


_RESOURCE_TITLES = {"capex": ("Capital spend", "$"), "opex": ("Added running costs", "$"),
                    "hours": ("Staff hours", "hours")}


def budget_position(totals_df: pd.DataFrame, *, title: str | None = None,
                    resources: Sequence[str] = ("capex", "opex", "hours")) -> go.Figure:
    """Used against budget per fiscal year for each resource (from ``Portfolio.totals``: index fiscal_year,
    columns <resource>_used and <resource>_budget): bars for use, a black tick for the budget, % used on top."""
    res = [r for r in resources if totals_df is not None and f"{r}_used" in totals_df]
    if totals_df is None or totals_df.empty or not res:
        return no_data(title or "Budget position", _note(totals_df), "budget chart")
    df = totals_df.copy()
    years = [str(i) for i in df.index]
    worst = None
    for r in res:
        b = df.get(f"{r}_budget")
        if b is not None:
            share = (df[f"{r}_used"] / b.replace(0, np.nan)).max()
            if not is_missing(share) and (worst is None or share > worst[1]):
                worst = (r, share)
    title = title or (f"The plan uses at most {pct(worst[1], 0, fraction=True)} of any yearly budget"
                      if worst else "Planned use of the yearly budgets")
    fig = make_subplots(rows=1, cols=len(res), subplot_titles=[_RESOURCE_TITLES.get(r, (r, ""))[0] for r in res],
                        horizontal_spacing=0.09)
    fig.update_layout(template=pio.templates["hitplan"], title=dict(text=title), barmode="overlay",
                      legend=dict(x=0.5, xanchor="center"))  # at the foot, as in the house template
    for c, r in enumerate(res, start=1):
        label, unit = _RESOURCE_TITLES.get(r, (r, ""))
        used = df[f"{r}_used"].astype(float)
        budget = df.get(f"{r}_budget", pd.Series(np.nan, index=df.index)).astype(float)
        share = [("no limit" if is_missing(b) or b == 0 else pct(100 * u / b, 0)) for u, b in zip(used, budget)]
        over = [not is_missing(b) and u > b * 1.0000001 for u, b in zip(used, budget)]
        fig.add_trace(go.Bar(x=years, y=used, name="Planned use", showlegend=c == 1, legendgroup="used",
                             marker=dict(color=[OKABE_ITO["vermillion"] if o else OKABE_ITO["blue"] for o in over],
                                         pattern=_pattern(["x" if o else "" for o in over])),
                             hovertemplate=f"%{{x}}: {_hover_value(unit)} used<extra></extra>"), row=1, col=c)
        fig.add_trace(go.Scatter(x=years, y=budget, mode="markers", name="Budget", showlegend=c == 1,
                                 legendgroup="budget",
                                 marker=dict(symbol="line-ew-open", size=40, color=INK, line=dict(width=3, color=INK)),
                                 hovertemplate=f"%{{x}}: {_hover_value(unit)} budget<extra></extra>"), row=1, col=c)
        top = float(np.nanmax(np.concatenate([used.to_numpy(), budget.to_numpy()]))) if len(used) else 1.0
        # the share used sits above the higher of bar and budget tick, so the two never overlap
        fig.add_trace(go.Scatter(x=years, y=np.fmax(used.to_numpy(), budget.fillna(0).to_numpy()), mode="text",
                                 text=share, textposition="top center", showlegend=False, hoverinfo="skip",
                                 cliponaxis=False), row=1, col=c)
        fig.update_yaxes(row=1, col=c, range=[0, (top or 1) * 1.2],
                         **(dict(tickprefix="$", tickformat="~s") if _is_money(unit) else dict(tickformat=",~r")),
                         # only the first panel has an axis title: one between panels would run into the
                         # neighbour's tick labels at print width ("Staff hours" names the unit already)
                         title=dict(text=("Dollars" if _is_money(unit) else "Hours") if c == 1 else ""))
        fig.update_xaxes(row=1, col=c, type="category")
    fig.layout.meta = {"alt": "", **({"source": _source(totals_df)} if _source(totals_df) else {})}
    parts = []
    for r in res:
        budget = df.get(f"{r}_budget", pd.Series(np.nan, index=df.index))
        unit = _RESOURCE_TITLES.get(r, (r, ""))[1]
        of = "with no limit in some years" if budget.isna().any() else f"of {number(budget.sum(), unit)}"
        parts.append(f"{_RESOURCE_TITLES.get(r, (r,))[0].lower()} {number(df[f'{r}_used'].sum(), unit)} {of}")
    fig.layout.meta["alt"] = (f"Bar charts of planned use against budget for {len(years)} fiscal years "
                              f"({years[0]} to {years[-1]}): " + "; ".join(parts) + ".")
    return fig


def tornado(df: pd.DataFrame, *, initiative: str | None = None, title: str | None = None) -> go.Figure:
    """How one initiative's score moves when each criterion weight goes down or up (from ``sensitivity.tornado``);
    the widest swing at the top, the initiative's rank after each change beside its bar. Defaults to the
    initiative ranked first."""
    need = ("criterion", "side", "initiative", "score_change")
    if _empty(df, *need):
        return no_data(title or "Score sensitivity to the weights", _note(df), "tornado chart")
    if initiative is None:
        initiative = (df.sort_values("base_rank")["initiative"].iloc[0] if "base_rank" in df else
                      df["initiative"].iloc[0])
    d = df[df["initiative"] == initiative]
    if d.empty:
        return no_data(title or "Score sensitivity to the weights", f"{initiative} is not in the frame",
                       "tornado chart")
    wide = d.pivot_table(index="criterion", columns="side", values="score_change", aggfunc="first")
    wide = wide.reindex(columns=["-", "+"])
    ranks = (d.pivot_table(index="criterion", columns="side", values="rank", aggfunc="first")
             .reindex(columns=["-", "+"]) if "rank" in d else None)
    wide["swing"] = (wide["+"] - wide["-"]).abs()
    wide = wide.sort_values("swing", ascending=True)
    top = wide.index[-1]
    title = title or f"{initiative}: its score depends most on the weight of {top}"
    fig = _figure(title, "", _source(df))
    for side, name, col, pattern in (("-", "Weight lowered", OKABE_ITO["vermillion"], "/"),
                                     ("+", "Weight raised", OKABE_ITO["blue"], "")):
        text = ([f"rank {int(r)}" if not is_missing(r) else "" for r in ranks.loc[wide.index, side]]
                if ranks is not None else None)
        fig.add_trace(go.Bar(y=list(wide.index), x=wide[side], orientation="h", name=name, text=text,
                             textposition="outside", cliponaxis=False,
                             marker=dict(color=col, pattern=_pattern(pattern)),
                             hovertemplate="%{y}: %{x:+.3f}<extra>" + name + "</extra>"))
    fig.add_vline(x=0, line=dict(color=INK, width=1))
    span = float(np.nanmax(np.abs(wide[["-", "+"]].to_numpy()))) or 0.01
    fig.update_layout(barmode="overlay", height=max(320, 140 + 40 * len(wide)))
    fig.update_xaxes(title=dict(text="Change in score (0-1 scale)"), tickformat="+.2f",
                     range=[-span * 1.45, span * 1.45])
    fig.update_yaxes(title=dict(text=""), showgrid=False, ticks="")
    fig.layout.meta["alt"] = (f"Tornado chart for {initiative}: change in its score when each of {len(wide)} "
                              f"criterion weights is lowered or raised; the largest swing, "
                              f"{wide['swing'].iloc[-1]:.3f}, comes from {top}.")
    return fig


def rank_acceptability(acceptability: pd.DataFrame | np.ndarray, names: Sequence[str] | None = None, *,
                       top: int = 15, title: str | None = None) -> go.Figure:
    """A heatmap of the share of weight samples in which each initiative takes each rank (from
    ``sensitivity.rank_acceptability``: initiatives x ranks, 0-1; a frame's index names the initiatives)."""
    if isinstance(acceptability, np.ndarray):
        a = pd.DataFrame(acceptability, index=list(names) if names is not None else None)
    else:
        a = acceptability.copy()
    if a.empty:
        return no_data(title or "How firm is the ranking?", _note(a if isinstance(a, pd.DataFrame) else None),
                       "rank acceptability chart")
    a.columns = [str(i + 1) for i in range(a.shape[1])]
    a.index = [str(i) for i in a.index]
    expected = (a.to_numpy() * np.arange(1, a.shape[1] + 1)).sum(axis=1)
    a = a.iloc[np.argsort(expected, kind="stable")].head(top)
    a = a.iloc[:, :max(top, 1)]
    first = a.index[0]
    title = title or f"{first} ranks first in {pct(a.iloc[0, 0], 0, fraction=True)} of weight scenarios"
    text = [[(pct(v, 0, fraction=True) if v >= 0.005 else "") for v in row] for row in a.to_numpy()]
    fig = _figure(title, "", None)
    fig.add_trace(go.Heatmap(z=a.to_numpy(), x=list(a.columns), y=list(a.index), zmin=0, zmax=1,
                             colorscale=[[0, "#FFFFFF"], [0.5, "#6BAED6"], [1, "#08306B"]],
                             text=text, texttemplate="%{text}", textfont=dict(size=12),
                             colorbar=dict(title=dict(text="Share of<br>scenarios"), tickformat=".0%"),
                             hovertemplate="%{y}: rank %{x} in %{z:.0%} of scenarios<extra></extra>", xgap=1, ygap=1))
    fig.update_xaxes(title=dict(text="Rank (1 = best)"), side="top", showgrid=False, type="category")
    fig.update_yaxes(autorange="reversed", showgrid=False, ticks="", title=dict(text=""), type="category")
    fig.update_layout(height=max(320, 170 + 32 * len(a)), margin=dict(t=150))
    fig.layout.meta["alt"] = (f"Heatmap of the share of weight scenarios in which each of {len(a)} initiatives takes "
                              f"each rank; {first} ranks first in {pct(a.iloc[0, 0], 0, fraction=True)}.")
    return fig


def forecast_fan(history_df: pd.DataFrame, forecast_df: pd.DataFrame, *, x: str = "month", y: str = "value",
                 forecast: str = "forecast", lower: str = "lower", upper: str = "upper", level: float = 80,
                 title: str, unit: str = "", target: float | None = None, y_title: str | None = None) -> go.Figure:
    """Actuals and a forecast with its prediction interval as a shaded band.

    ``history_df`` has columns ``x`` (dates) and ``y`` (actuals); ``forecast_df`` has ``x``, ``forecast`` (the
    central forecast), ``lower`` and ``upper`` (the ``level`` % prediction interval), all in ``unit``.
    """
    have_hist = not _empty(history_df, x, y)
    have_fc = not _empty(forecast_df, x, forecast)
    if not have_hist and not have_fc:
        return no_data(title, _note(history_df) or _note(forecast_df), "forecast chart")
    fig = _figure(title, "", _source(*(f for f in (history_df, forecast_df) if f is not None)))
    if have_fc:
        fc = forecast_df.sort_values(x)
        if {lower, upper} <= set(fc.columns) and fc[[lower, upper]].notna().any().any():
            fig.add_trace(go.Scatter(x=fc[x], y=fc[upper], mode="lines", line=dict(width=0), showlegend=False,
                                     hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=fc[x], y=fc[lower], mode="lines", line=dict(width=0), fill="tonexty",
                                     fillcolor="rgba(86,180,233,0.30)", name=f"{level:g}% prediction interval",
                                     hoverinfo="skip"))
        xs, ys = list(fc[x]), list(fc[forecast])
        if have_hist:  # join the forecast line to the last actual so the eye follows it
            h_last = history_df.sort_values(x).iloc[-1]
            xs, ys = [h_last[x], *xs], [h_last[y], *ys]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name="Forecast",
                                 line=dict(color=OKABE_ITO["blue"], width=2.5, dash="dash"),
                                 marker=dict(size=6, symbol="circle-open"),
                                 hovertemplate=f"%{{x}}<br>forecast {_hover_value(unit)}<extra></extra>"))
    if have_hist:
        h = history_df.sort_values(x)
        fig.add_trace(go.Scatter(x=h[x], y=h[y], mode="lines+markers", name="Actual",
                                 line=dict(color=INK, width=2.5), marker=dict(size=6),
                                 hovertemplate=f"%{{x}}<br>actual {_hover_value(unit)}<extra></extra>"))
    fig.update_yaxes(**_value_axis(unit, y_title or _pretty(y)))
    xs_all = pd.concat([s for s in ((history_df[x] if have_hist else None), (forecast_df[x] if have_fc else None))
                        if s is not None])
    if _is_time(xs_all):
        fig.update_xaxes(tickformat="%b %Y", title=dict(text=""))
    if target is not None:
        _target_line(fig, target, "Target", horizontal=True, unit=unit)
    alt = f"Line chart of {_pretty(y).lower()}"
    if have_hist:
        alt += f": actuals {_range_text(history_df[x])}, latest {number(history_df.sort_values(x)[y].iloc[-1], unit)}"
    if have_fc:
        end = forecast_df.sort_values(x).iloc[-1]
        band = (f" ({level:g}% interval {number(end[lower], unit)} to {number(end[upper], unit)})"
                if {lower, upper} <= set(forecast_df.columns) and not is_missing(end[lower]) else "")
        when = month_label(end[x]) if _is_time(forecast_df[x]) else str(end[x])
        alt += f"; forecast {number(end[forecast], unit)} by {when}{band}"
    fig.layout.meta["alt"] = alt + "."
    return fig


__all__ = [
    "AREA_TITLES", "COLORWAY", "MISSING", "OKABE_ITO", "STATUS_STYLE", "budget_position", "count", "driver_text",
    "fiscal_quarter", "forecast_fan", "frontier", "money", "month_label", "no_data", "number", "pct",
    "rank_acceptability", "ranked_bars", "roadmap", "scorecard", "stacked_bars", "status_text", "tornado",
    "trend", "use_house_style",
]
