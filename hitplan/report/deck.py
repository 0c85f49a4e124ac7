"""The board deck: a 16:9 PowerPoint with the scorecard, one slide per area, the recommended portfolio and its
roadmap, and the sources, built from the report's sections; it never shows host names, IP addresses or CVE ids.

The deck reads only these fields of a section (``hitplan.report.sections.Section``): key, title, status,
findings, key_numbers, figures and sources. ``deck_from_pack`` builds it from the board pack the board-pack
notebook computed (``hitplan report`` gives that notebook the deck's path as its ``deck_file`` parameter), so the
deck shows exactly the pack's sections, computed once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Emu, Inches, Pt

from hitplan import __version__
from hitplan.analysis import AreaStatus
from hitplan.charts import STATUS_STYLE, driver_text, money, pct, scorecard_title, status_text
from hitplan.report.board import BoardPack
from hitplan.report.context import Context
from hitplan.report.disclosure import BoardDisclosure, disclosures, figure_texts
from hitplan.report.images import figures_to_png
from hitplan.report.quality import data_quality_section

FONT = "Arial"  # metric-compatible Liberation Sans renders it where Arial is missing
INK = RGBColor(0x1A, 0x1A, 0x1A)
GREY = RGBColor(0x5A, 0x5A, 0x5A)
ACCENT = RGBColor(0x00, 0x72, 0xB2)
RULE = RGBColor(0xD9, 0xD9, 0xD9)

# the layout grid (inches): 13.333 x 7.5 slide, 0.5 margins, title band, body, footer
W, H, M = 13.333, 7.5, 0.5
TITLE_TOP, TITLE_H = 0.35, 0.85
BODY_TOP, BODY_BOTTOM = 1.45, 6.85
LEFT_W = 4.5  # left column on content slides: key numbers and findings
GUTTER = 0.35
BODY_PT, LABEL_PT, NUMBER_PT, TITLE_PT, FOOTER_PT = 16, 14, 26, 28, 12
PX_PER_INCH = 80  # chart layout pixels per inch of slide: 14 px chart text reads as ~12.6 pt on the slide

NON_AREA = ("data_quality", "portfolio")
ROADMAP_ROWS = 24  # initiatives on the roadmap slide: more would need chart type below ~10 pt
ROADMAP_ROW_PX = 18  # layout pixels per roadmap row, so 14 px initiative names never touch


def _slide_texts(slide) -> Iterable[str]:
    for shape in slide.shapes:
        if shape.has_text_frame:
            yield shape.text_frame.text
        if getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                for cell in row.cells:
                    yield cell.text
        descr = shape._element.xpath("./*[1]/p:cNvPr/@descr")  # alt text is read aloud: it counts as shown
        yield from descr
    if slide.has_notes_slide:
        yield slide.notes_slide.notes_text_frame.text


def check_board_safe(prs, known_hosts: Iterable[str] = ()) -> None:
    """Raise BoardDisclosure when any slide's text, table or alt text shows an IP address, CVE id or host name (one
    shaped like a machine name, or one of ``known_hosts``: the store's)."""
    for number, slide in enumerate(prs.slides, start=1):
        for text in _slide_texts(slide):
            found = disclosures(text, known_hosts)
            if found:
                kind, what = found[0]
                raise BoardDisclosure(
                    f"slide {number} would show {kind} ({what!r}): board slides must not name hosts, addresses or "
                    "CVEs; build the sections with audience='board' or remove it from the section's text")


def _check_figure(fig: go.Figure, where: str, known_hosts: Iterable[str] = ()) -> None:
    for text in figure_texts(fig):
        if found := disclosures(text, known_hosts):
            kind, what = found[0]
            raise BoardDisclosure(f"the chart on the {where} slide would show {kind} ({what!r}): board charts must "
                                  "not name hosts, addresses or CVEs; build the sections with audience='board'")


# ---------------------------------------------------------------- drawing helpers

def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _fit(text: str, width_in: float, height_in: float, pt: float) -> str:
    """``text`` cut at a word boundary (with an ellipsis) so it fits a box of that size at ``pt`` points."""
    chars_per_line = max(8, int(width_in * 72 / (pt * 0.52)))  # Arial averages ~0.5 em per character
    lines = max(1, int(height_in * 72 / (pt * 1.22)))
    budget = chars_per_line * lines - max(2, lines)  # word wrap wastes about a word per line
    if len(text) <= budget:
        return text
    cut = text[: budget - 1].rsplit(" ", 1)[0].rstrip(",;: ")
    return cut + "…"


def _fitting_pt(text: str, width_in: float, height_in: float, pt: float, smallest: float) -> float:
    """The largest size from ``pt`` down to ``smallest`` at which ``text`` fits the box uncut."""
    while pt > smallest and _fit(text, width_in - 0.1, height_in - 0.05, pt) != text:
        pt -= 1
    return pt


def _textbox(slide, left, top, width, height, text: str, *, pt: float = BODY_PT, bold: bool = False,
             colour: RGBColor = INK, align=PP_ALIGN.LEFT, anchor=MSO_ANCHOR.TOP, fit: bool = True):
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    tf = box.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.04)
    tf.margin_top = tf.margin_bottom = Inches(0.02)
    p = tf.paragraphs[0]
    p.alignment = align
    run = p.add_run()
    run.text = _fit(text, width - 0.1, height - 0.05, pt) if fit else text
    run.font.size, run.font.bold, run.font.name = Pt(pt), bold, FONT
    run.font.color.rgb = colour
    return box


def _bullets(slide, left, top, width, height, items: Sequence[str], *, pt: float = BODY_PT,
             colour: RGBColor = INK) -> None:
    """Sentences as a bulleted list, each cut to its share of the box so none overflows."""
    if not items:
        return
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    tf = box.text_frame
    tf.word_wrap = True
    share = (height - 0.1) / len(items) - 0.08
    for k, item in enumerate(items):
        p = tf.paragraphs[0] if k == 0 else tf.add_paragraph()
        p.space_after = Pt(6)
        run = p.add_run()
        run.text = "• " + _fit(item, width - 0.35, share, pt)
        run.font.size, run.font.name = Pt(pt), FONT
        run.font.color.rgb = colour


def _title(slide, text: str, *, badge: bool = False) -> None:
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(M), Inches(TITLE_TOP + 0.1), Inches(0.08),
                                 Inches(TITLE_H - 0.2))
    bar.fill.solid()
    bar.fill.fore_color.rgb = ACCENT
    bar.line.fill.background()
    _textbox(slide, M + 0.2, TITLE_TOP, W - 2 * M - 0.2 - (2.5 if badge else 0), TITLE_H, text, pt=TITLE_PT, bold=True,
             anchor=MSO_ANCHOR.MIDDLE)


def _badge(slide, status: str | None, left: float, top: float, width: float = 2.3, height: float = 0.55) -> None:
    """The status as a tinted badge with its symbol and word (never colour alone)."""
    st = STATUS_STYLE.get(status or "", None)
    shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(left), Inches(top), Inches(width),
                                   Inches(height))
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(st["tint"]) if st else RGBColor(0xF0, 0xF0, 0xF0)
    shape.line.color.rgb = _rgb(st["color"]) if st else GREY
    shape.line.width = Pt(1.5)
    tf = shape.text_frame
    tf.margin_left = tf.margin_right = Inches(0.05)
    p = tf.paragraphs[0]
    p.alignment = PP_ALIGN.CENTER
    run = p.add_run()
    run.text = status_text(status)
    run.font.size, run.font.bold, run.font.name = Pt(18), True, FONT
    run.font.color.rgb = _rgb(st["ink"]) if st else INK
    shape.name = f"Status: {status or 'not rated'}"


def _footer(slide, left_text: str, number: int, total: int) -> None:
    line = slide.shapes.add_connector(1, Inches(M), Inches(BODY_BOTTOM + 0.12), Inches(W - M),
                                      Inches(BODY_BOTTOM + 0.12))
    line.line.color.rgb = RULE
    _textbox(slide, M, BODY_BOTTOM + 0.18, 9.0, 0.35, left_text, pt=FOOTER_PT, colour=GREY)
    _textbox(slide, W - M - 1.5, BODY_BOTTOM + 0.18, 1.5, 0.35, f"{number} / {total}", pt=FOOTER_PT, colour=GREY,
             align=PP_ALIGN.RIGHT)


def _key_numbers(slide, numbers: Sequence[tuple[str, str]], left: float, top: float, width: float,
                 *, columns: int = 2, tile_h: float = 1.25) -> float:
    """Up to four key numbers as tiles (value large, label below); returns the height used."""
    numbers = list(numbers)[:4]
    if not numbers:
        return 0.0
    tile_w = (width - GUTTER * (columns - 1)) / columns
    for k, (label, value) in enumerate(numbers):
        x = left + (k % columns) * (tile_w + GUTTER)
        y = top + (k // columns) * (tile_h + 0.15)
        rule = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(x), Inches(y), Inches(tile_w), Inches(0.04))
        rule.fill.solid()
        rule.fill.fore_color.rgb = ACCENT
        rule.line.fill.background()
        # a number is never cut: it shrinks to fit its tile (and its label, within reason, too)
        _textbox(slide, x, y + 0.08, tile_w, 0.5, str(value), bold=True,
                 pt=_fitting_pt(str(value), tile_w, 0.5, NUMBER_PT, 12), fit=False)
        _textbox(slide, x, y + 0.6, tile_w, tile_h - 0.63, str(label), colour=GREY,
                 pt=_fitting_pt(str(label), tile_w, tile_h - 0.63, LABEL_PT, LABEL_PT - 3))
    rows = (len(numbers) + columns - 1) // columns
    return rows * (tile_h + 0.15)


def _picture(slide, png: Path, alt: str, left: float, top: float, width: float, height: float) -> None:
    """The chart image fitted (aspect kept) and centred in the box, with ``alt`` as its description."""
    from PIL import Image

    with Image.open(png) as im:
        ratio = im.width / im.height
    w, h = (width, width / ratio) if width / ratio <= height else (height * ratio, height)
    pic = slide.shapes.add_picture(str(png), Inches(left + (width - w) / 2), Inches(top), Inches(w), Inches(h))
    pic._element.nvPicPr.cNvPr.set("descr", alt)  # python-pptx has no public setter for alt text
    pic.name = "Chart"


def _table(slide, header: Sequence[str], rows: Sequence[Sequence[str]], left: float, top: float, width: float,
           col_widths: Sequence[float], *, fills: Sequence[Sequence[str | None]] | None = None,
           inks: Sequence[Sequence[str | None]] | None = None, row_h: float = 0.42, pt: float = 14) -> None:
    table = slide.shapes.add_table(len(rows) + 1, len(header), Inches(left), Inches(top), Inches(width),
                                   Inches(row_h * (len(rows) + 1))).table
    total = sum(col_widths)
    for j, w in enumerate(col_widths):
        table.columns[j].width = Emu(int(Inches(width) * w / total))
    for i in range(len(rows) + 1):
        table.rows[i].height = Inches(row_h)
    for i, values in enumerate([list(header), *rows]):
        for j, value in enumerate(values):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(0.08)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            col_in = width * col_widths[j] / total
            tf = cell.text_frame
            tf.word_wrap = True
            run = tf.paragraphs[0].add_run()
            run.text = _fit(str(value), col_in - 0.2, row_h, pt)
            run.font.size, run.font.name, run.font.bold = Pt(pt), FONT, i == 0
            fill = "F2F2F2" if i == 0 else ((fills[i - 1][j] if fills else None) or "FFFFFF")
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(fill)
            ink = (inks[i - 1][j] if inks and i else None)
            run.font.color.rgb = _rgb(ink) if ink else INK


# ---------------------------------------------------------------- slides

class _Deck:
    """Slides being built, with the figures they need exported in one batch at the end."""

    def __init__(self, hospital: str, period_label: str, hosts: frozenset[str] = frozenset()) -> None:
        self.hosts = hosts  # the store's host names: no slide or chart may show one
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(W), Inches(H)
        self.blank = self.prs.slide_layouts[6]
        self.footer = f"{hospital} · IT management report · {period_label}"
        self.pending: list[tuple[Any, go.Figure, str, tuple[float, float, float, float], float | None]] = []

    def slide(self, title: str | None, *, badge: bool = False):
        s = self.prs.slides.add_slide(self.blank)
        if title:
            _title(s, title, badge=badge)
        return s

    def chart(self, slide, fig: go.Figure, alt: str, box: tuple[float, float, float, float], where: str, *,
              ppi: float | None = None) -> None:
        """Queue ``fig`` for ``box`` (``ppi``: layout pixels per slide inch, when the chart needs more than the
        default to fit its rows)."""
        _check_figure(fig, where, self.hosts)
        self.pending.append((slide, fig, alt, box, ppi))

    def place_charts(self, tmp: Path) -> None:
        sized = []
        for _, fig, _, (_, _, w, h), ppi in self.pending:
            f = go.Figure(fig)
            # sized for its slot so chart text stays readable once the image is scaled onto the slide; small
            # slots get more pixels per inch and tighter margins so the plot area is not squeezed out (legends
            # sit at the chart's foot, so the top margin only holds the title)
            ppi = ppi or (PX_PER_INCH if w >= 7 else PX_PER_INCH * 1.25)
            f.update_layout(width=int(w * ppi), height=int(h * ppi), title=dict(font=dict(size=18)))
            if w < 7:
                f.update_layout(margin=dict(t=56, b=44, l=64, r=24))
                if _legend_entries(f) > 3:  # rows of legend under a short chart would leave it no height
                    # beside the plot, from its top down as far as the image goes: the plot alone is too short
                    # for 8 entries (a legend placed mid-container makes plotly.js fail to draw the chart)
                    f.update_layout(legend=dict(orientation="v", xref="paper", x=1.02, xanchor="left",
                                                yref="paper", y=1, yanchor="top", maxheight=int(h * ppi) - 64,
                                                font=dict(size=13)))
            sized.append(f)
        pngs = figures_to_png(sized, tmp, scale=2.5) if sized else []
        for (slide, _, alt, box, _), png in zip(self.pending, pngs):
            _picture(slide, png, alt, *box)

    def number_slides(self) -> None:
        total = len(self.prs.slides)
        for k, s in enumerate(self.prs.slides, start=1):
            if k > 1:
                _footer(s, self.footer, k, total)


def _legend_entries(fig: go.Figure) -> int:
    """How many entries the figure's legend shows (0 when it has none)."""
    if fig.layout.showlegend is False:
        return 0
    return sum(1 for t in fig.data if t.showlegend is not False and t.name)


def _alt_text(caption: str, fig: go.Figure) -> str:
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    alt = meta.get("alt") or ""
    return f"{caption}. {alt}".strip(". ") if caption and alt and caption not in alt else (alt or caption)


def _title_slide(d: _Deck, hospital: str, period_label: str, as_of: dt.date | str) -> None:
    s = d.slide(None)
    band = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, Inches(0.35), Inches(H))
    band.fill.solid()
    band.fill.fore_color.rgb = ACCENT
    band.line.fill.background()
    _textbox(s, 1.0, 2.0, 11.3, 1.1, hospital, pt=40, bold=True)
    _textbox(s, 1.0, 3.15, 11.3, 0.7, f"IT management report · {period_label}", pt=24, colour=GREY)
    as_of_text = f"{as_of.day} {as_of:%B %Y}" if isinstance(as_of, dt.date) else str(as_of)
    _textbox(s, 1.0, 4.2, 11.3, 0.5, f"Data as of {as_of_text}", pt=18)
    _textbox(s, 1.0, 6.3, 11.3, 0.45, f"Prepared by hitplan {__version__}", pt=14, colour=GREY)


def _scorecard_slide(d: _Deck, statuses: Sequence[AreaStatus], titles: Mapping[str, str]) -> None:
    s = d.slide(scorecard_title(statuses))
    rows, fills, inks = [], [], []
    for a in statuses:
        worst = a.lead  # the driver behind the status (for "no data": an unmeasured one, with its reason)
        st = STATUS_STYLE.get(a.status)
        rows.append([titles.get(a.area, a.area), status_text(a.status),
                     driver_text(worst) if worst else "no KPI measured"])
        fills.append([None, st["tint"] if st else None, None])
        inks.append([None, st["ink"] if st else None, None])
    row_h = min(0.48, (BODY_BOTTOM - BODY_TOP - 0.1) / (len(rows) + 1))
    _table(s, ["Area", "Status", "What drives it"], rows, M, BODY_TOP, W - 2 * M, [3.4, 1.7, 7.2], fills=fills,
           inks=inks, row_h=row_h, pt=14 if row_h >= 0.4 else 12)


def _content_slide(d: _Deck, sec) -> None:
    """An area (or data-quality) slide: status badge, key numbers and headline sentences, one or two charts."""
    badge = sec.status is not None or sec.key not in NON_AREA
    s = d.slide(sec.title, badge=badge)
    if badge:
        _badge(s, sec.status, W - M - 2.3, TITLE_TOP + 0.15)
    figs = [(c, f) for c, f in (sec.figures or [])][:2]
    findings = list(sec.findings or [])[:2]
    if len(figs) <= 1:
        used = _key_numbers(s, sec.key_numbers or [], M, BODY_TOP, LEFT_W)
        _bullets(s, M, BODY_TOP + used + 0.1, LEFT_W, BODY_BOTTOM - BODY_TOP - used - 0.15, findings)
        box = (M + LEFT_W + GUTTER, BODY_TOP, W - 2 * M - LEFT_W - GUTTER, BODY_BOTTOM - BODY_TOP - 0.05)
        if figs:
            caption, fig = figs[0]
            d.chart(s, fig, _alt_text(caption, fig), box, sec.title)
        else:
            _textbox(s, *box, "No chart for this period.", colour=GREY)
        return
    # two charts: key numbers across the top, findings under them, charts side by side below
    width = W - 2 * M
    used = _key_numbers(s, sec.key_numbers or [], M, BODY_TOP, width, columns=4, tile_h=1.05)
    top = BODY_TOP + used
    _bullets(s, M, top, width, 1.4, findings)
    chart_top = top + 1.35
    chart_w = (width - GUTTER) / 2
    for k, (caption, fig) in enumerate(figs):
        d.chart(s, fig, _alt_text(caption, fig), (M + k * (chart_w + GUTTER), chart_top, chart_w,
                                                  BODY_BOTTOM - chart_top - 0.05), sec.title)


def _portfolio_slides(d: _Deck, portfolio, sec, names: Mapping[str, str] | None) -> None:
    rm = portfolio.roadmap()
    s = d.slide(sec.title if sec is not None else "Recommended portfolio")
    table_w = 8.2
    if rm.empty:
        _textbox(s, M, BODY_TOP, table_w, 0.6, "No initiative fits the budgets in this horizon.", colour=GREY)
    else:
        max_rows = 9
        shown = rm.head(max_rows)
        rows = [[_board_name(r.initiative, names, d.hosts), r.start_quarter, r.finish_quarter, money(r.capex_usd)]
                for r in shown.itertuples()]
        if len(rm) > max_rows:
            rows.append([f"… and {len(rm) - max_rows} more (see the full report)", "", "",
                         money(rm["capex_usd"].iloc[max_rows:].sum())])
        rows.append(["Total", "", "", money(rm["capex_usd"].sum())])
        _table(s, ["Initiative", "Start", "Finish", "Capex"], rows, M, BODY_TOP, table_w, [4.7, 1.3, 1.3, 1.0],
               row_h=0.42)
    right = M + table_w + GUTTER
    right_w = W - M - right
    numbers = list(sec.key_numbers)[:4] if sec is not None and sec.key_numbers else [
        ("initiatives funded", str(len(rm))), ("capex in the horizon", money(rm["capex_usd"].sum() if len(rm) else 0))]
    used = _key_numbers(s, numbers, right, BODY_TOP, right_w)
    if sec is not None:
        # the board needs what is funded and what binds (and what more would buy) more than the ranking's top
        fs = list(sec.findings)
        pick = [f for f in fs if f.startswith("Within the")][:1] + [f for f in fs if f.startswith("What binds")][:1]
        _bullets(s, right, BODY_TOP + used + 0.1, right_w, BODY_BOTTOM - BODY_TOP - used - 0.15, pick or fs[:2])
    from hitplan.charts import budget_position  # chart for the slide after the roadmap

    _roadmap_slide(d, portfolio, rm, names)
    fig = budget_position(portfolio.totals)
    s = d.slide("Budget position by fiscal year")
    d.chart(s, fig, fig.layout.meta["alt"], (M, BODY_TOP, W - 2 * M, BODY_BOTTOM - BODY_TOP - 0.05),
            "budget position")
    realized = next((t for title, t in (sec.tables if sec is not None else []) if title.startswith("Benefits realized")),
                    None)
    if realized is not None and len(realized):
        s = d.slide("Did the done initiatives deliver?")
        rows = []
        for r in realized.head(8).to_dict("records"):
            achieved, promised = r.get("P1/P2 reduction achieved (%)"), r.get("promised (%)")
            rows.append([_board_name(r["name"], None, d.hosts), str(r.get("finished"))[:10],
                         pct(achieved, 0) if achieved == achieved and achieved is not None else "–",
                         pct(promised, 0) if promised == promised and promised is not None else "–", r["verdict"]])
        _table(s, ["Initiative", "Finished", "P1/P2 reduction achieved", "Promised", "Verdict"], rows, M, BODY_TOP,
               W - 2 * M, [4.6, 1.6, 2.4, 1.4, 2.4], row_h=0.42)
        _textbox(s, M, BODY_TOP + 0.42 * (len(rows) + 1) + 0.2, W - 2 * M, 0.8,
                 "P1/P2 incidents on each initiative's systems before and after it finished, against comparable systems "
                 "it did not touch (difference in differences, 90 % interval); 'delivered' when the whole interval "
                 "is a fall.", colour=GREY)


def _board_name(initiative: str, names: Mapping[str, str] | None, hosts: Iterable[str] = ()) -> str:
    """An initiative's name for the board: its id only when it has no name or when the name would show a host
    name (one of ``hosts`` too), an address or a CVE id (the guard would stop the deck)."""
    name = str((names or {}).get(initiative) or initiative)
    return name if not disclosures(name, hosts) else str(initiative)


def _roadmap_slide(d: _Deck, portfolio, rm, names: Mapping[str, str] | None) -> None:
    """The roadmap chart with the initiatives' names (shortened by the chart, in full in its hover), the first
    ``ROADMAP_ROWS`` to start when there are more, drawn with room for every row's label."""
    from hitplan.charts import roadmap

    box = (M, BODY_TOP, W - 2 * M, BODY_BOTTOM - BODY_TOP - 0.05)
    s = d.slide("Roadmap: when each initiative runs")
    shown = rm.sort_values(["start", "finish"], kind="stable").head(ROADMAP_ROWS)
    shown = shown.assign(initiative=[_board_name(i, names, d.hosts) for i in shown["initiative"]])
    # the slide title names the chart; a chart title only says when some initiatives are left out
    title = (f"The first {ROADMAP_ROWS} of {len(rm)} initiatives to start (all are in the full report)"
             if len(rm) > ROADMAP_ROWS else "")
    fig = roadmap(shown, title=title or "Roadmap of the recommended initiatives",
                  quarter_labels=portfolio.quarter_labels or None)
    if not rm.empty:
        fig.update_layout(title=dict(text=title), margin=dict(t=80 if title else 24))
    needed = len(shown) * ROADMAP_ROW_PX + (130 if title else 80)  # rows, axis labels, title, bottom margin
    d.chart(s, fig, fig.layout.meta["alt"], box, "roadmap", ppi=max(PX_PER_INCH, needed / box[3]))


def _sources_slide(d: _Deck, sections: Sequence[Any]) -> None:
    s = d.slide("Sources and method")
    method = [
        "Each area's status is the worst of its driving KPIs against thresholds set in hitplan's KPI configuration "
        "(hitplan/kpi/config.yaml, each with its source); a KPI whose data is missing is not measured: an area "
        "with none measured shows 'no data' (grey), one only partly measured is at best 'watch'.",
        "Initiatives are scored on weighted criteria from the store's evidence; the portfolio is the exact best "
        "choice within each fiscal year's capex, opex and staff-hour budgets.",
        "Personal identifiers are pseudonymized when data is loaded; these slides show no host names, network "
        "addresses or vulnerability ids.",
    ]
    _bullets(s, M, BODY_TOP, 5.6, BODY_BOTTOM - BODY_TOP - 0.1, method, pt=BODY_PT)
    lines = []
    for sec in sections:
        srcs = [x for x in (sec.sources or []) if x]
        if srcs:
            models = sorted({m.group(0) for x in srcs for m in re.finditer(r"\b(?:mart|int|stg)_[a-z0-9_]+", x)})
            lines.append(f"{sec.title}: {', '.join(models) if models else '; '.join(srcs)}")
    if not lines:
        lines = ["No sources were recorded for these sections."]
    room = 8
    if len(lines) > room:
        lines = lines[: room - 1] + [f"… and {len(lines) - room + 1} more sections: see the HTML report"]
    right = M + 5.6 + GUTTER
    _textbox(s, right, BODY_TOP, W - M - right, 0.4, "Where the numbers come from (store models)", pt=14, bold=True,
             colour=GREY)
    _bullets(s, right, BODY_TOP + 0.45, W - M - right, BODY_BOTTOM - BODY_TOP - 0.55, lines, pt=14)


def build_deck(sections: Sequence[Any], out_path: str | os.PathLike, *, hospital: str, period_label: str,
               as_of: dt.date | str, scorecard_statuses: Sequence[AreaStatus], portfolio=None,
               initiative_names: Mapping[str, str] | None = None, known_hosts: Iterable[str] = ()) -> Path:
    """Write the board deck to ``out_path`` atomically (title, scorecard, one slide per area, data quality, the
    portfolio with its roadmap and budget position when given, sources and method) and return the path; no slide
    may show an IP address, a CVE id or a host name (``known_hosts``: the store's)."""
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    by_key = {sec.key: sec for sec in sections}
    titles = {sec.key: sec.title for sec in sections}
    d = _Deck(hospital, period_label, frozenset(h.lower() for h in known_hosts if h))
    _title_slide(d, hospital, period_label, as_of)
    if scorecard_statuses:
        _scorecard_slide(d, scorecard_statuses, titles)
    for sec in sections:
        if sec.key not in NON_AREA:
            _content_slide(d, sec)
    if "data_quality" in by_key:
        _content_slide(d, by_key["data_quality"])
    if portfolio is not None:
        _portfolio_slides(d, portfolio, by_key.get("portfolio"), initiative_names)
    elif "portfolio" in by_key:
        _content_slide(d, by_key["portfolio"])
    _sources_slide(d, sections)
    check_board_safe(d.prs, d.hosts)  # before the (slow) chart export; again after, for alt text and footers
    with tempfile.TemporaryDirectory(prefix="hitplan-deck-") as tmp:
        d.place_charts(Path(tmp))
        d.number_slides()
        check_board_safe(d.prs, d.hosts)
        fd, part = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}-", suffix=".pptx.part")
        os.close(fd)
        try:
            d.prs.save(part)
            os.replace(part, out)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    return out


def deck_from_pack(pack: BoardPack, ctx: Context, out_path: str | os.PathLike) -> Path:
    """Build the board deck from a computed board pack (``hitplan.report.board.board_pack``) and its run's context:
    the nine areas for the board audience, the scorecard, data quality and the recommended portfolio."""
    pr = pack.prioritization
    sections = [*pack.areas, data_quality_section(ctx.con, ctx.as_of, ctx.settings), pack.portfolio]
    names = dict(zip(pr.ranking["initiative_id"], pr.ranking["name"])) if not pr.ranking.empty else None
    return build_deck(sections, out_path, hospital=ctx.hospital, period_label=ctx.period.label, as_of=ctx.as_of,
                      scorecard_statuses=[a.area_status for a in pack.areas], portfolio=pr.portfolio,
                      initiative_names=names, known_hosts=pack.hosts)
