"""Everything from the store is shown, never run (issue 12, case 6): `<script>`, `onerror=` and Markdown link payloads
planted in a store come out as literal text in the HTML reports, the printed board pack and the deck; the PDF is
printed from a page with no script, and Chrome runs none while printing."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import plotly.graph_objects as go
import pytest

from hitplan import charts
from hitplan.errors import ReportError
from hitplan.report import browser, display, images
from hitplan.report.escape import chart_text, escaped_figure
from hitplan.report.sections import Section
from hostile import PAYLOAD, RAN, RUN

_chrome = pytest.mark.skipif(browser.find_chrome() is None,
                             reason="no Chrome/Chromium installed (apt-get install chromium); CI installs it")


def needs_chrome(test):
    """The test starts Chromium: slow (left to `make test`), and skipped where none is installed."""
    return pytest.mark.slow(_chrome(test))



class _Page(HTMLParser):
    """What a page would run (scripts, handlers, script links) and the text it shows; plotly's own scripts and the
    figure data in them are ours, any other script is planted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.planted: list[str] = []
        self.text: list[str] = []
        self.alts: list[str] = []
        self._in: str | None = None
        self._script: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.planted.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.planted.append("<img src=x>")
        if tag == "img" and dict(attrs).get("alt"):
            self.alts.append(dict(attrs)["alt"])
        if tag in ("script", "style"):
            self._in, self._script = tag, []

    def handle_endtag(self, tag):
        if tag == self._in == "script":
            body = "".join(self._script)
            if "Plotly.newPlot(" not in body and "XSS" in body:
                self.planted.append(f"<script>{body[:60]}")
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self._script.append(data)
        elif self._in is None:
            self.text.append(data)


def _page(html_text: str) -> _Page:
    p = _Page()
    p.feed(html_text)
    p.close()
    return p


def _rendered_markdown(md: str) -> _Page:
    from nbconvert.filters.markdown import markdown2html  # what nbconvert does to a Markdown output

    return _page(markdown2html(md))


# ---------------------------------------------------------------- escaping, fast


def test_findings_title_and_key_numbers_render_as_their_own_text():
    finding = f"Epic {PAYLOAD} *b* _i_ `c` $x$ \\(y\\) &lt; https://e.org | 1. #"
    sec = Section("support", f"Support {PAYLOAD}", "watch", [finding, f"a\n\n{PAYLOAD}\r\n# b"],
                  [(f"Key | {PAYLOAD}", "$4.5k")])
    page = _rendered_markdown(display.section_markdown(sec))
    assert page.planted == []
    text = "".join(page.text)
    assert finding in text and f"Support {PAYLOAD}" in text and f"Key | {PAYLOAD}" in text and "$4.5k" in text
    assert f"a  {PAYLOAD}  # b" in text  # a line break in a value cannot start a block of its own


def test_show_header_and_show_text_escape_the_hospital_and_the_summary(monkeypatch):
    import datetime as dt
    from types import SimpleNamespace

    from IPython import display as ipd

    shown = []
    monkeypatch.setattr(ipd, "display", lambda obj, **_: shown.append(obj.data))
    period = SimpleNamespace(label="FY2027Q1", start=dt.date(2026, 7, 1), last_day=dt.date(2026, 9, 30))
    display.show_header(SimpleNamespace(hospital=f"St. X {PAYLOAD}", period=period, as_of=dt.date(2026, 9, 30)),
                        "board pack")
    display.show_text(f"The most pressing: {PAYLOAD}.")
    header, summary = (_rendered_markdown(md) for md in shown)
    assert header.planted == [] == summary.planted
    assert f"St. X {PAYLOAD} - board pack for FY2027Q1 (01 Jul 2026 to 30 Sep 2026)" in "".join(header.text)
    assert f"The most pressing: {PAYLOAD}." in "".join(summary.text)


@pytest.mark.slow
def test_the_banner_and_title_of_an_exported_page_are_escaped(tmp_path):
    from hitplan.report.export import notebook_html

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Report")])
    nbformat.write(nb, tmp_path / "r.ipynb")
    notebook_html(tmp_path / "r.ipynb", tmp_path / "r.html", hospital=f"H {PAYLOAD}", period=f"P {PAYLOAD}",
                  fingerprint=f"F {PAYLOAD}")
    page = _page((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert page.planted == []
    assert f"H {PAYLOAD}" in "".join(page.text) and f"P {PAYLOAD}" in "".join(page.text)


def _hostile_bars() -> go.Figure:
    df = pd.DataFrame({"month": ["2026-07", "2026-07"], "n": [3, 4],
                       "system": [f"EHR {PAYLOAD}", "<a href='javascript:alert(1)'>PACS</a><b>!</b>"]})
    return charts.stacked_bars(df, "month", "n", "system", title=f"Incidents at {PAYLOAD}", unit="incidents")


def test_chart_hover_templates_hold_no_store_text():
    fig = _hostile_bars()
    assert all("EHR" not in (t.hovertemplate or "") and "PACS" not in (t.hovertemplate or "") for t in fig.data)
    assert {t.name for t in fig.data[:2]} == {f"EHR {PAYLOAD}", "<a href='javascript:alert(1)'>PACS</a><b>!</b>"}


def test_escaped_figure_escapes_store_text_and_keeps_our_markup():
    safe = escaped_figure(_hostile_bars())
    strings = []

    def walk(v, key=""):
        if isinstance(v, str):
            strings.append((key, v))
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x, key)

    walk(safe)
    leftover = [(k, s) for k, s in strings if "<" in re.sub(r"</?(br|extra)>", "", s)]
    assert leftover == []
    assert safe["layout"]["title"]["text"] == chart_text(f"Incidents at {PAYLOAD}")
    assert chart_text(f"EHR {PAYLOAD}") in {t.get("name") for t in safe["data"]}
    assert "<br>" in safe["data"][0]["hovertemplate"] and "<extra>%{fullData.name}</extra>" in safe["data"][0]["hovertemplate"]
    assert safe["layout"]["meta"]["alt"].count("&lt;script&gt;") >= 1  # also what is not drawn: it is in the page


def test_show_figure_displays_the_escaped_figure(monkeypatch):
    from IPython import display as ipd

    shown = []
    monkeypatch.setattr(ipd, "display", lambda obj, **_: shown.append(obj))
    display.show_figure(_hostile_bars())
    bundle = shown[0]
    assert bundle["application/vnd.plotly.v1+json"]["layout"]["title"]["text"] == chart_text(f"Incidents at {PAYLOAD}")
    assert "EHR <script>" not in bundle["text/html"] and "EHR \\u003cscript" not in bundle["text/html"]
    assert _page(bundle["text/html"]).planted == []


def test_chart_images_are_drawn_from_the_escaped_figure(tmp_path, monkeypatch):
    import kaleido

    drawn = []
    monkeypatch.setattr(images, "require_chrome", lambda _purpose: Path("/usr/bin/chromium"))

    def fake(specs, kopts):
        for s in specs:
            drawn.append(s["fig"])
            Path(s["path"]).write_bytes(b"\x89PNG\r\n\x1a\n")

    monkeypatch.setattr(kaleido, "write_fig_from_object_sync", fake)
    images.figures_to_png([_hostile_bars()], tmp_path)
    assert drawn[0]["layout"]["title"]["text"] == chart_text(f"Incidents at {PAYLOAD}")
    assert chart_text(f"EHR {PAYLOAD}") in {t.get("name") for t in drawn[0]["data"]}


@needs_chrome
def test_columns_named_at_length_still_draw_at_slide_size(tmp_path):
    names = [f"{w} {'long name ' * 13}" for w in ("administrative", "documentation", "organizational", "physical",
                                                   "technical")]
    df = pd.DataFrame({"safeguard": names * 3, "status": ["implemented"] * 5 + ["partial"] * 5 + ["not implemented"] * 5,
                       "n": [18, 3, 5, 10, 8, 6, 1, 1, 1, 2, 6, 1, 0, 1, 2]})
    fig = charts.stacked_bars(df, "safeguard", "n", "status", title="Controls by safeguard", unit="controls")
    fig.update_layout(width=599, height=280, margin=dict(t=56, b=44, l=64, r=24))  # a half-width deck slot
    (png,) = images.figures_to_png([fig], tmp_path)  # plotly.js drew nothing with the names in full
    assert png.stat().st_size > 0
    assert set(fig.data[0].customdata) == set(names)  # in full in the hover


# ---------------------------------------------------------------- the printed page, with Chrome


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(path).pages))


@needs_chrome
def test_html_to_pdf_runs_no_script_of_the_page(tmp_path):
    from hitplan.report.export import html_to_pdf

    page = tmp_path / "page.html"
    page.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body><p>Visible text</p>"
                    f"<script>{RUN}</script></body></html>", encoding="utf-8")
    html_to_pdf(page, tmp_path / "page.pdf", browser.find_chrome())
    text = _pdf_text(tmp_path / "page.pdf")
    assert "Visibletext" in text and RAN not in text


@needs_chrome
def test_the_printed_page_forbids_script_even_if_one_slipped_through(tmp_path):
    from hitplan.report.export import chrome_pdf, printable_page

    base = "<!DOCTYPE html><html><head><title>t</title></head><body><p>Visible text</p></body></html>"
    planted = f"<script>{RUN}</script><img src=x onerror=\"{RUN.replace('XSS', 'IMG')}\">"
    for name, page, ran in (("bare", base, True), ("static", printable_page(base), False)):
        path = tmp_path / f"{name}.html"
        path.write_text(page.replace("</body>", planted + "</body>"), encoding="utf-8")
        text = _pdf_text(chrome_pdf(path, tmp_path / f"{name}.pdf", browser.find_chrome()))
        assert "Visibletext" in text
        assert (RAN in text and "IMGRAN" in text) if ran else (RAN not in text and "IMGRAN" not in text), name


def test_printable_page_refuses_a_page_that_would_still_run_script():
    from hitplan.report.export import printable_page

    with pytest.raises(ReportError, match="would still run script"):
        printable_page(f"<html><head></head><body><img src=x onerror=\"{RUN}\"></body></html>")


def _svg_texts(page: str) -> list[str]:
    out = []
    for b64 in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page):
        root = ET.fromstring(base64.b64decode(b64))
        out.append("".join(root.itertext()))
    return out


@needs_chrome
def test_printable_page_draws_each_chart_as_an_svg_image_with_literal_text():
    import plotly.io as pio

    from hitplan.report.export import printable_page

    div = pio.to_html(escaped_figure(_hostile_bars()), include_plotlyjs=True, full_html=False, validate=False)
    page = printable_page(f"<html><head><title>t</title></head><body><p>Before</p>{div}</body></html>")
    assert "<script" not in page.lower() and "Plotly.newPlot" not in page
    assert _page(page).planted == []
    (svg,) = _svg_texts(page)
    # The long title is wrapped for print (each line its own text element), the payload kept whole as text.
    assert "Incidents at" in svg and PAYLOAD[:40] in svg and "EHR <script>" in svg


# ---------------------------------------------------------------- a hostile store through the whole pack

@needs_chrome
def test_no_html_page_runs_a_planted_payload_and_each_shows_it_as_text(hostile_pack):
    pages = sorted(hostile_pack.glob("*.html"))
    assert len(pages) == 13  # twelve reports and the index
    for path in pages:
        page = _page(path.read_text(encoding="utf-8"))
        assert page.planted == [], (path.name, page.planted[:3])
        assert PAYLOAD in "".join(page.text), path.name  # the banner, at least


@needs_chrome
def test_the_board_pdf_and_deck_show_payloads_as_text_and_ran_none(hostile_pack):
    from pptx import Presentation

    from hitplan.report.export import printable_page

    text = _pdf_text(hostile_pack / "board_pack.pdf")
    assert RAN not in text
    assert re.sub(r"\s+", "", PAYLOAD) in text  # the hospital's name in the banner, literally
    page = printable_page((hostile_pack / "board_pack.html").read_text(encoding="utf-8"))
    printed = _page(page)
    assert "<script" not in page.lower() and printed.planted == [] and len(_svg_texts(page)) >= 5
    assert any(PAYLOAD in alt for alt in printed.alts)  # the charts' alt text names systems, literally

    deck = Presentation(hostile_pack / "board_deck.pptx")
    texts = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            texts.extend(shape._element.xpath("./*[1]/p:cNvPr/@descr"))  # alt text
        xml = ET.tostring(slide._element, encoding="unicode")
        assert "hlinkClick" not in xml and RAN not in xml
    assert any(PAYLOAD in t for t in texts)  # the footer: hospital · IT management report · period
    assert any("<script>" in t for t in texts[1:])  # system and initiative names in findings and alt text


def test_a_long_chart_title_wraps_for_print_instead_of_being_cut():
    from hitplan.report.export import PRINT_TITLE_CHARS, _title_wrapped

    long = "Systems past or near end of support, by criticality weight, end of FY2027Q1 &lt;script&gt;"
    fig = {"data": [], "layout": {"title": {"text": long, "x": 0}}}
    lines = _title_wrapped(fig)["layout"]["title"]["text"].split("<br>")
    assert len(lines) == 2 and all(len(x) <= PRINT_TITLE_CHARS for x in lines)
    assert " ".join(lines) == long and "&lt;script&gt;" in lines[-1]  # no word or entity cut
    assert fig["layout"]["title"]["text"] == long  # the page's own figure is left as it was
    short = {"data": [], "layout": {"title": {"text": "Open findings"}}}
    assert _title_wrapped(short) is short
