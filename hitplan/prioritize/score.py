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
import datetime as dt

from hitplan.periods import Period, fiscal_year_start, fiscal_year_start_month, quarter_labels
from hitplan.prioritize.criteria import (
    Criteria, benefit_criteria, known_criteria, load_criteria, scoring_criteria,
)
from hitplan.prioritize.evidence import initiative_evidence
from hitplan.prioritize.methods import (
    benefit_per_dollar, contributions, normalized, normalized_array, rank, topsis, weighted_sum,
)
from hitplan.prioritize.portfolio import (
    RESOURCES, Discount, InfeasiblePortfolio, Portfolio, budget_frame, plan_calendar, solve_portfolio,
)
from hitplan.prioritize.sensitivity import CHUNK_ROWS, pert_samples, rank_acceptability, weight_samples
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
    cost_weighted: bool | None = None,
) -> pd.DataFrame:
    """Open initiatives ranked by ``method`` on benefit (score 0-1; cost criteria and the cost side of NPV left
    out, the other weights renormalized: ``benefit_criteria``), with cost (``cost_usd``, US$) and benefit per $100k
    beside it, the three criteria that contribute most, the probability (under weight uncertainty and, where the
    evidence gives ``C_low``/``C_high``, effect uncertainty) of ranking in the top quartile, urgency (0-1, see
    portfolio.yaml) and, beside the criteria, the outage probability of the target systems next quarter.
    ``cost_weighted`` (None: ``criteria.cost_weighted``) ranks on every criterion as weighted, cost included.
    ``evidence`` is ``initiative_evidence(con, period)[0]`` when the caller already has it; ``attrs['note']`` says
    how cost counted and which weights scored."""
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; use {', '.join(METHODS)}")
    if evidence is None:
        evidence, _ = initiative_evidence(con, period, load_settings(), None)  # shipped settings, no outage risk
    if evidence.empty:
        return evidence
    weighing = criteria.cost_weighted if cost_weighted is None else bool(cost_weighted)
    crit, note = scoring_criteria(criteria.weighing_cost(weighing), evidence.columns)
    ev = evidence.set_index("initiative_id")
    matrix = ev[list(crit.names)]
    scores = METHODS[method](matrix, crit)
    parts = contributions(matrix, crit)
    why = parts.apply(lambda r: ", ".join(f"{c} {v:.2f}" for c, v in r.sort_values(ascending=False).head(3).items()),
                      axis=1)
    rng = np.random.default_rng(seed)
    acceptability, drawn = _acceptability(ev, crit, samples, spread, rng)
    if drawn:
        note += f"; P(top 25%) also draws {drawn}"
    quartile = max(1, int(np.ceil(len(matrix) / 4)))
    cols = [c for c in ("name", "area", "capex", "opex_per_year", "financial_npv", "financial_benefit",
                        "payback_years", "outage_probability", "deadline", "deadline_reason") if c in ev.columns]
    out = ev[cols].copy()
    benefit = scores if not weighing else METHODS[method](*_benefit_matrix(ev, criteria))
    out["cost_usd"] = _cost_usd(ev)
    out["score"] = scores
    out["benefit_score"] = benefit
    out["benefit_per_100k"] = benefit_per_dollar(benefit, out["cost_usd"])
    out["rank"] = rank(scores)
    out["p_top_quartile"] = acceptability[:, :quartile].sum(axis=1)
    out["why"] = why
    out["urgency"] = _urgency(normalized(matrix, crit), ev, settings)
    out = out.sort_values("rank").reset_index()
    weights = dict(zip(crit.names, crit.weights))
    out.attrs["source"] = evidence.attrs.get("source", "") + f"; criteria weights: {weights}"
    out.attrs["note"] = note
    return out


def _benefit_matrix(ev: pd.DataFrame, criteria: Criteria) -> tuple[pd.DataFrame, Criteria]:
    crit, _ = benefit_criteria(criteria, ev.columns)
    return ev[list(crit.names)], crit


def _cost_usd(ev: pd.DataFrame) -> pd.Series:
    """Each initiative's cost (US$): the evidence's ``cost_usd``, else its cost criterion (capex + opex over the
    horizon), else capex alone."""
    for col in ("cost_usd", "cost", "capex"):
        if col in ev.columns:
            return ev[col].astype(float)
    return pd.Series(np.nan, index=ev.index)


def _acceptability(ev: pd.DataFrame, crit: Criteria, samples: int, spread: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """(rank acceptability under ``samples`` Dirichlet weight draws and, for each criterion C the evidence gives
    ``C_low``/``C_high`` for, Beta-PERT draws of C's value with each weight draw; what was drawn, '' if none)."""
    matrix = ev[list(crit.names)]
    w = weight_samples(crit.weight_array, samples, spread, rng)
    ranged = {j: (ev[f"{c}_low"].astype(float).to_numpy(), ev[f"{c}_high"].astype(float).to_numpy())
              for j, c in enumerate(crit.names) if f"{c}_low" in ev.columns and f"{c}_high" in ev.columns}
    likely = matrix.to_numpy(dtype=float)
    has_range = {j: int((np.fmax(hi, likely[:, j]) - np.fmin(lo, likely[:, j]) > 0).sum())
                 for j, (lo, hi) in ranged.items()}  # fmax/fmin: a blank end is the likely value
    ranged = {j: v for j, v in ranged.items() if has_range[j]}
    if not ranged:
        return rank_acceptability(normalized(matrix, crit).to_numpy(), w), ""
    normalized(matrix, crit)  # the likely values are checked (finite, no gaps) before drawing around them
    m = len(matrix)
    counts = np.zeros((m, m))
    for start in range(0, samples, CHUNK_ROWS):
        block = w[start:start + CHUNK_ROWS]
        x = np.broadcast_to(likely, (len(block), *likely.shape)).copy()
        for j, (lo, hi) in ranged.items():
            x[:, :, j] = pert_samples(likely[:, j], lo, hi, len(block), rng)
        counts += rank_acceptability(normalized_array(x, crit.is_cost), block) * len(block)
    drawn = ", ".join(f"{crit.names[j]} (range for {has_range[j]} initiatives)" for j in ranged)
    return counts / samples, (f"{drawn} as Beta-PERT over low / likely / high (Vose 2008; mean (low + 4 likely + "
                              "high) / 6) with each weight draw")


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
    settings: Settings | None = None, plan_start: dt.date | None = None,
) -> Portfolio:
    """The portfolio maximizing total score delivered (discounted by start quarter, more for urgent initiatives;
    see portfolio.yaml: ``settings``' figures, None = the shipped ones) within the budgets (per team where the budget
    names teams), finishing each initiative by its deadline (the ranking's ``deadline``: a day already past is due in
    the first quarter), over a plan that starts in the first fiscal quarter on or after ``plan_start`` (the caller
    passes the day after the data; None: the first budgeted year); ``force_in`` initiatives are funded,
    ``force_out`` ones (and what depends on them) are not."""
    items, start_month = portfolio_items(con, ranking, budgets, force_in=force_in, force_out=force_out,
                                         settings=settings, plan_start=plan_start)
    return solve_portfolio(items, budgets, discount=discount, time_limit=time_limit, plan_start=plan_start,
                           fiscal_start_month=start_month)


def portfolio_items(
    con: duckdb.DuckDBPyConnection, ranking: pd.DataFrame, budgets: pd.DataFrame, *, force_in: Sequence[str] = (),
    force_out: Sequence[str] = (), settings: Settings | None = None, plan_start: dt.date | None = None,
) -> tuple[pd.DataFrame, int]:
    """(the ranked initiatives as the portfolio model's items - score, costs, hours by team, earliest start quarter
    of the plan, dependencies, deadline - and the fiscal year's first month) for ``solve_portfolio``."""
    start_month = fiscal_year_start_month(con)
    _, _, _, _, first = plan_calendar(budget_frame(budgets), None, plan_start, start_month)
    rows = con.execute(
        "select initiative_id, coalesce(duration_quarters, 1), coalesce(capex, 0), coalesce(opex_per_year, 0), "
        "coalesce(staff_hours, 0), earliest_start, coalesce(mandatory, false), depends_on, excludes, team_hours "
        "from initiatives"
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
        duration, capex, opex, hours, earliest, mandatory, deps, excl, teams = details[r.initiative_id]
        quarter = 0 if earliest is None else max(0, ((earliest.year - first.year) * 12 + earliest.month - first.month) // 3)
        mandatory = bool(mandatory) or r.initiative_id in force_in
        urgency = float(getattr(r, "urgency", 0.0))
        deadline = getattr(r, "deadline", None)
        items.append({
            "name": r.initiative_id, "value": float(r.score), "duration": int(duration), "capex": float(capex),
            "opex": float(opex), "hours": float(hours), "earliest_start": quarter, "mandatory": mandatory,
            "urgency": max(urgency, mandatory_urgency) if mandatory else urgency,
            # dependencies on initiatives already done or rejected are met, not candidates
            "depends_on": ",".join(d.strip() for d in (deps or "").split(";") if d.strip() in open_ids),
            "excludes": ",".join(d.strip() for d in (excl or "").split(";") if d.strip() in open_ids),
            "team_hours": teams or "",
            "deadline": None if deadline is None or pd.isna(deadline) else pd.Timestamp(deadline).date(),
            "deadline_reason": getattr(r, "deadline_reason", None) if deadline is not None and not pd.isna(deadline)
            else None,
        })
    return pd.DataFrame(_without(items, set(force_out))), start_month


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
    settings: Settings | None = None, plan_start: dt.date | None = None,
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
        # a scenario's own weights are scored the way the base is (benefit only, or cost weighted when asked)
        crit = sc.criteria.weighing_cost(base_criteria.cost_weighted) if sc.criteria else base_criteria
        how = sc.method or method
        key = (crit, how)
        if key not in rankings:  # scenarios that only change budgets share the base ranking
            rankings[key] = ranked_initiatives(con, period, crit, method=how, samples=samples, seed=seed,
                                               evidence=evidence, settings=settings)
        ranking = rankings[key]
        b = (sc.budgets if sc.budgets is not None else base_budgets).copy()
        for r, f in sc.budget_scale.items():
            # staff hours scale every team's hours with the total
            for col in [r] + ([c for c in b.columns if str(c).startswith("team:")] if r == "hours" else []):
                b[col] = b[col] * f
        row = {"scenario": sc.name, "description": sc.description, "method": how, "status": "", "funded": 0,
               "candidates": len(ranking), "value": np.nan, "delivered_value": np.nan, "note": ""}
        try:
            p = funded_portfolio(con, ranking, b, time_limit=time_limit, discount=discount,
                                 force_in=sc.force_in, force_out=sc.force_out, settings=settings,
                                 plan_start=plan_start)
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
