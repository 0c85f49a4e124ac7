"""The outlook of an area report for IT: what the models of ``hitplan.forecast`` expect next, each with how good
it was in backtest against its simple baseline.

- support: incidents per category and per system for the next four fiscal quarters (80 % intervals), the
  backtest's MASE and interval coverage against the seasonal-naive baseline, and the incident themes;
- infrastructure: the probability of a P1/P2 outage next quarter per system, with its Brier score against the
  base rate and the reliability table;
- costs: ledger postings that look wrong (duplicate invoices, spikes against the vendor's history, postings off
  the vendor's usual cost pool), each with its reason.

``outlook_section`` returns them as a section of their own, shown under the area's findings in the IT area
reports; the board pack carries none of this (it stays at counts and trends the board can check against the
area reports).
"""

from __future__ import annotations

import math

import pandas as pd

from hitplan import charts
from hitplan.formatting import count, fixed, money, pct
from hitplan.periods import Period
from hitplan.report.findings import names, plural
from hitplan.report.sections import Draft, Section, fix_captions

_BACKTEST_COLS = {"horizon": "quarters ahead", "forecasts": "forecasts", "model_mase": "MASE, model",
                  "baseline_mase": "MASE, seasonal naive", "model_coverage_pct": "80 % interval coverage, model (%)",
                  "baseline_coverage_pct": "80 % interval coverage, seasonal naive (%)"}


def _overall(fc: pd.DataFrame) -> dict | None:
    rows = [r for r in fc.attrs.get("backtest", []) if str(r.get("horizon")) == "all"]
    return rows[0] if rows else None


def _backtest_table(fc: pd.DataFrame) -> pd.DataFrame:
    bt = pd.DataFrame(fc.attrs.get("backtest", []))
    bt = bt[[c for c in _BACKTEST_COLS if c in bt.columns]].rename(columns=_BACKTEST_COLS)
    bt.attrs["source"] = fc.attrs.get("source", "")
    return bt


def _honesty(fc: pd.DataFrame, what: str) -> str:
    """The backtest verdict in one sentence: MASE and interval coverage of the model against the baseline."""
    m = _overall(fc)
    if not m:
        return f"The {what} forecast could not be backtested: {fc.attrs.get('note') or 'too little history'}."
    shown = fc.drop_duplicates("series_id")["shown"].value_counts()
    verdict = ("beat" if m["model_mase"] < m["baseline_mase"] else "did not beat")
    return (f"In a backtest over the last four quarter ends ({count(m['forecasts'])} forecasts) the {what} model "
            f"{verdict} the seasonal-naive baseline (same quarter last year): MASE {fixed(m['model_mase'])} against "
            f"{fixed(m['baseline_mase'])} (below 1 beats a naive forecast), and its 80 % intervals held the actual "
            f"count {pct(m['model_coverage_pct'], 0)} of the time against {pct(m['baseline_coverage_pct'], 0)}. "
            f"The model is shown for {plural(shown.get('model', 0), 'series', 'series')}, the baseline for "
            f"{count(shown.get('seasonal naive', 0))} where the model did not beat it.")


def _fan(fc: pd.DataFrame, hist: pd.DataFrame, series_id, title: str):
    """Actual incidents per fiscal quarter and the forecast with its 80 % interval, on a fiscal-quarter axis."""
    h = hist[hist["series_id"] == series_id].sort_values("quarter_start")
    f = fc[fc["series_id"] == series_id].sort_values("quarter_start")
    fig = charts.forecast_fan(h, f, x="quarter", y="incidents", title=title, unit="incidents",
                              y_title="Per quarter")
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=[*h["quarter"], *f["quarter"]],
                     title=dict(text="Fiscal quarter"))
    return fig


def _forecast_table(fc: pd.DataFrame, label: str) -> pd.DataFrame:
    fc = fc.assign(shown=fc["shown"].fillna("not enough history"))
    wide = fc.pivot(index=["series_name", "shown"], columns="quarter", values="forecast").reset_index()
    first = fc[fc["horizon"] == 1].set_index("series_name")
    interval = first["lower"].map(lambda v: fixed(v, ".0f")) + "-" + first["upper"].map(lambda v: fixed(v, ".0f"))
    wide.insert(2, "next quarter, 80 % interval", wide["series_name"].map(interval))
    wide.insert(3, "last 4 quarters", wide["series_name"].map(first["last_4_quarters"]))
    nxt = fc["quarter"].iloc[0]
    wide = wide.sort_values(nxt, ascending=False, na_position="last").rename(columns={"series_name": label,
                                                                                        "shown": "shown from"})
    wide.columns.name = None
    counts = [c for c in wide.columns if c not in (label, "shown from", "next quarter, 80 % interval")]
    wide[counts] = wide[counts].round(0).astype("Int64")  # incidents are whole numbers
    wide = wide.reset_index(drop=True)
    wide.attrs["source"] = fc.attrs.get("source", "")
    return wide


def support_outlook(con, p: Period, s) -> None:
    """Incidents expected per category and per system for the next four quarters, with their backtest, and the
    themes of the period's incidents."""
    from hitplan.forecast import incident_themes, incident_volume_forecast, incident_volume_history

    by_cat = incident_volume_forecast(con, p.last_day, by="category")
    by_sys = incident_volume_forecast(con, p.last_day, by="system")
    s.source(by_cat, by_sys)
    if by_cat.empty:
        s.say(f"Incident volume cannot be forecast from {p.label}: {by_cat.attrs.get('note', 'no data')}.")
    else:
        nxt = by_cat[by_cat["horizon"] == 1].dropna(subset=["forecast"])
        q = by_cat["quarter"].iloc[0]
        top = nxt.sort_values("forecast", ascending=False).head(3)
        s.say(f"For {q} the forecasts expect about {count(nxt['forecast'].sum())} incidents in all, most in "
              + names([f"{r.series_name} ({count(r.forecast)}, 80 % interval {count(r.lower)}-{count(r.upper)})"
                       for r in top.itertuples()]) + ".")
        s.say(_honesty(by_cat, "per-category"))
        s.number(f"Incidents forecast, {q}", count(nxt["forecast"].sum()))
        hist = incident_volume_history(con, p.last_day, by="category")
        if not top.empty:
            r = top.iloc[0]
            s.figure(_fan(by_cat, hist, r.series_id, f"{r.series_name.capitalize()} incidents per quarter: actuals "
                                                      f"and forecast with 80 % interval"))
        s.table(f"Incidents forecast per category, next four quarters from {q}", _forecast_table(by_cat, "category"))
        s.table("Backtest of the per-category forecast against the seasonal-naive baseline", _backtest_table(by_cat))
    if not by_sys.empty:
        nxt = by_sys[by_sys["horizon"] == 1].dropna(subset=["forecast"]).sort_values("forecast", ascending=False)
        if not nxt.empty:
            r = nxt.iloc[0]
            s.say(f"Among systems, {r.series_name} is expected to raise the most incidents in {r.quarter}: about "
                  f"{count(r.forecast)} (80 % interval {count(r.lower)}-{count(r.upper)}, from the "
                  f"{'model' if r.shown == 'model' else 'seasonal-naive baseline'}). " + _honesty(by_sys, "per-system"))
            hist = incident_volume_history(con, p.last_day, by="system")
            s.figure(_fan(by_sys, hist, r.series_id, f"{r.series_name} incidents per quarter: actuals and forecast "
                                                     "with 80 % interval"))
        table = _forecast_table(by_sys, "system").head(15)
        s.table(f"Systems with the most incidents forecast, next four quarters from {by_sys['quarter'].iloc[0]}", table)
        s.table("Backtest of the per-system forecast against the seasonal-naive baseline", _backtest_table(by_sys))
    themes = incident_themes(con, p)
    s.source(themes)
    if themes.empty:
        s.say(f"No incident themes for {p.label}: {themes.attrs.get('note', 'no descriptions')}.")
        return
    t0 = themes.iloc[0]
    s.say(f"The most common theme in the incident descriptions of {p.label} was \"{t0['label']}\" "
          f"({count(t0['incidents'])} incidents, {pct(t0['share_pct'], 0)}), most of them on "
          f"{str(t0['top_systems']).split(' (')[0]}; the next were "
          + names([f"\"{x}\"" for x in themes["label"].iloc[1:3]]) + ".")
    shown = themes.assign(theme_label=themes["label"])
    s.figure(charts.ranked_bars(shown, "theme_label", "incidents", unit="incidents", top=10,
                                title=f"Incident themes, {p.label} (TF-IDF and NMF on the descriptions)"))
    s.table(f"Incident themes, {p.label}: top terms, systems and typical descriptions", themes)


def infrastructure_outlook(con, p: Period, s) -> None:
    """The probability of a P1/P2 outage next quarter per system, with its Brier score and reliability table."""
    from hitplan.forecast import outage_reliability, outage_risk

    risk = outage_risk(con, p.last_day)
    s.source(risk)
    if risk.empty:
        s.say(f"Outage risk cannot be estimated at the end of {p.label}: {risk.attrs.get('note', 'no data')}.")
        return
    b = risk.attrs.get("backtest", {})
    rated = risk.dropna(subset=["probability"])
    t12 = rated[rated["criticality_tier"].isin([1, 2])]
    top = (t12 if len(t12) else rated).head(3)
    q = risk["quarter"].iloc[0]
    s.say(f"The tier-1 and tier-2 systems most likely to have a P1 or P2 incident in {q} are "
          + names([f"{r.system_name} ({pct(100 * r.probability, 0)}: {r.drivers or 'history'})"
                   for r in top.itertuples()]) + ".")
    skill = b.get("brier_skill_pct")
    s.say(f"In a backtest over {count(b.get('forecasts', 0))} system-quarters ({count(b.get('events', 0))} with a P1/P2 "
          f"incident) the calibrated model scored a Brier score of {fixed(b.get('brier_model'), '.3f')} against "
          f"{fixed(b.get('brier_base_rate'), '.3f')} for the base rate (lower is better"
          + (f"; {pct(skill, 0)} skill" if skill is not None and not math.isnan(skill) else "") + "); "
          + ("the model's probabilities are shown." if b.get("shown") == "model"
             else "the model did not beat the base rate, so the base rate is shown for every system."))
    s.number(f"Systems above 50 % P1/P2 risk, {q}", count(int((rated["probability"] > 0.5).sum())))
    shown = rated.assign(p1_p2_risk_pct=100 * rated["probability"],
                         tier=rated["criticality_tier"].map(lambda t: f"tier {t:g}" if pd.notna(t) else "untiered"))
    s.figure(charts.ranked_bars(shown, "system_name", "p1_p2_risk_pct", unit="%", top=12, color="tier",
                                title=f"Systems most likely to have a P1/P2 incident in {q}",
                                x_title="Probability"))
    # which forecast is shown, and for which quarter, is the same for every row: the findings say it once
    table = risk.assign(probability_pct=(100 * risk["probability"]).round(1))[
        ["system_name", "criticality_tier", "probability_pct", "p1_p2_last_4_quarters", "end_of_support", "drivers",
         "system_id"]].head(25)
    s.table(f"Probability of a P1/P2 incident in {q}, highest first", table)
    rel = outage_reliability(risk)
    shown_rel = rel[rel["forecasts"] > 0].reset_index(drop=True)
    s.table("Reliability of the outage model in backtest: predicted against observed (percent)", shown_rel)


def costs_outlook(con, p: Period, s) -> None:
    """Ledger postings of the period that look wrong, each with its reason."""
    from hitplan.forecast import cost_anomalies

    flags = cost_anomalies(con, p)
    s.source(flags)
    if flags.empty:
        note = str(flags.attrs.get("note") or "")
        s.say(f"No ledger posting of {p.label} looks wrong (duplicate invoice, spike against the vendor's history or "
              "a cost pool the vendor is not usually posted to)." if "looks wrong" in note
              else f"Ledger postings cannot be checked for {p.label}: {note}.")
        return
    kinds = flags["anomaly"].str.split("; ").explode().value_counts()
    s.say(f"{plural(len(flags), 'ledger posting')} of {p.label} ({money(flags['amount'].sum())}) "
          f"{'looks' if len(flags) == 1 else 'look'} wrong and should be checked before the books close: "
          + names([f"{count(n)} {k.replace('_', ' ')}" for k, n in kinds.items()], 4)
          + ". Each has its reason in the table below.")
    s.number(f"Postings to check, {p.label}", count(len(flags)))
    table = flags[["posting_date", "vendor_name", "invoice_number", "amount", "cost_pool", "anomaly", "reason",
                   "entry_id"]].assign(posting_date=lambda d: pd.to_datetime(d["posting_date"]).dt.date)
    s.table(f"Ledger postings that look wrong, {p.label}, with the reason", table)


OUTLOOKS = {"support": support_outlook, "infrastructure": infrastructure_outlook, "costs": costs_outlook}
TITLES = {"support": "Outlook: incidents next quarters and their themes",
          "infrastructure": "Outlook: outage risk next quarter", "costs": "Outlook: ledger postings to check"}


def outlook_section(con, area: str, period: Period) -> Section | None:
    """The area's outlook for IT (None for an area without one): forecasts and flags with their backtests."""
    if area not in OUTLOOKS:
        return None
    s = Draft(area, period, "it")
    OUTLOOKS[area](con, period, s)
    fix_captions(s)
    out = s.done()
    out.key, out.title = f"{area}_outlook", TITLES[area]
    return out
