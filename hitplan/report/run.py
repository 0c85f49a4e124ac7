"""`hitplan report`: run the notebooks with papermill in parallel processes and write ``reports/<period>/`` atomically.

A run works on a snapshot of the store (so it never blocks an analyst or the next load), builds the whole pack in a
hidden folder beside the target, and swaps it in only when every requested part succeeded: a failed or killed run
leaves the previous report as it was. A lock file stops two runs writing the same folder.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import grp
import hashlib
import json
import multiprocessing
import os
import platform
import re
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from hitplan import __version__, config
from hitplan.errors import ChromeMissing, ReportBusyError, ReportError, UsageError

FORMATS = ("html", "pdf", "pptx")
BOARD_PACK = "board_pack"
Progress = Callable[[str], None]


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
    deck_env = None
    if job.get("deck_inputs"):  # the board pack keeps what the deck reuses (this kernel only)
        from hitplan.report.sections import DECK_INPUTS_ENV as deck_env

        os.environ[deck_env] = job["deck_inputs"]
    try:
        papermill.execute_notebook(str(src), str(executed), parameters=job["parameters"], kernel_name="python3",
                                   execution_timeout=job["timeout"], progress_bar=False, log_output=False,
                                   cwd=str(src.parent))
        import nbformat

        result["warnings"] = stderr_text(nbformat.read(executed, as_version=4))
        result["title"] = notebook_html(executed, out_dir / result["html"], hospital=job["hospital"],
                                        period=job["period"], fingerprint=job["fingerprint"])
    except PapermillExecutionError as exc:
        result["error"] = f"{src.name}, cell {exc.exec_count}: {exc.ename}: {str(exc.evalue).splitlines()[0][:300]}"
    except Exception as exc:  # noqa: BLE001 - a timeout, a dead kernel, a bad export: reported, never half-written
        result["error"] = f"{src.name}: {type(exc).__name__}: {_first_line(exc)}"
    finally:
        if deck_env:
            os.environ.pop(deck_env, None)
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def _side_task(name: str, label: str, work: Callable[[], object]) -> dict:
    """Run the deck's or the PDF's ``work`` (in a worker process; never raises: a failure is the result's error)."""
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
_COSTS = {BOARD_PACK: 20, "prioritization": 15, "support": 12, "infrastructure": 9}
DECK_INPUTS_FILE = ".deck-inputs.pickle"


def _expected_cost(path: Path) -> float:
    return -_COSTS.get(notebook_key(path), 6)


def _deck(job: dict) -> dict:
    """Build the PowerPoint deck from the store snapshot, reusing the board pack's sections when it kept them."""
    def work():
        from hitplan.report.deck import deck_from_store

        inputs = Path(job["deck_inputs"]) if job.get("deck_inputs") else None
        deck_from_store(Path(job["out_dir"]) / "board_deck.pptx", **job["parameters"], inputs=inputs)

    return _side_task("deck", "deck", work)


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


def _recover(base: Path, name: str) -> None:
    """Put back a previous report a killed swap left aside, and remove half-built folders (we hold the lock)."""
    final = base / name
    previous = sorted(base.glob(f".{name}.previous-*"), key=lambda p: p.stat().st_mtime)
    if not final.exists() and previous:
        previous.pop().rename(final)
    for stale in [*previous, *base.glob(f".{name}.building-*")]:
        shutil.rmtree(stale, ignore_errors=True)


def _restrict(folder: Path) -> None:
    """Owner-only (and the chosen group's read) permissions on a report folder and everything in it."""
    group = config.share_group()
    gid = None
    if group:
        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError as exc:
            raise UsageError(f"${config.ENV_GROUP}={group}: no such group") from exc
    for path in [folder, *folder.rglob("*")]:
        if gid is not None:
            os.chown(path, -1, gid)
        if path.is_dir():
            path.chmod(0o750 if gid is not None else 0o700)
        else:
            path.chmod(0o640 if gid is not None else 0o600)


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
    """Run the report notebooks for a period and write the pack (HTML, PDF, PPTX, index, manifest) atomically."""
    from hitplan import store as store_mod
    from hitplan.periods import latest_data_date, resolve_period
    from hitplan.report.browser import find_chrome, require_chrome
    from hitplan.report.export import write_index
    from hitplan.store.snapshot import fingerprint, snapshot

    say = progress or (lambda _m: None)
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"unknown format {', '.join(bad) or '(none)'}; formats: {', '.join(FORMATS)}")
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    selected = select_notebooks(only, notebooks)
    extra = dict(params or {})
    check_parameters(selected, extra)
    run_started = time.perf_counter()
    warnings: list[str] = []

    if not (period or start or end):
        period = "last-quarter"
    store_path = Path(store or config.default_store())
    say(f"taking a snapshot of {store_path}")
    snap = snapshot(store_path)
    con = store_mod.connect(snap)
    try:
        as_of = as_of or latest_data_date(con)
        if as_of is None:
            raise ReportError(f"store {store_path} has no incidents, usage or ledger data to report on; load some first")
        resolved = resolve_period(con, period, start=start, end=end, today=as_of)
        rows = con.execute("select max(name) from hospital").fetchall()
        hospital = str(extra.get("hospital") or (rows[0][0] if rows and rows[0][0] else "Hospital"))
    finally:
        con.close()
    fp = fingerprint(store_path)

    chrome = find_chrome()
    wants_chrome = [f for f in ("pdf", "pptx") if f in formats]
    if wants_chrome and chrome is None:
        try:
            require_chrome(f"the {' and '.join(wants_chrome).upper()} export")
        except ChromeMissing as exc:
            warnings.append(str(exc))
            say(f"warning: {exc}; writing HTML only")
        formats = tuple(f for f in formats if f not in wants_chrome)
        missing_chrome = True
    else:
        missing_chrome = False

    base = Path(out or config.reports_dir())
    base.mkdir(parents=True, exist_ok=True)
    name = folder_name(resolved.label)
    nb_params = {"store": str(snap), "period": None if (start or end) else resolved.label,
                 "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
                 "as_of": as_of.isoformat(), **extra}
    with _folder_lock(base, name):
        _recover(base, name)
        build = base / f".{name}.building-{os.getpid()}"
        (build / "notebooks").mkdir(parents=True)
        try:
            manifest = _build(build, selected, nb_params, formats, jobs, cell_timeout, resolved, hospital, fp, chrome,
                              say, warnings)
            manifest.update({
                "hitplan_version": __version__, "generated_at": dt.datetime.now().isoformat(timespec="seconds"),
                "period": {"label": resolved.label, "start": resolved.start.isoformat(),
                           "end_exclusive": resolved.end.isoformat()},
                "as_of": as_of.isoformat(), "hospital": hospital,
                "parameters": {k: v for k, v in nb_params.items() if k != "store"},
                "store": {"path": str(store_path), "fingerprint": fp}, "versions": _versions(), "jobs": jobs,
                "formats": list(formats), "warnings": warnings,
            })
            manifest["seconds"] = round(time.perf_counter() - run_started, 2)
            extras = [(label, href, what) for label, href, what in (
                ("Board pack (PDF)", "board_pack.pdf", "about ten pages for the board"),
                ("Board deck (PowerPoint)", "board_deck.pptx", "the scorecard, one slide per area, the portfolio"),
                ("Board pack (HTML)", f"{BOARD_PACK}.html", "the same pack, interactive charts"),
            ) if (build / href).exists()]
            write_index(build, hospital=hospital, period=f"{resolved.label} ({resolved.start} to {resolved.last_day})",
                        generated=manifest["generated_at"], entries=manifest["notebooks"], extras=extras,
                        warnings=warnings)
            manifest["files"] = {str(p.relative_to(build)): _sha256(p) for p in sorted(build.rglob("*")) if p.is_file()}
            (build / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
            _restrict(build)
        except BaseException:
            failed = base / f".{name}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            if build.exists():
                build.rename(failed)  # kept for a look at the executed notebooks; never where a report was
            raise
        final = base / name
        aside = base / f".{name}.previous-{os.getpid()}"
        if final.exists():
            final.rename(aside)
        build.rename(final)
        shutil.rmtree(aside, ignore_errors=True)
        shutil.rmtree(base / f".{name}.failed", ignore_errors=True)
    if missing_chrome:
        say(f"wrote {final} (HTML only: no Chrome/Chromium for {', '.join(wants_chrome)})")
        raise ChromeMissing(warnings[0] + f"; the HTML reports are in {final}")
    return ReportResult(final, manifest, warnings)


def _build(build: Path, selected: list[Path], nb_params: dict, formats: tuple[str, ...], jobs: int,
           cell_timeout: float, period, hospital: str, fp: str, chrome, say: Progress, warnings: list[str]) -> dict:
    """Execute and export every notebook, and make the deck and the PDF, into ``build``; raise ReportError if any
    part failed. The notebooks run longest first, so that the processes finish together; the deck (which reuses
    the board pack's sections) and the PDF (printed from its HTML) go next in the queue when the board pack is
    done."""
    common = {"out_dir": str(build), "parameters": nb_params, "timeout": cell_timeout, "hospital": hospital,
              "period": f"{period.label} ({period.start} to {period.last_day})", "fingerprint": fp}
    tasks = [(_execute, {**common, "source": str(nb)}) for nb in sorted(selected, key=_expected_cost)]
    board = next((job for _, job in tasks if notebook_key(Path(job["source"])) == BOARD_PACK), None)
    after_board = []
    if "pptx" in formats:
        deck_params = {k: nb_params.get(k) for k in ("store", "period", "start", "end", "as_of", "hospital",
                                                       "kpi_config", "weights", "budget")}
        deck = (_deck, {"out_dir": str(build), "parameters": deck_params})
        if board is not None:
            board["deck_inputs"] = deck[1]["deck_inputs"] = str(build / DECK_INPUTS_FILE)
            after_board.append(deck)
        else:
            tasks.append(deck)
    if "pdf" in formats:
        if board is not None:
            after_board.append((_pdf, {"out_dir": str(build), "chrome": str(chrome)}))
        else:
            warnings.append("no PDF: the board pack notebook was not part of this run")
    results, errors = [], []
    total = len(tasks) + len(after_board)
    parts = [f"{len(selected)} notebook(s)", *(["the deck"] if "pptx" in formats else []),
             *(["the PDF"] if "pdf" in formats and board else [])]
    say(f"running {' and '.join(parts)} for {period.label} with {jobs} process(es)")
    log = build / "kernels.log"
    with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_quiet_worker, initargs=(str(log),)) as pool:
        queue, pending = list(tasks), set()  # fed one at a time, so that what follows the board pack goes next
        while queue or pending:
            while queue and len(pending) < jobs and not errors:
                pending.add(pool.submit(*queue.pop(0)))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                r = fut.result()
                results.append(r)
                state = f"failed: {r['error']}" if r["error"] else "done"
                say(f"[{len(results)}/{total}] {r['name']} {state} ({r['seconds']:.1f} s)")
                if r["error"]:
                    errors.append(r["error"])
                    queue.clear()
                elif r["name"] == BOARD_PACK:
                    queue[:0] = after_board
    (build / DECK_INPUTS_FILE).unlink(missing_ok=True)
    if errors:
        raise ReportError(f"{errors[0]}{f' (and {len(errors) - 1} more)' if len(errors) > 1 else ''}; the previous "
                          "report is unchanged, the executed notebooks are kept in a hidden .failed folder beside it")
    log.unlink(missing_ok=True)  # kept (in the .failed folder) only when something went wrong
    notebooks = sorted((r for r in results if r["name"] not in ("deck", "pdf")), key=lambda r: r["source"])
    for r in notebooks:
        warnings.extend(f"{r['source']}: {w}" for w in r["warnings"])
    timings = {f"{k}_seconds": next((r["seconds"] for r in results if r["name"] == k), None) for k in ("deck", "pdf")}
    return {"notebooks": [{k: r[k] for k in ("name", "source", "title", "html", "notebook", "seconds", "warnings")}
                          for r in notebooks], **timings}
