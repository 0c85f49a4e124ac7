"""Report sections: for each area, data quality, the portfolio and the board pack, the findings stated in
sentences computed from the data, the key numbers, figures, detail tables and the sources behind them.

A ``Section`` is what a notebook shows (``hitplan.report.display.show``) and what the deck puts on slides.
``audience="board"`` drops host names, IP addresses and CVE-level detail (counts, trends and named systems
only); ``assert_board_safe`` refuses a section that still carries any.

A frame's source travels in ``attrs["source"]``: pandas (pinned to 3.1) keeps ``attrs`` through assign, column
selection, filtering, head, groupby and melt, so derived frames need no copy; pivot and concat drop it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go

from hitplan import charts
from hitplan.charts import count, money, pct
from hitplan.errors import UsageError
from hitplan.kpi import AREAS, area_module
from hitplan.kpi.common import STATUSES, AreaStatus, load_config, setting
from hitplan.periods import Period
from hitplan.report.disclosure import BoardDisclosure, disclosures, figure_texts
from hitplan.report.findings import Findings, absent, load_hint, names, plural

AUDIENCES = ("it", "board")
TITLES = {**charts.AREA_TITLES, "data_quality": "Data quality", "portfolio": "Initiative prioritization and portfolio",
          "scorecard": "Area scorecard", "risks": "Top risks", "budget": "Budget position"}
# columns that name hosts, addresses or individual vulnerabilities: IT reports only
_BOARD_DROP = {"host", "hosts", "cve", "vuln_id", "ip", "ip_address", "detail", "entry_id", "invoice_number",
               "test_id", "contract_id", "finding_id", "untested_system_ids", "system_id", "vendor_id"}


@dataclass
class Section:
    """One section of a report: findings in sentences, key numbers, figures, tables and their sources."""

    key: str
    title: str
    status: str | None
    findings: list[str] = field(default_factory=list)
    key_numbers: list[tuple[str, str]] = field(default_factory=list)
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    area_status: AreaStatus | None = field(default=None, repr=False)  # the KPI status behind ``status``


class _Draft:
    """A section being built: findings ordered by status, tables trimmed for the audience, sources gathered."""

    def __init__(self, key: str, period: Period | None, audience: str, status: AreaStatus | None = None):
        if audience not in AUDIENCES:
            raise UsageError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
        self.key, self.period, self.audience, self.area_status = key, period, audience, status
        self.findings = Findings()
        self.numbers: list[tuple[str, str]] = []
        self.figures: list[tuple[str, go.Figure]] = []
        self.tables: list[tuple[str, pd.DataFrame]] = []
        self.sources: list[str] = []

    @property
    def label(self) -> str:
        return self.period.label if self.period else ""

    def driver(self, kpi: str, index: int = 0):
        """The area status's ``index``-th driver computed by ``kpi`` (None when there is none)."""
        found = [d for d in (self.area_status.drivers if self.area_status else ()) if d.kpi == kpi]
        return found[index] if len(found) > index else None

    def say(self, text: str, status: str | None = None) -> None:
        self.findings.add(text, status)

    def number(self, label: str, value: str) -> None:
        self.numbers.append((label, value))

    def source(self, *frames: pd.DataFrame) -> None:
        for f in frames:
            s = f.attrs.get("source") if isinstance(f, pd.DataFrame) else None
            if s and s not in self.sources:
                self.sources.append(s)

    def figure(self, fig: go.Figure, *, headline: bool = False, chart: str | None = None) -> None:
        """Add a figure (first when it is the section's headline chart), captioned by its alt text."""
        meta = dict(fig.layout.meta) if isinstance(fig.layout.meta, dict) else {}
        if chart:
            fig.layout.meta = {**meta, "chart": chart}
        caption = meta.get("alt") or fig.layout.title.text or ""
        if headline:
            self.figures.insert(0, (caption, fig))
        else:
            self.figures.append((caption, fig))

    def table(self, caption: str, df: pd.DataFrame, *, rows: int | None = None) -> None:
        """Add a detail table; board sections lose host, address and vulnerability-id columns."""
        self.source(df)
        out = df.drop(columns=[c for c in df.columns if c in _BOARD_DROP]) if self.audience == "board" else df
        out = out.head(rows) if rows else out
        out = out.reset_index(drop=True)
        self.tables.append((caption, out))

    def drivers_table(self) -> None:
        if not self.area_status:
            return
        rows = [{"measure": d.measure, "value": d.value, "target": d.target, "status": d.status,
                 **({} if self.audience == "board" else {"detail": d.detail})} for d in self.area_status.drivers]
        df = pd.DataFrame(rows)
        df.attrs["source"] = f"hitplan.kpi.{self.key}.area_status"
        self.tables.insert(0, ("What drives the status", df))

    def done(self) -> Section:
        self.drivers_table()
        status = self.area_status.status if self.area_status else None
        return Section(self.key, TITLES.get(self.key, self.key), status, self.findings.ordered(), self.numbers,
                       self.figures, self.tables, self.sources, self.area_status)


def _sum(df: pd.DataFrame, col: str) -> float:
    return float(pd.to_numeric(df[col], errors="coerce").sum()) if not df.empty else 0.0


def _f(v) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _long(df: pd.DataFrame, x: str, cols: dict[str, str], name: str, value: str) -> pd.DataFrame:
    """A wide frame's ``cols`` (column -> label) stacked into (x, name, value) rows for one chart."""
    out = df.melt(id_vars=[x], value_vars=list(cols), var_name=name, value_name=value)
    out[name] = out[name].map(cols)
    return out


# ---------------------------------------------------------------- the nine areas

def _support(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import support as k

    vol, back = k.incident_volume_by_month(con, p), k.incident_backlog(con, p)
    sla, av = k.mttr_by_priority(con, p, cfg=cfg), k.availability_by_system_month(con, p, cfg=cfg)
    reopen, noisy, cats = k.reopen_rate(con, p), k.noisiest_systems(con, p), k.top_categories(con, p)
    s.source(vol, back, sla, av, reopen, noisy, cats)
    target = float(setting(cfg, "support", "availability_target_pct"))
    d = s.driver("availability_by_system_month")
    if av.empty:
        s.say(absent("System availability", p, av, "incidents"), d.status if d else None)
    else:
        t1 = av[av["criticality_tier"] == 1] if (av["criticality_tier"] == 1).any() else av
        per = t1.groupby("system_name", as_index=False)[["outage_minutes", "period_minutes"]].sum()
        per["availability_pct"] = (100.0 * (1 - per["outage_minutes"] / per["period_minutes"])).clip(lower=0)
        per.attrs["source"] = av.attrs["source"]
        overall = 100.0 * (1 - per["outage_minutes"].sum() / per["period_minutes"].sum())
        worst = per.sort_values("availability_pct").iloc[0]
        below = int(t1["below_target"].sum())
        tier = "Tier-1 systems" if (av["criticality_tier"] == 1).any() else "Systems"
        s.say(f"{tier} were available {pct(overall, 2)} of the time in {p.label} against a {pct(target, 1)} target; "
              f"the lowest was {worst['system_name']} at {pct(worst['availability_pct'], 2)}, and "
              + (f"{plural(below, 'system-month')} fell below target." if below else "no system-month fell below target."),
              d.status if d else None)
        s.number(f"{tier[:-1]} availability, {p.label}", pct(overall, 2))
        outages = per[per["outage_minutes"] > 0].assign(outage_hours=lambda x: x["outage_minutes"] / 60)
        s.figure(charts.ranked_bars(outages, "system_name", "outage_hours", unit="hours", top=10,
                                    title=f"{tier[:-1]} with most outage hours, {p.label}"))
        s.table(f"{tier} availability, {p.label} (lowest first)", per.sort_values("availability_pct"), rows=15)
    d = s.driver("mttr_by_priority")
    if sla.empty:
        s.say(absent("Response times against SLA", p, sla, "incidents"), d.status if d else None)
    else:
        th = setting(cfg, "support", "resolve_sla_met_pct")
        p1 = sla[sla["priority"] == 1]
        extra = ""
        if not p1.empty and _f(p1["mttr_hours"].iloc[0]) is not None:
            extra = (f"; P1 incidents took {p1['mttr_hours'].iloc[0]:.1f} hours on average to resolve "
                     f"(target {p1['resolve_target_hours'].iloc[0]:.0f} hours)")
        if d and d.value is not None:
            s.say(f"{pct(d.value)} of P1 and P2 incidents opened in {p.label} were resolved within their target time, "
                  f"against a floor of {th['watch']} %{extra}.", d.status)
            s.number("P1/P2 resolved within SLA", pct(d.value))
        s.table(f"Response and resolution by priority, {p.label}", sla)
    if vol.empty:
        s.say(absent("Incident volume", p, vol, "incidents"))
    else:
        opened, resolved = int(vol["opened"].sum()), int(vol["resolved"].sum())
        backlog = int(vol["backlog_at_month_end"].iloc[-1])
        old = int(_sum(back, "open_over_30_days"))
        s.say(f"{count(opened)} incidents were opened and {count(resolved)} resolved in {p.label}; {count(backlog)} "
              f"were still open at its end, {count(old)} of them for more than 30 days.")
        s.number(f"Incidents opened, {p.label}", count(opened))
        s.number("Open at period end", count(backlog))
        long = _long(vol, "month", {"opened": "opened", "resolved": "resolved",
                                    "backlog_at_month_end": "open at month end"}, "measure", "incidents")
        s.figure(charts.trend(long, "month", "incidents", color="measure", unit="incidents",
                              title=f"Incidents opened, resolved and open per month, {p.label}"), headline=True)
    d = s.driver("reopen_rate")
    if d and d.value is not None:
        s.say(f"{pct(d.value)} of incidents opened and resolved in {p.label} were reopened "
              f"(limit {setting(cfg, 'support', 'reopen_rate_pct')['watch']} %).", d.status)
    elif reopen.empty:
        s.say(absent("The reopen rate", p, reopen, "incidents"))
    if not noisy.empty:
        s.figure(charts.ranked_bars(noisy, "system_name", "incidents", unit="incidents", top=10,
                                    title=f"Systems with the most incidents, {p.label}"))
        s.table(f"Systems with the most incidents, {p.label}", noisy)
    if not cats.empty:
        s.table(f"Top incident categories, {p.label}", cats)


def _security(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import security as k

    ofs, kev, rem = k.open_findings_by_severity(con, p), k.kev_exposure(con, p), k.remediation_time_by_severity(con, p, cfg=cfg)
    phi, ph, loss = k.phi_systems_with_critical_findings(con, p), k.phishing_rates_by_month(con, p), k.breach_loss_exposure(con, p, cfg=cfg)
    s.source(ofs, kev, rem, phi, ph, loss)
    d = s.driver("kev_exposure")
    if kev.empty and "no open findings" not in str(kev.attrs.get("note", "")):
        s.say(absent("Exposure to known-exploited vulnerabilities", p, kev, "vulnerabilities"), d.status if d else None)
    else:
        past = kev[kev["past_due"]] if not kev.empty else kev
        s.number("Known-exploited findings past due", count(len(past)))
        if past.empty:
            s.say(f"No open finding of a CISA known-exploited (KEV) vulnerability was past CISA's due date at the end "
                  f"of {p.label} (target 0).", d.status if d else None)
        else:
            s.say(f"{plural(len(past), 'open finding')} of CISA known-exploited (KEV) vulnerabilities "
                  f"{'was' if len(past) == 1 else 'were'} past CISA's remediation due date at the end of {p.label} "
                  f"(target 0), on {plural(past['system_name'].nunique(), 'system')} "
                  f"({names(past['system_name'])}); the most overdue by {count(past['days_past_due'].max())} days.",
                  d.status if d else None)
        if s.audience == "board":
            by_sys = (past.groupby("system_name", as_index=False)
                      .agg(findings_past_due=("past_due", "size"), most_days_past_due=("days_past_due", "max")))
            s.table(f"Known-exploited findings past due by system, end of {p.label}", by_sys)
        else:
            s.table(f"Open findings of known-exploited (KEV) vulnerabilities, end of {p.label}", kev)
    if ofs.empty:
        s.say(absent("Open vulnerability findings", p, ofs, "vulnerabilities"))
    else:
        by = ofs.set_index("severity")
        total, crit = int(by["open_findings"].sum()), int(by["open_findings"].get("critical", 0))
        old = int(by["age_91_180_days"].sum() + by["age_over_180_days"].sum())
        s.say(f"{count(total)} vulnerability findings were open at the end of {p.label}: {count(crit)} critical and "
              f"{count(by['open_findings'].get('high', 0))} high; {count(old)} have been open for more than 90 days.")
        s.number("Open critical findings", count(crit))
        bands = {"age_0_30_days": "0-30 days", "age_31_90_days": "31-90 days", "age_91_180_days": "91-180 days",
                 "age_over_180_days": "over 180 days"}
        long = _long(ofs, "severity", bands, "age", "findings")
        long["severity"] = pd.Categorical(long["severity"], ["critical", "high", "medium", "low", "info"], ordered=True)
        s.figure(headline=True, fig=charts.stacked_bars(long, "severity", "findings", "age", unit="findings",
                                                     title=f"Open findings by severity and age, end of {p.label}"))
        s.table(f"Open findings by severity and age, end of {p.label}", ofs)
    d = s.driver("remediation_time_by_severity")
    crit = rem[rem["severity"] == "critical"] if not rem.empty else rem
    if crit.empty:
        s.say(absent("Remediation of critical findings", p, rem, "vulnerabilities") if rem.empty else
              f"No critical finding was fixed in {p.label}, so remediation time against policy cannot be judged.",
              d.status if d else None)
    else:
        r = crit.iloc[0]
        s.say(f"{pct(r['within_policy_pct'])} of the {count(r['fixed_findings'])} critical findings fixed in {p.label} "
              f"were fixed within the {r['policy_days']:.0f}-day policy (target at least "
              f"{setting(cfg, 'security', 'critical_within_policy_pct')['watch']} %), in "
              f"{r['mean_days_to_remediate']:.0f} days on average.", d.status if d else None)
        s.number("Critical fixed within policy", pct(r["within_policy_pct"]))
    if not rem.empty:
        s.table(f"Time to remediate by severity, {p.label}", rem)
    d = s.driver("phishing_rates_by_month")
    if ph.empty:
        s.say(absent("Phishing simulation results", p, ph, "phishing"), d.status if d else None)
    else:
        last = ph.iloc[-1]
        watch = setting(cfg, "security", "phishing_click_rate_pct")["watch"]
        s.say(f"In the latest phishing simulation month ({charts.month_label(last['month'])}) {pct(last['click_rate_pct'])} "
              f"of recipients clicked (limit {watch} %) and {pct(last['report_rate_pct'])} reported it.",
              d.status if d else None)
        s.number("Phishing click rate, latest month", pct(last["click_rate_pct"]))
        s.figure(charts.trend(ph, "month", "click_rate_pct", unit="%", target=float(watch), target_label="Limit",
                              title=f"Phishing simulation click rate, {p.label}", y_title="Click rate"))
    if not loss.empty:
        r = loss.iloc[0]
        s.say(f"The expected annual breach loss is {money(r['expected_annual_loss_usd'])} "
              f"({pct(100 * r['annual_breach_likelihood'], 0)} likelihood x {money(r['cost_per_breach_usd'])}, the "
              f"average healthcare breach); {count(r['phi_systems_exposed'])} of {count(r['phi_systems'])} systems holding PHI have an "
              "open critical or known-exploited finding.")
        s.number("Expected annual breach loss", money(r["expected_annual_loss_usd"]))
    if not phi.empty:
        s.figure(charts.ranked_bars(phi, "system_name", "open_critical_findings", unit="findings", top=10,
                                    title=f"PHI systems with open critical findings, end of {p.label}"))
        s.table(f"Systems holding PHI with open critical or known-exploited findings, end of {p.label}", phi)


def _infrastructure(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import infrastructure as k

    eos, rising = k.end_of_support_exposure(con, p, cfg=cfg), k.eos_systems_with_rising_incidents(con, p, cfg=cfg)
    age, p1 = k.incident_rate_by_age(con, p), k.p1_concentration_by_system(con, p)
    s.source(eos, rising, age, p1)
    d = s.driver("end_of_support_exposure")
    h = setting(cfg, "infrastructure", "eos_horizons_months")
    if eos.empty and any(m in str(eos.attrs.get("note", "")) for m in ("blank", "in the store")):
        s.say(absent("End-of-support exposure", p, eos, "systems"), d.status if d else None)
    else:
        past = eos[eos["eos_status"] == "past"] if not eos.empty else eos
        t1 = past[past["criticality_tier"] == 1] if not past.empty else past
        soon = eos[eos["eos_status"] == f"within_{h[0]}_months"] if not eos.empty else eos
        later = len(eos) - len(past) - len(soon)
        lead = (f"{plural(len(t1), 'tier-1 system')} {'was' if len(t1) == 1 else 'were'} past the vendor's end of "
                f"support at the end of {p.label} (target 0)" + (f": {names(t1['system_name'], 4)}" if len(t1) else ""))
        s.say(f"{lead}. In all {plural(len(past), 'system')} {'is' if len(past) == 1 else 'are'} past end of support; "
              f"{count(len(soon))} more reach it within {h[0]} months and {count(later)} within {h[-1]}.",
              d.status if d else None)
        s.number("Tier-1 systems past end of support", count(len(t1)))
        s.number(f"Systems reaching end of support within {h[-1]} months", count(len(eos) - len(past)))
        if not eos.empty:
            shown = eos.assign(status=eos["eos_status"].str.replace("_", " "))
            s.figure(headline=True, fig=charts.ranked_bars(shown, "system_name", "criticality_weight", color="status",
                                                        top=15, title=f"Systems past or near end of support, by "
                                                        f"criticality weight, end of {p.label}"))
            s.table(f"Systems past or within {h[-1]} months of end of support, end of {p.label}", eos)
    d = s.driver("eos_systems_with_rising_incidents")
    if not rising.empty:
        r = rising.iloc[0]
        s.say(f"{names(rising['system_name'])}, past end of support, had {count(r['p1_p2_in_period'])} P1/P2 incidents in "
              f"{p.label} against {count(r['p1_p2_previous_span'])} in the equally long span before: a system that is "
              "degrading, not noise.", d.status if d else None)
        s.table(f"End-of-support systems with rising P1/P2 incidents, {p.label}", rising)
    if not age.empty and len(age) > 1:
        young, old = age.iloc[0], age.iloc[-1]
        s.say(f"Systems aged {old['age_band']} had {old['incidents_per_system']:.1f} incidents each in {p.label}, "
              f"against {young['incidents_per_system']:.1f} for systems aged {young['age_band']}.")
        s.figure(charts.ranked_bars(age, "age_band", "incidents_per_system", unit="incidents",
                                    title=f"Incidents per system by system age, {p.label}"))
        s.table(f"Incidents per system by age band, {p.label}", age)
    if not p1.empty and p1["p1_incidents"].sum() > 0:
        r = p1.iloc[0]
        s.say(f"{r['system_name']} had {count(r['p1_incidents'])} of the P1 incidents in {p.label} "
              f"({pct(r['share_of_p1_pct'], 0)} of all).")
        s.figure(charts.ranked_bars(p1, "system_name", "p1_incidents", unit="incidents",
                                    title=f"Where P1 incidents concentrate, {p.label}"))
        s.table(f"Systems with most P1 incidents, {p.label}", p1)


def _continuity(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import continuity as k

    cov, res = k.dr_test_coverage_by_tier(con, p, cfg=cfg), k.dr_test_results(con, p, cfg=cfg)
    bk, dc = k.backup_success_by_tier(con, p), k.downtime_cost_by_system(con, p, cfg=cfg)
    s.source(cov, res, bk, dc)
    months = setting(cfg, "continuity", "dr_coverage_months")
    d = s.driver("dr_test_coverage_by_tier")
    crit = cov[cov["criticality_tier"].isin(["1", "2"])] if not cov.empty else cov
    if crit.empty or not crit["systems"].sum():
        s.say(absent("DR test coverage", p, cov, "systems") if cov.empty else
              f"No tier-1 or tier-2 system is in the inventory, so DR coverage of critical systems cannot be measured; "
              f"{load_hint('systems')} with criticality tiers.", d.status if d else None)
    else:
        tested, total = int(crit["tested_systems"].sum()), int(crit["systems"].sum())
        s.say(f"At the end of {p.label}, {count(tested)} of {count(total)} tier-1 and tier-2 systems "
              f"({pct(100 * tested / total)}) had a DR test in the preceding {months} months (target 100 %); "
              f"{count(total - tested)} "
              f"{'has' if total - tested == 1 else 'have'} no recent test.", d.status if d else None)
        s.number("Tier-1/2 systems DR-tested", pct(100 * tested / total))
        shown = cov.assign(tier="tier " + cov["criticality_tier"].astype(str))
        s.figure(fig=charts.ranked_bars(shown, "tier", "coverage_pct", unit="%", target=100.0,
                                                 title=f"Systems DR-tested in the last {months} months, by tier"))
        s.table(f"DR test coverage by criticality tier, {months} months to {p.last_day:%Y-%m-%d}", cov)
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
    if bk.empty:
        s.say(absent("Backup success", p, bk, "backups"), d.status if d else None)
    else:
        jobs, failed = _sum(bk, "jobs"), _sum(bk, "failed_jobs")
        s.say(f"{pct(100 * (1 - failed / jobs), 2)} of {count(jobs)} backup jobs in {p.label} succeeded (target at least "
              f"{setting(cfg, 'continuity', 'backup_success_pct')['watch']} %); {count(failed)} failed.",
              d.status if d else None)
        s.number("Backup success", pct(100 * (1 - failed / jobs), 2))
        s.table(f"Backup success by criticality tier, {p.label}", bk)
    if dc.empty:
        s.say(absent("Downtime cost", p, dc, "incidents"))
    else:
        top = dc.iloc[0]
        s.say(f"Outages cost an estimated {money(_sum(dc, 'downtime_cost_usd'))} in {p.label} "
              f"({count(_sum(dc, 'outage_hours'))} hours at the configured cost per hour by tier); the most costly was "
              f"{top['system_name']} at {money(top['downtime_cost_usd'])}.")
        s.number(f"Estimated downtime cost, {p.label}", money(_sum(dc, "downtime_cost_usd")))
        s.figure(headline=True, fig=charts.ranked_bars(dc, "system_name", "downtime_cost_usd", unit="$", top=10,
                                                    title=f"Estimated cost of downtime by system, {p.label}"))
        s.table(f"Outage hours and estimated downtime cost by system, {p.label}", dc, rows=15)


def _costs(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import costs as k

    pools, fc, share = k.budget_vs_actual_by_pool(con, p), k.year_end_forecast(con, p), k.it_opex_share(con, p, cfg=cfg)
    dup, tower, vendors = k.duplicate_postings(con, p), k.actual_by_tower_month(con, p), k.top_vendors_by_spend(con, p)
    s.source(pools, fc, share, dup, tower, vendors)
    th = setting(cfg, "costs", "actual_to_budget")
    d = s.driver("budget_vs_actual_by_pool")
    if pools.empty:
        s.say(absent("Budget against actual", p, pools, "costs"), d.status if d else None)
    else:
        actual, budget = _sum(pools, "actual_usd"), _sum(pools, "budget_usd")
        ratio = f" ({pct(100 * actual / budget)} of budget)" if budget else ""
        s.say(f"IT spent {money(actual)} in {p.label} against a budget of {money(budget)}{ratio}.")
        s.number(f"IT spend, {p.label}", money(actual))
        s.number("Spend against budget", pct(100 * actual / budget) if budget else charts.MISSING)
        over = pools[pools["actual_to_budget"] > th["watch"]]
        for r in over.head(2).itertuples():
            s.say(f"The {r.cost_pool} pool ran at {pct(100 * r.actual_to_budget, 0)} of its budget in {p.label} "
                  f"({money(r.variance_usd)} over; off target above {pct(100 * th['off_target'], 0)}).",
                  d.status if d else None)
        shown = pools.assign(actual_to_budget_pct=100 * pools["actual_to_budget"],
                             cost_pool=pools["cost_pool"].astype(str).str.replace("_", " "))
        s.figure(fig=charts.ranked_bars(shown, "cost_pool", "actual_to_budget_pct", unit="%", target=100.0,
                                                 title=f"Actual spend as % of budget by cost pool, {p.label}",
                                                 x_title="Actual / budget"))
        s.table(f"Budget and actual by cost pool, {p.label}", pools)
    if not fc.empty and _f(fc["run_rate_forecast_usd"].iloc[0]) is not None:
        r = fc.iloc[0]
        vs = (f", {pct(100 * r['forecast_to_budget'])} of its {money(r['budget_usd'])} budget"
              if _f(r["forecast_to_budget"]) is not None else " (no budget loaded for the year)")
        s.say(f"At the run rate of its first {r['months_elapsed']} months, FY{r['fiscal_year']} ends at "
              f"{money(r['run_rate_forecast_usd'])}{vs}.")
        s.number(f"FY{r['fiscal_year']} forecast (run rate)", money(r["run_rate_forecast_usd"]))
        s.table(f"Year-end forecast, FY{r['fiscal_year']}", fc)
    d = s.driver("it_opex_share")
    if share.empty:
        s.say(absent("IT operating spend as a share of hospital operating expense", p, share, "hospital"),
              d.status if d else None)
    else:
        r = share.iloc[0]
        where = ("within" if r["within_benchmark"] else
                 "below" if r["it_opex_share_pct"] < r["benchmark_low_pct"] else "above")
        s.say(f"Annualized, IT operating spend in {p.label} was {pct(r['it_opex_share_pct'], 2)} of the hospital's "
              "operating expense, "
              f"{where} the {r['benchmark_low_pct']:g}-{r['benchmark_high_pct']:g} % range typical of healthcare providers.",
              d.status if d else None)
    d = s.driver("duplicate_postings")
    if dup.empty:
        if "in the store" in str(dup.attrs.get("note", "")) or "blank" in str(dup.attrs.get("note", "")):
            s.say(absent("The duplicate-invoice check", p, dup, "costs"))
        else:
            s.say(f"No invoice was posted twice in {p.label}.", d.status if d else None)
    else:
        groups = dup.groupby(["vendor_id", "invoice_number", "amount_usd"]).ngroups
        extra = _sum(dup, "amount_usd") - float(dup.groupby(["vendor_id", "invoice_number", "amount_usd"])
                                                ["amount_usd"].first().sum())
        s.say(f"{plural(groups, 'invoice')} {'was' if groups == 1 else 'were'} posted more than once in {p.label}, "
              f"{money(extra)} to recover.", d.status if d else None)
        s.table(f"Duplicate postings, {p.label}", dup)
    if not tower.empty:
        named = tower.assign(tower=tower["tower"].astype(str).str.replace("_", " "))
        s.figure(headline=True, fig=charts.stacked_bars(named, "month", "actual_usd", "tower", unit="$",
                                                     title=f"Actual IT spend per month by tower, {p.label}"))
    if not vendors.empty:
        s.table(f"Vendors paid most, {p.label}", vendors)


def _training(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import training as k

    dept, role = k.completion_by_group(con, p, by="department"), k.completion_by_group(con, p, by="role")
    gap, howto = k.departments_with_training_gap(con, p, cfg=cfg), k.training_vs_howto_by_department(con, p)
    phish = k.phishing_before_after_training(con, p)
    s.source(dept, role, gap, howto, phish)
    th = setting(cfg, "training", "ehr_completion_pct")
    d = s.driver("completion_by_department")
    if dept.empty:
        s.say(absent("Training completion", p, dept, "training"), d.status if d else None)
    else:
        n, done, overdue = _sum(dept, "assignments"), _sum(dept, "completed"), _sum(dept, "overdue")
        low = dept.iloc[0]
        s.say(f"{pct(100 * done / n)} of the {count(n)} training assignments due in {p.label} were completed by its end "
              f"(target at least {th['watch']} %); {count(overdue)} are overdue, and {low['department']} completed the "
              f"least ({pct(low['completion_pct'])}).", d.status if d else None)
        s.number(f"Training completed, {p.label}", pct(100 * done / n))
        s.number("Assignments overdue", count(overdue))
        s.figure(fig=charts.ranked_bars(dept, "department", "overdue_pct", unit="%", top=12,
                                                 title=f"Departments with the most overdue training, {p.label}",
                                                 x_title="Assignments overdue"))
        s.table(f"Completion by role, {p.label}", role)
        s.table(f"Completion by department, {p.label} (lowest first)", dept, rows=15)
    d = s.driver("departments_with_training_gap")
    if howto.empty:
        s.say(absent("EHR training against how-to tickets", p, howto, "usage"), d.status if d else None)
    elif gap.empty:
        s.say(f"No department combined EHR course completion below {th['off_target']} % with a high rate of how-to "
              f"tickets in {p.label}.", d.status if d else None)
    else:
        k_ = setting(cfg, "training", "howto_multiple_of_median")
        r = gap.iloc[0]
        s.say(f"{names(gap['department'])} completed {pct(r['ehr_completion_pct'], 0)} of EHR training in {p.label} and "
              f"raised {r['howto_per_100_active_users']:.1f} how-to tickets per 100 active EHR users, at least {k_:g} "
              f"times the hospital's median ({r['median_howto_per_100_active_users']:.1f}): a training gap.",
              d.status if d else None)
        s.table(f"Departments with an EHR training gap, {p.label}", gap)
    if not howto.empty:
        s.figure(headline=True, fig=charts.ranked_bars(howto, "department", "howto_per_100_active_users", unit="tickets",
                                                    top=12, title=f"How-to tickets per 100 active EHR users, {p.label}",
                                                    x_title="How-to tickets per 100 users"))
    if not phish.empty and phish["change_pct_points"].notna().any():
        ch = float(phish["change_pct_points"].mean())
        s.say(f"After security-awareness training, departments' phishing click rates changed by {ch:+.1f} percentage "
              f"points on average in {p.label}.")
        s.table(f"Phishing click rate before and after security-awareness training, {p.label}", phish)


def _vendors(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import vendors as k

    sla, conc, ren = k.vendor_sla_attainment(con, p), k.spend_concentration(con, p), k.contracts_renewing(con, p, cfg=cfg)
    baa = k.baa_coverage(con, p)
    s.source(sla, conc, ren, baa)
    d = s.driver("vendor_sla_attainment")
    if sla.empty:
        s.say(absent("Vendor SLA attainment", p, sla, "contracts"), d.status if d else None)
    else:
        miss = sla[sla["response_met"] == False]  # noqa: E712 (nullable booleans)
        if miss.empty:
            s.say(f"Every vendor with a response SLA acknowledged its P1/P2 incidents within it in {p.label} (median).",
                  d.status if d else None)
        else:
            r = miss.iloc[0]
            s.say(f"{plural(len(miss), 'vendor')} acknowledged P1/P2 incidents more slowly than the contract allows in "
                  f"{p.label}: {r['vendor_name']} took {r['median_ack_minutes']:.0f} minutes (median) against "
                  f"{r['sla_response_minutes']:.0f}" + (f", and {names(miss['vendor_name'].iloc[1:])}" if len(miss) > 1 else "")
                  + ".", d.status if d else None)
        s.number("Vendors missing their response SLA", count(len(miss)))
        shown = sla.dropna(subset=["response_sla_met_pct"])
        shown = shown.nsmallest(10, "response_sla_met_pct")
        s.figure(fig=charts.ranked_bars(
            shown, "vendor_name", "response_sla_met_pct", unit="%",
            target=float(setting(cfg, "vendors", "response_sla_met_pct")["watch"]),
            title=f"P1/P2 acknowledged within the contract's SLA: lowest vendors, {p.label}", x_title="Within SLA"))
        s.table(f"SLA attainment by vendor, {p.label}", sla)
    d = s.driver("baa_coverage")
    if baa.empty:
        s.say(absent("Business associate agreement coverage", p, baa, "systems"), d.status if d else None)
    else:
        gaps = baa[baa["baa_gap"]]
        s.say((f"{plural(len(gaps), 'vendor')} of systems holding PHI had no signed business associate agreement in "
               f"{p.label}: {names(gaps['vendor_name'])}.") if len(gaps) else
              f"Every vendor of a system holding PHI had a signed business associate agreement in {p.label}.",
              d.status if d else None)
        s.number("PHI vendors without a BAA", count(len(gaps)))
        if len(gaps):
            s.table(f"Vendors of PHI systems without a signed BAA, {p.label}", gaps)
    d = s.driver("contracts_renewing")
    alert = setting(cfg, "vendors", "notice_alert_days")
    if ren.empty:
        s.say(absent("Contract renewals", p, ren, "contracts"), d.status if d else None)
    else:
        near = ren[ren["deadline_near"]]
        if near.empty:
            s.say(f"No auto-renewing contract reaches its notice deadline within {alert} days after {p.label}; "
                  f"{plural(len(ren), 'contract')} end or reach a deadline within "
                  f"{setting(cfg, 'vendors', 'renewal_horizon_days')} days.", d.status if d else None)
        else:
            r = near.iloc[0]
            s.say(f"{plural(len(near), 'auto-renewing contract')} worth {money(_sum(near, 'annual_value_usd'))} a year "
                  f"reach their notice deadline within {alert} days after {p.label} and renew unless acted on; the first "
                  f"is {r['title']} ({r['vendor_name']}), by {r['notice_deadline']:%Y-%m-%d}.", d.status if d else None)
        s.number(f"Auto-renewals with notice due within {alert} days", count(len(near)))
        s.table(f"Contracts ending or reaching their notice deadline soon, after {p.label}", ren)
    if not conc.empty:
        top5 = conc[conc["rank"] <= 5]
        s.say(f"The five vendors paid most took {pct(top5['share_pct'].sum(), 0)} of vendor spend in {p.label} "
              f"(Herfindahl index {conc['hhi'].iloc[0]:,.0f} of 10,000).")
        s.figure(headline=True, fig=charts.ranked_bars(conc, "vendor_name", "actual_usd", unit="$", top=10,
                                                    title=f"Spend by vendor, {p.label}"))
        s.table(f"Vendor spend concentration, {p.label}", conc, rows=15)


def _strategy(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import strategy as k

    ts, mix, pipe, rgt = k.transformation_share(con, p, cfg=cfg), k.portfolio_mix_by_area(con, p), \
        k.initiative_pipeline_by_status(con, p), k.spend_by_rgt(con, p)
    s.source(ts, mix, pipe, rgt)
    d = s.driver("transformation_share")
    if ts.empty:
        s.say(absent("The transformation share of spend", p, ts, "costs"), d.status if d else None)
    else:
        r = ts.iloc[0]
        s.say(f"{pct(r['transform_share_pct'])} of classified IT spend in {p.label} went to transforming the hospital "
              f"({money(r['transform_usd'])} of {money(r['classified_usd'])}), against a floor of {r['target_pct']:g} %.",
              d.status if d else None)
        s.number(f"Transformation share of spend, {p.label}", pct(r["transform_share_pct"]))
    if not rgt.empty:
        parts = ", ".join(f"{r.rgt} {pct(r.share_pct, 0)}" for r in rgt.itertuples())
        s.say(f"Spend in {p.label} split into {parts} (run / grow / transform).")
        s.figure(fig=charts.ranked_bars(rgt, "rgt", "actual_usd", unit="$",
                                                 title=f"Spend by run / grow / transform, {p.label}"))
        s.table(f"Spend by run / grow / transform, {p.label}", rgt)
    d = s.driver("initiative_pipeline_by_status")
    if pipe.empty:
        s.say(absent("The initiative pipeline", p, pipe, "initiatives"), d.status if d else None)
    else:
        live = pipe[pipe["initiative_status"].isin(["proposed", "approved", "in_progress"])]
        s.say(f"{plural(_sum(live, 'initiatives'), 'initiative')} are proposed, approved or in progress, asking for "
              f"{money(_sum(live, 'capex_usd'))} of capital and {money(_sum(live, 'opex_per_year_usd'))} a year to run; "
              f"{count(_sum(live, 'mandatory'))} are mandatory.", d.status if d else None)
        s.number("Initiatives in the pipeline", count(_sum(live, "initiatives")))
        s.number("Capital asked for", money(_sum(live, "capex_usd")))
        s.table("Initiatives by pipeline status", pipe)
    if not mix.empty:
        top = mix.iloc[0]
        s.say(f"{top['area'].capitalize()} initiatives ask for the most capital ({money(top['capex_usd'])} across "
              f"{plural(top['initiatives'], 'initiative')}).")
        s.figure(headline=True, fig=charts.ranked_bars(mix, "area", "capex_usd", unit="$",
                                                    title="Capital asked for by open initiatives, by area"))
        s.table("Open initiatives by area", mix)


def _compliance(con, p: Period, cfg: dict, s: _Draft) -> None:
    from hitplan.kpi import compliance as k

    cov, ev, fnd, bn = k.hipaa_coverage(con, p), k.control_evidence_freshness(con, p, cfg=cfg), \
        k.open_audit_findings_by_age(con, p), k.breach_notification_timeliness(con, p, cfg=cfg)
    s.source(cov, ev, fnd, bn)
    months = setting(cfg, "compliance", "evidence_stale_months")
    d = s.driver("control_evidence_freshness")
    if ev.empty:
        s.say(absent("Control evidence freshness", p, ev, "controls"), d.status if d else None)
    else:
        stale = ev[ev["stale"] & (ev["framework"] == k.HIPAA)]
        s.say((f"{plural(len(stale), 'HIPAA Security Rule control')} had evidence older than {months} months at the end "
               f"of {p.label} (off target above {setting(cfg, 'compliance', 'stale_required_controls')['off_target']}): "
               f"{names(stale['control_id'], 4)}.") if len(stale) else
              f"Every HIPAA Security Rule control had evidence from the last {months} months at the end of {p.label}.",
              d.status if d else None)
        s.number("HIPAA controls with stale evidence", count(len(stale)))
        if len(stale):
            shown = stale.assign(control=stale["control_id"] + " " + stale["title"].str.slice(0, 40))
            s.figure(fig=charts.ranked_bars(shown, "control", "evidence_age_days", unit="days", top=10,
                                                     target=float(months * 365 / 12),
                                                     title=f"HIPAA controls with stale evidence, end of {p.label}",
                                                     x_title="Age of latest evidence"))
            s.table(f"HIPAA controls with stale evidence, end of {p.label}", stale)
    d = s.driver("hipaa_coverage")
    if cov.empty:
        s.say(absent("HIPAA Security Rule coverage", p, cov, "controls"), d.status if d else None)
    else:
        req = cov[cov["requirement"] == "required"]
        if d and d.value is not None:
            s.say(f"{pct(d.value)} of HIPAA required implementation specifications were implemented at the end of "
                  f"{p.label} (target 100 %); "
                  f"{count(_sum(req, 'partial'))} are partial and {count(_sum(req, 'not_implemented'))} not implemented.",
                  d.status)
            s.number("HIPAA required specifications implemented", pct(d.value))
        long = _long(cov.groupby("safeguard", as_index=False)[["implemented", "partial", "not_implemented"]].sum(),
                     "safeguard", {"implemented": "implemented", "partial": "partial",
                                   "not_implemented": "not implemented"}, "status", "controls")
        s.figure(headline=True, fig=charts.stacked_bars(long, "safeguard", "controls", "status", unit="controls",
                                                     title="HIPAA Security Rule controls by safeguard and status"))
        s.table("HIPAA Security Rule coverage by safeguard and requirement", cov)
    d = s.driver("open_audit_findings_by_age")
    if fnd.empty:
        s.say(absent("Open audit findings", p, fnd, "findings") if "in the store" in str(fnd.attrs.get("note", ""))
              else f"No audit finding was open at the end of {p.label}.", d.status if d else None)
    else:
        past = int(fnd["past_due"].sum())
        s.say(f"{plural(len(fnd), 'audit finding')} {'was' if len(fnd) == 1 else 'were'} open at the end of {p.label}, "
              f"{count(past)} past the agreed remediation date; the oldest has been open {count(fnd['age_days'].max())} "
              "days.", d.status if d else None)
        s.number("Open audit findings", count(len(fnd)))
        s.table(f"Audit findings open at the end of {p.label}", fnd)
    if not bn.empty:
        r = bn.iloc[0]
        s.say(f"Of {plural(r['security_incidents'], 'security incident')} opened in {p.label}, "
              f"{count(r['within_limit'])} closed within {count(r['limit_days'])} days and {count(r['over_limit'])} took longer "
              f"(a proxy for the HIPAA breach-notification deadline: the store has no notification dates).")
        s.table(f"Security incidents against the 60-day notification rule (proxy), {p.label}", bn)
    elif "no security incidents" in str(bn.attrs.get("note", "")):
        s.say(f"No security incident was opened in {p.label}, so no breach-notification deadline was running.")


_BUILDERS = {"support": _support, "security": _security, "infrastructure": _infrastructure,
             "continuity": _continuity, "costs": _costs, "training": _training, "vendors": _vendors,
             "strategy": _strategy, "compliance": _compliance}


def _fix_captions(s: _Draft) -> None:
    s.figures = [((fig.layout.meta or {}).get("alt") or cap or fig.layout.title.text or "", fig) for cap, fig in s.figures]


def area_section(con: duckdb.DuckDBPyConnection, area: str, period: Period, cfg: dict | None = None,
                 audience: str = "it") -> Section:
    """An area's section: its status, findings with period, value and target, key numbers, figures and tables."""
    cfg = cfg or load_config()
    status = area_module(area).area_status(con, period, cfg)
    s = _Draft(area, period, audience, status)
    _BUILDERS[area](con, period, cfg, s)
    _fix_captions(s)
    out = s.done()
    if audience == "board":
        assert_board_safe(out)
    return out


# ---------------------------------------------------------------- data quality

# feeds exported again every month or so, whose last record shows how current the store is; the others are
# reference lists or plans whose dates (go-live, contract end, budget month) say nothing about freshness
RECURRING_FEEDS = ("incidents", "usage", "costs", "vulnerabilities", "backups", "training", "phishing")


def data_quality_section(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None) -> Section:
    """What the store holds and how far to trust it: coverage and freshness per feed, rejected rows by feed and
    reason, and links that do not resolve (e.g. incidents naming a system missing from the inventory)."""
    from hitplan.periods import latest_data_date
    from hitplan.store.status import feed_status, load_totals, reject_summary

    s = _Draft("data_quality", None, "it")
    day = as_of or latest_data_date(con)
    fs = feed_status(con)
    src = "load_log, rejects and every feed table (hitplan.store.status.feed_status)"
    feeds = pd.DataFrame([{
        "feed": f.feed, "rows": f.rows, "first": f.first, "last": f.last, "loads": f.loads, "last_load": f.last_load,
        "rejected_rows": f.rejects,
        "days_since_last_data": ((day - dt.date.fromisoformat(f.last)).days
                                 if f.last and day and f.feed in RECURRING_FEEDS else None),
        "lowest_link_match_pct": (100 * min(v for v in f.link_match.values() if v is not None)
                                  if any(v is not None for v in f.link_match.values()) else None),
    } for f in fs])
    feeds.attrs["source"] = src
    empty = feeds[feeds["rows"] == 0]
    loaded = feeds[feeds["rows"] > 0]
    s.say((f"All {len(feeds)} feeds hold data" if not len(empty) else f"{len(loaded)} of {len(feeds)} feeds hold data") + (
        f"; {names(empty['feed'], 6)} {'is' if len(empty) == 1 else 'are'} empty ({load_hint('FEED')})." if len(empty)
        else "."), "watch" if len(empty) else None)
    s.number("Feeds with data", f"{len(loaded)} of {len(feeds)}")
    dated = loaded.dropna(subset=["days_since_last_data"])
    if day and not dated.empty:
        stale = dated[dated["days_since_last_data"] > 35]
        s.say((f"{names(stale['feed'], 5)} {'ends' if len(stale) == 1 else 'end'} more than 35 days before "
               f"{day:%Y-%m-%d}, the last day with activity data: reports on recent periods will undercount "
               f"{'it' if len(stale) == 1 else 'them'}.") if len(stale) else
              f"Every recurring export ({names(dated['feed'], 9)}) runs to within 35 days of {day:%Y-%m-%d}, the last "
              "day with activity data.", "watch" if len(stale) else None)
        s.figure(fig=charts.ranked_bars(dated, "feed", "days_since_last_data", unit="days", top=20,
                                                 title=f"Days between each feed's last record and {day:%Y-%m-%d}",
                                                 x_title="Days behind"))
    rej = reject_summary(con)
    total = int(rej["rows_rejected"].sum()) if not rej.empty else 0
    read = load_totals(con)
    if total:
        top = rej.iloc[0]
        s.say(f"{count(total)} of {count(read[0])} rows read were rejected and kept with their reasons; the most common "
              f"is {top['feed']}.{top['column_name']}: {top['reason']} ({count(top['rows_rejected'])} rows). "
              "`hitplan rejects --out FILE.csv` lists them ready to fix and reload.", "watch")
        by_feed = rej.groupby("feed", as_index=False)["rows_rejected"].sum()
        s.figure(fig=charts.ranked_bars(by_feed, "feed", "rows_rejected", unit="rows",
                                                 title="Rejected rows by feed"))
        s.table("Rejected rows by feed, column and reason", rej)
    else:
        s.say(f"No row was rejected: all {count(read[0])} rows read were loaded." if read[0] else
              f"Nothing has been loaded yet; {load_hint('FEED')} (or run `hitplan demo` for the synthetic hospital).",
              None if read[0] else "watch")
    s.number("Rows rejected", count(total))
    links = pd.DataFrame([{"feed": f.feed, "link": c, "match_pct": 100 * v}
                          for f in fs for c, v in f.link_match.items() if v is not None])
    links.attrs["source"] = "every feed's link columns against their targets (hitplan/schema/feeds.yaml)"
    if not links.empty:
        weak = links[links["match_pct"] < 99.5].sort_values("match_pct")
        s.say((f"{plural(len(weak), 'link')} {'resolves' if len(weak) == 1 else 'resolve'} for less than 99.5 % of rows; "
               f"the weakest is {weak.iloc[0]['feed']}.{weak.iloc[0]['link']} at {pct(weak.iloc[0]['match_pct'])} "
               "(load the missing inventory rows or system aliases: `hitplan ingest system_aliases FILE`).")
              if len(weak) else f"All {plural(len(links), 'link')} between feeds resolve for at least 99.5 % of rows.",
              "watch" if len(weak) else None)
        s.number("Lowest link match", pct(links["match_pct"].min()))
        s.table("Links between feeds: share of non-blank values that resolve", links.sort_values("match_pct"))
    if read[1]:
        s.say(f"{count(read[1])} loaded rows name something the store does not know (unlinked); they are kept and "
              "counted, and link once the missing rows are loaded.")
    s.table("Feeds: rows, date range, last load, rejects and freshness", feeds)
    s.source(feeds, rej, links)
    _fix_captions(s)
    return s.done()


# ---------------------------------------------------------------- prioritization and portfolio

def evidence_period(period: Period) -> Period:
    """The twelve months ending with the period, over which initiative evidence counts (a year's incidents)."""
    from hitplan.periods import add_months

    start = add_months(period.end, -12) if period.end.day == 1 else period.end - dt.timedelta(days=365)
    if period.days >= 360:
        return period
    return Period(f"12 months to {period.last_day:%Y-%m-%d}", start, period.end)


@dataclass
class Prioritization:
    """The ranking, the funded portfolio and what goes with it, computed once for several sections."""

    period: Period
    ranking: pd.DataFrame
    evidence: pd.DataFrame
    budgets: pd.DataFrame | None
    portfolio: object | None
    frontier: pd.DataFrame | None
    tornado: pd.DataFrame | None
    acceptability: pd.DataFrame | None
    note: str = ""


def prioritize(con: duckdb.DuckDBPyConnection, period: Period, criteria_path=None, budget_path=None, *,
               samples: int = 300, frontier_scales=(0.5, 0.75, 1.0, 1.25, 1.5), sensitivity: bool = True) -> Prioritization:
    """Rank the open initiatives on a year of evidence to the period end and fund the best portfolio within the budgets."""
    import numpy as np

    from hitplan.prioritize import load_criteria, normalized, rank_acceptability, tornado, weight_samples
    from hitplan.prioritize.evidence import initiative_evidence
    from hitplan.prioritize.portfolio import InfeasiblePortfolio
    from hitplan.prioritize.score import funded_portfolio, load_budgets, ranked_initiatives

    ep = evidence_period(period)
    criteria = load_criteria(criteria_path)
    evidence, _ = initiative_evidence(con, ep)
    ranking = ranked_initiatives(con, ep, criteria, samples=samples, evidence=evidence)
    if ranking.empty:
        return Prioritization(ep, ranking, evidence, None, None, None, None, None,
                              f"no open initiatives in the store; {load_hint('initiatives')}")
    budgets = load_budgets(Path(budget_path)) if budget_path else None
    portfolio, frontier, note = None, None, ""
    if budgets is not None:
        try:
            portfolio = funded_portfolio(con, ranking, budgets)
            rows = []
            for sc in frontier_scales:
                try:
                    pf = funded_portfolio(con, ranking, budgets.assign(capex=budgets["capex"] * sc))
                    rows.append({"scale": sc, "capex_budget_usd": float(budgets["capex"].sum() * sc),
                                 "value": pf.value, "n_chosen": len(pf.chosen)})
                except InfeasiblePortfolio as err:
                    rows.append({"scale": sc, "capex_budget_usd": float(budgets["capex"].sum() * sc),
                                 "value": np.nan, "n_chosen": 0, "note": str(err)})
            frontier = pd.DataFrame(rows)
            frontier.attrs["source"] = f"funded_portfolio at capital budgets x {list(frontier_scales)}: {budget_path}"
        except InfeasiblePortfolio as err:
            note = f"the mandatory initiatives do not fit the budgets in {Path(budget_path).name}: {err}"
    torn = acc = None
    if sensitivity:
        m = evidence.set_index("initiative_id")[list(criteria.names)]
        z = normalized(m, criteria).to_numpy()
        torn = tornado(z, criteria.weight_array, list(m.index), criteria.names)
        a = rank_acceptability(z, weight_samples(criteria.weight_array, samples, 0.05, np.random.default_rng(7)))
        acc = pd.DataFrame(a, index=list(m.index))
    return Prioritization(ep, ranking, evidence, budgets, portfolio, frontier, torn, acc, note)


def _what_it_buys(pr: Prioritization, chosen: list[str]) -> dict[str, float]:
    ev = pr.evidence.set_index("initiative_id").loc[chosen]
    return {"risk_points": float(ev["risk_reduction"].sum()),
            "avoided_downtime_usd": float(ev["avoided_downtime_usd_per_year"].sum()),
            "hours_saved": float(ev["operational_effect"].sum()),
            "capex": float(ev["capex"].sum()), "opex": float(ev["opex_per_year"].sum()),
            "user_outage_hours": float(ev["clinical_impact"].sum())}


def portfolio_section(con: duckdb.DuckDBPyConnection, period: Period, criteria_path=None, budget_path=None, *,
                      audience: str = "it", samples: int = 300, prioritization: Prioritization | None = None) -> Section:
    """The initiatives ranked with the reasons, the funded portfolio and roadmap within the budgets, what it buys,
    the budget position and how value grows with the capital budget."""
    pr = prioritization or prioritize(con, period, criteria_path, budget_path, samples=samples,
                                      sensitivity=audience == "it")
    s = _Draft("portfolio", pr.period, audience)
    s.source(pr.ranking)
    if pr.ranking.empty:
        s.say(f"Initiatives cannot be ranked for {pr.period.label}: {pr.note}.", "watch")
        return s.done()
    r0 = pr.ranking.iloc[0]
    basis = f"the {pr.period.label}" if pr.period.label.startswith("12 months") else pr.period.label
    s.say(f"On the evidence of {basis}, {r0['name']} ranks first (score {r0['score']:.2f} of 1), chiefly for "
          f"{_why(r0['why'])}; it ranks in the top quarter in {pct(100 * r0['p_top_quartile'], 0)} of weight scenarios.")
    firm = pr.ranking[pr.ranking["p_top_quartile"] >= 0.8]
    s.say(f"{plural(len(firm), 'initiative')} of {len(pr.ranking)} stay in the top quarter in at least 80 % of weight "
          f"scenarios: the ranking at the top is {'firm' if len(firm) else 'sensitive to the weights'}.")
    s.number("Open initiatives ranked", count(len(pr.ranking)))
    rank_cols = ["rank", "initiative_id", "name", "area", "score", "p_top_quartile", "why", "capex", "opex_per_year"]
    # the outage probability is evidence beside the criteria (hitplan.forecast.outage_risk), not part of the score
    table = pr.ranking[rank_cols].assign(p1_p2_outage_next_quarter_pct=(100 * pr.ranking["outage_probability"]).round(0))
    s.table(f"Initiatives ranked by weighted score (evidence: {pr.period.label})", table)
    if pr.portfolio is None:
        s.say(f"No funded portfolio: {pr.note or 'no budget file was given'}.", "watch")
    else:
        _portfolio_findings(pr, s)
    if pr.tornado is not None and audience == "it":
        s.figure(charts.tornado(pr.tornado))
        s.figure(charts.rank_acceptability(pr.acceptability, top=12))
    _fix_captions(s)
    return s.done()


def _why(why: str) -> str:
    parts = [re.sub(r"\s+[\d.]+$", "", w).replace("_", " ") for w in str(why).split(", ")]
    return names(parts, 3)


def _portfolio_findings(pr: Prioritization, s: _Draft) -> None:
    pf, budgets = pr.portfolio, pr.budgets
    chosen = pf.chosen
    years = f"{budgets.index[0]}" + (f" to {budgets.index[-1]}" if len(budgets) > 1 else "")
    buys = _what_it_buys(pr, chosen)
    t = pf.totals
    s.say(f"Within the {years} budgets the recommended portfolio funds {len(chosen)} of {len(pr.ranking)} initiatives, "
          f"using {money(t['capex_used'].sum())} of {money(t['capex_budget'].sum())} capital and "
          f"{count(t['hours_used'].sum())} of {count(t['hours_budget'].sum())} staff hours.")
    s.say(f"It buys {count(buys['risk_points'])} risk points of reduction (open critical and known-exploited findings, "
          f"DR gaps, end-of-support systems), an estimated {money(buys['avoided_downtime_usd'])} a year of avoided "
          f"downtime and {count(buys['hours_saved'])} hours a year of incident handling, for {money(buys['opex'])} a "
          "year of added running cost.")
    left = pr.ranking[~pr.ranking["initiative_id"].isin(chosen)]
    if len(left):
        s.say(f"Not funded: {names(left['name'], 4)}.")
    if pr.frontier is not None and len(pr.frontier) > 1:
        f = pr.frontier.dropna(subset=["value"]).sort_values("scale")
        more = f[f["scale"] > 1]
        if len(more):
            r = more.iloc[0]
            s.say(f"With {pct(100 * (r['scale'] - 1), 0)} more capital ({money(r['capex_budget_usd'])} in all) the "
                  f"portfolio's value would rise from {pf.value:.2f} to {r['value']:.2f} score points, funding "
                  f"{count(r['n_chosen'])} initiatives instead of {len(chosen)}.")
    s.number("Initiatives funded", f"{len(chosen)} of {len(pr.ranking)}")
    s.number(f"Capital used, {years}", f"{money(t['capex_used'].sum())} of {money(t['capex_budget'].sum())}")
    s.number("Avoided downtime a year", money(buys["avoided_downtime_usd"]))
    names_by_id = dict(zip(pr.ranking["initiative_id"], pr.ranking["name"]))
    road = pf.roadmap()
    road.insert(1, "name", road["initiative"].map(names_by_id))
    road.attrs["source"] = "hitplan.prioritize.score.funded_portfolio (MILP within the budgets)"
    shown = road.assign(initiative=road["name"])  # the chart shortens long names, full name in the hover
    s.figure(charts.roadmap(shown, quarter_labels=pf.quarter_labels))
    totals = t.copy()
    totals.attrs["source"] = "Portfolio.totals: planned use against the budget file"
    s.figure(charts.budget_position(totals), chart="budget_position")
    if pr.frontier is not None:
        s.figure(charts.frontier(pr.frontier))
    s.table("Roadmap of the funded initiatives", road.drop(columns=["start", "finish"]))
    s.table("Planned use against the budgets by fiscal year", totals.reset_index())


# ---------------------------------------------------------------- the board pack

def board_sections(con: duckdb.DuckDBPyConnection, period: Period, cfg: dict | None = None, criteria_path=None,
                   budget_path=None, hospital: str | None = None, *, samples: int = 200) -> list[Section]:
    """The board pack's sections, board audience: the scorecard, top risks, the recommended portfolio and what it
    buys, and the budget position; each checked by ``assert_board_safe``."""
    cfg = cfg or load_config()
    areas = [area_section(con, a, period, cfg, audience="board") for a in AREAS]
    statuses = [a.area_status for a in areas]
    score = _Draft("scorecard", period, "board")
    counts = {st: sum(a.status == st for a in areas) for st in STATUSES}
    who = hospital or "The hospital"
    off = [a.title.lower() for a in areas if a.status == "off target"]
    score.say(f"In {period.label}, {counts['off target']} of {who}'s nine IT areas were off target"
              + (f" ({names(off, 9)})" if off else "") + f", {counts['watch']} to watch and {counts['on target']} on "
              "target.")
    for st in STATUSES:
        score.number(st.capitalize(), count(counts[st]))
    score.figure(charts.scorecard(statuses))
    sc_table = pd.DataFrame([{"area": a.title, "status": a.status, "headline": a.findings[0] if a.findings else ""}
                             for a in areas])
    sc_table.attrs["source"] = "hitplan.kpi.scorecard and the area sections"
    score.table(f"Area scorecard, {period.label}", sc_table)
    for a in areas:
        score.sources.extend(x for x in a.sources if x not in score.sources)
    risks = _Draft("risks", period, "board")
    ranked = sorted((a for a in areas if a.status in ("off target", "watch")),
                    key=lambda a: (-STATUSES.index(a.status), AREAS.index(a.key)))
    rows = []
    for i, a in enumerate(ranked[:6], 1):
        risks.say(a.findings[0], a.status)
        rows.append({"rank": i, "area": a.title, "status": a.status, "why": a.findings[0]})
        risks.sources.extend(x for x in a.sources if x not in risks.sources)
    if not rows:
        risks.say(f"No area was off target or on watch in {period.label}.")
    risks_df = pd.DataFrame(rows, columns=["rank", "area", "status", "why"])
    risks_df.attrs["source"] = "the area sections' headline findings, off target first"
    risks.table("Top risks, off target first", risks_df)
    risk_figs = [f for a in ranked[:2] for f in a.figures[:1]]
    risks.figures.extend(risk_figs)
    pr = prioritize(con, period, criteria_path, budget_path, samples=samples, sensitivity=False)
    portfolio = portfolio_section(con, period, audience="board", prioritization=pr)
    costs = next(a for a in areas if a.key == "costs")
    budget = Section("budget", TITLES["budget"], costs.status, list(costs.findings), list(costs.key_numbers),
                     list(costs.figures[:2]), [t for t in costs.tables if "pool" in t[0] or "forecast" in t[0].lower()],
                     list(costs.sources))
    out = [score.done(), risks.done(), portfolio, budget]
    out[0].status = None
    for sec in out:
        assert_board_safe(sec)
    if path := os.environ.get(DECK_INPUTS_ENV):
        save_deck_inputs(Path(path), DeckInputs(areas, portfolio, pr))
    return out


# ---------------------------------------------------------------- what the deck reuses of the board pack

DECK_INPUTS_ENV = "HITPLAN_DECK_INPUTS"  # set by `hitplan report` for the board-pack kernel only


@dataclass
class DeckInputs:
    """What the board pack computed that the deck shows too: the nine board-audience area sections, the portfolio
    section and the prioritization behind it. ``hitplan report`` has the board-pack notebook keep them (a pickle in
    its private build folder) so the deck shows the same numbers without computing them again."""

    areas: list[Section]
    portfolio: Section
    prioritization: Prioritization


def save_deck_inputs(path: Path, inputs: DeckInputs) -> None:
    """Write ``inputs`` to ``path`` atomically (a partly written file is never read)."""
    import pickle

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(inputs, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def load_deck_inputs(path: Path) -> DeckInputs | None:
    """The inputs the board pack kept at ``path``; None when there are none (the deck then computes its own)."""
    import pickle

    try:
        with open(path, "rb") as fh:
            inputs = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError):
        return None
    return inputs if isinstance(inputs, DeckInputs) else None


def board_summary(sections: list[Section], hospital: str, period: Period) -> str:
    """The board pack's opening paragraph, computed from its sections."""
    by = {s.key: s for s in sections}
    parts = []
    if "scorecard" in by and by["scorecard"].findings:
        parts.append(by["scorecard"].findings[0])
    if "risks" in by and by["risks"].findings:
        parts.append("The most pressing: " + by["risks"].findings[0][0].lower() + by["risks"].findings[0][1:])
    if "budget" in by and by["budget"].findings:
        parts.extend(by["budget"].findings[:1])
    if "portfolio" in by:
        funded = [f for f in by["portfolio"].findings if f.startswith("Within the")]
        parts.extend(funded[:1])
    return " ".join(parts) or f"No data for {hospital} in {period.label}."


# ---------------------------------------------------------------- what the board may see

def section_texts(section: Section) -> list[str]:
    """All the text a section shows: title, findings, key numbers, table headers and cells, figure text."""
    out = [section.title, *section.findings, *(x for kn in section.key_numbers for x in kn)]
    for caption, df in section.tables:
        out.append(caption)
        out.extend(str(c) for c in df.columns)
        out.extend(str(v) for v in df.astype(str).to_numpy().ravel())
    for caption, fig in section.figures:
        out.append(caption or "")
        out.extend(figure_texts(fig))
    return out


def assert_board_safe(section: Section, known_hosts: set[str] | None = None) -> None:
    """Raise BoardDisclosure when a section's text holds an IPv4 address, a CVE id or a host-name-like token
    (or one of ``known_hosts``, e.g. the store's scanner host names)."""
    hits = sorted({what for text in section_texts(section) for _, what in disclosures(text, known_hosts or ())})
    if hits:
        raise BoardDisclosure(f"section {section.key!r} is not fit for the board: it names {', '.join(hits[:5])}"
                              f"{' and more' if len(hits) > 5 else ''} (hosts, addresses and CVE ids stay in IT reports)")


def store_hosts(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Host names and addresses the store knows (scanner hosts and host/IP aliases), for ``assert_board_safe``."""
    rows = con.execute("select distinct host from vulnerabilities where host is not null union "
                       "select distinct alias from system_aliases where kind in ('host', 'ip_address')").fetchall()
    return {r[0] for r in rows}
