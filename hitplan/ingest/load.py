"""Loading one file into one feed: every row loaded or kept in rejects, all in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from hitplan import __version__
from hitplan.errors import HitplanError, InputError, UsageError
from hitplan.ingest.profiles import (
    DATE_ORDERS,
    DERIVED,
    FIXED,
    column_map,
    derive_sql,
    detect,
    template_sql,
    profile,
    value_sql,
)
from hitplan.ingest.pseudonymize import hmac_pads, load_key
from hitplan.ingest.source import Source, looks_like_cp1252, open_source, quote_ident, sql_string
from hitplan.ingest.ledger_rules import TARGETS, load_rules, rule_columns
from hitplan.ingest.validate import blank_is_null, checked_select
from hitplan.schema import Column, Feed, feeds
from hitplan.store import scalar

Progress = Callable[[str], None]


@dataclass
class IngestResult:
    """What one `hitplan ingest` of one file did."""

    feed: str
    file: str
    profile: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_replaced: int = 0
    rows_unlinked: int = 0
    rows_merged: int = 0  # accepted rows folded into another with the same key (scanner exports repeat them)
    unmapped_lines: int = 0  # costs only: ledger lines loaded without a cost pool
    unmapped_amount: float = 0.0
    status: str = "loaded"  # loaded | skipped (same file loaded before)
    load_id: int | None = None
    file_format: str = ""
    unlinked: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

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
    progress: Progress | None = None,
) -> IngestResult:
    """Load ``path`` into feed ``feed_name`` on a read-write store connection; the store changes only on success.

    Without ``profile_name`` the profile is detected from the file's header.
    """
    say = progress or (lambda _msg: None)
    feed = _feed(feed_name)
    if date_order is not None and date_order not in DATE_ORDERS:
        raise UsageError(f"--date-order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}")
    chosen = profile(profile_name) if profile_name else None
    started = time.perf_counter()
    path = Path(path)
    result = IngestResult(feed=feed.name, file=str(path), profile=profile_name or "")
    src = open_source(con, path)
    try:
        result.file_format = src.format
        prof = chosen or detect(feed, src.columns, file=str(path))
        result.profile = prof.name
        mapping, unused = column_map(prof, feed, src.columns, file=str(path), ignore_extra=ignore_extra)
        fixed = prof.fixed_values(feed.name, src.comments, {"scan_date": scan_date})
        if unused:
            result.warnings.append(f"columns not loaded (not in the {feed.name} feed): {', '.join(unused)}")
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
        pii_sources = {mapping[c.name] for c in feed.columns if c.pii and c.name in mapping}
        if pii_sources:
            ipad, opad = hmac_pads(load_key())
            params = {"ipad": ipad, "opad": opad}
        time_zone = _hospital_time_zone(con)
        if time_zone is None and any(isinstance(r, dict) and r.get("utc") for r in prof.values.get(feed.name, {}).values()):
            result.warnings.append("UTC time stamps were kept in UTC: load the hospital feed first to convert them to local time")
        explode = prof.explode.get(feed.name)
        exploded = (explode["column"], explode.get("separator", ",")) if explode and explode["column"] in src.columns else None
        if exploded:
            result.warnings.append(f"rows are counted after splitting the lists in {exploded[0]!r}: one row per item")

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
            return value_sql(prof, feed.name, col.name, text, col.type, date_order, time_zone)

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

        say(f"{path.name}: reading and checking rows for {feed.name}")
        _load(con, feed, src, params, result, say,
              lambda relation: checked_select(feed, src.columns, relation, text_for, pii_sources=pii_sources,
                                              explode=exploded, collapse=collapse),
              prof.merge_duplicates.get(feed.name))
    except duckdb.Error as exc:
        raise InputError(f"could not be loaded: {str(exc).splitlines()[0]}", file=str(path)) from exc
    finally:
        _cleanup(con, src)
    if collapse is not None and result.status == "loaded":
        _count_collapsed_updates(con, src, result)
    if feed.name == "costs" and result.status == "loaded" and result.rows_loaded:
        _report_unmapped_spend(con, result)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _count_collapsed_updates(con, src: Source, result: IngestResult) -> None:
    """An event log's earlier updates, folded into their incident's latest: read, and loaded as merged."""
    total = int(scalar(con, f"select count(*) from {src.relation}"))
    folded = total - result.rows_read
    if folded > 0:
        result.rows_read += folded
        result.rows_loaded += folded
        result.rows_merged += folded
        con.execute(
            "update load_log set rows_read = ?, rows_loaded = ?, rows_merged = ? where load_id = ?",
            [result.rows_read, result.rows_loaded, result.rows_merged, result.load_id],
        )
        result.warnings.append(f"{total:,} updates collapsed to {total - folded:,} incidents (each its latest update)")


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
    for t in ("_chk", "_dupkeys", "_struct"):
        con.execute(f"drop table if exists {t}")
    if src.rejects_table:
        con.execute(f"drop table if exists {src.rejects_table}")
        con.execute(f"drop table if exists {src.rejects_table}_scan")
    if src.format == "xlsx":
        con.unregister(src.relation)
    src.close()


def _load(con, feed: Feed, src: Source, params: dict, result: IngestResult, say: Progress,
          select: Callable[[str], str], merge_order: str | None = None) -> None:
    """Insert the file's valid rows and its rejects, replace older rows with the same key, log the load.

    A clean file (the usual case) is read once, straight into the feed table. Any problem — a bad value,
    a repeated key, a row the CSV reader cannot split, bytes that are not UTF-8 — rolls that attempt back
    and takes the careful path, which keeps every row in a temporary table to explain each reject.
    """
    t0 = time.perf_counter()
    table = quote_ident(feed.name)
    had_rows = bool(scalar(con, f"select count(*) from (select 1 from {table} limit 1)"))
    load_id = int(scalar(con, "select coalesce(max(load_id), 0) + 1 from load_log"))
    result.load_id = load_id
    con.execute("begin transaction")
    try:
        loaded = _insert_clean_file(con, feed, src, params, load_id, select, check_keys=not merge_order)
        if loaded is None:
            _rollback(con)
            say(f"{src.path.name}: some rows need a closer look; checking each one")
            _check_rows(con, feed, src, params, select, check_keys=not merge_order)
            con.execute("begin transaction")
            _insert_checked_rows(con, feed, src, load_id, result)
        else:
            result.rows_read = result.rows_loaded = loaded
        say(f"{src.path.name}: {result.rows_read:,} rows read and checked in {time.perf_counter() - t0:.1f} s")
        if result.rows_read == 0:
            result.warnings.append("the file has a header but no data rows; nothing loaded")
        if merge_order:
            result.rows_merged = _merge_duplicates(con, feed, load_id, merge_order)
        _finish(con, feed, src, result, had_rows, t0)
        con.execute("commit")
    except BaseException:
        _rollback(con)
        raise
    say(f"{src.path.name}: {result.rows_loaded:,} loaded, {result.rows_rejected:,} rejected")


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
                check_keys: bool = True) -> None:
    """Create temp table _chk: every row the file splits into, typed, with _reason for the bad ones."""

    def build() -> None:
        con.execute(f"create or replace temp table _chk as {select(src.relation)}", params)

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
                try:
                    build()
                    retried = True
                except duckdb.Error:
                    pass
            if not retried:
                # Malformed rows (ragged, bad quoting, damaged bytes): read again, keeping them as rejects.
                src.relation = src.csv_relation(keep_bad_rows=True)
                build()
    _structural_rejects(con, src)
    if check_keys:
        _reject_duplicates(con, feed)


def _insert_checked_rows(con, feed: Feed, src: Source, load_id: int, result: IngestResult) -> None:
    """Insert the valid rows of _chk and every rejected row with its file row number and reason."""
    parsed, base = con.execute("select count(*), coalesce(min(rowid), 0) from _chk").fetchall()[0]
    result.rows_read = int(parsed + scalar(con, "select count(*) from _struct"))
    cols = ", ".join(quote_ident(c.name) for c in feed.columns)
    result.rows_loaded = int(
        scalar(con, f"insert into {quote_ident(feed.name)} ({cols}, _load_id) select {cols}, {load_id} "
               "from _chk where _reason is null") or 0
    )
    # Row numbers count data rows in the file (1 = first row under the header). A temp table's rowids start
    # at a large offset, hence `base`; rows the CSV reader could not split are not in _chk, so each checked
    # row's number is shifted by the unsplittable rows before it.
    con.execute(
        f"""insert into rejects
        select {load_id}, c.rowid - {base} + 1 + (select count(*) from _struct s where s.rows_before < c.rowid - {base} + 1),
               c._column, c._reason, c._raw
        from _chk c where c._reason is not null"""
    )
    con.execute(f"insert into rejects select {load_id}, row_number, column_name, reason, raw_row from _struct")


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
    """Replace older rows with the same key, count unlinked rows, check the sums and write the load log."""
    load_id = result.load_id
    table = quote_ident(feed.name)
    if had_rows:
        on = " and ".join(f"t.{quote_ident(k)} is not distinct from n.{quote_ident(k)}" for k in feed.key)
        keys = ", ".join(quote_ident(k) for k in feed.key)
        result.rows_replaced = int(
            scalar(con, f"delete from {table} t using (select {keys} from {table} where _load_id = {load_id}) n "
                        f"where t._load_id <> {load_id} and {on}") or 0
        )
    result.rows_rejected = int(scalar(con, "select count(*) from rejects where load_id = ?", [load_id]))
    result.unlinked, result.rows_unlinked = _unlinked(con, feed, load_id)
    if result.rows_read >= 4 and result.rows_rejected * 2 > result.rows_read:
        result.warnings.append(
            f"most rows were rejected ({result.rows_rejected:,} of {result.rows_read:,}): is this the right feed and "
            "profile, or are several exports joined in one file? `hitplan rejects --load "
            f"{load_id}` shows why"
        )
    for col, n in result.unlinked.items():
        target = feed.column(col).link.split(".")[0]
        result.warnings.append(f"{n:,} rows name a {col} that is not in {target} (kept; load {target} or fix the ids)")
    if result.rows_read != result.rows_loaded + result.rows_rejected:
        raise HitplanError(
            f"internal check failed: {result.rows_read} rows read but {result.rows_loaded} loaded and "
            f"{result.rows_rejected} rejected; nothing was changed — please report this"
        )
    con.execute(
        "insert into load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_localtimestamp() - "
        "to_microseconds(?::bigint), current_localtimestamp(), ?, ?)",
        [load_id, feed.name, src.path.name, src.sha256, src.format, result.profile, result.rows_read,
         result.rows_loaded, result.rows_replaced, result.rows_rejected, result.rows_unlinked,
         int((time.perf_counter() - t0) * 1e6), __version__, result.rows_merged],
    )


def _structural_rejects(con, src: Source) -> None:
    """Rows the CSV reader could not split into the header's columns (ragged rows), as reject rows."""
    if not src.rejects_table:
        con.execute(
            "create temp table _struct (row_number bigint, rows_before bigint, column_name varchar, "
            "reason varchar, raw_row varchar)"
        )
        return
    # DuckDB counts the header as line 1, so a data row's number is its line minus one.
    con.execute(
        f"""create temp table _struct as
        select line - 1 as row_number,
               line - 1 - row_number() over (order by line) as rows_before,
               column_name,
               CASE error_type
                 WHEN 'MISSING COLUMNS' THEN 'row has fewer fields than the header (' || error_message || '); check for a missing delimiter'
                 WHEN 'TOO MANY COLUMNS' THEN 'row has more fields than the header (' || error_message || '); quote values that contain the delimiter'
                 WHEN 'UNQUOTED VALUE' THEN 'a quote character inside an unquoted value; double it or quote the value'
                 WHEN 'LINE SIZE OVER MAXIMUM' THEN 'row longer than 64 MB; shorten it'
                 WHEN 'INVALID ENCODING' THEN 'bytes that are not UTF-8 in this row while the rest of the file is UTF-8; re-type the damaged characters'
                 ELSE lower(error_type) || ': ' || error_message
               END as reason,
               csv_line as raw_row
        from (select distinct on (line) * from {src.rejects_table} order by line, column_idx)"""
    )


def _reject_duplicates(con, feed: Feed) -> None:
    """Reject every later row whose key repeats an earlier valid row's key in the same file."""
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
        return
    on = " and ".join(f"_chk.{quote_ident(k)} is not distinct from d.{quote_ident(k)}" for k in feed.key)
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
