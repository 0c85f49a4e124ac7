"""The `hitplan` command: parses arguments, calls the package, prints. No analysis happens here."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from hitplan import __version__, config
from hitplan.errors import HitplanError, UsageError
from hitplan.formatting import cell, fixed, pct

EXIT_CODES = """exit codes:
  0  success (rows may have been rejected: they are listed in the output and by `hitplan rejects`)
  1  unexpected error (a bug: rerun with --debug and report the traceback)
  2  usage error (unknown command, feed, profile or option)
  3  input error (a file cannot be loaded: not a table, missing columns, unreadable)
  4  store error (missing, damaged, locked by another writer, of another schema version, or its pseudonymization
     key missing or different: see `hitplan key --help`)
  5  Chrome/Chromium missing (needed for images and PDF: apt-get install chromium, or plotly_get_chrome)
  6  report failed (a notebook or an export; the previous report is left as it was)
  7  another report run is writing the same report folder
  8  the store's data fails a declared test of the SQL models (`hitplan models test`)
  130 interrupted (Ctrl-C): the load in progress is rolled back; files loaded before are kept and named"""


def _progress(quiet: bool):
    start = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return say


# Dates given on the command line; periods reach a year or more beyond them, so both ends stay well inside
# the calendar Python and DuckDB can compute.
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise argparse.ArgumentTypeError(f"{text!r} is outside {DATE_RANGE[0]} .. {DATE_RANGE[1]}; give a date in "
                                         "that range")
    return day


def _positive(kind: type, most: float | None = None):
    """An argparse type reading a finite number of ``kind`` above 0 (and at most ``most``)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not math.isfinite(value) or value <= 0 or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{text!r} must be above 0" + (f" and at most {most:g}" if most else ""))
        return value

    return parse


def _refuse_store_paths(out: Path, store: Path) -> None:
    """Refuse (UsageError) an --out that is the store, its write-ahead log, its spill folder or its snapshots."""
    from hitplan.store import spill_dir
    from hitplan.store.snapshot import SNAPSHOT_DIR

    target, s = out.expanduser().resolve(), store.expanduser().resolve()
    snapshots = s.parent / SNAPSHOT_DIR
    if target in (s, Path(f"{s}.wal"), spill_dir(s)) or target == snapshots or snapshots in target.parents:
        raise UsageError(f"--out {out} would overwrite the store {store} (its file, log or snapshots); "
                         "give --out another path")


def _store_path(args) -> Path:
    return Path(args.store) if args.store else config.default_store()


def cmd_init(args) -> int:
    from hitplan.pipeline import init_store

    path = _store_path(args)
    before, after = init_store(path, progress=_progress(args.quiet))
    if before == after:
        print(f"store {path} is up to date (schema version {after})")
    else:
        print(f"store {path}: schema version {before} -> {after}")
        if 0 < before < SCRUBBING_SCHEMA <= after:
            print("  note: text loaded before this version was not scrubbed of names, e-mails and ids: run "
                  "`hitplan scrub` once (see README, Privacy)")
    return 0


SCRUBBING_SCHEMA = 7  # the migration that added the name register: loads scrub free text from this version on


_KIND_WORDS = {"name": "names", "email": "e-mail addresses", "phone": "phone numbers", "ssn": "SSNs", "mrn": "MRNs",
               "ip": "IP addresses", "deny": "deny-list matches"}


def _replacements(kinds: dict[str, int]) -> str:
    """Replacements by kind in words: "18 names, 3 e-mail addresses"."""
    return ", ".join(f"{n:,} {_KIND_WORDS.get(k, k)}" for k, n in kinds.items())


def _print_results(results, fmt: str) -> None:
    if fmt == "json":
        for r in results:
            print(json.dumps(r.to_dict()))
        return
    for r in results:
        name = Path(r.file).name
        if r.status == "skipped":
            print(f"{name} -> {r.feed}: skipped")
        else:
            # The identity every load keeps, spelled out: nothing read goes uncounted.
            read = f"{r.rows_read:,} read" + (f" + {r.rows_split:,} split from lists" if r.rows_split else "")
            print(
                f"{name} -> {r.feed} ({r.profile}): {read} = {r.rows_loaded:,} loaded + {r.rows_merged:,} merged + "
                f"{r.rows_rejected:,} rejected + {r.rows_skipped:,} skipped  [load {r.load_id}, {r.seconds:.1f} s]"
            )
            if r.rows_replaced:
                print(f"  {r.rows_replaced:,} replaced earlier rows with the same key")
            for column, kinds in r.replacements.items():
                print(f"  scrubbed {column}: {_replacements(kinds)}")
        for w in r.warnings:
            print(f"  note: {w}")
        if r.rows_rejected:
            print(f"  see why: hitplan rejects --load {r.load_id}")


def cmd_ingest(args) -> int:
    from hitplan import store
    from hitplan.ingest import ingest_file

    say = _progress(args.quiet or args.format == "json")
    results, failures = [], []
    with store.writing(_store_path(args)) as con:
        first_new = int(store.scalar(con, "select coalesce(max(load_id), 0) + 1 from load_log"))
        _INTERRUPT_NOTE["text"] = "each file loads whole or not at all, and none of these was loaded"
        for f in args.files:
            try:
                results.append(
                    ingest_file(con, args.feed, Path(f), profile_name=args.profile, force=args.force,
                                ignore_extra=args.ignore_extra, date_order=args.date_order,
                                scan_date=args.scan_date, rules=args.rules, values=args.values, progress=say)
                )
                if _INTERRUPTS:
                    raise KeyboardInterrupt
            except UsageError:
                raise
            except (HitplanError, KeyboardInterrupt) as exc:
                if _INTERRUPTS or isinstance(exc, KeyboardInterrupt):
                    # Ctrl-C may land after a file's commit (while the store checkpoints, say): say what was kept.
                    _INTERRUPT_NOTE["text"] = _kept_loads(con, first_new)
                    raise KeyboardInterrupt from exc
                _raise_if_store_damaged(exc, _store_path(args))
                failures.append(exc)
                if args.format == "json":
                    print(json.dumps({"feed": args.feed, "file": f, "error": str(exc)}))
                else:
                    print(f"hitplan: error: {exc}", file=sys.stderr)
    _print_results(results, args.format)
    return max((e.exit_code for e in failures), default=0)


def _kept_loads(con, first_new: int) -> str:
    """What an interrupted ingest kept: the loads it committed (each whole), for the interrupt message."""
    try:
        rows = con.execute("select load_id, file_name from load_log where load_id >= ? order by load_id",
                           [first_new]).fetchall()
    except Exception:  # noqa: BLE001 - the store could not be asked; say what is certain
        return "each file loads whole or not at all: `hitplan status` shows the last loads"
    if not rows:
        return "each file loads whole or not at all, and none of these was loaded"
    kept = ", ".join(f"{name} (load {n})" for n, name in rows)
    return f"each file loads whole or not at all; loaded before the interrupt and kept: {kept}"


def _raise_if_store_damaged(exc: BaseException, path: Path) -> None:
    """Raise "store damaged" when a load failed because the store, not the input file, could not be read."""
    import duckdb

    from hitplan.store import damage_error

    cause = exc.__cause__
    if isinstance(cause, duckdb.Error):
        damage = damage_error(path, str(cause))
        if damage is not None:
            raise damage from exc


def cmd_profiles(args) -> int:
    from hitplan.ingest.profiles import profile, profile_summary, profiles
    from hitplan.schema import feeds

    if args.feed is not None and args.feed not in feeds():
        raise UsageError(f"unknown feed {args.feed!r}; feeds are: {', '.join(feeds())}")
    chosen = [profile(args.name)] if args.name else list(profiles().values())
    if args.feed:
        chosen = [p for p in chosen if p.applies_to(args.feed)]
    only = [args.feed] if args.feed else None
    summaries = [profile_summary(p, only) for p in chosen]
    if args.format == "json":
        print(json.dumps(summaries if not args.name else summaries[0], indent=2, default=str))
        return 0
    for s in summaries:
        print(_profile_text(s, full=bool(args.name)))
    if not args.name:
        print("`hitplan profiles NAME` shows one in full; `hitplan ingest FEED FILE --profile NAME` uses one")
    return 0


def _profile_text(s: dict, *, full: bool) -> str:
    """A profile's summary as text: needs and reads per feed; in full, its value rules, layouts and people too."""
    feeds_text = "every feed" if s["feeds"] == "all" else ", ".join(s["feeds"])
    lines = [f"{s['name']}: {s['description']}", f"  feeds: {feeds_text}"]
    if s["feeds"] == "all" and not full and len(s["per_feed"]) > 1:
        lines.append("  reads each feed's own column names (docs/feeds.md) and needs its required ones; "
                     f"unknown columns: {s['unknown_columns']} (`hitplan profiles {s['name']} --feed FEED`)")
        return "\n".join(lines) + "\n"
    for feed, f in s["per_feed"].items():
        lines.append(f"  {feed}:")
        lines.append(f"    needs: {'; '.join(f['needs']) or '(nothing)'}")
        if f["detect_markers"]:
            lines.append(f"    identified by: {', '.join(f['detect_markers'])}")
        if full:
            lines.append("    column map (feed column <- export column, first present wins):")
            lines += [f"      {c} <- {' | '.join(names)}" for c, names in f["reads"].items()]
            lines += [f"      {c} <- derived: {' | '.join(t)}" for c, t in f["derived"].items()]
            lines += [f"      {c} = {v}" for c, v in f["fixed"].items()]
            for c, rule in f["values"].items():
                lines.append(f"    values of {c}: {json.dumps(rule, default=str)}")
            for c, text in f["date_layouts"].items():
                lines.append(f"    dates in {c}: {text}")
            for key in ("merge_duplicates", "collapse", "explode"):
                if f[key]:
                    lines.append(f"    {key.replace('_', ' ')}: {json.dumps(f[key], default=str)}")
        else:
            reads = [f"{c} <- {names[0]}" + (f" (or {len(names) - 1} more)" if len(names) > 1 else "")
                     for c, names in f["reads"].items()]
            reads += [f"{c} (derived)" for c in f["derived"]] + [f"{c} = {v}" for c, v in f["fixed"].items()]
            lines.append(f"    reads: {', '.join(reads)}")
    lines.append(f"  unknown columns: {'left out, named in a note' if s['unknown_columns'] == 'ignore' else 'refused (--ignore-extra leaves them out)'}")
    if full:
        if s["null_values"]:
            lines.append(f"  read as blank: {', '.join(s['null_values'])}")
        lines.append(f"  person columns (pseudonymized or never stored): {', '.join(s['person_columns']) or '(none)'}")
    return "\n".join(lines) + "\n"


def cmd_synth(args) -> int:
    from hitplan.pipeline import DEMO_MARKER, check_synthetic_folder, synthetic_file_names
    from hitplan.synth import generate

    out = Path(args.out)
    _refuse_store_paths(out, _store_path(args))
    check_synthetic_folder(out, replaced=False)
    gid = config.share_gid()
    config.make_folders(out)
    if not (out / DEMO_MARKER).exists():
        (out / DEMO_MARKER).write_text("written by hitplan synth; hitplan may write into this folder again\n",
                                       encoding="utf-8")
    try:
        truth = generate(out, seed=args.seed, scale=args.scale, start=args.start, end=args.end,
                         progress=_progress(args.quiet))
    except ValueError as exc:  # the generator's word on its arguments
        raise UsageError(str(exc)) from exc
    # Files an earlier run wrote keep their mode when written again: each gets the mode of a new one.
    for name in sorted(synthetic_file_names()):
        if (out / name).is_file() and not (out / name).is_symlink():
            config.restrict_mode(out / name, gid)
    total = sum(truth.rows.values())
    print(f"wrote {len(truth.rows)} feeds, {total:,} rows, to {args.out} (ground truth: {args.out}/ground_truth.json)")
    return 0


def cmd_demo(args) -> int:
    from hitplan.pipeline import build_demo

    out = Path(args.out) if args.out else config.demo_dir()
    path = _store_path(args)
    _refuse_store_paths(out, path)
    say = _progress(args.quiet)
    config.share_gid()  # a missing share group stops the demo before it builds anything
    try:
        results = build_demo(out, path, seed=args.seed, scale=args.scale, replace=args.replace, progress=say)
    except ValueError as exc:  # the generator's word on its arguments
        raise UsageError(str(exc)) from exc
    config.restrict_tree(out)  # the demo's own folder, built whole and swapped in: every file in it is the demo's
    rows = sum(r.rows_loaded for r in results)
    rejected = sum(r.rows_rejected for r in results)
    print(f"demo store ready: {path} ({len(results)} feeds, {rows:,} rows loaded, {rejected:,} rejected)")
    print(f"export files: {out}")
    print("next: hitplan status")
    return 0


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_status(args) -> int:
    from hitplan import store
    from hitplan.store.status import feed_status

    con = store.connect(_store_path(args))
    try:
        st = feed_status(con)
    finally:
        con.close()
    if args.format == "json":
        print(json.dumps([s.to_dict() for s in st], indent=2))
        return 0
    rows = []
    for s in st:
        links = ", ".join(
            f"{k} {'-' if v is None else f'{v:.1%}'}" for k, v in s.link_match.items()
        )
        rows.append([s.feed, f"{s.rows:,}", f"{s.first} .. {s.last}" if s.first else "", s.last_load or "never",
                     f"{s.rejects:,}", links])
    print(_table(["feed", "rows", "date range", "last load", "rejects", "links matched"], rows))
    empty = [s.feed for s in st if s.rows == 0]
    if empty:
        print(f"\nempty feeds: {', '.join(empty)} (load them with `hitplan ingest FEED FILE`)")
    return 0


def cmd_rejects(args) -> int:
    from hitplan import store
    from hitplan.ingest.rejects import rejected_rows

    out = Path(args.out) if args.out else None
    if out is not None:
        _refuse_store_paths(out, _store_path(args))
        if out.is_dir():
            raise UsageError(f"--out {out} is a folder; give a file name, e.g. {out / 'rejects.csv'}")
        if not out.parent.is_dir():
            raise UsageError(f"--out {out}: folder {out.parent} does not exist; create it or give another path")
        if out.exists() and not args.force:
            raise UsageError(f"--out {out} already exists; give a new file name, or add --force to replace it")
        config.share_gid()  # a missing share group is said before the store is read
    con = store.connect(_store_path(args))
    try:
        rows = rejected_rows(con, load_id=args.load, feed=args.feed, limit=None if out else args.limit)
    finally:
        con.close()
    if out is not None:
        _write_rejects(rows, out, replace=args.force)
        print(f"wrote {len(rows):,} rejected rows to {out}")
        return 0
    if not rows:
        print("no rejected rows")
        return 0
    for r in rows:
        print(f"load {r['load_id']} {r['feed']} {r['file_name']} {r['where']} [{r['column_name']}]: {r['reason']}")
    if len(rows) == args.limit:
        print(f"(first {args.limit}; --limit N for more, --out FILE.csv for all with the file's values)")
    return 0


def _write_rejects(rows: list[dict], out: Path, *, replace: bool) -> None:
    """Write the rejects CSV, readable by its owner only or by $HITPLAN_SHARE_GROUP (it holds the files' raw rows),
    never over a file that exists unless ``replace``."""
    import tempfile

    from hitplan.ingest.rejects import write_rejects_csv

    exists = UsageError(f"--out {out} already exists; give a new file name, or add --force to replace it")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)  # mode 0600
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write into {out.parent} ({exc.strerror}); give another path") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write_rejects_csv(rows, tmp)
        if replace:
            os.replace(tmp, out)
            return
        try:
            os.link(tmp, out)  # refuses a file that appeared since the check, where a rename would replace it
        except FileExistsError:
            raise exists from None
        except OSError:  # a file system without hard links
            if out.exists():
                raise exists from None
            os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def cmd_schema(args) -> int:
    from hitplan.schema import feeds
    from hitplan.schema.docs import feeds_markdown

    if args.format == "json":
        print(json.dumps({n: {"grain": f.grain, "key": list(f.key), "columns": [c.__dict__ for c in f.columns]}
                          for n, f in feeds().items()}, indent=2, default=list))
    else:
        print(feeds_markdown())
    return 0


def cmd_models(args) -> int:
    from hitplan import store
    from hitplan.errors import DataTestError
    from hitplan.models import models
    from hitplan.models.checks import declared_tests, run_model_tests

    if args.models_action == "list":
        counts: dict[str, int] = {}
        for t in declared_tests():
            counts[t.model] = counts.get(t.model, 0) + 1
        ms = models().values()
        if args.format == "json":
            print(json.dumps([{"model": m.name, "layer": m.layer, "grain": m.grain, "depends_on": list(m.depends_on),
                               "tests": counts.get(m.name, 0)} for m in ms], indent=2))
        else:
            print(_table(["layer", "model", "tests", "grain"], [[m.layer, m.name, counts.get(m.name, 0), m.grain]
                                                                  for m in ms]))
        return 0
    con = store.connect(_store_path(args))
    try:
        results = run_model_tests(con)
    finally:
        con.close()
    failed = [r for r in results if r.outcome == "fail"]
    warned = [r for r in results if r.outcome == "warn"]
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in results], indent=2))
    else:
        rows = []
        for r in results:
            test = f"{r.test} ({r.detail})" if r.detail and r.test == "relationships" else r.test
            shown = f"{r.outcome} ({r.failures:,})" if r.failures else r.outcome
            column = r.column if len(r.column) <= 40 else r.column[:37] + "..."
            rows.append([r.model, column, test, r.severity, shown, ", ".join(r.examples)[:60]])
        print(_table(["model", "column", "test", "severity", "result", "e.g."], rows))
        print(f"\n{len(results)} tests: {len(results) - len(failed) - len(warned)} pass, {len(warned)} warn "
              f"(allowed), {len(failed)} fail")
    if failed:
        names = "; ".join(f"{r.model}.{r.column} {r.test} ({r.failures:,})" for r in failed[:5])
        raise DataTestError(f"{len(failed)} declared model test(s) fail: {names}{'; ...' if len(failed) > 5 else ''}; "
                            "`hitplan models test --format json` gives each test's query, which returns its "
                            "failing rows")
    return 0


def _period(con, args, feed_names=None):
    """The period asked for, else the one the data of ``feed_names`` (default: every activity feed) ends in."""
    from hitplan.periods import default_period

    return default_period(con, args.period, start=args.start, end=args.end, as_of=args.as_of,
                          feed_names=feed_names)[0]


def _say_if_no_data(con, period, feed_names=None) -> None:
    """One line on stderr when the period holds none of the analysed feeds' data: their ranges and a --period."""
    from hitplan.periods import ACTIVITY_FEEDS, no_data_hint

    if hint := no_data_hint(con, period, feed_names or ACTIVITY_FEEDS):
        print(f"hitplan: {hint}", file=sys.stderr)


def _records(df) -> list[dict]:
    """JSON-ready rows: dates as ISO text, missing values as null."""
    out = json.loads(df.to_json(orient="records", date_format="iso"))
    return [{k: (v[:10] if isinstance(v, str) and v.endswith("T00:00:00.000") else v) for k, v in r.items()} for r in out]


def _criteria_records(evidence) -> list[dict]:
    """Per initiative, each benefit criterion's baseline (the problem on its targets), effect (the share it removes)
    and value, and its deadline with the reason."""
    out = []
    for r in evidence.to_dict("records"):
        row = {"initiative_id": r["initiative_id"]}
        for c in ("clinical_impact", "operational_effect", "risk_reduction"):
            row[c] = {k: r.get(f"{c}_{k}") for k in ("baseline", "effect", "low", "high")}
            row[c]["value"] = r.get(c)
        deadline = r.get("deadline")
        row["deadline"] = None if deadline is None or deadline != deadline else str(deadline)[:10]
        row["deadline_reason"] = r.get("deadline_reason") or None
        out.append(row)
    return json.loads(json.dumps(out, default=lambda v: None if v != v else str(v)).replace("NaN", "null"))


def _print_kpi_list(args) -> int:
    from hitplan.kpi import runner

    defs = runner.select(args.names) if args.names else list(runner.definitions().values())
    if args.format == "json":
        print(json.dumps([{"name": d.name, "area": d.area, "label": d.label, "description": d.description,
                           "unit": d.unit, "grain": d.grain, "threshold": d.threshold, "direction": d.direction,
                           "standard": d.standard, "population": d.population, "source": d.source} for d in defs],
                         indent=2))
        return 0
    if args.format == "markdown":
        print(runner.standards_table(defs))
        return 0
    print(_table(["kpi", "area", "label", "unit", "threshold"],
                 [[d.name, d.area, d.label, d.unit, d.threshold or ""] for d in defs]))
    return 0


def _settings(args):
    """The settings of this run: the shipped figures, the --settings file over them, then the per-run overrides
    (--kpi-config, --weights, --budget) of the commands that take them; read before the store is opened, so a
    mistake in a file is one line whatever the store holds."""
    from hitplan.settings import load_settings

    return load_settings(getattr(args, "settings", None), kpi_config=getattr(args, "kpi_config", None),
                         weights=getattr(args, "weights", None), budget=getattr(args, "budget", None))


def _kpi_settings(args) -> dict:
    """The KPI settings of this run (``Settings.kpi``)."""
    return _settings(args).kpi


def cmd_settings(args) -> int:
    settings = _settings(args)
    rows = settings.figures()
    if args.format == "json":
        print(json.dumps({"files": list(settings.files), "figures": rows}, indent=2, default=str))
        return 0
    print("settings: the shipped figures" + (f", over them {', '.join(settings.files)}" if settings.files else ""))
    print(_table(["section", "group", "figure", "value", "source"],
                 [[r["section"], r["group"], r["name"], _short(_setting_text(r["value"]), 60), _short(r["source"], 100)]
                  for r in rows]))
    print("(long values and sources are shortened here; --format json shows them whole)")
    return 0


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _setting_text(value) -> str:
    """A figure's value on one line: mappings as key: value pairs, lists comma-separated."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_setting_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_setting_text(v) for v in value) + "]"
    return "" if value is None else str(value)


def cmd_kpi(args) -> int:
    import csv

    import pandas as pd

    from hitplan import store
    from hitplan.kpi import runner
    from hitplan.periods import feeds_behind
    from hitplan.spreadsheet import spreadsheet_safe

    if args.list:
        return _print_kpi_list(args)
    if not args.names:
        raise UsageError("name an area or a KPI (`hitplan kpi support`, `hitplan kpi mttr_by_priority`); "
                         "`hitplan kpi --list` lists them")
    if args.format == "markdown":
        raise UsageError("--format markdown is for --list (`hitplan kpi --list --format markdown`)")
    chosen = runner.select(args.names)
    if args.rows and len(chosen) != 1:
        raise UsageError("--rows shows the rows behind one KPI; name one KPI, e.g. `hitplan kpi incident_backlog --rows`")
    cfg = _kpi_settings(args)
    con = store.connect(_store_path(args))
    try:
        # the as-of day and the default period come from the feeds these KPIs read (support: incidents, usage)
        analysed = feeds_behind(m for d in chosen for m in d.models) or None
        period = _period(con, args, analysed)
        compute = runner.kpi_rows if args.rows else runner.run_kpi
        results = {d.name: compute(con, d.name, period, cfg=cfg) for d in chosen}
        _say_if_no_data(con, period, analysed)
    finally:
        con.close()
    areas = sorted({d.area for d in chosen})
    title = args.names[0] if len(args.names) == 1 else ", ".join(args.names)
    if args.rows:
        title = f"{chosen[0].name}: the rows behind it"
    if args.format == "json":
        out = {"period": {"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()},
               "kpis": {name: {"records": _records(df), "source": df.attrs.get("source", ""),
                               "note": df.attrs.get("note")} for name, df in results.items()}}
        print(json.dumps({"area": areas[0], **out} if len(areas) == 1 else out, indent=2))
        return 0
    if args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        for name, df in results.items():
            print(f"# {name}")
            w.writerow([spreadsheet_safe(c) for c in df.columns])
            for row in df.itertuples(index=False):
                w.writerow(["" if pd.isna(v) else spreadsheet_safe(v) for v in row])
            print()
        return 0
    print(f"{title} - {period.label} ({period.start} to {period.end}, end excluded)")
    for name, df in results.items():
        print(f"\n## {name}")
        if df.attrs.get("note"):
            print(f"note: {df.attrs['note']}")
        if not df.empty:
            shown = df.head(args.limit)
            # a column of whole numbers (sums come back as floats) prints without decimals
            whole = [bool(pd.api.types.is_float_dtype(shown[c]) and shown[c].dropna().apply(float.is_integer).all())
                     for c in shown.columns]
            print(_table(list(shown.columns), [[cell(v, w) for v, w in zip(r, whole)]
                                               for r in shown.itertuples(index=False)]))
            if len(df) > args.limit:
                print(f"({len(df) - args.limit} more rows; --format csv or json for all)")
        print(f"source: {df.attrs.get('source', '')}")
    return 0


def cmd_scorecard(args) -> int:
    from hitplan import store
    from hitplan.kpi import scorecard

    cfg = _kpi_settings(args)
    con = store.connect(_store_path(args))
    try:
        period = _period(con, args)
        cards = scorecard(con, period, cfg)
        _say_if_no_data(con, period)
    finally:
        con.close()
    if args.format == "json":
        print(json.dumps({"period": {"label": period.label, "start": period.start.isoformat(),
                                     "end": period.end.isoformat()},
                          "areas": [c.to_dict() for c in cards]}, indent=2))
        return 0
    print(f"scorecard - {period.label} ({period.start} to {period.end}, end excluded)")
    rows = []
    for c in cards:
        for i, d in enumerate(c.drivers):
            rows.append([c.area if i == 0 else "", c.status if i == 0 else "", d.measure,
                         "" if d.value is None else f"{d.value:,.2f}", d.target, d.status, d.detail[:60]])
    print(_table(["area", "status", "driver", "value", "target", "driver status", "detail"], rows))
    return 0


def _add_settings_arg(sp) -> None:
    sp.add_argument("--settings", metavar="FILE.yaml",
                    help="a settings file: sections kpi, forecast, criteria, portfolio, report over the shipped "
                         "figures (`hitplan settings show` lists them with their sources)")


def _add_period_args(sp, default: str = "the 12 months ending with the as-of day's month, a partial last month "
                                        "included and labelled") -> None:
    sp.add_argument("--period", metavar="P", help="FY2027, FY2027Q1, 2027Q1, 2026-03, last-quarter, last-month, "
                                                  f"this-fy, ytd or last-12-months (default: {default})")
    sp.add_argument("--start", type=_date, help="first day (with --end)")
    sp.add_argument("--end", type=_date, help="day after the last day (end excluded)")
    sp.add_argument("--as-of", type=_date, dest="as_of",
                    help="the day relative periods count from (default: the last day with data in the feeds the "
                         "command analyses, resolutions and updates included)")


def cmd_score(args) -> int:
    from hitplan import store
    from hitplan.forecast import outage_risk
    from hitplan.prioritize.criteria import criteria_from_settings
    from hitplan.prioritize.evidence import initiative_evidence
    from hitplan.prioritize.portfolio import budgets_from_settings
    from hitplan.prioritize.run import prioritize
    from hitplan.prioritize.score import load_scenarios

    # Every settings file is read before the store, so a mistake in one is reported whatever the store holds.
    settings = _settings(args)
    funded = args.budget or not settings.is_shipped("portfolio", "budgets")  # the shipped budgets are an example
    if args.scenario and not funded:
        raise UsageError("--scenario compares funded portfolios: give the base budgets with --budget FILE "
                         "(see hitplan/prioritize/budget_example.yaml) or in the --settings file")
    scenarios = load_scenarios(args.scenario) if args.scenario else []
    criteria = criteria_from_settings(settings).weighing_cost(args.cost_weighted)
    budgets = budgets_from_settings(settings) if funded else None
    budget_file = args.budget or (settings.source("portfolio", "budgets", budgets.index[0]) if funded else None)
    con = store.connect(_store_path(args))
    try:
        period = _period(con, args)
        evidence, _ = initiative_evidence(con, period, settings, outage_risk(con, period.last_day))
        if args.marginal and budgets is None:
            raise UsageError("--marginal re-solves the funded portfolio with more of each binding budget line: give "
                             "the budgets with --budget FILE (see hitplan/prioritize/budget_example.yaml)")
        pr = prioritize(con, period, criteria, budgets, budget_file=budget_file, method=args.method,
                        samples=args.samples, seed=args.seed, time_limit=args.time_limit, scenarios=scenarios,
                        evidence=evidence, settings=settings, plan_start=args.plan_start, marginal=args.marginal)
    finally:
        con.close()
    if pr.infeasible is not None:
        raise pr.infeasible
    ranking, portfolio, comparison = pr.ranking, pr.portfolio, pr.comparison
    if args.format == "json":
        out = {"period": period.label, "method": args.method, "scoring": ranking.attrs.get("note", ""),
               "ranking": json.loads(ranking.to_json(orient="records"))}
        out["criteria"] = _criteria_records(evidence)
        if portfolio is not None:
            out["portfolio"] = {"status": portfolio.status, "mip_gap": portfolio.mip_gap, "value": portfolio.value,
                                "delivered_value": portfolio.delivered_value,
                                "plan_start": str(pr.plan_start), "quarters": list(portfolio.quarter_labels),
                                "roadmap": json.loads(portfolio.roadmap().to_json(orient="records")),
                                "totals": json.loads(portfolio.totals.reset_index().to_json(orient="records")),
                                "constraints": _records(portfolio.constraints),
                                "deadlines": _records(portfolio.deadlines)}
            if pr.marginal is not None:
                out["portfolio"]["marginal"] = _records(pr.marginal)
        if pr.realized is not None:
            out["realized"] = _records(pr.realized)
            out["confidence_factors"] = pr.confidence_factors or {}
        if comparison is not None:
            out["scenarios"] = {"summary": _records(comparison.summary), "usage": _records(comparison.usage),
                                "changes": _records(comparison.changes)}
        print(json.dumps(out, indent=2, default=str))
        return 0
    if ranking.empty:
        print("no open initiatives in the store (load them: hitplan ingest initiatives FILE)")
        return 0
    print(f"initiatives ranked by {args.method} - evidence over {period.label} ({period.start} to {period.end}, end excluded)")
    print(f"scoring: {ranking.attrs.get('note', '')}")
    rows = [[r.rank, r.initiative_id, r.name[:44], f"{r.score:.3f}", f"{r.benefit_score:.3f}", cell(r.cost_usd, True),
             fixed(r.benefit_per_100k, ",.3f", missing=""), f"{r.p_top_quartile:.0%}", f"{r.urgency:.2f}", r.why]
            for r in ranking.itertuples(index=False)]
    print(_table(["rank", "id", "initiative", "score", "benefit", "cost US$", "benefit per $100k", "P(top 25%)",
                  "urgency", "top contributions (weighted)"], rows))
    if portfolio is None:
        print("\nto choose the funded portfolio and roadmap: --budget FILE (see hitplan/prioritize/budget_example.yaml)")
        return 0
    print(f"\nfunded portfolio ({portfolio.status}, gap {portfolio.mip_gap:.2%}): {len(portfolio.chosen)} of "
          f"{len(ranking)} initiatives, total score {portfolio.value:.2f} ({portfolio.delivered_value:.2f} as "
          "delivered: discounted by start quarter, more for urgent ones)")
    road = portfolio.roadmap()
    print(_table(["initiative", "start", "finish", "capex", "opex in horizon", "staff hours"],
                 [[r.initiative, r.start_quarter, r.finish_quarter, f"{r.capex_usd:,.0f}", f"{r.opex_usd:,.0f}",
                   f"{r.hours:,.0f}"] for r in road.itertuples(index=False)]))
    t = portfolio.totals.reset_index()
    print("\nagainst the budgets:")
    print(_table(list(t.columns), [[v if isinstance(v, str) else f"{v:,.0f}" for v in row] for row in t.itertuples(index=False)]))
    binding = portfolio.constraints[portfolio.constraints["binding"]]
    if len(binding):
        print("\nwhat binds (a line whose remainder holds back an initiative or an earlier start):")
        print(_table(["fiscal year", "budget line", "used", "budget", "left", "holds back"],
                     [[r.fiscal_year, r.name, f"{r.used:,.0f}", f"{r.budget:,.0f}", f"{r.left:,.0f}",
                       ", ".join(r.holds_back) if isinstance(r.holds_back, (list, tuple)) else str(r.holds_back or "")]
                      for r in binding.itertuples(index=False)]))
    else:
        print("\nno budget line binds: every open initiative that fits its dependencies is funded as early as it can be")
    if pr.marginal is not None and len(pr.marginal):
        print("\nwhat more would buy (re-solved with one line raised):")
        print(_table(["fiscal year", "budget line", "raise", "extra", "score added (as delivered)", "would enter",
                      "would start earlier"],
                     [[r.fiscal_year, r.name, f"+{r.step:.0%}", f"{r.extra:,.0f}", f"{r.delivered_added:+.3f}",
                       ", ".join(r.entering) or "-", ", ".join(r.earlier) or "-"]
                      for r in pr.marginal.itertuples(index=False)]))
    dl = portfolio.deadlines
    if len(dl):
        print("\ndeadlines:")
        print(_table(["initiative", "deadline", "finish", "status", "why"],
                     [[r.initiative, str(r.deadline)[:10], r.finish_quarter if isinstance(r.finish_quarter, str) else "-",
                       r.status, r.reason or ""]
                      for r in dl.itertuples(index=False)]))
    left = sorted(set(ranking["initiative_id"]) - set(portfolio.chosen))
    if left:
        print(f"\nnot funded: {', '.join(left)}")
    if comparison is not None:
        _print_scenarios(comparison)
    return 0


def _print_scenarios(comparison) -> None:
    """The scenario comparison as three tables: summary, budget use per fiscal year, and what changes."""
    print("\nscenarios side by side:")
    print(_table(["scenario", "method", "status", "funded", "total score", "delivered", "what it changes"],
                 [[r.scenario, r.method, r.status, f"{r.funded} of {r.candidates}", cell(r.value), cell(r.delivered_value),
                   (r.note or r.description)[:70]] for r in comparison.summary.itertuples(index=False)]))
    print("\nbudget use per fiscal year (used / budget):")
    u = comparison.usage
    print(_table(["scenario", "fiscal year", "capex", "opex", "staff hours"],
                 [[r.scenario, r.fiscal_year] + [f"{cell(getattr(r, k + '_used'), True)} / "
                                                  f"{cell(getattr(r, k + '_budget'), True)}" for k in ("capex", "opex", "hours")]
                  for r in u.itertuples(index=False)]))
    c = comparison.changes
    if c.empty:
        print("\nthe same initiatives are funded, starting in the same quarters, in every scenario")
        return
    print("\nwhat changes (start quarter per scenario; blank = not funded):")
    print(_table(list(c.columns), [list(r) for r in c.itertuples(index=False)]))


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def cmd_report(args) -> int:
    from hitplan.prioritize.criteria import criteria_from_settings
    from hitplan.report.run import FORMATS, run_report

    if args.out:
        _refuse_store_paths(Path(args.out), _store_path(args))
        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise UsageError(f"--out {args.out} is a file; give the folder the period folders go into")
    # Settings files are checked here, so a mistake in one is one line before any notebook starts.
    criteria_from_settings(_settings(args))
    params = dict(args.param or [])
    for key in ("hospital", "settings", "kpi_config", "weights", "budget"):
        value = getattr(args, key)
        if value is not None:
            params[key] = str(Path(value).resolve()) if key != "hospital" else value
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip()) if args.formats else FORMATS
    only = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    result = run_report(store=_store_path(args), period=args.period, start=args.start, end=args.end,
                        as_of=args.as_of, only=only, formats=formats, jobs=args.jobs,
                        out=Path(args.out) if args.out else None, cell_timeout=args.cell_timeout, params=params,
                        progress=_progress(args.quiet))
    m = result.manifest
    print(f"wrote {result.folder} in {m['seconds']:.0f} s: {len(m['notebooks'])} report(s)"
          + "".join(f", {f}" for f in ("board_pack.pdf", "board_deck.pptx") if f in m["files"])
          + f"; open {result.folder / 'index.html'}")
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


# numbers in the plain-text tables: blank when missing or not finite (hitplan.formatting)
_pct = partial(pct, digits=0, missing="")
_num = partial(fixed, missing="")


def cmd_forecast(args) -> int:
    from hitplan import store
    from hitplan.forecast import (
        anomaly_precision_recall,
        cost_anomalies,
        incident_themes,
        incident_volume_forecast,
        outage_reliability,
        outage_risk,
        planted_cost_anomalies,
    )
    from hitplan.periods import default_period

    cfg = _settings(args).forecast
    truth = None
    if args.truth:
        from hitplan.synth import GroundTruth

        try:
            truth = GroundTruth.load(Path(args.truth))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"--truth {args.truth}: not a synthetic hospital's ground_truth.json ({exc})") from None
    con = store.connect(_store_path(args))
    try:
        # forecasts count incidents: their last day (resolutions included) is the as-of day
        period, as_of = default_period(con, args.period, start=args.start, end=args.end, as_of=args.as_of,
                                       feed_names=("incidents",))
        if as_of is None:
            raise UsageError("the store has no incidents to forecast from; load them: hitplan ingest incidents FILE")
        volume = {by: incident_volume_forecast(con, as_of, horizon=args.horizon, by=by, seed=args.seed, cfg=cfg)
                  for by in ("system", "category")}
        anomalies = cost_anomalies(con, period, cfg=cfg)
        themes = incident_themes(con, period, n_themes=args.themes, seed=args.seed, cfg=cfg)
        risk = outage_risk(con, as_of, seed=args.seed, cfg=cfg)
    finally:
        con.close()
    pr = anomaly_precision_recall(anomalies, planted_cost_anomalies(truth, period)) if truth is not None else None
    if args.format == "json":
        def block(df, **extra):
            return {"records": _records(df), "source": df.attrs.get("source", ""), "note": df.attrs.get("note"),
                    **extra}

        out = {"as_of": as_of.isoformat(),
               "period": {"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()},
               "incident_volume": {by: block(df, backtest=df.attrs.get("backtest", [])) for by, df in volume.items()},
               "cost_anomalies": block(anomalies, precision_recall=None if pr is None else _records(pr)),
               "incident_themes": block(themes),
               "outage_risk": block(risk, backtest=risk.attrs.get("backtest", {}))}
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(f"forecasts as of {as_of} (data to that day); patterns over {period.label} ({period.start} to {period.end}, "
          "end excluded)")
    for by, df in volume.items():
        print(f"\n## incident volume per {by}, next {args.horizon} quarters (80 % interval)")
        bt = df.attrs.get("backtest", [])
        if bt:
            print("rolling-origin backtest, model vs seasonal-naive baseline (MASE < 1 beats the in-sample "
                  "seasonal-naive error; lower is better):")
            print(_table(["horizon", "forecasts", "MASE model", "MASE baseline", "coverage model",
                          "coverage baseline"],
                         [[r["horizon"], r["forecasts"], _num(r["model_mase"]), _num(r["baseline_mase"]),
                           _pct(r["model_coverage_pct"]), _pct(r["baseline_coverage_pct"])] for r in bt]))
            overall = bt[-1]
            verdict = "beats" if overall["model_mase"] < overall["baseline_mase"] else "does NOT beat"
            print(f"overall the model {verdict} the baseline; each series shows the one that won its own backtest")
        if df.attrs.get("note"):
            print(f"note: {df.attrs['note']}")
        if not df.empty:
            first = df[df["horizon"] == 1].sort_values(["forecast", "series_id"], ascending=[False, True],
                                                        na_position="last")
            shown = first.head(args.limit)
            print(_table([by, "quarter", "forecast", "80 % interval", "shown", "MASE model", "MASE baseline"],
                         [[str(r.series_name)[:44], r.quarter, _num(r.forecast, ".0f"),
                           "" if r.lower != r.lower else f"{r.lower:.0f}-{r.upper:.0f}",
                           r.shown or r.status, _num(r.model_mase), _num(r.baseline_mase)]
                          for r in shown.itertuples(index=False)]))
            if len(first) > args.limit:
                print(f"({len(first) - args.limit} more {by} series; --format json for all quarters and series)")
        print(f"source: {df.attrs.get('source', '')}")
    print(f"\n## cost anomalies posted in {period.label}: {len(anomalies)} ledger lines to check")
    if anomalies.attrs.get("note"):
        print(f"note: {anomalies.attrs['note']}")
    if not anomalies.empty:
        print(_table(["posted", "entry", "vendor", "amount", "anomaly", "reason"],
                     [[cell(r.posting_date), r.entry_id, str(r.vendor_name or r.vendor_id)[:28], f"{r.amount:,.2f}",
                       r.anomaly, r.reason] for r in anomalies.itertuples(index=False)]))
    if pr is not None:
        print("against the synthetic hospital's planted anomalies (--truth):")
        print(_table(["kind", "planted", "found", "recall", "flagged", "of them planted", "precision"],
                     [[r.kind, r.planted, r.found, _pct(r.recall_pct), r.flagged, r.flagged_planted,
                       _pct(r.precision_pct)] for r in pr.itertuples(index=False)]))
    else:
        print("precision/recall need labelled anomalies: give --truth ground_truth.json of a synthetic hospital")
    print(f"source: {anomalies.attrs.get('source', '')}")
    print(f"\n## incident themes in {period.label}")
    if themes.attrs.get("note"):
        print(f"note: {themes.attrs['note']}")
    if not themes.empty:
        print(_table(["theme", "top terms", "incidents", "share", "top systems"],
                     [[r.theme, r.top_terms, r.incidents, _pct(r.share_pct), r.top_systems]
                      for r in themes.itertuples(index=False)]))
        for r in themes.itertuples(index=False):
            print(f"  {r.theme}. e.g. {r.examples}")
    print(f"source: {themes.attrs.get('source', '')}")
    print("\n## outage risk: probability of a P1/P2 incident next quarter per system")
    b = risk.attrs.get("backtest")
    if b:
        print(f"backtest: {b['forecasts']} forecasts, {b['events']} events; Brier score model {b['brier_model']:.4f} "
              f"vs base rate {b['brier_base_rate']:.4f} (skill {b['brier_skill_pct']:.0f} %, lower Brier is better); "
              f"shown: {b['shown']}")
        rel = outage_reliability(risk)
        print(_table(["model probability", "forecasts", "mean predicted", "observed", "base rate"],
                     [[r.bin, r.forecasts, _pct(r.mean_predicted_pct), _pct(r.observed_pct), _pct(r.base_rate_pct)]
                      for r in rel.itertuples(index=False)]))
    if risk.attrs.get("note"):
        print(f"note: {risk.attrs['note']}")
    if not risk.empty:
        print(_table(["system", "tier", "quarter", "probability", "shown", "P1/P2 last 4 q", "drivers"],
                     [[str(r.system_name)[:44], cell(r.criticality_tier, True), r.quarter, _pct(100 * r.probability),
                       r.shown or r.status, r.p1_p2_last_4_quarters, r.drivers]
                      for r in risk.head(args.limit).itertuples(index=False)]))
        if len(risk) > args.limit:
            print(f"({len(risk) - args.limit} more systems; --format json for all)")
    print(f"source: {risk.attrs.get('source', '')}")
    return 0


def cmd_scrub(args) -> int:
    from hitplan import store
    from hitplan.ingest.protect import rescrub_store
    from hitplan.ingest.pseudonymize import verified_key
    from hitplan.privacy.text import deny_file

    say = _progress(args.quiet)
    with store.writing(_store_path(args)) as con:
        key = verified_key(con, record=False)
        say("scrubbing the free text and rejects of the store")
        con.execute("begin transaction")
        try:
            done = rescrub_store(con, key)
            con.execute("rollback" if args.dry_run else "commit")
        except BaseException:
            con.execute("rollback")
            raise
    verb = "would replace" if args.dry_run else "replaced"
    if not done:
        print(f"nothing to replace (deny list: {deny_file()})")
    for where, kinds in done.items():
        print(f"{where}: {verb} {_replacements(kinds)}")
    return 0


def cmd_key(args) -> int:
    from hitplan import store
    from hitplan.errors import PseudonymKeyError
    from hitplan.ingest import pseudonymize as pz

    path = _store_path(args)

    def recorded():
        # Only show and import look at the store: export must work even when the store is locked or damaged.
        if not path.exists():
            return None
        con = store.connect(path)
        try:
            return pz.recorded_fingerprint(con)
        finally:
            con.close()

    if args.key_action == "export":
        fp = pz.export_key(Path(args.file))
        print(f"wrote the pseudonymization key (fingerprint {fp}) from {pz.key_location()} to {args.file}, "
              "readable by you only; keep it apart from the store (a password manager or a safe)")
        return 0
    if args.key_action == "import":
        key = pz.key_in_file(Path(args.file))
        fp, rec = pz.fingerprint(key), recorded()
        if rec is not None and rec.fingerprint != fp:
            raise PseudonymKeyError(
                f"{args.file} holds a key of fingerprint {fp}, but the data in store {path} was pseudonymized with "
                f"fingerprint {rec.fingerprint} (recorded {rec.recorded_at}); nothing was installed: import the "
                "backup of that key, or pass --store for the store this key belongs to"
            )
        done = pz.install_key(key, replace=args.replace)
        print(f"installed the key (fingerprint {fp}) at {done.path}" if done.changed
              else f"the key (fingerprint {fp}) is already installed at {done.path}")
        if done.previous:
            print(f"the key it replaced (fingerprint {done.previous_fingerprint}) is kept at {done.previous}")
        if rec is not None:
            print(f"it matches store {path} (recorded {rec.recorded_at}): loads will use it")
        elif path.exists():
            print(f"store {path} has no key fingerprint yet: its next load records this key's")
        else:
            print(f"no store at {path} to check it against")
        if os.environ.get(config.ENV_KEY):
            print(f"note: ${config.ENV_KEY} is set and is used instead of the key file; unset it to use this key")
        return 0
    key = pz.existing_key()
    rec = recorded()
    print(f"key:          {pz.key_location()}" if key is not None
          else f"key:          none at {config.key_file()} (a new store's first load makes one)")
    print(f"fingerprint:  {pz.fingerprint(key) if key is not None else '-'}")
    if not path.exists():
        print(f"store:        none at {path}")
    elif rec is None:
        print(f"store:        {path} has no key fingerprint yet: its next load records the key's")
    else:
        ok = key is not None and pz.fingerprint(key) == rec.fingerprint
        verdict = ("matches: loads use this key" if ok else
                   f"{'DOES NOT MATCH' if key is not None else 'no key found'}: loads are refused; restore the "
                   "store's key with `hitplan key import BACKUP`")
        print(f"store:        {path} was pseudonymized with fingerprint {rec.fingerprint} "
              f"(recorded {rec.recorded_at}): {verdict}")
        if not ok:
            return PseudonymKeyError.exit_code
    return 0


def build_parser() -> argparse.ArgumentParser:
    from hitplan.schema import feeds

    def common_options(defaults: bool) -> argparse.ArgumentParser:
        # The subcommands' copies default to SUPPRESS so `hitplan --store X demo` keeps the X given before the command.
        d = (lambda v: v) if defaults else (lambda _v: argparse.SUPPRESS)
        c = argparse.ArgumentParser(add_help=False)
        c.add_argument("--store", metavar="PATH", default=d(None),
                       help=f"the DuckDB store (default ${config.ENV_STORE} or data/hitplan.duckdb)")
        c.add_argument("--debug", action="store_true", default=d(False), help="show the full traceback on errors")
        c.add_argument("-q", "--quiet", action="store_true", default=d(False), help="no progress messages")
        return c

    common = common_options(defaults=True)
    sub_common = common_options(defaults=False)

    p = argparse.ArgumentParser(
        prog="hitplan",
        description="Strategic technology planning for hospital IT leadership, over one DuckDB store.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    p.add_argument("--version", action="version", version=f"hitplan {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_: str, func, description: str | None = None):
        sp = sub.add_parser(name, help=help_, description=description or help_, parents=[sub_common],
                            epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.set_defaults(func=func)
        return sp

    add("init", "create the store, or upgrade it to this version's schema", cmd_init)

    sp = add("ingest", "load export files into a feed (every row loaded or kept in rejects)", cmd_ingest,
             "Load one or more files into FEED in one transaction per file. Bad rows are kept in rejects with "
             "the reason; rows whose key is already stored replace the stored rows; person columns are "
             "pseudonymized, and free text (and every reject) scrubbed of names, e-mail addresses, phone numbers, "
             "SSNs, MRNs, IP addresses and the deny list's entries, before anything is stored (README, Privacy). "
             "Feeds: " + ", ".join(feeds()) + ".")
    sp.add_argument("feed", metavar="FEED", help="the feed to load (see docs/feeds.md)")
    sp.add_argument("files", metavar="FILE", nargs="+", help="CSV, Excel (.xlsx) or Parquet files")
    sp.add_argument("--profile", help="the exporting tool's profile (default: detected from the header; "
                    "see `hitplan profiles`)")
    sp.add_argument("--date-order", choices=["mdy", "dmy"],
                    help="how to read dates like 03/04/2025, 03-04-2025 or 03.04.2025 (mdy: month first, as US exports "
                         "write them; dmy: day first), overriding the profile's order; hitplan's own layout reads them "
                         "only with this flag")
    sp.add_argument("--values", metavar="MAP.yaml",
                    help="your value map: the words of your tool for each column's values, e.g. incidents: state: "
                         "{\"Awaiting Vendor\": on_hold}; applied before the profile's own words (README, Value maps)")
    sp.add_argument("--scan-date", type=_date, metavar="YYYY-MM-DD",
                    help="the day a vulnerability scan ran, for exports that do not say (Nessus CSV)")
    sp.add_argument("--rules", metavar="FILE.yaml",
                    help="costs only: rules mapping ledger lines to TBM cost pool, tower, capex/opex and "
                         "run/grow/transform (start from hitplan/ingest/rules/tbm_example.yaml)")
    sp.add_argument("--format", choices=["text", "json"], default="text", help="json: one object per file")
    sp.add_argument("--force", action="store_true", help="load a file even if this exact file was loaded before")
    sp.add_argument("--ignore-extra", action="store_true",
                    help="load files that have columns the feed does not know (leaving them out, named in a note); "
                         "without --profile, detection then may pick a profile that has every required column")

    sp = add("profiles", "list the export layouts hitplan reads: the columns each needs and reads", cmd_profiles,
             "List the profiles (one per exporting tool's layout) with their feeds, the columns a file must have "
             "(the feed's required columns and the columns that identify the tool, as the export names them) and "
             "the columns each reads. `hitplan profiles NAME` shows one in full: its column map, value rules, "
             "date layouts, fixed and derived values and person columns.")
    sp.add_argument("name", metavar="NAME", nargs="?", help="one profile, shown in full")
    sp.add_argument("--feed", metavar="FEED", help="only the profiles of this feed (and only its columns)")
    sp.add_argument("--format", choices=["text", "json"], default="text")

    sp = add("synth", "write the synthetic demo hospital's export files", cmd_synth,
             "Write every feed of a fictional ~450-bed hospital as export files, deterministic for a seed, "
             "with planted situations the analyses must find (ground_truth.json).")
    sp.add_argument("--out", required=True, metavar="DIR", help="folder to write the files to")
    sp.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sp.add_argument("--scale", type=_positive(float), default=1.0, help="volume multiplier, e.g. 0.1 or 100 (default 1)")
    sp.add_argument("--start", type=_date, default=dt.date(2023, 10, 1), help="first day (default 2023-10-01)")
    sp.add_argument("--end", type=_date, default=dt.date(2026, 9, 30), help="last day (default 2026-09-30)")

    sp = add("demo", "build the demo hospital: synthetic files, a fresh store, every feed loaded", cmd_demo,
             "Write the synthetic hospital into data/demo/ and load it into a new store (replacing the store "
             "only when everything succeeded).")
    sp.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sp.add_argument("--scale", type=_positive(float), default=1.0, help="volume multiplier (default 1)")
    sp.add_argument("--out", metavar="DIR", help="where the export files go (default data/demo): a new or empty "
                                                 "folder, or one an earlier demo wrote")
    sp.add_argument("--replace", action="store_true",
                    help="replace the store even when it holds loads other than a demo's (your own data)")

    sp = add("status", "list every feed: rows, date range, last load, rejects, link match rates", cmd_status)
    sp.add_argument("--format", choices=["text", "json"], default="text")

    sp = add("rejects", "show rejected rows with their reasons", cmd_rejects)
    sp.add_argument("--load", type=int, metavar="N", help="only this load (see the ingest output)")
    sp.add_argument("--feed", metavar="FEED", help="only this feed")
    sp.add_argument("--limit", type=_positive(int), default=50, help="rows to print (default 50)")
    sp.add_argument("--out", metavar="FILE.csv", help="write all of them, with the raw rows, to a new CSV file "
                                                      "(readable by you only)")
    sp.add_argument("--force", action="store_true", help="with --out: replace the file if it exists")

    from hitplan.kpi import AREAS

    sp = add("kpi", "print KPIs (an area's, or named ones) for a period, or the rows behind one", cmd_kpi,
             "Compute KPIs for a period from the store opened read-only: every KPI of an area (`hitplan kpi "
             "support`), or KPIs by name (`hitplan kpi mttr_by_priority reopen_rate`); --rows prints the rows "
             "behind one KPI (what it counts, with their keys) instead of its figures; --list lists every KPI "
             "with its area, unit and threshold. Each KPI is one SQL file and one YAML entry in "
             "hitplan/kpi/definitions/AREA/. csv: one block per KPI, headed by a '# kpi_name' line; json: {area "
             "(when one area), period, kpis: {name: {records, source, note}}}. Areas: " + ", ".join(AREAS) + ".")
    sp.add_argument("names", metavar="AREA|KPI", nargs="*", help="areas (" + ", ".join(AREAS) + ") or KPI names")
    sp.add_argument("--rows", action="store_true", help="the rows behind one KPI (drill-down)")
    sp.add_argument("--list", action="store_true", help="list the KPIs (name, area, unit, threshold) and exit")
    _add_period_args(sp)
    _add_settings_arg(sp)
    sp.add_argument("--format", choices=["table", "csv", "json", "markdown"], default="table",
                    help="markdown: with --list, the table of every KPI and the standard it follows (README's)")
    sp.add_argument("--limit", type=_positive(int), default=15, help="rows per KPI in the table format (default 15)")

    sp = add("scorecard", "print the nine areas' statuses with the KPIs that drive them", cmd_scorecard,
             "One status per area (on target / watch / off target, or no data when nothing of it can be "
             "measured) with the two or three KPIs that drive it; thresholds and benchmarks come from the "
             "settings (shipped: hitplan/kpi/config.yaml).")
    _add_period_args(sp)
    _add_settings_arg(sp)
    sp.add_argument("--format", choices=["table", "json"], default="table")

    sp = add("score", "rank the candidate initiatives from the store's evidence and choose the funded portfolio",
             cmd_score,
             "Score every open initiative on criteria computed from the store (clinical impact, risk reduction, "
             "operational effect, NPV, reach, alignment, confidence, cost), show why each ranks where it does and "
             "how robust that is to the weights, and with --budget choose the portfolio and start quarters that "
             "maximize total score delivered (earlier starts worth more, urgent initiatives most; see "
             "hitplan/prioritize/portfolio.yaml) within each fiscal year's capex, opex and staff hours. With "
             "--scenario compare up to four what-ifs (budgets, weights, method, forced in/out) side by side.")
    sp.add_argument("--period", help="evidence period (default: the last 12 months)")
    sp.add_argument("--start", type=_date, help="first day of the evidence period")
    sp.add_argument("--end", type=_date, help="day after the evidence period")
    sp.add_argument("--as-of", type=_date, help="the day relative periods count from (default: the last day with data in the store)")
    _add_settings_arg(sp)
    sp.add_argument("--weights", metavar="FILE.yaml", help="criteria and weights for this run, replacing the "
                                                           "settings' criteria (default hitplan/prioritize/criteria.yaml)")
    sp.add_argument("--method", choices=["weighted_sum", "topsis"], default="weighted_sum")
    sp.add_argument("--cost-weighted", action="store_true", dest="cost_weighted",
                    help="rank with cost as a weighted criterion and NPV net of cost (the old way; with --budget "
                         "cost then counts twice). Default: rank on benefit, cost and benefit per $100k beside it")
    sp.add_argument("--budget", metavar="FILE.yaml", help="budgets per fiscal year (capex, opex, hours) for this run, "
                                                          "replacing the settings' portfolio budgets")
    sp.add_argument("--samples", type=_positive(int), default=2000, help="weight samples for the robustness figures (default 2000)")
    sp.add_argument("--seed", type=int, default=7, help="random seed of the weight samples (default 7)")
    sp.add_argument("--time-limit", type=_positive(float), default=60.0, help="seconds the portfolio solver may take (default 60)")
    sp.add_argument("--scenario", metavar="FILE.yaml", action="append", default=[],
                    help="what-if scenarios to compare with the base (repeatable, up to four scenarios in all; see "
                         "hitplan/prioritize/scenarios_example.yaml); needs budgets (--budget or the settings file)")
    sp.add_argument("--plan-start", type=_date, dest="plan_start",
                    help="the day the plan may start from: it starts in the first fiscal quarter on or after it "
                         "(default: the day after the evidence period; --start names the evidence period)")
    sp.add_argument("--marginal", action="store_true",
                    help="with --budget: for each budget line and team that binds, re-solve with +10 %% and +25 %% of "
                         "it and say what that would buy")
    sp.add_argument("--format", choices=["table", "json"], default="table")

    sp = add("report", "run the report notebooks for a period and write HTML, the board PDF and deck", cmd_report,
             "Run the notebooks in notebooks/ with papermill (in parallel processes) on a snapshot of the store and "
             "write reports/<period>/: each report as HTML (code hidden, charts interactive and offline), the board "
             "pack as PDF, the board deck as PowerPoint, index.html and manifest.json. The folder is replaced only "
             "when everything succeeded; a failed or killed run leaves the previous one as it was. Safe to run from "
             "cron: `hitplan report --period last-quarter`.")
    _add_period_args(sp, default="last-quarter")
    sp.add_argument("--only", metavar="NAMES", help="comma-separated reports to run, e.g. board_pack,security "
                                                    "(default: all); they replace their own files inside the "
                                                    "period's existing pack, the other reports are kept")
    sp.add_argument("--formats", metavar="LIST", help="comma-separated: html,pdf,pptx (default: all three)")
    sp.add_argument("--jobs", type=_positive(int), default=2, help="notebooks run at once, in separate processes (default 2)")
    sp.add_argument("--out", metavar="DIR", help="where the period folders go (default reports/)")
    sp.add_argument("--cell-timeout", type=_positive(float), default=600.0, metavar="SECONDS",
                    help="stop a notebook cell that runs longer than this (default 600)")
    sp.add_argument("--hospital", help="the hospital's name on the reports (default: from the hospital feed)")
    _add_settings_arg(sp)
    sp.add_argument("--kpi-config", metavar="FILE.yaml", help="KPI targets and thresholds for this run, over the "
                                                               "settings' kpi section (area -> figure, as in "
                                                               "hitplan/kpi/config.yaml)")
    sp.add_argument("--weights", metavar="FILE.yaml", help="prioritization criteria and weights for this run, "
                                                           "replacing the settings' criteria")
    sp.add_argument("--budget", metavar="FILE.yaml", help="budgets per fiscal year for the recommended portfolio, "
                                                          "replacing the settings' portfolio budgets for this run")
    sp.add_argument("--param", action="append", type=_param, metavar="NAME=VALUE",
                    help="set another notebook parameter (refused unless every notebook run declares it)")

    sp = add("forecast", "forecast incidents, find cost anomalies and incident themes, rate outage risk", cmd_forecast,
             "Incident volume per system and per category for the next quarters (with 80 % intervals and a "
             "rolling-origin backtest against the seasonal-naive baseline, whose forecast is shown wherever the "
             "model did not beat it), ledger lines that look wrong with the reason, the themes of incident "
             "descriptions, and each system's probability of a P1/P2 incident next quarter (with its Brier score "
             "and reliability against the base rate). Forecasts use the data up to --as-of (default: the last "
             "day with incidents); anomalies and themes cover the period (default: the 12 months to --as-of).")
    _add_period_args(sp)
    sp.add_argument("--horizon", type=_positive(int, most=8), default=4, help="quarters ahead, 1-8 (default 4)")
    _add_settings_arg(sp)
    sp.add_argument("--themes", type=_positive(int), default=None, help="number of themes (default: the settings' "
                                                                         "forecast.themes.n_themes, shipped 10)")
    sp.add_argument("--seed", type=int, default=7, help="random seed of the models (default 7)")
    sp.add_argument("--truth", metavar="ground_truth.json",
                    help="a synthetic hospital's ground truth, to print anomaly precision and recall")
    sp.add_argument("--limit", type=_positive(int), default=15, help="rows per table in the table format (default 15)")
    sp.add_argument("--format", choices=["table", "json"], default="table")

    sp = add("settings", "print every configurable figure with its value and where it comes from", cmd_settings,
             "Every figure a CIO may change (KPI thresholds and costs, forecast settings, criteria and weights, "
             "portfolio policy and budgets, report policy), by section, with its value and its source: the shipped "
             "file's cited source, or the settings file that set it. `hitplan settings show --settings FILE` "
             "checks a settings file and shows what a run with it uses.")
    sp.add_argument("action", nargs="?", choices=["show"], default="show", help="show (the default)")
    _add_settings_arg(sp)
    sp.add_argument("--format", choices=["table", "json"], default="table")

    sp = add("schema", "print the feed reference (columns, types, rules) for bringing your own data", cmd_schema)
    sp.add_argument("--format", choices=["markdown", "json"], default="markdown")

    sp = add("models", "list the SQL models, or run their declared tests (unique, not null, accepted values, "
                       "relationships) on the store", cmd_models,
             "The SQL models (staging -> intermediate -> marts) and the tests hitplan/models/models.yml declares "
             "beside their columns, spelled as dbt's generic data tests. `models test` runs each test as one query "
             "over the store opened read-only and prints pass, or the failures counted as dbt counts them (null "
             "rows, repeated values, distinct values not accepted, rows naming a value the referenced model lacks). "
             "Tests of severity warn (what real exports may legitimately break, e.g. an incident naming a system "
             "missing from the inventory) are listed but allowed; any failing test of severity error exits 8.")
    msub = sp.add_subparsers(dest="models_action", metavar="ACTION", required=True)
    for action, help_, description in (
        ("list", "list the models with their layer, grain and number of declared tests",
         "List every SQL model in dependency order with its layer, its grain and how many tests it declares."),
        ("test", "run the models' declared tests on the store (exit 8 when a test of severity error fails)",
         "Run every test declared in hitplan/models/models.yml on the store (opened read-only), one query per "
         "test, and print each result: pass, warn (severity warn: allowed) or fail, with the failures and a few "
         "failing values. json: one object per test with its query, which returns the failing rows."),
    ):
        ap = msub.add_parser(action, help=help_, description=description, parents=[sub_common],
                             epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
        ap.add_argument("--format", choices=["table", "json"], default="table")

    sp = add("scrub", "scrub the store's free text and rejects again (after editing the deny list)", cmd_scrub,
             "Every load scrubs the free text it stores (short descriptions, descriptions, notes, initiative texts) "
             "and its rejects: names the store's name register knows, e-mail addresses, phone numbers, SSNs, MRNs, "
             "IP addresses and the deny list's words and patterns. `scrub` does it again over the whole store, "
             "in one transaction: after you add to the deny list ($HITPLAN_DENY_FILE, default deny.txt beside the "
             "key file), or for text loaded by a hitplan that did not scrub yet. Needs the store's key.")
    sp.add_argument("--dry-run", action="store_true", help="count what would be replaced, change nothing")

    sp = add("key", "show, back up (export) or restore (import) the pseudonymization key", cmd_key,
             "Personal identifiers are stored as keyed pseudonyms; the key lives outside the store, in "
             f"${config.ENV_KEY_FILE} or ~/.config/hitplan/pseudonym.key (${config.ENV_KEY}, when set, is used "
             "instead). The store records the key's fingerprint at its first load and refuses every load with "
             "another key or none (exit 4), since its pseudonyms would match nothing stored. Back the key up with "
             "`hitplan key export FILE`; restore it with `hitplan key import FILE`. No command prints the key.")
    ksub = sp.add_subparsers(dest="key_action", metavar="ACTION", required=True)

    def add_key_action(name: str, help_: str, description: str) -> argparse.ArgumentParser:
        return ksub.add_parser(name, help=help_, description=description, parents=[sub_common],
                               epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)

    add_key_action("show", "where the key is read from, its fingerprint, and whether the store's matches",
                   "Print where the pseudonymization key is read from, its fingerprint (never the key) and "
                   "whether it is the key the store's data was pseudonymized with. Exits 4 when the store "
                   "recorded another key, or one while none is found: loads would be refused.")
    kp = add_key_action("export", "write the key to a new file, to back it up",
                        "Write the pseudonymization key to FILE (mode 0600; an existing file is never overwritten). "
                        "Keep the copy apart from the store: whoever holds both can test names against pseudonyms.")
    kp.add_argument("file", metavar="FILE", help="the backup file to write (must not exist)")
    kp = add_key_action("import", "install a backed-up key as this machine's key file",
                        "Install FILE (a file `hitplan key export` wrote) as the key file (mode 0600 in a 0700 "
                        "folder), after checking it against the store's recorded fingerprint: a key of another "
                        "store is refused. A different key already installed is replaced only with --replace, "
                        "and kept beside the new one.")
    kp.add_argument("file", metavar="FILE", help="the key backup to install")
    kp.add_argument("--replace", action="store_true",
                    help="replace a different key already installed (it is kept as <key file>.replaced-<time>)")
    return p


# After Ctrl-C a command has this long to unwind (roll back, remove its temporary files) before it is stopped
# as a kill would stop it: a load commits whole or not at all, so the store is left as it was either way.
INTERRUPT_GRACE_SECONDS = 5.0
# What an interrupt leaves: a command that changes the store words it for its own case (ingest lists kept loads).
_INTERRUPT_NOTE = {"text": "the store is left as it was"}
_INTERRUPTS: list[float] = []  # when Ctrl-C came, for code that must not carry on after one


def _interrupted() -> str:
    return f"hitplan: interrupted; {_INTERRUPT_NOTE['text']}"


def _exit_interrupted() -> None:
    print(_interrupted(), file=sys.stderr, flush=True)
    os._exit(130)


def _catch_interrupts(state: dict):
    """Install the Ctrl-C handler (the previous one is returned): it marks ``state`` and raises KeyboardInterrupt.

    DuckDB turns the KeyboardInterrupt into its own error in a running query, and code may catch that; the mark
    lets main() answer 130 whatever the error became, and a timer stops a command that does not end in time.
    """

    def on_sigint(_signum, _frame):
        if state:
            _exit_interrupted()  # a second Ctrl-C: stop now
        _INTERRUPTS.append(time.monotonic())
        state["timer"] = threading.Timer(INTERRUPT_GRACE_SECONDS, _exit_interrupted)
        state["timer"].daemon = True
        state["timer"].start()
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread (hitplan called from a thread): Python's own handling stays
        return None


def main(argv: Sequence[str] | None = None) -> int:
    state: dict = {}
    previous = _catch_interrupts(state)
    # Every file and folder a command creates is owner-only from its first byte; those meant for
    # $HITPLAN_SHARE_GROUP are given to it once written (config.restrict_mode). Put back on return, for a caller that
    # runs hitplan in its own process.
    umask = os.umask(0o077)
    args = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return args.func(args)
    except KeyboardInterrupt:
        print(_interrupted(), file=sys.stderr)
        return 130
    except HitplanError as exc:
        if state:  # an interrupt that a library reported as its own error
            print(_interrupted(), file=sys.stderr)
            return 130
        if args.debug:
            raise
        print(f"hitplan: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the one place an unexpected error becomes one line
        if state:  # DuckDB reports an interrupted query as "Query interrupted"
            print(_interrupted(), file=sys.stderr)
            return 130
        damage = _store_damage(args, exc)
        if damage is not None and not args.debug:
            print(f"hitplan: error: {damage}", file=sys.stderr)
            return damage.exit_code
        if args is None or args.debug:
            raise
        print(f"hitplan: unexpected error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 1
    finally:
        os.umask(umask)
        if state.get("timer"):
            state["timer"].cancel()
        _INTERRUPTS.clear()
        _INTERRUPT_NOTE["text"] = "the store is left as it was"
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _store_damage(args, exc: Exception) -> HitplanError | None:
    """The "store damaged" error when a query failed because the store file is damaged, else None."""
    import duckdb

    if args is None or not isinstance(exc, duckdb.Error):
        return None
    from hitplan.store import damage_error

    return damage_error(_store_path(args), str(exc))


if __name__ == "__main__":
    sys.exit(main())
