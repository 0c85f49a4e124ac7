"""Where hitplan keeps its files: the one place that declares paths and environment variables."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

ENV_HOME = "HITPLAN_HOME"
ENV_STORE = "HITPLAN_STORE"
ENV_KEY = "HITPLAN_PSEUDONYM_KEY"
ENV_KEY_FILE = "HITPLAN_KEY_FILE"
ENV_GROUP = "HITPLAN_SHARE_GROUP"
ENV_MEMORY = "HITPLAN_MEMORY_LIMIT"
ENV_LOCK_WAIT = "HITPLAN_LOCK_WAIT"
ENV_FAULT = "HITPLAN_FAULT"  # tests only: a named fault point where the run dies (hitplan/faults.py)

# How long opening the store waits for another process's hold (a snapshot copy, a load) before giving up.
DEFAULT_LOCK_WAIT = 120.0

# DuckDB's own working memory; with spilling to disk this keeps ingest at scale 100 under 2 GB RSS.
DEFAULT_MEMORY_LIMIT = "1GB"


def project_dir() -> Path:
    """The project folder: $HITPLAN_HOME, else the checkout the package runs from, else the cwd."""
    if os.environ.get(ENV_HOME):
        return Path(os.environ[ENV_HOME]).expanduser().resolve()
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout
    return Path.cwd()


def default_store() -> Path:
    """The store path: $HITPLAN_STORE, else data/hitplan.duckdb in the project folder."""
    if os.environ.get(ENV_STORE):
        return Path(os.environ[ENV_STORE]).expanduser()
    return project_dir() / "data" / "hitplan.duckdb"


def demo_dir() -> Path:
    """Where `hitplan demo` writes the synthetic hospital's export files."""
    return project_dir() / "data" / "demo"


def notebooks_dir() -> Path:
    """The report notebooks: notebooks/ in the project folder."""
    return project_dir() / "notebooks"


def reports_dir() -> Path:
    """Where `hitplan report` writes its folders: reports/ in the project folder."""
    return project_dir() / "reports"


def key_file() -> Path:
    """The pseudonymization key file: $HITPLAN_KEY_FILE, else ~/.config/hitplan/pseudonym.key."""
    if os.environ.get(ENV_KEY_FILE):
        return Path(os.environ[ENV_KEY_FILE]).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "hitplan" / "pseudonym.key"


def memory_limit() -> str:
    """DuckDB's memory limit for heavy steps ($HITPLAN_MEMORY_LIMIT, default 1GB)."""
    return os.environ.get(ENV_MEMORY, DEFAULT_MEMORY_LIMIT)


def share_group() -> str | None:
    """A group to grant read access to the store and reports ($HITPLAN_SHARE_GROUP), if any."""
    return os.environ.get(ENV_GROUP) or None


def lock_wait() -> float:
    """Seconds to wait for the store when another process holds it ($HITPLAN_LOCK_WAIT, default 120)."""
    try:
        return max(0.0, float(os.environ.get(ENV_LOCK_WAIT, DEFAULT_LOCK_WAIT)))
    except ValueError:
        return DEFAULT_LOCK_WAIT
