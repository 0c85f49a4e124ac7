"""Reading rejected rows back, for a person to fix them in their file and load again."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import duckdb

from hitplan import config
from hitplan.spreadsheet import spreadsheet_safe

# row_number: the record's number among the file's data records (1 = the first under the header); line: where the
# record starts as the user finds it (a text file's physical line, an Excel sheet's row; empty for Parquet, JSON).
BASE_COLUMNS = ["load_id", "feed", "file_name", "row_number", "line", "column_name", "reason"]


def rejected_rows(
    con: duckdb.DuckDBPyConnection, *, load_id: int | None = None, feed: str | None = None, limit: int | None = None
) -> list[dict]:
    """Rejected rows with their reasons, oldest load first; each has the file's raw values under 'raw'."""
    where, params = [], []
    if load_id is not None:
        where.append("r.load_id = ?")
        params.append(load_id)
    if feed is not None:
        where.append("l.feed = ?")
        params.append(feed)
    sql = (
        "select r.load_id, l.feed, l.file_name, r.row_number, r.line, r.column_name, r.reason, l.file_format, r.raw_row "
        "from rejects r join load_log l using (load_id)"
        + (" where " + " and ".join(where) if where else "")
        + " order by r.load_id, r.row_number"
        + (f" limit {int(limit)}" if limit else "")
    )
    out = []
    for *base, file_format, raw in con.execute(sql, params).fetchall():
        row = dict(zip(BASE_COLUMNS, base))
        row["where"] = where_in_file(file_format, row["row_number"], row["line"])
        try:
            parsed = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            parsed = None
        # Rows the CSV reader could not split keep their text line instead of named values.
        row["raw"] = parsed if isinstance(parsed, dict) else {"raw_line": raw}
        out.append(row)
    return out


def where_in_file(file_format: str, row_number: int, line: int | None) -> str:
    """Where a rejected record is in its file, in the words its viewer uses: "line 12", "sheet row 12", "record 3"."""
    if line is not None:
        return f"sheet row {line}" if file_format == "xlsx" else f"line {line}"
    return f"record {row_number}"


def write_rejects_csv(rows: list[dict], path: Path) -> None:
    """Write rejected rows to CSV, the file's own columns after the reason, safe to open in a spreadsheet, readable
    by its owner only (or by $HITPLAN_SHARE_GROUP), as the store is: it holds the files' raw rows."""
    gid = config.share_gid()
    raw_cols: list[str] = []
    for r in rows:
        for k in r["raw"]:
            if k not in raw_cols:
                raw_cols.append(k)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(BASE_COLUMNS + raw_cols)
        for r in rows:
            values = [r.get(c) for c in BASE_COLUMNS] + [r["raw"].get(c) for c in raw_cols]
            w.writerow([spreadsheet_safe(v) for v in values])
    config.restrict_mode(path, gid)  # a file that existed kept its mode when truncated
