"""Disaster recovery and business continuity: DR test coverage and results, backups and the cost of downtime.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, money, pct
from hitplan.kpi import continuity as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, load_hint, plural
from hitplan.report.sections import Draft, column_sum, long_frame


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "dr_test_coverage_by_tier": k.dr_test_coverage_by_tier(con, p, cfg=cfg),
        "dr_test_results": k.dr_test_results(con, p, cfg=cfg),
        "backup_success_by_tier": k.backup_success_by_tier(con, p),
        "downtime_cost_by_system": k.downtime_cost_by_system(con, p, cfg=cfg),
    }


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    cov = results["dr_test_coverage_by_tier"]
    res = results["dr_test_results"]
    bk = results["backup_success_by_tier"]
    dc = results["downtime_cost_by_system"]
    months = setting(cfg, "continuity", "dr_coverage_months")
    d = s.driver("dr_test_coverage_by_tier")
    crit = cov[cov["criticality_tier"].isin(["1", "2"])] if not cov.empty else cov
    if crit.empty or not crit["systems"].sum():
        s.say(absent(f"DR test coverage (a test in the preceding {months} months)", p, cov, "systems") if cov.empty else
              f"No tier-1 or tier-2 system is in the inventory, so DR coverage of critical systems cannot be measured; "
              f"{load_hint('systems')} with criticality tiers.", d.status if d else None)
    else:
        tested, total = int(crit["tested_systems"].sum()), int(crit["systems"].sum())
        tabletop, failed, none = (int(crit[c].sum()) for c in ("tabletop_only_systems", "failed_only_systems",
                                                                "untested_systems"))
        untyped = int(crit["untyped_tests"].sum())
        s.say(f"At the end of {p.label}, {count(tested)} of {count(total)} tier-1 and tier-2 systems "
              f"({pct(100 * tested / total)}) passed a technical DR test (partial or full failover) in the preceding "
              f"{months} months (target 100 %)"
              + (f"; {count(tabletop)} had only a tabletop exercise, {count(failed)} only failed tests and "
                 f"{count(none)} no test" if total - tested else "")
              + (f". {plural(untyped, 'DR test')} with no test type {'was' if untyped == 1 else 'were'} not counted "
                 f"as {'a technical test' if untyped == 1 else 'technical tests'}" if untyped else "") + ".",
              d.status if d else None)
        s.number("Tier-1/2 systems with a passed technical DR test", pct(100 * tested / total))
        groups = {"tested_systems": "passed technical test", "failed_only_systems": "failed tests only",
                  "tabletop_only_systems": "tabletop only", "untested_systems": "no test"}
        shown = long_frame(cov.assign(tier="tier " + cov["criticality_tier"].astype(str))[["tier", *groups]], "tier",
                           groups, "DR test", "systems")
        shown.attrs["source"] = cov.attrs.get("source")
        s.figure(fig=charts.stacked_bars(shown, "tier", "systems", "DR test",
                                         title=f"Systems per tier by their best DR test in the last {months} months"))
        ids = [c for c in cov.columns if c.endswith("_system_ids")]  # the board sees counts, IT the systems
        table = cov.drop(columns=ids) if s.audience == "board" else cov
        s.table(f"DR test coverage by criticality tier (passed technical tests), {months} months to "
                f"{p.last_day:%Y-%m-%d}", table)
    d = s.driver("dr_test_results")
    if res.empty:
        s.say(absent("DR test results", p, res, "dr_tests"), d.status if d else None)
    else:
        n = res["severity"].value_counts()
        k_ = setting(cfg, "continuity", "rto_severe_multiple")
        s.say(f"{plural(len(res), 'DR test')} {'was' if len(res) == 1 else 'were'} held in {p.label}: "
              f"{count(n.get('met', 0))} met their recovery objectives, {count(n.get('missed', 0))} missed them and "
              f"{count(n.get('severe miss', 0))} took {k_:g} times the objective or more.", d.status if d else None)
        s.table(f"DR tests held in {p.label}", res)
    d = s.driver("backup_success_by_tier")
    crit = bk[bk["criticality_tier"].isin(["1", "2"])] if not bk.empty else bk
    if bk.empty:
        s.say(absent("Backup success", p, bk, "backups"), d.status if d else None)
    elif not column_sum(crit, "systems"):
        s.say(f"No tier-1 or tier-2 system holds ePHI, has a recovery point objective or had a backup job in {p.label}, "
              "so backups of critical systems cannot be judged.", d.status if d else None)
    else:  # every system that should be backed up is counted, those without a backup named in the table
        total, done = column_sum(crit, "systems"), column_sum(crit, "backed_up_systems")
        none, failed_only = column_sum(crit, "no_job_systems"), column_sum(crit, "only_failed_systems")
        jobs, failed = column_sum(crit, "jobs"), column_sum(crit, "failed_jobs")
        said = (f"{count(done)} of {count(total)} tier-1 and tier-2 systems that should be backed up (holding ePHI or "
                f"with a recovery point objective) had a successful backup in {p.label} (target all, HIPAA "
                "164.308(a)(7)(ii)(A))")
        if total - done:
            said += ": " + " and ".join(part for n, part in ((none, f"{count(none)} had no backup job"),
                                                             (failed_only, f"{count(failed_only)} only failed jobs"))
                                        if n)
        said += "."
        if jobs:
            said += (f" {pct(100 * (1 - failed / jobs), 2)} of their {count(jobs)} backup jobs succeeded (target at "
                     f"least {setting(cfg, 'continuity', 'backup_success_pct')['watch']} %); {count(failed)} failed.")
        if vendor := column_sum(crit, "vendor_backed_up_systems"):
            said += (f" {plural(vendor, 'SaaS system')} holding data {'is' if vendor == 1 else 'are'} left to the "
                     "vendor's backups, which the backup feed does not show.")
        s.say(said, d.status if d else None)
        s.number("Tier-1/2 systems backed up", pct(100 * done / total))
        if jobs:
            s.number("Tier-1/2 backup job success", pct(100 * (1 - failed / jobs), 2))
        ids = [c for c in bk.columns if c.endswith("_system_ids")]  # the board sees counts, IT the systems
        s.table(f"Backup success by criticality tier, {p.label}", bk.drop(columns=ids) if s.audience == "board" else bk)
    if dc.empty:
        s.say(absent("Downtime cost", p, dc, "incidents"))
    else:
        top, unpriced = dc.iloc[0], dc[dc["downtime_cost_usd"].isna()]
        priced = dc.drop(unpriced.index)
        s.say(f"Outages cost an estimated {money(column_sum(dc, 'downtime_cost_usd'))} in {p.label} "
              f"({count(column_sum(priced, 'outage_hours'))} hours at the configured cost per hour by tier); the most costly was "
              f"{top['system_name']} at {money(top['downtime_cost_usd'])}"
              + (f"; {count(column_sum(unpriced, 'outage_hours'))} outage hours on "
                 f"{plural(len(unpriced), 'system')} whose tier has no cost per hour are not priced"
                 if len(unpriced) else "") + ".")
        s.number(f"Estimated downtime cost, {p.label}", money(column_sum(dc, "downtime_cost_usd")))
        s.figure(headline=True, fig=charts.ranked_bars(dc, "system_name", "downtime_cost_usd", unit="$", top=10,
                                                    title=f"Estimated cost of downtime by system, {p.label}"))
        s.table(f"Outage hours and estimated downtime cost by system, {p.label}", dc, rows=15)
