"""The criteria initiatives are scored on: names, direction (benefit or cost) and weights, from criteria.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

from hitplan import config
from hitplan.errors import UsageError

DIRECTIONS = ("benefit", "cost")
WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Criteria:
    """Criteria in matrix-column order: their names, directions ('benefit'/'cost') and weights (summing to 1)."""

    names: tuple[str, ...]
    directions: tuple[str, ...]
    weights: tuple[float, ...]

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
        return Criteria(self.names, self.directions, tuple(float(weights[n]) for n in self.names))


def _check_weights(weights: Mapping[str, float]) -> None:
    negative = [n for n, w in weights.items() if not np.isfinite(w) or w < 0]
    if negative:
        raise UsageError(f"weights must be finite and >= 0: {', '.join(negative)}")
    total = float(sum(weights.values()))
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise UsageError(f"weights must sum to 1 (±{WEIGHT_TOLERANCE:g}) but sum to {total:.6g}")


def _default_text() -> str:
    return resources.files("hitplan.prioritize").joinpath("criteria.yaml").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def known_criteria() -> tuple[str, ...]:
    """The criteria hitplan computes evidence for: those of the shipped criteria.yaml, in its order."""
    return tuple(yaml.safe_load(_default_text())["criteria"])


def load_criteria(path: str | Path | None = None, weights: Mapping[str, float] | None = None, *,
                  known: tuple[str, ...] | None = None) -> Criteria:
    """The criteria in ``path`` (default: the shipped criteria.yaml), optionally with ``weights`` set directly;
    with ``known`` (e.g. ``known_criteria()``, those the store has evidence for) any other name is refused."""
    where = f"criteria file {path}" if path is not None else "criteria.yaml"
    doc = config.read_yaml(path, "criteria file") if path is not None else yaml.safe_load(_default_text())
    spec = doc.get("criteria") if isinstance(doc, dict) else None
    if not isinstance(spec, dict) or not spec:
        raise UsageError(f"{where}: expected a 'criteria' mapping of name -> direction and weight; start from "
                         "hitplan/prioritize/criteria.yaml")
    unknown = [str(n) for n in spec if known is not None and n not in known]
    if unknown:
        raise UsageError(f"{where}: unknown criterion {unknown[0]!r}; use {', '.join(known)}")
    for name, v in spec.items():
        if not isinstance(v, dict) or "direction" not in v or "weight" not in v:
            raise UsageError(f"{where}: criterion {name} needs a direction (benefit or cost) and a weight")
        if isinstance(v["weight"], bool) or not isinstance(v["weight"], (int, float)):
            raise UsageError(f"{where}: {name}.weight {v['weight']!r} is not a number; give a weight like 0.15 "
                             "(the weights summing to 1)")
    try:
        crit = Criteria(tuple(spec), tuple(v["direction"] for v in spec.values()),
                        tuple(float(v["weight"]) for v in spec.values()))
    except UsageError as err:
        raise UsageError(f"{where}: {err}") from None
    return crit.with_weights(weights) if weights is not None else crit
