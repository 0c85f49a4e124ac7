"""Opening an input file as a relation of text columns inside DuckDB (CSV, Excel, Parquet or JSON), with its
records counted by a reader of their own: CSV records from line breaks and quote state, sheet rows from the
sheet's XML, Parquet rows from the file's metadata, JSON records with Python's json."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import threading
import zipfile
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import numpy as np
import pyarrow as pa

from hitplan.errors import InputError
from hitplan.faults import fault
from hitplan.processes import pid_alive

CHUNK = 16 * 1024 * 1024
DELIMITERS = (",", ";", "\t")
# DuckDB refuses longer records; 64 MiB leaves room for pasted logs in descriptions.
MAX_LINE_BYTES = 64 * 1024 * 1024
# DuckDB reads a CSV file in parallel only when no record may be longer than the 8 MB it gives each thread: the
# first, strict read allows 8 MB, and a longer record sends the load down the careful path, which allows 64 MB.
FAST_LINE_BYTES = 8 * 1000 * 1000
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}


@dataclass
class Refused:
    """A row refused while reading, before any check: its data row number, first column at fault, reason, cells."""

    row_number: int
    column: str
    reason: str
    cells: dict[str, str | None]


@dataclass
class Source:
    """An input file opened for reading: its fingerprint, a FROM-item of text columns and its independent count."""

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
    records: int = 0  # data records, counted without the reader that feeds DuckDB: rows_read (see record_count)
    unread_blank: int | None = 0  # blank records the reader never returns (None: CSV empty lines, not counted yet)
    blank_rows: list[int] = field(default_factory=list)  # data row numbers of records the reader skips (to number rejects)
    refused: list[Refused] = field(default_factory=list)  # rows refused while reading (a formula with no saved value)
    _temp: list[Path] = field(default_factory=list)
    _counting: Future | None = None  # a CSV's count, made in a thread while DuckDB reads the file
    _stop: threading.Event = field(default_factory=threading.Event)

    def csv_relation(self, *, keep_bad_rows: bool) -> str:
        """read_csv over the file: strict (fails on a malformed row), or keeping malformed rows in a rejects table.

        Strict is tried first because DuckDB reads a clean file faster without a rejects table. Nothing is
        sniffed: the dialect and the header come from hitplan, and every column is read as text.
        """
        assert self.readable is not None and self.delimiter is not None
        opts = ""
        if keep_bad_rows:
            self.rejects_table = f"_rej_{os.getpid()}_{id(self):x}"
            opts = (
                f", store_rejects = true, rejects_table = {sql_string(self.rejects_table)}, "
                f"rejects_scan = {sql_string(self.rejects_table + '_scan')}"
            )
        columns = ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in self.columns)
        return (
            f"read_csv({sql_string(str(self.readable))}, header = true, auto_detect = false, skip = {self.skip}, "
            f"columns = {{{columns}}}, delim = {sql_string(self.delimiter)}, quote = '\"', escape = '\"', "
            f"null_padding = false, max_line_size = {MAX_LINE_BYTES if keep_bad_rows else FAST_LINE_BYTES}{opts})"
        )

    def transcode_from_cp1252(self) -> None:
        """Read the file as Windows-1252 from now on (a UTF-8 copy DuckDB can read)."""
        copy = _transcode(self.path)
        self._temp.append(copy.parent)
        self.readable = copy
        self.encoding = "cp1252"
        self.relation = self.csv_relation(keep_bad_rows=False)

    def empty_lines(self) -> int:
        """Empty lines among the CSV records DuckDB drops (a table of one column reads them as blank rows)."""
        if self.unread_blank is None:
            if len(self.columns) < 2:
                self.unread_blank = 0
            else:
                count = count_text_records(self.path, self.delimiter or ",", self.skip)
                self.unread_blank, self.blank_rows = count.empty or 0, count.empty_rows
        return self.unread_blank

    def start_lines(self, rows: list[int]) -> dict[int, int]:
        """{data record number: where the user finds it}: a text file's physical line (see record_start_lines), a
        sheet's row (the header is row 1); none for Parquet and JSON, which have no lines to show."""
        if self.format == "csv":
            return record_start_lines(self.path, self.delimiter or ",", self.skip, rows)
        if self.format == "xlsx":
            return {r: r + 1 for r in rows}
        return {}

    def record_count(self) -> int:
        """The data records of the file (InputError for a quote that never closes), waiting for the count if needed."""
        if self._counting is not None:
            self.records = self._counting.result().records
            self._counting = None
            fault("ingest.counted")
        return self.records

    def close(self) -> None:
        """Stop a count still running and remove temporary files made while opening (transcoded copies)."""
        self._stop.set()
        for p in self._temp:
            shutil.rmtree(p, ignore_errors=True)


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
    remove_stale_temp()
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


def _refuse_binary(path: Path) -> None:
    """Raise InputError when the file starts like a binary file (a NUL byte in its first 64 KB)."""
    with path.open("rb") as fh:
        if b"\0" in fh.read(65536):
            raise InputError("is binary, not a text table; export it as CSV, Excel (.xlsx) or Parquet", file=str(path))


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


TEMP_PREFIX = "hitplan-ingest-"


def remove_stale_temp() -> None:
    """Remove the transcoding folders of ingests that died (kill -9, power cut): their pid is in the name."""
    for d in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        pid = d.name[len(TEMP_PREFIX):].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)


def _transcode(path: Path) -> Path:
    """A UTF-8 copy of a Windows-1252 file (DuckDB reads only UTF-8, UTF-16 and Latin-1), in a folder only we can read."""
    folder = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))  # mode 0700
    out = folder / "transcoded.csv"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with path.open("r", encoding="cp1252", errors="strict", newline="") as src, open(
        fd, "w", encoding="utf-8", newline=""
    ) as dst:
        try:
            while chunk := src.read(CHUNK):
                dst.write(chunk)
        except UnicodeDecodeError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise InputError(
                f"is neither UTF-8 nor Windows-1252 (byte 0x{exc.object[exc.start]:02x} near byte {exc.start}); "
                "save it as UTF-8 CSV",
                file=str(path),
            ) from exc
    fault("ingest.transcoded")
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
    _refuse_binary(path)
    delim, names, above, skip = find_header(path)
    if not names or not any(n.strip() for n in names):
        raise InputError("no header row found; the first line must name the columns", file=str(path))
    blank = [i for i, n in enumerate(names, start=1) if not n.strip()]
    names = _unique_names(path, names, _blank_columns_with_data(con, path, delim, skip, len(names), blank))
    src = Source(path=path, format="csv", sha256="", columns=names, relation="", delimiter=delim, readable=path,
                 comments=above, skip=skip, unread_blank=None)
    # The count is needed only once DuckDB has read the file: it runs meanwhile, in a thread (numpy and file
    # reads release the GIL), and the fingerprint, needed first, is taken here.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hitplan-count")
    src._counting = pool.submit(count_text_records, path, delim, skip, count_empty=False, stop=src._stop)
    pool.shutdown(wait=False)  # the thread ends with the count
    src.sha256 = _file_sha256(path)
    src.relation = src.csv_relation(keep_bad_rows=False)
    return src


def blank_header_name(position: int, has_data: bool | None = None) -> str:
    """The name a header cell left blank gets (Tenable VM's UI export leaves columns 14 and 20 blank): its
    position, and whether its column holds data. No profile or feed column has such a name, so the column is
    never loaded, and the load's "columns not loaded" warning names it."""
    state = "" if has_data is None else ", has data" if has_data else ", empty"
    return f"(blank header: column {position}{state})"


def _blank_columns_with_data(con: duckdb.DuckDBPyConnection, path: Path, delim: str, skip: int, width: int,
                             blank: list[int]) -> set[int] | None:
    """Which of the blank-header columns (1-based) hold a value in some record; None when the file cannot be read
    this way (the load then reports the read error itself)."""
    if not blank:
        return set()
    columns = ", ".join(f"{sql_string(f'c{i}')}: 'VARCHAR'" for i in range(1, width + 1))
    counts = ", ".join(f"count(NULLIF(trim(c{i}), ''))" for i in blank)
    try:
        row = con.execute(
            f"select {counts} from read_csv({sql_string(str(path))}, header = true, auto_detect = false, "
            f"skip = {skip}, columns = {{{columns}}}, delim = {sql_string(delim)}, quote = '\"', escape = '\"', "
            f"null_padding = true, ignore_errors = true, max_line_size = {MAX_LINE_BYTES})"
        ).fetchall()[0]
    except duckdb.Error:
        return None
    return {i for i, n in zip(blank, row) if n}


def _unique_names(path: Path, names: list[str], blank_with_data: set[int] | None = None) -> list[str]:
    """The header's names, with repeats (Jira writes Labels,Labels,Labels) numbered: Labels, Labels (2), ...; a
    blank header cell is named by its position (blank_header_name): its column is read but never loaded."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names, start=1):
        if not name.strip():
            out.append(blank_header_name(i, None if blank_with_data is None else i in blank_with_data))
            continue
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
    return Source(path=path, format="parquet", sha256=sha, columns=cols, relation=f"(select {casts} from {base})",
                  records=_parquet_rows(path))


def _parquet_rows(path: Path) -> int:
    """The row count a Parquet file's footer declares, read by pyarrow rather than by DuckDB."""
    import pyarrow.parquet as pq  # only Parquet inputs pay for it

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"is not a readable Parquet file: {exc}", file=str(path)) from exc


def _open_json(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """A JSON array of records, JSON lines, or an object holding one list of records (CISA's KEV layout)."""
    _refuse_binary(path)
    sha = _file_sha256(path)
    base = f"read_json({sql_string(str(path))}, maximum_object_size = {MAX_LINE_BYTES * 4})"
    try:
        described = con.execute(f"describe select * from {base}").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"is not readable JSON: {str(exc).splitlines()[0]}", file=str(path)) from exc
    lists = [name for name, typ, *_ in described if typ.startswith("STRUCT(") and typ.endswith("[]")]
    unnested = lists[0] if len(lists) == 1 and len(described) > 1 or len(described) == 1 and lists else None
    records = _json_records(path, unnested)
    if unnested:
        inner = f"(select unnest({quote_ident(lists[0])}) as rec from {base})"
        fields = [r[0] for r in con.execute(f"describe select rec.* from {inner}").fetchall()]
        casts = ", ".join(f"cast(rec.{quote_ident(f)} as varchar) as {quote_ident(f)}" for f in fields)
        relation = f"(select {casts} from {inner})"
        cols = fields
    else:
        cols = [r[0] for r in described]
        casts = ", ".join(f"cast({quote_ident(c)} as varchar) as {quote_ident(c)}" for c in cols)
        relation = f"(select {casts} from {base})"
    return Source(path=path, format="json", sha256=sha, columns=cols, relation=relation, records=records)


def _json_records(path: Path, unnested: str | None) -> int:
    """The records of a JSON file counted by Python's json: array items, JSON lines, or the items of the one
    list ``unnested`` that holds them (in every top-level record)."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        docs = json.loads(text)
        docs = docs if isinstance(docs, list) else [docs]
    except ValueError:  # JSON lines: one record per non-blank line
        try:
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise InputError(f"is not readable JSON: {exc}", file=str(path)) from exc
    if unnested is None:
        return len(docs)
    return sum(len(d.get(unnested) or []) for d in docs if isinstance(d, dict))


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
        filled, formulas = _sheet_cells(path)
    except InputError:
        raise
    except Exception as exc:  # openpyxl and a damaged zip or XML raise many kinds
        raise InputError(f"is not a readable Excel workbook: {exc}", file=str(path)) from exc
    refused: list[Refused] = []
    blank_rows: list[int] = []
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None or all(v is None for v in header):
            raise InputError("the first sheet is empty; put the header in row 1", file=str(path))
        names = [_cell_text(v) or "" for v in header]
        while names and not names[-1]:
            names.pop()
        names = _unique_names(path, names)
        width = len(names)
        data: list[list[str | None]] = [[] for _ in names]
        for sheet_row, row in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in row[:width]]
            cells += [None] * (width - len(cells))
            unsaved = [(c, f) for c, f in formulas.get(sheet_row, []) if c < width]
            if unsaved:
                refused.append(_unsaved_formula_row(names, cells, unsaved, sheet_row))
            elif all(c is None or c == "" for c in cells):
                blank_rows.append(sheet_row - 1)  # skipped; Excel also keeps formatted-but-empty rows at the end
            else:
                for i, c in enumerate(cells):
                    data[i].append(c)
    finally:
        wb.close()
    fault("ingest.sheet_read")
    # The count comes from the sheet's XML, not from openpyxl: rows with a value (or a formula) in the table's
    # columns. Data records run from row 2 to the last such row; the rows between without one are blank.
    rows_with_values = sorted(r for r, first_col in filled.items() if first_col < width and r > 1)
    last = rows_with_values[-1] if rows_with_values else 1
    src = Source(path=path, format="xlsx", sha256=sha, columns=names, relation="", records=last - 1,
                 unread_blank=last - 1 - len(rows_with_values), blank_rows=[b for b in blank_rows if b < last - 1],
                 refused=refused)
    table = pa.table({n: pa.array(col, type=pa.string()) for n, col in zip(names, data)})
    view = f"_xlsx_{sha[:12]}"
    con.register(view, table)
    src.relation = view
    return src


def _unsaved_formula_row(names: list[str], cells: list[str | None], unsaved: list[tuple[int, str]],
                         sheet_row: int) -> Refused:
    """A sheet row refused because formulas in it have no saved value (a workbook a program wrote, never opened)."""
    for c, formula in unsaved:
        cells[c] = f"={formula}" if formula else None
    # A shared formula's cells after the first carry no text of their own.
    reason = "; ".join(
        f"{names[c]}: a formula with no saved value{f' (={formula})' if formula else ''}; "
        "open the file in Excel and save it, or paste values"
        for c, formula in unsaved
    )
    return Refused(row_number=sheet_row - 1, column=names[unsaved[0][0]], reason=reason, cells=dict(zip(names, cells)))


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _first_sheet_part(z: zipfile.ZipFile) -> str:
    """The zip path of the workbook's first worksheet (the sheet openpyxl's ``worksheets[0]`` reads)."""
    def rels(part: str) -> dict[str, tuple[str, str]]:
        folder, _, name = part.rpartition("/")
        rel_path = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
        root = ElementTree.fromstring(z.read(rel_path))
        out = {}
        for r in root:
            target = r.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else (f"{folder}/{target}" if folder else target)
            out[r.get("Id", "")] = (r.get("Type", ""), target)
        return out

    root_rels = ElementTree.fromstring(z.read("_rels/.rels"))
    book = next(r.get("Target", "").lstrip("/") for r in root_rels if r.get("Type", "").endswith("/officeDocument"))
    sheets = rels(book)
    for el in ElementTree.fromstring(z.read(book)).iter():
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            typ, target = sheets.get(rid, ("", ""))
            if typ.endswith("/worksheet"):
                return target
    raise ValueError("the workbook has no worksheet")


def _column_number(ref: str) -> int:
    """0-based column of a cell reference like 'AB12'."""
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch.upper()) - 64
    return n - 1


def _sheet_cells(path: Path) -> tuple[dict[int, int], dict[int, list[tuple[int, str]]]]:
    """From the first sheet's XML: {row: first column holding a value} and {row: [(column, formula)]} for
    formulas with no saved value (openpyxl reads those as blank)."""
    filled: dict[int, int] = {}
    formulas: dict[int, list[tuple[int, str]]] = {}
    with zipfile.ZipFile(path) as z, z.open(_first_sheet_part(z)) as xml:
        row = col = 0
        for event, el in ElementTree.iterparse(xml, events=("start", "end")):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    row = int(el.get("r") or row + 1)
                    col = -1
                continue
            if tag == "c":
                ref = el.get("r")
                col = _column_number(ref) if ref else col + 1
                value = formula = None
                has_value_element = has_text = False
                for child in el:
                    kind = _local(child.tag)
                    if kind == "v":
                        has_value_element, value = True, child.text
                    elif kind == "f":
                        formula = child.text or ""
                    elif kind == "is":
                        has_text = any(t.text for t in child.iter() if _local(t.tag) == "t")
                saved = bool(value) or has_text
                # A formula whose text result is "" is saved as an empty value with t="str": that is a value.
                unsaved = formula is not None and not saved and not (el.get("t") == "str" and has_value_element)
                if unsaved:
                    formulas.setdefault(row, []).append((col, formula or ""))
                if saved or unsaved:
                    filled[row] = min(filled.get(row, col), col)
                el.clear()
            elif tag == "row":
                el.clear()
    return filled, formulas


# ---- counting records without a CSV parser ----------------------------------------------------------------

QUOTE, LF, CR = 0x22, 0x0A, 0x0D


@dataclass
class RecordCount:
    """The records below a text table's header, counted from its bytes (quote state and line breaks only)."""

    records: int  # data records: a line break inside a quoted value does not end one
    empty: int | None = None  # of which empty lines (DuckDB drops them in a table of several columns); None: not counted
    empty_rows: list[int] = field(default_factory=list)  # their data record numbers (1 = first under the header)


class _RecordCounter:
    """Counts CSV records chunk by chunk (RFC 4180: a quoted line break stays in its value, "" is a quote).

    A quote opens a value only at the value's start (after blanks, as DuckDB allows); elsewhere it is a
    character. Quote positions come from numpy; when every quote met outside a value stands at a value's
    start, quote parity alone says which quotes open and close values, and only a chunk with a stray quote
    walks its quotes one by one. Line breaks are counted by numpy, less those inside the few quoted spans;
    every record's end is located (numpy) only when there are many spans, or when empty lines are counted.
    A quote still open at the end, or a value over several lines closed by a quote that no delimiter follows
    (a quote left open that swallowed the rows below it), is an InputError naming the lines.
    """

    FEW_SPANS = 4096  # below this many quoted spans in a chunk, a Python loop over them beats numpy

    def __init__(self, delimiter: str, newline: int, *, count_empty: bool, starts_of: list[int] | None = None,
                 records_at: list[int] | None = None) -> None:
        self.delim = ord(delimiter)
        self.newline = newline
        self.nl = bytes([newline])
        self.count_empty = count_empty
        # Records (0 = the header) whose ending line break to locate: a record starts on the line after its
        # predecessor's end. breaks_through maps each to the line breaks up to and including that end.
        self.wanted = np.asarray(sorted(set(starts_of or ())), dtype=np.int64)
        self.breaks_seen = 0  # line-break bytes fed so far, quoted ones included
        self.breaks_through: dict[int, int] = {}
        # File offsets whose record to find (DuckDB's rejects give a row's byte position; its line numbers are not
        # physical lines): per offset, the record ends at or before it, which is the record's number (0 = header).
        self.positions = np.asarray(sorted(set(records_at or ())), dtype=np.int64)
        self.ends_upto = np.zeros(self.positions.size, dtype=np.int64)
        self.inside = False  # inside a quoted value at the end of the bytes seen so far
        self.prev = newline  # the byte before the next chunk (a record starts the file)
        self.prev_solid = newline  # the last byte seen that is not a blank (blanks may stand before an opening quote)
        self.last_end = -1  # file offset of the last record's line break
        self.ends = 0
        self.empty_rows: list[int] = []  # data record numbers (1 = first under the header) of empty lines
        self.open_at = -1  # file offset of the quote that opened the value still open
        self.first_multiline = -1  # file offset of the first quote whose value spans a line break
        self.bad_close: tuple[int, int, int] | None = None  # (open, close, byte after) of a suspect multi-line value
        self.open_spans_lines = False  # whether the value still open at the chunk's end has a line break so far

    def feed(self, chunk: bytes, offset: int) -> None:
        """Count the records ended in ``chunk``, which starts at file offset ``offset``."""
        if not chunk:
            return
        a = np.frombuffer(chunk, dtype=np.uint8)
        # `in` is memchr: most chunks of most files have no quote at all.
        toggles = self._toggles(chunk, a, np.flatnonzero(a == QUOTE)) if b'"' in chunk else np.empty(0, np.int64)
        was_inside = self.inside
        if toggles.size and self.bad_close is None:
            self._check_closes(chunk, a, toggles, offset)
        if toggles.size < self.FEW_SPANS and not self.count_empty and not self.wanted.size and not self.positions.size:
            self._feed_few_spans(chunk, a, offset, toggles.tolist())
        else:
            self._feed_numpy(a, offset, toggles)
        if self.inside:  # the value open at the chunk's end: where it opened, whether it has a line break yet
            opened = self._real_opens(a, toggles, was_inside)
            if opened.size:
                self.open_at = offset + int(opened[-1])
                self.open_spans_lines = self.nl in chunk[int(opened[-1]):]
            else:
                self.open_spans_lines = self.open_spans_lines or self.nl in chunk
        self.prev = chunk[-1]
        solid = chunk.rstrip(b" \t")
        if solid:
            self.prev_solid = solid[-1]

    def _check_closes(self, chunk: bytes, a: np.ndarray, toggles: np.ndarray, offset: int) -> None:
        """Note the first quoted value that runs over a line break and is closed by a quote followed by neither a
        delimiter nor a line break: almost always a quote left open in one row that swallowed the rows after it."""
        first = 0 if self.inside else 1
        closes = toggles[first::2]
        after = closes + 1
        inside_chunk = after < a.size  # a quote ending the file is followed by nothing, which is fine
        nxt = a[np.minimum(after, a.size - 1)]
        ok = ~inside_chunk | np.isin(nxt, [self.delim, LF, CR, QUOTE, 0x20, 0x09])
        bad = np.flatnonzero(~ok)
        if not bad.size:
            return
        opens = self._real_opens(a, toggles, bool(first == 0))
        for i in bad.tolist():
            close = int(closes[i])
            j = int(np.searchsorted(opens, close))  # real openers before this close
            opened = offset + int(opens[j - 1]) if j else self.open_at
            if chunk.count(self.nl, max(opened - offset, 0), close) or (opened < offset and self.open_spans_lines):
                self.bad_close = (opened, offset + close, int(nxt[i]))
                return

    def _spans(self, toggles: list[int], size: int) -> list[tuple[int, int]]:
        """The quoted spans [start, end) of a chunk, from its toggling quotes and the state before it."""
        bounds = ([0] if self.inside else []) + toggles
        if len(bounds) % 2:
            bounds.append(size)
        return list(zip(bounds[::2], bounds[1::2]))

    def _feed_few_spans(self, chunk: bytes, a: np.ndarray, offset: int, toggles: list[int]) -> None:
        nl = self.nl
        spans = self._spans(toggles, len(chunk))
        ends = int(np.count_nonzero(a == self.newline))  # numpy counts a byte several times faster than bytes.count
        for start, stop in spans:
            inner = chunk.count(nl, start, stop)
            if inner:
                ends -= inner
                if self.first_multiline < 0:
                    self.first_multiline = offset + start if start or not self.inside else self.open_at
        last = -1  # the last line break outside every span
        stop = len(chunk)
        for start, end in [*reversed(spans), (0, 0)]:
            last = chunk.rfind(nl, end, stop)
            if last >= 0:
                break
            stop = start
        self._after_chunk(toggles, offset)
        if ends:
            self.ends += ends
            self.last_end = offset + last

    def _feed_numpy(self, a: np.ndarray, offset: int, toggles: np.ndarray) -> None:
        breaks = np.flatnonzero(a == self.newline)
        at = None  # the index among ``breaks`` of each record end (None: every break ends a record)
        if toggles.size:
            flips = np.searchsorted(toggles, breaks)  # quote-state changes before each line break
            inside_at = (flips & 1).astype(bool) ^ self.inside
            ends = breaks[~inside_at]
            at = np.flatnonzero(~inside_at)
            if self.first_multiline < 0 and inside_at.any():
                k = int(flips[np.argmax(inside_at)])
                self.first_multiline = offset + int(toggles[k - 1]) if k else self.open_at
        elif self.inside:
            if breaks.size and self.first_multiline < 0:
                self.first_multiline = self.open_at
            ends = breaks[:0]
        else:
            ends = breaks
        self._after_chunk(toggles.tolist(), offset)
        if self.wanted.size and ends.size:
            lo, hi = np.searchsorted(self.wanted, [self.ends, self.ends + ends.size])
            for record in self.wanted[lo:hi].tolist():
                i = record - self.ends
                self.breaks_through[record] = self.breaks_seen + (i if at is None else int(at[i])) + 1
        if self.positions.size and ends.size:
            # A position may point at the line break before its row, or a byte into it: the break counts as before.
            self.ends_upto += np.searchsorted(ends + offset, self.positions, side="right")
        self.breaks_seen += int(breaks.size)
        if ends.size:
            if self.count_empty:
                self._count_empty(a, ends, offset)
            self.ends += int(ends.size)
            self.last_end = offset + int(ends[-1])

    def _after_chunk(self, toggles: list[int], offset: int) -> None:
        if len(toggles) % 2:
            self.inside = not self.inside

    def _real_opens(self, a: np.ndarray, toggles: np.ndarray, was_inside: bool) -> np.ndarray:
        """The toggles that open a value; with parity, a quote right after a closing one is the second half of ""."""
        opens = toggles[(1 if was_inside else 0)::2]
        before = np.where(opens > 0, a[np.maximum(opens - 1, 0)], self.prev)
        return opens[before != QUOTE]

    def _count_empty(self, a: np.ndarray, ends: np.ndarray, offset: int) -> None:
        starts = np.empty_like(ends)
        starts[0] = self.last_end + 1 - offset
        starts[1:] = ends[:-1] + 1
        length = ends - starts
        empty = length == 0
        if self.newline == LF:  # a CRLF file's empty line is a lone CR
            one = np.flatnonzero(length == 1)
            if one.size:
                before = ends[one] - 1
                byte = np.where(before >= 0, a[np.maximum(before, 0)], self.prev)
                empty[one[byte == CR]] = True
        self.empty_rows += (self.ends + np.flatnonzero(empty)).tolist()

    def _toggles(self, chunk: bytes, a: np.ndarray, quotes: np.ndarray) -> np.ndarray:
        """Offsets (in the chunk) of the quotes that open or close a quoted value."""
        met_outside = quotes[(np.arange(quotes.size) & 1) == (1 if self.inside else 0)]
        before = np.where(met_outside > 0, a[np.maximum(met_outside - 1, 0)], self.prev)
        at_start = (before == self.delim) | (before == LF) | (before == CR) | (before == QUOTE)
        if at_start.all():
            return quotes  # every quote toggles: parity is the state
        return self._walk(chunk, quotes)

    def _walk(self, chunk: bytes, quotes: np.ndarray) -> np.ndarray:
        """The toggling quotes of a chunk with a stray quote in it, found one quote at a time."""
        toggles: list[int] = []
        inside = self.inside
        skip_next = False
        n = len(chunk)
        starts = (self.delim, LF, CR)
        for p in quotes.tolist():
            if skip_next:  # the second quote of "" inside a value
                skip_next = False
                continue
            if inside:
                if p + 1 < n and chunk[p + 1] == QUOTE:
                    skip_next = True
                else:
                    inside = False
                    toggles.append(p)
                continue
            j = p - 1
            while j >= 0 and chunk[j] in (0x20, 0x09):
                j -= 1
            if (chunk[j] if j >= 0 else self.prev_solid) in starts:
                inside = True
                toggles.append(p)
        return np.asarray(toggles, dtype=np.int64)

    def finish(self, path: Path, size: int) -> RecordCount:
        """The count at the end of the file (``size`` bytes fed in all)."""
        if self.inside:
            raise InputError(_open_quote_message(path, self.open_at, self.first_multiline), file=str(path))
        if self.bad_close is not None:
            opened, closed, byte = self.bad_close
            first, last = _line_of(path, opened), _line_of(path, closed)
            raise InputError(
                f"a quote opened on line {first} is only closed on line {last}, where {chr(byte)!r} follows it instead "
                f"of a delimiter, so lines {first} to {last} would be one value: close the quote on line {first}, "
                'or double a quote inside a value (""), and export the file again',
                file=str(path),
            )
        records, empty_rows = self.ends, self.empty_rows
        if self.last_end + 1 < size:  # a last record without a line break after it
            records += 1
            if size - self.last_end == 2 and self.prev == CR:
                empty_rows.append(records - 1)
        # The first record is the header.
        if not self.count_empty:
            return RecordCount(records=max(records - 1, 0))
        return RecordCount(records=max(records - 1, 0), empty=len(empty_rows), empty_rows=empty_rows)


def _count_chunks(path: Path, counter: _RecordCounter, skip: int, stop: threading.Event | None = None) -> int:
    """Feed the file to ``counter`` from below its ``skip`` preamble lines; the bytes fed."""
    with path.open("rb") as fh:
        chunk = fh.read(CHUNK)
        start = 0
        for _ in range(skip):
            start = chunk.index(counter.nl, start) + 1
        if start == 0 and chunk.startswith(b"\xef\xbb\xbf"):
            start = 3  # a BOM: the header starts after it
        chunk, offset = chunk[start:], start
        while True:
            if stop is not None and stop.is_set():
                raise InputError("count stopped: the load ended", file=str(path))
            more = fh.read(CHUNK)
            # Quotes at a chunk's end wait for the next chunk: whether another quote follows decides what they are.
            held = len(chunk) - len(chunk.rstrip(b'"')) if more else 0
            body = chunk[: len(chunk) - held]
            counter.feed(body, offset)
            offset += len(body)
            chunk = chunk[len(chunk) - held:] + more
            if not more:
                break
        counter.feed(chunk, offset)
        return offset + len(chunk)


def _newline(path: Path) -> int:
    """The byte that ends a line: LF, or CR in an old Mac file with no LF at its start."""
    with path.open("rb") as fh:
        head = fh.read(CHUNK)
    return LF if b"\n" in head or b"\r" not in head else CR


def count_text_records(path: Path, delimiter: str, skip: int, *, count_empty: bool = True,
                       stop: threading.Event | None = None) -> RecordCount:
    """The records of a text table below its header (``skip`` preamble lines above it not counted), with its empty
    lines when ``count_empty`` (slower: every record's end is located); InputError for a quote that never closes."""
    counter = _RecordCounter(delimiter, _newline(path), count_empty=count_empty)
    size = _count_chunks(path, counter, skip, stop=stop)
    return counter.finish(path, size)


def record_start_lines(path: Path, delimiter: str, skip: int, rows: list[int]) -> dict[int, int]:
    """The physical line (1 = the file's first) on which each of the data records ``rows`` (1 = the first under the
    header) starts: lines above the header and line breaks inside quoted values are counted, as an editor shows."""
    counter = _RecordCounter(delimiter, _newline(path), count_empty=False, starts_of=[r - 1 for r in rows if r >= 1])
    _count_chunks(path, counter, skip)
    return {r: skip + counter.breaks_through[r - 1] + 1 for r in rows if r - 1 in counter.breaks_through}


def records_at_offsets(path: Path, delimiter: str, skip: int, offsets: list[int]) -> dict[int, int]:
    """{file offset: number of the data record (1 = the first under the header) starting there or holding it}."""
    counter = _RecordCounter(delimiter, _newline(path), count_empty=False, records_at=offsets)
    _count_chunks(path, counter, skip)
    return dict(zip(counter.positions.tolist(), counter.ends_upto.tolist()))


def _line_of(path: Path, offset: int) -> int:
    """The physical line (1 = first) holding the byte at ``offset``."""
    lines, done = 1, 0
    with path.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def _open_quote_message(path: Path, open_at: int, first_multiline: int) -> str:
    """Where a quote that runs to the end of the file opened, and the fix."""
    line = _line_of(path, open_at)
    hint = ""
    if 0 <= first_multiline < open_at:
        hint = (f" (the first quoted value that runs over a line break starts on line {_line_of(path, first_multiline)}: "
                "check that one first)")
    return (f"a quote opened on line {line} is never closed, so every line after it would be one value{hint}; "
            'close the quote, or double a quote inside a value ("") and export the file again')
