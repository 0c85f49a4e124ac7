"""Sentence builders for report findings: what is missing and how to load it, and findings ordered by status.

Findings are sentences computed from the data; a KPI that could not be computed gives a sentence that says
what is missing and which ``hitplan ingest`` loads it, never a made-up number.
"""

from __future__ import annotations

import re

import pandas as pd

from hitplan.analysis import STATUSES
from hitplan.periods import Period

# the notes KPIs write when a feed or a column is missing, as opposed to "nothing happened in the period"
_MISSING_MARKS = ("in the store", "blank in every row", "not in this export")


def load_hint(feed: str) -> str:
    """How to load a feed: the ``hitplan ingest`` command."""
    return f"load the {feed} export with `hitplan ingest {feed} FILE`"


_EMPTY_FEED = re.compile(r"no (\w+) rows in the store")
_BLANK_COLUMN = re.compile(r"(\w+)\.(\w+) is (?:blank in every row of|not in) this export")


def absent(what: str, period: Period, df: pd.DataFrame, feed: str | None = None) -> str:
    """A sentence saying why ``what`` has no figure for the period, with what would give it one: the command that
    loads the empty feed the note names, or the column an export lacks."""
    note = str(df.attrs.get("note") or "no data")
    text = f"{what[:1].upper()}{what[1:]} for {period.label}: {note}"
    if m := _EMPTY_FEED.search(note):
        text += f"; {load_hint(m.group(1))}"
    elif m := _BLANK_COLUMN.search(note):
        text += (f"; export the {m.group(1)} with their {m.group(2)} (docs/feeds.md says what it holds) and load "
                 f"them again with `hitplan ingest {m.group(1)} FILE`")
    elif feed and any(mark in note for mark in _MISSING_MARKS):
        text += f"; {load_hint(feed)}"
    return text + "."


def names(values, limit: int = 3) -> str:
    """Up to ``limit`` names joined in English ("A, B and C", "A, B, C and 2 more")."""
    items = [str(v) for v in dict.fromkeys(values) if v is not None and not pd.isna(v)]
    if len(items) > limit:
        items = items[:limit] + [f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: float, one: str, many: str | None = None) -> str:
    """``n`` with the noun in singular or plural ("1 vendor", "3 vendors")."""
    k = int(round(float(n)))
    return f"{k:,} {one if k == 1 else (many or one + 's')}"


class Findings:
    """Findings collected while a section is built, returned most important first: sentences tied to an
    off-target KPI, then watch, then the rest, each group in the order they were added."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, str]] = []

    def add(self, text: str, status: str | None = None) -> None:
        """Add a sentence, with the status of the KPI it reports on (None when it has none)."""
        rank = -STATUSES.index(status) if status in STATUSES else 1
        self._items.append((rank, len(self._items), text))

    def lead(self, text: str) -> None:
        """Add a sentence that goes before every other: what makes the rest read as they do (no data in the period)."""
        self._items.append((-len(STATUSES) - 1, len(self._items), text))

    def ordered(self) -> list[str]:
        """The sentences, most important first."""
        return [t for _, _, t in sorted(self._items)]
