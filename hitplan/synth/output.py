"""Writing feeds as export files: CSV built with Arrow compute, and budgets as a reproducible .xlsx.

Every column reaches the writer already rendered as text (an Arrow string array, null for blank), so
the file format lives in one place: dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS, booleans
true/false, plain numbers, and RFC 4180 quoting only where a value needs it.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hitplan.schema import Feed

Columns = Mapping[str, pa.Array]
NEEDS_QUOTES = r'[",\r\n]'


def _masked(values: np.ndarray, valid: np.ndarray | None) -> np.ndarray | None:
    """The Arrow null mask (True = blank) for ``valid``."""
    return None if valid is None else ~np.asarray(valid, dtype=bool)


def text(values: Sequence[str | None] | np.ndarray | pa.Array) -> pa.Array:
    """Text values as an Arrow string array (None is blank)."""
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array(list(values) if not isinstance(values, np.ndarray) else values.tolist(), type=pa.string())


def pick(choices: Sequence[str | None], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``choices[index]`` for every row, as text."""
    table = pa.array(list(choices), type=pa.string())
    idx = pa.array(np.asarray(index, dtype=np.int64), mask=_masked(index, valid))
    return table.take(idx)


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Whole numbers as text."""
    arr = pa.array(np.asarray(values, dtype=np.int64), mask=_masked(values, valid))
    return pc.cast(arr, pa.string())


def padded(values: np.ndarray, width: int) -> pa.Array:
    """Whole numbers as zero-padded text (longer numbers keep all their digits)."""
    return pc.utf8_lpad(integers(values), width=width, padding="0")


def _fixed_from_units(units: np.ndarray, decimals: int, valid: np.ndarray | None) -> pa.Array:
    """Numbers given as integer multiples of 10**-decimals, rendered with exactly that many decimals."""
    units = np.asarray(units, dtype=np.int64)
    if decimals == 0:
        return integers(units, valid)
    scale = 10**decimals
    mag = np.abs(units)
    whole = integers(mag // scale)
    frac = padded(mag % scale, decimals)
    body = pc.binary_join_element_wise(whole, frac, ".")
    sign = pa.array(np.where(units < 0, "-", ""), type=pa.string())
    out = pc.binary_join_element_wise(sign, body, "")
    if valid is not None:
        out = pc.if_else(pa.array(np.asarray(valid, dtype=bool)), out, pa.nulls(len(out), pa.string()))
    return out


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Amounts held as integer cents, rendered like 1234.56."""
    return _fixed_from_units(cents, 2, valid)


def number(values: np.ndarray, decimals: int = 2, valid: np.ndarray | None = None) -> pa.Array:
    """Decimal numbers rounded to ``decimals`` places, trailing zeros dropped (4, 0.25, 812.5)."""
    vals = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(vals) if valid is None else (np.asarray(valid, dtype=bool) & np.isfinite(vals))
    units = np.rint(np.where(ok, vals, 0.0) * 10**decimals).astype(np.int64)
    out = _fixed_from_units(units, decimals, None)
    if decimals:
        # The decimal point stops the zero trim, so 100.00 becomes 100, never 1.
        out = pc.utf8_rtrim(pc.utf8_rtrim(out, characters="0"), characters=".")
    return pc.if_else(pa.array(ok), out, pa.nulls(len(out), pa.string()))


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Calendar days (numpy datetime64[D]) as YYYY-MM-DD; NaT is blank."""
    d = np.asarray(days, dtype="datetime64[D]")
    ok = ~np.isnat(d) if valid is None else (np.asarray(valid, dtype=bool) & ~np.isnat(d))
    arr = pa.array(d.astype(np.int64).astype(np.int32), type=pa.date32(), mask=~ok)
    return pc.cast(arr, pa.string())


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Local times (numpy datetime64[s]) as YYYY-MM-DD HH:MM:SS; NaT is blank."""
    s = np.asarray(seconds, dtype="datetime64[s]")
    ok = ~np.isnat(s) if valid is None else (np.asarray(valid, dtype=bool) & ~np.isnat(s))
    arr = pa.array(s.astype(np.int64), type=pa.timestamp("s"), mask=~ok)
    return pc.cast(arr, pa.string())


def booleans(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Booleans as true/false."""
    arr = pa.array(np.asarray(values, dtype=bool), mask=_masked(values, valid))
    return pc.cast(arr, pa.string())


def blank(n: int) -> pa.Array:
    """A column of ``n`` blanks."""
    return pa.nulls(n, pa.string())


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of arrays and literal strings."""
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, "", null_handling="replace", null_replacement="")


def _quoted(col: pa.Array) -> pa.Array:
    """The column with RFC 4180 quoting applied to the values that need it."""
    if col.null_count == len(col):
        return col
    need = pc.match_substring_regex(col, NEEDS_QUOTES)
    if not pc.any(need).as_py():
        return col
    wrapped = concat('"', pc.replace_substring(col, '"', '""'), '"')
    return pc.if_else(need, wrapped, col)


def _header(names: Sequence[str]) -> bytes:
    """The header line, quoted like the data."""

    def q(name: str) -> str:
        """One name, quoted only when it needs it."""
        return '"' + name.replace('"', '""') + '"' if any(c in name for c in '",\r\n') else name

    return (",".join(q(n) for n in names) + "\n").encode("utf-8")


class CsvFeedWriter:
    """Streams one feed's rows to ``<feed>.csv`` in chunks; columns must match feeds.yaml exactly."""

    def __init__(self, out_dir: Path, feed: Feed) -> None:
        self.feed = feed
        self.path = Path(out_dir) / f"{feed.name}.csv"
        self.rows = 0
        self._fh = self.path.open("wb")
        self._fh.write(_header(feed.column_names))

    def write(self, columns: Columns) -> None:
        """Append rows given as {column: rendered text array}."""
        names = self.feed.column_names
        extra = set(columns) - set(names)
        missing = [n for n in names if n not in columns]
        if extra or missing:
            raise ValueError(
                f"{self.feed.name}: columns differ from feeds.yaml (missing {missing}, extra {sorted(extra)})"
            )
        lengths = {len(columns[n]) for n in names}
        if len(lengths) != 1:
            raise ValueError(f"{self.feed.name}: columns of unequal length {sorted(lengths)}")
        n = lengths.pop()
        if n == 0:
            return
        cols = [_quoted(pa.array(columns[c]) if not isinstance(columns[c], pa.Array) else columns[c]) for c in names]
        lines = pc.binary_join_element_wise(*cols, ",", null_handling="replace", null_replacement="")
        lines = concat(lines, "\n")
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + n + 1]
        data = lines.buffers()[2]
        self._fh.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
        self.rows += n

    def close(self) -> None:
        """Finish the file."""
        self._fh.close()

    def __enter__(self) -> CsvFeedWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def write_csv(out_dir: Path, feed: Feed, columns: Columns) -> int:
    """Write a small feed in one go; returns the rows written."""
    with CsvFeedWriter(out_dir, feed) as w:
        w.write(columns)
        return w.rows


# Fixed document dates so the same data always gives the same bytes.
_XLSX_STAMP = dt.datetime(2000, 1, 1, 0, 0, 0)


def write_xlsx(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    date_columns: Sequence[int] = (),
    money_columns: Sequence[int] = (),
) -> None:
    """One-sheet workbook: header row then data, real Excel dates, byte-identical for the same input."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    for ci in date_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=ci + 1, max_col=ci + 1):
            cell.number_format = "yyyy-mm-dd"
    for ci in money_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=ci + 1, max_col=ci + 1):
            cell.number_format = "#,##0.00"
    wb.properties.creator = "hitplan synth"
    wb.properties.created = _XLSX_STAMP
    wb.properties.modified = _XLSX_STAMP
    wb.properties.lastModifiedBy = "hitplan synth"
    buf = io.BytesIO()
    wb.save(buf)
    _rezip(buf.getvalue(), path)


def _rezip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed entry times and core-properties dates (openpyxl stamps the wall clock)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _fixed_core_dates(body)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    path.write_bytes(out.getvalue())


def _fixed_core_dates(xml: bytes) -> bytes:
    """core.xml with created/modified set to the fixed stamp, whatever openpyxl wrote."""
    import re

    stamp = _XLSX_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    for tag in (b"dcterms:created", b"dcterms:modified"):
        xml = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)", rb"\g<1>" + stamp + rb"\g<2>", xml)
    return xml
