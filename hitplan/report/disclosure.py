"""What the board must not see: host names, IP addresses and CVE ids. One check, used by the board sections, the
board pack, the deck and the scan of a pack's board files before it goes out (``hitplan.report.leaks``); the area
reports for IT may name them. ``assert_board_safe`` applies it to a section."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import duckdb
import plotly.graph_objects as go

from hitplan.errors import ReportError
from hitplan.report.sections import Section


class BoardDisclosure(ReportError):
    """A board slide would show a host name, an IP address or a CVE id."""


IPV4 = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])")
CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
# machine names as scanners and CMDBs write them: ehr-prd-db01, WS-MAIN-12345, PRN-EAST-123, srv-db01
# (fiscal labels such as FY2028-FY2029 or FY2027Q1-FY2027Q4 are not machine names)
MACHINE = re.compile(r"\b(?!fy\d)[a-z][a-z0-9]*(?:-[a-z0-9]+)+-(?!fy\d)[a-z]*\d{2,}\b"
                     r"|\b(?!fy\d)[a-z]{2,}[a-z0-9]*-(?!fy\d)[a-z]+\d{2,}\b", re.IGNORECASE)
INTERNAL_FQDN = re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:local|lan|internal|intranet|corp|"
                           r"localdomain|priv|private|home\.arpa)\b", re.IGNORECASE)
# a dotted host whose first label carries a number (srv01.hospital.org); version strings start with v or a digit
NUMBERED_FQDN = re.compile(r"\b(?!v\d)[a-z][a-z-]*\d+[a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+\b", re.IGNORECASE)
GUARDS = (("an IP address", IPV4), ("a CVE id", CVE), ("a host name", MACHINE), ("a host name", INTERNAL_FQDN),
          ("a host name", NUMBERED_FQDN))


def disclosures(text: str, known_hosts: Iterable[str] = ()) -> list[tuple[str, str]]:
    """What in ``text`` the board must not see: (kind, matched text) for IPv4 addresses, CVE ids, host-name-like
    tokens and any of ``known_hosts`` (the store's scanner host names and address aliases)."""
    found = [(kind, m.group(0)) for kind, rx in GUARDS for m in rx.finditer(text or "")]
    hosts = {h.lower() for h in known_hosts if h}
    if hosts:
        found += [("a host name", w) for w in re.findall(r"[\w.-]+", (text or "").lower()) if w in hosts]
    return found


def json_strings(value, key: str = "") -> Iterable[str]:
    """Every string in a JSON-like value (dicts, lists), keys left out, binary-encoded number arrays too."""
    if isinstance(value, str):
        if key != "bdata":  # binary-encoded number arrays are not text
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from json_strings(v, k)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from json_strings(v, key)


def figure_texts(fig: go.Figure) -> list[str]:
    """Every string a chart carries (titles, labels, categories, hover text, annotations, alt text)."""
    return list(json_strings(json.loads(fig.to_json())))


def section_texts(section: Section) -> list[str]:
    """All the text a section shows: title, findings, key numbers, table headers and cells, figure text."""
    out = [section.title, *section.findings, *(x for kn in section.key_numbers for x in kn)]
    for caption, df in section.tables:
        out.append(caption)
        out.extend(str(c) for c in df.columns)
        out.extend(str(v) for v in df.astype(str).to_numpy().ravel())
    for caption, fig in section.figures:
        out.append(caption or "")
        out.extend(figure_texts(fig))
    return out


def assert_board_safe(section: Section, known_hosts: Iterable[str] | None = None) -> None:
    """Raise BoardDisclosure when a section's text holds an IPv4 address, a CVE id or a host-name-like token
    (or one of ``known_hosts``, e.g. the store's scanner host names)."""
    hits = sorted({what for text in section_texts(section) for _, what in disclosures(text, known_hosts or ())})
    if hits:
        raise BoardDisclosure(f"section {section.key!r} is not fit for the board: it names {', '.join(hits[:5])}"
                              f"{' and more' if len(hits) > 5 else ''} (hosts, addresses and CVE ids stay in IT reports)")


def store_hosts(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Host names and addresses the store knows (scanner hosts and host/IP aliases), for ``assert_board_safe``."""
    rows = con.execute("select distinct host from vulnerabilities where host is not null union "
                       "select distinct alias from system_aliases where kind in ('host', 'ip_address')").fetchall()
    return {r[0] for r in rows}
