"""Showing a report section in a notebook: the findings as sentences, the key numbers as a small table, the
figures and the detail tables, so that a notebook cell is one call."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hitplan.analysis import NO_DATA
from hitplan.charts import status_text
from hitplan.formatting import MISSING
from hitplan.report.escape import escaped_figure, html_text, markdown_text
from hitplan.report.sections import Section

MAX_ROWS = 15
_plotly_js_shown = False  # plotly.js goes into the first figure's HTML of a kernel, once


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA or v is pd.NaT:
        return MISSING  # a value not measured shows as a gap, never as 0 or an empty cell that reads as nothing
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"
    return str(v)


def table_html(df: pd.DataFrame, caption: str = "", max_rows: int = MAX_ROWS) -> str:
    """A detail table as plain HTML: readable headers, formatted cells, at most ``max_rows`` rows."""
    shown = df.head(max_rows)
    head = "".join(f"<th>{html_text(str(c).replace('_', ' '))}</th>" for c in shown.columns)
    body = "".join("<tr>" + "".join(f"<td>{html_text(_cell(v))}</td>" for v in row) + "</tr>"
                   for row in shown.itertuples(index=False))
    more = f"<p><em>{len(df) - max_rows:,} more rows not shown.</em></p>" if len(df) > max_rows else ""
    cap = f"<caption style='text-align:left;font-weight:bold'>{html_text(caption)}</caption>" if caption else ""
    note = df.attrs.get("note")
    note_html = f"<p><em>Note: {html_text(note)}</em></p>" if note and not df.empty else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}{note_html}"


def show_figure(fig) -> None:
    """Display a plotly figure as plotly's notebook renderers do, without their start-up cost: the plotly
    mimetype (drawn by JupyterLab) and standalone HTML (drawn in exported reports, with plotly.js embedded in the
    first figure: no CDN, no MathJax), both with the figure's text escaped. ``fig.show()`` imports nbformat and
    jsonschema for a version check, about 3 s per kernel."""
    global _plotly_js_shown
    import plotly.io as pio
    from IPython.display import display

    safe = escaped_figure(fig)
    bundle = {
        "application/vnd.plotly.v1+json": safe,
        "text/html": pio.to_html(safe, include_plotlyjs=not _plotly_js_shown, include_mathjax=False,
                                 full_html=False, default_width="100%", default_height=525, validate=False),
    }
    _plotly_js_shown = True
    display(bundle, raw=True)


def section_markdown(section: Section, *, level: int = 2, heading: bool = True) -> str:
    """The section's title (unless ``heading`` is False), status, findings and key numbers as Markdown, each of
    them plain text (escaped)."""
    md = markdown_text
    lines = [f"{'#' * level} {md(section.title)}"] if heading else []
    if section.status:
        lines.append(f"**Status: {md(status_text(section.status))}**")
        why = section.area_status.reason if section.area_status else ""
        if why and section.status == NO_DATA:  # say why nothing could be measured
            lines.append(f"*Why no data: {md(why)}*")
    lines += [f"- {md(f)}" for f in section.findings]
    if section.key_numbers:
        lines += ["", "| Key number | Value |", "|---|---|"]
        lines += [f"| {md(label)} | {md(value)} |" for label, value in section.key_numbers]
    return "\n".join(lines)


def show(section: Section, *, figures: int | None = None, tables: bool = True, level: int = 2,
         heading: bool = True, max_rows: int = MAX_ROWS) -> None:
    """Display a section in a notebook: findings and key numbers, then its figures (the first ``figures`` of
    them, all by default), then its detail tables and sources."""
    from IPython.display import HTML, Markdown, display

    display(Markdown(section_markdown(section, level=level, heading=heading)))
    for _, fig in section.figures[:figures]:
        show_figure(fig)
    if tables:
        for caption, df in section.tables:
            display(HTML(table_html(df, caption, max_rows)))
    if section.sources:
        items = "".join(f"<li>{html_text(x)}</li>" for x in section.sources)
        display(HTML(f"<details><summary><small>Sources of these numbers</small></summary><small><ul>{items}</ul>"
                     "</small></details>"))


def show_findings(section: Section) -> None:
    """Display only the section's findings as a bulleted list."""
    from IPython.display import Markdown, display

    display(Markdown("\n".join(f"- {markdown_text(f)}" for f in section.findings)))


def show_header(ctx, what: str) -> None:
    """The report's scope in one line: hospital, what, period with its dates, and the as-of day."""
    from IPython.display import Markdown, display

    p, md = ctx.period, markdown_text
    display(Markdown(f"**{md(ctx.hospital)}** {md(f'- {what} for')} **{md(p.label)}** "
                     + md(f"({p.start:%d %b %Y} to {p.last_day:%d %b %Y}); data as of {ctx.as_of:%d %b %Y}.")))


def show_text(text: str) -> None:
    """Display a computed paragraph (e.g. the board summary), plain text, as Markdown."""
    from IPython.display import Markdown, display

    display(Markdown(markdown_text(text)))
