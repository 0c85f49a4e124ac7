"""The `hitplan score` workflow: evidence from the store -> scores and ranks with their reasons and
robustness -> a funded portfolio and roadmap within the budgets -> what-if scenarios side by side.

A scenario file (YAML; see scenarios_example.yaml) holds one scenario as top-level keys or several under
``scenarios:`` (name -> keys). Keys: ``description``; budgets: ``budgets`` (inline, as in a budgets file),
``budget_file`` (path, relative to the scenario file) or ``budget_scale`` (a factor for every budget, or
resource -> factor, e.g. 0.9 = -10 %); weights: ``weights`` (criterion -> weight, summing to 1) or
``criteria`` (a criteria file); ``method`` (weighted_sum or topsis); ``force_in`` / ``force_out`` (initiative
ids that must / must not be funded)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from hitplan import config
from hitplan.errors import UsageError
from hitplan.periods import Period, fiscal_year_start, fiscal_year_start_month, quarter_labels
from hitplan.prioritize.criteria import Criteria, known_criteria, load_criteria
from hitplan.prioritize.evidence import initiative_evidence
from hitplan.prioritize.methods import contributions, normalized, rank, topsis, weighted_sum
from hitplan.prioritize.portfolio import (
    RESOURCES, Discount, InfeasiblePortfolio, Portfolio, budget_frame, solve_portfolio,
)
from hitplan.prioritize.sensitivity import rank_acceptability, weight_samples
from hitplan.settings import Settings, budget_years, load_settings

METHODS = {"weighted_sum": weighted_sum, "topsis": topsis}


def ranked_initiatives(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    criteria: Criteria,
    *,
    method: str = "weighted_sum",
    samples: int = 2000,
    spread: float = 0.05,
    seed: int = 7,
    evidence: pd.DataFrame | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Open initiatives ranked by ``method`` (score 0-1), with the three criteria that contribute most, the
    probability (under weight uncertainty) of ranking in the top quartile, urgency (0-1, see portfolio.yaml) and,
    beside the criteria, the outage probability of the target systems next quarter. ``evidence`` is
    ``initiative_evidence(con, period)[0]`` when the caller already has it."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; use {', '.join(METHODS)}")
    if evidence is None:
        evidence, _ = initiative_evidence(con, period, load_settings(), None)  # shipped settings, no outage risk
    if evidence.empty:
        return evidence
    matrix = evidence.set_index("initiative_id")[list(criteria.names)]
    scores = METHODS[method](matrix, criteria)
    parts = contributions(matrix, criteria)
    why = parts.apply(lambda r: ", ".join(f"{c} {v:.2f}" for c, v in r.sort_values(ascending=False).head(3).items()),
                      axis=1)
    rng = np.random.default_rng(seed)
    acceptability = rank_acceptability(normalized(matrix, criteria).to_numpy(),
                                       weight_samples(criteria.weight_array, samples, spread, rng))
    quartile = max(1, int(np.ceil(len(matrix) / 4)))
    out = evidence.set_index("initiative_id")[["name", "area", "capex", "opex_per_year", "financial_npv",
                                               "payback_years", "outage_probability"]].copy()
    out["score"] = scores
    out["rank"] = rank(scores)
    out["p_top_quartile"] = acceptability[:, :quartile].sum(axis=1)
    out["why"] = why
    out["urgency"] = _urgency(normalized(matrix, criteria), evidence.set_index("initiative_id"), settings)
    out = out.sort_values("rank").reset_index()
    out.attrs["source"] = evidence.attrs.get("source", "") + f"; criteria weights: {dict(zip(criteria.names, criteria.weights))}"
    return out


def _urgency(norm: pd.DataFrame, evidence: pd.DataFrame, settings: Settings | None) -> pd.Series:
    """Each initiative's urgency (0-1): its normalized value on the settings' urgency criterion
    (``portfolio.urgency.criterion``; None: the shipped portfolio.yaml's)."""
    criterion = (settings or load_settings()).value("portfolio", "urgency", "criterion")
    if criterion in norm.columns:
        return norm[criterion].clip(0, 1)
    if criterion in evidence.columns:  # a criterion left out of the weights still tells how urgent
        col = evidence[criterion].astype(float)
        span = col.max() - col.min()
        return (col - col.min()) / span if span > 0 else col * 0.0
    raise UsageError(f"portfolio.yaml: urgency criterion {criterion!r} is not a criterion; use one of "
                     f"{', '.join(norm.columns)}")


def load_budgets(path: Path) -> pd.DataFrame:
    """Budgets per fiscal year from a YAML file ({FY2028: {capex: .., opex: .., hours: ..}, ...}), in order."""
    spec = config.read_yaml(path, "budgets file")
    years = budget_years(spec.get("budgets", spec) if isinstance(spec, dict) else spec, f"budgets file {path}",
                         RESOURCES)
    frame = pd.DataFrame.from_dict(years, orient="index")
    return frame.loc[sorted(frame.index)]


def funded_portfolio(
    con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, budgets: pd.DataFrame, *, time_limit: float = 60.0,
    discount: Discount | None = None, force_in: Sequence[str] = (), force_out: Sequence[str] = (),
    settings: Settings | None = None,
) -> Portfolio:
    """The portfolio maximizing total score delivered (discounted by start quarter, more for urgent initiatives;
    see portfolio.yaml: ``settings``' figures, None = the shipped ones) within the budgets, starting at the first
    budgeted fiscal year; ``force_in`` initiatives are funded, ``force_out`` ones (and what depends on them) are
    not."""
    start_month = fiscal_year_start_month(con)
    first = fiscal_year_start(int(str(budgets.index[0])[2:]), start_month)
    rows = con.execute(
        "select initiative_id, coalesce(duration_quarters, 1), coalesce(capex, 0), coalesce(opex_per_year, 0), "
        "coalesce(staff_hours, 0), earliest_start, coalesce(mandatory, false), depends_on, excludes from initiatives"
    ).fetchall()
    details = {r[0]: r[1:] for r in rows}
    open_ids = set(ranking["initiative_id"])
    unknown = sorted((set(force_in) | set(force_out)) - open_ids)
    if unknown:
        raise UsageError(f"force_in/force_out name initiatives that are not open candidates: {', '.join(unknown)}")
    both = sorted(set(force_in) & set(force_out))
    if both:
        raise UsageError(f"{', '.join(both)} cannot be both forced in and forced out")
    mandatory_urgency = float((settings or load_settings()).value("portfolio", "urgency", "mandatory_urgency"))
    items = []
    for r in ranking.itertuples(index=False):
        duration, capex, opex, hours, earliest, mandatory, deps, excl = details[r.initiative_id]
        quarter = 0 if earliest is None else max(0, ((earliest.year - first.year) * 12 + earliest.month - first.month) // 3)
        mandatory = bool(mandatory) or r.initiative_id in force_in
        urgency = float(getattr(r, "urgency", 0.0))
        items.append({
            "name": r.initiative_id, "value": float(r.score), "duration": int(duration), "capex": float(capex),
            "opex": float(opex), "hours": float(hours), "earliest_start": quarter, "mandatory": mandatory,
            "urgency": max(urgency, mandatory_urgency) if mandatory else urgency,
            # dependencies on initiatives already done or rejected are met, not candidates
            "depends_on": ",".join(d.strip() for d in (deps or "").split(";") if d.strip() in open_ids),
            "excludes": ",".join(d.strip() for d in (excl or "").split(";") if d.strip() in open_ids),
        })
    items = _without(items, set(force_out))
    labels = quarter_labels(int(str(budgets.index[0])[2:]), 1, 4 * len(budgets))
    portfolio = solve_portfolio(pd.DataFrame(items), budgets, horizon_quarters=4 * len(budgets), discount=discount,
                                time_limit=time_limit)
    portfolio.quarter_labels[:] = labels
    return portfolio


def _without(items: list[dict], out: set[str]) -> list[dict]:
    """The candidates less ``out`` and everything that depends on them, directly or not."""
    if not out:
        return items
    gone, changed = set(out), True
    while changed:
        changed = False
        for it in items:
            if it["name"] not in gone and set(filter(None, it["depends_on"].split(","))) & gone:
                gone.add(it["name"])
                changed = True
    required = [it["name"] for it in items if it["name"] in gone and it["mandatory"]]
    if required:
        raise UsageError(f"{', '.join(required)} is mandatory (or forced in) but forced out, or depends on an "
                         "initiative forced out: drop it from force_out or free the dependency")
    keep = [dict(it) for it in items if it["name"] not in gone]
    for it in keep:
        it["excludes"] = ",".join(e for e in it["excludes"].split(",") if e and e not in gone)
    return keep


# ---- scenarios ---------------------------------------------------------------------------------------------

MAX_SCENARIOS = 4
SCENARIO_KEYS = ("description", "budgets", "budget_file", "budget_scale", "weights", "criteria", "method",
                 "force_in", "force_out")


@dataclass(frozen=True)
class Scenario:
    """One what-if: a name, and what it changes from the base (None / empty = unchanged)."""

    name: str
    description: str = ""
    budgets: pd.DataFrame | None = None
    budget_scale: Mapping[str, float] = field(default_factory=dict)
    criteria: Criteria | None = None
    method: str | None = None
    force_in: tuple[str, ...] = ()
    force_out: tuple[str, ...] = ()
    source: str = ""


def _scenario(name: str, spec, path: Path) -> Scenario:
    where = f"scenario file {path}" + (f", scenario {name!r}" if name != path.stem else "")
    if not isinstance(spec, dict):
        raise UsageError(f"{where}: expected keys like {', '.join(SCENARIO_KEYS[:4])}, got {type(spec).__name__}")
    unknown = sorted(set(spec) - set(SCENARIO_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}; use {', '.join(SCENARIO_KEYS)}")
    for a, b in (("budgets", "budget_file"), ("weights", "criteria")):
        if a in spec and b in spec:
            raise UsageError(f"{where}: give {a} or {b}, not both")
    try:
        budgets = None
        if "budgets" in spec:
            budgets = budget_frame(budget_years(spec["budgets"], None, RESOURCES, "budgets."))
        elif "budget_file" in spec:
            budgets = load_budgets(path.parent / str(spec["budget_file"]))
        scale = spec.get("budget_scale", {})
        if isinstance(scale, (int, float)) and not isinstance(scale, bool):
            scale = {r: float(scale) for r in RESOURCES}
        if not isinstance(scale, dict) or sorted(set(scale) - set(RESOURCES)) or \
                not all(isinstance(v, (int, float)) and v >= 0 for v in scale.values()):
            raise UsageError(f"budget_scale must be a factor >= 0 (0.9 = -10 %) or resource -> factor for "
                             f"{', '.join(RESOURCES)}")
        criteria = None
        if "weights" in spec:
            if not isinstance(spec["weights"], dict):
                raise UsageError("weights must map each criterion to its weight")
            bad = [k for k, v in spec["weights"].items() if isinstance(v, bool) or not isinstance(v, (int, float))]
            if bad:
                raise UsageError(f"weights.{bad[0]} {spec['weights'][bad[0]]!r} is not a number; give weights like "
                                 "0.15, summing to 1")
            criteria = load_criteria(weights={k: float(v) for k, v in spec["weights"].items()})
        elif "criteria" in spec:
            criteria = load_criteria(path.parent / str(spec["criteria"]), known=known_criteria())
        method = spec.get("method")
        if method is not None and method not in METHODS:
            raise UsageError(f"unknown method {method!r}; use {', '.join(METHODS)}")
        ids = {k: spec.get(k) or [] for k in ("force_in", "force_out")}
        if any(not isinstance(v, list) for v in ids.values()):
            raise UsageError("force_in and force_out must be lists of initiative ids, e.g. [INI-012]")
    except UsageError as err:
        raise UsageError(f"{where}: {err}") from None
    except (OSError, ValueError, TypeError) as err:
        raise UsageError(f"{where}: {err}") from None
    return Scenario(name, str(spec.get("description", "")), budgets, {k: float(v) for k, v in scale.items()},
                    criteria, method, tuple(map(str, ids["force_in"])), tuple(map(str, ids["force_out"])), str(path))


def load_scenarios(paths: Sequence[str | Path]) -> list[Scenario]:
    """The scenarios in the given YAML files, in order (at most MAX_SCENARIOS in all; names must differ)."""
    out: list[Scenario] = []
    for p in map(Path, paths):
        spec = config.read_yaml(p, "scenario file")
        if isinstance(spec, dict) and "scenarios" in spec:
            if set(spec) != {"scenarios"} or not isinstance(spec["scenarios"], dict) or not spec["scenarios"]:
                raise UsageError(f"scenario file {p}: 'scenarios' must be the only top-level key and map each "
                                 "scenario's name to its changes")
            out += [_scenario(str(name), body, p) for name, body in spec["scenarios"].items()]
        else:
            out.append(_scenario(p.stem, spec if spec is not None else {}, p))
    if len(out) > MAX_SCENARIOS:
        raise UsageError(f"{len(out)} scenarios in {', '.join(map(str, paths))}: compare at most {MAX_SCENARIOS} "
                         "at a time (split them over several runs)")
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1} | ({"base"} & set(names)))
    if dup:
        raise UsageError(f"scenario names must differ from each other and from 'base': {', '.join(dup)} "
                         f"(rename it in {out[names.index(dup[0])].source})")
    return out


@dataclass
class ScenarioComparison:
    """Scenarios side by side: ``summary`` (one row per scenario), ``usage`` (scenario x fiscal year: used and
    budget per resource), ``changes`` (initiatives funded in some scenarios but not all, or starting in
    different quarters: their start quarter per scenario, '' = not funded) and each scenario's portfolio."""

    summary: pd.DataFrame
    usage: pd.DataFrame
    changes: pd.DataFrame
    portfolios: dict[str, Portfolio | None]


def scenario_comparison(
    con: duckdb.DuckDBPyConnection, period: Period, base_criteria: Criteria, budgets: pd.DataFrame,
    scenarios: Sequence[Scenario], *, method: str = "weighted_sum", samples: int = 500, seed: int = 7,
    time_limit: float = 60.0, discount: Discount | None = None, evidence: pd.DataFrame | None = None,
    settings: Settings | None = None,
) -> ScenarioComparison:
    """The base portfolio (``base_criteria``, ``method``, ``budgets``) and each scenario's, compared: funded count,
    total and delivered score, budget use per fiscal year, and which initiatives are funded or start differently.
    The evidence is computed once (or taken from ``evidence``) and shared by every scenario."""
    if len(scenarios) > MAX_SCENARIOS:
        raise UsageError(f"compare at most {MAX_SCENARIOS} scenarios at a time, got {len(scenarios)}")
    if evidence is None:
        evidence, _ = initiative_evidence(con, period, load_settings(), None)  # shipped settings, no outage risk
    base_budgets = budget_frame(budgets)
    runs = [Scenario("base", "as given")] + list(scenarios)
    rankings: dict[tuple, pd.DataFrame] = {}
    portfolios: dict[str, Portfolio | None] = {}
    summary, usage = [], []
    for sc in runs:
        crit, how = sc.criteria or base_criteria, sc.method or method
        key = (crit, how)
        if key not in rankings:  # scenarios that only change budgets share the base ranking
            rankings[key] = ranked_initiatives(con, period, crit, method=how, samples=samples, seed=seed,
                                               evidence=evidence, settings=settings)
        ranking = rankings[key]
        b = (sc.budgets if sc.budgets is not None else base_budgets).copy()
        for r, f in sc.budget_scale.items():
            b[r] = b[r] * f
        row = {"scenario": sc.name, "description": sc.description, "method": how, "status": "", "funded": 0,
               "candidates": len(ranking), "value": np.nan, "delivered_value": np.nan, "note": ""}
        try:
            p = funded_portfolio(con, ranking, b, time_limit=time_limit, discount=discount,
                                 force_in=sc.force_in, force_out=sc.force_out, settings=settings)
        except InfeasiblePortfolio as err:
            p = None
            row.update(status="infeasible", note=str(err))
        except UsageError as err:
            raise UsageError(f"scenario {sc.name!r}" + (f" ({sc.source})" if sc.source else "") + f": {err}") from None
        portfolios[sc.name] = p
        if p is not None:
            row.update(status=p.status, funded=len(p.chosen), value=p.value, delivered_value=p.delivered_value)
            t = p.totals.reset_index()
        else:
            t = b.reset_index(names="fiscal_year").rename(columns={r: f"{r}_budget" for r in RESOURCES})
            for r in RESOURCES:
                t[f"{r}_used"] = np.nan
        summary.append(row)
        usage.append(t.assign(scenario=sc.name))
    usage_df = pd.concat(usage, ignore_index=True)
    usage_df = usage_df[["scenario", "fiscal_year"] + [f"{r}_{k}" for r in RESOURCES for k in ("used", "budget")]]
    return ScenarioComparison(pd.DataFrame(summary), usage_df, _changes(portfolios), portfolios)


def _changes(portfolios: Mapping[str, Portfolio | None]) -> pd.DataFrame:
    """Initiatives whose funding or start quarter differs between the portfolios: start label per scenario."""
    starts = {name: ({} if p is None else dict(zip(p.roadmap()["initiative"], p.roadmap()["start_quarter"])))
              for name, p in portfolios.items()}
    names = sorted(set().union(*starts.values())) if starts else []
    rows = []
    for n in names:
        cells = [starts[s].get(n, "") for s in starts]
        if len(set(cells)) > 1:
            funded = [s for s in starts if n in starts[s]]
            unfunded = [s for s in starts if n not in starts[s]]
            what = ("start moves" if not unfunded else "not funded in " + ", ".join(unfunded)
                    if len(funded) > len(unfunded) else "funded only in " + ", ".join(funded))
            rows.append({"initiative": n, **dict(zip(starts, cells)), "change": what})
    return pd.DataFrame(rows, columns=["initiative", *starts, "change"])
