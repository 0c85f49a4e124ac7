"""KPIs as data: every KPI is one SQL file and one YAML entry, run by one generic runner.

``hitplan/kpi/definitions/<area>/kpis.yaml`` declares each KPI of an area (label, description, unit, grain,
columns, the inputs it requires, its parameters and where their values come from, the threshold it is graded
against and the direction that is good); ``<area>/<name>.sql`` holds its query. The query's CTE named
``kpi_rows`` is the row-level step: the rows the KPI counts, with their keys; the final select aggregates it.
``kpi_rows()`` returns that step for drill-down (the rows behind a number) and for checks of a ratio's
population. A KPI's ``source`` is derived from its SQL: the models it reads and their columns it uses, and the
settings it takes figures from.

A parameter is bound as ``$name`` in the SQL; its value is the caller's (``hitplan.kpi.support.mttr_by_priority(
con, period, targets=...)``), else the KPI setting it names (``setting: figure`` in the KPI's area, or
``area.figure``), else its ``default``. A mapping setting given as ``table: [key, col...]`` is bound as a list of
structs (``from unnest($targets, recursive := true)``). ``$start`` and ``$end`` are the period's bounds.

A KPI built on another one names it under ``uses:``; its SQL then reads that KPI's result as a table of the same
name (the other KPI's SQL becomes a CTE), so the shared logic is written once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp

from hitplan.config import load_yaml
from hitplan.analysis import empty, missing, period_params
from hitplan.kpi.common import setting
from hitplan.errors import UsageError
from hitplan.models import attach_models, declared_columns, models
from hitplan.periods import Period

ROWS_CTE = "kpi_rows"
DIRECTIONS = ("higher_is_better", "lower_is_better", "none")
_KEYS = {"label", "description", "unit", "grain", "columns", "requires", "requires_any", "when_empty", "when_blank",
         "params", "threshold", "direction", "null_note", "note", "uses", "standard",
         "population"}


@dataclass(frozen=True)
class Requirement:
    """A model the KPI cannot be measured without: it must have rows (under ``where``) and no column of
    ``columns`` may be blank in every row."""

    model: str
    columns: tuple[str, ...] = ()
    where: str | None = None  # may use the KPI's parameters ($start, $end, ...)
    note: str | None = None  # the note when this requirement fails; "{note}" in it is the generic one


@dataclass(frozen=True)
class Param:
    """One ``$name`` of a KPI's SQL: its value comes from the caller, else a KPI setting, else a default."""

    name: str
    setting: tuple[str, str] | None = None  # (area, figure) in the KPI settings
    default: Any = None
    table: tuple[str, ...] = ()  # bind a mapping setting as a list of structs with these fields (key first)


@dataclass(frozen=True)
class KpiDef:
    """One KPI as declared: what it is, what it needs, how it is graded and its SQL."""

    name: str
    area: str
    label: str
    description: str
    unit: str
    grain: str
    columns: tuple[str, ...]
    requires: tuple[Requirement, ...]
    requires_any: bool
    when_empty: str
    when_blank: str | None
    params: tuple[Param, ...]
    threshold: str | None
    direction: str
    null_note: tuple[str, str] | None  # (column, note): a note when that column is blank in some row
    note: str | None  # said with every result (e.g. that the figure is a proxy), after any other note
    sql: str  # with the KPIs it uses as CTEs in front
    uses: tuple[str, ...] = ()
    standard: str | None = None  # the published definition it follows (document, section)
    population: str | None = None  # a ratio's population: what both numerator and denominator cover

    @property
    def models(self) -> tuple[str, ...]:
        """The models the SQL reads."""
        return _reads(self.sql)[0]

    @property
    def source(self) -> str:
        """The models it reads (with the staging models, i.e. feeds, behind them), the columns of each it uses,
        and the settings it takes figures from."""
        read, cols = _reads(self.sql)
        declared = declared_columns()
        parts = []
        for m in read:
            behind = [s for s in _staging_behind(m) if s != m]
            used = [c["name"] for c in declared.get(m, {}).get("columns", []) if c["name"] in cols.get(m, ())]
            parts.append(m + (f" ({', '.join(behind)})" if behind else "") + (f": {', '.join(used)}" if used else ""))
        figures = [f"{p.setting[0]}.{p.setting[1]}" for p in self.params if p.setting]
        if self.threshold:
            figures.append(self.threshold)
        if figures:
            parts.append("settings: " + ", ".join(dict.fromkeys(figures)))
        return "; ".join(parts)


def _staging_behind(model: str) -> list[str]:
    """The staging models (one per feed) a model reads, directly or through other models."""
    known = models()
    if known[model].layer == "staging":
        return [model]
    out: list[str] = []
    for dep in known[model].depends_on:
        out.extend(s for s in _staging_behind(dep) if s not in out)
    return out


@lru_cache(maxsize=None)
def _reads(sql: str) -> tuple[tuple[str, ...], dict[str, frozenset[str]]]:
    """The models a query reads, and for each the column names it uses: a qualified column (``s.system_id``)
    counts for the model its alias names, an unqualified one for every model read that has it."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    known = models()
    tables = [t for t in tree.find_all(exp.Table) if t.name in known]
    read = tuple(sorted({t.name for t in tables}, key=list(known).index))
    alias = {t.alias_or_name: t.name for t in tables}
    cols: dict[str, set[str]] = {m: set() for m in read}
    for c in tree.find_all(exp.Column):
        if c.table and c.table in alias:
            cols[alias[c.table]].add(c.name)
        elif not c.table:
            for m in read:
                cols[m].add(c.name)
    return read, {m: frozenset(v) for m, v in cols.items()}


def _requirement(spec: Any, where: str) -> Requirement:
    if isinstance(spec, str):
        return Requirement(spec)
    if isinstance(spec, dict) and "model" in spec:
        if unknown := sorted(set(spec) - {"model", "columns", "where", "note"}):
            raise ValueError(f"{where}: unknown requirement keys {unknown}; keys: model, columns, where, note")
        return Requirement(spec["model"], tuple(spec.get("columns") or ()), spec.get("where"), spec.get("note"))
    if isinstance(spec, dict) and len(spec) == 1:
        (model, cols), = spec.items()
        return Requirement(model, tuple(cols or ()))
    raise ValueError(f"{where}: a requirement is a model name, {{model: [columns]}} or {{model:, columns:, where:}}")


def _param(name: str, spec: Any, area: str, where: str) -> Param:
    if not isinstance(spec, dict) or not ({"setting", "default"} & set(spec)):
        raise ValueError(f"{where}: parameter {name} needs `setting: figure` or `default: value`")
    setting = None
    if "setting" in spec:
        a, _, fig = str(spec["setting"]).rpartition(".")
        setting = (a or area, fig)
    return Param(name, setting, spec.get("default"), tuple(spec.get("table") or ()))


@lru_cache(maxsize=1)
def definitions() -> dict[str, KpiDef]:
    """Every KPI shipped with hitplan, by name, in area order and then declaration order."""
    from hitplan.kpi import AREAS

    root = resources.files("hitplan.kpi").joinpath("definitions")
    found: dict[str, KpiDef] = {}
    for area in AREAS:
        folder = root.joinpath(area)
        if not folder.joinpath("kpis.yaml").is_file():
            continue
        where = f"hitplan/kpi/definitions/{area}/kpis.yaml"
        spec = load_yaml(folder.joinpath("kpis.yaml").read_text(encoding="utf-8")) or {}
        sql_files = {e.name[:-4] for e in folder.iterdir() if e.name.endswith(".sql")}
        if stray := sorted(sql_files - set(spec)):
            raise ValueError(f"{where}: SQL files without an entry: {stray}")
        for name, d in spec.items():
            w = f"{where}: {name}"
            if name in found:
                raise ValueError(f"{w}: a KPI of that name is already declared in {found[name].area}")
            if unknown := sorted(set(d) - _KEYS):
                raise ValueError(f"{w}: unknown keys {unknown}; keys: {sorted(_KEYS)}")
            if name not in sql_files:
                raise ValueError(f"{w}: no SQL file {name}.sql beside it")
            direction = d.get("direction", "none")
            if direction not in DIRECTIONS:
                raise ValueError(f"{w}: direction {direction!r}; one of {DIRECTIONS}")
            reqs = d.get("requires") or []
            null_note = d.get("null_note")
            found[name] = KpiDef(
                name=name, area=area, label=d["label"], description=d["description"], unit=d["unit"],
                grain=d["grain"], columns=tuple(d["columns"]),
                requires=tuple(_requirement(r, w) for r in (reqs if isinstance(reqs, list) else [reqs])),
                requires_any=bool(d.get("requires_any", False)),
                when_empty=d.get("when_empty", "nothing in the period"), when_blank=d.get("when_blank"),
                params=tuple(_param(k, v, area, w) for k, v in (d.get("params") or {}).items()),
                threshold=d.get("threshold"), direction=direction,
                null_note=(null_note["column"], null_note["note"]) if null_note else None,
                note=d.get("note"),
                sql=folder.joinpath(f"{name}.sql").read_text(encoding="utf-8"),
                uses=tuple(d.get("uses") or ()),
                standard=d.get("standard"), population=d.get("population"),
            )
    return {name: _with_uses(d, found) for name, d in found.items()}


def _with_uses(d: KpiDef, found: dict[str, KpiDef]) -> KpiDef:
    """The KPI with the KPIs it ``uses`` in front of its SQL as CTEs named after them (their params become its)."""
    if not d.uses:
        return d
    ctes, params = [], {p.name: p for p in d.params}
    for name in d.uses:
        used = found.get(name)
        if used is None or used.uses:
            raise ValueError(f"hitplan/kpi/definitions/{d.area}/kpis.yaml: {d.name} uses {name!r}, which is not a KPI "
                             "that stands on its own")
        ctes.append(f"{name} as (\n{_body(used.sql)}\n)")
        params.update({p.name: p for p in used.params if p.name not in params})
    body = _body(d.sql)
    head = "with " + ",\n".join(ctes)
    sql = f"{head},\n{body[len('with '):]}" if body.lower().startswith("with ") else f"{head}\n{body}"
    return dataclasses.replace(d, sql=sql, params=tuple(params.values()))


def _body(sql: str) -> str:
    """A query without its leading comment lines and trailing semicolon."""
    lines = sql.strip().splitlines()
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip().rstrip(";")


def definition(name: str) -> KpiDef:
    """One KPI's definition (UsageError naming the known KPIs for an unknown name)."""
    defs = definitions()
    if name not in defs:
        raise UsageError(f"unknown KPI {name!r}; KPIs: {', '.join(defs)}")
    return defs[name]


def _bind(p: Param, value: Any) -> Any:
    if not p.table:
        return value
    key, *fields = p.table
    rows = []
    for k, v in value.items():
        if isinstance(v, dict):
            rows.append({key: k, **{f: v[f] for f in fields}})
        else:
            rows.append({key: k, fields[0]: v})
    def as_key(k: Any) -> Any:  # a settings file may write the priority 1 as "1"
        return int(k) if isinstance(k, str) and k.strip().lstrip("-").isdigit() else k

    rows = [{**r, key: as_key(r[key])} for r in rows]
    if not all(isinstance(r[key], int) for r in rows):
        rows = [{**r, key: str(r[key])} for r in rows]
    return rows


def parameters(d: KpiDef, period: Period, cfg: dict | None, given: dict[str, Any]) -> dict[str, Any]:
    """The values bound to the KPI's SQL: the period's bounds and each parameter's value."""
    names = {p.name for p in d.params}
    if unknown := sorted(set(given) - names):
        raise TypeError(f"{d.name}() got unexpected parameters {unknown}; parameters: {sorted(names) or 'none'}")
    values = period_params(period)
    for p in d.params:
        v = given.get(p.name)
        if v is None or (p.table and not v):  # an empty mapping is no mapping: the setting applies
            v = setting(cfg, *p.setting) if p.setting else p.default
        values[p.name] = _bind(p, v)
    return values


def _missing_note(con: duckdb.DuckDBPyConnection, d: KpiDef, values: dict[str, Any]) -> str | None:
    notes = []
    for r in d.requires:
        note = missing(con, r.model, *r.columns, where=r.where, params=values)
        notes.append(r.note.format(note=note) if note and r.note else note)
    note = (" and ".join(notes) if all(notes) else None) if d.requires_any else next((n for n in notes if n), None)
    if note and d.when_blank and "blank" in note:
        return d.when_blank
    return note


def _say(note: str, values: dict[str, Any]) -> str:
    """A note with the parameters it names filled in ("within {horizon_days} days")."""
    return note.format_map({k: v for k, v in values.items() if isinstance(v, (int, float, str))}) if "{" in note else note


def _with_note(df: pd.DataFrame, d: KpiDef) -> pd.DataFrame:
    """The KPI's own note (said with every result) after any note the result carries."""
    if d.note:
        df.attrs["note"] = f"{df.attrs['note']}; {d.note}" if df.attrs.get("note") else d.note
    return df


def _execute(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]) -> pd.DataFrame:
    attach_models(con)
    used = {k: v for k, v in values.items() if f"${k}" in sql}  # DuckDB refuses parameters a query does not use
    return con.execute(sql, used).df()


def run_kpi(con: duckdb.DuckDBPyConnection, name: str, period: Period, *, cfg: dict | None = None,
            **params: Any) -> pd.DataFrame:
    """One KPI for the period: a small tidy frame with ``attrs["source"]``, and ``attrs["note"]`` when it is
    empty or partial because data is missing (the KPI is then not measurable, never zero)."""
    d = definition(name)
    values = parameters(d, period, cfg, params)
    if note := _missing_note(con, d, values):  # missing() and _execute() attach the models
        df = empty(list(d.columns), note, d.source)
        df.attrs["not_measurable"] = note  # missing is not zero: hitplan.analysis.not_measurable reads it
        return _with_note(df, d)
    df = _execute(con, d.sql, values)
    df.attrs["source"] = d.source
    if df.empty:
        df.attrs["note"] = _say(d.when_empty, values)
    elif d.null_note and df[d.null_note[0]].isna().any():
        df.attrs["note"] = _say(d.null_note[1], values)
    return _with_note(df, d)


@lru_cache(maxsize=None)
def rows_sql(name: str) -> str:
    """The SQL of a KPI's row-level step: its CTEs, ending in ``select * from kpi_rows``."""
    d = definition(name)
    tree = sqlglot.parse_one(d.sql, read="duckdb")
    ctes = tree.args.get("with_") or tree.args.get("with")
    if ctes is None or ROWS_CTE not in {c.alias for c in ctes.expressions}:
        raise UsageError(f"KPI {name} has no row-level step (a CTE named {ROWS_CTE})")
    q = exp.select("*").from_(ROWS_CTE)
    q.set("with_" if "with_" in tree.args else "with", ctes.copy())
    return q.sql(dialect="duckdb")


def kpi_rows(con: duckdb.DuckDBPyConnection, name: str, period: Period, *, cfg: dict | None = None,
             **params: Any) -> pd.DataFrame:
    """The rows behind a KPI for the period (its ``kpi_rows`` step), with their keys."""
    d = definition(name)
    values = parameters(d, period, cfg, params)
    if note := _missing_note(con, d, values):  # missing() and _execute() attach the models
        df = pd.DataFrame()
        df.attrs.update(source=d.source, note=note, not_measurable=note)
        return df
    df = _execute(con, rows_sql(name), values)
    df.attrs["source"] = d.source
    if df.empty:
        df.attrs["note"] = _say(d.when_empty, values)
    return df


class Results(dict):
    """KPI results for one period and one set of KPI settings, by name, each computed once: ``results("name")``
    returns the frame, running the KPI only the first time (frames ``given`` by a caller that already has them,
    e.g. a report section's, are reused)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None,
                 given: dict[str, pd.DataFrame] | None = None) -> None:
        super().__init__(given or {})
        self.con, self.period, self.cfg = con, period, cfg

    def __call__(self, name: str) -> pd.DataFrame:
        if name not in self:
            self[name] = run_kpi(self.con, name, self.period, cfg=self.cfg)
        return self[name]


def kpi_function(d: KpiDef) -> Callable[..., pd.DataFrame]:
    """The KPI as a function ``f(con, period, *, cfg=None, **params)`` named after it, documented by its
    description."""

    def f(con: duckdb.DuckDBPyConnection, period: Period, *, cfg: dict | None = None, **params: Any) -> pd.DataFrame:
        return run_kpi(con, d.name, period, cfg=cfg, **params)

    f.__name__ = f.__qualname__ = d.name
    f.__module__ = f"hitplan.kpi.{d.area}"
    f.__doc__ = d.description
    f.kpi = d  # type: ignore[attr-defined]
    return f


def area_functions(area: str) -> dict[str, Callable[..., pd.DataFrame]]:
    """Every KPI of an area as a function, by name, in declaration order."""
    return {n: kpi_function(d) for n, d in definitions().items() if d.area == area}


def select(names_or_areas: list[str]) -> list[KpiDef]:
    """The KPIs named, or of the areas named (UsageError for a name that is neither)."""
    from hitplan.kpi import AREAS

    defs = definitions()
    out: list[KpiDef] = []
    for n in names_or_areas:
        if n in AREAS:
            out.extend(d for d in defs.values() if d.area == n)
        elif n in defs:
            out.append(defs[n])
        else:
            raise UsageError(f"{n!r} is neither an area nor a KPI; areas: {', '.join(AREAS)}; "
                             "`hitplan kpi --list` lists the KPIs")
    return list(dict.fromkeys(out))


def standards_table(defs: Iterable[KpiDef] | None = None) -> str:
    """Markdown table of the KPIs with the published definition each follows and, for a ratio, its population
    (README's "Every KPI and the standard it follows" is this table: `hitplan kpi --list --format markdown`)."""

    def cell(text: str | None) -> str:
        return " ".join((text or "–").split()).replace("|", "\\|")

    rows = ["| KPI | area | what it measures | standard it follows | population (ratios) |", "|---|---|---|---|---|"]
    for d in defs if defs is not None else definitions().values():
        rows.append(f"| `{d.name}` | {d.area} | {cell(d.label)} | {cell(d.standard)} | {cell(d.population)} |")
    return "\n".join(rows)
