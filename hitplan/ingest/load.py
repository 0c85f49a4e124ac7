"""Loading one file into one feed: every row loaded or kept in rejects, all in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from hitplan import __version__
from hitplan.errors import HitplanError, InputError, UsageError
from hitplan.ingest.profiles import column_map, profile
from hitplan.ingest.pseudonymize import hmac_pads, load_key
from hitplan.ingest.source import Source, open_source, quote_ident
from hitplan.ingest.validate import checked_select
from hitplan.schema import Feed, feeds
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
    profile_name: str = "canonical",
    force: bool = False,
    ignore_extra: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Load ``path`` into feed ``feed_name`` on a read-write store connection; the store changes only on success."""
    say = progress or (lambda _msg: None)
    feed = _feed(feed_name)
    prof = profile(profile_name)
    started = time.perf_counter()
    path = Path(path)
    result = IngestResult(feed=feed.name, file=str(path), profile=prof.name)
    src = open_source(con, path)
    try:
        result.file_format = src.format
        mapping = column_map(prof, feed, src.columns, file=str(path), ignore_extra=ignore_extra)
        ignored = [c for c in src.columns if c not in mapping.values()]
        if ignored:
            result.warnings.append(f"columns not loaded (not in the {feed.name} feed): {', '.join(ignored)}")
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
        if any(c.pii for c in feed.columns if c.name in mapping):
            ipad, opad = hmac_pads(load_key())
            params = {"ipad": ipad, "opad": opad}
        say(f"{path.name}: reading and checking rows for {feed.name}")
        con.execute("begin transaction")
        try:
            _load(con, feed, src, mapping, params, result, say)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    except duckdb.Error as exc:
        raise InputError(f"could not be loaded: {str(exc).splitlines()[0]}", file=str(path)) from exc
    finally:
        _cleanup(con, src)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _cleanup(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    for t in ("_chk", "_dupkeys", "_struct"):
        con.execute(f"drop table if exists {t}")
    if src.rejects_table:
        con.execute(f"drop table if exists {src.rejects_table}")
        con.execute(f"drop table if exists {src.rejects_table}_scan")
    if src.format == "xlsx":
        con.unregister(src.relation)
    src.close()


def _load(con, feed: Feed, src: Source, mapping: dict[str, str], params: dict, result: IngestResult, say: Progress) -> None:
    t0 = time.perf_counter()
    con.execute(f"create temp table _chk as {checked_select(feed, mapping, src.columns, src.relation)}", params)
    parsed, base = con.execute("select count(*), coalesce(min(rowid), 0) from _chk").fetchall()[0]
    _structural_rejects(con, src)
    n_struct = scalar(con, "select count(*) from _struct")
    result.rows_read = parsed + n_struct
    say(f"{src.path.name}: {result.rows_read:,} rows read and checked in {time.perf_counter() - t0:.1f} s")
    if result.rows_read == 0:
        result.warnings.append("the file has a header but no data rows; nothing loaded")
    _reject_duplicates(con, feed)

    load_id = int(scalar(con, "select coalesce(max(load_id), 0) + 1 from load_log"))
    result.load_id = load_id
    table = quote_ident(feed.name)
    if scalar(con, f"select count(*) from (select 1 from {table} limit 1)"):
        on = " and ".join(f"t.{quote_ident(k)} is not distinct from c.{quote_ident(k)}" for k in feed.key)
        result.rows_replaced = int(
            scalar(con, f"delete from {table} t using _chk c where c._reason is null and {on}") or 0
        )
    cols = ", ".join(quote_ident(c.name) for c in feed.columns)
    result.rows_loaded = int(
        scalar(con, f"insert into {table} ({cols}, _load_id) select {cols}, {load_id} from _chk where _reason is null")
        or 0
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
    result.rows_rejected = int(scalar(con, "select count(*) from rejects where load_id = ?", [load_id]))
    result.unlinked = _unlinked(con, feed)
    result.rows_unlinked = int(
        scalar(con, "select count(*) from _chk c where c._reason is null and (" + _unlinked_any(feed) + ")")
        if result.unlinked else 0
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
        "to_microseconds(?::bigint), current_localtimestamp(), ?)",
        [load_id, feed.name, src.path.name, src.sha256, src.format, result.profile, result.rows_read,
         result.rows_loaded, result.rows_replaced, result.rows_rejected, result.rows_unlinked,
         int((time.perf_counter() - t0) * 1e6), __version__],
    )
    say(f"{src.path.name}: {result.rows_loaded:,} loaded, {result.rows_rejected:,} rejected")


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
                 ELSE lower(error_type) || ': ' || error_message
               END as reason,
               csv_line as raw_row
        from (select distinct on (line) * from {src.rejects_table} order by line, column_idx)"""
    )


def _reject_duplicates(con, feed: Feed) -> None:
    """Reject every later row whose key repeats an earlier valid row's key in the same file."""
    keys = ", ".join(quote_ident(k) for k in feed.key)
    con.execute(
        f"create temp table _dupkeys as select {keys}, min(rowid) as first_rowid from _chk "
        f"where _reason is null group by {keys} having count(*) > 1"
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


def _unlinked_any(feed: Feed) -> str:
    parts = []
    for col in feed.columns:
        if col.link:
            table, key = col.link.split(".")
            parts.append(
                f"(c.{quote_ident(col.name)} is not null and c.{quote_ident(col.name)} not in "
                f"(select {quote_ident(key)} from {quote_ident(table)} where {quote_ident(key)} is not null))"
            )
    return " or ".join(parts) or "false"


def _unlinked(con, feed: Feed) -> dict[str, int]:
    """Per link column, how many loaded rows name a key the linked feed does not have."""
    out = {}
    for col in feed.columns:
        if not col.link:
            continue
        table, key = col.link.split(".")
        n = scalar(
            con,
            f"select count(*) from _chk c where c._reason is null and c.{quote_ident(col.name)} is not null "
            f"and c.{quote_ident(col.name)} not in (select {quote_ident(key)} from {quote_ident(table)} "
            f"where {quote_ident(key)} is not null)",
        )
        if n:
            out[col.name] = int(n)
    return out
