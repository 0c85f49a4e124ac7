"""Chrome discovery, one-batch PNG export and the board deck (slides, status, pictures, no disclosures)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation

from hitplan import charts as C
from hitplan.errors import ChromeMissing
from hitplan.kpi import AREAS
from hitplan.analysis import AreaStatus, Driver
from hitplan.prioritize.portfolio import Initiative, solve_portfolio
from hitplan.report import browser
from hitplan.report.deck import build_deck, check_board_safe
from hitplan.report.disclosure import BoardDisclosure, disclosures
from hitplan.report.images import figures_to_png

needs_chrome = pytest.mark.skipif(browser.find_chrome() is None,
                                  reason="no Chrome/Chromium installed (apt-get install chromium); CI installs it")


@dataclass
class Section:
    """The fields of hitplan.report.sections.Section the deck reads (the agreed contract)."""

    key: str
    title: str
    status: str | None
    findings: list[str]
    key_numbers: list[tuple[str, str]]
    figures: list
    tables: list = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _fig(title: str = "Availability held above target"):
    df = pd.DataFrame({"month": pd.date_range("2026-07-01", periods=3, freq="MS"),
                       "availability_pct": [99.9, 99.95, 99.97]})
    return C.trend(df, "month", "availability_pct", title=title, unit="%", target=99.9)


STATUS_CYCLE = ["on target", "watch", "off target"]


def _sections(finding: str = "Availability was 99.95% against a 99.9% target.") -> list[Section]:
    secs = [Section(a, f"Area {a}", STATUS_CYCLE[k % 3], [finding, "The backlog fell by a fifth."],
                    [("Availability", "99.95%"), ("Backlog", "148")],
                    [("Availability by month", _fig())] + ([("Second", _fig("Second chart"))] if k == 0 else []),
                    sources=["int_incidents (stg_incidents): opened_at"])
            for k, a in enumerate(AREAS)]
    secs.append(Section("data_quality", "Data quality", None, ["Two feeds are stale."], [("Feeds stale", "2")],
                        [("Rows by feed", _fig("Rows loaded by feed"))], sources=["load_log"]))
    return secs


def _statuses() -> list[AreaStatus]:
    return [AreaStatus(a, (Driver("k", "reopen rate (%)", 3.0, "<= 5 %", STATUS_CYCLE[k % 3]),))
            for k, a in enumerate(AREAS)]


def _portfolio():
    items = [Initiative("Multi-factor authentication", 0.9, 2, 250e3), Initiative("Backup vault", 0.7, 2, 600e3),
             Initiative("EHR upgrade", 0.8, 4, 2.0e6)]
    p = solve_portfolio(items, {"FY2028": {"capex": 2e6}, "FY2029": {"capex": 2e6}}, horizon_quarters=8)
    p.quarter_labels[:] = [f"FY{2028 + q // 4}Q{q % 4 + 1}" for q in range(8)]
    return p


def _title_of(slide) -> str:
    texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text]
    return texts[0] if texts else ""


# ---------------------------------------------------------------- browser


def test_find_chrome_prefers_the_environment(tmp_path, monkeypatch):
    exe = tmp_path / "my-chrome"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("HITPLAN_CHROME", str(exe))
    assert browser.find_chrome() == exe


def test_require_chrome_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("HITPLAN_CHROME", str(tmp_path / "missing"))
    assert browser.find_chrome() is None
    with pytest.raises(ChromeMissing) as err:
        browser.require_chrome("The PDF report")
    msg = str(err.value)
    assert "apt-get install chromium" in msg and "plotly_get_chrome" in msg and "\n" not in msg
    assert err.value.exit_code == 5


def test_find_chrome_without_environment_checks_the_usual_places(monkeypatch, tmp_path):
    monkeypatch.delenv("HITPLAN_CHROME", raising=False)
    monkeypatch.setattr(browser, "CANDIDATES", (str(tmp_path / "nothing-here"),))
    monkeypatch.setattr(browser, "_downloaded_chrome", lambda: None)
    assert browser.find_chrome() is None


def test_chrome_flags():
    flags = browser.chrome_flags("/tmp/profile")
    assert flags[:3] == ["--headless", "--no-sandbox", "--disable-gpu"]
    assert "--disable-background-networking" in flags and flags[-1] == "--user-data-dir=/tmp/profile"


def test_figures_to_png_without_chrome_raises(tmp_path, monkeypatch):
    monkeypatch.setenv("HITPLAN_CHROME", str(tmp_path / "missing"))
    with pytest.raises(ChromeMissing):
        figures_to_png([_fig()], tmp_path)


@pytest.mark.slow
@needs_chrome
def test_figures_to_png_writes_every_figure(tmp_path):
    paths = figures_to_png([_fig(), _fig("Two")], tmp_path, width=400, height=300, scale=1, names=["a", "b.png"])
    assert [p.name for p in paths] == ["a.png", "b.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(paths[0]) as im:
        assert im.size == (400, 300) and im.getpixel((2, 2))[:3] == (255, 255, 255)  # white, prints well
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".png-")]  # scratch directory removed


# ---------------------------------------------------------------- the guard


@pytest.mark.parametrize("text", ["ehr-prd-db01 was down", "WS-MAIN-12345", "PRN-EAST-123", "srv-db01",
                                  "10.20.30.40", "CVE-2024-3400", "ehr.hospital.local", "srv01.hospital.org"])
def test_guard_finds_hosts_addresses_and_cves(text):
    assert disclosures(text)


@pytest.mark.parametrize("text", ["FY2028-FY2029", "FY2027Q1-FY2027Q4", "INI-001", "SYS-0001", "COVID-19",
                                  "99.82 %", "P1/P2 resolved within SLA", "hitplan/kpi/config.yaml", "v2025.03.14",
                                  "x86-64", "Wi-Fi 6", "$1.25M"])
def test_guard_lets_ordinary_board_text_through(text):
    assert disclosures(text) == []


def test_deck_refuses_host_names_before_exporting(tmp_path):
    secs = _sections(finding="Server ehr-prd-db01 was down for 11 hours.")
    with pytest.raises(BoardDisclosure, match="ehr-prd-db01"):
        build_deck(secs, tmp_path / "board.pptx", hospital="Riverside General", period_label="FY2027Q1",
                   as_of=dt.date(2026, 10, 15), scorecard_statuses=_statuses())
    assert not (tmp_path / "board.pptx").exists()
    assert not list(tmp_path.glob("*.part"))


def test_deck_refuses_a_chart_naming_a_host(tmp_path):
    bars = C.ranked_bars(pd.DataFrame({"host": ["ehr-prd-db01", "pacs-prd-app02"], "findings": [5, 3]}), "host",
                         "findings", title="Most findings")
    secs = [Section("security", "Security", "watch", ["Findings rose."], [], [("Findings by host", bars)])]
    with pytest.raises(BoardDisclosure, match="chart on the Security slide"):
        build_deck(secs, tmp_path / "board.pptx", hospital="Riverside General", period_label="FY2027Q1",
                   as_of=dt.date(2026, 10, 15), scorecard_statuses=[])


# ---------------------------------------------------------------- the deck


@pytest.mark.slow
@needs_chrome
def test_deck_slides_in_order_with_status_pictures_and_alt_text(tmp_path):
    out = build_deck(_sections(), tmp_path / "board.pptx", hospital="Riverside General", period_label="FY2027Q1",
                     as_of=dt.date(2026, 10, 15), scorecard_statuses=_statuses(), portfolio=_portfolio())
    assert out == tmp_path / "board.pptx" and sorted(p.name for p in tmp_path.iterdir()) == ["board.pptx"]
    prs = Presentation(str(out))  # python-pptx re-opens what it wrote
    assert prs.slide_width / prs.slide_height == pytest.approx(16 / 9, rel=1e-3)
    slides = list(prs.slides)
    titles = [_title_of(s) for s in slides]
    expected = (["Riverside General", "3 of 9 areas off target, 3 to watch"] + [f"Area {a}" for a in AREAS] +
                ["Data quality", "Recommended portfolio", "Roadmap: when each initiative runs",
                 "Budget position by fiscal year", "Sources and method"])
    assert titles == expected
    first = [s.text_frame.text for s in slides[0].shapes if s.has_text_frame]
    assert "IT management report · FY2027Q1" in first and "Data as of 15 October 2026" in first
    assert any(t.startswith("Prepared by hitplan ") for t in first)
    for k, slide in enumerate(slides[2:2 + len(AREAS)]):
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        status = STATUS_CYCLE[k % 3]
        assert C.status_text(status) in texts  # symbol and word, not colour alone
        pics = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pics) == (2 if k == 0 else 1)
        for pic in pics:
            alt = pic._element.nvPicPr.cNvPr.get("descr")
            assert alt.startswith("Availability by month") or alt.startswith("Second")
            assert "Line chart" in alt
        assert f"{k + 3} / {len(slides)}" in texts  # slide numbers
    score_table = next(s for s in slides[1].shapes if s.has_table).table
    assert score_table.cell(1, 0).text == "Area support" and score_table.cell(3, 1).text == "✖ off target"
    portfolio_table = next(s for s in slides[2 + len(AREAS) + 1].shapes if s.has_table).table
    assert [c.text for c in portfolio_table.rows[0].cells] == ["Initiative", "Start", "Finish", "Capex"]
    assert portfolio_table.rows[len(portfolio_table.rows) - 1].cells[0].text == "Total"
    for slide in slides[-3:-1]:
        assert [s for s in slide.shapes if s.shape_type == 13]
    check_board_safe(prs)  # the written deck passes its own guard
    sizes = [r.font.size for slide in slides for shape in slide.shapes if shape.has_text_frame
             for p in shape.text_frame.paragraphs for r in p.runs]
    # body text is readable: nothing below 12 pt (footer), body at 14 pt or more (unset: the layout decides)
    assert [s.pt for s in sizes if s is not None and s.pt < 12] == []
    assert sum(s is not None for s in sizes) >= len(slides), "the deck sets its sizes: the check above checks them"


@pytest.mark.slow
@needs_chrome
def test_deck_overwrites_atomically_and_cuts_long_text(tmp_path):
    long = "Availability was 99.95% against a 99.9% target " + "and it stayed there for months " * 30 + "end."
    target = tmp_path / "board.pptx"
    target.write_bytes(b"old")
    build_deck(_sections(finding=long)[:1], target, hospital="Riverside General", period_label="FY2027Q1",
               as_of="2026-10-15", scorecard_statuses=[])
    prs = Presentation(str(target))
    texts = [s.text_frame.text for s in prs.slides[1].shapes if s.has_text_frame]
    first = [t.split("\n")[0] for t in texts if t.startswith("• Availability")]
    assert first and first[0].endswith("…") and len(first[0]) < len(long) / 2


def _fake_png_export(monkeypatch) -> list:
    """Replace the deck's Chrome export with one that records the figures and writes blank PNGs of their size."""
    from PIL import Image

    from hitplan.report import deck

    drawn = []

    def fake(figs, out_dir, *, scale=2.0, **_):
        drawn.extend(figs)
        paths = []
        for k, f in enumerate(figs):
            path = Path(out_dir) / f"fig-{k:02d}.png"
            Image.new("RGB", (f.layout.width or 1200, f.layout.height or 675), "white").save(path)
            paths.append(path)
        return paths

    monkeypatch.setattr(deck, "figures_to_png", fake)
    return drawn


def test_deck_roadmap_names_initiatives_not_ids(tmp_path, monkeypatch):
    drawn = _fake_png_export(monkeypatch)
    items = [Initiative("INI-001", 0.9, 2, 250e3), Initiative("INI-002", 0.7, 2, 600e3),
             Initiative("INI-003", 0.8, 4, 1.0e6), Initiative("INI-004", 0.6, 1, 50e3)]
    p = solve_portfolio(items, {"FY2028": {"capex": 2e6}, "FY2029": {"capex": 2e6}}, horizon_quarters=8)
    p.quarter_labels[:] = [f"FY{2028 + q // 4}Q{q % 4 + 1}" for q in range(8)]
    names = {"INI-001": "Multi-factor authentication for remote access and all clinical workstations",
             "INI-002": "Immutable backup vault", "INI-003": "EHR upgrade",
             "INI-004": "Patch srv-db01 firmware"}  # a name the board must not see: the slide keeps its id
    out = build_deck([], tmp_path / "board.pptx", hospital="Riverside General", period_label="FY2027Q1",
                     as_of=dt.date(2026, 10, 15), scorecard_statuses=[], portfolio=p, initiative_names=names)
    prs = Presentation(str(out))
    check_board_safe(prs)
    slide = next(s for s in prs.slides if _title_of(s) == "Roadmap: when each initiative runs")
    alt = next(s for s in slide.shapes if s.shape_type == 13)._element.nvPicPr.cNvPr.get("descr")
    assert "Multi-factor authentication" in alt and "INI-001" not in alt
    fig = next(f for f in drawn if f.layout.meta["alt"] == alt)
    rows = {y for t in fig.data for y in t.y}
    assert rows == {"Multi-factor authentication for…", "Immutable backup vault", "EHR upgrade", "INI-004"}
    hover = {c[2] for t in fig.data for c in t.customdata}
    assert names["INI-001"] in hover and "srv-db01" not in str(fig.to_json())
    assert not fig.layout.title.text  # the slide title names the chart
    table = next(s for s in prs.slides[1].shapes if s.has_table).table
    cells = sorted(table.cell(i, 0).text for i in range(1, 5))  # the portfolio table names them the same way
    assert cells[:3] == ["EHR upgrade", "INI-004", "Immutable backup vault"]
    assert cells[3].startswith("Multi-factor authentication for remote")


def test_deck_roadmap_keeps_every_row_readable(tmp_path, monkeypatch):
    from hitplan.report import deck

    drawn = _fake_png_export(monkeypatch)
    items = [Initiative(f"INI-{k:03d}", 1.0, 1, 1e3) for k in range(30)]
    p = solve_portfolio(items, {"FY2028": {"capex": 1e6}, "FY2029": {"capex": 1e6}}, horizon_quarters=8)
    p.quarter_labels[:] = [f"FY{2028 + q // 4}Q{q % 4 + 1}" for q in range(8)]
    build_deck([], tmp_path / "board.pptx", hospital="Riverside General", period_label="FY2027Q1",
               as_of=dt.date(2026, 10, 15), scorecard_statuses=[], portfolio=p,
               initiative_names={f"INI-{k:03d}": f"Initiative number {k}" for k in range(30)})
    fig = next(f for f in drawn if "Gantt" in f.layout.meta["alt"])
    rows = [y for t in fig.data for y in t.y]
    assert len(rows) == deck.ROADMAP_ROWS and fig.layout.title.text.startswith(f"The first {deck.ROADMAP_ROWS} of 30")
    # drawn tall enough that each row has its pixels (the image is scaled into the slide's chart box)
    assert fig.layout.height >= deck.ROADMAP_ROWS * deck.ROADMAP_ROW_PX + 100



def test_deck_small_charts_with_long_legends_put_them_at_the_side(tmp_path, monkeypatch):
    drawn = _fake_png_export(monkeypatch)
    df = pd.DataFrame({"month": pd.Timestamp("2026-07-01"), "usd": [float(k + 1) for k in range(6)],
                       "tower": [f"tower {k}" for k in range(6)]})
    bars = C.stacked_bars(df, "month", "usd", "tower", title="Spend by tower", unit="$")
    secs = [Section("costs", "Costs", "watch", ["Spend held."], [], [("Spend", bars), ("Availability", _fig())])]
    build_deck(secs, tmp_path / "board.pptx", hospital="Riverside General", period_label="FY2027Q1",
               as_of=dt.date(2026, 10, 15), scorecard_statuses=[])
    small_bars, small_line = drawn  # side by side: each in half the slide
    assert small_bars.layout.width < 7 * 100 and small_bars.layout.legend.orientation == "v"
    assert small_bars.layout.legend.x > 1  # right of the plot, clear of the title and the axis
    assert small_line.layout.legend.orientation != "v"  # no legend to move


def test_the_deck_shows_the_board_packs_sections_from_its_parameters(tmp_path, monkeypatch, demo_store):
    """The deck is built from the board pack itself (``deck_from_pack``):
    the same findings and numbers, no environment variable, nothing left beside the deck."""
    from hitplan.report.board import board_pack
    from hitplan.report.context import open_context
    from hitplan.report.deck import deck_from_pack

    _fake_png_export(monkeypatch)
    out = tmp_path / "deck"
    with open_context(str(demo_store[0]), "FY2027Q1") as ctx:  # what the board pack notebook opens
        pack = board_pack(ctx.con, ctx.period, ctx.settings, ctx.hospital)
        path = deck_from_pack(pack, ctx, out / "deck.pptx")
    assert [a.key for a in pack.areas] == list(AREAS) and all(a.area_status for a in pack.areas)
    assert pack.portfolio is next(s for s in pack.sections if s.key == "portfolio")
    assert not [k for k in os.environ if k.startswith("HITPLAN_DECK")]
    assert sorted(p.name for p in out.iterdir()) == ["deck.pptx"]
    texts = "\n".join(sh.text_frame.text for slide in Presentation(path).slides for sh in slide.shapes
                      if sh.has_text_frame)
    for sec in [*pack.areas, pack.portfolio]:
        # the portfolio slide carries what is funded and what binds (issue 17), an area slide its first finding
        first = next(f for f in sec.findings if f.startswith("Within the")) if sec is pack.portfolio else sec.findings[0]
        assert first[:40] in texts, sec.key  # a slide may cut a long sentence at a word boundary
        label, value = sec.key_numbers[0]
        assert value in texts, (sec.key, label)
    assert "What binds:" in texts and "Did the done initiatives deliver?" in texts
