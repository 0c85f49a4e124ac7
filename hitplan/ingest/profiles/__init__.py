"""Profiles: declarative maps from a tool's export to a feed's canonical columns and values.

A profile is one YAML file in this folder. It names the feeds it describes, the header columns that
identify the tool (`detect`), for each canonical column the export's column name(s) (the first present
wins), the texts that mean blank (`null_values`), and per column a value rule (`values`):

- Synonyms: a column's list holds every name the tool writes for it, field names and UI labels, including the
  labels of custom reports (ServiceNow: `Incident`, `Created`, `Affected User` ...). They live in each tool's
  profile, not in a list shared by all: the same word means different columns in different tools (`Severity`
  is a ServiceNow priority but a scanner's severity), and a detect marker is met by any synonym of the
  canonical column it names (a custom report's `Incident` meets ServiceNow's `number` marker).
- `{first_filled: [A, B, ...]}` instead of a list: per ROW, the first of the columns present that is not blank
  (CVSS v3 where the finding has one, else v2): a list picks one column for the whole file.

- `leading_integer`: "1 - Critical" -> 1 (a bare number stays as it is);
- `{map: {...}}`: exact values (case-insensitive) replaced, e.g. state codes 6 -> resolved; a value not in
  the map passes unchanged, so the feed's own rules reject it with its reason instead of a silent default;
- `{vocabulary: NAME}` (or a list of names, earlier ones winning; a `map` beside it wins over them): the shared
  words of hitplan/ingest/vocabularies.yaml, e.g. `servicenow_incident_state`, `jira_status`, `itsm_state`.
  A new tool's profile reuses them (`state: {vocabulary: [its_own_words, itsm_state]}`) and adds its own
  vocabulary there, with its source, when its words differ;
- a list of rules is applied in order: `[leading_integer, {vocabulary: servicenow_priority}]` reads both
  "1 - Critical" and "Critical";
- `{remove: REGEX}`: text removed, e.g. an assignment-group prefix "[i] ";
- `{datetime: [FORMAT, ...]}`: date/time layouts accepted, by name (see DATETIME_FORMATS). Every date or time
  column, with or without a rule, also reads ISO (with T; with Z or an offset, converted to the hospital's time
  zone), ISO dates with a 12-hour clock and Excel serial day numbers. Slash, dash and dot dates follow the
  order the profile declares (`mdy` or `dmy`), which `--date-order` overrides; a profile that declares none
  (canonical) reads them only with `--date-order`. A value that does not parse is rejected with the layouts
  tried (date_layouts), never guessed.
- `{duration: hours}`: a tool's exported duration ("2 Days 3 Hours", "d HH:MM:SS", "HH:MM:SS", ServiceNow's
  "1970-01-03 03:04:00", a number of seconds) as hours (hitplan.ingest.durations); other text is rejected.

`person_columns` lists the tool's export columns (field names and UI labels) that hold people: with the feeds'
`pii` columns and any header that names a person (hitplan.privacy.headers), they are the file columns a load
never keeps as written (see person_sources).

Without --profile, every profile is ranked by how much of the header it reads (then how many feed columns it
fills, then its markers). Tools that share columns (Tenable VM's UI export carries all of a Nessus CSV's Plugin
ID, Host, Name, Risk ...) are told apart by the columns only one of them reads: a tie in rank goes to the
profile reading the most header columns no other tied profile reads. A tie that remains, or a best fit that
would leave out a column named like one of the feed's own, is an error listing the candidates: a silent pick
would store those columns blank.

A header cell left blank (source.blank_header_name) is never mapped and never refused as unknown: its column is
left out and named, with its position and whether it holds data, in the "columns not loaded" warning.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import combinations
from typing import Any


from hitplan.config import load_yaml
from hitplan.errors import InputError, UsageError
from hitplan.ingest.durations import duration_sql, layouts_text
from hitplan.privacy.headers import is_person_header
from hitplan.schema import Feed

DATE_ORDERS = ("mdy", "dmy")


def _ordered_formats(order: str) -> tuple[str, ...]:
    """Month-first or day-first layouts with /, - or . between the parts, 24- or 12-hour clock, with and without
    seconds; two-digit years first, as %Y would read "25" as the year 25."""
    day = {"mdy": "%m{s}%d{s}", "dmy": "%d{s}%m{s}"}[order]
    return tuple(
        f"{day.format(s=sep)}{year}{clock}"
        for sep in "/-."
        for year in ("%y", "%Y")
        for clock in (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "")
    )


DATETIME_FORMATS: dict[str, tuple[str, ...]] = {
    "mdy": _ordered_formats("mdy"),
    "dmy": _ordered_formats("dmy"),
    "jira": ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%y"),
    # ManageEngine ServiceDesk Plus: "Nov 10, 2016 11:44 AM".
    "mon_d_y": ("%b %d, %Y %I:%M %p", "%b %d, %Y %I:%M:%S %p"),
    "iso_t": ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"),
    # UTC written with a literal Z (a %z format would make DuckDB return TIMESTAMPTZ and shift twice).
    # %n reads any number of fraction digits (Defender writes seven).
    "iso_z": ("%Y-%m-%dT%H:%M:%S.%nZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S.%n", "%Y-%m-%d %H:%M:%S"),
    # Accepted in every date or time column, whatever the profile declares: ISO dates with a 12-hour clock.
    "iso_ampm": ("%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %I:%M %p"),
}
# How the layouts read in a rejection message, by name.
LAYOUT_WORDS: dict[str, tuple[str, ...]] = {
    "mdy": ("MM/DD/YYYY HH:MM[:SS]", "MM/DD/YYYY HH:MM[:SS] AM/PM", "MM/DD/YYYY (also with - or . and YY)"),
    "dmy": ("DD/MM/YYYY HH:MM[:SS]", "DD/MM/YYYY HH:MM[:SS] AM/PM", "DD/MM/YYYY (also with - or . and YY)"),
    "jira": ("DD/Mon/YY HH:MM AM/PM",),
    "mon_d_y": ("Mon D, YYYY HH:MM[:SS] AM/PM",),
    "iso_t": (),
    "iso_z": (),
}
ALWAYS_WORDS = ("YYYY-MM-DD HH:MM:SS", "YYYY-MM-DD HH:MM[:SS] AM/PM", "ISO 8601 (T, Z, offset)", "Excel serial number")
# Excel's 1900 date system: serial 1 is 1900-01-01, 2958465 is 9999-12-31 (from 61 on, day 0 is 1899-12-30,
# as Excel counts a 29 February 1900 that never was). Only a bare number in that range is read as a serial.
EXCEL_SERIAL_MAX = 2958465
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
    # feed -> other sets of header names that identify it, met only as written (a custom report's labels)
    detect_also: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    null_values: tuple[str, ...] = ()
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # feed -> {canonical: rule}
    from_comments: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {canonical: regex}
    derive: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {canonical: SQL over {Export Column}}
    constants: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {canonical: value or {option}}
    explode: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {column, separator}
    merge_duplicates: dict[str, str] = field(default_factory=dict)  # feed -> SQL order: the row kept first
    collapse: dict[str, dict[str, str]] = field(default_factory=dict)  # feed -> {key, latest_first}: event logs
    person_columns: tuple[str, ...] = ()  # export columns holding people, as normalize_name writes them
    first_filled: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # feed -> {canonical: names}

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


def _first_filled_templates(names: list[str]) -> list[str]:
    """Derive templates for a `first_filled` column: for every set of the columns a file may hold, longest
    first, the coalesce of those in the declared order; the first template whose columns are all in the file is
    then the coalesce of exactly the listed columns present."""
    out = []
    for size in range(len(names), 0, -1):
        for combo in combinations(names, size):
            refs = ", ".join("{" + n + "}" for n in combo)
            out.append(f"coalesce({refs})" if size > 1 else refs)
    return out


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
        derive = {f: dict(m) for f, m in spec.get("derive", {}).items()}
        first_filled: dict[str, dict[str, tuple[str, ...]]] = {}
        if cols != "identity":
            for f, m in cols.items():
                for c, names in m.items():
                    if isinstance(names, dict) and "first_filled" in names:
                        first_filled.setdefault(f, {})[c] = tuple(names["first_filled"])
                        derive.setdefault(f, {})[c] = _first_filled_templates(list(names["first_filled"]))
        out[spec["name"]] = Profile(
            name=spec["name"],
            description=spec.get("description", ""),
            feeds=feeds,
            columns=None if cols == "identity" else {
                f: {c: tuple(normalize_name(n) for n in _as_tuple(names)) for c, names in m.items()
                    if not isinstance(names, dict)}
                for f, m in cols.items()
            },
            unknown_columns=spec.get("unknown_columns", "refuse"),
            detect={f: tuple(normalize_name(n) for n in names) for f, names in spec.get("detect", {}).items()},
            detect_also={f: tuple(tuple(normalize_name(n) for n in alt) for alt in alts)
                         for f, alts in spec.get("detect_also", {}).items()},
            null_values=tuple(spec.get("null_values", ())),
            values=spec.get("values", {}),
            from_comments=spec.get("from_comments", {}),
            derive=derive,
            constants=spec.get("constants", {}),
            explode=spec.get("explode", {}),
            merge_duplicates=spec.get("merge_duplicates", {}),
            collapse=spec.get("collapse", {}),
            person_columns=tuple(dict.fromkeys(normalize_name(n) for n in spec.get("person_columns") or ())),
            first_filled={f: {c: tuple(normalize_name(n) for n in names) for c, names in m.items()}
                          for f, m in first_filled.items()},
        )
    return out


def profile(name: str) -> Profile:
    """The profile called ``name``; a UsageError lists the known ones."""
    try:
        return profiles()[name]
    except KeyError:
        raise UsageError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(profiles()))}") from None


# A repeated header name as source.py numbers it: "Watchers", "Watchers (2)".
REPEAT_SUFFIX = re.compile(r"\s*\(\d+\)$")


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
        if normalize_name(REPEAT_SUFFIX.sub("", col)) in listed or is_person_header(col):
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


# A header cell left blank, as source.blank_header_name names it.
_BLANK_HEADER = re.compile(r"^\(blank header: column \d+")


def is_blank_header(column: str) -> bool:
    """Whether a file column is a header cell the export left blank (never loaded, never refused)."""
    return bool(_BLANK_HEADER.match(column))


def _marker_met(prof: Profile, feed: str, marker: str, normalized: set[str], mapping: dict[str, str]) -> bool:
    """A detect marker is in the header, or is a name of a canonical column the header fills by a synonym."""
    if marker in normalized:
        return True
    lists = {**(prof.columns or {}).get(feed, {}), **prof.first_filled.get(feed, {})}
    return any(marker in names and canonical in mapping for canonical, names in lists.items())


def ranked_fits(feed: Feed, columns: list[str]) -> list[Fit]:
    """Every profile of ``feed`` scored against a header: the ones that may be picked first, best fit first."""
    normalized = {normalize_name(c) for c in columns}
    scored = []
    for prof in profiles().values():
        if prof.applies_to(feed.name):
            mapping, unused = _match(prof, feed, columns)
            markers = prof.detect.get(feed.name, ())
            # A set of labels only the tool writes identifies it too: a custom report without a marker column.
            markers = next((alt for alt in prof.detect_also.get(feed.name, ()) if normalized.issuperset(alt)
                            and not all(_marker_met(prof, feed.name, m, normalized, {}) for m in markers)), markers)
            lacks = tuple(_missing_required(feed, mapping)
                          + [m for m in markers if not _marker_met(prof, feed.name, m, normalized, mapping)])
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


def _by_exclusive_columns(tied: list[Fit], columns: list[str]) -> list[Fit]:
    """Of fits tied in rank, those reading the most header columns that no other tied fit reads (Tenable VM's UI
    export and a Nessus CSV share Plugin ID, Host, Name, Risk ...; only Tenable's reads First Found, Vulnerability
    State ...). Fits that read the same number of such columns stay tied."""
    if len(tied) < 2:
        return tied
    reads = [set(columns) - set(f.unused) for f in tied]
    exclusive = [len(r - set().union(*(o for j, o in enumerate(reads) if j != i))) for i, r in enumerate(reads)]
    top = max(exclusive)
    return [f for f, n in zip(tied, exclusive) if n == top]


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
        tied = _by_exclusive_columns([f for f in eligible if f.rank == best.rank], columns)
        best = tied[0]
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
    # A blank header cell is left out (named in the "not loaded" warning), whatever the profile's rule.
    refusable = [c for c in unknown if not is_blank_header(c)]
    missing = _missing_required(feed, mapping)
    if missing:
        hint = _single_column_hint(columns)
        raise InputError(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} for the {feed.name} feed"
            f"{hint} (profile {prof.name}); found {', '.join(columns[:12])}{'…' if len(columns) > 12 else ''}. "
            "Rename the columns as in docs/feeds.md or pick a --profile",
            file=file,
        )
    if refusable and prof.unknown_columns == "refuse" and not ignore_extra:
        free = sorted({c.name for c in feed.columns} - set(mapping))
        parts = []
        for col in refusable[:5]:
            close = difflib.get_close_matches(normalize_name(col), free, n=1, cutoff=0.6)
            parts.append(f"{col!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        them = "them" if len(refusable) > 1 else "it"
        more = f" and {len(refusable) - len(parts)} more" if len(refusable) > len(parts) else ""
        raise InputError(
            f"unknown column{'s' if len(refusable) > 1 else ''} {', '.join(parts)}{more} for the {feed.name} feed; "
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
    time_zone: str | None = None, user_map: dict[str, str] | None = None,
) -> str:
    """SQL turning an export's (trimmed, non-blank) text into the canonical text the feed's rules check.

    ``user_map`` ({word in lower case: canonical text}, from `--values`) is applied first: the user's word wins. A
    date or time column without a rule still reads ISO (T, Z, offset), ISO with AM/PM and Excel serial numbers, and
    with ``date_order`` slash, dash and dot dates."""
    expr = raw
    if prof.null_values:
        expr = f"CASE WHEN {raw} IN ({', '.join(_sql_str(v) for v in prof.null_values)}) THEN NULL ELSE {raw} END"
    rule = prof.values.get(feed, {}).get(column)
    if rule is None and out_type in ("date", "timestamp"):
        rule = {"datetime": []}
    out = expr
    for one in rule if isinstance(rule, list) else [] if rule is None else [rule]:
        out = _rule_sql(prof, feed, column, one, out, out_type, date_order, time_zone)
    if user_map:
        cases = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(v)}" for k, v in user_map.items())
        out = f"CASE lower({expr}) {cases} ELSE {out} END"
    return out


@lru_cache(maxsize=1)
def vocabularies() -> dict[str, dict[str, str]]:
    """The shared state and priority words (hitplan/ingest/vocabularies.yaml), by name: {word in lower case: value},
    each vocabulary's ``include``s resolved (its own words win)."""
    spec = load_yaml(resources.files("hitplan.ingest").joinpath("vocabularies.yaml").read_text(encoding="utf-8"))

    def resolved(name: str, seen: tuple[str, ...] = ()) -> dict[str, str]:
        if name not in spec or name in seen:
            raise ValueError(f"vocabularies.yaml: unknown or circular vocabulary {name!r}")
        words: dict[str, str] = {}
        for other in spec[name].get("include", ()):
            words.update(resolved(other, seen + (name,)))
        words.update({str(k).lower(): str(v) for k, v in spec[name].items() if k != "include"})
        return words

    return {name: resolved(name) for name in spec}


def _words(prof: Profile, rule: dict[str, Any]) -> dict[str, str]:
    """A map rule's words: its vocabularies (earlier names winning), then its own ``map`` over them."""
    names = _as_tuple(rule.get("vocabulary", ()))
    words: dict[str, str] = {}
    for name in reversed(names):
        if name not in vocabularies():
            raise ValueError(f"profile {prof.name}: unknown vocabulary {name!r} (see hitplan/ingest/vocabularies.yaml)")
        words.update(vocabularies()[name])
    words.update({str(k).lower(): str(v) for k, v in (rule.get("map") or {}).items()})
    return words


# ISO 8601 without an offset: the feed's own cast reads it (a T included). With an offset or Z: converted.
_ISO_PLAIN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?$"
_ISO_OFFSET = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)? ?([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"
_BARE_NUMBER = r"^[0-9]{1,7}(\.[0-9]+)?$"


def _datetime_sql(rule: dict[str, Any], expr: str, out_type: str, date_order: str | None, time_zone: str | None) -> str:
    """SQL reading a date or time in the rule's layouts (and the ones every column reads) as ISO text."""
    declared = [n for n in rule["datetime"] if n in DATE_ORDERS]
    names = [date_order if (n in DATE_ORDERS and date_order) else n for n in rule["datetime"]]
    if date_order and not declared:
        names.insert(0, date_order)  # --date-order gives a profile that declares no order its slash dates
    formats = [f for n in names for f in DATETIME_FORMATS[n]]
    out = "%Y-%m-%d" if out_type == "date" else "%Y-%m-%d %H:%M:%S"
    fmt_list = "[" + ", ".join(_sql_str(f) for f in formats) + "]"
    zone = _sql_str(time_zone or "UTC")
    if rule.get("utc"):
        # UTC time stamps (Tenable's "...Z") become the hospital's local time, as every feed holds.
        local = f"timezone({zone}, timezone('UTC', try_strptime({expr}, {fmt_list})))"
        return f"coalesce(strftime({local}, '{out}'), {expr})"
    every = "[" + ", ".join(_sql_str(f) for f in formats + list(DATETIME_FORMATS["iso_ampm"])) + "]"
    number = f"try_cast({expr} AS DOUBLE)"
    serial = (f"CASE WHEN {number} < 61 THEN TIMESTAMP '1899-12-31' ELSE TIMESTAMP '1899-12-30' END "
              f"+ to_seconds(CAST(round({number} * 86400) AS BIGINT))")
    # Plain ISO passes to the feed's own cast; an offset is converted to the hospital's time zone (UTC without
    # one); a bare number in Excel's range is a serial day; anything else must match a layout, never a guess.
    return (
        f"CASE WHEN regexp_full_match({expr}, '{_ISO_PLAIN}') THEN {expr} "
        f"WHEN regexp_full_match({expr}, '{_ISO_OFFSET}') "
        f"THEN coalesce(strftime(timezone({zone}, try_cast({expr} AS TIMESTAMPTZ)), '{out}'), {expr}) "
        f"WHEN regexp_full_match({expr}, '{_BARE_NUMBER}') AND {number} BETWEEN 1 AND {EXCEL_SERIAL_MAX} "
        f"THEN strftime({serial}, '{out}') "
        f"ELSE coalesce(strftime(try_strptime({expr}, {every}), '{out}'), {expr}) END"
    )


def date_layouts(prof: Profile, feed: str, column: str, out_type: str, date_order: str | None = None) -> str | None:
    """The layouts a date or time column reads, as a rejection message lists them, and the --date-order to try;
    None for other columns."""
    rule = prof.values.get(feed, {}).get(column)
    if out_type == "number":  # a duration the tool wrote ("2 Days 3 Hours", "01:30:00", seconds)
        rules = rule if isinstance(rule, list) else [rule]
        return layouts_text() if any(isinstance(r, dict) and "duration" in r for r in rules) else None
    if out_type not in ("date", "timestamp"):
        return None
    rules = rule if isinstance(rule, list) else [{"datetime": []} if rule is None else rule]
    spec = next((r for r in rules if isinstance(r, dict) and "datetime" in r), None)
    if spec is None:
        return None
    declared = next((n for n in spec["datetime"] if n in DATE_ORDERS), None)
    order = date_order or declared
    names = [order if n in DATE_ORDERS else n for n in spec["datetime"]]
    if date_order and not declared:
        names.insert(0, date_order)
    words = [w for n in names for w in LAYOUT_WORDS.get(n, ())] + list(ALWAYS_WORDS)
    if out_type == "date":
        words = [w.replace(" HH:MM:SS", "").replace(" HH:MM[:SS]", "") for w in words if "AM/PM" not in w]
    if order is None:
        hint = "pass --date-order mdy or dmy to read dates like 02/13/2025 or 13.02.2025"
    else:
        hint = "pass --date-order dmy if days come first" if order == "mdy" else "pass --date-order mdy if months come first"
    return f"{', '.join(dict.fromkeys(words))}; {hint}"


def _rule_sql(prof: Profile, feed: str, column: str, rule: Any, expr: str, out_type: str, date_order: str | None,
              time_zone: str | None) -> str:
    """SQL for one value rule over ``expr``."""
    if rule == "leading_number":
        return f"coalesce(NULLIF(regexp_extract({expr}, '^([0-9]+(\\.[0-9]+)?)', 1), ''), {expr})"
    if rule == "leading_integer":
        return f"coalesce(NULLIF(regexp_extract({expr}, '^([0-9]+)\\s*(-.*)?$', 1), ''), {expr})"
    if isinstance(rule, dict) and ("map" in rule or "vocabulary" in rule):
        cases = " ".join(f"WHEN {_sql_str(k)} THEN {_sql_str(v)}" for k, v in _words(prof, rule).items())
        return f"CASE lower({expr}) {cases} ELSE {expr} END"
    if isinstance(rule, dict) and "remove" in rule:
        return f"NULLIF(trim(regexp_replace({expr}, {_sql_str(rule['remove'])}, '')), '')"
    if isinstance(rule, dict) and "duration" in rule:
        return duration_sql(expr)
    if isinstance(rule, dict) and "datetime" in rule:
        return _datetime_sql(rule, expr, out_type, date_order, time_zone)
    raise ValueError(f"profile {prof.name}: unknown value rule for {feed}.{column}: {rule!r}")


def _spellings(name: str) -> dict[str, str]:
    """{normalized name: the name as a profile's YAML spells it (as the export writes it)} for one profile."""
    out: dict[str, str] = {}

    def walk(v: Any) -> None:
        if isinstance(v, str):
            out.setdefault(normalize_name(v), v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)

    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".yaml"):
            spec = load_yaml(entry.read_text(encoding="utf-8"))
            if spec.get("name") == name:
                walk(spec.get("columns") if isinstance(spec.get("columns"), dict) else {})
                walk(spec.get("detect", {}))
                walk(spec.get("person_columns") or [])
    return out


def profile_summary(prof: Profile, feed_names: list[str] | None = None) -> dict[str, Any]:
    """What a profile reads, per feed it describes, as `hitplan profiles` shows it: the export's columns each
    canonical column comes from (as the export names them), the ones a file must have (the feed's required
    columns and the profile's detect markers), value rules, date layouts, fixed and derived values, person columns."""
    from hitplan.schema import feeds as all_feeds

    spelled = _spellings(prof.name)

    def spell(n: str) -> str:
        return spelled.get(n, n)

    per_feed: dict[str, Any] = {}
    for fname, feed in all_feeds().items():
        if not prof.applies_to(fname) or (feed_names and fname not in feed_names):
            continue
        if prof.columns is None:
            reads = {c.name: [c.name] for c in feed.columns}
        else:
            reads = {c: [spell(n) for n in names] for c, names in prof.columns.get(fname, {}).items()}
            for c, names in prof.first_filled.get(fname, {}).items():
                reads[c] = [spell(n) for n in names]
        derived = {c: list(_as_tuple(t)) for c, t in prof.derive.get(fname, {}).items()
                   if c not in prof.first_filled.get(fname, {})}
        fixed = {**{c: str(v) for c, v in prof.constants.get(fname, {}).items()},
                 **{c: f"from the lines above the header ({p})" for c, p in prof.from_comments.get(fname, {}).items()}}
        needs = []
        for c in feed.columns:
            if c.required and c.name not in fixed:
                needs.append(" or ".join(reads.get(c.name, [])) or (f"{c.name} (derived)" if c.name in derived else c.name))
        markers = [spell(m) for m in prof.detect.get(fname, ())]
        layouts = {}
        for c in feed.columns:
            text = date_layouts(prof, fname, c.name, c.type)
            if text and (c.name in reads or c.name in derived):
                layouts[c.name] = text
        per_feed[fname] = {
            "needs": needs,
            "detect_markers": markers,
            "reads": reads,
            "derived": derived,
            "fixed": fixed,
            "values": {c: r for c, r in prof.values.get(fname, {}).items()
                       if not (isinstance(r, dict) and "datetime" in r)},
            "date_layouts": layouts,
            "merge_duplicates": prof.merge_duplicates.get(fname),
            "collapse": prof.collapse.get(fname),
            "explode": prof.explode.get(fname),
        }
    return {
        "name": prof.name,
        "description": prof.description,
        "feeds": list(prof.feeds) if prof.feeds is not None else "all",
        "unknown_columns": prof.unknown_columns,
        "null_values": list(prof.null_values),
        "person_columns": [spell(n) for n in prof.person_columns],
        "per_feed": per_feed,
    }


def detect_ignoring_extra(feed: Feed, columns: list[str], *, file: str) -> tuple[Profile, list[str]]:
    """detect() for a load told to leave out the columns it cannot place (--ignore-extra): (profile, notes).

    Where detect finds no single safe profile, a profile that has every required column, leaves out no column
    named like the feed's own and reads the most of the header is taken (hitplan's own layout, most often: it
    would otherwise refuse the unknown columns); the notes name any tool's profile that would read more of them."""
    try:
        return detect(feed, columns, file=file), []
    except InputError:
        ranked = ranked_fits(feed, columns)
        missing = lambda f: [c for c in f.lacks if c in {c.name for c in feed.columns if c.required}]  # noqa: E731
        safe = [f for f in ranked if (f.eligible or f.profile.columns is None) and not f.lacks and not f.dropped
                and f.rank[0] > 0]
        if not safe:
            raise
        top = max(f.rank[:2] for f in safe)
        best = [f for f in safe if f.rank[:2] == top]
        if len(best) != 1:
            raise
        pick = best[0]
        more = [f for f in ranked if f is not pick and f.rank[0] > pick.rank[0] and not missing(f)]
        notes = [f"profile {f.profile.name} would read {f.rank[0]} of the header's columns where {pick.profile.name} "
                 f"reads {pick.rank[0]}: pass --profile {f.profile.name} if the file is its export" for f in more[:2]]
        return pick.profile, notes
