"""How many examples a property test tries: its own number in the suite, twenty times that when exploring
(`HYPOTHESIS_PROFILE=explore`, fresh random examples; see conftest.py)."""

from __future__ import annotations

import os


def examples(n: int) -> int:
    return n * 20 if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else n
