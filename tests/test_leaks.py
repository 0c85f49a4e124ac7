"""Reports fail closed (issue 14): the scan of a pack's files for names, e-mail addresses and, in the board's files,
hosts, addresses and CVE ids; the board checks with the store's host names; a report run that would leak."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import duckdb
import nbformat
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest

from conftest import demo_key_file
from pptx import Presentation
from pptx.util import Inches
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from hitplan.errors import ReportError
from hitplan.report import deck
from hitplan.report.deck import _board_name, build_deck, check_board_safe
from hitplan.report.disclosure import BoardDisclosure, assert_board_safe
from hitplan.report.leaks import Leak, html_pieces, is_vendored, notebook_pieces, pdf_pieces, pptx_pieces, scan_pack
from hitplan.report.run import _check_leaks, run_report
from hitplan.report.sections import Section

NAME = "Dana Whitfield"  # a person of the fake register
EMAIL = "dana.whitfield@example.org"
BOARD = ("board_pack.html", "board_pack.pdf", "board_deck.pptx", "notebooks/00_board_pack.ipynb")


def names(text: str) -> list[str]:
    """A stand-in for the register's NameIndex: the one registered name, where it appears."""
    return [NAME] * text.count(NAME)


def _places(leaks: list[Leak]) -> set[tuple[str, str, str]]:
    return {(x.file, x.place, x.kind) for x in leaks}


def _chart_page(*texts: str, bundle: str = "") -> str:
    """An HTML page as nbconvert writes one: a heading, a table, and a plotly chart with ``texts`` as hover text."""
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2], hovertext=list(texts) or None))
    chart = plotly.offline.plot(fig, include_plotlyjs=False, output_type="div")
    return (f"<!DOCTYPE html>\n<html><head><title>Support</title>\n<style>.md-grey-500 {{ color: grey }}</style>\n"
            f"<script>{bundle}</script>\n</head>\n<body>\n<h1>Service desk</h1>\n"
            f"<table><tr><td>Backlog</td><td>148</td></tr></table>\n{chart}\n</body></html>\n")


def scan_pack_of(files: dict[str, str], hosts: set[str] = frozenset()) -> list[Leak]:
    """The leaks of a pack made of ``files`` (relative path -> text)."""
    with tempfile.TemporaryDirectory() as d:
        for rel, content in files.items():
            path = Path(d) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        return scan_pack(Path(d), names=names, board_files=BOARD, hosts=set(hosts))


# ---------------------------------------------------------------- the text of each kind of file

def test_html_text_and_chart_data_are_read_with_their_lines():
    page = _chart_page("opened by " + NAME).replace("<td>148</td>", f"<td>148</td></tr>\n<tr><td>{EMAIL}</td>")
    pieces = list(html_pieces(page, lambda n: f"line {n}"))
    by_text = {p.text: p.place for p in pieces}
    assert by_text["Service desk"] == "line 7" and by_text[EMAIL] == "line 9"
    chart = next(p for p in pieces if p.place.startswith("chart"))
    assert "opened by " + NAME in chart.text.splitlines()
    div_id = re.search(r'<div id="([^"]+)"', page).group(1)
    assert not any(div_id in p.text for p in pieces if not p.code)  # the chart's div id (a uuid) is not its text


def test_escaped_and_tagged_chart_text_is_read_as_shown():
    page = _chart_page("Dana<br>Whitfield", "dana.whitfield&#64;example.org")
    chart = next(p for p in html_pieces(page, str) if p.place.startswith("chart"))
    assert "dana.whitfield@example.org" in chart.text and "Dana\nWhitfield" in chart.text


def test_plotly_bundle_is_recognized_by_its_content_not_its_size():
    js = plotly.offline.get_plotlyjs()
    assert is_vendored(js)
    assert not is_vendored(js[:-1] + ("!" if js[-1] != "!" else "?"))  # same size, other content
    # plotly.js names its authors and has IP- and host-shaped strings: read, they would stop every board pack
    clean = _chart_page(bundle=js)
    assert scan_pack_of({"board_pack.html": clean}) == []
    changed = js.replace("feross@feross.org", "fer0ss@feross.org")
    assert len(changed) == len(js) and not is_vendored(changed)
    found = scan_pack_of({"board_pack.html": _chart_page(bundle=changed)})
    assert {x.kind for x in found} >= {"an e-mail address", "an IP address"}


def _pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    """A small PDF with one line of Helvetica text per page."""
    w = PdfWriter()
    font = w._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                           NameObject("/Subtype"): NameObject("/Type1"),
                                           NameObject("/BaseFont"): NameObject("/Helvetica")}))
    for text in pages:
        page = w.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        stream = DecodedStreamObject()
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = w._add_object(stream)
    if title:
        w.add_metadata({"/Title": title})
    with path.open("wb") as fh:
        w.write(fh)
    return path


def test_pdf_is_read_page_by_page_with_its_title(tmp_path):
    pdf = _pdf(tmp_path / "board_pack.pdf", ["Summary of the quarter", f"Escalated by {NAME}", "10.20.30.40 down"],
               title="IT board pack - St. Example")
    pieces = {p.place: p.text for p in pdf_pieces(pdf)}
    assert pieces["document properties"] == "IT board pack - St. Example"
    assert NAME in pieces["page 2"] and "10.20.30.40" in pieces["page 3"]
    leaks = scan_pack(tmp_path, names=names, board_files=BOARD, hosts=set())
    assert _places(leaks) == {("board_pack.pdf", "page 2", "a name"), ("board_pack.pdf", "page 3", "an IP address")}


def _deck(path: Path, slides: list[str], notes: dict[int, str] | None = None) -> Path:
    prs = Presentation()
    for k, text in enumerate(slides, start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
        run = box.text_frame.paragraphs[0].add_run()
        run.text = text
        if notes and k in notes:
            slide.notes_slide.notes_text_frame.text = notes[k]
    prs.save(path)
    return path


def test_pptx_every_part_is_read_and_placed_on_its_slide(tmp_path):
    pptx = _deck(tmp_path / "board_deck.pptx", ["Scorecard", "Server ehrapp was down", "Portfolio"],
                 notes={3: f"Ask {EMAIL}"})
    pieces = list(pptx_pieces(pptx))
    assert any(p.place == "slide 2" and "Server ehrapp was down" in p.text for p in pieces)
    assert any(p.place == "slide 3 notes" and EMAIL in p.text for p in pieces)
    leaks = scan_pack(tmp_path, names=names, board_files=BOARD, hosts={"EHRAPP"})
    assert _places(leaks) == {("board_deck.pptx", "slide 2", "a host name"),
                              ("board_deck.pptx", "slide 3 notes", "an e-mail address")}
    assert scan_pack(tmp_path, names=names, board_files=(), hosts={"ehrapp"}) == [
        Leak("board_deck.pptx", "slide 3 notes", "an e-mail address")]  # IT files may name hosts


def _notebook(path: Path, *, output: str, code: str = "x = 1", html: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    if html is not None:
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/html": html, "image/png": "iVBORw0K"}))
    nb.cells = [nbformat.v4.new_markdown_cell("# Board pack"), cell]
    nb.metadata["papermill"] = {"parameters": {"store": "/data/.snapshots/s-0e74976e3d1ba056.duckdb"}}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_notebook_cells_and_outputs_are_read_and_code_is_told_apart(tmp_path):
    nb = _notebook(tmp_path / "notebooks" / "00_board_pack.ipynb", output="47 findings on 10.1.2.3\n",
                   code='store = "/srv/ehr-prd-db01/s-0e74976e3d1ba056.duckdb"',
                   html=_chart_page(f"assigned to {NAME}"))
    pieces = list(notebook_pieces(nb))
    assert {p.place for p in pieces} == {"cell 1", "cell 2", "chart, cell 2", "style, cell 2", "notebook metadata"}
    assert [p.code for p in pieces if p.text.startswith("store =")] == [True]
    leaks = scan_pack(tmp_path, names=names, board_files=BOARD, hosts=set())
    # the notebook's code and papermill's record of paths are not what the board reads: the output is
    assert _places(leaks) == {("notebooks/00_board_pack.ipynb", "cell 2", "an IP address"),
                              ("notebooks/00_board_pack.ipynb", "chart, cell 2", "a name")}
    _notebook(tmp_path / "notebooks" / "00_board_pack.ipynb", output="done", code=f"who = {EMAIL!r}")
    assert _places(scan_pack(tmp_path, names=names, board_files=BOARD, hosts=set())) == {
        ("notebooks/00_board_pack.ipynb", "cell 2", "an e-mail address")}  # names and e-mails count in code too


def test_board_checks_apply_to_board_files_only_and_leaks_never_say_the_value(tmp_path):
    page = _chart_page("ehr-prd-app01 patched", "CVE-2024-12345")
    leaks = scan_pack_of({"board_pack.html": page, "security.html": page, "index.html": f"<p>{NAME}</p>",
                          "manifest.json": json.dumps({"hospital": "St. Example", "warnings": [f"mail {EMAIL}"]})})
    assert _places(leaks) == {("board_pack.html", "chart, line 9", "a host name"),
                              ("board_pack.html", "chart, line 9", "a CVE id"),
                              ("index.html", "line 1", "a name"),
                              ("manifest.json", "key warnings", "an e-mail address")}
    for leak in leaks:
        assert NAME not in str(leak) and EMAIL not in str(leak) and "ehr-prd" not in str(leak)
    assert scan_pack_of({"board_pack.html": _chart_page("Availability 99.95%", "FY2028-FY2029")}) == []


def test_a_leak_stops_the_run_with_where_and_what_kind(tmp_path):
    (tmp_path / "support.html").write_text(f"<p>ok</p>\n<p>call {EMAIL}</p>\n<p>{EMAIL}</p>", encoding="utf-8")
    with pytest.raises(ReportError) as err:
        _check_leaks(tmp_path, "FY2027Q1", [], names, set())
    msg = str(err.value)
    assert msg.startswith("support.html, line 2 shows an e-mail address (and 1 more)") and EMAIL not in msg
    assert "previous report is unchanged" in msg and ".FY2027Q1.failed" in msg
    (tmp_path / "support.html").write_text("<p>ok</p>", encoding="utf-8")
    _check_leaks(tmp_path, "FY2027Q1", [], names, set())
    (tmp_path / "board_pack.pdf").write_bytes(b"%PDF-1.7 cut short")  # what cannot be read cannot go out
    with pytest.raises(ReportError, match=r"^board_pack.pdf could not be read .*previous report is unchanged"):
        _check_leaks(tmp_path, "FY2027Q1", [], names, set())


def test_lines_count_past_scripts_and_styles():
    page = "<html>\n<style>\n.a {}\n</style>\n<script>\nvar a = 1;\n\n</script>\n<p>ok</p>\n<p>x@example.org</p>"
    pieces = list(html_pieces(page, lambda n: f"line {n}"))
    assert [(p.place, p.text) for p in pieces if not p.code] == [
        ("script, line 5", "\nvar a = 1;\n\n"), ("line 9", "ok"), ("line 10", "x@example.org")]


# ---------------------------------------------------------------- the board checks with the store's host names

def test_board_section_and_deck_checks_take_the_store_hosts(tmp_path):
    sec = Section("scorecard", "Scorecard", None, ["Replace ehrapp before FY2028."], [], [], [], [])
    assert_board_safe(sec)  # a plain word to the patterns: only the store knows it is a host
    with pytest.raises(BoardDisclosure, match="ehrapp"):
        assert_board_safe(sec, frozenset({"ehrapp"}))
    prs = Presentation(str(_deck(tmp_path / "d.pptx", ["Scorecard", "Replace ehrapp"])))
    check_board_safe(prs)
    with pytest.raises(BoardDisclosure, match="slide 2"):
        check_board_safe(prs, {"ehrapp"})
    assert _board_name("INI-7", {"INI-7": "Replace ehrapp"}, {"ehrapp"}) == "INI-7"
    assert _board_name("INI-7", {"INI-7": "Replace ehrapp"}) == "Replace ehrapp"
    with pytest.raises(BoardDisclosure, match="ehrapp"):
        build_deck([Section("support", "Support", "watch", ["ehrapp was down 3 hours."], [], [])],
                   tmp_path / "board.pptx", hospital="St. Example", period_label="FY2027Q1",
                   as_of=dt.date(2026, 9, 30), scorecard_statuses=[], known_hosts={"EHRAPP"})
    assert not (tmp_path / "board.pptx").exists()


def test_the_deck_of_a_pack_is_checked_against_the_pack_hosts(monkeypatch):
    seen = {}
    monkeypatch.setattr(deck, "data_quality_section", lambda *a, **k: Section("data_quality", "Data quality", None,
                                                                                [], [], []))
    monkeypatch.setattr(deck, "build_deck", lambda *a, **k: seen.update(k))
    pack = SimpleNamespace(prioritization=SimpleNamespace(ranking=pd.DataFrame(), portfolio=None),
                           areas=[], portfolio=None, hosts=frozenset({"ehrapp"}))
    ctx = SimpleNamespace(con=None, as_of=dt.date(2026, 9, 30), settings=None, hospital="St. Example",
                          period=SimpleNamespace(label="FY2027Q1"))
    deck.deck_from_pack(pack, ctx, "unused.pptx")
    assert seen["known_hosts"] == frozenset({"ehrapp"})


def _planted_store(demo_store, path: Path, initiative_text: str | None = None) -> Path:
    """A copy of the demo store whose scanner calls one host by a plain name, ``ehrapp``; with
    ``initiative_text`` every initiative's name ends in it."""
    shutil.copy(demo_store[0], path)
    con = duckdb.connect(str(path))
    try:
        con.execute("update vulnerabilities set host = 'ehrapp' where host = (select min(host) from vulnerabilities)")
        if initiative_text:
            con.execute("update initiatives set name = name || ?", [initiative_text])
    finally:
        con.close()
    return path


def test_board_pack_refuses_a_store_host_in_an_initiative_name(demo_store, tmp_path):
    from hitplan import store
    from hitplan.periods import Period
    from hitplan.report.board import board_pack
    from hitplan.settings import load_settings

    period = Period("FY2027Q1", dt.date(2026, 7, 1), dt.date(2026, 10, 1))
    con = store.connect(_planted_store(demo_store, tmp_path / "planted.duckdb", " (retires ehrapp)"))
    try:
        with pytest.raises(BoardDisclosure, match="ehrapp"):
            board_pack(con, period, load_settings(), samples=20)
    finally:
        con.close()


# ---------------------------------------------------------------- a report run that would leak

PARAMS = '''store = None
period = None
start = None
end = None
as_of = None
hospital = None'''


def _project(home: Path) -> Path:
    """A project with two small stand-in report notebooks (the board pack and support), each drawing a chart."""
    (home / "notebooks").mkdir(parents=True)
    for stem, title in (("00_board_pack", "Board pack"), ("01_support", "Service desk")):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell(PARAMS)
        params.metadata["tags"] = ["parameters"]
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), params, nbformat.v4.new_code_cell(
            "import plotly.graph_objects as go\nfrom hitplan.report.display import show_figure\n"
            "show_figure(go.Figure(go.Bar(x=['incidents'], y=[3])))")]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, home / "notebooks" / f"{stem}.ipynb")
    return home


def test_a_report_that_would_show_an_address_or_a_store_host_fails_and_keeps_the_previous_pack(
        demo_store, tmp_path, monkeypatch, cli):
    home = _project(tmp_path / "project")
    monkeypatch.setenv("HITPLAN_HOME", str(home))
    monkeypatch.setenv("HITPLAN_STORE", str(_planted_store(demo_store, tmp_path / "planted.duckdb")))
    monkeypatch.setenv("HITPLAN_KEY_FILE", str(demo_key_file(demo_store)))
    reports = home / "reports"
    run_report(formats=("html",))  # the previous pack: plotly.js in every page, no leak found in it
    before = {p.relative_to(reports): p.read_bytes() for p in (reports / "FY2027Q1").rglob("*") if p.is_file()}

    code, _, err = cli("report", "--formats", "html", "--hospital", "Help desk ops@example.org")
    assert code == 6, err
    assert "board_pack.html, line" in err and "shows an e-mail address (and" in err and "ops@example.org" not in err
    assert "previous report is unchanged" in err and (reports / ".FY2027Q1.failed" / "support.html").is_file()
    after = {p.relative_to(reports): p.read_bytes() for p in (reports / "FY2027Q1").rglob("*") if p.is_file()}
    assert after == before

    # a host the store's scanner knows by a plain name: the board pack must not show it, the IT reports may
    code, _, err = cli("report", "--formats", "html", "--hospital", "ehrapp")
    assert code == 6 and "board_pack.html, line" in err and "shows a host name" in err, err
    leaks = scan_pack(reports / ".FY2027Q1.failed", names=None, board_files=BOARD, hosts={"ehrapp"})
    assert {x.file for x in leaks} == {"board_pack.html"}
    assert {p.relative_to(reports): p.read_bytes() for p in (reports / "FY2027Q1").rglob("*") if p.is_file()} == before
