"""Named fault points for fault-injection tests: ``$HITPLAN_FAULT`` names where a run dies, as a kill -9 would.

``HITPLAN_FAULT=ingest.after_insert`` makes the first ``fault("ingest.after_insert")`` reached kill its own
process with SIGKILL (no cleanup, no ``finally``), exactly like a power cut or the OOM killer; a ``:raise``
suffix raises an exception there instead, to test the failure path. Unset (always, outside tests) it costs
one dictionary lookup. Each point is named after the step that has just happened.
"""

from __future__ import annotations

import os
import signal

from hitplan.config import ENV_FAULT


class InjectedFault(RuntimeError):
    """Raised at a fault point named with ``:raise``."""


def fault(point: str) -> None:
    """Die here (SIGKILL) or raise, when ``$HITPLAN_FAULT`` names this point; otherwise do nothing."""
    spec = os.environ.get(ENV_FAULT)
    if not spec:
        return
    for item in spec.split(","):
        name, _, action = item.strip().partition(":")
        if name == point:
            if action == "raise":
                raise InjectedFault(f"injected fault at {point}")
            os.kill(os.getpid(), signal.SIGKILL)
