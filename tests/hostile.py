"""A hostile store (issue 12, case 6): script, event-handler and Markdown-link payloads planted in every text column a
report shows, and the whole report pack built from it (tests/conftest.py shares that pack for the session)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import yaml

# Run, each payload appends "XSSRAN" to the page (the literal text shows 'XSS'+'RAN', never the joined word)
RUN = "document.body.append('XSS'+'RAN')"
PAYLOAD = f'<script>{RUN}</script><img src=x onerror="{RUN}">[click](javascript:alert(1))'
RAN = "XSSRAN"
FEEDS = Path(__file__).resolve().parents[1] / "hitplan" / "schema" / "feeds.yaml"

# text columns that are codes, ids or lists of ids (a payload there breaks a join or a lookup, not a page)
_CODED = {("hospital", "time_zone"), ("hospital", "state"), ("hospital", "currency"), ("costs", "currency"),
          ("vulnerabilities", "cve"), ("kev", "known_ransomware_use"), ("findings", "framework"),
          ("findings", "control_id"), ("initiatives", "target_systems"), ("initiatives", "depends_on"),
          ("initiatives", "excludes"), ("initiatives", "team_hours"), ("initiatives", "addresses")}
# key columns other feeds join on by value: the same payload on both sides keeps the join
_JOINED_KEYS = {("usage", "department"), ("phishing", "department"), ("budgets", "cost_center")}
# not feeds, but store text the data-quality report shows
_STORE_TEXT = {("rejects", "reason"), ("rejects", "column_name"), ("load_log", "file_name")}


def planted_columns() -> list[tuple[str, str]]:
    """Every text column of every feed that is not a key, a coded value or a link, plus the joined keys and the
    store's own text shown in reports."""
    feeds = yaml.safe_load(FEEDS.read_text(encoding="utf-8"))
    cols = {(feed, col) for feed, spec in feeds.items() for col, c in spec["columns"].items()
            if c.get("type") == "text" and col not in (spec.get("key") or []) and not c.get("values")
            and not c.get("link")}
    return sorted((cols - _CODED) | _JOINED_KEYS | _STORE_TEXT)


def hostile_store(clean: Path, path: Path) -> Path:
    """A copy of the store ``clean`` at ``path`` with PAYLOAD appended to every planted column."""
    shutil.copy(clean, path)
    con = duckdb.connect(str(path))
    try:
        for table, col in planted_columns():
            con.execute(f'update "{table}" set "{col}" = "{col}" || ? where "{col}" is not null', [" " + PAYLOAD])
        assert con.execute("select name from hospital").fetchone()[0].endswith(PAYLOAD)
    finally:
        con.close()
    return path
