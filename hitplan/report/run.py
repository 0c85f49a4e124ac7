"""`hitplan report`: run the notebooks with papermill in parallel processes and write ``reports/<period>/`` atomically.

A run works on a snapshot of the store (so it never blocks an analyst or the next load), builds the whole pack in a
hidden folder beside the target, and swaps it in only when every requested part succeeded: a failed or killed run
leaves the previous report as it was. A lock file stops two runs writing the same folder.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from hitplan import __version__, config
from hitplan.errors import ChromeMissing, ReportBusyError, ReportError, UsageError
from hitplan.faults import fault

FORMATS = ("html", "pdf", "pptx")
BOARD_PACK = "board_pack"
BOARD_FILES = ("board_pack.pdf", "board_deck.pptx")  # made from the board pack (PDF) or beside it (deck)
Progress = Callable[[str], None]
Names = Callable[[str], list[str]]  # the register's names found in a text (hitplan.report.leaks)
# Parameters the runner sets itself, and the option that sets each: through --param they would make the notebooks
# read another store or period than the manifest records.
RUNNER_PARAMETERS = {"store": "--store (or $HITPLAN_STORE)", "period": "--period", "start": "--start",
                     "end": "--end", "as_of": "--as-of", "deck_file": "--formats pptx (the deck goes in the pack)"}
PATH_PARAMETERS = ("settings", "kpi_config", "weights", "budget")  # files the notebooks read from their own folder's cwd


def notebook_key(path: Path) -> str:
    """The short name of a report notebook: ``01_support.ipynb`` -> ``support``."""
    return re.sub(r"^\d+_", "", path.stem)


def available_notebooks(folder: Path | None = None) -> list[Path]:
    """The report notebooks in run order."""
    folder = Path(folder or config.notebooks_dir())
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def select_notebooks(only: list[str] | None, folder: Path | None = None) -> list[Path]:
    """The notebooks named in ``only`` (short names or file stems), or all of them."""
    found = available_notebooks(folder)
    if not found:
        raise UsageError(f"no notebooks in {folder or config.notebooks_dir()}")
    if not only:
        return found
    by_name = {notebook_key(p): p for p in found} | {p.stem: p for p in found}
    unknown = [n for n in only if n not in by_name]
    if unknown:
        raise UsageError(f"unknown report {', '.join(unknown)}; reports: {', '.join(notebook_key(p) for p in found)}")
    chosen = {by_name[n] for n in only}
    return [p for p in found if p in chosen]


def declared_parameters(path: Path) -> dict[str, dict]:
    """The parameters a notebook's ``parameters`` cell declares, with their defaults (papermill's inspection)."""
    import papermill

    return dict(papermill.inspect_notebook(str(path)))


def checked_parameters(params: dict | None) -> dict:
    """The extra notebook parameters with file paths made absolute; UsageError for one the runner sets itself."""
    extra = dict(params or {})
    for name, option in RUNNER_PARAMETERS.items():
        if name in extra:
            raise UsageError(f"--param {name} is set by the report runner (and recorded in the manifest); use "
                             f"{option} instead")
    for name in PATH_PARAMETERS:  # the notebooks run in notebooks/, so a path relative to here would miss
        if isinstance(extra.get(name), (str, Path)) and str(extra[name]):
            extra[name] = str(Path(extra[name]).expanduser().resolve())
    return extra


def check_parameters(notebooks: list[Path], params: dict) -> None:
    """Refuse parameters a notebook does not declare (papermill would only warn and run with the default)."""
    for nb in notebooks:
        declared = declared_parameters(nb)
        unknown = sorted(set(params) - set(declared))
        if unknown:
            raise UsageError(f"unknown parameter {', '.join(unknown)} for {nb.name}; it declares: "
                             f"{', '.join(declared) or 'none'}")


def folder_name(label: str) -> str:
    """A report folder name for a period label: ``FY2027Q1``, ``2026-07-01_to_2026-09-30``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label.replace(" to ", "_to_")).strip("_")


@dataclass
class ReportResult:
    """What a run wrote and how long each part took."""

    folder: Path
    manifest: dict
    warnings: list[str] = field(default_factory=list)


def _quiet_worker(log: str) -> None:
    """Send a worker's stderr (and so its kernels' start-up chatter) to the run's log file, not the terminal."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)
    os.close(fd)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _watch_parent(parent: int) -> None:
    """Exit this process as soon as ``parent`` is gone (where the kernel cannot do it for us)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _die_with_parent(parent: int) -> None:
    """Make this worker die when the run's process does, even by kill -9, so that it never writes on alone.

    Its Jupyter kernels follow by themselves: jupyter_client starts them with ``JPY_PARENT_PID`` and ipykernel
    exits within a second once its parent (this worker) is gone.
    """
    armed = False
    try:
        import ctypes

        armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux: no prctl
        pass
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), name="hitplan-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the run died before the signal was armed
        os._exit(1)


def _worker_start(log: str, parent: int) -> None:
    """Set up a worker process: it dies with the run, creates owner-only files, and logs to the run's log."""
    _die_with_parent(parent)
    os.umask(0o077)
    _quiet_worker(log)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def _execute(job: dict) -> dict:
    """Run one notebook with papermill and export it to HTML (in a worker process; never raises)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from hitplan.report.export import notebook_html, stderr_text

    src, out_dir = Path(job["source"]), Path(job["out_dir"])
    executed = out_dir / "notebooks" / src.name
    started = time.perf_counter()
    result = {"name": notebook_key(src), "source": src.name, "notebook": f"notebooks/{src.name}",
              "html": f"{notebook_key(src)}.html", "warnings": [], "error": None}
    try:
        papermill.execute_notebook(str(src), str(executed), parameters=job["parameters"], kernel_name="python3",
                                   execution_timeout=job["timeout"], progress_bar=False, log_output=False,
                                   cwd=str(src.parent))
        fault("report.worker.after_execute")
        import nbformat

        result["warnings"] = stderr_text(nbformat.read(executed, as_version=4))
        result["title"] = notebook_html(executed, out_dir / result["html"], hospital=job["hospital"],
                                        period=job["period"], fingerprint=job["fingerprint"])
    except PapermillExecutionError as exc:
        result["error"] = f"{src.name}, cell {exc.exec_count}: {exc.ename}: {str(exc.evalue).splitlines()[0][:300]}"
    except Exception as exc:  # noqa: BLE001 - a timeout, a dead kernel, a bad export: reported, never half-written
        result["error"] = f"{src.name}: {type(exc).__name__}: {_first_line(exc)}"
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _side_task(name: str, label: str, work: Callable[[], object]) -> dict:
    """Run the PDF's ``work`` (in a worker process; never raises: a failure is the result's error)."""
    started = time.perf_counter()
    result = {"name": name, "error": None}
    try:
        work()
    except Exception as exc:  # noqa: BLE001 - reported as this part's failure
        result["error"] = f"{label}: {type(exc).__name__}: {_first_line(exc)}"
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _pdf(job: dict) -> dict:
    """Print the board pack's HTML to PDF with headless Chrome."""
    def work():
        from hitplan.report.export import html_to_pdf

        out = Path(job["out_dir"])
        html_to_pdf(out / f"{BOARD_PACK}.html", out / f"{BOARD_PACK}.pdf", Path(job["chrome"]))

    return _side_task("pdf", "PDF", work)


# seconds a notebook takes on the demo hospital (measured), for ordering the runs longest first
_COSTS = {BOARD_PACK: 30, "prioritization": 15, "support": 12, "infrastructure": 9}


def _expected_cost(path: Path) -> float:
    return -_COSTS.get(notebook_key(path), 6)


@contextmanager
def _private_files() -> Iterator[None]:
    """Create every file and folder owner-only from the start, so that no part of a report is readable by others while
    it is written or after a kill (the run's workers and their kernels inherit the umask)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


@contextmanager
def _folder_lock(base: Path, name: str) -> Iterator[None]:
    lock = base / f".{name}.lock"
    fh = lock.open("a")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ReportBusyError(f"another `hitplan report` is writing {base / name}; wait for it to finish") from exc
        yield
    finally:
        fh.close()  # closing releases the lock, also when the process is killed


# What killed or failed runs leave beside a report folder: .<name>.building-<pid>, .previous-<pid> and .failed
_LEFTOVER = re.compile(r"\.(.+)\.(?:building-\d+|previous-\d+|failed)")


def _recover(base: Path, name: str) -> None:
    """Put back a previous report a killed swap left aside, and remove what killed or failed runs left (we hold the
    lock, so each of those folders is older than this run)."""
    final = base / name
    previous = sorted(base.glob(f".{name}.previous-*"), key=lambda p: p.stat().st_mtime)
    if not final.exists() and previous:
        previous.pop().rename(final)
        fault("report.recover.after_restore")
    for stale in [*previous, *base.glob(f".{name}.building-*"), base / f".{name}.failed"]:
        shutil.rmtree(stale, ignore_errors=True)


def _recover_others(base: Path, name: str) -> None:
    """Recover the other report folders in ``base`` that killed or failed runs left folders beside, each whose lock
    is free."""
    for other in sorted({m.group(1) for p in base.iterdir() if (m := _LEFTOVER.fullmatch(p.name))} - {name}):
        try:
            with _folder_lock(base, other):
                _recover(base, other)
        except ReportBusyError:
            continue  # a run of that period is writing: its folders are not stale


def _restrict(folder: Path) -> None:
    """Owner-only (and the chosen group's read) permissions on a report folder and everything in it; what is already
    right is left alone, since the files kept from an earlier pack share their inodes with it."""
    config.restrict_tree(folder)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("duckdb", "pandas", "plotly", "papermill", "nbconvert", "kaleido", "python-pptx", "scikit-learn"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


_ENTRY_KEYS = {"name": str, "source": str, "title": str, "html": str, "notebook": str, "seconds": (int, float)}


def _earlier_manifest(final: Path) -> dict:
    """The manifest of the pack a ``--only`` run updates; ReportError when it cannot be read, since the run could not
    tell which reports to keep."""
    path = final / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest.get("notebooks") if isinstance(manifest, dict) else None
        if not isinstance(entries, list) or not all(
                isinstance(e, dict) and all(isinstance(e.get(k), t) for k, t in _ENTRY_KEYS.items()) for e in entries):
            raise ValueError("it has no list of reports with their files")
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path} cannot be read ({_first_line(exc)}), so --only cannot tell which reports to keep; "
                          "run without --only to remake the whole pack") from exc
    return manifest


def _run_record(manifest: dict) -> dict:
    """Which run wrote a part of a pack: when, with which hitplan, for which period and parameters, from which store."""
    return {k: manifest.get(k) for k in ("generated_at", "hitplan_version", "period", "parameters", "store")}


def _remade_files(selected: list[Path], board_in_run: bool) -> set[str]:
    """The files of a pack (relative paths) that a ``--only`` run writes anew, or drops: never kept from before."""
    remade = {"index.html", "manifest.json", "kernels.log"}
    for nb in selected:
        remade |= {f"{notebook_key(nb)}.html", f"notebooks/{nb.name}"}
    return remade | (set(BOARD_FILES) if board_in_run else set())


def _seed(build: Path, final: Path, remade: set[str]) -> None:
    """Fill ``build`` with the files of the earlier pack this run keeps: hard links (copies where the file system has
    none), never of a file this run writes, since a link shares its inode with the pack readers have open."""
    for src in sorted(final.rglob("*")):
        rel = src.relative_to(final)
        if rel.as_posix() in remade:
            continue
        dst = build / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif src.is_dir():
            dst.mkdir(exist_ok=True)
        else:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)


def _differences(run: dict, earlier: dict) -> list[str]:
    """How an earlier run differs from this one, in words: another store, another period, other parameters."""
    out = []
    old_store, new_store = earlier.get("store") or {}, run["store"]
    if old_store.get("fingerprint") != new_store["fingerprint"]:
        out.append(f"another store ({old_store.get('path')} at fingerprint {old_store.get('fingerprint')}, now "
                   f"{new_store['path']} at {new_store['fingerprint']})")
    if earlier.get("period") != run["period"]:
        old = earlier.get("period") or {}
        out.append(f"another period ({old.get('start')} to {old.get('end_exclusive')}, now {run['period']['start']} "
                   f"to {run['period']['end_exclusive']})")
    old_p, new_p = earlier.get("parameters") or {}, run["parameters"]
    changed = sorted(k for k in set(old_p) | set(new_p) if old_p.get(k) != new_p.get(k))
    if changed:
        out.append("other parameters (" + ", ".join(f"{k} {old_p.get(k)!r}, now {new_p.get(k)!r}" for k in changed)
                   + ")")
    return out


def _mixed_run_warnings(name: str, run: dict, kept: list[tuple[str, dict]]) -> list[str]:
    """One warning per earlier run whose parts (label, run record) the pack keeps, when it differs from this run."""
    by_run: dict[str, tuple[dict, list[str]]] = {}
    for label, record in kept:
        by_run.setdefault(json.dumps(record, sort_keys=True, default=str), (record, []))[1].append(label)
    out = []
    for record, labels in by_run.values():
        if diffs := _differences(run, record):
            out.append(f"{name} keeps {', '.join(labels)} from the run of {record.get('generated_at')}, which used "
                       f"{' and '.join(diffs)}; run without --only to remake every report from one store")
    return out


def _name_finder(con) -> Names | None:
    """What finds the names of the store's register in a text, for the scan of the pack before it is swapped in
    (None when the register is empty: only e-mail addresses and, in the board's files, hosts, addresses and CVE ids
    are looked for). The register holds keyed hashes, so the check needs the store's key: without it no report is
    written (privacy fails closed)."""
    from hitplan.ingest.pseudonymize import existing_key, fingerprint, recorded_fingerprint
    from hitplan.privacy.text import REGISTER_TABLE, NameIndex

    if not con.execute(f"select count(*) from (select 1 from {REGISTER_TABLE} limit 1)").fetchall()[0][0]:
        return None
    key, recorded = existing_key(), recorded_fingerprint(con)
    if key is None or (recorded is not None and fingerprint(key) != recorded.fingerprint):
        raise ReportError("the reports are checked for the names of the store's name register before they are "
                          "written, which needs the store's pseudonymization key, and this run has "
                          + ("none" if key is None else f"another one (fingerprint {fingerprint(key)})")
                          + "; run `hitplan report` where the key is (`hitplan key show` says where it is read "
                          "from); no report was written")
    index = NameIndex.from_store(con, key)
    return lambda text: [p for _, _, p in index.names_in(text)]


def _board_files(entries: list[dict]) -> set[str]:
    """The files of a pack the board reads (relative paths): the board pack's page, PDF, deck and notebook."""
    out = set(BOARD_FILES) | {f"{BOARD_PACK}.html"}
    for e in entries:
        if e["name"] == BOARD_PACK:
            out |= {e["html"], e["notebook"]}
    return out


def _check_leaks(build: Path, name: str, entries: list[dict], names: Names | None, hosts: set[str]) -> None:
    """Raise ReportError when a file of the pack in ``build`` shows a name or an e-mail address, or a board file a
    host, an address or a CVE id; the message says where, never what."""
    from hitplan.report.leaks import scan_pack  # not at the top, as in run_report

    kept = f"the previous report is unchanged, and this one is kept in the hidden folder .{name}.failed beside it"
    try:
        leaks = scan_pack(build, names=names, board_files=_board_files(entries), hosts=hosts)
    except ReportError as exc:
        raise ReportError(f"{exc}; {kept}") from exc
    if leaks:
        more = f" (and {len(leaks) - 1} more)" if len(leaks) > 1 else ""
        raise ReportError(f"{leaks[0].file}, {leaks[0].place} shows {leaks[0].kind}{more}, which a report must not; "
                          f"{kept} for a look")


def _names_itself(con, period, as_of: dt.date) -> bool:
    """Whether the period's label, given back to the notebooks, names the same days (FY2027Q1 does)."""
    from hitplan.periods import resolve_period

    try:
        again = resolve_period(con, period.label, today=as_of)
    except UsageError:
        return False
    return (again.start, again.end) == (period.start, period.end)


def run_report(
    *,
    store: Path | None = None,
    period: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    as_of: dt.date | None = None,
    only: list[str] | None = None,
    formats: tuple[str, ...] = FORMATS,
    jobs: int = 2,
    out: Path | None = None,
    cell_timeout: float = 600.0,
    params: dict | None = None,
    notebooks: Path | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Run the report notebooks for a period and write the pack (HTML, PDF, PPTX, index, manifest) atomically; with
    ``only``, the named reports are remade inside the existing pack and the others kept."""
    from hitplan import store as store_mod
    from hitplan.periods import latest_data_date, resolve_period
    from hitplan.report.browser import find_chrome, require_chrome
    from hitplan.report.context import area_feeds
    # not at the top: every report worker imports this module, and disclosure brings pandas and plotly (1 s measured)
    from hitplan.report.disclosure import store_hosts
    from hitplan.report.export import write_index
    from hitplan.store.snapshot import fingerprint, snapshot

    say = progress or (lambda _m: None)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"unknown format {', '.join(bad) or '(none)'}; formats: {', '.join(FORMATS)}")
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if isinstance(cell_timeout, bool) or not isinstance(cell_timeout, (int, float)) or not (
            math.isfinite(cell_timeout) and cell_timeout > 0):
        raise UsageError(f"--cell-timeout must be a positive number of seconds, not {cell_timeout!r}")
    # Paths are made absolute now: the snapshot goes beside the store, and the notebooks run in their own folder.
    notebooks = Path(notebooks).expanduser().resolve() if notebooks else None
    selected = select_notebooks(only, notebooks)
    extra = checked_parameters(params)
    check_parameters(selected, extra)
    run_started = time.perf_counter()
    warnings: list[str] = []

    if not (period or start or end):
        period = "last-quarter"
    store_path = Path(store or config.default_store()).expanduser().resolve()
    say(f"taking a snapshot of {store_path}")
    snap = snapshot(store_path)
    fault("report.after_snapshot")
    con = store_mod.connect(snap)
    try:
        # an area's report (--only support) runs to the last day of that area's feeds; a wider run to all activity
        as_of = (as_of or latest_data_date(con, area_feeds(notebook_key(nb) for nb in selected))
                 or latest_data_date(con))
        if as_of is None:
            raise ReportError(f"store {store_path} has no incidents, usage or ledger data to report on; load some first")
        resolved = resolve_period(con, period, start=start, end=end, today=as_of)
        if not (start or end) and not _names_itself(con, resolved, as_of):
            # a label such as "2025-10 to 2026-09" (last-12-months) is not a period name: the notebooks get the days
            start, end = resolved.start, resolved.end
        rows = con.execute("select max(name) from hospital").fetchall()
        hospital = str(extra.get("hospital") or (rows[0][0] if rows and rows[0][0] else "Hospital"))
        hosts = store_hosts(con)
        find_names = _name_finder(con)
    finally:
        con.close()
    fp = fingerprint(store_path)

    base = Path(out or config.reports_dir()).expanduser().resolve()
    name = folder_name(resolved.label)
    nb_params = {"store": str(snap), "period": None if (start or end) else resolved.label,
                 "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
                 "as_of": as_of.isoformat(), **extra}
    run = {"generated_at": None, "hitplan_version": __version__,
           "period": {"label": resolved.label, "start": resolved.start.isoformat(),
                      "end_exclusive": resolved.end.isoformat()},
           "parameters": {k: v for k, v in nb_params.items() if k != "store"},
           "store": {"path": str(store_path), "fingerprint": fp}}
    board_in_run = any(notebook_key(nb) == BOARD_PACK for nb in selected)
    with _private_files():
        config.make_folders(base)  # the share group must reach the packs inside
        with _folder_lock(base, name):
            fault("report.after_lock")
            _recover(base, name)
            _recover_others(base, name)
            fault("report.after_recover")
            final = base / name
            earlier = _earlier_manifest(final) if only and final.is_dir() else None
            make = formats
            if earlier is not None:
                if not board_in_run:  # the PDF and deck of the earlier board pack stay; nothing here remakes them
                    make = tuple(f for f in formats if f == "html")
                    warnings.extend(f"no {file}: the board pack was not part of this run, and the pack had none"
                                    for fmt, file in zip(("pdf", "pptx"), BOARD_FILES)
                                    if fmt in formats and not (final / file).exists())
                else:
                    warnings.extend(f"{file} was removed: it came with the earlier board pack; add {fmt} to "
                                    "--formats to make it for the new one"
                                    for fmt, file in zip(("pdf", "pptx"), BOARD_FILES)
                                    if fmt not in formats and (final / file).exists())

            chrome = find_chrome()
            wants_chrome = [f for f in ("pdf", "pptx") if f in make]
            missing_chrome = bool(wants_chrome) and chrome is None
            if missing_chrome:
                try:
                    require_chrome(f"the {' and '.join(wants_chrome).upper()} export")
                except ChromeMissing as exc:
                    warnings.append(str(exc))
                    say(f"warning: {exc}; writing HTML only")
                make = tuple(f for f in make if f not in wants_chrome)

            build = base / f".{name}.building-{os.getpid()}"
            (build / "notebooks").mkdir(parents=True)
            try:
                fault("report.after_build_folder")
                if earlier is not None:
                    _seed(build, final, _remade_files(selected, board_in_run))
                    fault("report.after_seed")
                manifest = _build(build, selected, nb_params, make, jobs, cell_timeout, resolved, hospital, fp,
                                  chrome, say, warnings)
                run["generated_at"] = dt.datetime.now().isoformat(timespec="seconds")
                fresh = [{**e, "run": run} for e in manifest["notebooks"]]
                kept = []
                if earlier is not None:
                    made = {e["source"] for e in fresh}
                    kept = [{**e, "run": e.get("run") or _run_record(earlier)} for e in earlier["notebooks"]
                            if e["source"] not in made and (build / e["html"]).is_file()]
                board_files = {}
                for file in BOARD_FILES:
                    if (build / file).exists():
                        board_files[file] = run if earlier is None or board_in_run else (
                            (earlier.get("board_files") or {}).get(file) or _run_record(earlier))
                mixed = _mixed_run_warnings(name, run, [(e["name"], e["run"]) for e in kept]
                                            + [(f, r) for f, r in board_files.items() if r is not run])
                warnings.extend(mixed)
                manifest.update({
                    **run, "notebooks": sorted(fresh + kept, key=lambda e: e["source"]), "board_files": board_files,
                    "mixed_runs": bool(mixed), "as_of": as_of.isoformat(), "hospital": hospital,
                    "versions": _versions(), "jobs": jobs, "formats": list(make), "warnings": warnings,
                })
                manifest["seconds"] = round(time.perf_counter() - run_started, 2)
                extras = [(label, href, what) for label, href, what in (
                    ("Board pack (PDF)", "board_pack.pdf", "about ten pages for the board"),
                    ("Board deck (PowerPoint)", "board_deck.pptx", "the scorecard, one slide per area, the portfolio"),
                    ("Board pack (HTML)", f"{BOARD_PACK}.html", "the same pack, interactive charts"),
                ) if (build / href).exists()]
                fault("report.before_index")
                write_index(build, hospital=hospital,
                            period=f"{resolved.label} ({resolved.start} to {resolved.last_day})",
                            generated=run["generated_at"], entries=manifest["notebooks"], extras=extras,
                            warnings=warnings + [f"{e['source']}: {w}" for e in kept for w in e.get("warnings", [])])
                fault("report.after_index")
                _check_leaks(build, name, manifest["notebooks"], find_names, hosts)
                manifest["files"] = {str(p.relative_to(build)): _sha256(p) for p in sorted(build.rglob("*"))
                                     if p.is_file()}
                (build / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
                fault("report.after_manifest")
                _restrict(build)
                fault("report.after_restrict")
            except BaseException:
                failed = base / f".{name}.failed"
                shutil.rmtree(failed, ignore_errors=True)
                if build.exists():
                    build.rename(failed)  # kept for a look at the executed notebooks until the next run starts
                raise
            aside = base / f".{name}.previous-{os.getpid()}"
            fault("report.before_swap")
            if final.exists():
                final.rename(aside)
                fault("report.after_aside")  # a kill here is undone by the next run's _recover
            build.rename(final)
            fault("report.after_swap")
            shutil.rmtree(aside, ignore_errors=True)
            fault("report.after_cleanup")
    if missing_chrome:
        say(f"wrote {final} (HTML only: no Chrome/Chromium for {', '.join(wants_chrome)})")
        raise ChromeMissing(warnings[0] + f"; the HTML reports are in {final}")
    return ReportResult(final, manifest, warnings)


def _build(build: Path, selected: list[Path], nb_params: dict, formats: tuple[str, ...], jobs: int,
           cell_timeout: float, period, hospital: str, fp: str, chrome, say: Progress, warnings: list[str]) -> dict:
    """Execute and export every notebook, and make the deck and the PDF, into ``build``; raise ReportError if any
    part failed. The notebooks run longest first, so that the processes finish together; the board pack notebook
    writes the deck from the sections it computed (its ``deck_file`` parameter), and the PDF (printed from the
    board pack's HTML) goes next in the queue when the board pack is done."""
    # nbclient takes whole seconds only
    common = {"out_dir": str(build), "parameters": nb_params, "timeout": math.ceil(cell_timeout),
              "hospital": hospital, "period": f"{period.label} ({period.start} to {period.last_day})",
              "fingerprint": fp}
    tasks = [(_execute, {**common, "source": str(nb)}) for nb in sorted(selected, key=_expected_cost)]
    board = next((job for _, job in tasks if notebook_key(Path(job["source"])) == BOARD_PACK), None)
    after_board = []
    if "pptx" in formats and board is not None:
        board["parameters"] = {**nb_params, "deck_file": str(build / "board_deck.pptx")}
    if "pdf" in formats:
        if board is not None:
            after_board.append((_pdf, {"out_dir": str(build), "chrome": str(chrome)}))
        else:
            warnings.append("no PDF: the board pack notebook was not part of this run")
    results, errors = [], []
    total = len(tasks) + len(after_board)
    parts = [f"{len(selected)} notebook(s)", *(["the deck"] if "pptx" in formats and board else []),
             *(["the PDF"] if "pdf" in formats and board else [])]
    say(f"running {' and '.join(parts)} for {period.label} with {jobs} process(es)")
    log = build / "kernels.log"
    with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_start, initargs=(str(log), os.getpid())) as pool:
        queue, pending = list(tasks), set()  # fed one at a time, so that what follows the board pack goes next
        while queue or pending:
            while queue and len(pending) < jobs and not errors:
                pending.add(pool.submit(*queue.pop(0)))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    r = fut.result()
                except BrokenProcessPool as exc:  # a worker was killed (the OOM killer, a kill -9): say so
                    r = {"name": "a report process", "seconds": 0.0,
                         "error": f"a report process died ({_first_line(exc) or 'killed'}); see kernels.log"}
                results.append(r)
                state = f"failed: {r['error']}" if r["error"] else "done"
                say(f"[{len(results)}/{total}] {r['name']} {state} ({r['seconds']:.1f} s)")
                if r["error"]:
                    errors.append(r["error"])
                    queue.clear()
                else:
                    fault("report.after_notebook")
                    if r["name"] == BOARD_PACK:
                        queue[:0] = after_board
    if errors:
        raise ReportError(f"{errors[0]}{f' (and {len(errors) - 1} more)' if len(errors) > 1 else ''}; the previous "
                          "report is unchanged, the executed notebooks are kept in a hidden .failed folder beside it")
    log.unlink(missing_ok=True)  # kept (in the .failed folder) only when something went wrong
    notebooks = sorted((r for r in results if r["name"] != "pdf"), key=lambda r: r["source"])
    for r in notebooks:
        warnings.extend(f"{r['source']}: {w}" for w in r["warnings"])
    return {"notebooks": [{k: r[k] for k in ("name", "source", "title", "html", "notebook", "seconds", "warnings")}
                          for r in notebooks],
            "pdf_seconds": next((r["seconds"] for r in results if r["name"] == "pdf"), None)}
