"""Where hitplan keeps its files: the one place that declares paths and environment variables."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

from hitplan.errors import UsageError

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


# A size DuckDB understands, and nothing else: the value goes into the connection's settings.
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)", re.IGNORECASE)


def memory_limit() -> str:
    """DuckDB's memory limit for heavy steps ($HITPLAN_MEMORY_LIMIT, default 1GB), as a number and a unit."""
    text = os.environ.get(ENV_MEMORY, DEFAULT_MEMORY_LIMIT)
    m = _MEMORY.fullmatch(text.strip())
    if not m or float(m.group(1)) <= 0 or (m.group(2) == "%" and float(m.group(1)) > 100):
        raise UsageError(f"${ENV_MEMORY} {text!r} is not a memory size; set it to a number and a unit, "
                         "e.g. 2GB, 512MiB or 50% (of the machine's memory)")
    return f"{m.group(1)}{m.group(2)}"


def share_group() -> str | None:
    """A group to grant read access to the store and reports ($HITPLAN_SHARE_GROUP), if any."""
    return os.environ.get(ENV_GROUP) or None


def lock_wait() -> float:
    """Seconds to wait for the store when another process holds it ($HITPLAN_LOCK_WAIT, default 120)."""
    text = os.environ.get(ENV_LOCK_WAIT)
    if text is None or not text.strip():
        return DEFAULT_LOCK_WAIT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"${ENV_LOCK_WAIT} {text!r} is not a number of seconds; set it to 0 or more, e.g. 120")
    return value


def load_yaml(text: str) -> Any:
    """A YAML document, parsed safely with libyaml when PyYAML has it (ten times faster: every notebook kernel reads
    the shipped settings, KPI definitions and model docs), else with PyYAML's Python parser."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def read_yaml(path: str | Path, what: str) -> Any:
    """The YAML document in a user's settings file, refused in one line (naming the file and the fix) when it
    cannot be read, is not valid YAML or holds NaN or an infinite number anywhere."""
    import yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"cannot read {what} {path}: no such file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read {what} {path}: {reason}; check the path and the file") from None
    try:
        spec = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f"{what} {path}: not valid YAML ({where}{problem}); fix the syntax") from None
    refuse_non_finite(spec, f"{what} {path}")
    return spec


def refuse_non_finite(spec: Any, where: str, _key: str = "") -> None:
    """Raise a UsageError naming the key of the first NaN or infinite number in a settings document."""
    if isinstance(spec, float) and not math.isfinite(spec):
        raise UsageError(f"{where}: {_key or 'the value'} is {spec}; give a finite number")
    if isinstance(spec, dict):
        for k, v in spec.items():
            refuse_non_finite(v, where, f"{_key}.{k}" if _key else str(k))
    elif isinstance(spec, (list, tuple)):
        for i, v in enumerate(spec):
            refuse_non_finite(v, where, f"{_key}[{i}]")
