"""A load's privacy step, inside its transaction: learn the load's persons, scrub its free text and its rejects.

Person columns are pseudonymized by the load's SQL as they are read (load.py). This step runs once the rows are
in: every person value of the file (declared person columns, and the export's other person columns such as
``assigned_to`` or ``sys_created_by``, which are not loaded) is learnt as name forms (hitplan/privacy/text.py);
the free-text columns of the load's rows are scrubbed in place; each reject of the load is made as private as the
store (person columns pseudonymized, free text and columns the feed does not declare scrubbed, declared columns
kept as written, as they are in the feed); and the forms first met in this load join the store's name register.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable

import duckdb

from hitplan.ingest.source import Source, quote_ident
from hitplan.privacy.text import NameIndex, Scrubber, scrub_column
from hitplan.schema import Feed

Pseudonymize = Callable[[list[str]], list[str]]


def protect_load(
    con: duckdb.DuckDBPyConnection,
    feed: Feed,
    src: Source,
    load_id: int,
    *,
    key: bytes,
    mapping: dict[str, str],
    persons: set[str],
    seen: dict[str, str],
    pseudonymize: Pseudonymize,
) -> dict[str, dict[str, int]]:
    """Scrub this load's free text and rejects and register its persons; the replacements per column and kind.

    ``persons`` are the file's person columns (as the header writes them); ``seen`` maps each value the load's SQL
    pseudonymized to its pseudonym; ``pseudonymize`` gives the pseudonyms of more values, computed as the SQL does.
    """
    index = NameIndex.from_store(con, key)
    for value, p in seen.items():
        index.add_person(value, p)
    declared = {mapping[c.name] for c in feed.columns if c.pii and c.name in mapping}
    unloaded = sorted(c for c in persons - declared if c in src.columns)
    if unloaded:
        # Person columns the feed does not store (an export's assignee, opener, closer): read for their names only.
        values = [v for (v,) in con.execute(
            f"select distinct trim(v) from (select unnest([{', '.join(quote_ident(c) for c in unloaded)}]) as v "
            f"from {src.relation}) where v is not null and trim(v) <> ''").fetchall()]
        for value, p in zip(values, pseudonymize(values)):
            index.add_person(value, p)
    rejected = con.execute("select rowid, row_number, reason, raw_row from rejects where load_id = ?",
                           [load_id]).fetchall()
    lines = [r for r in rejected if r[3] is not None and _cells(r[3]) is None]
    for _, _, _, raw in lines:  # the person cells of lines the reader could not split, learnt before any scrub
        cells = _split_line(raw, src.delimiter)
        values = [cells[i].strip() for i, c in enumerate(src.columns[:len(cells)]) if c in persons and cells[i].strip()]
        for value, p in zip(values, pseudonymize(values)):
            index.add_person(value, p)

    scrubber = Scrubber(key, index)
    replacements: dict[str, dict[str, int]] = {}
    table = quote_ident(feed.name)
    for col in feed.columns:
        if col.free_text and col.name in mapping:
            counts = scrub_column(con, table, col.name, f"_load_id = {load_id}", scrubber)
            if counts:
                replacements[col.name] = dict(sorted(counts.items()))
    if rejected:
        counts = _scrub_rejects(con, feed, src, rejected, mapping, persons, scrubber, pseudonymize)
        if counts:
            replacements["rejects"] = dict(sorted(counts.items()))
    index.save(con, load_id)
    return replacements


def _cells(raw: str) -> dict | None:
    """A reject's named cells (its raw row is a JSON object), or None for a line the CSV reader could not split,
    kept as written (which may itself start with a brace)."""
    if not raw.startswith("{"):
        return None
    try:
        cells = json.loads(raw)
    except ValueError:
        return None
    return cells if isinstance(cells, dict) else None


def _split_line(line: str, delimiter: str | None) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(line, newline=""), delimiter=delimiter or ","), [])
    except csv.Error:
        return [line]


def _rewrite_rejects(con, rejected: list[tuple], scrubber: Scrubber, counts: Counter,
                     cell: Callable[[str, str], str], line: Callable[[str], str]) -> None:
    """Rewrite rejects (rowid, reason, raw_row): each named cell through ``cell(column, value)``, a line the reader
    could not split through ``line``, the reason scrubbed; only rows that changed are written."""
    updates = []
    for rowid, reason, raw in rejected:
        new_raw = raw
        if raw is not None:
            cells = _cells(raw)
            if cells is None:
                new_raw = line(raw)
            else:
                new = {k: cell(k, v) if isinstance(v, str) else v for k, v in cells.items()}
                new_raw = json.dumps(new, ensure_ascii=False) if new != cells else raw
        new_reason = scrubber.scrub(reason, counts) if reason else reason
        if (new_raw, new_reason) != (raw, reason):
            updates.append((new_raw, new_reason, rowid))
    if updates:
        con.executemany("update rejects set raw_row = ?, reason = ? where rowid = ?", updates)


def _scrub_rejects(con, feed: Feed, src: Source, rejected: list[tuple], mapping: dict[str, str], persons: set[str],
                   scrubber: Scrubber, pseudonymize: Pseudonymize) -> Counter:
    """Make this load's rejects as private as the feed; the replacements made."""
    # Kept as written, as the feed keeps them: columns mapped to a declared column that is neither a person nor
    # free text (dates, numbers, ids, hosts), under the file's name or (duplicate-key rejects) the feed's.
    kept = {c.name for c in feed.columns if not c.pii and not c.free_text}
    kept |= {mapping[c] for c in kept if mapping.get(c) in src.columns}
    person_names = persons | {c.name for c in feed.columns if c.pii}
    counts: Counter = Counter()

    def cell(column: str, value: str) -> str:
        if column in kept:
            return value
        if column in person_names:
            # person cells were pseudonymized by the load's SQL (P-…); a value left in clear is not
            return value if value.startswith("P-") else pseudonymize([value])[0]
        return scrubber.scrub(value, counts)

    def line(raw: str) -> str:  # its cells may be shifted, so none is kept in clear
        cells = _split_line(raw, src.delimiter)
        out = [pseudonymize([v.strip()])[0] if i < len(src.columns) and src.columns[i] in persons and v.strip()
               else scrubber.scrub(v, counts) for i, v in enumerate(cells)]
        buf = io.StringIO()
        csv.writer(buf, delimiter=src.delimiter or ",", lineterminator="").writerow(out)
        return buf.getvalue()

    _rewrite_rejects(con, [(rowid, reason, raw) for rowid, _, reason, raw in rejected], scrubber, counts, cell, line)
    return counts


def rescrub_store(con: duckdb.DuckDBPyConnection, key: bytes) -> dict[str, dict[str, int]]:
    """Scrub every free-text column of every feed and every reject again, with the store's name register and the
    deny list as they are now (after editing the deny list, or for text loaded before hitplan scrubbed it); the
    replacements made, per ``feed.column`` (and ``rejects``) and kind. Runs on the caller's transaction."""
    from hitplan.schema import feeds

    scrubber = Scrubber(key, NameIndex.from_store(con, key))
    out: dict[str, dict[str, int]] = {}
    for feed in feeds().values():
        for col in feed.columns:
            if col.free_text:
                counts = scrub_column(con, quote_ident(feed.name), col.name, "true", scrubber)
                if counts:
                    out[f"{feed.name}.{col.name}"] = dict(sorted(counts.items()))
    counts: Counter = Counter()
    # The file's columns are not known any more: every value but a pseudonym is scrubbed (a date or an amount is
    # left as it is; an IP address in a host column is replaced).
    _rewrite_rejects(con, con.execute("select rowid, reason, raw_row from rejects").fetchall(), scrubber, counts,
                     cell=lambda _column, value: scrubber.scrub(value, counts),
                     line=lambda raw: scrubber.scrub(raw, counts))
    if counts:
        out["rejects"] = dict(sorted(counts.items()))
    return out
