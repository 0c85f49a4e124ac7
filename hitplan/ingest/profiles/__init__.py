"""Profiles: declarative maps from an export's column names to a feed's canonical columns."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from hitplan.errors import InputError, UsageError
from hitplan.schema import Feed


@dataclass(frozen=True)
class Profile:
    """How one tool's export names the columns of hitplan's feeds."""

    name: str
    description: str
    feeds: tuple[str, ...] | None  # None: every feed
    columns: dict[str, dict[str, str]] | None  # feed -> {export column: canonical column}; None: identity
    unknown_columns: str  # "refuse" or "ignore"

    def applies_to(self, feed: str) -> bool:
        return self.feeds is None or feed in self.feeds


def normalize_name(name: str) -> str:
    """A column name as profiles compare it: lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff")).lower()


@lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    """Every profile shipped with hitplan, by name."""
    out = {}
    for entry in resources.files(__package__).iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        spec = yaml.safe_load(entry.read_text(encoding="utf-8"))
        feeds = None if spec.get("feeds", "all") == "all" else tuple(spec["feeds"])
        cols = spec.get("columns", "identity")
        out[spec["name"]] = Profile(
            name=spec["name"],
            description=spec.get("description", ""),
            feeds=feeds,
            columns=None if cols == "identity" else cols,
            unknown_columns=spec.get("unknown_columns", "refuse"),
        )
    return out


def profile(name: str) -> Profile:
    """The profile called ``name``; a UsageError lists the known ones."""
    try:
        return profiles()[name]
    except KeyError:
        raise UsageError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(profiles()))}") from None


def column_map(prof: Profile, feed: Feed, columns: list[str], *, file: str, ignore_extra: bool = False) -> dict[str, str]:
    """Map a file's columns to ``feed``'s: {canonical column: file column}; InputError when it cannot load."""
    if not prof.applies_to(feed.name):
        raise UsageError(f"profile {prof.name!r} does not describe the {feed.name} feed")
    wanted = {c.name for c in feed.columns}
    rename = {} if prof.columns is None else {normalize_name(k): v for k, v in prof.columns.get(feed.name, {}).items()}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for col in columns:
        key = normalize_name(col)
        target = rename.get(key, key if prof.columns is None else None)
        if target in wanted and target not in mapping:
            mapping[target] = col
        else:
            unknown.append(col)
    missing = [c.name for c in feed.columns if c.required and c.name not in mapping]
    if missing:
        hint = ""
        if len(columns) == 1:
            hint = " (the file has a single column: is it a table, delimited by comma, semicolon or tab?)"
        raise InputError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for the {feed.name} feed"
            f"{hint}; found {', '.join(columns[:12])}{'…' if len(columns) > 12 else ''}. "
            "Rename the columns as in docs/feeds.md or pick a --profile",
            file=file,
        )
    if unknown and prof.unknown_columns == "refuse" and not ignore_extra:
        free = sorted(wanted - set(mapping))
        parts = []
        for col in unknown[:5]:
            close = difflib.get_close_matches(normalize_name(col), free, n=1, cutoff=0.6)
            parts.append(f"{col!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InputError(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(parts)} for the {feed.name} feed; "
            f"rename or remove {'them' if len(unknown) > 1 else 'it'}, or pass --ignore-extra to load the file without "
            f"{'them' if len(unknown) > 1 else 'it'}",
            file=file,
        )
    return mapping
