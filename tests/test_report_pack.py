"""The real report pack end to end on the demo hospital: every output, a PDF with text, a deck with its slides,
offline HTML that draws its charts in headless Chromium without a JavaScript error, nothing sensitive for the board."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from hitplan.report.browser import chrome_flags, find_chrome
from hitplan.report.export import network_references
from hitplan.report.run import run_report

pytestmark = pytest.mark.skipif(find_chrome() is None,
                                reason="needs Chrome/Chromium (`make test` installs Debian's chromium when root)")

SENSITIVE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def pack(tmp_path_factory, demo_store):
    out = tmp_path_factory.mktemp("reports")
    result = run_report(store=demo_store[0], out=out, jobs=2, only=["board_pack", "security"])
    return result.folder


def test_every_output_exists(pack):
    assert pack.name == "FY2027Q1"
    for name in ("index.html", "manifest.json", "board_pack.html", "security.html", "board_pack.pdf",
                 "board_deck.pptx", "notebooks/00_board_pack.ipynb"):
        assert (pack / name).is_file() and (pack / name).stat().st_size > 0, name
    # nothing of the build is left behind: the sections the deck reused, the kernels' log
    leftovers = [p.name for p in pack.rglob("*") if p.name.startswith(".") or p.suffix in (".pickle", ".log")]
    assert leftovers == []


def test_the_pdf_has_pages_with_text(pack):
    from pypdf import PdfReader

    pdf = PdfReader(pack / "board_pack.pdf")
    assert len(pdf.pages) >= 4
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "FY2027Q1" in text and "portfolio" in text.lower()
    assert not SENSITIVE.search(text)


def test_the_deck_has_its_slides(pack):
    from pptx import Presentation

    deck = Presentation(pack / "board_deck.pptx")
    assert len(deck.slides) >= 12  # title, scorecard, nine areas, portfolio...
    text = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    assert "areas off target" in text and "Roadmap" in text and not SENSITIVE.search(text)
    assert sum(1 for slide in deck.slides for shape in slide.shapes if shape.shape_type == 13) >= 9  # pictures


def test_no_page_loads_anything_from_the_network(pack):
    for page in pack.glob("*.html"):
        assert network_references(page.read_text(encoding="utf-8")) == [], page.name


def test_the_board_pack_html_names_no_host_ip_or_cve(pack):
    text = re.sub(r"<script\b.*?</script>", "", (pack / "board_pack.html").read_text(encoding="utf-8"), flags=re.S)
    assert not SENSITIVE.search(re.sub(r"<[^>]+>", " ", text))


@pytest.mark.parametrize("page", ["index.html", "security.html", "board_pack.html"])
def test_pages_draw_their_charts_without_javascript_errors(pack, page):
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [str(find_chrome()), *chrome_flags(profile), "--enable-logging=stderr", "--v=0",
             "--virtual-time-budget=15000", "--dump-dom", (pack / page).as_uri()],
            capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-500:]
    errors = [line for line in done.stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]
    assert errors == []
    if page != "index.html":
        assert done.stdout.count('class="main-svg"') >= 2  # plotly drew its charts (each draws two svg layers)
