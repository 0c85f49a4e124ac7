"""Profiles: declarative maps from a tool's export to a feed's canonical columns and values.

A profile is one YAML file in this folder. It names the feeds it describes, the header columns that
identify the tool (`detect`), for each canonical column the export's column name(s) (the first present
wins), the texts that mean blank (`null_values`), and per column a value rule (`values`):

- `leading_integer`: "1 - Critical" -> 1 (a bare number stays as it is);
- `{map: {...}}`: exact values (case-insensitive) replaced, e.g. state codes 6 -> resolved; a value not in
  the map passes unchanged, so the feed's own rules reject it with its reason instead of a silent default;
- `{remove: REGEX}`: text removed, e.g. an assignment-group prefix "[i] ";
- `{datetime: [FORMAT, ...]}`: date/time layouts accepted, by name (see DATETIME_FORMATS); ISO is
  always accepted. Slash dates follow the order the profile declares (`mdy` or `dmy`), which
  `--date-order` can override; a value that does not parse is rejected, never guessed.

`person_columns` lists the tool's export columns (field names and UI labels) that hold people: with the feeds'
`pii` columns and any header that names a person (hitplan.privacy.headers), they are the file columns a load
never keeps as written (see person_sources).

Without --profile, every profile is ranked by how much of the header it reads (then how many feed columns it
fills, then its markers). A tie, or a best fit that would leave out a column named like one of the feed's
own, is an error listing the candidates: a silent pick would store those columns blank.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any


from hitplan.config import load_yaml
from hitplan.errors import InputError, UsageError
from hitplan.privacy.headers import is_person_header
from hitplan.schema import Feed

DATETIME_FORMATS: dict[str, tuple[str, ...]] = {
    "mdy": ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
            "%m/%d/%y %H:%M", "%m/%d/%y"),
    "dmy": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M %p", "%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y"),
    "jira": ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%y"),
    "iso_t": ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"),
    # UTC written with a literal Z (a %z format would make DuckDB return TIMESTAMPTZ and shift twice).
    "iso_z": ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S"),
}
DATE_ORDERS = ("mdy", "dmy")
# Markers in a column map for canonical columns that no single export column feeds.
DERIVED = "\x00derived"
FIXED = "\x00fixed"


@dataclass(frozen=True)
class Profile:
    """How one tool's export names and writes the columns of hitplan's feeds."""

    name: str
    description: str
    feeds: tuple[str, ...] | None  # None: every feed
    columns: dict[str, dict[str, tuple[str, ...]]] | None  # feed -> {canonical: export names}; None: identity
    unknown_columns: str = "refuse"  # or "ignore": real exports carry many columns hitplan does not use
    detect: dict[str, tuple[str, ...]] = field(default_factory=dict)  # feed -> header names that identify it
    null_values: tuple[str, ...] = ()
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # feed -> {canonical: rule}
    from_comments: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {canonical: regex}
    derive: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {canonical: SQL over {Export Column}}
    constants: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {canonical: value or {option}}
    explode: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {column, separator}
    merge_duplicates: dict[str, str] = field(default_factory=dict)  # feed -> SQL order: the row kept first
    collapse: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {key, latest_first}: event logs
    person_columns: tuple[str, ...] = ()  # export columns holding people, as normalize_name writes them

    def fixed_values(self, feed: str, comments: list[str], options: dict[str, str | None]) -> dict[str, str]:
        """Canonical values stated once for the whole file: in its comment lines (EPSS's score_date), by
        the profile (a Nessus export's findings are all open), or by an option (--scan-date)."""
        found = {}
        for column, value in self.constants.get(feed, {}).items():
            m = re.fullmatch(r"\{(\w+)\}", str(value))
            if m:
                if not options.get(m.group(1)):
                    raise UsageError(
                        f"{self.description} files do not say when the scan ran; pass --{m.group(1).replace('_', '-')} "
                        "YYYY-MM-DD (the day of the scan)"
                    )
                found[column] = str(options[m.group(1)])
            else:
                found[column] = str(value)
        for column, pattern in self.from_comments.get(feed, {}).items():
            for line in comments:
                m = re.search(pattern, line)
                if m:
                    found[column] = m.group(1)
                    break
        return found

    def applies_to(self, feed: str) -> bool:
        return self.feeds is None or feed in self.feeds


def normalize_name(name: str) -> str:
    """A column name as profiles compare it: lower case, every run of other characters as one underscore."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", name.strip().lstrip("\ufeff")).strip("_").lower()


def _as_tuple(v: Any) -> tuple[str, ...]:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


@lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    """Every profile shipped with hitplan, by name."""
    out = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        spec = load_yaml(entry.read_text(encoding="utf-8"))
        feeds = None if spec.get("feeds", "all") == "all" else tuple(spec["feeds"])
        cols = spec.get("columns", "identity")
        out[spec["name"]] = Profile(
            name=spec["name"],
            description=spec.get("description", ""),
            feeds=feeds,
            columns=None if cols == "identity" else {
                f: {c: tuple(normalize_name(n) for n in _as_tuple(names)) for c, names in m.items()}
                for f, m in cols.items()
            },
            unknown_columns=spec.get("unknown_columns", "refuse"),
            detect={f: tuple(normalize_name(n) for n in names) for f, names in spec.get("detect", {}).items()},
            null_values=tuple(spec.get("null_values", ())),
            values=spec.get("values", {}),
            from_comments=spec.get("from_comments", {}),
            derive=spec.get("derive", {}),
            constants=spec.get("constants", {}),
            explode=spec.get("explode", {}),
            merge_duplicates=spec.get("merge_duplicates", {}),
            collapse=spec.get("collapse", {}),
            person_columns=tuple(dict.fromkeys(normalize_name(n) for n in spec.get("person_columns") or ())),
        )
    return out


def profile(name: str) -> Profile:
    """The profile called ``name``; a UsageError lists the known ones."""
    try:
        return profiles()[name]
    except KeyError:
        raise UsageError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(profiles()))}") from None


# A repeated header name as source.py numbers it: "Watchers", "Watchers (2)".
_REPEAT_SUFFIX = re.compile(r"\s*\(\d+\)$")


def person_sources(prof: Profile, feed: Feed, header: list[str], mapping: dict[str, str]) -> set[str]:
    """The file columns (as the header writes them) that hold persons: the sources of the feed's ``pii`` columns,
    and every column not mapped to a declared feed column that the profile lists in ``person_columns`` or whose
    header names a person. A column mapped to a declared non-pii column (users_affected, assignment_group,
    owner_department, ...) never is one: the feed's own rules say what it holds."""
    declared = {c.name: c for c in feed.columns}
    direct = {canonical: source for canonical, source in mapping.items()
              if canonical in declared and source not in (DERIVED, FIXED)}
    persons = {source for canonical, source in direct.items() if declared[canonical].pii}
    mapped = set(direct.values())
    listed = set(prof.person_columns)
    for col in header:
        if col in mapped:
            continue
        if normalize_name(_REPEAT_SUFFIX.sub("", col)) in listed or is_person_header(col):
            persons.add(col)
    return persons


def _match(prof: Profile, feed: Feed, columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """({canonical: file column}, [file columns not used]) for a profile and a header."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalize_name(col), col)
    mapping: dict[str, str] = {}
    if prof.columns is None:
        wanted = {c.name for c in feed.columns}
        for norm, col in by_norm.items():
            if norm in wanted:
                mapping[norm] = col
    else:
        for canonical, names in prof.columns.get(feed.name, {}).items():
            for n in names:
                if n in by_norm:
                    mapping[canonical] = by_norm[n]
                    break
    used = set(mapping.values())
    for canonical in prof.derive.get(feed.name, {}):
        template = _derive_template(prof, feed.name, canonical, by_norm)
        if canonical not in mapping and template is not None:
            mapping[canonical] = DERIVED
            used.update(by_norm[normalize_name(r)] for r in re.findall(r"\{([^}]+)\}", template))
    for canonical in list(prof.constants.get(feed.name, {})) + list(prof.from_comments.get(feed.name, {})):
        mapping.setdefault(canonical, FIXED)
    return mapping, [c for c in columns if c not in used]


def _single_column_hint(columns: list[str]) -> str:
    """A hint for a header that split into one column: usually not a table, or another delimiter."""
    if len(columns) != 1:
        return ""
    return " (the file has a single column: is it a table, delimited by comma, semicolon or tab?)"


def _missing_required(feed: Feed, mapping: dict[str, str]) -> list[str]:
    return [c.name for c in feed.columns if c.required and c.name not in mapping]


@dataclass(frozen=True)
class Fit:
    """How one profile reads one header: what it fills, what it leaves out, and how well it fits."""

    profile: Profile
    mapping: dict[str, str]  # canonical column -> file column, DERIVED or FIXED
    unused: tuple[str, ...]  # file columns the profile does not read
    lacks: tuple[str, ...]  # required feed columns and detect markers the header lacks
    dropped: tuple[str, ...]  # unused file columns named like a feed column the profile leaves blank
    rank: tuple[int, int, int]  # (header columns read, feed columns filled, detect markers): higher fits better
    eligible: bool  # may be picked without --profile


def dropped_columns(feed: Feed, mapping: dict[str, str], unused: list[str] | tuple[str, ...]) -> list[str]:
    """File columns a load would leave out although they are named like one of the feed's columns it leaves blank."""
    names = {c.name for c in feed.columns}
    return [c for c in unused if normalize_name(c) in names and normalize_name(c) not in mapping]


def ranked_fits(feed: Feed, columns: list[str]) -> list[Fit]:
    """Every profile of ``feed`` scored against a header: the ones that may be picked first, best fit first."""
    normalized = {normalize_name(c) for c in columns}
    scored = []
    for prof in profiles().values():
        if prof.applies_to(feed.name):
            mapping, unused = _match(prof, feed, columns)
            markers = prof.detect.get(feed.name, ())
            lacks = tuple(_missing_required(feed, mapping) + [m for m in markers if m not in normalized])
            scored.append((prof, mapping, unused, lacks, (len(columns) - len(unused), len(mapping), len(markers))))
    most_read_by_a_tool = max((rank[0] for prof, *_, rank in scored if prof.columns is not None), default=0)
    out = []
    for prof, mapping, unused, lacks, rank in scored:
        if prof.columns is None:
            # hitplan's own layout, even with unknown or missing columns, when it reads at least as much of the
            # header as any tool's profile would: its precise "missing column" or "unknown column, did you mean"
            # message then serves best. A complete canonical header reads every column, so it always qualifies.
            eligible = rank[0] > 0 and rank[0] >= most_read_by_a_tool
        else:
            # A tool's profile needs its markers: many exports share names like number or state.
            eligible = not lacks and bool(prof.detect.get(feed.name))
        dropped = tuple(dropped_columns(feed, mapping, unused))
        out.append(Fit(prof, mapping, tuple(unused), lacks, dropped, rank, eligible))
    return sorted(out, key=lambda f: (not f.eligible, tuple(-r for r in f.rank), f.profile.name))


def _fit_summary(fit: Fit, columns: list[str]) -> str:
    """One candidate in an ambiguity message: what it reads, fills and leaves out."""
    text = (f"{fit.profile.name} reads {fit.rank[0]} of {len(columns)} columns into {fit.rank[1]} feed columns, "
            + (f"leaving out {', '.join(fit.dropped)}" if fit.dropped else "leaving out no feed column"))
    if fit.unused and fit.profile.unknown_columns == "refuse":
        text += " (with --ignore-extra)"
    return text


def detect(feed: Feed, columns: list[str], *, file: str) -> Profile:
    """The profile whose export this header is; InputError when none fits, when the best fits tie, or when the
    best would leave out a column the feed has."""
    ranked = ranked_fits(feed, columns)
    eligible = [f for f in ranked if f.eligible]
    if eligible:
        best = eligible[0]
        tied = [f for f in eligible if f.rank == best.rank]
        if len(tied) == 1 and not best.dropped:
            return best.profile
        # Picking one silently would load some columns blank, or read values by the wrong tool's rules.
        usable = [f for f in ranked if not f.lacks and f.rank[0] > 0][:4]
        why = (f"{' and '.join(f.profile.name for f in tied)} fit it equally well" if len(tied) > 1 else
               f"the best fit, {best.profile.name}, would leave out {', '.join(best.dropped)}, which the "
               f"{feed.name} feed has")
        raise InputError(
            f"no single profile reads this header safely for the {feed.name} feed: {why}. Candidates: "
            + "; ".join(_fit_summary(f, columns) for f in usable)
            + ". Pick one with --profile NAME (or rename the columns as in docs/feeds.md)",
            file=file,
        )
    closest = sorted(ranked, key=lambda f: (-f.rank[1], len(f.lacks)))[:3]
    lines = "; ".join(
        f"{f.profile.name} lacks {', '.join(sorted(set(f.lacks))) or 'nothing required but has unknown columns'}"
        for f in closest
    )
    hint = _single_column_hint(columns)
    raise InputError(
        f"the header does not match any profile for the {feed.name} feed{hint}; closest: {lines}. "
        f"Rename the columns as in docs/feeds.md or pick one with --profile",
        file=file,
    )


def unused_notes(prof: Profile, feed: Feed, mapping: dict[str, str], unused: list[str]) -> list[str]:
    """Warnings for the file columns a load leaves out, feed columns the profile cannot read named apart."""
    dropped = dropped_columns(feed, mapping, unused)
    others = [c for c in unused if c not in dropped]
    notes = []
    if dropped:
        notes.append(
            f"columns of the {feed.name} feed that profile {prof.name} does not read were NOT loaded: "
            f"{', '.join(dropped)} (they stay blank; pick another --profile, e.g. canonical, to load them)"
        )
    if others:
        notes.append(f"columns not loaded (not in the {feed.name} feed): {', '.join(others)}")
    return notes


def column_map(
    prof: Profile, feed: Feed, columns: list[str], *, file: str, ignore_extra: bool = False
) -> tuple[dict[str, str], list[str]]:
    """Map a file's columns to ``feed``'s: ({canonical column: file column, DERIVED or FIXED}, unused file
    columns); InputError when the file cannot load."""
    if not prof.applies_to(feed.name):
        raise UsageError(f"profile {prof.name!r} does not describe the {feed.name} feed")
    mapping, unknown = _match(prof, feed, columns)
    missing = _missing_required(feed, mapping)
    if missing:
        hint = _single_column_hint(columns)
        raise InputError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for the {feed.name} feed"
            f"{hint} (profile {prof.name}); found {', '.join(columns[:12])}{'…' if len(columns) > 12 else ''}. "
            "Rename the columns as in docs/feeds.md or pick a --profile",
            file=file,
        )
    if unknown and prof.unknown_columns == "refuse" and not ignore_extra:
        free = sorted({c.name for c in feed.columns} - set(mapping))
        parts = []
        for col in unknown[:5]:
            close = difflib.get_close_matches(normalize_name(col), free, n=1, cutoff=0.6)
            parts.append(f"{col!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        them = "them" if len(unknown) > 1 else "it"
        more = f" and {len(unknown) - len(parts)} more" if len(unknown) > len(parts) else ""
        raise InputError(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(parts)}{more} for the {feed.name} feed; "
            f"rename or remove {them}, or pass --ignore-extra to load the file without {them}",
            file=file,
        )
    return mapping, unknown


def _derive_template(prof: Profile, feed: str, column: str, by_norm: dict[str, str]) -> str | None:
    """The first of a derived column's templates whose {Export Columns} are all in the file."""
    for template in _as_tuple(prof.derive[feed][column]):
        if all(normalize_name(r) in by_norm for r in re.findall(r"\{([^}]+)\}", template)):
            return template
    return None


def template_sql(template: str, columns: list[str], alias: dict[str, str]) -> str:
    """A profile's SQL template with each {Export Column} replaced by the file's column (blank as NULL)."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalize_name(c), c)
    return re.sub(r"\{([^}]+)\}", lambda m: f"NULLIF(trim({alias[by_norm[normalize_name(m.group(1))]]}), '')", template)


def derive_sql(prof: Profile, feed: str, column: str, columns: list[str], alias: dict[str, str]) -> str:
    """SQL for a derived column: the profile's template with {Export Column} replaced by the file's column."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalize_name(c), c)
    return template_sql(_derive_template(prof, feed, column, by_norm), columns, alias)


def _sql_str(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def value_sql(
    prof: Profile, feed: str, column: str, raw: str, out_type: str, date_order: str | None = None,
    time_zone: str | None = None,
) -> str:
    """SQL turning an export's (trimmed, non-blank) text into the canonical text the feed's rules check."""
    expr = raw
    if prof.null_values:
        expr = f"CASE WHEN {raw} IN ({', '.join(_sql_str(v) for v in prof.null_values)}) THEN NULL ELSE {raw} END"
    rule = prof.values.get(feed, {}).get(column)
    if rule is None:
        return expr
    if rule == "leading_number":
        return f"coalesce(NULLIF(regexp_extract({expr}, '^([0-9]+(\\.[0-9]+)?)', 1), ''), {expr})"
    if rule == "leading_integer":
        return f"coalesce(NULLIF(regexp_extract({expr}, '^([0-9]+)\\s*(-.*)?$', 1), ''), {expr})"
    if isinstance(rule, dict) and "map" in rule:
        cases = " ".join(f"WHEN {_sql_str(str(k).lower())} THEN {_sql_str(v)}" for k, v in rule["map"].items())
        return f"CASE lower({expr}) {cases} ELSE {expr} END"
    if isinstance(rule, dict) and "remove" in rule:
        return f"NULLIF(trim(regexp_replace({expr}, {_sql_str(rule['remove'])}, '')), '')"
    if isinstance(rule, dict) and "datetime" in rule:
        names = [date_order if (n in DATE_ORDERS and date_order) else n for n in rule["datetime"]]
        formats = [f for n in names for f in DATETIME_FORMATS[n]]
        out = "%Y-%m-%d" if out_type == "date" else "%Y-%m-%d %H:%M:%S"
        fmt_list = "[" + ", ".join(_sql_str(f) for f in formats) + "]"
        if rule.get("utc"):
            # UTC time stamps (Tenable's "...Z") become the hospital's local time, as every feed holds.
            local = f"timezone({_sql_str(time_zone or 'UTC')}, timezone('UTC', try_strptime({expr}, {fmt_list})))"
            return f"coalesce(strftime({local}, '{out}'), {expr})"
        # ISO values pass through to the feed's own cast; anything else must match a declared layout.
        return (
            f"CASE WHEN regexp_matches({expr}, '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}( [0-9:.]+)?$') THEN {expr} "
            f"ELSE coalesce(strftime(try_strptime({expr}, {fmt_list}), '{out}'), {expr}) END"
        )
    raise ValueError(f"profile {prof.name}: unknown value rule for {feed}.{column}: {rule!r}")
