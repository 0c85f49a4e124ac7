"""The prioritization section: the initiatives ranked with their reasons, the funded portfolio and roadmap within the
budgets, what it buys, the budget position and how value grows with the capital budget. The analysis itself is
``hitplan.prioritize.run.prioritize``; this module states it in sentences, figures and tables."""

from __future__ import annotations

import re

import duckdb

from hitplan import charts
from hitplan.charts import count, money, pct
from hitplan.forecast import outage_risk
from hitplan.periods import Period
from hitplan.prioritize.criteria import criteria_from_settings
from hitplan.prioritize.evidence import initiative_evidence
from hitplan.prioritize.run import Prioritization, evidence_period, prioritize
from hitplan.prioritize.portfolio import budgets_from_settings
from hitplan.report.findings import load_hint, names, plural
from hitplan.report.sections import Draft, Section, fix_captions
from hitplan.settings import Settings

FRONTIER_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)  # capital budget multiples the frontier is computed at


def report_prioritization(con: duckdb.DuckDBPyConnection, period: Period, settings: Settings, *,
                          samples: int = 300, sensitivity: bool = True) -> Prioritization:
    """The reports' prioritization run: a year of evidence to the period's end (counted with the run's
    ``settings`` and the outage forecast as of its last day), the settings' criteria, budgets and delay discount,
    the frontier over ``FRONTIER_SCALES`` and, for IT, the sensitivity of the ranking."""
    budgets = budgets_from_settings(settings)
    ep = evidence_period(period)
    evidence, _ = initiative_evidence(con, ep, settings, outage_risk(con, ep.last_day))
    return prioritize(con, ep, criteria_from_settings(settings), budgets, evidence=evidence,
                      budget_file=settings.source("portfolio", "budgets", str(budgets.index[0])), samples=samples,
                      frontier_scales=FRONTIER_SCALES, sensitivity=sensitivity, settings=settings, marginal=True)


def _what_it_buys(pr: Prioritization, chosen: list[str]) -> dict[str, float]:
    ev = pr.evidence.set_index("initiative_id").loc[chosen]
    return {"risk_points": float(ev["risk_reduction"].sum()),
            "avoided_downtime_usd": float(ev["avoided_downtime_usd_per_year"].sum()),
            "hours_saved": float(ev["operational_effect"].sum()),
            "capex": float(ev["capex"].sum()), "opex": float(ev["opex_per_year"].sum()),
            "user_outage_hours": float(ev["clinical_impact"].sum())}


def portfolio_section(con: duckdb.DuckDBPyConnection, period: Period, settings: Settings, *,
                      audience: str = "it", samples: int = 300, prioritization: Prioritization | None = None) -> Section:
    """The initiatives ranked with the reasons, the funded portfolio and roadmap within the budgets, what it buys,
    the budget position and how value grows with the capital budget (from ``prioritization`` when given)."""
    pr = prioritization or report_prioritization(con, period, settings, samples=samples, sensitivity=audience == "it")
    firm_share = float(settings.value("report", "portfolio", "firm_top_quartile_share"))
    s = Draft("portfolio", pr.period, audience)
    s.source(pr.ranking)
    if pr.ranking.empty:
        s.say(f"Initiatives cannot be ranked for {pr.period.label}: {pr.note}; {load_hint('initiatives')}.", "watch")
        return s.done()
    r0 = pr.ranking.iloc[0]
    basis = f"the {pr.period.label}" if pr.period.label.startswith("12 months") else pr.period.label
    s.say(f"On the evidence of {basis}, {r0['name']} ranks first (score {r0['score']:.2f} of 1), chiefly for "
          f"{_why(r0['why'])}; it ranks in the top quarter in {pct(100 * r0['p_top_quartile'], 0)} of weight scenarios.")
    firm = pr.ranking[pr.ranking["p_top_quartile"] >= firm_share]
    s.say(f"{plural(len(firm), 'initiative')} of {len(pr.ranking)} stay in the top quarter in at least "
          f"{100 * firm_share:g} % of weight "
          f"scenarios: the ranking at the top is {'firm' if len(firm) else 'sensitive to the weights'}.")
    s.number("Open initiatives ranked", count(len(pr.ranking)))
    rank_cols = ["rank", "initiative_id", "name", "area", "score", "p_top_quartile", "why", "capex", "opex_per_year"]
    rank_cols += [c for c in ("cost_usd", "benefit_per_100k") if c in pr.ranking.columns]
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
    fix_captions(s)
    return s.done()


def _why(why: str) -> str:
    parts = [re.sub(r"\s+[\d.]+$", "", w).replace("_", " ") for w in str(why).split(", ")]
    return names(parts, 3)


def _portfolio_findings(pr: Prioritization, s: Draft) -> None:
    pf, budgets = pr.portfolio, pr.budgets
    chosen = pf.chosen
    names_by_id = dict(zip(pr.ranking["initiative_id"], pr.ranking["name"]))
    years = f"{budgets.index[0]}" + (f" to {budgets.index[-1]}" if len(budgets) > 1 else "")
    first = pf.quarter_labels[0] if len(pf.quarter_labels) else ""
    buys = _what_it_buys(pr, chosen)
    t = pf.totals
    s.say(f"Within the {years} budgets the recommended portfolio funds {len(chosen)} of {len(pr.ranking)} initiatives, "
          f"using {money(t['capex_used'].sum())} of {money(t['capex_budget'].sum())} capital and "
          f"{count(t['hours_used'].sum())} of {count(t['hours_budget'].sum())} staff hours; the plan starts in "
          f"{first}, the first quarter after the data.")
    s.say(_binding_sentence(pr, names_by_id))
    s.say(f"It buys {count(buys['risk_points'])} risk points of reduction (open critical and known-exploited findings, "
          f"DR gaps, end-of-support systems), an estimated {money(buys['avoided_downtime_usd'])} a year of avoided "
          f"downtime and {count(buys['hours_saved'])} hours a year of incident handling, for {money(buys['opex'])} a "
          "year of added running cost.")
    if (sentence := _deadline_sentence(pf, names_by_id)):
        s.say(sentence)
    left = pr.ranking[~pr.ranking["initiative_id"].isin(chosen)]
    if len(left):
        s.say(f"Not funded: {names(left['name'], 4)}.")
    if pr.frontier is not None and len(pr.frontier) > 1:
        f = pr.frontier.dropna(subset=["value"]).sort_values("scale")
        more = f[f["scale"] > 1]
        if len(more):
            r = more.iloc[0]
            if r["value"] > pf.value + 1e-6:
                s.say(f"With {pct(100 * (r['scale'] - 1), 0)} more capital ({money(r['capex_budget_usd'])} in all) "
                      f"the portfolio's value would rise from {pf.value:.2f} to {r['value']:.2f} score points, "
                      f"funding {count(r['n_chosen'])} initiatives instead of {len(chosen)}.")
            else:
                s.say(f"{pct(100 * (r['scale'] - 1), 0)} more capital alone would fund nothing more: capital is not "
                      "what holds the portfolio back.")
    s.number("Initiatives funded", f"{len(chosen)} of {len(pr.ranking)}")
    s.number(f"Capital used, {years}", f"{money(t['capex_used'].sum())} of {money(t['capex_budget'].sum())}")
    s.number("Avoided downtime a year", money(buys["avoided_downtime_usd"]))
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
    if pr.marginal is not None and len(pr.marginal):
        m = pr.marginal.assign(entering=pr.marginal["entering"].map(lambda v: _ids(v, names_by_id)),
                               earlier=pr.marginal["earlier"].map(lambda v: _ids(v, names_by_id)))
        m = m[["fiscal_year", "name", "step", "extra", "delivered_added", "entering", "earlier"]].rename(
            columns={"name": "budget line", "step": "raise", "delivered_added": "score added as delivered",
                     "entering": "would enter", "earlier": "would start earlier"})
        m.attrs["source"] = "hitplan.prioritize.portfolio.marginal_values (each binding line re-solved at +10 % and +25 %)"
        s.table("What binds and what more would buy (re-solved)", m)
    _realization_findings(pr, s)


def _ids(v, names_by_id) -> str:
    return ", ".join(names_by_id.get(i, i) for i in (v or [])) or "–"


def _binding_sentence(pr: Prioritization, names_by_id) -> str:
    """Which budget line binds hardest and what more of it would buy, from the re-solved marginal values."""
    m = pr.marginal
    if m is None or m.empty:
        return ("No budget line binds: every initiative that fits its dependencies is funded as early as it can be.")
    best = m.sort_values(["delivered_added", "step"], ascending=[False, True]).iloc[0]
    lines = m.drop_duplicates(["fiscal_year", "line"])
    which = names([f"{r.name} in {r.fiscal_year}" for r in lines.itertuples(index=False)], 3)
    if best["delivered_added"] <= 1e-6:
        return (f"What binds: {which}; but raising any of them by 10 or 25 % would fund nothing more and start "
                "nothing earlier.")
    gain = []
    if best["entering"]:
        gain.append("fund " + names([names_by_id.get(i, i) for i in best["entering"]], 2))
    if best["earlier"]:
        gain.append("start " + names([names_by_id.get(i, i) for i in best["earlier"]], 2) + " earlier")
    extra = money(best["extra"]) if best["line"] in ("capex", "opex") else f"{count(best['extra'])} more hours"
    return (f"What binds: {which}. The most valuable relief is {best['name']} in {best['fiscal_year']}: "
            f"{pct(100 * best['step'], 0)} more ({extra}) would {' and '.join(gain)}, adding "
            f"{best['delivered_added']:.2f} score points as delivered.")


def _deadline_sentence(pf, names_by_id) -> str:
    d = pf.deadlines
    if d is None or d.empty:
        return ""
    missed = d[d["status"] != "met"]
    due_now = d[(d["status"] == "met") & d["reason"].str.startswith("already due")]
    parts = [f"{plural(len(d), 'initiative')} carry a deadline from the data they address (CISA due dates, end of "
             f"support, contract notice days, due dates given): {len(d) - len(missed)} met"]
    if len(due_now):
        parts.append(f"{names([names_by_id.get(i, i) for i in due_now['initiative']], 3)} already overdue, so they "
                     "start in the plan's first quarter")
    if len(missed):
        parts.append(f"{names([names_by_id.get(i, i) for i in missed['initiative']], 3)} missed (not funded or "
                     "finishing late; the roadmap table gives why)")
    return "; ".join(parts) + "."


def _realization_findings(pr: Prioritization, s: Draft) -> None:
    """Did the done initiatives deliver? P1/P2 incidents on their targets before and after, against comparable
    systems (difference in differences), achieved against promised."""
    r = pr.realized
    if r is None or r.empty:
        return
    head = r[r["metric"] == "p1_p2_incidents"]
    if head.empty:
        return
    shown = head.assign(name=head["name"])[["name", "area", "finished_on", "target_before", "target_after",
                                             "control_before", "control_after", "did_estimate", "ci_low", "ci_high",
                                             "achieved_pct", "promised_pct", "realization_ratio", "note"]]
    shown = shown.rename(columns={"did_estimate": "change vs comparable (per system-month)"})
    verdict = head.apply(lambda x: "not measurable" if not x["measurable"] else
                         "delivered" if x["ci_high"] < 0 else "no measurable change", axis=1)
    if s.audience == "board":  # a board reads the verdict, the IT report the counts behind it
        shown = head[["name", "finished_on", "achieved_pct", "promised_pct"]].assign(verdict=verdict).rename(
            columns={"finished_on": "finished", "achieved_pct": "P1/P2 reduction achieved (%)",
                     "promised_pct": "promised (%)"})
    else:
        shown = shown.assign(verdict=verdict)
    shown.attrs["source"] = r.attrs.get("source", "hitplan.prioritize.realization.benefits_realization")
    measurable = head[head["measurable"]]
    said = []
    for x in measurable.itertuples(index=False):
        if x.ci_high < 0:
            said.append(f"{x.name} cut P1/P2 incidents on its targets by {pct(x.achieved_pct, 0)} against comparable "
                        f"systems (promised {pct(x.promised_pct, 0)})")
        else:
            said.append(f"{x.name} shows no measurable change in P1/P2 incidents against comparable systems "
                        f"(its 90 % interval includes no change; promised {pct(x.promised_pct, 0)})")
    if said:
        s.say(f"Of {plural(len(head), 'done initiative')}, " + "; ".join(said) + ".")
    else:
        s.say(f"{plural(len(head), 'done initiative')} cannot be measured yet: {head['note'].iloc[0]}.", "watch")
    s.table("Benefits realized by done initiatives (P1/P2 incidents, difference in differences)", shown)
