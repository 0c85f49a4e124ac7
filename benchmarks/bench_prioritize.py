"""Benchmark: the prioritization core against simple baselines, in one run.

  portfolio   500 initiatives x 20 quarters (5 fiscal years) with dependencies, exclusions and mandatory items,
              solved by HiGHS (scipy.optimize.milp) at its default relative gap 1e-4, for the value-only objective
              and for the delivered-value objective (discounted by start quarter, a fifth of the items urgent),
              each with the plain formulation (before: every start variable, unscaled budget rows) and the
              tightened one (after: impossible starts pruned, selection columns, budget rows as shares);
              baseline for the value: greedy by value / cost, each initiative at its earliest feasible start.
  smaa        rank acceptability of 500 initiatives over 10,000 Dirichlet weight samples (8 criteria);
              baseline: a plain Python loop (score, sort, count) on a subset of samples, scaled per sample.
Targets (issue 5): portfolio < 5 s at proven optimality, rank acceptability < 2 s. Each MILP solve is capped by
--time-limit; the status and relative gap say whether optimality was proven.

    .venv/bin/python benchmarks/bench_prioritize.py [--seed 0] [--items 500] [--samples 10000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dataclasses import replace

from hitplan.prioritize import Initiative, load_criteria, rank_acceptability, solve_portfolio, weight_samples
from hitplan.prioritize.portfolio import QUARTERS_PER_YEAR, Discount, load_discount, quarterly_usage

HORIZON = 20
YEARS = [f"FY{2027 + y}" for y in range(HORIZON // QUARTERS_PER_YEAR)]


def synthetic_initiatives(n: int, rng: np.random.Generator) -> list[Initiative]:
    """``n`` candidates with lognormal capex (dollars), opex ~15 % of capex per year, hours, deps and exclusions."""
    capex = np.round(rng.lognormal(np.log(300_000), 0.9, n), -3)
    items = []
    for k in range(n):
        deps = tuple(f"I{d:03d}" for d in rng.choice(k, size=min(k, rng.integers(1, 3)), replace=False)) \
            if k and rng.random() < 0.2 else ()
        excl = (f"I{k - 1:03d}",) if k and rng.random() < 0.03 else ()
        items.append(Initiative(
            name=f"I{k:03d}", value=float(np.round(rng.gamma(2.0, 1.0) * (capex[k] / 300_000) ** 0.6, 3)),
            duration=int(rng.integers(1, 7)), capex=float(capex[k]),
            opex=float(np.round(capex[k] * rng.uniform(0.05, 0.25), -2)), hours=float(rng.integers(200, 5000)),
            earliest_start=int(rng.integers(0, 8)) if rng.random() < 0.3 else 0,
            mandatory=bool(rng.random() < 0.02 and not deps and not excl), depends_on=deps, excludes=excl))
    # urgency from its own stream, so the rest of the instance is the one earlier runs measured
    urgent = np.random.default_rng(rng.integers(2**32))
    return [replace(i, urgency=float(np.round(urgent.uniform(0.5, 1.0), 2)) if urgent.random() < 0.2 else 0.0)
            for i in items]


def budgets_for(items: list[Initiative]) -> dict[str, dict[str, float]]:
    """Yearly budgets covering about 40 % of the candidates' average yearly demand, so they bind."""
    years = len(YEARS)
    return {y: {"capex": 0.4 * sum(i.capex for i in items) / years,
                "opex": 0.4 * sum(i.opex for i in items) / 2,
                "hours": 0.4 * sum(i.hours for i in items) / years} for y in YEARS}


def greedy_value(items: list[Initiative], budgets: dict) -> float:
    """Baseline: mandatory first, then by value per dollar (capex + opex), each at its earliest feasible start."""
    caps = np.array([[budgets[y][r] for y in YEARS] for r in ("capex", "opex", "hours")])
    used = np.zeros_like(caps)
    to_year = np.zeros((HORIZON, len(YEARS)))
    to_year[np.arange(HORIZON), np.arange(HORIZON) // QUARTERS_PER_YEAR] = 1.0
    finish: dict[str, int] = {}
    order = sorted(items, key=lambda i: (not i.mandatory, -i.value / (i.capex + i.opex + 1.0)))
    for it in order:
        if any(d not in finish for d in it.depends_on) or any(e in finish for e in it.excludes):
            continue
        first = max([it.earliest_start] + [finish[d] + 1 for d in it.depends_on])
        for s in range(first, HORIZON - it.duration + 1):
            u = quarterly_usage(it, s, HORIZON)
            add = np.array([u["capex"], u["opex"], u["hours"]]) @ to_year
            if (used + add <= caps + 1e-6).all():
                used += add
                finish[it.name] = s + it.duration - 1
                break
    return sum(i.value for i in items if i.name in finish)


def bench_portfolio(n: int, seed: int, time_limit: float) -> list[tuple[str, str, str]]:
    """Rows of the report for the portfolio solves (plain and tightened formulation) and the greedy baseline."""
    rng = np.random.default_rng(seed)
    items = synthetic_initiatives(n, rng)
    budgets = budgets_for(items)
    n_deps = sum(len(i.depends_on) for i in items)
    rows = [("instance", f"{n} initiatives x {HORIZON} quarters", f"{n_deps} dependencies, "
             f"{sum(len(i.excludes) for i in items)} exclusions, {sum(i.mandatory for i in items)} mandatory, "
             f"{sum(i.urgency > 0 for i in items)} urgent")]
    value_only = None
    for label, disc in (("value only", Discount(0.0, 0.0)), ("delivered value", load_discount())):
        runs = {}
        for tighten in (False, True):
            t0 = time.perf_counter()
            p = solve_portfolio(items, budgets, horizon_quarters=HORIZON, discount=disc, prefer_early=False,
                                mip_rel_gap=1e-4, time_limit=time_limit, tighten=tighten)
            runs[tighten] = (time.perf_counter() - t0, p)
        for tighten, name in ((False, "plain (before)"), (True, "tightened (after)")):
            t, p = runs[tighten]
            rows.append((f"MILP {label}, {name}", f"{t:.2f} s",
                         f"status {p.status}, gap {p.mip_gap:.2e}, objective {p.delivered_value:.3f}, "
                         f"{len(p.chosen)} chosen"))
        (t0_, p0), (t1_, p1) = runs[False], runs[True]
        rows.append((f"  after / before", f"{t1_ / t0_:.2f}x time",
                     f"gap {p1.mip_gap / max(p0.mip_gap, 1e-12):.2f}x  [target: proven optimal (gap <= 1e-4) "
                     f"< 5 s; limit {time_limit:g} s per solve]"))
        value_only = value_only or p1
    t0 = time.perf_counter()
    g = greedy_value(items, budgets)
    t_greedy = time.perf_counter() - t0
    rows.append(("greedy value/cost", f"{t_greedy:.2f} s",
                 f"value {g:.3f} = {100 * g / value_only.value:.1f} % of the value-only MILP"))
    return rows


def bench_smaa(n: int, samples: int, seed: int, subset: int = 200) -> list[tuple[str, str, str]]:
    """Rows of the report for vectorized rank acceptability and the Python-loop baseline."""
    rng = np.random.default_rng(seed)
    crit = load_criteria()
    z = rng.random((n, len(crit.names)))
    t0 = time.perf_counter()
    s = weight_samples(crit.weight_array, samples, 0.1, rng)
    ra = rank_acceptability(z, s)
    t_vec = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = np.zeros((n, n))
    rows = z.tolist()
    for w in s[:subset].tolist():
        scores = [sum(a * b for a, b in zip(w, row)) for row in rows]
        for r, i in enumerate(sorted(range(n), key=lambda i: -scores[i])):
            counts[i, r] += 1
    t_loop = (time.perf_counter() - t0) / subset * samples
    assert np.allclose(counts / subset, rank_acceptability(z, s[:subset]))
    return [
        ("rank acceptability", f"{t_vec:.2f} s", f"{samples:,} samples x {n} initiatives (incl. sampling); "
         f"rows sum to {ra.sum(axis=1).mean():.3f}  [target < 2 s]"),
        ("Python loop baseline", f"{t_loop:.1f} s", f"extrapolated from {subset} samples: "
         f"{t_loop / t_vec:.0f}x slower"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--time-limit", type=float, default=5.0, help="seconds per MILP solve (default 5, the target)")
    args = ap.parse_args()
    rows = bench_portfolio(args.items, args.seed, args.time_limit) + bench_smaa(args.items, args.samples, args.seed)
    width = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    for name, time_text, detail in rows:
        print(f"{name:<{width[0]}}  {time_text:>{width[1]}}  {detail}")


if __name__ == "__main__":
    main()
