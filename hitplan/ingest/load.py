"""Loading one file into one feed: every record counted, and loaded, merged, rejected or skipped, in one transaction.

Every load keeps one identity, in the file's records: read = loaded + merged + rejected + skipped, where
``read`` is counted by a reader independent of DuckDB's (source.py). A profile that splits a list in one cell
into one row per item (Qualys' and Tenable's CVE lists) makes more rows than records; those extra rows are
``rows_split``, and the identity reads read + split = loaded + merged + rejected + skipped.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from hitplan import __version__
from hitplan.errors import HitplanError, InputError, UsageError
from hitplan.faults import fault
from hitplan.ingest.profiles import (
    DATE_ORDERS,
    DERIVED,
    FIXED,
    REPEAT_SUFFIX,
    column_map,
    date_layouts,
    derive_sql,
    detect,
    detect_ignoring_extra,
    template_sql,
    person_sources,
    profile,
    unused_notes,
    value_sql,
)
from hitplan.ingest.protect import protect_load
from hitplan.ingest.pseudonymize import hmac_pads, pseudonym_sql, record_fingerprint, verified_key
from hitplan.ingest.source import Source, looks_like_cp1252, open_source, quote_ident, records_at_offsets, sql_string
from hitplan.ingest.ledger_rules import TARGETS, load_rules, rule_columns
from hitplan.ingest.validate import PSEUDONYM_FUNCTION, blank_is_null, checked_select
from hitplan.ingest.valuemap import load_value_map
from hitplan.schema import Column, Feed, feeds
from hitplan.store import scalar

Progress = Callable[[str], None]


@dataclass
class IngestResult:
    """What one `hitplan ingest` of one file did: rows_read + rows_split = loaded + merged + rejected + skipped."""

    feed: str
    file: str
    profile: str
    rows_read: int = 0  # data records in the file, counted independently of the parser
    rows_loaded: int = 0  # rows of this load now in the feed table
    rows_rejected: int = 0  # rows kept in rejects with a reason
    rows_replaced: int = 0  # older rows of the feed this load replaced (same key); not part of the identity
    rows_unlinked: int = 0
    rows_merged: int = 0  # rows folded into another with the same key (scanner repeats, an event log's updates)
    rows_skipped: int = 0  # empty records: blank lines, rows with every value blank
    rows_split: int = 0  # extra rows made by splitting a list in one cell into one row per item
    unmapped_lines: int = 0  # costs only: ledger lines loaded without a cost pool
    unmapped_amount: float = 0.0
    status: str = "loaded"  # loaded | skipped (same file loaded before)
    load_id: int | None = None
    file_format: str = ""
    unlinked: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    replacements: dict[str, dict[str, int]] = field(default_factory=dict)  # free text scrubbed: column -> kind -> n

    def to_dict(self) -> dict:
        return asdict(self)


def _feed(name: str) -> Feed:
    try:
        return feeds()[name]
    except KeyError:
        raise UsageError(f"unknown feed {name!r}; feeds are: {', '.join(feeds())}") from None


def _previous_load(con: duckdb.DuckDBPyConnection, feed: str, sha: str) -> tuple[int, str] | None:
    rows = con.execute(
        "select load_id, strftime(finished_at, '%Y-%m-%d %H:%M') from load_log "
        "where feed = ? and file_sha256 = ? order by load_id desc limit 1",
        [feed, sha],
    ).fetchall()
    return (int(rows[0][0]), rows[0][1]) if rows else None


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    feed_name: str,
    path: Path,
    *,
    profile_name: str | None = None,
    force: bool = False,
    ignore_extra: bool = False,
    date_order: str | None = None,
    scan_date: str | None = None,
    rules: Path | None = None,
    values: Path | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Load ``path`` into feed ``feed_name`` on a read-write store connection; the store changes only on success.

    Without ``profile_name`` the profile is detected from the file's header. ``date_order`` (mdy or dmy) says how
    every date column reads slash, dash and dot dates, overriding the profile's order; ``values`` is the user's value
    map file (YAML, hitplan.ingest.valuemap), applied before the profile's own rules.
    """
    say = progress or (lambda _msg: None)
    feed = _feed(feed_name)
    if date_order is not None and date_order not in DATE_ORDERS:
        raise UsageError(f"--date-order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}")
    value_map = load_value_map(Path(values), feeds()).get(feed.name, {}) if values is not None else {}
    chosen = profile(profile_name) if profile_name else None
    started = time.perf_counter()
    path = Path(path)
    # Every load, even one without personal columns: a store pseudonymized with another key must take no more rows.
    # A new store's fingerprint is recorded with the load, so a load that fails leaves the store as it was.
    key = verified_key(con, record=False)
    fault("ingest.key")
    result = IngestResult(feed=feed.name, file=str(path), profile=profile_name or "")
    if values is not None and not value_map:
        result.warnings.append(f"the value map {values} has no section for the {feed.name} feed; it changed nothing")
    src = open_source(con, path)
    fault("ingest.opened")
    pz = _Pseudonyms(con, *hmac_pads(key))
    try:
        result.file_format = src.format
        if chosen:
            prof = chosen
        elif ignore_extra:  # the columns no profile places are left out: detection may settle on one that reads the rest
            prof, notes = detect_ignoring_extra(feed, src.columns, file=str(path))
            result.warnings += notes
        else:
            prof = detect(feed, src.columns, file=str(path))
        result.profile = prof.name
        mapping, unused = column_map(prof, feed, src.columns, file=str(path), ignore_extra=ignore_extra)
        fixed = prof.fixed_values(feed.name, src.comments, {"scan_date": scan_date})
        result.warnings += unused_notes(prof, feed, mapping, unused)
        previous = _previous_load(con, feed.name, src.sha256)
        if previous and not force:
            result.status = "skipped"
            result.load_id = previous[0]
            result.warnings.append(
                f"this exact file was already loaded as load {previous[0]} on {previous[1]}; nothing to do "
                "(pass --force to load it again, replacing rows with the same key)"
            )
            return result
        params = {}
        # Person columns: the feed's (pseudonymized and stored) and the export's others (an assignee, an opener:
        # not stored; pseudonymized in rejects, and their names are scrubbed from free text).
        pii_sources = person_sources(prof, feed, src.columns, mapping)
        if pii_sources:
            ipad, opad = hmac_pads(key)
            params = {"ipad": ipad, "opad": opad}
        for refused in src.refused:  # rows refused while reading keep their cells, pseudonymized like every reject
            refused.cells = {c: pz.of([v])[0] if c in pii_sources and v else v for c, v in refused.cells.items()}
        time_zone = _hospital_time_zone(con)
        if time_zone is None and any(isinstance(r, dict) and r.get("utc") for r in prof.values.get(feed.name, {}).values()):
            result.warnings.append("UTC time stamps were kept in UTC: load the hospital feed first to convert them to local time")
        explode = prof.explode.get(feed.name)
        exploded = (explode["column"], explode.get("separator", ",")) if explode and explode["column"] in src.columns else None

        def text_for(col: Column, alias: dict[str, str]) -> str | None:
            text = _mapped_text(col, alias)
            if col.name in ruled:
                return f"coalesce({text}, {ruled[col.name](alias)})" if text else ruled[col.name](alias)
            return text

        def _mapped_text(col: Column, alias: dict[str, str]) -> str | None:
            source = mapping.get(col.name)
            if source is None:
                return None
            if source == FIXED:
                if col.name not in fixed:
                    return None
                text = sql_string(fixed[col.name])
            elif source == DERIVED:
                text = derive_sql(prof, feed.name, col.name, src.columns, alias)
            else:
                text = blank_is_null(col, alias[source])
            return value_sql(prof, feed.name, col.name, text, col.type, date_order, time_zone, value_map.get(col.name))

        ruled: dict[str, Callable[[dict[str, str]], str]] = {}
        if rules is not None:
            if feed.name != "costs":
                raise UsageError("--rules maps general-ledger lines; it applies to the costs feed only")
            rule_set = load_rules(Path(rules))

            def _rule_sql(target: str) -> Callable[[dict[str, str]], str]:
                def build(alias: dict[str, str]) -> str:
                    text = {c: _mapped_text(feed.column(c), alias) for c in ("gl_account", "cost_center", "vendor_id", "description")}
                    return rule_columns(rule_set, text).get(target, "NULL")
                return build

            ruled = {t: _rule_sql(t) for t in TARGETS}
        collapse = None
        spec = prof.collapse.get(feed.name)
        if spec:
            key_col = mapping[spec["key"]]

            def collapse(alias: dict[str, str]) -> tuple[str, str]:
                return alias[key_col], template_sql(spec["latest_first"], src.columns, alias)

        layouts = {c.name: words for c in feed.columns
                   if (words := date_layouts(prof, feed.name, c.name, c.type, date_order)) is not None}
        say(f"{path.name}: reading and checking rows for {feed.name}")
        _load(con, feed, src, params, result, say,
              lambda relation: checked_select(feed, src.columns, relation, text_for, pii_sources=pii_sources,
                                              explode=exploded, collapse=collapse, layouts=layouts),
              prof.merge_duplicates.get(feed.name), reshaped="split" if exploded else "collapsed" if collapse else None,
              key=key,
              protect=lambda load_id: protect_load(con, feed, src, load_id, key=key, mapping=mapping,
                                                   persons=pii_sources, seen=pz.cache, pseudonymize=pz.of))
    except duckdb.Error as exc:
        raise InputError(f"could not be loaded: {str(exc).splitlines()[0]}", file=str(path)) from exc
    finally:
        _cleanup(con, src)
        pz.release()
    fault("ingest.cleaned")
    if result.rows_split:
        result.warnings.append(f"the lists in {exploded[0]!r} were split into one row per item: "
                               f"{result.rows_split:,} rows more than the file's records")
    if collapse is not None and result.rows_merged:
        result.warnings.append(f"{result.rows_loaded + result.rows_merged:,} updates collapsed to "
                               f"{result.rows_loaded:,} incidents (each its latest update)")
    if feed.name == "costs" and result.status == "loaded" and result.rows_loaded:
        _report_unmapped_spend(con, result)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


class _Pseudonyms:
    """PSEUDONYM_FUNCTION registered on a load's connection (each distinct value hashed once), and the values it met.

    The hashes come from pseudonym_sql itself, run on a private in-memory connection, so they are exactly the
    values earlier loads stored (Python's str.lower differs from DuckDB's lower on a few letters). ``cache`` maps
    every person value the load's SQL pseudonymized to its pseudonym: the load's persons, for scrubbing free text.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, ipad: bytes, opad: bytes) -> None:
        self.con, self.cache = con, {}
        self._pads = {"ipad": ipad, "opad": opad}
        self._side = duckdb.connect()
        self._lock = threading.Lock()
        self._sql = f"select v, {pseudonym_sql('v')} from unnest($values) as t(v)"
        con.create_function(PSEUDONYM_FUNCTION, self._arrow, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
                            type="arrow", null_handling="special", side_effects=False)

    def of(self, values: list[str]) -> list[str]:
        """The pseudonyms of ``values``, as the load's SQL computes them."""
        new = [v for v in dict.fromkeys(values) if v not in self.cache]
        if new:
            with self._lock:  # DuckDB calls the function from several threads; a connection runs one query at a time
                self.cache.update(self._side.execute(self._sql, {"values": new, **self._pads}).fetchall())
        return [self.cache[v] for v in values]

    def _arrow(self, values: pa.Array) -> pa.Array:
        codes = pc.dictionary_encode(values)
        if isinstance(codes, pa.ChunkedArray):
            codes = codes.combine_chunks()
        distinct = codes.dictionary.to_pylist()
        return pc.take(pa.array(self.of(distinct), pa.string()), codes.indices)

    def release(self) -> None:
        self.con.remove_function(PSEUDONYM_FUNCTION)
        self._side.close()
        self.cache.clear()


def _report_unmapped_spend(con, result: IngestResult) -> None:
    """A note on ledger lines this load left without a cost pool: loaded, never dropped, but worth mapping."""
    n, amount = con.execute(
        "select count(*), coalesce(sum(amount), 0) from costs where _load_id = ? and cost_pool is null", [result.load_id]
    ).fetchall()[0]
    if n:
        result.unmapped_lines, result.unmapped_amount = int(n), float(amount)
        result.warnings.append(
            f"{n:,} lines ({float(amount):,.2f} in amount) have no cost pool: add rules for them to your rules "
            "file (--rules) or fill the cost_pool column"
        )


def _hospital_time_zone(con) -> str | None:
    """The hospital's IANA time zone from its profile feed, when loaded."""
    rows = con.execute("select time_zone from hospital where time_zone is not null limit 1").fetchall()
    return rows[0][0] if rows else None


def _cleanup(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    for t in ("_chk", "_dupkeys", "_struct", "_blankflags"):
        con.execute(f"drop table if exists {t}")
    if src.rejects_table:
        con.execute(f"drop table if exists {src.rejects_table}")
        con.execute(f"drop table if exists {src.rejects_table}_scan")
    if src.format == "xlsx":
        con.unregister(src.relation)
    src.close()


@dataclass
class _Parsed:
    """What DuckDB's reader made of a file, to set against the file's independent count."""

    records: int = 0  # rows the reader returned, blank ones included, before lists are split or updates collapsed
    blank: int = 0  # of those, rows with every value blank: skipped
    rows: int = 0  # rows that went on to the checks: the non-blank ones, after splitting or collapsing
    refused: int = 0  # records refused before the checks: rows the CSV reader could not split, unsaved formulas
    refused_blank: int = 0  # records the CSV reader could not split that hold only blanks: skipped
    folded: int = 0  # rows equal in every value to an earlier row of the file: merged into it, not rejected


def _load(con, feed: Feed, src: Source, params: dict, result: IngestResult, say: Progress,
          select: Callable[[str], str], merge_order: str | None = None, *, reshaped: str | None = None,
          key: bytes, protect: Callable[[int], dict[str, dict[str, int]]]) -> None:
    """Insert the file's valid rows and its rejects, replace older rows with the same key, log the load.

    A clean file (the usual case) is read once, straight into the feed table. Any problem — a bad value,
    a repeated key, a blank row, a row the CSV reader cannot split, bytes that are not UTF-8, a sheet formula
    with no saved value — rolls that attempt back and takes the careful path, which keeps every row in a
    temporary table to explain each reject. Before the commit the reader's rows are set against the file's
    independent count: a difference stops the load. ``reshaped`` is "split" or "collapsed" when the profile
    splits lists in a cell into rows or collapses an event log's updates, so rows differ from records.
    """
    t0 = time.perf_counter()
    table = quote_ident(feed.name)
    had_rows = bool(scalar(con, f"select count(*) from (select 1 from {table} limit 1)"))
    load_id = int(scalar(con, "select coalesce(max(load_id), 0) + 1 from load_log"))
    result.load_id = load_id
    con.execute("begin transaction")
    try:
        loaded = None
        if not src.refused:  # a row refused while reading always needs the careful path to be kept as a reject
            loaded = _insert_clean_file(con, feed, src, params, load_id, select, check_keys=not merge_order)
        if loaded is None:
            _rollback(con)
            src.record_count()  # a quote that never closes stops the load here, before the long careful read
            say(f"{src.path.name}: some rows need a closer look; checking each one")
            parsed = _check_rows(con, feed, src, params, select, check_keys=not merge_order, reshaped=reshaped)
            fault("ingest.careful")
            con.execute("begin transaction")
            inserted = _insert_checked_rows(con, feed, src, load_id)
            _number_lines(con, src, load_id)
        else:
            # Blank rows fail the checks (every feed's key is required), so a clean file has none.
            inserted = loaded
            parsed = _Parsed(records=loaded, rows=loaded)
            if reshaped:  # rows are not records here: count what the reader returned
                parsed.records = int(scalar(con, f"select count(*) from {src.relation}"))
        fault("ingest.inserted")
        say(f"{src.path.name}: {parsed.records:,} rows read and checked in {time.perf_counter() - t0:.1f} s")
        merged = _merge_duplicates(con, feed, load_id, merge_order) if merge_order else 0
        fault("ingest.merged")
        result.rows_loaded, result.rows_merged = inserted - merged, merged
        _account(src, parsed, result, reshaped)
        say(f"{src.path.name}: scrubbing names, e-mails and ids from free text")
        result.replacements = protect(load_id)
        fault("ingest.protected")
        if result.rows_read == 0:
            result.warnings.append("the file has a header but no data rows; nothing loaded")
        _finish(con, feed, src, result, had_rows, t0)
        record_fingerprint(con, key)
        fault("ingest.before_commit")
        con.execute("commit")
    except BaseException:
        _rollback(con)
        raise
    fault("ingest.committed")
    say(f"{src.path.name}: {result.rows_loaded:,} loaded, {result.rows_rejected:,} rejected")


COUNTED_BY = {"csv": "its line breaks and quotes", "xlsx": "the sheet's XML", "parquet": "the file's metadata",
              "json": "Python's json reader"}


def _account(src: Source, parsed: _Parsed, result: IngestResult, reshaped: str | None) -> None:
    """Set rows_read, rows_skipped, rows_split and the collapsed updates from the file's independent count;
    InputError when the reader returned another number of records than the file holds."""
    returned = parsed.records + parsed.refused + parsed.refused_blank
    records = src.record_count()
    unread = src.unread_blank
    if unread is None:
        # Only a difference is worth a second read: without empty lines the reader returns every record.
        unread = 0 if returned == records else src.empty_lines()
    if returned + unread != records:
        raise InputError(
            f"the reader returned {returned:,} records but the file holds {records:,} (counted from "
            f"{COUNTED_BY[src.format]}); nothing was loaded: look for quotes that are not doubled inside values or "
            "mixed line endings, and export the file again",
            file=str(src.path),
        )
    result.rows_read = records
    result.rows_skipped = unread + parsed.blank + parsed.refused_blank
    result.rows_merged += parsed.folded
    extra = parsed.rows + parsed.folded - (parsed.records - parsed.blank)  # rows made (split) or folded (collapsed) by the profile
    if reshaped == "split":
        result.rows_split = extra
    elif reshaped == "collapsed":
        result.rows_merged -= extra  # each earlier update folded into its incident's latest


def _rollback(con) -> None:
    """Roll back the open transaction; DuckDB has already ended one whose statement failed."""
    try:
        con.execute("rollback")
    except duckdb.TransactionException:
        pass


def _insert_clean_file(con, feed: Feed, src: Source, params: dict, load_id: int,
                       select: Callable[[str], str], *, check_keys: bool = True) -> int | None:
    """Insert every row of a file with no problem at all; None when any row has one (the caller rolls back)."""
    cols = ", ".join(quote_ident(c.name) for c in feed.columns)
    query = select(src.relation)
    try:
        # Bad rows go in with a negative load id: counting them afterwards is cheaper than a second read.
        n = scalar(
            con,
            f"insert into {quote_ident(feed.name)} ({cols}, _load_id) select {cols}, "
            f"CASE WHEN _reason IS NULL THEN {load_id} ELSE -{load_id} END from ({query})",
            params,
        )
    except duckdb.Error:
        return None
    this_load = f"from {quote_ident(feed.name)} where _load_id = {load_id}"
    if scalar(con, f"select count(*) from {quote_ident(feed.name)} where _load_id = -{load_id}"):
        return None
    keys = ", ".join(quote_ident(k) for k in feed.key)
    # One 64-bit hash per key groups much faster than the key's strings; a collision only costs the careful path.
    if check_keys and scalar(con, f"select count(*) from (select hash({keys}) as h {this_load} group by h having count(*) > 1)"):
        return None
    return int(n or 0)


def _check_rows(con, feed: Feed, src: Source, params: dict, select: Callable[[str], str], *,
                check_keys: bool = True, reshaped: str | None = None) -> _Parsed:
    """Create temp table _chk: every non-blank row the file splits into, typed, with _reason for the bad ones.

    Blank rows (every value blank) are skipped, not checked. Without a split or collapse, _chk's rows follow
    the file's order, so blank rows are found by a second read in the same order (_blankflags) and deleted from
    _chk afterwards, leaving the row numbers of the other rows as they are; with one, they are filtered first.
    """
    blank = _blank_sql(src.columns)
    relation = f"(select * from {src.relation} where not ({blank}))" if reshaped else src.relation

    def build() -> None:
        con.execute(f"create or replace temp table _chk as {select(relation)}", params)

    if src.format != "csv":
        build()
    else:
        try:
            build()
        except duckdb.Error as exc:
            problem = str(exc)
            retried = False
            if ("not utf-8 encoded" in problem or "Invalid unicode" in problem) and looks_like_cp1252(src.path):
                src.transcode_from_cp1252()
                relation = f"(select * from {src.relation} where not ({blank}))" if reshaped else src.relation
                try:
                    build()
                    retried = True
                except duckdb.Error:
                    pass
            if not retried:
                # Malformed rows (ragged, bad quoting, damaged bytes): read again, keeping them as rejects.
                src.relation = src.csv_relation(keep_bad_rows=True)
                relation = f"(select * from {src.relation} where not ({blank}))" if reshaped else src.relation
                build()
    con.execute(f"create or replace temp table _blankflags as select {blank} as b from {src.relation}")
    parsed = _Parsed()
    parsed.records, parsed.blank = (int(v) for v in con.execute(
        "select count(*), count(*) filter (where b) from _blankflags").fetchall()[0])
    if parsed.blank and not reshaped:
        con.execute(
            "delete from _chk where rowid - (select min(rowid) from _chk) in "
            "(select rowid - (select min(rowid) from _blankflags) from _blankflags where b)"
        )
    _structural_rejects(con, src)
    if check_keys:
        parsed.folded = _reject_duplicates(con, feed)
    parsed.rows = int(scalar(con, "select count(*) from _chk"))
    parsed.refused, parsed.refused_blank = (int(v) for v in con.execute(
        "select count(*) filter (where kind = 'reject'), count(*) filter (where kind = 'blank') from _struct"
    ).fetchall()[0])
    return parsed


def _blank_sql(columns: list[str]) -> str:
    """SQL true for a row of text columns whose every value is NULL or blanks."""
    blanks = "' ' || chr(9) || chr(10) || chr(13)"
    return " and ".join(f"coalesce(trim({quote_ident(c)}, {blanks}), '') = ''" for c in columns) or "false"


def _insert_checked_rows(con, feed: Feed, src: Source, load_id: int) -> int:
    """Insert the valid rows of _chk and every rejected row with its file row number and reason; rows checked."""
    checked, base = con.execute("select count(*), coalesce(min(rowid), 0) from _chk").fetchall()[0]
    cols = ", ".join(quote_ident(c.name) for c in feed.columns)
    inserted = int(
        scalar(con, f"insert into {quote_ident(feed.name)} ({cols}, _load_id) select {cols}, {load_id} "
               "from _chk where _reason is null") or 0
    )
    # Row numbers count data rows in the file (1 = first row under the header). A temp table's rowids start
    # at a large offset, hence `base`; rows the reader did not return (unsplittable, refused, blank sheet rows)
    # are not in _chk, so each checked row's number is shifted by those before it. Deleted blank rows leave
    # gaps in the rowids, which keeps the numbers right.
    con.execute(
        f"""insert into rejects (load_id, row_number, column_name, reason, raw_row)
        select {load_id}, c.rowid - {base} + 1 + (select count(*) from _struct s where s.rows_before < c.rowid - {base} + 1),
               c._column, c._reason, c._raw
        from _chk c where c._reason is not null"""
    )
    con.execute(f"insert into rejects (load_id, row_number, column_name, reason, raw_row) select {load_id}, row_number, "
                "column_name, reason, raw_row from _struct where kind = 'reject'")
    return int(inserted)


def _header_repeats(con, load_id: int, limit: int = 10_000) -> list[str]:
    """Where a rejected row of this load is the file's header again (most cells equal their column's name): the
    mark of exports joined into one file. Lines as the user finds them ("line 10"), or record numbers."""
    found = []
    for row_number, line, raw in con.execute(
        "select row_number, line, raw_row from rejects where load_id = ? order by row_number limit ?", [load_id, limit]
    ).fetchall():
        try:
            cells = json.loads(raw) if raw else None
        except ValueError:
            continue
        if not isinstance(cells, dict) or len(cells) < 2:
            continue
        same = sum(isinstance(v, str) and v.strip().lower() == REPEAT_SUFFIX.sub("", k).strip().lower()
                   for k, v in cells.items())
        if same * 2 > len(cells):
            found.append(f"line {line}" if line else f"record {row_number}")
    return found


def _merge_duplicates(con, feed: Feed, load_id: int, order: str) -> int:
    """Keep one row per key of this load (the first by the profile's order); how many rows were folded."""
    table = quote_ident(feed.name)
    keys = ", ".join(quote_ident(k) for k in feed.key)
    return int(scalar(
        con,
        f"delete from {table} where _load_id = {load_id} and rowid in (select rowid from (select rowid, "
        f"row_number() over (partition by {keys} order by {order}, rowid) as n from {table} "
        f"where _load_id = {load_id}) where n > 1)",
    ) or 0)


def _finish(con, feed: Feed, src: Source, result: IngestResult, had_rows: bool, t0: float) -> None:
    """Replace older rows with the same key, count unlinked rows, check the identity and write the load log."""
    load_id = result.load_id
    table = quote_ident(feed.name)
    if had_rows:
        on = " and ".join(f"t.{quote_ident(k)} is not distinct from n.{quote_ident(k)}" for k in feed.key)
        keys = ", ".join(quote_ident(k) for k in feed.key)
        result.rows_replaced = int(
            scalar(con, f"delete from {table} t using (select {keys} from {table} where _load_id = {load_id}) n "
                        f"where t._load_id <> {load_id} and {on}") or 0
        )
        fault("ingest.replaced")
    result.rows_rejected = int(scalar(con, "select count(*) from rejects where load_id = ?", [load_id]))
    result.unlinked, result.rows_unlinked = _unlinked(con, feed, load_id)
    if result.rows_read >= 4 and result.rows_rejected * 2 > result.rows_read:
        result.warnings.append(
            f"most rows were rejected ({result.rows_rejected:,} of {result.rows_read:,}): is this the right feed and "
            "profile, or are several exports joined in one file? `hitplan rejects --load "
            f"{load_id}` shows why"
        )
    if result.rows_rejected and (repeats := _header_repeats(con, load_id)):
        result.warnings.append(
            f"the header appears again as a row at {', '.join(repeats[:5])}{' ...' if len(repeats) > 5 else ''}: "
            "several exports joined in one file? Load each export as its own file (the repeated header lines are "
            "among the rejects)"
        )
    for col, n in result.unlinked.items():
        target = feed.column(col).link.split(".")[0]
        result.warnings.append(f"{n:,} rows name a {col} that is not in {target} (kept; load {target} or fix the ids)")
    accounted = result.rows_loaded + result.rows_merged + result.rows_rejected + result.rows_skipped
    if result.rows_read + result.rows_split != accounted:
        raise HitplanError(
            f"internal check failed: {result.rows_read} records read (+{result.rows_split} split) but "
            f"{result.rows_loaded} loaded + {result.rows_merged} merged + {result.rows_rejected} rejected + "
            f"{result.rows_skipped} skipped; nothing was changed — please report this"
        )
    # Named columns: later migrations may add columns to the load log.
    con.execute(
        "insert into load_log (load_id, feed, file_name, file_sha256, file_format, profile, rows_read, rows_loaded, "
        "rows_replaced, rows_rejected, rows_unlinked, started_at, finished_at, hitplan_version, rows_merged, "
        "rows_skipped, rows_split, replacements) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_localtimestamp() - "
        "to_microseconds(?::bigint), current_localtimestamp(), ?, ?, ?, ?, ?)",
        [load_id, feed.name, src.path.name, src.sha256, src.format, result.profile, result.rows_read,
         result.rows_loaded, result.rows_replaced, result.rows_rejected, result.rows_unlinked,
         int((time.perf_counter() - t0) * 1e6), __version__, result.rows_merged, result.rows_skipped,
         result.rows_split, json.dumps(result.replacements) if result.replacements else None],
    )
    fault("ingest.logged")


def _structural_rejects(con, src: Source) -> None:
    """Temp table _struct: the records the reader did not return as rows, each with the rows returned before it.

    kind 'reject': a row the CSV reader could not split into the header's columns (ragged, bad quoting), or a
    sheet row refused while reading (a formula with no saved value); 'blank': a CSV line of blanks only
    (skipped); 'gap': a blank sheet row, there only to number the rows after it (the sheet's XML counts it).
    """
    con.execute(
        "create or replace temp table _entries (row_number bigint, column_name varchar, reason varchar, "
        "raw_row varchar, kind varchar)"
    )
    if src.format == "csv":
        src.empty_lines()  # where they are, to number the rows after them
    if src.refused or src.blank_rows:
        con.executemany("insert into _entries values (?, ?, ?, ?, ?)",
                        [(r.row_number, r.column, r.reason, json.dumps(r.cells, ensure_ascii=False), "reject")
                         for r in src.refused] + [(n, None, None, None, "gap") for n in src.blank_rows])
    if src.rejects_table:
        _insert_reader_rejects(con, src)
    # rows_before: the rows the reader returned before each entry (the entries before it are not among them).
    con.execute("create or replace temp table _struct as select row_number, "
                "row_number - row_number() over (order by row_number, kind) as rows_before, "
                "column_name, reason, raw_row, kind from _entries")
    con.execute("drop table _entries")


def _number_lines(con, src: Source, load_id: int) -> None:
    """Give this load's rejects the line where each record starts in the file (a sheet's row in a workbook)."""
    rows = [int(r) for (r,) in con.execute("select distinct row_number from rejects where load_id = ?", [load_id]).fetchall()]
    lines = src.start_lines(rows) if rows else {}
    if lines:
        con.execute("create or replace temp table _lines (row_number bigint, line bigint)")
        con.executemany("insert into _lines values (?, ?)", list(lines.items()))
        con.execute("update rejects set line = l.line from _lines l where rejects.load_id = ? "
                    "and rejects.row_number = l.row_number", [load_id])
        con.execute("drop table _lines")


def _insert_reader_rejects(con, src: Source) -> None:
    """The rows DuckDB's CSV reader could not split, from its rejects table, into _entries; a line of nothing but
    delimiters, quotes and blanks (Tenable's UI export ends with ",,,,": too few fields) is an empty row, skipped."""
    blanks = f"' \"' || chr(9) || chr(10) || chr(13) || {sql_string(src.delimiter or ',')}"
    # DuckDB's line numbers count neither the lines above the header nor, always, those inside quoted values: the
    # row's byte position, in the file DuckDB read, gives its record number by the record counter instead.
    assert src.readable is not None
    at = [int(n) for (n,) in con.execute(f"select distinct line_byte_position from {src.rejects_table}").fetchall()]
    records = records_at_offsets(src.readable, src.delimiter or ",", src.skip, at)
    con.execute("create or replace temp table _reader_lines (pos bigint, record bigint)")
    if records:
        con.executemany("insert into _reader_lines values (?, ?)", list(records.items()))
    con.execute(
        f"""insert into _entries
        select coalesce((select record from _reader_lines l where l.pos = r.line_byte_position), line - 1) as row_number,
               column_name,
               CASE error_type
                 WHEN 'MISSING COLUMNS' THEN 'row has fewer fields than the header (' || error_message || '); check for a missing delimiter'
                 WHEN 'TOO MANY COLUMNS' THEN 'row has more fields than the header (' || error_message || '); quote values that contain the delimiter'
                 WHEN 'UNQUOTED VALUE' THEN 'a quote character inside an unquoted value; double it or quote the value'
                 WHEN 'LINE SIZE OVER MAXIMUM' THEN 'row longer than 64 MB; shorten it'
                 WHEN 'INVALID ENCODING' THEN 'bytes that are not UTF-8 in this row while the rest of the file is UTF-8; re-type the damaged characters'
                 ELSE lower(error_type) || ': ' || error_message
               END as reason,
               csv_line as raw_row,
               CASE WHEN trim(csv_line, {blanks}) = '' THEN 'blank' ELSE 'reject' END as kind
        from (select distinct on (line) * from {src.rejects_table} order by line, column_idx) r"""
    )
    con.execute("drop table _reader_lines")


def _reject_duplicates(con, feed: Feed) -> int:
    """Fold every later row equal in every value to an earlier valid row (an exact repeat: nothing is lost), then
    reject every later row whose key repeats an earlier valid row's key in the same file; the rows folded."""
    keys = ", ".join(quote_ident(k) for k in feed.key)
    # Grouping on one 64-bit hash is much faster than on the key's strings; collisions are settled below
    # by comparing the real key values of the few candidate rows.
    con.execute(
        f"create or replace temp table _dupkeys as "
        f"with cand as (select hash({keys}) as h from _chk where _reason is null group by h having count(*) > 1) "
        f"select {keys}, min(rowid) as first_rowid from _chk where _reason is null and hash({keys}) in "
        f"(select h from cand) group by {keys} having count(*) > 1"
    )
    if not scalar(con, "select count(*) from _dupkeys"):
        return 0
    on = " and ".join(f"_chk.{quote_ident(k)} is not distinct from d.{quote_ident(k)}" for k in feed.key)
    # Only rows sharing a repeated key can repeat a row whole: the window runs over those few.
    every = ", ".join(f"_chk.{quote_ident(c.name)}" for c in feed.columns)
    folded = int(scalar(
        con,
        f"delete from _chk where rowid in (select r from (select _chk.rowid as r, row_number() over "
        f"(partition by {every} order by _chk.rowid) as n from _chk join _dupkeys d on {on} "
        f"where _chk._reason is null) where n > 1)",
    ) or 0)
    shown = " || ', ' || ".join(f"'{k}=' || coalesce(cast(_chk.{quote_ident(k)} as varchar), '')" for k in feed.key)
    struct = ", ".join(f"{quote_ident(c.name)} := _chk.{quote_ident(c.name)}" for c in feed.columns)
    con.execute(
        f"""update _chk set
              _reason = 'duplicate key (' || {shown} || '): an earlier row of this file has the same key; keep one',
              _column = '{feed.key[0]}',
              _raw = to_json(struct_pack({struct}))
            from _dupkeys d
            where {on} and _chk.rowid <> d.first_rowid and _chk._reason is null"""
    )
    return folded


def _unlinked(con, feed: Feed, load_id: int) -> tuple[dict[str, int], int]:
    """Rows of this load naming a key their linked feed lacks: per link column, and in all (one scan)."""
    tests = {}
    for col in feed.columns:
        if col.link:
            table, key = col.link.split(".")
            c = f"c.{quote_ident(col.name)}"
            tests[col.name] = (f"{c} is not null and {c} not in "
                               f"(select {quote_ident(key)} from {quote_ident(table)} where {quote_ident(key)} is not null)")
    if not tests:
        return {}, 0
    counts = ", ".join(f"count(*) filter (where {t})" for t in tests.values())
    any_link = " or ".join(f"({t})" for t in tests.values())
    row = con.execute(f"select {counts}, count(*) filter (where {any_link}) from {quote_ident(feed.name)} c "
                      f"where c._load_id = {load_id}").fetchall()[0]
    per_column = {name: int(n) for name, n in zip(tests, row[:-1]) if n}
    return per_column, int(row[-1])
