"""What the store holds: per feed its rows, date range, last load, rejects and link match rates."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import duckdb

from hitplan.schema import feeds


@dataclass
class FeedStatus:
    """The state of one feed in the store."""

    feed: str
    rows: int
    first: str | None
    last: str | None
    loads: int
    last_load: str | None
    last_file: str | None
    rejects: int
    link_match: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def feed_status(con: duckdb.DuckDBPyConnection) -> list[FeedStatus]:
    """One FeedStatus per declared feed, in load order; link_match is the share of non-blank links that resolve."""
    loads = {
        r[0]: r[1:]
        for r in con.execute(
            """select feed, count(*), max(strftime(finished_at, '%Y-%m-%d %H:%M')),
                      arg_max(file_name, load_id), sum(rows_rejected)
               from load_log group by feed"""
        ).fetchall()
    }
    out = []
    for name, feed in feeds().items():
        t = _q(name)
        if feed.date_column:
            d = _q(feed.date_column)
            rows, first, last = con.execute(
                f"select count(*), strftime(min({d}), '%Y-%m-%d'), strftime(max({d}), '%Y-%m-%d') from {t}"
            ).fetchall()[0]
        else:
            rows, first, last = con.execute(f"select count(*), null, null from {t}").fetchall()[0]
        n_loads, last_load, last_file, rejects = loads.get(name, (0, None, None, 0))
        links: dict[str, float | None] = {}
        for col in feed.columns:
            if col.link:
                target, key = col.link.split(".")
                c = _q(col.name)
                total, matched = con.execute(
                    f"select count({c}), count({c}) filter (where {c} in (select {_q(key)} from {_q(target)})) from {t}"
                ).fetchall()[0]
                links[col.name] = round(matched / total, 4) if total else None
        out.append(FeedStatus(name, int(rows), first, last, int(n_loads), last_load, last_file, int(rejects or 0), links))
    return out


def reject_summary(con: duckdb.DuckDBPyConnection):
    """Rejected rows per feed, column and kind of reason (the reason up to its first ':' or '('), most first, as a
    DataFrame (feed, column_name, reason, rows_rejected)."""
    df = con.execute("""
        select l.feed, coalesce(r.column_name, '(row)') as column_name,
            trim(regexp_extract(r.reason, '^[^:(]*')) as reason, count(*) as rows_rejected
        from rejects r join load_log l using (load_id) group by all order by rows_rejected desc, l.feed
    """).df()
    df.attrs["source"] = "rejects (reason up to its first ':' or '('), load_log.feed"
    return df


def load_totals(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Rows read over every load, and of those the rows loaded with a reference the store does not know."""
    read, unlinked = con.execute(
        "select coalesce(sum(rows_read), 0), coalesce(sum(rows_unlinked), 0) from load_log").fetchall()[0]
    return int(read), int(unlinked)
