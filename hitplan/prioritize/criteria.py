"""The criteria initiatives are scored on: names, direction (benefit or cost) and weights, from the settings'
``criteria`` section (shipped: criteria.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from hitplan import config
from hitplan.errors import UsageError
from hitplan.settings import Settings, criteria_document
from hitplan.settings import shipped as shipped_settings

DIRECTIONS = ("benefit", "cost")
WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Criteria:
    """Criteria in matrix-column order: their names, directions ('benefit'/'cost') and weights (summing to 1).

    ``cost_weighted`` False (the default): a ranking scores benefit only (``benefit_criteria``: cost criteria and
    the cost side of NPV left out, the budgets carry cost); True: every criterion as weighted, cost included
    (``hitplan score --cost-weighted``)."""

    names: tuple[str, ...]
    directions: tuple[str, ...]
    weights: tuple[float, ...]
    cost_weighted: bool = False

    def __post_init__(self) -> None:
        if not (len(self.names) == len(self.directions) == len(self.weights)):
            raise UsageError("criteria names, directions and weights must have the same length")
        if len(set(self.names)) != len(self.names):
            raise UsageError(f"criteria names repeat: {', '.join(self.names)}")
        bad = [f"{n}={d!r}" for n, d in zip(self.names, self.directions) if d not in DIRECTIONS]
        if bad:
            raise UsageError(f"criterion direction must be 'benefit' or 'cost': {', '.join(bad)}")
        _check_weights(dict(zip(self.names, self.weights)))

    @property
    def weight_array(self) -> np.ndarray:
        """The weights as a float array in column order."""
        return np.asarray(self.weights, dtype=float)

    @property
    def is_cost(self) -> np.ndarray:
        """True for each criterion where less is better."""
        return np.array([d == "cost" for d in self.directions])

    def with_weights(self, weights: Mapping[str, float]) -> Criteria:
        """The same criteria with ``weights`` (one per criterion, summing to 1) set directly."""
        unknown = sorted(set(weights) - set(self.names))
        missing = [n for n in self.names if n not in weights]
        if unknown or missing:
            raise UsageError(f"weights must name each criterion once: unknown {unknown}, missing {missing}")
        return Criteria(self.names, self.directions, tuple(float(weights[n]) for n in self.names), self.cost_weighted)

    def weighing_cost(self, on: bool = True) -> Criteria:
        """The same criteria, scored with cost as a weighted criterion (``on``) or on benefit only."""
        return Criteria(self.names, self.directions, self.weights, bool(on))


# The evidence's financial criterion net of cost (savings + avoided downtime - opex - capex) and its benefit side
# alone (present values of savings + avoided downtime), which replaces it when cost is counted by the budgets.
FINANCIAL_NET = "financial_npv"
FINANCIAL_BENEFIT = "financial_benefit"


def benefit_criteria(criteria: Criteria, columns) -> tuple[Criteria, str]:
    """(the criteria a benefit score uses, a note saying so): cost criteria left out, ``financial_npv`` replaced
    by ``financial_benefit`` when ``columns`` (the evidence's) has it, the other weights rescaled to sum to 1."""
    keep = [j for j, d in enumerate(criteria.directions) if d != "cost"]
    dropped = [f"{criteria.names[j]} {criteria.weights[j]:.3g}" for j in range(len(criteria.names)) if j not in keep]
    total = float(sum(criteria.weights[j] for j in keep))
    if total <= 0:
        raise UsageError("every weight is on cost criteria: a benefit score needs weight on some benefit "
                         "criterion (or rank with cost weighted: --cost-weighted)")
    has_benefit = FINANCIAL_BENEFIT in set(columns)
    names = tuple(FINANCIAL_BENEFIT if criteria.names[j] == FINANCIAL_NET and has_benefit else criteria.names[j]
                  for j in keep)
    weights = tuple(criteria.weights[j] / total for j in keep)
    out = Criteria(names, tuple(criteria.directions[j] for j in keep), weights, False)
    parts = ["benefit score, cost counted once (by the budgets and shown beside the score, not weighted)"]
    if dropped:
        parts.append(f"left out: {', '.join(dropped)}")
    if FINANCIAL_NET in criteria.names:
        parts.append(f"{FINANCIAL_NET} -> {FINANCIAL_BENEFIT} (present value of savings and avoided downtime, "
                     "without capex and opex)" if has_benefit else
                     f"the evidence has no {FINANCIAL_BENEFIT}: {FINANCIAL_NET} (net of capex and opex) stands in, "
                     "so cost still counts inside it")
    if dropped:
        parts.append(f"the other weights renormalized to sum to 1 (each / {total:.3g}): "
                     + ", ".join(f"{n} {w:.3f}" for n, w in zip(names, weights)))
    return out, "; ".join(parts)


def scoring_criteria(criteria: Criteria, columns) -> tuple[Criteria, str]:
    """(the criteria a ranking scores with, a note): ``benefit_criteria`` unless ``criteria.cost_weighted``."""
    if criteria.cost_weighted:
        cost = [f"{n} {w:.3g}" for n, d, w in zip(criteria.names, criteria.directions, criteria.weights)
                if d == "cost"]
        return criteria, ("cost-weighted ranking, as asked: " + (f"{', '.join(cost)} weighted" if cost else
                          "no cost criterion") + f", {FINANCIAL_NET} net of cost; with budgets cost counted twice "
                          "(as a criterion and again by the budgets)")
    return benefit_criteria(criteria, columns)


def _check_weights(weights: Mapping[str, float]) -> None:
    negative = [n for n, w in weights.items() if not np.isfinite(w) or w < 0]
    if negative:
        raise UsageError(f"weights must be finite and >= 0: {', '.join(negative)}")
    total = float(sum(weights.values()))
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise UsageError(f"weights must sum to 1 (±{WEIGHT_TOLERANCE:g}) but sum to {total:.6g}")


@lru_cache(maxsize=1)
def known_criteria() -> tuple[str, ...]:
    """The criteria hitplan computes evidence for: those of the shipped criteria (criteria.yaml), in its order."""
    return tuple(shipped_settings()["criteria"])


def _criteria(spec: Mapping[str, Mapping], where: str) -> Criteria:
    try:
        return Criteria(tuple(spec), tuple(str(v["direction"]) for v in spec.values()),
                        tuple(float(v["weight"]) for v in spec.values()))
    except UsageError as err:
        raise UsageError(f"{where}: {err}") from None


def criteria_from_settings(settings: Settings) -> Criteria:
    """The criteria, directions and weights of the settings' ``criteria`` section (the shipped criteria.yaml, a
    settings file's figures over it, or a --weights file), checked: weights summing to 1, known directions."""
    spec = {name: settings.group("criteria", name) for name in settings.groups("criteria")}
    where = ", ".join(sorted({settings.source("criteria", n, k) for n in spec for k in ("direction", "weight")
                              if not settings.is_shipped("criteria", n)})) or "criteria.yaml"
    return _criteria(spec, where)


def load_criteria(path: str | Path | None = None, weights: Mapping[str, float] | None = None, *,
                  known: tuple[str, ...] | None = None) -> Criteria:
    """The criteria in ``path`` (default: the shipped criteria.yaml), optionally with ``weights`` set directly;
    with ``known`` (e.g. ``known_criteria()``, those the store has evidence for) any other name is refused."""
    if path is None:
        spec = {n: {k: f.value for k, f in figs.items()} for n, figs in shipped_settings()["criteria"].items()}
        where = "criteria.yaml"
    else:
        where = f"criteria file {path}"
        spec = criteria_document(config.read_yaml(path, "criteria file"), where, known)
    crit = _criteria(spec, where)
    return crit.with_weights(weights) if weights is not None else crit
