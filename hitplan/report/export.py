"""Exports of executed notebooks: HTML pages with the code hidden and the charts working offline, a PDF printed by
headless Chromium from a static copy of a page (charts as SVG images, no script), and the index page of a report
folder."""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import subprocess
import tempfile
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from hitplan import __version__
from hitplan.errors import ReportError
from hitplan.report.browser import chrome_flags
from hitplan.report.escape import html_text

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"

# Anything a browser would fetch by itself: scripts, styles, images, frames, fonts and CSS imports from elsewhere.
_FETCHING = re.compile(
    r"""<(?:script|img|iframe|source|embed|audio|video)\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]+"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]+"""
    r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//[^"')\s]+"""
    r"""|url\(\s*["']?\s*(?:https?:)?//[^"')\s]+""",
    re.IGNORECASE,
)


def network_references(page: str) -> list[str]:
    """The places in an HTML page that would make a browser fetch something from the network (empty when offline)."""
    return [m.group(0)[:160] for m in _FETCHING.finditer(page)]


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """The notebook's first Markdown heading, else ``default``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if m := re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE):
                return re.sub(r"[*_`]", "", m.group(1)).strip()
    return default


# plotly's notebook renderer adds MathJax from a CDN to every chart (hard-coded); our charts use no LaTeX.
_MATHJAX_CDN = re.compile(r"""<script\s+src=["']https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"']+["']\s*>\s*</script>""")


def _for_readers(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as readers see it: no warnings written to stderr (they go to the manifest) and nothing that
    loads from the network."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            for o in cell.outputs:
                page = o.get("data", {}).get("text/html")
                if page:
                    o["data"]["text/html"] = _MATHJAX_CDN.sub("", "".join(page) if isinstance(page, list) else page)
    return nb


def stderr_text(nb: nbformat.NotebookNode) -> list[str]:
    """Warnings the notebook printed while it ran, one entry per output, for the manifest."""
    return [o.get("text", "").strip()[:500] for cell in nb.cells if cell.cell_type == "code"
            for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == "stderr"
            and o.get("text", "").strip()]


def notebook_html(nb_path: Path, out: Path, *, hospital: str, period: str, fingerprint: str) -> str:
    """Write an executed notebook as an HTML page with the code hidden; returns the page's title."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(nb_path, as_version=4)
    title = notebook_title(nb, nb_path.stem)
    nb.metadata["title"] = f"{title} - {hospital}"
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(template_name="hitplan", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    # cells tagged notebook-only (how to change the parameters) are for people in JupyterLab, not report readers
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"notebook-only"}), enabled=True)
    resources = {"hitplan_css": (HERE / "report.css").read_text(encoding="utf-8"), "hitplan_version": __version__,
                 "hitplan_hospital": hospital, "hitplan_period": period, "hitplan_fingerprint": fingerprint,
                 "hitplan_generated": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}
    page, _ = exporter.from_notebook_node(_for_readers(nb), resources=resources)
    found = network_references(page)
    if found:
        raise ReportError(f"{out.name} would load from the network ({found[0]}); the report must work offline")
    _write(out, page)
    return title


# ---------------------------------------------------------------- the page printed to PDF

# Chrome has no command-line switch that turns script off for --print-to-pdf (--blink-settings=scriptEnabled=false
# is ignored by the headless shell: checked on Chromium 156), so the printed page forbids it itself: a
# Content-Security-Policy with script-src 'none' stops inline and event-handler script and javascript: links.
_NO_SCRIPT_POLICY = "script-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'"
# plotly gives each chart's wrapper a fixed height (in print the image sets it); a section's closed list of sources
# stays with the chart above it rather than alone on a page
_PRINT_STYLE = ("img.hitplan-chart { display: block; max-width: 100%; height: auto; break-inside: avoid; }\n"
                "div:has(> img.hitplan-chart) { height: auto !important; }\n"
                ".jp-OutputArea-child:has(details) { break-before: avoid; }")
# layout pixels of a chart image, shown at that many CSS pixels (6.8 in) or the column's width if narrower: the
# size the interactive charts printed at, so chart text keeps its size on paper
PRINT_CHART_WIDTH = 650

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_JSON_GAP = re.compile(r"[\s,]*")
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "poster", "background"}


class _ActiveContent(HTMLParser):
    """Collects what a browser would run in a page: script and frame elements, event handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "frame", "object", "embed", "applet", "portal"):
            self.found.append(f"<{tag}> element")
        for name, value in attrs:
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name.startswith("on"):
                self.found.append(f"{name} attribute on <{tag}>")
            elif name in _URL_ATTRS and url.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.found.append(f"{name}={url[:30]} on <{tag}>")
            elif tag == "meta" and (value or "").lower() == "refresh":
                self.found.append("<meta http-equiv=refresh>")

    handle_startendtag = handle_starttag


def active_content(page: str) -> list[str]:
    """What in an HTML page would run script or load a frame (empty for a page that is only text and images)."""
    parser = _ActiveContent()
    parser.feed(page)
    parser.close()
    return parser.found


def _drawn_figure(script: str) -> tuple[str, dict] | None:
    """The div id and the figure (data and layout) a plotly script draws; None for any other script."""
    at = script.find("Plotly.newPlot(")
    if at < 0:
        return None
    decoder, pos, values = json.JSONDecoder(), at + len("Plotly.newPlot("), []
    try:
        for _ in range(3):  # the div id, the traces, the layout (plotly writes them as JSON)
            pos = _JSON_GAP.match(script, pos).end()
            value, pos = decoder.raw_decode(script, pos)
            values.append(value)
    except json.JSONDecodeError as exc:
        raise ReportError(f"a chart's script could not be read for print: {exc}") from exc
    div_id, data, layout = values
    return str(div_id), {"data": data, "layout": layout}


# Title characters that fit on one line of a print-width chart; plotly cuts a longer title instead of wrapping it.
PRINT_TITLE_CHARS = 58


def _title_wrapped(fig: dict) -> dict:
    """A copy of a figure whose title is broken at word boundaries to fit a print-width chart."""
    title = fig.get("layout", {}).get("title")
    text = title.get("text") if isinstance(title, dict) else None
    if not isinstance(text, str) or len(text) <= PRINT_TITLE_CHARS or "<br>" in text:
        return fig
    # Escaped text has no spaces inside an entity, and long words are never split, so no entity is cut in two.
    lines = textwrap.wrap(text, PRINT_TITLE_CHARS, break_long_words=False, break_on_hyphens=False)
    return {**fig, "layout": {**fig["layout"], "title": {**title, "text": "<br>".join(lines)}}}


def printable_page(page: str) -> str:
    """A report page as it is printed: every interactive chart replaced by a static SVG image of it (drawn by
    kaleido from the same escaped figure), every script removed, script forbidden by the page's policy; raises
    ReportError if anything active is left."""
    from hitplan.report.images import drawn_figures_to_svg

    charts = [found for m in _SCRIPT.finditer(page) if (found := _drawn_figure(m.group(0)))]
    svgs = drawn_figures_to_svg([_title_wrapped(fig) for _, fig in charts], width=PRINT_CHART_WIDTH)
    out = _SCRIPT.sub("", page)
    for (div_id, fig), svg in zip(charts, svgs):
        layout = fig["layout"]
        meta = layout.get("meta") if isinstance(layout.get("meta"), dict) else {}
        title = layout.get("title", {}).get("text", "") if isinstance(layout.get("title"), dict) else ""
        alt = html.unescape(str(meta.get("alt") or title or "chart"))  # chart text is escaped for plotly
        src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        img = f'<img class="hitplan-chart" alt="{html_text(alt)}" src="{src}">'
        out, n = re.subn(rf'<div\b[^>]*\bid="{re.escape(div_id)}"[^>]*>\s*</div>', lambda _m: img, out)
        if n != 1:
            raise ReportError(f"the place of chart {div_id} was found {n} times in the page, not once")
    head = (f'<meta http-equiv="Content-Security-Policy" content="{_NO_SCRIPT_POLICY}">'
            f"<style>{_PRINT_STYLE}</style>")
    out, n = _HEAD.subn(lambda m: m.group(0) + head, out, count=1)
    if n != 1:
        raise ReportError("the page to print has no <head> to put its no-script policy in")
    if found := active_content(out):
        raise ReportError(f"the page to print would still run script: {', '.join(sorted(set(found))[:3])}")
    return out


def chrome_pdf(page: Path, pdf: Path, chrome: Path, *, timeout: float = 180.0) -> Path:
    """Print an HTML file as it is to PDF with headless Chrome (``pdf`` appears whole or not at all)."""
    with tempfile.TemporaryDirectory(prefix="hitplan-chrome-") as profile:
        tmp = pdf.with_name(f".{pdf.name}.part")
        cmd = [str(chrome), *chrome_flags(profile), "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={tmp}", page.resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"printing {page.name} to PDF took over {timeout:.0f} s; Chrome was stopped") from exc
        if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ReportError(f"Chrome could not print {page.name} to PDF: {last}")
        tmp.replace(pdf)
    return pdf


def html_to_pdf(page: Path, pdf: Path, chrome: Path, *, timeout: float = 180.0) -> Path:
    """Print a report page to PDF from its static copy (``printable_page``: charts as SVG images, no script, script
    forbidden while Chrome prints)."""
    with tempfile.TemporaryDirectory(prefix="hitplan-print-") as tmp:
        static = Path(tmp) / page.name
        static.write_text(printable_page(page.read_text(encoding="utf-8")), encoding="utf-8")
        return chrome_pdf(static, pdf, chrome, timeout=timeout)


def write_index(folder: Path, *, hospital: str, period: str, generated: str, entries: list[dict],
                extras: list[tuple[str, str, str]], warnings: list[str]) -> Path:
    """Write the report folder's index.html: every report with its description and formats, offline."""
    css = (HERE / "report.css").read_text(encoding="utf-8")
    rows = []
    for e in entries:
        links = [f'<a href="{html.escape(e["html"])}">HTML</a>']
        links.append(f'<a href="{html.escape(e["notebook"])}">notebook</a>')
        rows.append(f'<tr><td><a href="{html.escape(e["html"])}">{html.escape(e["title"])}</a></td>'
                    f'<td>{" · ".join(links)}</td><td>{e["seconds"]:.1f} s</td></tr>')
    extra = "".join(f'<li><a href="{html.escape(href)}">{html.escape(label)}</a> - {html.escape(what)}</li>'
                    for label, href, what in extras)
    warn = ("<h2>Warnings</h2><ul>" + "".join(f"<li>{html.escape(w)}</li>" for w in warnings) + "</ul>") if warnings else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(hospital)} - IT reports, {html.escape(period)}</title><style>{css}</style></head>
<body class="hitplan-report"><header class="hitplan-banner" role="banner"><span class="hitplan-hospital">
{html.escape(hospital)}</span><span class="hitplan-period">{html.escape(period)}</span></header>
<main><h1>IT management reports - {html.escape(period)}</h1>
<p>Generated {html.escape(generated)} by hitplan {__version__}. The board pack and deck carry counts, trends and named
systems only; the area reports are for IT and may name hosts and vulnerabilities.</p>
<h2>For the board</h2><ul>{extra}</ul>
<h2>Reports</h2><table><thead><tr><th scope="col">Report</th><th scope="col">Formats</th>
<th scope="col">Run time</th></tr></thead><tbody>{''.join(rows)}</tbody></table>
<p><a href="manifest.json">manifest.json</a>: parameters, store fingerprint, versions, timings.</p>{warn}</main>
</body></html>
"""
    out = folder / "index.html"
    _write(out, page)
    return out
