"""The SQL that types and checks every row of a file inside DuckDB, naming each problem."""

from __future__ import annotations

from collections.abc import Callable

from hitplan.ingest.pseudonymize import pseudonym_sql
from hitplan.ingest.source import quote_ident, sql_string
from hitplan.schema import Column, Feed, limit_text

TYPE_WORDS = {
    "integer": "a whole number",
    "number": "a number",
    "money": "an amount like 1234.56 (no currency sign or thousands separator)",
    "date": "a date as YYYY-MM-DD",
    "timestamp": "a date-time as YYYY-MM-DD HH:MM:SS",
    "boolean": "true or false",
}
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
OFFSET_RE = r"(T|\d )\d\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?)$"


def _in_list(expr: str, words: tuple[str, ...]) -> str:
    return f"{expr} in ({', '.join(sql_string(w) for w in words)})"


def _visible_nul(raw: str) -> str:
    """SQL for a text with each NUL byte written as the two characters \\0."""
    # Reasons and rejected values go into CSV output (`hitplan rejects --out`), where a NUL breaks other tools.
    return f"replace({raw}, chr(0), '\\0')"


def _shown(raw: str) -> str:
    """SQL rendering a raw value for a message: quoted, cut at 60 characters, a NUL byte written as \\0."""
    # Messages are built for bad rows only, so the replace costs nothing on clean files.
    cut = f"CASE WHEN length({raw}) > 60 THEN left({raw}, 60) || '…' ELSE {raw} END"
    return f"'''' || {_visible_nul(cut)} || ''''"


# Registered on the loading connection by load.py: pseudonym_sql's value, computed once per distinct value (hashing
# every row's name twice was a third of the time spent checking an incidents file).
PSEUDONYM_FUNCTION = "hitplan_pseudonym"


def typed_sql(col: Column, raw: str) -> str:
    """SQL turning the trimmed text ``raw`` into the column's type (NULL where it is not one)."""
    if col.pii:
        return f"{PSEUDONYM_FUNCTION}({raw})"
    if col.values:
        return f"replace(replace(lower({raw}), ' ', '_'), '-', '_')"
    match col.type:
        case "text":
            return raw
        case "integer":
            # try_cast alone rounds '3.5' to 4: a value with a decimal point must be a whole number (3.0).
            return (
                f"CASE WHEN NOT contains({raw}, '.') THEN try_cast({raw} AS BIGINT) "
                f"WHEN regexp_full_match({raw}, '\\s*[+-]?[0-9]+\\.0*\\s*') "
                f"THEN try_cast(regexp_replace({raw}, '\\.0*\\s*$', '') AS BIGINT) END"
            )
        case "number":
            return f"CASE WHEN isfinite(try_cast({raw} AS DOUBLE)) THEN try_cast({raw} AS DOUBLE) END"
        case "money":
            return f"try_cast({raw} AS DECIMAL(18,2))"
        case "date":
            return f"try_cast({raw} AS DATE)"
        case "timestamp":
            # 'YYYY-MM-DD HH:MM:SS' is 19 characters: only longer values can carry an offset worth a regex.
            return (
                f"CASE WHEN length({raw}) <= 19 OR NOT regexp_matches({raw}, '{OFFSET_RE}') "
                f"THEN try_cast({raw} AS TIMESTAMP) END"
            )
        case "boolean":
            return (
                f"CASE WHEN {_in_list(f'lower({raw})', TRUE_WORDS)} THEN true "
                f"WHEN {_in_list(f'lower({raw})', FALSE_WORDS)} THEN false END"
            )
    raise ValueError(col.type)


def _literal(col: Column, value: object) -> str:
    if col.type in ("date", "timestamp"):
        return f"{col.sql_type} {sql_string(str(value))}"
    return str(value)


def _value_map_line(col: Column, raw: str, feed: str | None) -> str:
    """SQL for the end of a message on a word the column does not take: the value-map line that would load it."""
    if feed is None:
        return "''"
    cut = _visible_nul(f"CASE WHEN length({raw}) > 60 THEN left({raw}, 60) ELSE {raw} END")
    word = f"replace({cut}, '\"', '\\\"')"  # the YAML line quotes the word: a quote inside it is escaped
    value = "<one of these>" if col.values else f"<a whole number from {col.min} to {col.max}>"
    lead = sql_string(f'; add it to a value map and pass --values FILE, e.g. under {feed}: {col.name}: the line  "')
    return lead + " || " + word + " || " + sql_string('": ' + value)


def problems(col: Column, raw: str, typed: str, *, feed: str | None = None,
             layouts: str | None = None) -> list[tuple[str, str]]:
    """The ways one column's value can be wrong, as (SQL condition, SQL message 'column: problem'), in order.

    With ``feed``, a word the column does not take names the value-map line that would load it; ``layouts`` is
    the date or time layouts the profile tried, listed when a value fits none."""
    name = col.name
    whens: list[tuple[str, str]] = []
    if col.required:
        whens.append((f"{raw} IS NULL", sql_string(f"{name}: required but blank")))
    if col.type == "text" or col.values or col.pii:
        # A NUL byte ends strings in C tools and corrupts CSV output; other types fail their cast instead.
        whens.append((f"contains({raw}, chr(0))", sql_string(f"{name}: contains a NUL byte; remove it")))
    if col.type == "text":
        whens.append(
            (f"length({raw}) > {col.max_length}",
             f"'{name}: ' || length({raw}) || ' characters, over the limit of {col.max_length}; shorten it'")
        )
    shown = sql_string(f"{name}: value") if col.pii else f"'{name}: ' || {_shown(raw)}"
    if col.values:
        allowed = ", ".join(col.values)
        whens.append(
            (f"{raw} IS NOT NULL AND NOT {_in_list(typed, col.values)}",
             f"{shown} || ' is not one of {allowed}' || {_value_map_line(col, raw, feed)}")
        )
    elif col.type != "text" and not col.pii:
        if col.type == "timestamp":
            whens.append(
                (f"{raw} IS NOT NULL AND regexp_matches({raw}, '{OFFSET_RE}')",
                 f"{shown} || ' has a time-zone offset; give hospital local time without one'")
            )
        words, tail = TYPE_WORDS[col.type], ""
        if layouts and col.type in ("date", "timestamp"):
            words = f"{'a date-time' if col.type == 'timestamp' else 'a date'} in the layouts tried: {layouts}"
        elif layouts and col.type == "number":
            words = f"a duration in the layouts tried: {layouts}"
        elif col.type == "integer" and feed and col.min is not None and col.max is not None and col.max - col.min <= 10:
            # A small scale (priority, impact, urgency): a tool's own word for a level is what a value map is for.
            tail = f" || {_value_map_line(col, raw, feed)}"
        whens.append((f"{raw} IS NOT NULL AND {typed} IS NULL", f"{shown} || {sql_string(f' is not {words}')}{tail}"))
    if col.type == "money":
        # The column holds cents: a third decimal would be rounded away silently. Only values with three or
        # more characters after the point are compared, so 12.3400 passes and 1234.56 costs two string scans.
        whens.append(
            (f"strpos({raw}, '.') > 0 AND length({raw}) - strpos({raw}, '.') > 2 "
             f"AND try_cast({raw} AS DOUBLE) <> CAST({typed} AS DOUBLE)",
             f"{shown} || ' has more than 2 decimal places; round it to cents in the export'")
        )
    if col.min is not None:
        whens.append((f"{typed} < {_literal(col, col.min)}", f"{shown} || ' is below the minimum {limit_text(col.min)}'"))
    if col.max is not None:
        whens.append((f"{typed} > {_literal(col, col.max)}", f"{shown} || ' is above the maximum {limit_text(col.max)}'"))
    if col.not_future:
        limit = "current_date + 1" if col.type == "date" else "current_date + INTERVAL 2 DAY"
        whens.append(
            (f"{typed} > {limit}", f"{shown} || ' is in the future; check the date and the time zone'")
        )
    return whens


def blank_is_null(col: Column, src: str) -> str:
    """SQL for a file value with blanks as NULL; text is trimmed (casts ignore spaces by themselves)."""
    if col.type == "text" or col.values or col.pii:
        # Trimming only values that need it: copying every string costs a third of the read time, and
        # looking at the first and last character is the cheapest test DuckDB offers.
        return (
            f"NULLIF(CASE WHEN ord({src}[1]) BETWEEN 0 AND 32 OR ord({src}[-1]) BETWEEN 0 AND 32 "
            f"THEN trim({src}, ' \t\r\n') ELSE {src} END, '')"
        )
    return f"NULLIF({src}, '')"


def checked_select(
    feed: Feed,
    source_columns: list[str],
    relation: str,
    text_for: Callable[[Column, dict[str, str]], str | None],
    *,
    pii_sources: set[str] = frozenset(),
    explode: tuple[str, str] | None = None,
    collapse: Callable[[dict[str, str]], tuple[str, str]] | None = None,
    layouts: dict[str, str] | None = None,
) -> str:
    """A SELECT over ``relation`` giving every feed column typed, plus _reason, _column and _raw for bad rows.

    ``text_for(column, alias)`` gives the SQL of a feed column's canonical text, written over the file's
    columns as named in ``alias`` ({file column: SQL name}), or None when the file lacks it (NULL then).
    ``pii_sources`` are file columns holding personal data (pseudonymized in _raw too); ``explode`` =
    (file column, separator) splits a list in one cell into one row per item; ``collapse(alias)`` gives
    (key SQL, order SQL) to keep only each key's first row (an event log's latest update). Bad rows get _reason (every
    problem), _column (the first column at fault) and _raw (the file's row as JSON); the messages are
    only built for them. ``layouts`` ({column: the date or time layouts the profile tried}) words the message on
    a value that fits none.
    """
    alias = {c: f"s{i}" for i, c in enumerate(source_columns)}
    raw_cols, typed_cols = [], []
    present: set[str] = set()
    col_probs: list[tuple[str, list[tuple[str, str]]]] = []
    for i, col in enumerate(feed.columns):
        text = text_for(col, alias)
        if text is None:
            typed_cols.append(f"CAST(NULL AS {col.sql_type}) AS {quote_ident(col.name)}")
            continue
        present.add(col.name)
        r = f"r{i}"
        raw_cols.append(f"{text} AS {r}")
        typed_cols.append(f"{typed_sql(col, r)} AS {quote_ident(col.name)}")
        col_probs.append((col.name, problems(col, r, quote_ident(col.name), feed=feed.name,
                                             layouts=(layouts or {}).get(col.name))))
    # Row checks refer to typed values, so they sit beside the column checks, above the typed columns. A
    # check runs when the file has its column: a column the file lacks is NULL, so a comparison with it
    # never rejects, and coalesce(resolved_at, closed_at) uses whichever of the two the file has. It joins
    # its column's own problems, so a value already out of range gets one message, not two.
    own = dict(col_probs)
    for check in feed.checks:
        if check.column in present:
            own[check.column].append((f"NOT ({check.rule})", sql_string(f"{check.column}: {check.message}")))
    names = ", ".join(quote_ident(c.name) for c in feed.columns)
    selected = f"SELECT {', '.join(f'{quote_ident(c)} AS {a}' for c, a in alias.items())} FROM {relation}"
    if explode:
        col, sep = alias[explode[0]], explode[1]
        split = f"CASE WHEN {col} IS NULL OR trim({col}) = '' THEN [NULL] ELSE string_split({col}, {sql_string(sep)}) END"
        selected = f"SELECT * REPLACE (NULLIF(trim(unnest({split})), '') AS {col}) FROM ({selected})"
    if collapse:
        key, order = collapse(alias)
        selected = f"SELECT * FROM ({selected}) QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) = 1"
    head = f"""
WITH src AS ({selected}),
raw AS (SELECT *, {', '.join(raw_cols) or 'NULL AS r_none'} FROM src),
typed AS (SELECT *, {', '.join(typed_cols)} FROM raw)"""
    errs = [(n, "CASE " + " ".join(f"WHEN {c} THEN {m}" for c, m in probs) + " END") for n, probs in col_probs if probs]
    e_all = ", ".join(f"{expr} AS e{j}" for j, (_, expr) in enumerate(errs)) or "NULL AS e_none"
    reason = f"concat_ws('; ', {', '.join(f'e{j}' for j in range(len(errs)))})" if errs else "''"
    which = (
        "coalesce(" + ", ".join(f"CASE WHEN e{j} IS NOT NULL THEN {sql_string(n)} END" for j, (n, _) in enumerate(errs)) + ")"
        if errs else "NULL"
    )
    raw_struct = ", ".join(
        f"{quote_ident(c)} := {pseudonym_sql(alias[c]) if c in pii_sources else _visible_nul(alias[c])}"
        for c in source_columns
    )
    return f"""{head},
checked AS (SELECT *, {e_all} FROM typed),
reasons AS (SELECT *, NULLIF({reason}, '') AS _reason FROM checked),
final AS (
    SELECT {names},
           _reason,
           CASE WHEN _reason IS NOT NULL THEN {which} END AS _column,
           CASE WHEN _reason IS NOT NULL THEN to_json(struct_pack({raw_struct})) END AS _raw
    FROM reasons
)
SELECT * FROM final"""
