"""Exports of executed notebooks: HTML pages with the code hidden and the charts working offline, a PDF printed by
headless Chromium, and the index page of a report folder."""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
import tempfile
from pathlib import Path

import nbformat

from hitplan import __version__
from hitplan.errors import ReportError
from hitplan.report.browser import chrome_flags

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


def html_to_pdf(page: Path, pdf: Path, chrome: Path, *, timeout: float = 180.0) -> Path:
    """Print an HTML page to PDF with headless Chrome, giving its charts time to draw."""
    with tempfile.TemporaryDirectory(prefix="hitplan-chrome-") as profile:
        tmp = pdf.with_name(f".{pdf.name}.part")
        cmd = [str(chrome), *chrome_flags(profile), "--no-pdf-header-footer", "--virtual-time-budget=20000",
               "--run-all-compositor-stages-before-draw", f"--print-to-pdf={tmp}", page.resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ReportError(f"printing {page.name} to PDF took over {timeout:.0f} s; Chrome was stopped") from exc
        if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ReportError(f"Chrome could not print {page.name} to PDF: {last}")
        tmp.replace(pdf)
    return pdf


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
