"""The best portfolio of initiatives and their start quarters under yearly budgets, solved exactly as a MILP.

Model (one binary x[i, q] per initiative i and allowed start quarter q, 0-based from the horizon start):
- An initiative of duration d started in quarter q works in quarters q..q+d-1 (its finish quarter is q+d-1)
  and must finish within the horizon; its capex and staff hours are spread evenly over those d quarters.
- Its opex (dollars per year) runs from go-live, the quarter after its finish, to the horizon end, a quarter
  of the yearly figure per quarter: running costs of what the portfolio adds, not of the existing estate.
- The plan starts in the first fiscal quarter beginning on or after ``plan_start`` (the day after the evidence
  ends; without it, in the first quarter of the first budgeted year) and runs ``horizon_quarters`` (default: to
  the end of the last budgeted year). Quarter q belongs to the fiscal year it falls in; every fiscal year the plan
  touches must be in the budgets (an error names a missing one), and that year's capex, opex and hours used must
  stay within its budget (a missing or NaN budget means unconstrained). A year the plan enters mid-way keeps its
  whole budget for the quarters left.
- Staff hours by team: a budget year may split its hours by team (``teams: {network: 2000, ...}``); an
  initiative's ``team_hours`` are spread like its hours and each team's use per year stays within its hours. The
  ``hours`` line, when given, caps the total. Without teams in the budgets the split is ignored (one pool).
- Deadlines: an initiative with a ``deadline`` (a day) must be funded and finish by the quarter containing it;
  one already due at the plan start must start in the first quarter. A deadline is soft: each quarter late costs
  ``late_penalty`` score units (portfolio.yaml ``deadlines.late_quarter_penalty`` x the candidates' total value)
  and not funding it counts as late to the plan's end, so deadlines are met whenever they can be, late only when
  they cannot, and the report (``Portfolio.deadlines``) says which are missed and why.
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

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp
from scipy.sparse import coo_array, csr_array, hstack, vstack

from hitplan.errors import HitplanError, UsageError
from hitplan.periods import (
    add_months, fiscal_quarter_of, fiscal_quarter_start, quarter_labels, quarter_start,
)
from hitplan.settings import Settings, load_settings

try:  # HiGHS's own Python interface: a MIP start and an objective offset, which scipy's milp cannot pass
    import highspy
except ImportError:  # optional: without it the same model is solved through scipy.optimize.milp
    highspy = None

RESOURCES = ("capex", "opex", "hours")
TEAM = "team:"  # budget columns of staff hours per team: team:network, team:ehr_apps, ...
QUARTERS_PER_YEAR = 4


class InfeasiblePortfolio(HitplanError):
    """The mandatory initiatives cannot all fit the budgets, the horizon or each other."""

    exit_code = 3


@dataclass(frozen=True)
class Initiative:
    """A candidate: value (score units), duration (quarters), capex (dollars, total), opex (dollars per year
    from go-live), staff hours (total), earliest and latest (deadline, None = none) start quarter, urgency (0-1:
    how time-critical), and its dependencies and exclusions by name. ``team_hours`` splits the staff hours by
    team (empty: all from the one pool); ``deadline`` is the day it must finish by (``deadline_reason`` says where
    it comes from), ``deadline_quarter`` the same as a 0-based plan quarter (-1: already due at the plan start),
    set from ``deadline`` by the solver when not given."""

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
    team_hours: Mapping[str, float] = field(default_factory=dict)
    deadline: dt.date | None = None
    deadline_reason: str = ""
    deadline_quarter: int | None = None


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


def load_late_penalty(settings: Settings | None = None) -> float:
    """Score lost per quarter an initiative finishes after its deadline, as a share of the candidates' total
    value (``portfolio.deadlines.late_quarter_penalty``; None: the shipped portfolio.yaml)."""
    settings = settings or load_settings()
    share = float(settings.value("portfolio", "deadlines", "late_quarter_penalty"))
    if not (np.isfinite(share) and share > 0):
        raise UsageError(f"portfolio.deadlines.late_quarter_penalty must be > 0 (a share of the candidates' total "
                         f"value per quarter late), got {share}")
    return share


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


def team_hours(cell, name: str = "") -> dict[str, float]:
    """Staff hours by team from ``"network:1200;security:400"`` (the initiatives feed's team_hours) or a mapping;
    blank: {} (all hours from the one pool)."""
    if cell is None or (not isinstance(cell, (str, Mapping)) and pd.isna(cell)):
        return {}
    if isinstance(cell, Mapping):
        pairs = [(str(k).strip(), v) for k, v in cell.items()]
    else:
        pairs = []
        for part in filter(None, (p.strip() for p in str(cell).split(";"))):
            team, sep, hours = part.partition(":")
            if not sep or not team.strip():
                raise UsageError(f"{name or 'initiative'}: team hours {cell!r} must read team:hours;team:hours, "
                                 "e.g. network:1200;security:400")
            pairs.append((team.strip(), hours.strip()))
    out: dict[str, float] = {}
    for team, hours in pairs:
        try:
            value = float(hours)
        except (TypeError, ValueError):
            value = float("nan")
        if not (np.isfinite(value) and value >= 0):
            raise UsageError(f"{name or 'initiative'}: team hours for {team} are {hours!r}; give hours >= 0, e.g. "
                             "network:1200;security:400")
        out[team] = out.get(team, 0.0) + value
    return out


def _day(cell) -> dt.date | None:
    if cell is None or cell is pd.NaT or (isinstance(cell, str) and not cell.strip()):
        return None
    if not isinstance(cell, (str, dt.date)) and pd.isna(cell):
        return None
    return pd.Timestamp(cell).date()


def initiatives(items: Sequence[Initiative] | pd.DataFrame) -> list[Initiative]:
    """The candidates as Initiative records (a frame needs name and value columns; lists may be comma-separated;
    team_hours may be text like ``network:1200;security:400``; deadline a day or NaT, with deadline_reason)."""
    if isinstance(items, pd.DataFrame):
        known = set(Initiative.__dataclass_fields__)
        records = [{k: v for k, v in row.items() if k in known} for row in items.to_dict("records")]

        def whole(v) -> int | None:
            return None if v is None or pd.isna(v) else int(v)

        items = [Initiative(**{**r, "depends_on": _names(r.get("depends_on")), "excludes": _names(r.get("excludes")),
                               "mandatory": bool(r.get("mandatory", False)),
                               "latest_start": whole(r.get("latest_start")),
                               "deadline_quarter": whole(r.get("deadline_quarter")),
                               "deadline": _day(r.get("deadline")),
                               "deadline_reason": "" if not isinstance(r.get("deadline_reason"), str)
                               else r["deadline_reason"]})
                 for r in records]
    out = []
    for i in items:
        teams = team_hours(i.team_hours, i.name)
        split = sum(teams.values())
        if teams and i.hours == 0:
            i = replace(i, hours=split)  # staff hours given only by team
        elif teams and abs(split - i.hours) > 0.5:
            raise UsageError(f"{i.name}: staff hours are {i.hours:,.0f} but its team hours add up to {split:,.0f} ("
                             + ", ".join(f"{t} {h:,.0f}" for t, h in teams.items()) + "); make them agree")
        out.append(replace(i, depends_on=_names(i.depends_on), excludes=_names(i.excludes), team_hours=teams,
                           deadline=_day(i.deadline)))
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
    """Budgets as a frame: one row per fiscal year (in order), columns capex, opex (dollars) and hours, and one
    ``team:<name>`` column of staff hours per team when the years name ``teams: {name: hours}``. A team named in
    one year must be named in every year (empty for no limit)."""
    if isinstance(budgets, pd.DataFrame) and "teams" in budgets.columns:  # a frame of the file's years as read
        budgets = {fy: {k: v for k, v in row.items() if not (k != "teams" and pd.isna(v))
                        and not (k == "teams" and not isinstance(v, Mapping))}
                   for fy, row in budgets.to_dict("index").items()}
    if isinstance(budgets, pd.DataFrame):
        frame = budgets.copy()
    else:
        rows = {}
        for fy, spec in budgets.items():
            spec = dict(spec or {})
            teams = spec.pop("teams", None) or {}
            if not isinstance(teams, Mapping):
                raise UsageError(f"budgets {fy}: teams must map team names to staff hours, e.g. "
                                 "{network: 2000, ehr_apps: 3000}")
            rows[fy] = {**spec, **{f"{TEAM}{t}": (np.nan if h is None else h) for t, h in teams.items()}}
        frame = pd.DataFrame.from_dict(rows, orient="index")
    teams = sorted(c for c in frame.columns if str(c).startswith(TEAM) and len(str(c)) > len(TEAM))
    unknown = sorted(set(frame.columns) - set(RESOURCES) - set(teams))
    if unknown:
        raise UsageError(f"budgets have unknown columns {unknown}; use {', '.join(RESOURCES)} and teams")
    if teams and not isinstance(budgets, pd.DataFrame):
        for t in teams:
            missing = [str(fy) for fy, spec in budgets.items() if t[len(TEAM):] not in dict((spec or {}).get("teams") or {})]
            if missing:
                raise UsageError(f"budgets name team {t[len(TEAM):]} in some years but not in {', '.join(missing)}; "
                                 "give its hours in every year (empty for no limit)")
    frame = frame.reindex(columns=list(RESOURCES) + teams)
    try:
        frame = frame.astype(float)
    except (TypeError, ValueError):
        raise UsageError("budgets must be numbers (leave a budget empty for no limit)") from None
    if (frame < 0).any().any():
        raise UsageError("budgets must be >= 0 (leave a budget empty for no limit)")
    frame.index = frame.index.astype(str)
    return frame


def team_names(budgets: pd.DataFrame) -> list[str]:
    """The teams a budget frame gives staff hours for."""
    return [str(c)[len(TEAM):] for c in budgets.columns if str(c).startswith(TEAM)]


@dataclass(frozen=True)
class _Model:
    items: list[Initiative]
    budgets: pd.DataFrame  # the fiscal years the plan touches, in order
    horizon: int
    var_item: np.ndarray  # initiative index of each start variable
    var_start: np.ndarray  # start quarter of each start variable
    usage: dict[str, np.ndarray]  # budget line (capex, opex, hours, team:<name>) -> variables x fiscal years
    first: tuple[int, int] = (0, 1)  # the plan's first fiscal year and quarter (1-4)
    qyear: np.ndarray | None = None  # budget row (fiscal year) of each quarter
    late: np.ndarray | None = None  # quarters late of each start variable (0 without a deadline)

    @property
    def quarter_labels(self) -> list[str]:
        """Each quarter of the horizon named as finance names it (FY2028Q1), counted from the plan's first quarter."""
        return quarter_labels(self.first[0], self.first[1], self.horizon)

    def label(self, q: int) -> str:
        """Plan quarter ``q`` (0-based, may lie past the horizon) as finance names it."""
        return quarter_labels(self.first[0], self.first[1], q + 1)[q] if q >= 0 else "before the plan"


def _fy(label) -> int:
    text = str(label)
    if len(text) != 6 or not text.startswith("FY") or not text[2:].isdigit():
        raise UsageError(f"budget years are fiscal years like FY2028, got {text!r}")
    return int(text[2:])


def plan_calendar(budgets: pd.DataFrame, horizon_quarters: int | None = None, plan_start: dt.date | None = None,
                  fiscal_start_month: int = 1) -> tuple[tuple[int, int], int, pd.DataFrame, np.ndarray, dt.date]:
    """The plan's first fiscal (year, quarter), its length in quarters, the budgets of the fiscal years it touches
    (in order), the budget row of each quarter and the plan's first day.

    The plan starts in the first fiscal quarter beginning on or after ``plan_start`` (None: the first quarter of
    the first budgeted year) and runs ``horizon_quarters`` (None: to the end of the last budgeted year)."""
    years = {_fy(fy): fy for fy in budgets.index}
    if plan_start is None:
        fy0, q0 = min(years), 1
        if horizon_quarters is None:
            horizon_quarters = QUARTERS_PER_YEAR * len(budgets)
        elif horizon_quarters < 1 or horizon_quarters > QUARTERS_PER_YEAR * len(budgets):
            raise UsageError(f"horizon of {horizon_quarters} quarters needs 1..{QUARTERS_PER_YEAR * len(budgets)} "
                             f"quarters of budgets ({len(budgets)} fiscal years given)")
    else:
        day = pd.Timestamp(plan_start).date()
        first = quarter_start(day, fiscal_start_month)
        if first < day:
            first = add_months(first, 3)
        fy0, q0 = fiscal_quarter_of(first, fiscal_start_month)
        if horizon_quarters is None:
            horizon_quarters = (max(years) + 1) * QUARTERS_PER_YEAR - (fy0 * QUARTERS_PER_YEAR + q0 - 1)
            if horizon_quarters < 1:
                raise UsageError(f"the plan starts in FY{fy0}Q{q0} (the first quarter after {day:%Y-%m-%d}) but the "
                                 f"budgets end with FY{max(years)}; give budgets for FY{fy0} on")
        elif horizon_quarters < 1:
            raise UsageError(f"horizon of {horizon_quarters} quarters: give at least 1")
    k0 = fy0 * QUARTERS_PER_YEAR + q0 - 1
    fys = [(k0 + q) // QUARTERS_PER_YEAR for q in range(int(horizon_quarters))]
    missing = sorted(set(fys) - set(years))
    if missing:
        labels = quarter_labels(fy0, q0, int(horizon_quarters))
        raise UsageError(f"the plan runs {labels[0]}..{labels[-1]} but the budgets have no "
                         f"{', '.join(f'FY{y}' for y in missing)}; add {'it' if len(missing) == 1 else 'them'} to the "
                         "budget file or shorten the horizon")
    order = sorted(set(fys))
    qyear = np.array([order.index(y) for y in fys], dtype=int)
    return ((fy0, q0), int(horizon_quarters), budgets.loc[[years[y] for y in order]],
            qyear, fiscal_quarter_start(fy0, q0, fiscal_start_month))


def deadline_quarter(deadline: dt.date, first_day: dt.date) -> int:
    """The 0-based plan quarter containing ``deadline`` for a plan starting on ``first_day`` (a quarter's first
    day); -1 when it falls before the plan starts (due at once)."""
    if deadline < first_day:
        return -1
    return ((deadline.year - first_day.year) * 12 + deadline.month - first_day.month) // 3


def lateness(item: Initiative, start: int) -> int:
    """Quarters ``item`` finishes after its deadline quarter when started in ``start`` (for one due before the
    plan: quarters it starts after the first)."""
    due = item.deadline_quarter
    if due is None:
        return 0
    if due < 0:
        return int(start)
    return max(0, int(start) + item.duration - 1 - due)


def quarterly_usage(item: Initiative, start: int, horizon: int, teams: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Capex and opex (dollars) and staff hours (in all and for each of ``teams``) per quarter of the horizon if
    ``item`` starts in ``start``."""
    q = np.arange(horizon)
    working = (q >= start) & (q < start + item.duration)
    live = q >= start + item.duration
    out = {"capex": working * (item.capex / item.duration), "hours": working * (item.hours / item.duration),
           "opex": live * (item.opex / QUARTERS_PER_YEAR)}
    for t in teams:
        out[f"{TEAM}{t}"] = working * (float(item.team_hours.get(t, 0.0)) / item.duration)
    return out


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
           prune: bool = True, first: tuple[int, int] | None = None, qyear: np.ndarray | None = None) -> _Model:
    """The start variables and their budget use; ``budgets`` are the plan's years (``plan_calendar``), ``qyear``
    the budget row of each quarter (None: quarter q in row q // 4, the plan starting with the first row)."""
    if qyear is None:
        if horizon < 1 or horizon > QUARTERS_PER_YEAR * len(budgets):
            raise UsageError(f"horizon of {horizon} quarters needs 1..{QUARTERS_PER_YEAR * len(budgets)} quarters of "
                             f"budgets ({len(budgets)} fiscal years given)")
        qyear = np.arange(horizon) // QUARTERS_PER_YEAR
    first = first or (_fy(budgets.index[0]), 1)
    teams = team_names(budgets)
    if teams:
        for it in items:
            unknown = sorted(set(it.team_hours) - set(teams))
            if unknown:
                raise UsageError(f"{it.name} names team {', '.join(unknown)}, which the budgets lack (teams: "
                                 f"{', '.join(teams)}); add it to the budget file or correct the initiative's "
                                 "team hours")
    if prune:
        first_s, last_s = start_windows(items, horizon, forced)
    else:  # the plain formulation (benchmark baseline): every start from the earliest to the horizon or deadline
        first_s = [int(it.earliest_start) for it in items]
        last_s = [min(horizon - it.duration, horizon if it.latest_start is None else int(it.latest_start))
                  for it in items]
    pairs = [(k, s) for k in range(len(items)) for s in range(first_s[k], last_s[k] + 1)]
    var_item = np.array([k for k, _ in pairs], dtype=int)
    var_start = np.array([s for _, s in pairs], dtype=int)
    to_year = np.zeros((horizon, len(budgets)))
    to_year[np.arange(horizon), qyear] = 1.0
    per_var = [quarterly_usage(items[k], s, horizon, teams) for k, s in pairs]
    lines = list(RESOURCES) + [f"{TEAM}{t}" for t in teams]
    usage = {r: (np.array([u[r] for u in per_var]).reshape(len(pairs), horizon) @ to_year) for r in lines}
    late = np.array([lateness(items[k], s) for k, s in pairs], dtype=float)
    return _Model(items, budgets, horizon, var_item, var_start, usage, first, np.asarray(qyear), late)


def _subset(m: _Model, keep: np.ndarray) -> _Model:
    """The model with only the start variables ``keep`` (a boolean mask)."""
    return replace(m, var_item=m.var_item[keep], var_start=m.var_start[keep],
                   usage={r: u[keep] for r, u in m.usage.items()}, late=m.late[keep])


def _structure_rows(m: _Model, forced: set[int], select: bool = True,
                    cumulative: bool = False) -> tuple[list, list, list, int]:
    """Rows (sparse, lower, upper) for choose-once, mandatory, exclusion and dependency constraints, and the
    number of selection columns z appended after the start variables (one per initiative, or none).
    ``cumulative`` writes each dependency in its aggregated time-indexed form (B started by quarter q only if A
    finished before q: sum_{s <= q} x[B, s] <= sum_{s + d_A <= q} x[A, s]), which implies the per-start rows
    and gives a tighter LP bound with the same integer solutions."""
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
            b_vars = np.flatnonzero(m.var_item == b)
            for v in b_vars:
                # x[b, q] <= sum of x[a, s] over starts s with s + d_a <= q (A chosen and finished before B starts)
                done = a_vars[m.var_start[a_vars] + m.items[a].duration <= m.var_start[v]]
                began = b_vars[m.var_start[b_vars] <= m.var_start[v]] if cumulative else [v]
                dep_r += [n_rows] * (len(began) + len(done))
                dep_c += [*began, *done]
                dep_v += [1.0] * len(began) + [-1.0] * len(done)
                n_rows += 1
    if n_rows:
        rows.append(csr_array((dep_v, (dep_r, dep_c)), shape=(n_rows, n_var + n_z)))
        lo, hi = lo + [np.full(n_rows, -np.inf)], hi + [np.zeros(n_rows)]
    return rows, lo, hi, n_z


def _budget_rows(m: _Model) -> tuple[list[tuple[str, int]], np.ndarray, np.ndarray]:
    """The (resource, fiscal-year) pairs with a budget, their usage rows (pairs x variables) and budgets."""
    keys, rows, caps = [], [], []
    for r in m.budgets.columns:
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


def line_name(line: str) -> str:
    """A budget line as people say it: capex, opex, staff hours, network team hours."""
    if line.startswith(TEAM):
        return f"{line[len(TEAM):]} team hours"
    return {"hours": "staff hours"}.get(line, line)


def _figure(resource: str, value: float) -> str:
    """A budget figure as leadership reads it: $1.2M or $450,000 for money, 1,200 for staff hours."""
    if resource == "hours" or resource.startswith(TEAM):
        return f"{value:,.0f}"
    return f"${value / 1e6:.1f}M" if abs(value) >= 1e6 else f"${value:,.0f}"


def _shortfall_message(m: _Model, forced: set[int]) -> str:
    """Which yearly budgets the mandatory initiatives overrun and by how much (an elastic mandatory-only solve)."""
    keep = np.isin(m.var_item, sorted(forced))
    sub = _subset(m, keep)
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
    parts = [f"mandatory items need {_figure(r, need[j])} {line_name(r)} in {m.budgets.index[y]} but the budget is "
             f"{_figure(r, caps[j])}: short by {_figure(r, slack[j])}"
             for j, (r, y) in enumerate(keys) if slack[j] > 1e-6 * scale[j]]
    return "; ".join(parts) or "the mandatory initiatives cannot be scheduled together within the budgets"


@dataclass
class Portfolio:
    """The chosen initiatives with their start and finish quarters, yearly totals against budgets, and the solve.

    ``constraints``: one row per budget line with a limit and fiscal year (capex, opex, staff hours, each team's
    hours): used, budget, left, binding and what it holds back; ``deadlines``: one row per initiative with a
    deadline, met or missed and why."""

    schedule: pd.DataFrame
    totals: pd.DataFrame
    value: float  # total value of the chosen initiatives (score units), whenever they start
    status: str
    mip_gap: float
    seconds: float
    quarter_labels: list[str] = field(default_factory=list)
    delivered_value: float = float("nan")  # the objective: value discounted by start quarter (score units)
    constraints: pd.DataFrame = field(default_factory=pd.DataFrame)
    deadlines: pd.DataFrame = field(default_factory=pd.DataFrame)
    plan_start: dt.date | None = None  # the first day of the plan's first quarter
    late_penalty: float = float("nan")  # score units lost per quarter late (the objective's deadline term)
    objective: float = float("nan")  # what the solve maximized: delivered value less the lateness penalty
    bound: float = float("nan")  # the solver's proven upper bound on ``objective`` (NaN when it gives none)

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


def binding_constraints(portfolio: Portfolio) -> pd.DataFrame:
    """The budget lines that bind (see ``Portfolio.constraints``), tightest first."""
    c = portfolio.constraints
    if c.empty:
        return c
    return c[c["binding"]].sort_values("left_share", kind="stable").reset_index(drop=True)


def _solve(m: _Model, forced: set[int], objective: np.ndarray, extra: list[tuple[np.ndarray, float]],
           mip_rel_gap: float, time_limit: float | None, tighten: bool = True, strengthen: bool = False,
           offset: float = 0.0, start: np.ndarray | None = None):
    """scipy's milp result (or one shaped like it: x, status, message, mip_gap, mip_dual_bound) over the start
    variables (and, tightened, the selection columns after them); ``extra`` rows (coefficients over start
    variables, lower bound) are added as row >= bound. ``strengthen`` (with ``tighten``) writes dependencies in
    cumulative form and, when highspy is installed, solves through it with the constant ``offset`` added to the
    objective (so the relative gap is measured on the true objective, not one inflated by a constant) and
    ``start`` (0/1 per start variable, None: the greedy) as a MIP start; mip_dual_bound includes ``offset``."""
    strengthen = strengthen and tighten
    rows, lo, hi, n_z = _structure_rows(m, forced, select=tighten, cumulative=strengthen)
    keys, use, caps = _budget_rows(m)
    raw_use, raw_caps = use, caps
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
    if strengthen and highspy is not None:
        if start is None:
            start = _greedy_start(m, forced, -objective, raw_use, raw_caps)
        x0 = None
        if start is not None:
            x0 = np.concatenate([start, np.zeros(n_z)])
            if n_z:
                x0[len(objective) + m.var_item[start > 0.5]] = 1.0
        res = _solve_highspy(c, cons, offset, x0, mip_rel_gap, time_limit)
    else:
        options = {"mip_rel_gap": mip_rel_gap, **({"time_limit": time_limit} if time_limit else {})}
        res = milp(c, constraints=cons, integrality=np.ones(len(c)), bounds=Bounds(0, 1), options=options)
        bound = getattr(res, "mip_dual_bound", None)
        res.mip_dual_bound = np.nan if bound is None else float(bound) + offset
    if res.x is not None:
        res.x = res.x[:len(objective)]
    return res


def _solve_highspy(c: np.ndarray, cons: list[LinearConstraint], offset: float, x0: np.ndarray | None,
                   mip_rel_gap: float, time_limit: float | None) -> OptimizeResult:
    """Minimize c @ x + offset over binaries x within ``cons`` through highspy, from the MIP start ``x0``."""
    a = vstack([csr_array(k.A) for k in cons]).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(c), a.shape[0]
    inf = highspy.kHighsInf
    lp.col_cost_, lp.offset_ = c.astype(float), float(offset)
    lp.col_lower_, lp.col_upper_ = np.zeros(len(c)), np.ones(len(c))
    lp.row_lower_ = np.clip(np.concatenate([np.broadcast_to(k.lb, (k.A.shape[0],)) for k in cons]), -inf, inf)
    lp.row_upper_ = np.clip(np.concatenate([np.broadcast_to(k.ub, (k.A.shape[0],)) for k in cons]), -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = a.indptr, a.indices
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(c)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    if time_limit:
        h.setOptionValue("time_limit", float(time_limit))
    h.passModel(lp)
    if x0 is not None:
        sol = highspy.HighsSolution()
        sol.col_value = [float(v) for v in x0]
        h.setSolution(sol)
    h.run()
    ms, st = h.getModelStatus(), highspy.HighsModelStatus
    status = (0 if ms == st.kOptimal else 2 if ms in (st.kInfeasible, st.kUnboundedOrInfeasible)
              else 1 if ms in (st.kTimeLimit, st.kIterationLimit, st.kSolutionLimit, st.kInterrupt) else 4)
    info, sol = h.getInfo(), h.getSolution()
    x = np.array(sol.col_value, dtype=float) if sol.value_valid and status in (0, 1) else None
    return OptimizeResult(x=x, status=status, message=h.modelStatusToString(ms), success=status == 0,
                          mip_gap=float(info.mip_gap), mip_dual_bound=float(info.mip_dual_bound),
                          fun=float(info.objective_function_value) if x is not None else None)


def _greedy_start(m: _Model, forced: set[int], coef: np.ndarray, use: np.ndarray,
                  caps: np.ndarray) -> np.ndarray | None:
    """A feasible 0/1 choice of start variables to start the MIP from: required initiatives first, then the
    others by objective per share of the budgets they use, each at its best start that its prerequisites,
    exclusions and the budgets leave room for. None when the required ones do not fit this way."""
    index = {it.name: k for k, it in enumerate(m.items)}
    share = use / np.where(caps > 0, caps, 1.0)[:, None] if len(caps) else np.zeros((0, len(coef)))
    weight = share.sum(axis=0) if len(caps) else np.zeros(len(coef))
    left = caps.astype(float).copy()
    tol = 1e-9 * np.maximum(np.abs(caps), 1.0)
    by_item: dict[int, list[int]] = {}
    for v in np.lexsort((m.var_start, -coef)):
        by_item.setdefault(int(m.var_item[v]), []).append(v)
    excl = {k: {index[o] for o in it.excludes} for k, it in enumerate(m.items)}
    for k, it in enumerate(m.items):
        for o in it.excludes:
            excl[index[o]].add(k)
    best = {k: max(coef[v] / (weight[v] + 1e-3) for v in vs) for k, vs in by_item.items()}
    order = sorted(by_item, key=lambda k: (k not in forced, -best[k]))
    finish: dict[int, int] = {}
    x = np.zeros(len(coef))
    changed = True
    while changed:  # a prerequisite placed later in the order lets its dependents in on the next pass
        changed = False
        for k in order:
            if k in finish or excl[k] & set(finish) or any(index[d] not in finish for d in m.items[k].depends_on):
                continue
            ready = max([finish[index[d]] + 1 for d in m.items[k].depends_on], default=0)
            for v in by_item[k]:
                if m.var_start[v] < ready or (k not in forced and coef[v] <= 0):
                    continue
                if len(caps) and (use[:, v] > left + tol).any():
                    continue
                x[v], finish[k], changed = 1.0, int(m.var_start[v]) + m.items[k].duration - 1, True
                if len(caps):
                    left -= use[:, v]
                break
    return x if forced <= set(finish) else None


def _moves(m: _Model, on: np.ndarray, coef: np.ndarray, forced: set[int]):
    """Every single change that would raise the objective if the budgets allowed it: fund an unfunded
    initiative at a start its prerequisites and exclusions allow, or move a funded one to a better start its
    prerequisites and dependents allow. Yields (initiative index, variable, usage change per budget line)."""
    keys, use, _ = _budget_rows(m)
    index = {it.name: k for k, it in enumerate(m.items)}
    at = {int(m.var_item[v]): int(v) for v in on}
    finish = {k: int(m.var_start[v]) + m.items[k].duration - 1 for k, v in at.items()}
    dependents: dict[int, list[int]] = {}
    for k, it in enumerate(m.items):
        for d in it.depends_on:
            dependents.setdefault(index[d], []).append(k)
    excluded = {k: {index[o] for o in it.excludes} for k, it in enumerate(m.items)}
    for k, it in enumerate(m.items):
        for o in it.excludes:
            excluded[index[o]].add(k)
    chosen = set(at.values())
    base = np.array([coef[at[k]] if k in at else 0.0 for k in m.var_item])
    tol = 1e-9 * max(1.0, float(np.abs(coef).max(initial=0.0)))
    for v in np.flatnonzero(coef - base > tol):
        k, s = int(m.var_item[v]), int(m.var_start[v])
        if v in chosen:
            continue
        prereq = [index[d] for d in m.items[k].depends_on]
        if any(d not in at or finish[d] >= s for d in prereq):
            continue
        if k in at:
            end = s + m.items[k].duration - 1
            if any(int(m.var_start[at[b]]) <= end for b in dependents.get(k, []) if b in at):
                continue
            delta = use[:, v] - use[:, at[k]]
        else:
            if excluded[k] & set(at):
                continue
            delta = use[:, v]
        yield k, v, delta


def _constraints(m: _Model, on: np.ndarray, coef: np.ndarray, forced: set[int]) -> pd.DataFrame:
    """Used, left and binding per budget line and fiscal year: a line binds when at least one move that would
    raise the objective (``_moves``) needs more of it than is left; ``holds_back`` names those initiatives."""
    keys, use, caps = _budget_rows(m)
    used = use[:, on].sum(axis=1) if len(keys) else np.zeros(0)
    left = caps - used
    tol = 1e-6 * np.maximum(caps, 1.0)
    held: list[set[str]] = [set() for _ in keys]
    if len(keys):
        for k, _, delta in _moves(m, on, coef, forced):
            for j in np.flatnonzero(delta > left + tol):
                held[j].add(m.items[k].name)
    rows = [{"fiscal_year": str(m.budgets.index[y]), "line": r, "name": line_name(r),
             "team": r[len(TEAM):] if r.startswith(TEAM) else "", "used": float(used[j]), "budget": float(caps[j]),
             "left": float(left[j]), "left_share": float(left[j] / caps[j]) if caps[j] > 0 else 0.0,
             "binding": bool(held[j]), "holds_back": sorted(held[j])}
            for j, (r, y) in enumerate(keys)]
    return pd.DataFrame(rows, columns=["fiscal_year", "line", "name", "team", "used", "budget", "left", "left_share",
                                       "binding", "holds_back"])


def _deadlines(m: _Model, on: np.ndarray, forced: set[int]) -> pd.DataFrame:
    """Each initiative with a deadline: its due quarter, whether funded, finish, quarters late and status (met or
    missed: late or not funded) with the reason."""
    keys, use, caps = _budget_rows(m)
    used = use[:, on].sum(axis=1) if len(keys) else np.zeros(0)
    at = {int(m.var_item[v]): int(v) for v in on}
    first, _ = start_windows(m.items, m.horizon, forced)
    rows = []
    for k, it in enumerate(m.items):
        if it.deadline_quarter is None:
            continue
        due, d = int(it.deadline_quarter), it.duration
        source = f" ({it.deadline_reason})" if it.deadline_reason else ""
        due_text = "already due when the plan starts" if due < 0 else f"due by the end of {m.label(due)}"
        row = {"initiative": it.name, "deadline": it.deadline, "due_quarter": m.label(due), "due": due,
               "funded": k in at,
               "finish_quarter": "", "finish": np.nan, "quarters_late": np.nan, "status": "", "reason": ""}
        if k in at:
            s = int(m.var_start[at[k]])
            late = lateness(it, s)
            row.update(finish_quarter=m.label(s + d - 1), finish=s + d - 1, quarters_late=late)
            if late == 0:
                row.update(status="met", reason=f"{due_text}{source}; " + (
                    f"starts in {m.label(0)}" if due < 0 else f"finishes in {m.label(s + d - 1)}"))
                rows.append(row)
                continue
        row["status"] = "missed"
        # why it is (or would be) late: it cannot be on time at all, or the budgets stop every on-time start
        earliest = first[k] if first[k] <= m.horizon else int(it.earliest_start)
        on_time_start = 0 if due < 0 else due - d + 1
        if earliest > on_time_start:
            why = (f"it takes {d} quarter{'s' * (d > 1)} and cannot start before {m.label(earliest)} (its earliest "
                   "start and prerequisites)" if earliest > 0 else f"it takes {d} quarters")
        else:
            short: dict[str, None] = {}
            own = use[:, at[k]] if k in at else np.zeros(len(keys))
            for v in np.flatnonzero((m.var_item == k) & (m.late == 0)):
                over = use[:, v] - own + used > caps + 1e-6 * np.maximum(caps, 1.0)
                for j in np.flatnonzero(over):
                    r, y = keys[j]
                    short[f"{line_name(r)} in {m.budgets.index[y]}"] = None
            why = (f"on time it would overrun {', '.join(short)}" if short
                   else "the dependencies, exclusions or plan horizon leave no on-time start")
        if k in at:
            late = int(row["quarters_late"])
            row["reason"] = (f"{due_text}{source}; finishes in {row['finish_quarter']}, {late} quarter"
                             f"{'s' * (late > 1)} late: {why}")
        else:
            row["reason"] = f"{due_text}{source}; not funded: {why}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["initiative", "deadline", "due_quarter", "due", "funded", "finish_quarter",
                                       "finish",
                                       "quarters_late", "status", "reason"])


def _portfolio(m: _Model, x: np.ndarray, status: str, gap: float, seconds: float, delivered: np.ndarray,
               coef: np.ndarray | None = None, forced: set[int] = frozenset(), first_day: dt.date | None = None,
               penalty: float = float("nan"), offset: float = 0.0, bound: float = float("nan")) -> Portfolio:
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
    coef = delivered if coef is None else coef
    return Portfolio(schedule, totals, float(schedule["value"].sum()), status, gap, seconds, m.quarter_labels,
                     float(delivered[on].sum()), _constraints(m, on, coef, forced), _deadlines(m, on, forced),
                     first_day, penalty, float(coef[on].sum()) - offset, float(bound))


STATUS = {0: "optimal", 1: "limit reached", 2: "infeasible", 3: "unbounded", 4: "failed"}


def solve_portfolio(items: Sequence[Initiative] | pd.DataFrame, budgets: pd.DataFrame | Mapping, *,
                    horizon_quarters: int | None = None, discount: Discount | None = None, prefer_early: bool = True,
                    mip_rel_gap: float = 1e-6, time_limit: float | None = 60.0, tighten: bool = True,
                    plan_start: dt.date | None = None, fiscal_start_month: int = 1,
                    late_penalty: float | None = None, strengthen: bool = True) -> Portfolio:
    """The choice of initiatives and start quarters that maximizes delivered value (score units, discounted by
    start quarter; ``discount`` None = portfolio.yaml's) within the yearly budgets (see module doc); each solve
    stops after ``time_limit`` seconds with status 'limit reached' and its relative gap. ``tighten=False``
    builds the plain formulation (every start variable, no selection columns, unscaled rows) for benchmarks;
    ``strengthen=False`` keeps the tightened one without cumulative dependency rows, the greedy MIP start and
    the highspy solve (used when installed). ``Portfolio.objective`` and ``Portfolio.bound`` are the objective
    (delivered value less the lateness penalty) and the solver's proven upper bound on it.

    The plan starts in the first fiscal quarter (fiscal years starting in ``fiscal_start_month``) beginning on or
    after ``plan_start`` (None: the first budgeted year's first quarter) and runs ``horizon_quarters`` (None: to
    the end of the last budgeted year). ``late_penalty`` is the share of the candidates' total value lost per
    quarter an initiative finishes after its deadline (None: portfolio.yaml's)."""
    t0 = time.perf_counter()
    its = initiatives(items)
    disc = load_discount() if discount is None else discount
    dated = any(i.deadline is not None or i.deadline_quarter is not None for i in its)
    share = (load_late_penalty() if dated else 1.0) if late_penalty is None else float(late_penalty)
    if not (np.isfinite(share) and share > 0):
        raise UsageError(f"late_penalty is a share of the candidates' total value per quarter late (> 0), got {share}")
    budgets = budget_frame(budgets)
    first, horizon, plan_budgets, qyear, first_day = plan_calendar(budgets, horizon_quarters, plan_start,
                                                                   fiscal_start_month)
    its = [replace(i, deadline_quarter=deadline_quarter(i.deadline, first_day))
           if i.deadline is not None and i.deadline_quarter is None else i for i in its]
    forced = _forced(its)
    m = _model(its, plan_budgets, horizon, forced, prune=tighten, first=first, qyear=qyear)
    _check_mandatory_structure(m, forced)
    penalty = share * max(sum(abs(i.value) for i in its), 1e-9)
    value = np.array([its[k].value for k in m.var_item], dtype=float)
    delivered = value * disc.factors(np.array([its[k].urgency for k in m.var_item]), m.var_start)
    # a deadline not met at all counts as missed for the rest of the plan: funding the initiative earns back
    # those quarters of penalty (one due within the plan is funded whenever it fits, late if it must)
    unmet = np.array([0.0 if it.deadline_quarter is None else
                      float(m.horizon if it.deadline_quarter < 0 else max(0, m.horizon - it.deadline_quarter))
                      for it in its])
    coef = delivered + penalty * (unmet[m.var_item] - m.late)
    offset = penalty * float(unmet.sum())  # the objective is coef @ x - offset: unmet deadlines cost from the start
    # a late start of an optional initiative that only loses value is never worth funding: leave it out
    keep = (m.late == 0) | np.isin(m.var_item, sorted(forced)) | (coef > 0)
    if not keep.all():
        m, delivered, coef = _subset(m, keep), delivered[keep], coef[keep]
    if not len(coef):  # nothing can finish within the horizon (and nothing mandatory, checked above)
        return _portfolio(m, coef, "optimal", 0.0, time.perf_counter() - t0, delivered, coef, forced, first_day,
                          penalty, offset, -offset)
    res = _solve(m, forced, -coef, [], mip_rel_gap, time_limit, tighten, strengthen, offset)
    if res.status == 2:
        raise InfeasiblePortfolio(_shortfall_message(m, forced))
    if res.x is None:
        raise HitplanError(f"portfolio solve stopped without a solution ({STATUS.get(res.status)}: {res.message})")
    x, status, gap = res.x, STATUS.get(res.status, "failed"), float(getattr(res, "mip_gap", np.nan) or 0.0)
    upper = -float(res.mip_dual_bound)  # minimized -coef @ x + offset: its lower bound is minus ours
    rates = disc.quarterly_rate + np.array([it.urgency for it in its]) * disc.urgent_rate
    if prefer_early and np.any(rates == 0):
        # some values ignore timing, so the optimum may start them late: keep its value (to the solver's gap)
        # and start each chosen initiative as early as possible
        best = float(coef @ np.round(x))
        bound = (coef, best - max(abs(best), 1.0) * mip_rel_gap)
        early = _solve(m, forced, m.var_start.astype(float), [bound], mip_rel_gap, time_limit, tighten, strengthen,
                       start=np.round(x))
        if early.x is not None and coef @ np.round(early.x) >= best - 1e-9 * max(abs(best), 1.0):
            x = early.x
    return _portfolio(m, x, status, gap, time.perf_counter() - t0, delivered, coef, forced, first_day, penalty,
                      offset, upper)


def marginal_values(items: Sequence[Initiative] | pd.DataFrame, budgets: pd.DataFrame | Mapping,
                    steps: Sequence[float] = (0.10, 0.25), *, base: Portfolio | None = None,
                    lines: Sequence[tuple[str, str]] | None = None, **solve_options) -> pd.DataFrame:
    """What more of each binding budget line would buy, re-solved: for every (fiscal year, line) that binds in the
    ``base`` portfolio (solved here when not given; ``lines`` names them instead, e.g. ``[("FY2028",
    "team:ehr_apps")]``) and every step, the portfolio with that one line raised by the step (0.10 = +10 %).
    One row per line and step: the extra amount, total and delivered score before and after and their gain,
    and the initiatives that enter, leave or start earlier. ``solve_options`` go to ``solve_portfolio``."""
    frame = budget_frame(budgets)
    base = base or solve_portfolio(items, frame, **solve_options)
    if lines is None:
        b = binding_constraints(base)
        lines = list(zip(b["fiscal_year"], b["line"]))
    start = dict(zip(base.schedule["initiative"], base.schedule["start"]))
    rows = []
    for fy, line in lines:
        if fy not in frame.index or line not in frame.columns or not np.isfinite(frame.loc[fy, line]):
            raise UsageError(f"no {line_name(line)} budget in {fy} to raise")
        gained = True
        # largest step first: the optimum cannot fall as a budget line grows, so when the largest raise adds
        # nothing a smaller one adds nothing either and is not re-solved
        for step in sorted(steps, reverse=True):
            if gained:
                more = frame.copy()
                more.loc[fy, line] = frame.loc[fy, line] * (1 + float(step))
                p = solve_portfolio(items, more, **solve_options)
                gained = _objective(p) > _objective(base) + 1e-9 * max(1.0, abs(_objective(base)))
                after = dict(zip(p.schedule["initiative"], p.schedule["start"]))
            else:
                p, after = base, start
            rows.append({"fiscal_year": fy, "line": line, "name": line_name(line), "step": float(step),
                         "budget": float(frame.loc[fy, line]), "extra": float(frame.loc[fy, line] * step),
                         "value_before": base.value, "value_after": p.value, "value_added": p.value - base.value,
                         "delivered_before": base.delivered_value, "delivered_after": p.delivered_value,
                         "delivered_added": p.delivered_value - base.delivered_value,
                         "entering": sorted(set(after) - set(start)), "leaving": sorted(set(start) - set(after)),
                         "earlier": sorted(n for n in set(after) & set(start) if after[n] < start[n])})
    out = pd.DataFrame(rows, columns=["fiscal_year", "line", "name", "step", "budget", "extra", "value_before",
                                      "value_after", "value_added", "delivered_before", "delivered_after",
                                      "delivered_added", "entering", "leaving", "earlier"])
    order = {(fy, line): k for k, (fy, line) in enumerate(lines)}
    return (out.assign(_o=[order[(a, b)] for a, b in zip(out["fiscal_year"], out["line"])])
            .sort_values(["_o", "step"], kind="stable").drop(columns="_o").reset_index(drop=True))


def _objective(p: Portfolio) -> float:
    """What the solver maximized: delivered value less any lateness penalty (delivered value when none)."""
    v = getattr(p, "objective", None)
    return float(p.delivered_value if v is None or v != v else v)


def efficient_frontier(items: Sequence[Initiative] | pd.DataFrame, budgets: pd.DataFrame | Mapping, *,
                       horizon_quarters: int | None = None, scales: Sequence[float] = (0.5, 0.75, 1.0, 1.25, 1.5),
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
        if r not in RESOURCES and r not in new_budgets.columns:
            raise UsageError(f"budget_scale names unknown resource {r!r}; use {', '.join(RESOURCES)} or a team "
                             "(team:network)")
        # staff hours scale every team's hours with them; team:<name> scales that team alone
        for col in [r] + ([c for c in new_budgets.columns if str(c).startswith(TEAM)] if r == "hours" else []):
            new_budgets[col] = new_budgets[col] * factor
    return new_items, new_budgets


def compare_scenarios(items: Sequence[Initiative] | pd.DataFrame, budgets: pd.DataFrame | Mapping,
                      scenarios: Mapping[str, Mapping], *, horizon_quarters: int | None = None, matrix: pd.DataFrame | None = None,
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
