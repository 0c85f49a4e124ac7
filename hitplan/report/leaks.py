"""What a report pack must not show, looked for in its files before the pack is swapped in: a person's name (from the
store's name register) or an e-mail address in any file; in the board's files also an IP address, a host name of
the store's inventory or a CVE id (``hitplan.report.disclosure``). IT area reports and notebooks may name hosts and
addresses: an analyst needs them to act.

Each kind of file is read as its reader would see it: the text of an HTML page and the data its charts carry
(titles, labels, hover text), but not the library code hitplan embeds verbatim (plotly.js, recognized by its
exact content); a PDF page by page; every XML part of a PowerPoint file, slide by slide (notes and charts go with
their slide); a saved notebook cell by cell, its outputs included. A leak says in which file and where, never the
value itself (the message would put the name in a log).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

import plotly.offline
from pypdf import PdfReader

from hitplan.errors import ReportError
from hitplan.privacy.text import shipped_patterns
from hitplan.report.disclosure import disclosures, json_strings

NAME, EMAIL_KIND = "a name", "an e-mail address"
# an e-mail address is what the free-text scrubber replaces as one (hitplan/privacy/patterns.yaml)
EMAIL = next(p.regex for p in shipped_patterns() if p.kind == "email")
Names = Callable[[str], list[str]]


@dataclass(frozen=True)
class Leak:
    """Something a pack must not show: the file (relative to the pack), the place in it and the kind of leak."""

    file: str
    place: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}, {self.place}: {self.kind}"


@dataclass(frozen=True)
class Piece:
    """A text of a file and its place. ``code`` marks code and markup rather than report content (a notebook's cell
    sources and papermill's record of paths and parameters; style sheets, comments, ids and classes): names and
    e-mail addresses are looked for in it, but not the board's hosts, addresses and CVE ids, whose host-name shapes
    match class names and file paths."""

    place: str
    text: str
    code: bool = False


# ---------------------------------------------------------------- HTML

@lru_cache(maxsize=1)
def _vendored() -> dict[int, tuple[str, ...]]:
    """Library code hitplan embeds verbatim in its pages, by length: plotly.js as plotly's notebook renderer writes
    it (once per page)."""
    out: dict[int, tuple[str, ...]] = {}
    for code in (plotly.offline.get_plotlyjs(),):
        out[len(code)] = (*out.get(len(code), ()), code)
    return out


def is_vendored(script: str) -> bool:
    """Whether a script's content is exactly library code hitplan embeds (so it holds no report data)."""
    return any(script == code for code in _vendored().get(len(script), ()))


_OPENING = re.compile(r"<(script|style)\b[^>]*>", re.IGNORECASE)
_JSON_GAP = re.compile(r"[\s,]*")
_TAG = re.compile(r"<br\s*/?>|<[^<>]*>", re.IGNORECASE)
# elements after which a browser starts a new line: text on either side of them is not one phrase
_BLOCKS = frozenset("address article aside blockquote br caption dd details div dl dt figcaption figure footer form h1 "
                    "h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead title "
                    "tr ul option".split())
# attributes whose values a reader sees or hears (tooltips, alt text, labels) or follows (links: mailto:)
_SHOWN_ATTRS = frozenset({"alt", "title", "aria-label", "aria-description", "placeholder", "value", "label", "href",
                          "content", "summary"})


def _shown(chart_text: str) -> str:
    """Chart text as a reader sees it: plotly's markup tags gone (a line break kept), entities decoded."""
    if "<" not in chart_text and "&" not in chart_text:
        return chart_text
    return html.unescape(_TAG.sub(lambda m: "\n" if m.group(0)[1:3].lower() == "br" else "", chart_text))


def figure_strings(figure: dict) -> list[str]:
    """Every text a plotly figure (data and layout) shows, as shown (binary number arrays left out)."""
    return [_shown(s) for s in json_strings(figure) if s.strip()]


def _chart_strings(script: str) -> list[str] | None:
    """The texts of the figure a plotly chart script draws (its traces and layout, not the div id it draws in);
    None when the script is not one, or cannot be read as one."""
    at = script.find("Plotly.newPlot(")
    if at < 0:
        return None
    decoder, pos, values = json.JSONDecoder(), at + len("Plotly.newPlot("), []
    try:
        for _ in range(4):  # the div id, the traces, the layout, the config
            pos = _JSON_GAP.match(script, pos).end()
            if script.startswith(")", pos):
                break
            value, pos = decoder.raw_decode(script, pos)
            values.append(value)
    except json.JSONDecodeError:
        return None
    if len(values) < 3:
        return None
    return figure_strings({"data": values[1], "layout": values[2], "config": values[3:]})


# a comment, a CDATA section, a declaration, or a start or end tag with its attributes (quoted values may hold ">")
_MARKUP = re.compile(r"<!--(.*?)(?:-->|\Z)|<!\[CDATA\[(.*?)(?:\]\]>|\Z)|<[!?][^>]*>"
                     r"|<(/?)([A-Za-z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.DOTALL)
_ATTR = re.compile(r"""([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


def _markup_pieces(page: str, place: Callable[[int], str]) -> Iterator[Piece]:
    """An HTML page's text in blocks as a browser lays it out (a block-level tag ends one), each placed on the line
    it starts on, and its attribute values: those a reader sees or hears (alt text, titles, links) for every check,
    the others (ids, classes) only for names and e-mail addresses; comments as code."""
    pos, line, parts, block_line = 0, 1, [], 1

    def flush():
        text = html.unescape("".join(parts)).strip()
        parts.clear()
        return Piece(place(block_line), text) if text else None

    for m in _MARKUP.finditer(page):
        text = page[pos:m.start()]
        if text:
            if not parts:
                block_line = line + text[:len(text) - len(text.lstrip())].count("\n")
            parts.append(text)
            line += text.count("\n")
        tag = (m.group(4) or "").lower()
        if m.group(1) is not None or m.group(2) is not None or tag in _BLOCKS:
            if piece := flush():
                yield piece
        if m.group(1) or m.group(2):
            yield Piece(place(line), html.unescape(m.group(1) or m.group(2)), code=m.group(1) is not None)
        for a in _ATTR.finditer(m.group(5) or ""):
            value = a.group(2) if a.group(2) is not None else a.group(3) if a.group(3) is not None else a.group(4)
            if value and not value.lstrip().lower().startswith("data:"):
                yield Piece(place(line), html.unescape(value), code=a.group(1).lower() not in _SHOWN_ATTRS)
        line += m.group(0).count("\n")
        pos = m.end()
    text = page[pos:]
    if text:
        if not parts:
            block_line = line + text[:len(text) - len(text.lstrip())].count("\n")
        parts.append(text)
    if piece := flush():
        yield piece


def _elements(page: str) -> Iterator[tuple[str, int, int]]:
    """(tag, start, end) of the content of every script and style element of a page."""
    lower, pos = None, 0
    while m := _OPENING.search(page, pos):
        tag = m.group(1).lower()
        end = page.find(f"</{tag}", m.end())
        if end < 0:
            lower = lower or page.lower()
            end = lower.find(f"</{tag}", m.end())
        end = len(page) if end < 0 else end
        yield tag, m.end(), end
        pos = end


def html_pieces(page: str, place: Callable[[int], str]) -> Iterator[Piece]:
    """The texts of an HTML page: its text and attribute values by line, the data its chart scripts draw, and any
    other script or style as written (embedded library code excepted); ``place`` names a line."""
    kept, last, line = [], 0, 1
    for tag, start, end in _elements(page):
        line += page.count("\n", last, start)  # the line the element's content starts on
        body, breaks = page[start:end], page.count("\n", start, end)
        kept += [page[last:start], "\n" * breaks]  # the rest of the page keeps the file's line numbers
        place_here, last = place(line), end
        line += breaks
        if not body.strip() or is_vendored(body):
            continue
        if tag == "style":  # layout only: its class names look like machine names to the board checks
            yield Piece(f"style, {place_here}", body, code=True)
        elif (chart := _chart_strings(body)) is not None:
            yield Piece(f"chart, {place_here}", "\n".join(chart))
        else:  # any other script is read whole: what it holds cannot be told apart
            yield Piece(f"script, {place_here}", body)
    kept.append(page[last:])
    yield from _markup_pieces("".join(kept), place)


# ---------------------------------------------------------------- saved notebooks

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _output_pieces(output: dict, place: str) -> Iterator[Piece]:
    kind = output.get("output_type")
    if kind == "stream":
        yield Piece(place, _joined(output.get("text")))
    elif kind == "error":
        yield Piece(place, _ANSI.sub("", "\n".join([str(output.get("ename", "")), str(output.get("evalue", "")),
                                                    *map(str, output.get("traceback") or [])])))
    for mime, value in (output.get("data") or {}).items():
        if mime in ("text/html", "image/svg+xml"):
            yield from html_pieces(_joined(value), lambda _n: place)
        elif mime == "application/vnd.plotly.v1+json" and isinstance(value, dict):
            yield Piece(place, "\n".join(figure_strings({k: value.get(k) for k in ("data", "layout")})))
        elif mime.endswith("json"):
            yield Piece(place, "\n".join(json_strings(value)))
        elif mime.startswith("text/"):  # text/plain, text/markdown, text/latex
            yield Piece(place, _joined(value))
        # other image data (PNG, JPEG) holds no text to read


def notebook_pieces(path: Path) -> Iterator[Piece]:
    """A saved notebook's texts by cell: its source (code marked as such) and its outputs (stream, error, text,
    Markdown, HTML and chart data; not images), and its metadata (papermill's run record)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for number, cell in enumerate(nb.get("cells") or [], start=1):
        place = f"cell {number}"
        yield Piece(place, _joined(cell.get("source")), code=cell.get("cell_type") == "code")
        for output in cell.get("outputs") or []:
            yield from _output_pieces(output, place)
    yield Piece("notebook metadata", "\n".join(json_strings(nb.get("metadata") or {})), code=True)


# ---------------------------------------------------------------- PDF and PowerPoint

PDF_PROPERTIES = ("/Title", "/Author", "/Subject", "/Keywords")


def pdf_pieces(path: Path) -> Iterator[Piece]:
    """A PDF's text page by page, and the document properties a reader sees (title, author, subject, keywords; not
    the software that made it, whose version number reads as an IP address)."""
    reader = PdfReader(path)
    info = reader.metadata or {}
    yield Piece("document properties", "\n".join(str(info[k]) for k in PDF_PROPERTIES if info.get(k)))
    for number, page in enumerate(reader.pages, start=1):
        yield Piece(f"page {number}", page.extract_text() or "")


_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_XML_ATTRS = ("descr", "title", "name")  # alt text and names a reader hears or sees in the selection pane


def _xml_texts(root: ElementTree.Element) -> Iterator[str]:
    """The text nodes of an Office XML part, a paragraph's runs joined, and its alt text attributes."""
    stack = [root]
    while stack:
        el = stack.pop()
        for attr in _XML_ATTRS:
            if value := el.get(attr):
                yield value
        if el.tag == f"{_A}p":  # its runs are one line of text, however they are styled
            yield "".join(t.text or "" for t in el.iter(f"{_A}t"))
            continue
        if el.text and el.text.strip():
            yield el.text
        stack.extend(reversed(list(el)))


def _targets(zf: zipfile.ZipFile, part: str) -> list[tuple[str, str]]:
    """(relationship id, target part) of a part's relationships."""
    rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if rels not in zf.namelist():
        return []
    base = posixpath.dirname(part)
    return [(r.get("Id"), posixpath.normpath(posixpath.join(base, r.get("Target"))))
            for r in ElementTree.fromstring(zf.read(rels)).iter(_REL)
            if r.get("TargetMode") != "External"]


def _slide_places(zf: zipfile.ZipFile) -> dict[str, str]:
    """Which slide each slide part, and each part a slide uses (its notes, charts, diagrams), belongs to."""
    pres = "ppt/presentation.xml"
    if pres not in zf.namelist():
        return {}
    by_id = dict(_targets(zf, pres))
    ids = [el.get(_R_ID) for el in ElementTree.fromstring(zf.read(pres)).iter()
           if el.tag.endswith("}sldId")]
    places = {}
    for number, rid in enumerate(ids, start=1):
        slide = by_id.get(rid)
        if not slide:
            continue
        places[slide] = f"slide {number}"
        for _, target in _targets(zf, slide):
            if target.endswith(".xml") and "/slideLayouts/" not in target:
                places.setdefault(target, f"slide {number}" + (" notes" if "/notesSlides/" in target else ""))
    return places


def pptx_pieces(path: Path) -> Iterator[Piece]:
    """The text of every XML part of a PowerPoint file (slides, notes, charts, masters, properties), each placed on
    its slide where it belongs to one."""
    with zipfile.ZipFile(path) as zf:
        places = _slide_places(zf)
        for part in sorted(zf.namelist(), key=lambda p: (p not in places, _natural(places.get(p, p)))):
            if not part.endswith(".xml"):
                continue
            texts = [t for t in _xml_texts(ElementTree.fromstring(zf.read(part))) if t.strip()]
            if texts:
                yield Piece(places.get(part, part), "\n".join(texts))


def _natural(text: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"(\d+)", text))


# ---------------------------------------------------------------- other files

def json_pieces(path: Path) -> Iterator[Piece]:
    """A JSON file's strings (keys and values), by top-level key."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield Piece(f"key {key}", "\n".join([str(key), *json_strings(value)]))
    else:
        yield Piece("document", "\n".join(json_strings(doc)))


def text_pieces(path: Path) -> Iterator[Piece]:
    """A text file's lines."""
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        yield Piece(f"line {number}", line)


def _html_file(path: Path) -> Iterator[Piece]:
    return html_pieces(path.read_text(encoding="utf-8", errors="replace"), lambda n: f"line {n}")


READERS: dict[str, Callable[[Path], Iterable[Piece]]] = {
    ".html": _html_file, ".htm": _html_file, ".svg": _html_file, ".ipynb": notebook_pieces, ".pdf": pdf_pieces,
    ".pptx": pptx_pieces, ".json": json_pieces, ".txt": text_pieces, ".log": text_pieces, ".csv": text_pieces,
    ".md": text_pieces, ".css": text_pieces, ".js": text_pieces,
}
# files with no text a reader could see (images of charts: their text is checked before they are drawn)
NO_TEXT = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".lock"})


def pieces(path: Path) -> Iterable[Piece]:
    """The texts of a pack's file with their places (a file of a kind not known here is read as lines of text)."""
    suffix = path.suffix.lower()
    if suffix in NO_TEXT:
        return ()
    return READERS.get(suffix, text_pieces)(path)


# ---------------------------------------------------------------- the scan

LOCAL_PART = 256  # characters before an @ an address may have (RFC 5321 allows 64)


def has_email(text: str) -> bool:
    """Whether a text holds an e-mail address (searched around each @ only: a long text of code has few)."""
    at = text.find("@")
    while at >= 0:
        if EMAIL.search(text, max(0, at - LOCAL_PART), at + LOCAL_PART):
            return True
        at = text.find("@", at + 1)
    return False


def leak_kinds(text: str, names: Names | None, hosts: set[str] | None) -> list[str]:
    """The kinds of leak in a text: a registered name, an e-mail address, and with ``hosts`` (board files) an IP
    address, a CVE id or a host name (the store's or one shaped like a machine name)."""
    found = []
    if names is not None and names(text):
        found.append(NAME)
    if has_email(text):
        found.append(EMAIL_KIND)
    if hosts is not None:
        found.extend(dict.fromkeys(kind for kind, _ in disclosures(text, hosts)))
    return found


def scan_pack(folder: Path, *, names: Names | None, board_files: Iterable[str], hosts: set[str]) -> list[Leak]:
    """Every leak in a report pack's files, in file order: names (``names`` gives the register's names found in a
    text) and e-mail addresses anywhere; IP addresses, CVE ids and host names (``hosts``: the store's) also in
    ``board_files`` (paths relative to ``folder``), outside the notebook's code and run record."""
    folder = Path(folder)
    board = {Path(f).as_posix() for f in board_files}
    hosts = {h.lower() for h in hosts if h}
    seen: dict[tuple[str, bool], list[str]] = {}  # the same text in many places (a banner, a footer) is read once
    leaks: dict[Leak, None] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        try:
            found = list(pieces(path))
        except Exception as exc:  # noqa: BLE001 - unreadable is unchecked: the pack must not go out
            # only the error's type: its message may quote the file's content
            raise ReportError(f"{rel} could not be read to check it for names and addresses "
                              f"({type(exc).__name__})") from exc
        for piece in found:
            if not piece.text:
                continue
            board_check = rel in board and not piece.code
            key = (piece.text, board_check)
            if key not in seen:
                seen[key] = leak_kinds(piece.text, names, hosts if board_check else None)
            for kind in seen[key]:
                leaks.setdefault(Leak(rel, piece.place, kind))
    return list(leaks)
