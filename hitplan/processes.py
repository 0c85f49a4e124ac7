"""Facts about other processes that cleanup needs: whether the process that left a file behind still runs."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is running (another user's process counts as running: not ours to clean up after)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
