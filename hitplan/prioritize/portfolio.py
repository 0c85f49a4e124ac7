"""The best portfolio of initiatives and their start quarters under yearly budgets, solved exactly as a MILP.

Model (one binary x[i, q] per initiative i and allowed start quarter q, 0-based from the horizon start):
- An initiative of duration d started in quarter q works in quarters q..q+d-1 (its finish quarter is q+d-1)
  and must finish within the horizon; its capex and staff hours are spread evenly over those d quarters.
- Its opex (dollars per year) runs from go-live, the quarter after its finish, to the horizon end, a quarter
  of the yearly figure per quarter: running costs of what the portfolio adds, not of the existing estate.
- Quarter q belongs to fiscal year ``budgets.index[q // 4]``; each fiscal year's capex, opex and hours used
  must stay within that year's budget (a missing or NaN budget means unconstrained).
- B depends on A: B is chosen only if A is, and B starts at or after the quarter following A's finish.
- Mutually exclusive initiatives: at most one is chosen. Mandatory initiatives (and, through the
  dependencies, their prerequisites) are always chosen. Nothing starts before its earliest start nor, when it
  has a deadline (``latest_start``), after it.
- Objective: the total *delivered* value: each chosen initiative's value discounted by its start quarter q,
  value / (1 + r_i) ** q, with the quarterly rate r_i = ``Discount.quarterly_rate`` + urgency_i x
  ``Discount.urgent_rate`` (urgency 0..1). The first part is the time value of benefits that arrive later (the
  yearly rate the NPV criterion uses, per quarter); the second is the risk left in place for each quarter a
  time-critical initiative waits (urgency comes from the risk-reduction criterion and mandatory status, see
  portfolio.yaml), so a KEV fix is worth much less a year late while a nice-to-have barely loses. Without a
  discount, value does not depend on the start quarter and many schedules tie; with ``prefer_early`` a
  second solve then keeps that optimum and starts everything as early as it can.

Tightening (valid for every integer solution, so the optimum is unchanged): start variables that can never be
feasible are not created (before the earliest finish of the prerequisite chain, after a deadline, or after
the latest start that still leaves room for a dependent mandatory initiative); the choose-once rows are
equalities with an explicit selection variable z_i = sum_q x[i, q] that branching can split on; budget rows
are scaled to shares of their budget (rhs 1) so the LP is well conditioned.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csr_array, hstack, vstack

from hitplan.errors import HitplanError, UsageError
from hitplan.periods import quarter_labels
from hitplan.settings import Settings, load_settings

RESOURCES = ("capex", "opex", "hours")
QUARTERS_PER_YEAR = 4


class InfeasiblePortfolio(HitplanError):
    """The mandatory initiatives cannot all fit the budgets, the horizon or each other."""

    exit_code = 3


@dataclass(frozen=True)
class Initiative:
    """A candidate: value (score units), duration (quarters), capex (dollars, total), opex (dollars per year
    from go-live), staff hours (total), earliest and latest (deadline, None = none) start quarter, urgency (0-1:
    how time-critical), and its dependencies and exclusions by name."""

    name: str
    value: float
    duration: int = 1
    capex: float = 0.0
    opex: float = 0.0
    hours: float = 0.0
    earliest_start: int = 0
    mandatory: bool = False
    depends_on: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    urgency: float = 0.0
    latest_start: int | None = None


@dataclass(frozen=True)
class Discount:
    """How much a quarter of delay costs: ``quarterly_rate`` for every initiative plus ``urgent_rate`` x urgency
    (both per quarter, e.g. 0.017 = 1.7 %)."""

    quarterly_rate: float = 0.0
    urgent_rate: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.quarterly_rate) and np.isfinite(self.urgent_rate)) or \
                min(self.quarterly_rate, self.urgent_rate) < 0 or max(self.quarterly_rate, self.urgent_rate) >= 1:
            raise UsageError(f"discount rates are shares per quarter in [0, 1) (0.02 = 2 %), got "
                             f"{self.quarterly_rate} and {self.urgent_rate}")

    def factors(self, urgency: np.ndarray, start: np.ndarray) -> np.ndarray:
        """What one unit of value is worth when started in quarter ``start`` (1 in quarter 0), per variable."""
        return (1.0 + self.quarterly_rate + np.asarray(urgency, float) * self.urgent_rate) ** -np.asarray(start, float)


def load_discount(settings: Settings | None = None) -> Discount:
    """The delay discount per quarter from the settings' ``portfolio.urgency`` figures (None: the shipped
    portfolio.yaml, through ``load_settings()``)."""
    settings = settings or load_settings()
    yearly = float(settings.value("portfolio", "urgency", "yearly_discount_rate"))
    urgent = float(settings.value("portfolio", "urgency", "urgent_quarterly_rate"))
    return Discount((1.0 + yearly) ** (1 / QUARTERS_PER_YEAR) - 1.0, urgent)


def budgets_from_settings(settings: Settings) -> pd.DataFrame:
    """The budgets per fiscal year of the settings (``portfolio.budgets``: the shipped example, a settings file's
    or a --budget file's), one row per fiscal year in order: capex, opex (dollars) and hours."""
    years = settings.group("portfolio", "budgets")
    return budget_frame({fy: years[fy] for fy in sorted(years)})


def _names(cell) -> tuple[str, ...]:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ()
    if isinstance(cell, str):
        return tuple(s.strip() for s in cell.split(",") if s.strip())
    return tuple(str(s) for s in cell)


def initiatives(items: Sequence[Initiative] | pd.DataFrame) -> list[Initiative]:
    """The candidates as Initiative records (a frame needs name and value columns; lists may be comma-separated)."""
    if isinstance(items, pd.DataFrame):
        known = set(Initiative.__dataclass_fields__)
        records = [{k: v for k, v in row.items() if k in known} for row in items.to_dict("records")]
        items = [Initiative(**{**r, "depends_on": _names(r.get("depends_on")), "excludes": _names(r.get("excludes")),
                               "mandatory": bool(r.get("mandatory", False)),
                               "latest_start": None if pd.isna(r.get("latest_start")) else int(r["latest_start"])})
                 for r in records]
    out = [replace(i, depends_on=_names(i.depends_on), excludes=_names(i.excludes)) for i in items]
    _validate(out)
    return out


def _validate(items: list[Initiative]) -> None:
    names = [i.name for i in items]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise UsageError(f"initiative names repeat: {', '.join(dup)}")
    known = set(names)
    for i in items:
        unknown = [n for n in (*i.depends_on, *i.excludes) if n not in known]
        if unknown:
            raise UsageError(f"{i.name} refers to unknown initiatives: {', '.join(unknown)}")
        if i.name in i.depends_on or i.name in i.excludes:
            raise UsageError(f"{i.name} cannot depend on or exclude itself")
        if int(i.duration) != i.duration or i.duration < 1 or i.earliest_start < 0:
            raise UsageError(f"{i.name}: duration must be a whole number of quarters >= 1 and earliest start >= 0")
        figures = (i.value, i.capex, i.opex, i.hours)
        if not all(np.isfinite(figures)) or min(i.capex, i.opex, i.hours) < 0:
            raise UsageError(f"{i.name}: value must be finite and capex, opex and hours finite and >= 0")
        if not (np.isfinite(i.urgency) and 0 <= i.urgency <= 1):
            raise UsageError(f"{i.name}: urgency must be between 0 (can wait) and 1 (most time-critical)")
    cycle = dependency_cycle(items)
    if cycle:
        raise UsageError(f"dependencies form a cycle: {' -> '.join(cycle)}; remove one of these links")


def dependency_cycle(items: Sequence[Initiative]) -> list[str] | None:
    """One dependency cycle as a list of names (first repeated at the end), or None when there is none."""
    deps = {i.name: i.depends_on for i in items}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        path.append(n)
        for d in deps[n]:
            if state.get(d) == 1:
                return path[path.index(d):] + [d]
            if d not in state and (found := visit(d)):
                return found
        state[n] = 2
        path.pop()
        return None

    for n in deps:
        if n not in state and (found := visit(n)):
            return found
    return None


def budget_frame(budgets: pd.DataFrame | Mapping) -> pd.DataFrame:
    """Budgets as a frame: one row per fiscal year (in order), columns capex, opex (dollars) and hours."""
    frame = budgets.copy() if isinstance(budgets, pd.DataFrame) else pd.DataFrame.from_dict(budgets, orient="index")
    unknown = sorted(set(frame.columns) - set(RESOURCES))
    if unknown:
        raise UsageError(f"budgets have unknown columns {unknown}; use {', '.join(RESOURCES)}")
    frame = frame.reindex(columns=list(RESOURCES)).astype(float)
    if (frame < 0).any().any():
        raise UsageError("budgets must be >= 0 (leave a budget empty for no limit)")
    frame.index = frame.index.astype(str)
    return frame


@dataclass(frozen=True)
class _Model:
    items: list[Initiative]
    budgets: pd.DataFrame
    horizon: int
    var_item: np.ndarray  # initiative index of each start variable
    var_start: np.ndarray  # start quarter of each start variable
    usage: dict[str, np.ndarray]  # resource -> variables x fiscal years (dollars or hours)

    @property
    def quarter_labels(self) -> list[str]:
        """Each quarter of the horizon named as finance names it (FY2028Q1), counted from the first budgeted year."""
        first = int(str(self.budgets.index[0])[2:])
        return quarter_labels(first, 1, self.horizon)


def quarterly_usage(item: Initiative, start: int, horizon: int) -> dict[str, np.ndarray]:
    """Capex and opex (dollars) and staff hours per quarter of the horizon if ``item`` starts in ``start``."""
    q = np.arange(horizon)
    working = (q >= start) & (q < start + item.duration)
    live = q >= start + item.duration
    return {"capex": working * (item.capex / item.duration), "hours": working * (item.hours / item.duration),
            "opex": live * (item.opex / QUARTERS_PER_YEAR)}


def start_windows(items: Sequence[Initiative], horizon: int, forced: set[int] = frozenset()) -> tuple[list, list]:
    """First and last feasible start quarter of each initiative (first > last: it can never be scheduled).

    First: its earliest start, and not before every prerequisite can have finished. Last: it must finish in the
    horizon and start by its deadline; a prerequisite of a required (``forced``) initiative must also finish
    before that initiative's last start."""
    index = {it.name: k for k, it in enumerate(items)}
    inf = horizon + 1
    first: dict[int, int] = {}

    def earliest(k: int) -> int:
        if k not in first:
            it = items[k]
            deps = [index[d] for d in it.depends_on]
            blocked = any(earliest(d) > last[d] for d in deps)
            first[k] = inf if blocked else max([int(it.earliest_start)] + [earliest(d) + items[d].duration for d in deps])
        return first[k]

    last = [min(horizon - it.duration, horizon if it.latest_start is None else int(it.latest_start)) for it in items]
    changed = True
    while changed:  # a fixpoint over the required chains: at most their depth rounds
        changed = False
        for k in forced:
            for d in (index[n] for n in items[k].depends_on):
                if last[k] - items[d].duration < last[d]:
                    last[d], changed = last[k] - items[d].duration, True
    return [earliest(k) for k in range(len(items))], last


def _model(items: list[Initiative], budgets: pd.DataFrame, horizon: int, forced: set[int],
           prune: bool = True) -> _Model:
    if horizon < 1 or horizon > QUARTERS_PER_YEAR * len(budgets):
        raise UsageError(f"horizon of {horizon} quarters needs 1..{QUARTERS_PER_YEAR * len(budgets)} quarters of "
                         f"budgets ({len(budgets)} fiscal years given)")
    if prune:
        first, last = start_windows(items, horizon, forced)
    else:  # the plain formulation (benchmark baseline): every start from the earliest to the horizon or deadline
        first = [int(it.earliest_start) for it in items]
        last = [min(horizon - it.duration, horizon if it.latest_start is None else int(it.latest_start)) for it in items]
    pairs = [(k, s) for k in range(len(items)) for s in range(first[k], last[k] + 1)]
    var_item = np.array([k for k, _ in pairs], dtype=int)
    var_start = np.array([s for _, s in pairs], dtype=int)
    to_year = np.zeros((horizon, len(budgets)))
    to_year[np.arange(horizon), np.arange(horizon) // QUARTERS_PER_YEAR] = 1.0
    per_var = [quarterly_usage(items[k], s, horizon) for k, s in pairs]
    usage = {r: (np.array([u[r] for u in per_var]).reshape(len(pairs), horizon) @ to_year) for r in RESOURCES}
    return _Model(items, budgets, horizon, var_item, var_start, usage)


def _structure_rows(m: _Model, forced: set[int], select: bool = True) -> tuple[list, list, list, int]:
    """Rows (sparse, lower, upper) for choose-once, mandatory, exclusion and dependency constraints, and the
    number of selection columns z appended after the start variables (one per initiative, or none)."""
    n_var, n_item = len(m.var_item), len(m.items)
    n_z = n_item if select else 0
    index = {it.name: k for k, it in enumerate(m.items)}
    once = coo_array((np.ones(n_var), (m.var_item, np.arange(n_var))), shape=(n_item, n_var)).tocsr()
    need = np.array([1.0 if k in forced else 0.0 for k in range(n_item)])
    pairs = sorted({tuple(sorted((index[it.name], index[o]))) for it in m.items for o in it.excludes})
    if select:
        # z_k = sum_q x[k, q]: the selection as a variable of its own, which branching can fix to 0 or 1 at once
        z = coo_array((np.ones(n_item), (np.arange(n_item), np.arange(n_item))), shape=(n_item, n_item)).tocsr()
        rows, lo, hi = [hstack([once, -z]).tocsr()], [np.zeros(n_item)], [np.zeros(n_item)]
        pick = hstack([csr_array((n_item, n_var)), z]).tocsr()
        rows, lo, hi = rows + [pick], lo + [need], hi + [np.ones(n_item)]
    else:
        pick = once
        rows, lo, hi = [once], [need], [np.ones(n_item)]
    if pairs:
        ex = vstack([pick[[a]] + pick[[b]] for a, b in pairs])
        rows, lo, hi = rows + [ex], lo + [np.zeros(len(pairs))], hi + [np.ones(len(pairs))]
    dep_r, dep_c, dep_v, n_rows = [], [], [], 0
    for b, it in enumerate(m.items):
        for name in it.depends_on:
            a = index[name]
            a_vars = np.flatnonzero(m.var_item == a)
            for v in np.flatnonzero(m.var_item == b):
                # x[b, q] <= sum of x[a, s] over starts s with s + d_a <= q (A chosen and finished before B starts)
                done = a_vars[m.var_start[a_vars] + m.items[a].duration <= m.var_start[v]]
                dep_r += [n_rows] * (1 + len(done))
                dep_c += [v, *done]
                dep_v += [1.0] + [-1.0] * len(done)
                n_rows += 1
    if n_rows:
        rows.append(csr_array((dep_v, (dep_r, dep_c)), shape=(n_rows, n_var + n_z)))
        lo, hi = lo + [np.full(n_rows, -np.inf)], hi + [np.zeros(n_rows)]
    return rows, lo, hi, n_z


def _budget_rows(m: _Model) -> tuple[list[tuple[str, int]], np.ndarray, np.ndarray]:
    """The (resource, fiscal-year) pairs with a budget, their usage rows (pairs x variables) and budgets."""
    keys, rows, caps = [], [], []
    for r in RESOURCES:
        for y, cap in enumerate(m.budgets[r].to_numpy()):
            if np.isfinite(cap):
                keys.append((r, y))
                rows.append(m.usage[r][:, y])
                caps.append(cap)
    return keys, np.array(rows).reshape(len(keys), len(m.var_item)), np.array(caps)


def _forced(items: list[Initiative]) -> set[int]:
    """Indexes of the mandatory initiatives and, transitively, of their prerequisites."""
    index = {it.name: k for k, it in enumerate(items)}
    todo = [k for k, it in enumerate(items) if it.mandatory]
    seen: set[int] = set()
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo += [index[d] for d in items[k].depends_on]
    return seen


def _check_mandatory_structure(m: _Model, forced: set[int]) -> None:
    """Raise InfeasiblePortfolio when the mandatory set cannot fit the horizon or excludes itself."""
    index = {it.name: k for k, it in enumerate(m.items)}
    earliest_finish: dict[int, int] = {}

    def finish(k: int) -> int:
        if k not in earliest_finish:
            it = m.items[k]
            start = max([int(it.earliest_start)] + [finish(index[d]) for d in it.depends_on])
            earliest_finish[k] = start + it.duration
        return earliest_finish[k]

    for k in sorted(forced):
        it = m.items[k]
        if finish(k) > m.horizon:
            why = "mandatory" if it.mandatory else "a prerequisite of a mandatory initiative"
            raise InfeasiblePortfolio(
                f"{it.name} ({why}) cannot finish within the {m.horizon}-quarter horizon: with its earliest start "
                f"and prerequisites it finishes at the end of quarter {finish(k)}; extend the horizon or start earlier")
    first, last = start_windows(m.items, m.horizon, forced)
    for k in sorted(forced):
        it = m.items[k]
        if first[k] > last[k]:
            why = "mandatory" if it.mandatory else "a prerequisite of a mandatory initiative"
            raise InfeasiblePortfolio(
                f"{it.name} ({why}) must start by quarter {last[k]} (its deadline or that of an initiative that "
                f"depends on it) but with its earliest start and prerequisites it cannot start before quarter "
                f"{min(first[k], m.horizon)}; move the deadline or the earliest start")
        clash = [o for o in it.excludes if index[o] in forced]
        if clash:
            raise InfeasiblePortfolio(f"{it.name} and {clash[0]} are both required (mandatory or prerequisites of "
                                      "mandatory initiatives) but exclude each other")


def _figure(resource: str, value: float) -> str:
    """A budget figure as leadership reads it: $1.2M or $450,000 for money, 1,200 for staff hours."""
    if resource == "hours":
        return f"{value:,.0f}"
    return f"${value / 1e6:.1f}M" if abs(value) >= 1e6 else f"${value:,.0f}"


def _shortfall_message(m: _Model, forced: set[int]) -> str:
    """Which yearly budgets the mandatory initiatives overrun and by how much (an elastic mandatory-only solve)."""
    keep = np.isin(m.var_item, sorted(forced))
    sub = _Model(m.items, m.budgets, m.horizon, m.var_item[keep], m.var_start[keep],
                 {r: u[keep] for r, u in m.usage.items()})
    rows, lo, hi, _ = _structure_rows(sub, forced, select=False)
    keys, use, caps = _budget_rows(sub)
    n_var, n_slack = keep.sum(), len(keys)
    a = vstack([*(csr_array(np.hstack([r.toarray(), np.zeros((r.shape[0], n_slack))])) for r in rows),
                csr_array(np.hstack([use, -np.eye(n_slack)]))])
    scale = np.array([max(m.budgets[r].max(skipna=True), 1.0) for r, _ in keys])
    # minimize overruns, each relative to its resource's scale so dollars and hours weigh alike
    c = np.concatenate([np.zeros(n_var), 1.0 / scale])
    res = milp(c, constraints=LinearConstraint(a, np.concatenate([*lo, np.full(n_slack, -np.inf)]),
                                               np.concatenate([*hi, caps])),
               integrality=np.concatenate([np.ones(n_var), np.zeros(n_slack)]),
               bounds=Bounds(np.zeros(n_var + n_slack), np.concatenate([np.ones(n_var), np.full(n_slack, np.inf)])))
    if res.x is None:
        return "the mandatory initiatives cannot be scheduled together (dependencies, exclusions and horizon)"
    slack = res.x[n_var:]
    need = use @ np.round(res.x[:n_var])
    unit = {"capex": "capex", "opex": "opex", "hours": "staff hours"}
    parts = [f"mandatory items need {_figure(r, need[j])} {unit[r]} in {m.budgets.index[y]} but the budget is "
             f"{_figure(r, caps[j])}: short by {_figure(r, slack[j])}"
             for j, (r, y) in enumerate(keys) if slack[j] > 1e-6 * scale[j]]
    return "; ".join(parts) or "the mandatory initiatives cannot be scheduled together within the budgets"


@dataclass
class Portfolio:
    """The chosen initiatives with their start and finish quarters, yearly totals against budgets, and the solve."""

    schedule: pd.DataFrame
    totals: pd.DataFrame
    value: float  # total value of the chosen initiatives (score units), whenever they start
    status: str
    mip_gap: float
    seconds: float
    quarter_labels: list[str] = field(default_factory=list)
    delivered_value: float = float("nan")  # the objective: value discounted by start quarter (score units)

    @property
    def chosen(self) -> list[str]:
        """Names of the chosen initiatives in start order."""
        return self.schedule["initiative"].tolist()

    def roadmap(self) -> pd.DataFrame:
        """One row per chosen initiative: start and finish quarter (labels and 0-based index), capex and opex in the
        horizon (dollars) and staff hours, ready for a Gantt chart."""
        df = self.schedule.copy()
        df.insert(1, "start_quarter", [self.quarter_labels[q] for q in df["start"]])
        df.insert(2, "finish_quarter", [self.quarter_labels[q] for q in df["finish"]])
        return df[["initiative", "start_quarter", "finish_quarter", "start", "finish", "capex_usd", "opex_usd",
                   "hours"]]


def _solve(m: _Model, forced: set[int], objective: np.ndarray, extra: list[tuple[np.ndarray, float]],
           mip_rel_gap: float, time_limit: float | None, tighten: bool = True):
    """scipy's milp result over the start variables (and, tightened, the selection columns after them);
    ``extra`` rows (coefficients over start variables, lower bound) are added as row >= bound."""
    rows, lo, hi, n_z = _structure_rows(m, forced, select=tighten)
    keys, use, caps = _budget_rows(m)
    if tighten and keys:
        # usage as a share of each budget: dollars (1e7) and hours (1e4) on one scale, rhs 1
        scale = np.where(caps > 0, caps, np.maximum(use.max(axis=1, initial=0.0), 1.0))
        use, caps = use / scale[:, None], caps / scale
    pad = csr_array((0, n_z)) if n_z else None

    def wide(a) -> csr_array:
        a = csr_array(a)
        return hstack([a, csr_array((a.shape[0], n_z))]).tocsr() if pad is not None else a

    cons = [LinearConstraint(vstack(rows), np.concatenate(lo), np.concatenate(hi))]
    if keys:
        cons.append(LinearConstraint(wide(use), -np.inf, caps))
    cons += [LinearConstraint(wide(row[None, :]), bound, np.inf) for row, bound in extra]
    c = np.concatenate([objective, np.zeros(n_z)])
    options = {"mip_rel_gap": mip_rel_gap, **({"time_limit": time_limit} if time_limit else {})}
    res = milp(c, constraints=cons, integrality=np.ones(len(c)), bounds=Bounds(0, 1), options=options)
    if res.x is not None:
        res.x = res.x[:len(objective)]
    return res


def _portfolio(m: _Model, x: np.ndarray, status: str, gap: float, seconds: float, delivered: np.ndarray) -> Portfolio:
    on = np.flatnonzero(x > 0.5)
    records = []
    for v in on[np.lexsort((m.var_item[on], m.var_start[on]))]:
        it, s = m.items[m.var_item[v]], int(m.var_start[v])
        u = quarterly_usage(it, s, m.horizon)
        records.append({"initiative": it.name, "start": s, "finish": s + it.duration - 1, "value": it.value,
                        "capex_usd": u["capex"].sum(), "opex_usd": u["opex"].sum(), "hours": u["hours"].sum()})
    schedule = pd.DataFrame(records, columns=["initiative", "start", "finish", "value", "capex_usd", "opex_usd", "hours"])
    used = {r: m.usage[r][on].sum(axis=0) for r in RESOURCES}
    totals = pd.DataFrame({f"{r}_{k}": (used[r] if k == "used" else m.budgets[r].to_numpy())
                           for r in RESOURCES for k in ("used", "budget")}, index=m.budgets.index)
    totals.index.name = "fiscal_year"
    return Portfolio(schedule, totals, float(schedule["value"].sum()), status, gap, seconds, m.quarter_labels,
                     float(delivered[on].sum()))


STATUS = {0: "optimal", 1: "limit reached", 2: "infeasible", 3: "unbounded", 4: "failed"}


def solve_portfolio(items: Sequence[Initiative] | pd.DataFrame, budgets: pd.DataFrame | Mapping, *,
                    horizon_quarters: int, discount: Discount | None = None, prefer_early: bool = True,
                    mip_rel_gap: float = 1e-6, time_limit: float | None = 60.0, tighten: bool = True) -> Portfolio:
    """The choice of initiatives and start quarters that maximizes delivered value (score units, discounted by
    start quarter; ``discount`` None = portfolio.yaml's) within the yearly budgets (see module doc); each solve
    stops after ``time_limit`` seconds with status 'limit reached' and its relative gap. ``tighten=False``
    builds the plain formulation (every start variable, no selection columns, unscaled rows) for benchmarks."""
    t0 = time.perf_counter()
    its = initiatives(items)
    disc = load_discount() if discount is None else discount
    budgets = budget_frame(budgets)
    forced = _forced(its)
    m = _model(its, budgets, int(horizon_quarters), forced, prune=tighten)
    _check_mandatory_structure(m, forced)
    value = np.array([its[k].value for k in m.var_item], dtype=float)
    delivered = value * disc.factors(np.array([its[k].urgency for k in m.var_item]), m.var_start)
    if not len(value):  # nothing can finish within the horizon (and nothing mandatory, checked above)
        return _portfolio(m, value, "optimal", 0.0, time.perf_counter() - t0, delivered)
    res = _solve(m, forced, -delivered, [], mip_rel_gap, time_limit, tighten)
    if res.status == 2:
        raise InfeasiblePortfolio(_shortfall_message(m, forced))
    if res.x is None:
        raise HitplanError(f"portfolio solve stopped without a solution ({STATUS.get(res.status)}: {res.message})")
    x, status, gap = res.x, STATUS.get(res.status, "failed"), float(getattr(res, "mip_gap", np.nan) or 0.0)
    rates = disc.quarterly_rate + np.array([it.urgency for it in its]) * disc.urgent_rate
    if prefer_early and np.any(rates == 0):
        # some values ignore timing, so the optimum may start them late: keep its value (to the solver's gap)
        # and start each chosen initiative as early as possible
        best = float(delivered @ np.round(x))
        keep = (delivered, best - max(abs(best), 1.0) * mip_rel_gap)
        early = _solve(m, forced, m.var_start.astype(float), [keep], mip_rel_gap, time_limit, tighten)
        if early.x is not None and delivered @ np.round(early.x) >= best - 1e-9 * max(abs(best), 1.0):
            x = early.x
    return _portfolio(m, x, status, gap, time.perf_counter() - t0, delivered)


def efficient_frontier(items: Sequence[Initiative] | pd.DataFrame, budgets: pd.DataFrame | Mapping, *,
                       horizon_quarters: int, scales: Sequence[float] = (0.5, 0.75, 1.0, 1.25, 1.5),
                       **solve_options) -> pd.DataFrame:
    """Optimal portfolio value for each capex budget scaled by ``scales`` (capex budget in dollars over the horizon)."""
    base = budget_frame(budgets)
    rows = []
    for s in scales:
        scaled = base.assign(capex=base["capex"] * s)
        row = {"scale": float(s), "capex_budget_usd": float(scaled["capex"].sum(min_count=1))}
        try:
            p = solve_portfolio(items, scaled, horizon_quarters=horizon_quarters, **solve_options)
            row.update(value=p.value, capex_used_usd=float(p.totals["capex_used"].sum()), n_chosen=len(p.chosen),
                       note="")
        except InfeasiblePortfolio as err:
            row.update(value=np.nan, capex_used_usd=np.nan, n_chosen=0, note=str(err))
        rows.append(row)
    return pd.DataFrame(rows)


def _scenario_inputs(items: list[Initiative], budgets: pd.DataFrame, change: Mapping, matrix, criteria):
    """The initiatives and budgets of one scenario: base inputs with ``change`` applied."""
    unknown = sorted(set(change) - {"values", "weights", "budgets", "budget_scale"})
    if unknown:
        raise UsageError(f"unknown scenario keys {unknown}; use values, weights, budgets or budget_scale")
    values = dict(change.get("values", {}))
    if "weights" in change:
        if matrix is None or criteria is None:
            raise UsageError("a scenario that changes weights needs the criteria matrix and criteria")
        from hitplan.prioritize.methods import weighted_sum  # same layer; imported here to keep the module light

        values.update(weighted_sum(matrix, criteria.with_weights(change["weights"])).to_dict())
    new_items = [replace(i, value=float(values.get(i.name, i.value))) for i in items]
    new_budgets = budget_frame(change["budgets"]) if "budgets" in change else budgets.copy()
    for r, factor in dict(change.get("budget_scale", {})).items():
        if r not in RESOURCES:
            raise UsageError(f"budget_scale names unknown resource {r!r}; use {', '.join(RESOURCES)}")
        new_budgets[r] = new_budgets[r] * factor
    return new_items, new_budgets


def compare_scenarios(items: Sequence[Initiative] | pd.DataFrame, budgets: pd.DataFrame | Mapping,
                      scenarios: Mapping[str, Mapping], *, horizon_quarters: int, matrix: pd.DataFrame | None = None,
                      criteria=None, **solve_options) -> pd.DataFrame:
    """Each scenario's optimal portfolio against the base: value, count, and initiatives added and removed.

    A scenario maps to changes: ``values`` (initiative -> value), ``weights`` (criterion -> weight; values become
    weighted-sum scores of ``matrix``), ``budgets`` (a replacement) and ``budget_scale`` (resource -> factor).
    """
    its, base_budgets = initiatives(items), budget_frame(budgets)
    base = solve_portfolio(its, base_budgets, horizon_quarters=horizon_quarters, **solve_options)
    rows = [{"scenario": "base", "value": base.value, "n_chosen": len(base.chosen), "added": [], "removed": [],
             "moved": [], "note": ""}]
    base_start = dict(zip(base.schedule["initiative"], base.schedule["start"]))
    for name, change in scenarios.items():
        s_items, s_budgets = _scenario_inputs(its, base_budgets, change, matrix, criteria)
        try:
            p = solve_portfolio(s_items, s_budgets, horizon_quarters=horizon_quarters, **solve_options)
        except InfeasiblePortfolio as err:
            rows.append({"scenario": name, "value": np.nan, "n_chosen": 0, "added": [], "removed": base.chosen,
                         "moved": [], "note": str(err)})
            continue
        start = dict(zip(p.schedule["initiative"], p.schedule["start"]))
        rows.append({"scenario": name, "value": p.value, "n_chosen": len(p.chosen),
                     "added": sorted(set(start) - set(base_start)), "removed": sorted(set(base_start) - set(start)),
                     "moved": sorted(n for n in set(start) & set(base_start) if start[n] != base_start[n]),
                     "note": ""})
    return pd.DataFrame(rows)
