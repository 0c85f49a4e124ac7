"""The real report pack end to end on the demo hospital: every output, a PDF with text, a deck with its slides,
offline HTML that draws its charts in headless Chromium without a JavaScript error, nothing sensitive for the board.

The pack is the session's one full report run (conftest.py ``hostile_pack``), which test_hostile_escaping.py reads
too: the demo hospital with script payloads appended to its text, run with a settings file (conftest.PACK_SETTINGS)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile

import pytest

from hitplan.report.browser import chrome_flags, find_chrome
from hitplan.report.export import network_references

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(find_chrome() is None,
                                 reason="needs Chrome/Chromium (`make test` installs Debian's chromium when root)")]

SENSITIVE = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)


@pytest.fixture
def pack(hostile_pack):
    return hostile_pack


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


def test_a_settings_file_changes_the_downtime_cost_everywhere_in_one_pack(pack):
    """The pack ran with a settings file raising a tier-1 system's downtime cost per hour (conftest.PACK_SETTINGS):
    the continuity section's downtime cost, the NPV criterion behind the portfolio (its avoided downtime, in the
    board pack and the deck) all use it — one settings object for the whole run."""
    from pptx import Presentation

    from hitplan import store
    from hitplan.charts import money
    from hitplan.forecast import outage_risk
    from hitplan.kpi import continuity
    from hitplan.periods import Period
    from hitplan.prioritize.evidence import initiative_evidence
    from hitplan.prioritize.run import evidence_period
    from hitplan.report.portfolio import report_prioritization
    from hitplan.settings import load_settings

    mine, shipped = load_settings(pack.parent.parent / "settings.yaml"), load_settings()
    assert mine.value("kpi", "continuity", "downtime_cost_per_hour_usd")[1] == 777000
    period = Period("FY2027Q1", dt.date(2026, 7, 1), dt.date(2026, 10, 1))
    con = store.connect(pack.parent.parent / "hostile.duckdb")
    try:
        cost = {name: continuity.downtime_cost_by_system(con, period, cfg=s.kpi)["downtime_cost_usd"].sum()
                for name, s in (("mine", mine), ("shipped", shipped))}
        run = report_prioritization(con, period, mine, samples=20, sensitivity=False)  # what the pack computed
        ep = evidence_period(period)
        shipped_evidence, _ = initiative_evidence(con, ep, shipped, outage_risk(con, ep.last_day))
    finally:
        con.close()
    assert cost["mine"] > cost["shipped"], "the quarter has tier-1 outages to price"
    page = re.sub(r"<[^>]+>", " ", (pack / "continuity.html").read_text(encoding="utf-8"))
    assert money(cost["mine"]) in page and money(cost["shipped"]) not in page

    npv = {"mine": run.evidence.set_index("initiative_id")["financial_npv"],
           "shipped": shipped_evidence.set_index("initiative_id")["financial_npv"]}
    assert (npv["mine"] >= npv["shipped"]).all() and (npv["mine"] > npv["shipped"]).any()
    chosen = list(run.portfolio.chosen)  # the funded portfolio's avoided downtime, at either cost per hour
    avoided = {"mine": run.evidence.set_index("initiative_id").loc[chosen, "avoided_downtime_usd_per_year"].sum(),
               "shipped": shipped_evidence.set_index("initiative_id").loc[chosen, "avoided_downtime_usd_per_year"].sum()}
    assert avoided["mine"] > avoided["shipped"]
    board = re.sub(r"<[^>]+>", " ", (pack / "board_pack.html").read_text(encoding="utf-8"))
    assert money(avoided["mine"]) in board and money(avoided["shipped"]) not in board
    deck = Presentation(pack / "board_deck.pptx")
    text = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    assert money(avoided["mine"]) in text and money(avoided["shipped"]) not in text
