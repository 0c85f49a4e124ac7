"""Technology implementation and support: availability, response against SLA, incident volume and reopen rate.

The area's narrative for its report section, built from its KPI results (each KPI computed once per section)."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pandas as pd

from hitplan import charts
from hitplan.charts import count, pct
from hitplan.kpi import support as k
from hitplan.kpi.common import setting
from hitplan.periods import Period
from hitplan.report.findings import absent, plural
from hitplan.report.sections import Draft, as_float, column_sum, long_frame


def kpi_results(con: duckdb.DuckDBPyConnection, p: Period, cfg: dict) -> dict[str, pd.DataFrame]:
    """The KPIs the narrative reads, each computed once, by name (in the order their sources are listed)."""
    return {
        "incident_volume_by_month": k.incident_volume_by_month(con, p),
        "incident_backlog": k.incident_backlog(con, p),
        "mttr_by_priority": k.mttr_by_priority(con, p, cfg=cfg),
        "availability_by_system_month": k.availability_by_system_month(con, p, cfg=cfg),
        "reopen_rate": k.reopen_rate(con, p),
        "noisiest_systems": k.noisiest_systems(con, p),
        "top_categories": k.top_categories(con, p),
    }


def resolution_basis(sla: pd.DataFrame) -> str:
    """A sentence saying how the resolution times of ``mttr_by_priority`` are known, when any is not from resolved
    or closed times ("" when all are, or when the KPI has no basis columns)."""
    if sla.empty or "resolved_incidents" not in sla:
        return ""
    n = {c: int(column_sum(sla, c)) for c in ("resolved_incidents", "resolved_by_timestamps", "resolved_by_duration",
                                             "resolved_by_business_time", "resolved_by_last_update",
                                             "resolved_time_unknown", "resolve_sla_not_measurable")}
    if n["resolved_incidents"] == n["resolved_by_timestamps"]:
        return ""
    parts = []
    if n["resolved_by_timestamps"]:
        parts.append(f"{count(n['resolved_by_timestamps'])} from their resolved or closed times")
    if n["resolved_by_duration"]:
        parts.append(f"{count(n['resolved_by_duration'])} from the duration the service desk tool computed")
    if n["resolved_by_business_time"]:
        parts.append(f"{count(n['resolved_by_business_time'])} from business hours or time worked (lower bounds)")
    if n["resolved_by_last_update"]:
        parts.append(f"resolution times for {plural(n['resolved_by_last_update'], 'ticket')} are estimated from their "
                     "last update (an upper bound)")
    if n["resolved_time_unknown"]:
        parts.append(f"{plural(n['resolved_time_unknown'], 'resolved ticket has', 'resolved tickets have')} "
                     "no resolution time")
    text = f"Of {plural(n['resolved_incidents'], 'resolved incident')}, " + "; ".join(parts)
    if n["resolve_sla_not_measurable"]:
        text += (f"; {plural(n['resolve_sla_not_measurable'], 'ticket')} whose bound proves neither a met nor a missed "
                 "target are left out of the SLA figure")
    return text + "."


def pauses_and_verdicts(sla: pd.DataFrame) -> str:
    """A sentence saying whether ``mttr_by_priority``'s resolution times leave out on-hold time (ITIL 4 and HDI do)
    and whose verdict decides its SLA outcomes (the service desk tool's or hitplan's); "" when the KPI has no such
    columns or no ticket to speak of."""
    if sla.empty or "paused_time_unknown" not in sla:
        return ""
    n = {c: int(column_sum(sla, c)) for c in ("paused_time_subtracted", "paused_time_unknown", "resolved_incidents",
                                             "resolved_time_unknown", "sla_by_tool", "sla_by_hitplan")}
    timed = n["resolved_incidents"] - n["resolved_time_unknown"]
    parts = []
    if timed and n["paused_time_unknown"] == timed:
        parts.append("Resolution times include time on hold (awaiting the caller or a vendor), which ITIL and HDI "
                     "leave out: the export has no on-hold time")
    elif n["paused_time_unknown"]:
        parts.append(f"On-hold time was left out of {plural(n['paused_time_subtracted'], 'resolution time')}; for "
                     f"{plural(n['paused_time_unknown'], 'ticket')} the export has none, so their times include any "
                     "pauses")
    elif n["paused_time_subtracted"]:
        parts.append(f"On-hold time (awaiting the caller or a vendor) was left out of "
                     f"{plural(n['paused_time_subtracted'], 'resolution time')}")
    if n["sla_by_tool"] and n["sla_by_hitplan"]:
        parts.append(f"{plural(n['sla_by_tool'], 'SLA outcome')} {'is' if n['sla_by_tool'] == 1 else 'are'} the "
                     f"service desk tool's own verdict and {count(n['sla_by_hitplan'])} computed by hitplan against "
                     "the targets")
    elif n["sla_by_tool"]:
        parts.append("every SLA outcome is the service desk tool's own verdict")
    elif n["sla_by_hitplan"]:
        parts.append("SLA outcomes are computed by hitplan against the targets (the export has no SLA verdict)")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def narrative(results: Mapping[str, pd.DataFrame], p: Period, cfg: dict, s: Draft) -> None:
    """Findings, key numbers, figures and tables from the KPI ``results`` (``kpi_results``)."""
    vol = results["incident_volume_by_month"]
    back = results["incident_backlog"]
    sla = results["mttr_by_priority"]
    av = results["availability_by_system_month"]
    reopen = results["reopen_rate"]
    noisy = results["noisiest_systems"]
    cats = results["top_categories"]
    target = float(setting(cfg, "support", "availability_target_pct"))
    d = s.driver("availability_by_system_month")
    if av.empty:
        s.say(absent("System availability", p, av, "incidents"), d.status if d else None)
    else:
        t1 = av[av["criticality_tier"] == 1] if (av["criticality_tier"] == 1).any() else av
        # a month the incidents export does not cover has no availability (not 100 %): left out, and said
        unseen = sorted({f"{m:%Y-%m}" for m in t1.loc[~t1["incidents_covered"].astype(bool), "month"]})
        t1 = t1[t1["incidents_covered"].astype(bool)]
        per = t1.groupby("system_name", as_index=False)[["outage_minutes", "period_minutes"]].sum()
        per["availability_pct"] = (100.0 * (1 - per["outage_minutes"] / per["period_minutes"])).clip(lower=0)
        per.attrs["source"] = av.attrs["source"]
        overall = 100.0 * (1 - per["outage_minutes"].sum() / per["period_minutes"].sum())
        worst = per.sort_values("availability_pct").iloc[0]
        below = int(t1["below_target"].sum())
        tier = "Tier-1 systems" if (av["criticality_tier"] == 1).any() else "Systems"
        s.say(f"{tier} were available {pct(overall, 2)} of the time in {p.label} against a {pct(target, 1)} target; "
              f"the lowest was {worst['system_name']} at {pct(worst['availability_pct'], 2)}, and "
              + (f"{plural(below, 'system-month')} fell below target" if below else "no system-month fell below target")
              + (f"; {plural(len(unseen), 'month')} outside the incidents export ({', '.join(unseen)}) "
                 f"{'is' if len(unseen) == 1 else 'are'} not measured." if unseen else "."),
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
        if not p1.empty and as_float(p1["mttr_hours"].iloc[0]) is not None:
            extra = (f"; P1 incidents took {p1['mttr_hours'].iloc[0]:.1f} hours on average to resolve "
                     f"(target {p1['resolve_target_hours'].iloc[0]:.0f} hours)")
        if d and d.value is not None:
            s.say(f"{pct(d.value)} of P1 and P2 incidents opened in {p.label} were resolved within their target time, "
                  f"against a floor of {th['watch']} %{extra}.", d.status)
            s.number("P1/P2 resolved within SLA", pct(d.value))
        if basis := " ".join(filter(None, [resolution_basis(sla), pauses_and_verdicts(sla)])):
            s.say(basis)
        s.table(f"Response and resolution by priority, {p.label}", sla)
    if vol.empty:
        s.say(absent("Incident volume", p, vol, "incidents"))
    else:
        opened, resolved = int(vol["opened"].sum()), int(vol["resolved"].sum())
        backlog = int(vol["backlog_at_month_end"].iloc[-1])
        old = int(column_sum(back, "open_over_30_days"))
        unknown = int(column_sum(vol, "resolved_time_unknown"))
        s.say(f"{count(opened)} incidents were opened and {count(resolved)} resolved in {p.label}; {count(backlog)} "
              f"were still open at its end, {count(old)} of them for more than 30 days"
              + (f"; {plural(unknown, 'ticket')} whose state says done but with no time to say when "
                 f"{'is' if unknown == 1 else 'are'} not counted as open." if unknown else "."))
        s.number(f"Incidents opened, {p.label}", count(opened))
        s.number("Open at period end", count(backlog))
        long = long_frame(vol, "month", {"opened": "opened", "resolved": "resolved",
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
