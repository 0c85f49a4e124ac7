"""One settings object: every figure a CIO may change (KPI thresholds, downtime cost, forecast settings, criteria
and weights, portfolio policy, report policy), loaded once from the shipped defaults, overridden by one user
settings file, and passed down to every analysis. No module reads its own YAML.

A settings file is YAML with sections over the shipped defaults; each figure it names replaces the shipped one
(given as a bare value or as ``{value: ..., source: ..., why: ...}``)::

    kpi:                       # hitplan/kpi/config.yaml: area -> figure
      continuity:
        downtime_cost_per_hour_usd: {1: 300000, 2: 60000, 3: 10000, 4: 1000, unassessed: 10000}
    forecast:                  # hitplan/forecast/config.yaml: model -> figure
      themes: {n_themes: 8}
    criteria:                  # hitplan/prioritize/criteria.yaml: criterion -> direction, weight
      cost: {weight: 0.15}
      clinical_impact: {weight: 0.25}
    portfolio:                 # hitplan/prioritize/portfolio.yaml and budget_example.yaml
      urgency: {yearly_discount_rate: 0.05}
      budgets:                 # replaces the example budgets as a whole
        FY2028: {capex: 2500000, opex: 400000, hours: 8000}
    report:                    # hitplan/report/config.yaml: report policy
      board: {top_risks: 5}

Every figure keeps its ``source``: the shipped one, or the file that set it. A section is one entry of
``SECTIONS`` (its shipped files and how each reads).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hitplan import config
from hitplan.errors import UsageError


@dataclass(frozen=True)
class Shipped:
    """A file of shipped defaults (a path inside the package), read as ``figures`` (group -> name -> value or
    {value, source, why}), ``criteria`` (criteria: name -> {direction, weight, source, why}) or ``budgets``
    (budgets: fiscal year -> {capex, opex, hours}, one group a user's budgets replace as a whole)."""

    file: str
    kind: str = "figures"

    @property
    def path(self) -> str:
        """The file as messages and sources name it, e.g. hitplan/kpi/config.yaml."""
        return f"hitplan/{self.file}"


# Adding a section is one entry here (and its shipped file). The files are read by path, not through
# importlib.resources, so that reading settings does not import the packages (scipy, scikit-learn) they sit in.
SECTIONS: dict[str, tuple[Shipped, ...]] = {
    "kpi": (Shipped("kpi/config.yaml"),),
    "forecast": (Shipped("forecast/config.yaml"),),
    "criteria": (Shipped("prioritize/criteria.yaml", "criteria"),),
    "portfolio": (Shipped("prioritize/portfolio.yaml"), Shipped("prioritize/budget_example.yaml", "budgets")),
    "report": (Shipped("report/config.yaml"),),
}
# What a section's groups are, in messages.
GROUP_NOUN = {"kpi": "area", "forecast": "model", "criteria": "criterion"}
BUDGETS = "budgets"  # the portfolio group a user's budgets replace as a whole
CRITERION_FIGURES = ("direction", "weight")


@dataclass(frozen=True)
class Figure:
    """One configured figure: its value, where it comes from and why it is used."""

    value: Any
    source: str
    why: str = ""
    shipped: bool = True  # False once a user's file set it


Groups = dict[str, dict[str, Figure]]


@dataclass(frozen=True)
class Settings:
    """Every configurable figure by section, group and name, each with its value and source; ``files`` are the
    user's files read over the shipped defaults (settings file first, then per-run overrides)."""

    sections: Mapping[str, Groups]
    files: tuple[str, ...] = field(default=())

    def _figure(self, section: str, group: str, name: str) -> Figure:
        try:
            return self.sections[section][group][name]
        except KeyError:
            raise UsageError(f"no setting {section}.{group}.{name}; see `hitplan settings show`") from None

    def value(self, section: str, group: str, name: str) -> Any:
        """The value of one figure (a copy the caller may change)."""
        return copy.deepcopy(self._figure(section, group, name).value)

    def source(self, section: str, group: str, name: str) -> str:
        """Where one figure comes from: its shipped source, or the file that set it."""
        return self._figure(section, group, name).source

    def groups(self, section: str) -> tuple[str, ...]:
        """The groups of a section in file order (areas, models, criteria, ...)."""
        return tuple(self.sections[section])

    def group(self, section: str, group: str) -> dict[str, Any]:
        """A group's figures as name -> value (a copy)."""
        return {n: copy.deepcopy(f.value) for n, f in self.sections[section].get(group, {}).items()}

    def is_shipped(self, section: str, group: str | None = None) -> bool:
        """True when no user file set any figure of the section (or of one of its groups)."""
        groups = [group] if group is not None else list(self.sections[section])
        return all(f.shipped for g in groups for f in self.sections[section].get(g, {}).values())

    def _cfg(self, section: str) -> dict[str, Any]:
        return {g: {n: {"value": copy.deepcopy(f.value), "source": f.source, "why": f.why} for n, f in figs.items()}
                for g, figs in self.sections[section].items()}

    @property
    def kpi(self) -> dict[str, Any]:
        """The KPI settings in the shape KPI code reads (``cfg[area][name]["value"]``), a fresh copy."""
        return self._cfg("kpi")

    @property
    def forecast(self) -> dict[str, Any]:
        """The forecasting settings in the shape forecast code reads (``cfg[model][name]["value"]``), a fresh copy."""
        return self._cfg("forecast")

    def figures(self) -> list[dict[str, Any]]:
        """Every figure as a row: section, group, name, value and source."""
        return [{"section": s, "group": g, "name": n, "value": copy.deepcopy(f.value), "source": f.source}
                for s, groups in self.sections.items() for g, figs in groups.items() for n, f in figs.items()]


# ---------------------------------------------------------------- the shipped defaults

def _read_shipped(s: Shipped) -> Any:
    text = (config.PACKAGE_DIR / s.file).read_text(encoding="utf-8")
    doc = config.load_yaml(text)
    config.refuse_non_finite(doc, s.path)  # an edited copy with .nan must not pass as a figure
    return doc


def _figure(spec: Any, source: str) -> Figure:
    if isinstance(spec, dict) and "value" in spec:
        return Figure(copy.deepcopy(spec["value"]), str(spec.get("source") or source), str(spec.get("why") or ""))
    return Figure(copy.deepcopy(spec), source)


def _shipped_groups(s: Shipped) -> Groups:
    doc = _read_shipped(s) or {}
    if s.kind == "criteria":
        return {str(name): {k: Figure(spec[k], str(spec.get("source") or s.path), str(spec.get("why") or ""))
                            for k in CRITERION_FIGURES}
                for name, spec in doc["criteria"].items()}
    if s.kind == "budgets":
        return {BUDGETS: {str(fy): Figure(v, f"{s.path} (example budgets for the demo hospital)")
                          for fy, v in doc[BUDGETS].items()}}
    return {str(g): {str(n): _figure(v, s.path) for n, v in (figs or {}).items()} for g, figs in doc.items()}


_SHIPPED: dict[str, Groups] | None = None


def shipped() -> dict[str, Groups]:
    """The shipped defaults of every section (read once; a copy)."""
    global _SHIPPED
    if _SHIPPED is None:
        out: dict[str, Groups] = {}
        for section, files in SECTIONS.items():
            out[section] = {}
            for s in files:
                out[section].update(_shipped_groups(s))
        _SHIPPED = out
    return copy.deepcopy(_SHIPPED)


def shipped_file(section: str, group: str | None = None) -> str:
    """The shipped file a section (or one of its groups) comes from, for messages."""
    files = SECTIONS[section]
    if group == BUDGETS:
        return next(s.path for s in files if s.kind == "budgets")
    return files[0].path


# ---------------------------------------------------------------- checks

def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_like(given: Any, shipped_value: Any, where: str, key: str, shipped_path: str = "the shipped file") -> None:
    """Refuse (UsageError naming the key) a figure whose shape differs from the shipped one: a number for a number,
    a mapping with the same keys for a mapping, a list of numbers for a list of numbers, text for text."""
    if _number(shipped_value):
        if not _number(given):
            raise UsageError(f"{where}: {key} {given!r} is not a number; give one like the shipped {shipped_value!r}")
    elif isinstance(shipped_value, dict):
        if not isinstance(given, dict) or set(map(str, given)) != set(map(str, shipped_value)):
            raise UsageError(f"{where}: {key} must give {', '.join(map(str, shipped_value))} (as the shipped "
                             f"{shipped_path} does)")
        by_text = {str(k): v for k, v in shipped_value.items()}
        for k, v in given.items():
            check_like(v, by_text[str(k)], where, f"{key}.{k}", shipped_path)
    elif isinstance(shipped_value, list):
        if shipped_value and all(_number(v) for v in shipped_value):
            if not isinstance(given, list) or not given or not all(_number(v) for v in given):
                raise UsageError(f"{where}: {key} must be a list of numbers like the shipped {shipped_value!r}")
        elif not isinstance(given, list) or not all(isinstance(v, str) for v in given):
            raise UsageError(f"{where}: {key} must be a list of words like the shipped one")
    elif isinstance(shipped_value, str) and not isinstance(given, str):
        raise UsageError(f"{where}: {key} {given!r} must be text like the shipped {shipped_value!r}")


def budget_years(years: Any, where: str | None, resources_: tuple[str, ...], key: str = "") -> dict[str, dict]:
    """Budgets per fiscal year, checked: FY keys, each mapping a resource to a finite amount >= 0 or empty (no
    limit); ``where`` names the file (None: the caller names it) and ``key`` where they sit in it, for messages."""
    def fail(msg: str):
        raise UsageError(f"{where}: {msg}" if where else msg)

    if not isinstance(years, dict) or not years or any(not re.fullmatch(r"FY\d{4}", str(k)) for k in years):
        fail((f"{key.rstrip('.')}: " if key else "") + "give fiscal years like FY2028, each with "
             f"{', '.join(resources_[:-1])} and {resources_[-1]}")
    for fy, amounts in years.items():
        if not isinstance(amounts, dict):
            fail(f"{key}{fy} must map {', '.join(resources_)} to amounts, e.g. {{capex: 2500000, opex: 400000, "
                 "hours: 8000}")
        for resource, amount in amounts.items():
            if resource == "teams" and amount is not None:  # staff hours per team: {network: 2000, ehr_apps: 3000}
                if not isinstance(amount, dict):
                    fail(f"{key}{fy}.teams must map team names to staff hours, e.g. {{network: 2000, ehr_apps: 3000}}")
                for team, hours in amount.items():
                    if hours is not None and (not _number(hours) or not math.isfinite(hours) or hours < 0):
                        fail(f"{key}{fy}.teams.{team} is {hours!r}; give staff hours >= 0 (or leave it empty for no "
                             "limit)")
                continue
            if resource not in resources_:
                fail(f"{key}{fy}.{resource} is not a budget; use {', '.join(resources_)}")
            if amount is None:
                continue  # empty: no limit
            if not _number(amount):
                fail(f"{key}{fy}.{resource} {amount!r} is not a number; write it as digits, e.g. 2500000 (or leave "
                     "it empty for no limit)")
            if not math.isfinite(amount) or amount < 0:
                fail(f"{key}{fy}.{resource} is {amount}; give a finite amount >= 0 (or leave it empty for no limit)")
    return {str(k): dict(v) for k, v in sorted(years.items(), key=lambda kv: str(kv[0]))}


def _budget_resources(groups: Groups) -> tuple[str, ...]:
    # the resources a budget names are those of the shipped example's years
    first = next(iter(groups[BUDGETS].values()))
    return tuple(map(str, first.value))


# ---------------------------------------------------------------- overrides

def _overlay(groups: Groups, own: Any, *, section: str, where: str, source: str, prefix: str) -> None:
    """Apply a mapping of group -> figure -> value over a section's groups, each figure checked like the shipped."""
    noun = GROUP_NOUN.get(section, "group")
    if own is None:
        return
    if not isinstance(own, dict):
        first = next(iter(groups))
        name = next(iter(groups[first]))
        raise UsageError(f"{where}: {prefix.rstrip('.') or section} must map {noun}s to figures, e.g. {prefix}{first}: "
                         f"{{{name}: ...}}; start from {shipped_file(section)}")
    for group, figures in own.items():
        group = str(group)
        if group not in groups:
            known = [g for g in groups if g != BUDGETS] + ([BUDGETS] if BUDGETS in groups else [])
            raise UsageError(f"{where}: unknown {noun} {prefix}{group}; {noun}s: {', '.join(known)}")
        if section == "portfolio" and group == BUDGETS:
            years = budget_years(figures, where, _budget_resources(groups), key=f"{prefix}{BUDGETS}.")
            groups[BUDGETS] = {fy: Figure(v, source, shipped=False) for fy, v in years.items()}
            continue
        if not isinstance(figures, dict):
            raise UsageError(f"{where}: {prefix}{group} must map figure names to values; see "
                             f"{shipped_file(section, group)}")
        for name, spec in figures.items():
            name = str(name)
            if name not in groups[group]:
                raise UsageError(f"{where}: {prefix}{group}.{name} is not a figure of {prefix}{group}; figures: "
                                 f"{', '.join(groups[group])}")
            old = groups[group][name]
            given = spec if isinstance(spec, dict) and "value" in spec else {"value": spec}
            check_like(given["value"], old.value, where, f"{prefix}{group}.{name}", shipped_file(section, group))
            groups[group][name] = Figure(copy.deepcopy(given["value"]), source, str(given.get("why") or old.why),
                                         shipped=False)


def criteria_document(doc: Any, where: str, known: tuple[str, ...] | None = None) -> dict[str, dict[str, Any]]:
    """A criteria file's criteria as name -> {direction, weight}, checked: a 'criteria' mapping, names among
    ``known`` (when given), each with a direction and a numeric weight (that the weights sum to 1 and the
    directions are benefit or cost is checked when they become ``Criteria``)."""
    spec = doc.get("criteria") if isinstance(doc, dict) else None
    if not isinstance(spec, dict) or not spec:
        raise UsageError(f"{where}: expected a 'criteria' mapping of name -> direction and weight; start from "
                         f"{shipped_file('criteria')}")
    unknown = [str(n) for n in spec if known is not None and str(n) not in known]
    if unknown:
        raise UsageError(f"{where}: unknown criterion {unknown[0]!r}; use {', '.join(known)}")
    for name, v in spec.items():
        if not isinstance(v, dict) or "direction" not in v or "weight" not in v:
            raise UsageError(f"{where}: criterion {name} needs a direction (benefit or cost) and a weight")
        if not _number(v["weight"]):
            raise UsageError(f"{where}: {name}.weight {v['weight']!r} is not a number; give a weight like 0.15 "
                             "(the weights summing to 1)")
    return {str(n): {k: v[k] for k in CRITERION_FIGURES} for n, v in spec.items()}


def _criteria_file(groups: Groups, doc: Any, where: str) -> Groups:
    """The criteria a criteria (weights) file lists, replacing the section; only criteria the store has evidence
    for (the shipped ones)."""
    spec = criteria_document(doc, where, tuple(groups))
    return {n: {k: Figure(v[k], where, groups[n][k].why, shipped=False) for k in CRITERION_FIGURES}
            for n, v in spec.items()}


def load_settings(
    path: str | Path | None = None,
    *,
    kpi_config: str | Path | None = None,
    weights: str | Path | None = None,
    budget: str | Path | None = None,
) -> Settings:
    """The settings: the shipped defaults, the sections of the settings file ``path`` over them, then the per-run
    overrides: ``kpi_config`` (figures of the kpi section, area -> figure), ``weights`` (a criteria file replacing
    the criteria section) and ``budget`` (a budgets file replacing the portfolio's budgets). Every file is checked
    (unknown names, shapes, NaN and infinity) and refused in one line naming the file and the key."""
    sections = shipped()
    files: list[str] = []
    if path not in (None, ""):
        where = f"settings file {path}"
        doc = config.read_yaml(path, "settings file")
        if doc is not None and not isinstance(doc, dict):
            raise UsageError(f"{where}: expected sections ({', '.join(SECTIONS)}) mapping to their figures; see "
                             "`hitplan settings show`")
        unknown = sorted(str(s) for s in (doc or {}) if s not in SECTIONS)
        if unknown:
            raise UsageError(f"{where}: unknown section {unknown[0]!r}; sections: {', '.join(SECTIONS)}")
        for section, own in (doc or {}).items():
            _overlay(sections[section], own, section=section, where=where, source=where, prefix=f"{section}.")
        files.append(str(path))
    if kpi_config not in (None, ""):
        where = f"KPI configuration {kpi_config}"
        own = config.read_yaml(kpi_config, "KPI configuration")
        if own is not None and not isinstance(own, dict):
            raise UsageError(f"{where}: expected areas mapping figures to values, e.g. support: {{reopen_rate_pct: "
                             "{watch: 5, off_target: 10}}; start from hitplan/kpi/config.yaml")
        _overlay(sections["kpi"], own, section="kpi", where=where, source=where, prefix="")
        files.append(str(kpi_config))
    if weights not in (None, ""):
        where = f"criteria file {weights}"
        doc = config.read_yaml(weights, "criteria file")
        sections["criteria"] = _criteria_file(sections["criteria"], doc, where)
        files.append(str(weights))
    if budget not in (None, ""):
        where = f"budgets file {budget}"
        spec = config.read_yaml(budget, "budgets file")
        years = spec.get(BUDGETS, spec) if isinstance(spec, dict) else spec
        checked = budget_years(years, where, _budget_resources(sections["portfolio"]))
        sections["portfolio"][BUDGETS] = {fy: Figure(v, where, shipped=False) for fy, v in checked.items()}
        files.append(str(budget))
    return Settings(sections, tuple(files))
