"""The criteria initiatives are scored on: names, direction (benefit or cost) and weights, from criteria.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

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


def load_criteria(path: str | Path | None = None, weights: Mapping[str, float] | None = None) -> Criteria:
    """The criteria in ``path`` (default: the shipped criteria.yaml), optionally with ``weights`` set directly."""
    text = Path(path).read_text(encoding="utf-8") if path is not None else _default_text()
    spec = (yaml.safe_load(text) or {}).get("criteria")
    if not isinstance(spec, dict) or not spec:
        raise UsageError(f"{path or 'criteria.yaml'}: expected a 'criteria' mapping of name -> direction, weight")
    try:
        crit = Criteria(tuple(spec), tuple(v["direction"] for v in spec.values()),
                        tuple(float(v["weight"]) for v in spec.values()))
    except (KeyError, TypeError) as err:
        raise UsageError(f"{path or 'criteria.yaml'}: each criterion needs a direction and a weight ({err})") from err
    return crit.with_weights(weights) if weights is not None else crit
