"""Opening an input file as a relation of text columns inside DuckDB (CSV, Excel or Parquet)."""

from __future__ import annotations

import csv
from collections import Counter
import re
import datetime as dt
import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from hitplan.errors import InputError

CHUNK = 16 * 1024 * 1024
DELIMITERS = (",", ";", "\t")
# DuckDB refuses longer records; 64 MiB leaves room for pasted logs in descriptions.
MAX_LINE_BYTES = 64 * 1024 * 1024
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}


@dataclass
class Source:
    """An input file opened for reading: its fingerprint and a FROM-item of text columns."""

    path: Path
    format: str
    sha256: str
    columns: list[str]
    relation: str
    encoding: str = "utf-8"
    delimiter: str | None = None
    readable: Path | None = None
    comments: list[str] = field(default_factory=list)  # lines above the header (comments, metadata)
    skip: int = 0  # physical lines above the header
    rejects_table: str | None = None
    _temp: list[Path] = field(default_factory=list)

    def csv_relation(self, *, keep_bad_rows: bool) -> str:
        """read_csv over the file: strict (fails on a malformed row), or keeping malformed rows in a rejects table.

        Strict is tried first because DuckDB reads a clean file faster without a rejects table. Nothing is
        sniffed: the dialect and the header come from hitplan, and every column is read as text.
        """
        assert self.readable is not None and self.delimiter is not None
        opts = ""
        if keep_bad_rows:
            self.rejects_table = f"_rej_{self.sha256[:16]}"
            opts = (
                f", store_rejects = true, rejects_table = {sql_string(self.rejects_table)}, "
                f"rejects_scan = {sql_string(self.rejects_table + '_scan')}"
            )
        columns = ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in self.columns)
        return (
            f"read_csv({sql_string(str(self.readable))}, header = true, auto_detect = false, skip = {self.skip}, "
            f"columns = {{{columns}}}, delim = {sql_string(self.delimiter)}, quote = '\"', escape = '\"', "
            f"null_padding = false, max_line_size = {MAX_LINE_BYTES}{opts})"
        )

    def transcode_from_cp1252(self) -> None:
        """Read the file as Windows-1252 from now on (a UTF-8 copy DuckDB can read)."""
        copy = _transcode(self.path)
        self._temp.append(copy)
        self.readable = copy
        self.encoding = "cp1252"
        self.relation = self.csv_relation(keep_bad_rows=False)

    def close(self) -> None:
        """Remove temporary files made while opening (transcoded copies)."""
        for p in self._temp:
            p.unlink(missing_ok=True)


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """A SQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def open_source(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Open ``path`` on ``con`` as text columns; raises InputError when it is not a table we can read."""
    if not path.exists():
        raise InputError("no such file", file=str(path))
    if path.is_dir():
        raise InputError("is a folder, not a file", file=str(path))
    if path.stat().st_size == 0:
        raise InputError("the file is empty; export it again with a header row and data", file=str(path))
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _open_excel(con, path)
    if suffix in PARQUET_SUFFIXES:
        return _open_parquet(con, path)
    if suffix in JSON_SUFFIXES:
        return _open_json(con, path)
    if suffix == ".xls":
        raise InputError("old .xls workbooks are not read; save it as .xlsx or CSV", file=str(path))
    return _open_csv(con, path)


def _fingerprint_text(path: Path) -> str:
    """sha256 of the file, refusing binary files on the way."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        first = fh.read(65536)
        if b"\0" in first:
            raise InputError("is binary, not a text table; export it as CSV, Excel (.xlsx) or Parquet", file=str(path))
        digest.update(first)
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def looks_like_cp1252(path: Path) -> bool:
    """Whether a file that is not valid UTF-8 reads as Windows-1252 (it has no valid UTF-8 multi-byte sequence).

    A UTF-8 file with a few damaged bytes must not be re-read as Windows-1252: every accented letter
    in it would silently turn into two wrong characters.
    """
    multibyte = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if multibyte.search(chunk):
                return False
    return True


def _transcode(path: Path) -> Path:
    """A UTF-8 copy of a Windows-1252 file (DuckDB reads only UTF-8, UTF-16 and Latin-1)."""
    out = Path(tempfile.mkstemp(prefix="hitplan-", suffix=".csv")[1])
    with path.open("r", encoding="cp1252", errors="strict", newline="") as src, out.open(
        "w", encoding="utf-8", newline=""
    ) as dst:
        try:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
        except UnicodeDecodeError as exc:
            out.unlink(missing_ok=True)
            raise InputError(
                f"is neither UTF-8 nor Windows-1252 (byte 0x{exc.object[exc.start]:02x} near byte {exc.start}); "
                "save it as UTF-8 CSV",
                file=str(path),
            ) from exc
    return out


HEAD_RECORDS = 20
HEAD_BYTES = 4 * 1024 * 1024


def _head_text(path: Path) -> str:
    """The first few MB of a text file (UTF-8, else Windows-1252), enough to find the header."""
    with path.open("rb") as fh:
        raw = fh.read(HEAD_BYTES)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 4:  # a character cut at the end of the sample
            return raw[: exc.start].decode("utf-8-sig")
        return raw.decode("cp1252", errors="replace")


def _records(text: str, delim: str) -> list[tuple[list[str], int]]:
    """The first records of a CSV text, each with the number of physical lines before it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    out: list[tuple[list[str], int]] = []
    before = 0
    try:
        for rec in reader:
            out.append((rec, before))
            before = reader.line_num
            if len(out) >= HEAD_RECORDS:
                break
    except csv.Error:
        pass
    return out


def find_header(path: Path) -> tuple[str, list[str], list[str], int]:
    """(delimiter, header names, non-blank lines above the header, physical lines above it) of a text table.

    The header is the first record as wide as the table (its commonest record width): lines above it are
    comments (FIRST's EPSS "#model_version:..." line) or a report's metadata block (Qualys can write one
    above its table). The delimiter is the one of comma, semicolon and tab that makes the table widest.
    """
    text = _head_text(path)
    best: tuple[str, int, list[tuple[list[str], int]]] | None = None
    for d in DELIMITERS:
        recs = [(r, b) for r, b in _records(text, d) if r and any(c.strip() for c in r)]
        if recs:
            # The table's width is the commonest record width (a ragged row must not pass for the header).
            widths = Counter(len(r) for r, _ in recs)
            width = max(widths, key=lambda w: (widths[w], w))
            if best is None or width > best[1]:
                best = (d, width, recs)
    if best is None:
        return ",", [], [], 0
    delim, width, recs = best
    rec, before = next(((r, b) for r, b in recs if len(r) == width and not r[0].startswith("#")), recs[0])
    above = [ln for ln in text.splitlines()[:before] if ln.strip()]
    return delim, [c.lstrip("\ufeff") for c in rec], above, before


def _open_csv(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    sha = _fingerprint_text(path)
    delim, names, above, skip = find_header(path)
    if not names or not any(n.strip() for n in names):
        raise InputError("no header row found; the first line must name the columns", file=str(path))
    names = _unique_names(path, names)
    src = Source(path=path, format="csv", sha256=sha, columns=names, relation="", delimiter=delim, readable=path,
                 comments=above, skip=skip)
    src.relation = src.csv_relation(keep_bad_rows=False)
    return src


def _unique_names(path: Path, names: list[str]) -> list[str]:
    """The header's names, with repeats (Jira writes Labels,Labels,Labels) numbered: Labels, Labels (2), ..."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names, start=1):
        if not name.strip():
            raise InputError(f"header column {i} is blank; give every column a name", file=str(path))
        key = name.strip().lower()
        seen[key] = seen.get(key, 0) + 1
        out.append(name if seen[key] == 1 else f"{name} ({seen[key]})")
    return out


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _open_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    sha = _file_sha256(path)
    base = f"read_parquet({sql_string(str(path))})"
    try:
        cols = [r[0] for r in con.execute(f"describe select * from {base}").fetchall()]
    except duckdb.Error as exc:
        raise InputError(f"is not a readable Parquet file: {str(exc).splitlines()[0]}", file=str(path)) from exc
    casts = ", ".join(f"cast({quote_ident(c)} as varchar) as {quote_ident(c)}" for c in cols)
    return Source(path=path, format="parquet", sha256=sha, columns=cols, relation=f"(select {casts} from {base})")


def _open_json(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """A JSON array of records, JSON lines, or an object holding one list of records (CISA's KEV layout)."""
    sha = _fingerprint_text(path)
    base = f"read_json({sql_string(str(path))}, maximum_object_size = {MAX_LINE_BYTES * 4})"
    try:
        described = con.execute(f"describe select * from {base}").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"is not readable JSON: {str(exc).splitlines()[0]}", file=str(path)) from exc
    lists = [name for name, typ, *_ in described if typ.startswith("STRUCT(") and typ.endswith("[]")]
    if len(lists) == 1 and len(described) > 1 or len(described) == 1 and lists:
        inner = f"(select unnest({quote_ident(lists[0])}) as rec from {base})"
        fields = [r[0] for r in con.execute(f"describe select rec.* from {inner}").fetchall()]
        casts = ", ".join(f"cast(rec.{quote_ident(f)} as varchar) as {quote_ident(f)}" for f in fields)
        relation = f"(select {casts} from {inner})"
        cols = fields
    else:
        cols = [r[0] for r in described]
        casts = ", ".join(f"cast({quote_ident(c)} as varchar) as {quote_ident(c)}" for c in cols)
        relation = f"(select {casts} from {base})"
    return Source(path=path, format="json", sha256=sha, columns=cols, relation=relation)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time(0) else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _open_excel(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    import openpyxl  # only Excel inputs pay for it

    sha = _file_sha256(path)
    if not zipfile.is_zipfile(path):
        raise InputError("is not an Excel workbook (.xlsx is a zip file); save it again from Excel", file=str(path))
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise InputError(f"is not a readable Excel workbook: {exc}", file=str(path)) from exc
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or all(v is None for v in header):
            raise InputError("the first sheet is empty; put the header in row 1", file=str(path))
        names = [_cell_text(v) or "" for v in header]
        while names and not names[-1]:
            names.pop()
        data: list[list[str | None]] = [[] for _ in names]
        for row in rows:
            cells = [_cell_text(v) for v in row[: len(names)]]
            if all(c is None for c in cells):
                continue  # Excel keeps formatted-but-empty rows at the end of a sheet
            cells += [None] * (len(names) - len(cells))
            for i, c in enumerate(cells):
                data[i].append(c)
    finally:
        wb.close()
    names = _unique_names(path, names)
    src = Source(path=path, format="xlsx", sha256=sha, columns=names, relation="")
    table = pa.table({n: pa.array(col, type=pa.string()) for n, col in zip(names, data)})
    view = f"_xlsx_{sha[:12]}"
    con.register(view, table)
    src.relation = view
    return src
