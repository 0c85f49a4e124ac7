"""Where hitplan keeps its files: the one place that declares paths and environment variables."""

from __future__ import annotations

import grp
import math
import os
import re
import stat
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


# Every file hitplan writes gets one of these two sets of modes (the key file excepted: it stays owner-only).
OWNER_ONLY = {"file": 0o600, "folder": 0o700}
GROUP_READ = {"file": 0o640, "folder": 0o750}


def share_gid() -> int | None:
    """The id of the group $HITPLAN_SHARE_GROUP names, or None when it is unset; a UsageError when there is no such
    group."""
    group = share_group()
    if group is None:
        return None
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise UsageError(f"${ENV_GROUP}={group}: no such group; create it, or unset ${ENV_GROUP} to keep hitplan's "
                         "files readable by you only") from None


def restrict_mode(path: str | Path, gid: int | None) -> None:
    """Give a file or folder hitplan wrote its mode: readable by its owner only (0600, folders 0700), or with ``gid``
    (share_gid()) also by that group (0640, folders 0750, owned by the group). What is already right is left alone
    (a report pack's kept files share their inodes with the earlier pack); a symbolic link is followed, as chmod does."""
    st = os.stat(path)
    modes = OWNER_ONLY if gid is None else GROUP_READ
    want = modes["folder"] if stat.S_ISDIR(st.st_mode) else modes["file"]
    try:
        if gid is not None and st.st_gid != gid:
            os.chown(path, -1, gid)
        if stat.S_IMODE(st.st_mode) != want:
            os.chmod(path, want)
    except PermissionError as exc:
        raise UsageError(f"${ENV_GROUP}={share_group()}: cannot give {path} to that group ({exc.strerror}); add "
                         f"your user to the group, or unset ${ENV_GROUP}") from None


def restrict_tree(folder: str | Path) -> None:
    """restrict_mode() on a folder hitplan wrote and everything in it, for $HITPLAN_SHARE_GROUP; symbolic links inside
    are left alone (chmod would follow them out of the folder)."""
    gid = share_gid()
    folder = Path(folder)
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            restrict_mode(path, gid)


def make_folders(folder: str | Path) -> None:
    """Create a folder and its missing parents, each with restrict_mode()'s mode (so that $HITPLAN_SHARE_GROUP can
    reach the store and the reports inside); folders that exist are left as they are."""
    gid = share_gid()
    folder = Path(folder)
    missing = []
    while not folder.exists() and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process: not ours to change
            continue
        restrict_mode(path, gid)


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
