"""The declared shape of every feed, read from ``feeds.yaml`` (the one place columns are described)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from hitplan.config import load_yaml


TYPES = {
    "text": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "money": "DECIMAL(18,2)",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
DEFAULT_MAX_LENGTH = 32767


@dataclass(frozen=True)
class Column:
    """One declared column of a feed."""

    name: str
    type: str
    description: str
    example: str = ""
    required: bool = False
    min: Any = None
    max: Any = None
    values: tuple[str, ...] = ()
    not_future: bool = False
    pii: bool = False
    free_text: bool = False  # typed by people: scrubbed of names, e-mails, phone numbers, ids and IPs at ingest
    link: str | None = None
    max_length: int = DEFAULT_MAX_LENGTH
    range_note: str = ""  # why min/max are where they are

    @property
    def sql_type(self) -> str:
        return TYPES[self.type]


def limit_text(value: Any) -> str:
    """A min or max as people read it: 1,000,000 rather than 1000000 (years and small numbers as they are)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) >= 10000:
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True)
class Check:
    """A rule across columns that every valid row satisfies (SQL over the typed values)."""

    column: str
    rule: str
    message: str


@dataclass(frozen=True)
class Feed:
    """One raw feed table: its grain, key and columns."""

    name: str
    grain: str
    key: tuple[str, ...]
    date_column: str | None
    columns: tuple[Column, ...] = field(default_factory=tuple)
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@lru_cache(maxsize=1)
def feeds() -> dict[str, Feed]:
    """Every feed declared in feeds.yaml, in load order (profile and vendors before what links to them)."""
    text = resources.files(__package__).joinpath("feeds.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text)
    out: dict[str, Feed] = {}
    for name, spec in raw.items():
        cols = []
        for cname, c in spec["columns"].items():
            if c["type"] not in TYPES:
                raise ValueError(f"feeds.yaml: {name}.{cname} has unknown type {c['type']!r}")
            cols.append(
                Column(
                    name=cname,
                    type=c["type"],
                    description=c.get("description", ""),
                    example=str(c.get("example", "")),
                    required=bool(c.get("required", False)),
                    min=c.get("min"),
                    max=c.get("max"),
                    values=tuple(c.get("values", ())),
                    not_future=bool(c.get("not_future", False)),
                    pii=bool(c.get("pii", False)),
                    free_text=bool(c.get("free_text", False)),
                    link=c.get("link"),
                    max_length=int(c.get("max_length", DEFAULT_MAX_LENGTH)),
                    range_note=str(c.get("range_note", "")),
                )
            )
        out[name] = Feed(
            name=name,
            grain=spec["grain"],
            key=tuple(spec["key"]),
            date_column=spec.get("date_column"),
            columns=tuple(cols),
            checks=tuple(Check(**c) for c in spec.get("checks", ())),
        )
    return out


def feed(name: str) -> Feed:
    """The declared feed called ``name``."""
    return feeds()[name]
