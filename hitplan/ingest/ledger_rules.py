"""Ledger mapping rules: a user-edited YAML file that assigns each GL line its TBM cost pool and tower,
capex/opex and run/grow/transform, turned into SQL so the mapping runs inside DuckDB."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hitplan.errors import InputError
from hitplan.schema import feed

TARGETS = ("cost_pool", "tower", "capex_opex", "rgt")
CONDITIONS = ("gl_account", "cost_center", "vendor_contains", "description_contains")


def _lit(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def load_rules(path: Path) -> list[dict]:
    """The rules of a rules file, checked: InputError naming the rule and what is wrong with it."""
    try:
        spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the rules file: {exc}", file=str(path)) from exc
    rules = (spec or {}).get("rules")
    if not isinstance(rules, list) or not rules:
        raise InputError("has no `rules:` list; start from hitplan/ingest/rules/tbm_example.yaml", file=str(path))
    costs = feed("costs")
    for i, rule in enumerate(rules, start=1):
        when, sets = rule.get("when") or {}, rule.get("set") or {}
        bad = [k for k in when if k not in CONDITIONS] + [k for k in sets if k not in TARGETS]
        if bad or not sets:
            raise InputError(
                f"rule {i}: {'unknown key ' + ', '.join(bad) if bad else 'sets nothing'}; conditions are "
                f"{', '.join(CONDITIONS)} and `set` takes {', '.join(TARGETS)}",
                file=str(path),
            )
        for column, value in sets.items():
            allowed = costs.column(column).values
            if str(value) not in allowed:
                raise InputError(f"rule {i}: {column} {value!r} is not one of {', '.join(allowed)}", file=str(path))
        for rng in _as_list(when.get("gl_account")):
            if not re.fullmatch(r"\s*\d+\s*(-\s*\d+\s*)?", str(rng)):
                raise InputError(f"rule {i}: gl_account {rng!r} is not an account or a range like 6400-6499", file=str(path))
    return rules


def _as_list(v) -> list:
    return [] if v is None else (list(v) if isinstance(v, (list, tuple)) else [v])


def _condition(when: dict, text: dict[str, str | None]) -> str | None:
    """SQL for a rule's conditions over the lines' text, or None when the file lacks a column it needs."""
    parts = []
    for rng in _as_list(when.get("gl_account")):
        if text.get("gl_account") is None:
            return None
        lo, _, hi = str(rng).partition("-")
        account = f"try_cast(regexp_extract({text['gl_account']}, '^\\s*([0-9]+)', 1) as bigint)"
        parts.append(f"{account} between {int(lo)} and {int(hi or lo)}")
    if len(parts) > 1:
        parts = ["(" + " or ".join(parts) + ")"]
    if when.get("cost_center"):
        if text.get("cost_center") is None:
            return None
        parts.append(f"lower({text['cost_center']}) in ({', '.join(_lit(str(c).lower()) for c in _as_list(when['cost_center']))})")
    for key, column in (("vendor_contains", "vendor_id"), ("description_contains", "description")):
        if when.get(key):
            if text.get(column) is None:
                return None
            words = " or ".join(f"contains(lower({text[column]}), {_lit(str(w).lower())})" for w in _as_list(when[key]))
            parts.append(f"({words})")
    return " and ".join(parts) or "true"


def rule_columns(rules: list[dict], text: dict[str, str | None]) -> dict[str, str]:
    """SQL per target column: the value of the first rule that matches the line and sets that column."""
    out = {}
    for target in TARGETS:
        whens = []
        for rule in rules:
            if target in (rule.get("set") or {}):
                cond = _condition(rule.get("when") or {}, text)
                if cond is not None:
                    whens.append(f"WHEN {cond} THEN {_lit(rule['set'][target])}")
        if whens:
            out[target] = "CASE " + " ".join(whens) + " END"
    return out
