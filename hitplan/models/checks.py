"""The models' declared tests (models.yml, dbt's generic tests), each run as one SQL query over the attached models.

A column declares ``tests:`` the way dbt does: ``unique``, ``not_null``, ``accepted_values`` (``values``, and
``quote: false`` for numbers) and ``relationships`` (``to: ref('model')``, ``field``); a model declares
``unique_combination_of_columns`` (``combination_of_columns``, as dbt-utils spells it) for a grain of several
columns. Arguments sit under the test's name or under ``arguments:``; ``config: {severity: warn}`` marks a test whose
failure real data may legitimately show (an incident naming a system missing from the inventory, which ingest keeps
as unlinked): it is reported but does not fail the run.

Each test is a query returning its failing rows, counted as dbt counts them: one per null (not_null), one per value or
combination that repeats (unique, with how many rows carry it), one per distinct value not accepted (with its rows),
one per row whose value the referenced model lacks (relationships). A null is never a failure of the last three.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass

import duckdb
import sqlglot
from sqlglot import exp

from hitplan.models import attach_models, declared_columns, models

SEVERITIES = ("error", "warn")
COLUMN_TESTS = ("unique", "not_null", "accepted_values", "relationships")
MODEL_TESTS = ("unique_combination_of_columns",)
EXAMPLES = 3  # failing values shown with a result


@dataclass(frozen=True)
class DeclaredTest:
    """One test declared in models.yml, with the query that returns its failing rows."""

    model: str
    column: str  # the column, or the combination's columns joined by ", "
    test: str
    severity: str
    detail: str  # what the test compares against: the accepted values, the referenced model.field
    sql: str
    shown: str = ""  # an expression over the failing rows that names the failing value ("" for none)


@dataclass(frozen=True)
class TestResult:
    """The outcome of one declared test: its failing rows (as dbt counts them), a few of their values, its query."""

    __test__ = False  # not a pytest test class

    model: str
    column: str
    test: str
    severity: str
    detail: str
    failures: int
    examples: tuple[str, ...]
    sql: str

    @property
    def passed(self) -> bool:
        return self.failures == 0

    @property
    def outcome(self) -> str:
        """pass, warn (a failing test of severity warn) or fail."""
        if self.passed:
            return "pass"
        return "warn" if self.severity == "warn" else "fail"

    def to_dict(self) -> dict:
        return {**asdict(self), "examples": list(self.examples), "outcome": self.outcome}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: object, quote: bool) -> str:
    if not quote:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"accepted_values with quote: false takes numbers, not {value!r}")
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _text(column: str) -> str:
    return f"coalesce(cast(failing.{_ident(column)} as varchar), 'null')"


def _split(entry: object, where: str) -> tuple[str, dict, str]:
    """A test entry as dbt writes it (``name`` or ``{name: {args..., arguments: {...}, config: {...}}}``):
    its name, its arguments and its severity."""
    if isinstance(entry, str):
        return entry, {}, "error"
    if not (isinstance(entry, dict) and len(entry) == 1):
        raise ValueError(f"models.yml {where}: a test is a name or a one-key mapping, not {entry!r}")
    name, spec = next(iter(entry.items()))
    spec = dict(spec or {})
    config = spec.pop("config", None) or {}
    args = {**(spec.pop("arguments", None) or {}), **spec}
    severity = str(config.get("severity", "error")).lower()
    if severity not in SEVERITIES:
        raise ValueError(f"models.yml {where}: {name} has severity {severity!r}; use error or warn")
    return name, args, severity


_REF = re.compile(r"\s*ref\(\s*['\"](\w+)['\"]\s*\)\s*|\s*(\w+)\s*")


def _columns_of(model: str) -> set[str]:
    return {c["name"] for c in declared_columns().get(model, {}).get("columns", ())}


def _ref(target: str, where: str) -> str:
    m = _REF.fullmatch(str(target))
    if not m:
        raise ValueError(f"models.yml {where}: relationships to {target!r}; write to: ref('model_name')")
    name = m.group(1) or m.group(2)
    if name not in models():
        raise ValueError(f"models.yml {where}: relationships to {name}, which is not a model")
    return name


def _column_test(model: str, column: str, entry: object) -> DeclaredTest:
    where = f"{model}.{column}"
    name, args, severity = _split(entry, where)
    m, c = _ident(model), _ident(column)
    if name == "not_null":
        return DeclaredTest(model, column, name, severity, "", f"select {c} from {m} where {c} is null")
    if name == "unique":
        sql = f"select {c}, count(*) as n_records from {m} where {c} is not null group by {c} having count(*) > 1"
        return DeclaredTest(model, column, name, severity, "", sql, _text(column))
    if name == "accepted_values":
        values = args.get("values")
        if not isinstance(values, list) or not values:
            raise ValueError(f"models.yml {where}: accepted_values needs a list of values")
        quote = bool(args.get("quote", True))
        listed = ", ".join(_literal(v, quote) for v in values)
        sql = (f"select {c}, count(*) as n_records from {m} where {c} is not null and {c} not in ({listed}) "
               f"group by {c}")
        return DeclaredTest(model, column, name, severity, ", ".join(str(v) for v in values), sql, _text(column))
    if name == "relationships":
        to, field = _ref(args.get("to", ""), where), args.get("field")
        if field not in _columns_of(to):
            raise ValueError(f"models.yml {where}: relationships needs field: a column of {to}, not {field!r}")
        sql = (f"select child.{c} from {m} as child where child.{c} is not null and not exists "
               f"(select 1 from {_ident(to)} as parent where parent.{_ident(field)} = child.{c})")
        return DeclaredTest(model, column, name, severity, f"{to}.{field}", sql, _text(column))
    raise ValueError(f"models.yml {where}: unknown test {name!r}; column tests are {', '.join(COLUMN_TESTS)}")


def _model_test(model: str, entry: object) -> DeclaredTest:
    name, args, severity = _split(entry, model)
    if name != "unique_combination_of_columns":
        raise ValueError(f"models.yml {model}: unknown model test {name!r}; model tests are {', '.join(MODEL_TESTS)}")
    cols = args.get("combination_of_columns")
    if not isinstance(cols, list) or len(cols) < 2 or not all(isinstance(c, str) for c in cols):
        raise ValueError(f"models.yml {model}: unique_combination_of_columns needs combination_of_columns: two or "
                         "more column names")
    if set(cols) - _columns_of(model):
        raise ValueError(f"models.yml {model}: unique_combination_of_columns names columns the model lacks: "
                         f"{', '.join(sorted(set(cols) - _columns_of(model)))}")
    listed = ", ".join(_ident(c) for c in cols)
    # group by treats nulls as equal, as ingest's keyed replace does (is not distinct from)
    sql = f"select {listed}, count(*) as n_records from {_ident(model)} group by {listed} having count(*) > 1"
    shown = "concat_ws(' / ', " + ", ".join(_text(c) for c in cols) + ")"
    return DeclaredTest(model, ", ".join(cols), name, severity, "", sql, shown)


def declared_tests() -> list[DeclaredTest]:
    """Every test declared in models.yml, models in dependency order, a model's own tests before its columns'."""
    found = []
    declared = declared_columns()
    for model in models():
        spec = declared.get(model, {})
        found += [_model_test(model, t) for t in spec.get("tests") or ()]
        for col in spec.get("columns", ()):
            found += [_column_test(model, col["name"], t) for t in col.get("tests") or ()]
    return found


def run_model_tests(con: duckdb.DuckDBPyConnection) -> list[TestResult]:
    """Run every declared test on ``con`` (models attached first): one query per test, failing rows counted."""
    attach_models(con)
    results = []
    for t in declared_tests():
        shown = f"list(distinct {t.shown} order by {t.shown})[1:{EXAMPLES}]" if t.shown else "[]"
        count, examples = con.execute(f"select count(*), {shown} from ({t.sql}) as failing").fetchone()
        results.append(TestResult(t.model, t.column, t.test, t.severity, t.detail, int(count),
                                  tuple(examples or ()), t.sql))
    return results


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def sqlglot_problem(sql: str) -> str | None:
    """Why SQLGlot cannot parse ``sql`` as one DuckDB statement (an error, a warning, a statement it only keeps as
    an opaque command), or None when it parses it fully: the condition for running the same SQL on another engine."""
    collect = _Collect()
    log = logging.getLogger("sqlglot")
    log.addHandler(collect)
    try:
        tree = sqlglot.parse_one(sql, read="duckdb", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        log.removeHandler(collect)
    if collect.messages:
        return "; ".join(collect.messages)
    if tree.find(exp.Command):
        return "parsed only as an opaque command"
    return None
