"""The evidence behind each candidate initiative, computed from the store for its target systems and area.

Every criterion value comes with the figures it was computed from (``trace``), so a CIO can see why an
initiative scores as it does. Counts cover the period (normally the last 12 months, i.e. per year).

Each benefit criterion C of clinical_impact, operational_effect and risk_reduction is what the initiative changes:
``C_baseline`` (the size of the problem on its targets) x ``C_effect`` (the share it removes, 0-1) = C; where the
initiative gives a low and high percent, ``C_low`` / ``C_high`` are the criterion's values at those ends (NaN: none).
A blank percent is an unknown effect: the criterion is 0 with a note in the trace, never the baseline.

- clinical_impact: user-hours of outage on the target systems, weighted by criticality (tier 1 counts 4x,
  tier 4 once; untiered as tier 3): sum(outage minutes x users affected / 60 x (5 - tier)), x outage_reduction_pct.
- risk_reduction: the risk points the initiative removes. The baseline is the points on its targets (settings
  ``portfolio.evidence.risk_points`` and ``eos_points``, shipped: 1 per open critical finding on a PHI system, 2 per
  open KEV-listed finding (as the kev_exposure KPI counts them), 3 per tier-1/2 system without a passed technical DR
  test (partial or full failover) in the KPI's DR window ``kpi.continuity.dr_coverage_months``, 5 per system past end
  of support, 3 within the first of ``kpi.infrastructure.eos_horizons_months``, 1 within the second; compliance
  initiatives and those addressing stale_controls add 1 per HIPAA control whose evidence is older than
  ``kpi.compliance.evidence_stale_months``); of it count only the classes declared in ``addresses`` (kev,
  end_of_support, dr_gap, phi_critical, stale_controls), each times its share (after a colon, default 1). Blank
  ``addresses``: 0.
- operational_effect: hours of incident handling avoided per year: incidents x mean hours to resolve x the
  expected incident reduction.
- financial_npv: net present value (US$) over the horizon (``portfolio.evidence.horizon_years``) at the yearly
  discount rate (``portfolio.urgency.yearly_discount_rate``) of savings plus avoided downtime (outage hours x
  cost per hour by tier, ``kpi.continuity.downtime_cost_per_hour_usd``, x expected outage reduction) minus added
  opex, less capex; payback in years. Beside it (not criteria): ``financial_benefit``, the present value of savings
  plus avoided downtime without the costs, and ``cost_usd`` (capex + opex over the horizon).
- reach: average daily active users of the target systems over the last three months of the period, counted only
  when the initiative changes something for them (an outage or incident effect, a risk class removed, savings);
  confidence likewise counts only for an initiative that estimates some change (confidence in nothing is no benefit).
- strategic_alignment (0-5) and confidence (0-1): leadership's ratings, as entered.
- cost: capex plus opex over the horizon (US$), a cost criterion.
- outage_probability (evidence beside the criteria, not one of them): the highest probability (0-1) of a P1/P2
  incident next quarter among the target systems, from the per-system frame the caller computed with
  ``hitplan.forecast.outage_risk`` (blank when it gave none).
- deadline, deadline_reason, deadline_note: the earliest must-finish-by day and its source (``initiative_deadlines``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import pandas as pd

from hitplan.kpi.runner import kpi_rows, rows_sql
from hitplan.models import attach_models
from hitplan.periods import Period, add_months
from hitplan.settings import Settings

CRITERIA = ("clinical_impact", "risk_reduction", "operational_effect", "financial_npv", "reach",
            "strategic_alignment", "confidence", "cost")

_SQL = """
with initiatives as (
    select * from stg_initiatives where coalesce(initiative_status, 'proposed') not in ('done', 'rejected')
),
targets as (
    select initiative_id, trim(t) as system_id
    from initiatives, unnest(string_split(coalesce(target_systems, ''), ';')) as u(t)
    where trim(t) <> ''
),
tiers as (
    select system_id, coalesce(criticality_tier, 3) as tier, end_of_support, coalesce(holds_phi, false) as holds_phi
    from stg_systems
),
cost_per_hour(tier, usd) as (values (1, $cph1), (2, $cph2), (3, $cph3), (4, $cph4)),
incidents as (
    select system_id, count(*) as incidents, avg(resolve_hours) as mttr_hours,
        sum(coalesce(outage_minutes, 0)) / 60.0 as outage_hours,
        sum(coalesce(outage_minutes, 0) * coalesce(users_affected, 0)) / 60.0 as user_outage_hours
    from int_incidents where opened_at >= $start and opened_at < $end and system_id is not null
    group by system_id
),
findings as (
    select system_id,
        count(*) filter (where is_open and severity = 'critical' and system_holds_phi) as open_critical_phi
    from int_vulnerabilities where system_id is not null and first_seen < $end
    group by system_id
),
kev as (
    -- the KEV exposure KPI's rows (open at the period end, risk-accepted ones too): one rule for KEV findings
    select system_id, count(*) as open_kev from (__KEV_ROWS__) where system_id is not null group by system_id
),
dr as (
    -- a passed technical test (partial or full failover), as the DR coverage KPI counts: a tabletop is not one
    select system_id, bool_or(passed and test_type in ('partial', 'full_failover')) as passed_recently
    from stg_dr_tests where test_date >= cast($end as date) - to_months(cast($dr_months as integer)) and test_date < $end
    group by system_id
),
usage as (
    select system_id, avg(avg_daily_active_users) as active_users
    from mart_usage_by_system_month
    where month >= cast(date_trunc('month', cast($end as date) - interval 3 month) as date) and month < $end
    group by system_id
),
per_system as (
    select t.initiative_id, t.system_id, coalesce(s.tier, 3) as tier,
        coalesce(i.incidents, 0) as incidents, i.mttr_hours, coalesce(i.outage_hours, 0) as outage_hours,
        coalesce(i.user_outage_hours, 0) * (5 - coalesce(s.tier, 3)) as weighted_user_outage_hours,
        coalesce(f.open_critical_phi, 0) as open_critical_phi, coalesce(k.open_kev, 0) as open_kev,
        case when coalesce(s.tier, 3) <= 2 and not coalesce(d.passed_recently, false) then 1 else 0 end as dr_gap,
        case when s.end_of_support is null then 0
             when s.end_of_support < cast($end as date) then $eos_past
             when s.end_of_support < cast($end as date) + to_months(cast($eos_h1 as integer)) then $eos_first
             when s.end_of_support < cast($end as date) + to_months(cast($eos_h2 as integer)) then $eos_second
             else 0 end as eos_points,
        coalesce(u.active_users, 0) as active_users,
        coalesce(i.outage_hours, 0) * c.usd as downtime_cost_usd
    from targets t
    left join tiers s using (system_id)
    left join incidents i using (system_id)
    left join findings f using (system_id)
    left join kev k using (system_id)
    left join dr d using (system_id)
    left join usage u using (system_id)
    left join cost_per_hour c on c.tier = coalesce(s.tier, 3)
),
stale_controls as (
    select count(*) as stale from stg_controls
    where framework = 'HIPAA Security Rule'
      and (last_evidence_on is null or last_evidence_on < cast($end as date) - to_months(cast($stale_months as integer)))
),
final as (
    select i.initiative_id, i.initiative_name, i.area,
        count(p.system_id) as target_systems,
        coalesce(sum(p.weighted_user_outage_hours), 0) as clinical_impact,
        coalesce(sum(p.open_critical_phi), 0) as open_critical_phi,
        coalesce(sum(p.open_kev), 0) as open_kev,
        coalesce(sum(p.dr_gap), 0) as dr_gaps,
        coalesce(sum(p.eos_points), 0) as eos_points,
        (select stale from stale_controls) as stale_controls,
        coalesce(sum(p.incidents), 0) as incidents,
        sum(p.incidents * p.mttr_hours) / nullif(sum(case when p.mttr_hours is not null then p.incidents end), 0) as mttr_hours,
        coalesce(sum(p.downtime_cost_usd), 0) as downtime_cost_usd,
        coalesce(sum(p.active_users), 0) as reach,
        coalesce(i.capex, 0) as capex, coalesce(i.opex_per_year, 0) as opex_per_year,
        coalesce(i.savings_per_year, 0) as savings_per_year,
        i.incident_reduction_pct, i.incident_reduction_low_pct, i.incident_reduction_high_pct,
        i.outage_reduction_pct, i.outage_reduction_low_pct, i.outage_reduction_high_pct,
        i.addresses, i.strategic_alignment, i.confidence
    from initiatives i left join per_system p using (initiative_id)
    group by all
)
select * from final order by initiative_id
"""


def _npv(capex: float, yearly: float, years: int, rate: float) -> float:
    return -capex + sum(yearly / (1 + rate) ** y for y in range(1, years + 1))


RISK_CLASSES = ("kev", "end_of_support", "dr_gap", "phi_critical", "stale_controls")


@dataclass(frozen=True)
class Effect:
    """One benefit criterion as the size of the problem on the targets (``baseline``) times the share the initiative
    removes (``effect``, 0-1); ``low``/``high`` the criterion's values at the ends of a stated range (NaN: none);
    ``said``: the effect in words for the trace."""

    baseline: float
    effect: float
    low: float
    high: float
    said: str

    @property
    def value(self) -> float:
        return self.baseline * self.effect

    @property
    def share(self) -> float:
        return self.effect


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _effect(baseline: float, pct: object, low: object, high: object, column: str) -> Effect:
    """Baseline x the expected reduction in percent; a blank percent is an unknown effect, counted as 0 (never as
    the whole baseline); a low or high end given makes a range (the missing end is the likely value)."""
    if _blank(pct):
        return Effect(baseline, 0.0, math.nan, math.nan, f"effect unknown ({column} blank): counted as 0")
    likely = float(pct)
    said = f"{likely:g} %"
    lo = hi = math.nan
    if not (_blank(low) and _blank(high)):
        lo_pct = min(likely, likely if _blank(low) else float(low))
        hi_pct = max(likely, likely if _blank(high) else float(high))
        lo, hi = baseline * lo_pct / 100.0, baseline * hi_pct / 100.0
        said += f" (range {lo_pct:g}-{hi_pct:g} %: {lo:,.1f} to {hi:,.1f})"
    return Effect(baseline, likely / 100.0, lo, hi, said)


def parse_addresses(text: object) -> tuple[dict[str, float], list[str]]:
    """(risk class -> share it removes (0-1), notes on what could not be read) from an ``addresses`` text such as
    "kev;end_of_support;dr_gap:0.5" (share 1 unless given after a colon)."""
    shares: dict[str, float] = {}
    notes: list[str] = []
    for part in ("" if _blank(text) else str(text)).split(";"):
        name, colon, share = part.partition(":")
        name = name.strip().lower()
        if not name:
            continue
        if name not in RISK_CLASSES:
            notes.append(f"unknown risk class {name!r} not counted (known: {', '.join(RISK_CLASSES)})")
            continue
        try:
            value = float(share) if colon else 1.0
        except ValueError:
            notes.append(f"share {share.strip()!r} of {name} is not a number: not counted")
            continue
        if not 0 <= value <= 1:
            notes.append(f"share {value:g} of {name} outside 0-1: taken as {min(max(value, 0.0), 1.0):g}")
            value = min(max(value, 0.0), 1.0)
        shares[name] = value
    return shares, notes


def _risk(r, points: dict) -> Effect:
    """The risk points the initiative removes: of the points on its targets (the baseline), only the classes it
    declares in ``addresses``, each times its share."""
    shares, notes = parse_addresses(r.addresses)
    stale_counts = r.area == "compliance" or "stale_controls" in shares  # stale controls have no target system
    parts = {
        "phi_critical": (points["open_critical_phi"] * r.open_critical_phi,
                         f"{points['open_critical_phi']:g}x{r.open_critical_phi:g} open critical on PHI"),
        "kev": (points["open_kev"] * r.open_kev, f"{points['open_kev']:g}x{r.open_kev:g} open KEV"),
        "dr_gap": (points["dr_gap"] * r.dr_gaps, f"{points['dr_gap']:g}x{r.dr_gaps:g} DR gaps"),
        "end_of_support": (float(r.eos_points), f"{r.eos_points:g} end-of-support points"),
        "stale_controls": ((points["stale_control"] * r.stale_controls, f"{points['stale_control']:g}x"
                            f"{r.stale_controls:g} stale controls") if stale_counts else (0.0, "")),
    }
    baseline = float(sum(v for v, _ in parts.values()))
    said = "on its targets: " + " + ".join(t for _, t in parts.values() if t) + f" = {baseline:g}"
    if not shares:
        removed, what = 0.0, "; declares no risk class it removes: 0"
    else:
        removed = float(sum(parts[c][0] * sh for c, sh in shares.items()))
        what = "; removes " + " + ".join(parts[c][1] + (f" x {sh:g}" if sh != 1 else "") for c, sh in shares.items()
                                         if parts[c][1]) + f" = {removed:g}"
    effect = removed / baseline if baseline > 0 else 0.0
    return Effect(baseline, effect, math.nan, math.nan,
                  said + what + "".join(f"; {n}" for n in notes))


def initiative_evidence(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    settings: Settings,
    outage_risk: pd.DataFrame | None,
    *,
    horizon_years: int | None = None,
    discount_rate: float | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(criteria matrix: one row per open initiative, one column per criterion; trace: the figures behind each).

    ``settings`` gives every figure the evidence counts with (downtime cost per hour, risk and end-of-support
    points, windows, horizon and discount rate); ``outage_risk`` is ``hitplan.forecast.outage_risk(con,
    period.last_day)`` (system_id, probability), or None to leave the outage probability blank.
    ``horizon_years`` and ``discount_rate`` replace the settings' for a what-if."""
    attach_models(con)
    years = int(horizon_years if horizon_years is not None else settings.value("portfolio", "evidence", "horizon_years"))
    rate = float(discount_rate if discount_rate is not None
                 else settings.value("portfolio", "urgency", "yearly_discount_rate"))
    points = settings.value("portfolio", "evidence", "risk_points")
    eos = settings.value("portfolio", "evidence", "eos_points")
    h1, h2 = sorted(settings.value("kpi", "infrastructure", "eos_horizons_months"))[:2]
    cph = settings.value("kpi", "continuity", "downtime_cost_per_hour_usd")
    params = {"start": period.start, "end": period.end,
              **{f"cph{t}": float(cph[t]) for t in (1, 2, 3, 4)},
              "dr_months": int(settings.value("kpi", "continuity", "dr_coverage_months")),
              "stale_months": int(settings.value("kpi", "compliance", "evidence_stale_months")),
              "eos_past": float(eos["past"]), "eos_first": float(eos["first_horizon"]),
              "eos_second": float(eos["second_horizon"]), "eos_h1": int(h1), "eos_h2": int(h2)}
    raw = con.execute(_SQL.replace("__KEV_ROWS__", rows_sql("kev_exposure")), params).df()
    rows, trace = [], []
    for r in raw.itertuples(index=False):
        mttr = 0.0 if pd.isna(r.mttr_hours) else float(r.mttr_hours)
        clinical = _effect(float(r.clinical_impact), r.outage_reduction_pct, r.outage_reduction_low_pct,
                           r.outage_reduction_high_pct, "outage_reduction_pct")
        operational = _effect(r.incidents * mttr, r.incident_reduction_pct, r.incident_reduction_low_pct,
                              r.incident_reduction_high_pct, "incident_reduction_pct")
        risk = _risk(r, points)
        avoided = float(r.downtime_cost_usd) * clinical.share
        gains = float(r.savings_per_year) + avoided
        npv = _npv(float(r.capex), gains - float(r.opex_per_year), years, rate)
        benefit = _npv(0.0, gains, years, rate)
        yearly = gains - float(r.opex_per_year)
        payback = float(r.capex) / yearly if yearly > 0 else None
        cost = float(r.capex) + float(r.opex_per_year) * years
        # reach counts the targets' users only when the initiative changes something for them: an effect on their
        # outages or incidents, a risk class it removes, or savings; users of systems it leaves as they are are not
        # reached (RICE: reach of the *change*)
        changes = clinical.share > 0 or operational.share > 0 or risk.value > 0 or float(r.savings_per_year) > 0
        reach = float(r.reach) if changes else 0.0
        values = {
            "clinical_impact": clinical.value, "risk_reduction": risk.value,
            "operational_effect": operational.value, "financial_npv": npv, "reach": reach,
            # confidence in the estimates of a change; with no change estimated there is nothing to be confident in
            "strategic_alignment": float(r.strategic_alignment or 0),
            "confidence": float(r.confidence or 0) if changes else 0.0,
            "cost": cost,
        }
        effects = {"clinical_impact": clinical, "operational_effect": operational, "risk_reduction": risk}
        rows.append({"initiative_id": r.initiative_id, "name": r.initiative_name, "area": r.area, **values,
                     **{f"{c}_{k}": getattr(e, k) for c, e in effects.items() for k in ("baseline", "effect")},
                     **{f"{c}_{k}": getattr(e, k) for c, e in effects.items() if c != "risk_reduction"
                        for k in ("low", "high")},
                     "payback_years": payback, "capex": float(r.capex), "opex_per_year": float(r.opex_per_year),
                     "avoided_downtime_usd_per_year": avoided, "financial_benefit": benefit, "cost_usd": cost})
        how = {
            "clinical_impact": (f"{r.target_systems} target systems: {clinical.baseline:,.0f} user-hours of outage "
                                f"weighted by tier x {clinical.said} = {clinical.value:,.0f}"),
            "risk_reduction": risk.said,
            "operational_effect": (f"{r.incidents:g} incidents x {mttr:.1f} h to resolve = {operational.baseline:,.1f} h "
                                   f"x {operational.said} = {operational.value:,.1f} h"),
            "financial_npv": (f"-{float(r.capex):,.0f} capex + {years} years of ({float(r.savings_per_year):,.0f} "
                              f"savings + {avoided:,.0f} avoided downtime - {float(r.opex_per_year):,.0f} opex) "
                              f"at {rate:.0%}; without the costs: {benefit:,.0f}"),
            "reach": (f"average daily active users of the targets, last 3 months: {float(r.reach):,.0f}" if changes else
                      f"{float(r.reach):,.0f} users on its targets, but it promises no effect on their outages or "
                      "incidents, removes no risk class and saves nothing: none reached"),
            "strategic_alignment": "leadership rating (initiatives feed)",
            "confidence": ("leadership rating (initiatives feed)" if changes else
                           f"leadership rating {float(r.confidence or 0):g}, but no effect is estimated: 0"),
            "cost": f"{float(r.capex):,.0f} capex + {years} x {float(r.opex_per_year):,.0f} opex",
        }
        for c in CRITERIA:
            e = effects.get(c)
            trace.append({"initiative_id": r.initiative_id, "criterion": c, "value": values[c], "how": how[c],
                          "source": _source(c, settings), "baseline": e.baseline if e else None,
                          "effect": e.effect if e else None})
    matrix = pd.DataFrame(rows)
    if not matrix.empty:
        matrix["outage_probability"] = matrix["initiative_id"].map(_outage_probability(con, outage_risk)).astype(float)
        due = initiative_deadlines(con, period, settings, years)
        matrix = matrix.merge(due, on="initiative_id", how="left")
        matrix["deadline_reason"] = matrix["deadline_reason"].fillna("")
        matrix["deadline_note"] = matrix["deadline_note"].fillna("")
    matrix.attrs["source"] = ("stg_initiatives with int_incidents, int_vulnerabilities, stg_systems, stg_dr_tests, "
                              "mart_usage_by_system_month, stg_controls; KEV findings and their due days: the "
                              "kev_exposure KPI; deadlines: stg_initiatives.due_by, stg_systems.end_of_support, the "
                              "contracts_renewing and open_audit_findings_by_age KPIs; outage_probability: "
                              + _SOURCES["outage_probability"])
    return matrix, pd.DataFrame(trace)


def _outage_probability(con: duckdb.DuckDBPyConnection, risk: pd.DataFrame | None) -> dict[str, float]:
    """Per initiative, the highest probability (0-1) of a P1/P2 incident next quarter among its target systems,
    from ``risk`` (one row per system: system_id, probability); evidence beside the criteria, not a criterion."""
    if risk is None or risk.empty:
        return {}
    p = risk.set_index("system_id")["probability"].astype(float)
    targets = con.execute("""
        select initiative_id, trim(t) as system_id
        from stg_initiatives, unnest(string_split(coalesce(target_systems, ''), ';')) as u(t) where trim(t) <> ''
    """).df()
    targets["p"] = targets["system_id"].map(p)
    return targets.dropna(subset=["p"]).groupby("initiative_id")["p"].max().to_dict()


def _source(criterion: str, settings: Settings) -> str:
    """A criterion's source, with where the settings figures it uses come from."""
    figures = _SETTINGS_USED.get(criterion, ())
    if not figures:
        return _SOURCES[criterion]
    return _SOURCES[criterion] + "; " + "; ".join(f"{'.'.join(f)}: {settings.source(*f)}" for f in figures)


_SETTINGS_USED = {
    "risk_reduction": (("portfolio", "evidence", "risk_points"), ("portfolio", "evidence", "eos_points"),
                       ("kpi", "infrastructure", "eos_horizons_months"), ("kpi", "continuity", "dr_coverage_months"),
                       ("kpi", "compliance", "evidence_stale_months")),
    "financial_npv": (("kpi", "continuity", "downtime_cost_per_hour_usd"), ("portfolio", "evidence", "horizon_years"),
                      ("portfolio", "urgency", "yearly_discount_rate")),
    "cost": (("portfolio", "evidence", "horizon_years"),),
}

_SOURCES = {
    "outage_probability": ("hitplan.forecast.outage_risk (stg_systems, int_incidents, int_vulnerabilities, "
                           "stg_dr_tests), as the caller computed it: max over the target systems of P(P1/P2 next "
                           "quarter); not a criterion"),
    "clinical_impact": ("int_incidents: outage_minutes, users_affected; stg_systems.criticality_tier; "
                        "stg_initiatives.outage_reduction_pct (low, high)"),
    "risk_reduction": ("int_vulnerabilities (is_open, severity, system_holds_phi); KPI kev_exposure rows; stg_dr_tests; "
                       "stg_systems.end_of_support; stg_controls.last_evidence_on; stg_initiatives.addresses"),
    "operational_effect": "int_incidents: count, resolve_hours; stg_initiatives.incident_reduction_pct (low, high)",
    "financial_npv": "stg_initiatives: capex, opex_per_year, savings_per_year, outage_reduction_pct; int_incidents.outage_minutes",
    "reach": "mart_usage_by_system_month.avg_daily_active_users",
    "strategic_alignment": "stg_initiatives.strategic_alignment",
    "confidence": "stg_initiatives.confidence",
    "cost": "stg_initiatives: capex, opex_per_year",
}


def _day(v: object) -> pd.Timestamp | None:
    return None if _blank(v) or pd.isna(v) else pd.Timestamp(v).normalize()


def _targets(text: object) -> list[str]:
    return [t.strip() for t in ("" if _blank(text) else str(text)).split(";") if t.strip()]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _rows(con: duckdb.DuckDBPyConnection, name: str, period: Period, settings: Settings, **params) -> pd.DataFrame:
    """A KPI's row-level step (its ``kpi_rows``), so a deadline follows the KPI's own rule."""
    return kpi_rows(con, name, period, cfg=settings.kpi, **params)


def initiative_deadlines(con: duckdb.DuckDBPyConnection, period: Period, settings: Settings,
                         horizon_years: int) -> pd.DataFrame:
    """Per open initiative, the earliest must-finish-by day (``deadline``, NaT: none) and where it comes from
    (``deadline_reason``), from its ``due_by`` and the data it addresses: the CISA due day of open KEV findings on
    its targets (``addresses`` kev; the kev_exposure KPI's rows), its targets' end of support (end_of_support), for
    a vendors initiative the next contract notice deadline of a contract it names or on its targets (the
    contracts_renewing KPI's rows over the planning horizon), for a compliance initiative the due day of the open
    audit findings it names by finding or control id (open_audit_findings_by_age); ``deadline_note`` says what
    could not be linked. A day already past stays past: the initiative is due at once."""
    attach_models(con)
    ini = con.execute("""
        select initiative_id, initiative_name, area, description, target_systems, addresses, due_by,
            coalesce(duration_quarters, 1) as duration_quarters
        from stg_initiatives where coalesce(initiative_status, 'proposed') not in ('done', 'rejected')
        order by initiative_id""").df()
    last = pd.Timestamp(period.last_day)
    needs = {"kev": False, "end_of_support": False}
    parsed = {}
    for r in ini.itertuples(index=False):
        parsed[r.initiative_id] = shares = parse_addresses(r.addresses)[0]
        for c in needs:
            needs[c] |= c in shares
    kev = _rows(con, "kev_exposure", period, settings) if needs["kev"] else pd.DataFrame()
    eos = (con.execute("select system_id, end_of_support from stg_systems where end_of_support is not null").df()
           if needs["end_of_support"] else pd.DataFrame())
    contracts = (_rows(con, "contracts_renewing", period, settings, horizon_days=int(horizon_years) * 366)
                 if (ini["area"] == "vendors").any() else pd.DataFrame())
    findings = (_rows(con, "open_audit_findings_by_age", period, settings)
                if (ini["area"] == "compliance").any() else pd.DataFrame())
    out = []
    for r in ini.itertuples(index=False):
        targets, shares = _targets(r.target_systems), parsed[r.initiative_id]
        text = " ".join(str(v) for v in (r.target_systems, r.initiative_name, r.description) if not _blank(v)).lower()
        found: list[tuple[pd.Timestamp, str]] = []
        notes: list[str] = []
        if (d := _day(r.due_by)) is not None:
            found.append((d, f"due_by {d:%Y-%m-%d} (initiatives feed)"))
        if "kev" in shares:
            if kev.empty or "system_id" not in kev.columns:
                notes.append("kev: " + kev.attrs.get("note", "no open KEV findings at the period end"))
            else:
                mine = kev[kev["system_id"].isin(targets) & kev["kev_due_date"].notna()]
                if mine.empty:
                    notes.append("kev: no open KEV finding on its targets")
                else:
                    first = _day(mine["kev_due_date"].min())
                    on = mine[mine["kev_due_date"].map(_day) == first]
                    found.append((first, f"CISA KEV due {first:%Y-%m-%d} ({_plural(len(on), 'finding')} on "
                                         f"{', '.join(sorted(on['system_id'].unique()))})"))
        if "end_of_support" in shares:
            mine = eos[eos["system_id"].isin(targets)] if not eos.empty else eos
            if mine.empty:
                notes.append("end_of_support: no end-of-support day on its targets")
            else:
                first = _day(mine["end_of_support"].min())
                on = mine[mine["end_of_support"].map(_day) == first]
                found.append((first, f"end of support {first:%Y-%m-%d} ({', '.join(sorted(on['system_id']))})"))
        if r.area == "vendors":
            found_c, note = _contract_deadline(contracts, targets, text, last)
            # a notice deadline is when the decision must be made: the work must START by then, so it must finish
            # by the notice day plus its own duration less one quarter
            extra = max(int(r.duration_quarters) - 1, 0)
            found += [(d, why) if extra == 0 or d < last else
                      (pd.Timestamp(add_months(d.date(), 3 * extra)),
                       f"{why}: started by then, its {int(r.duration_quarters)} quarters end by "
                       f"{pd.Timestamp(add_months(d.date(), 3 * extra)):%Y-%m-%d}")
                      for d, why in found_c]
            notes += [note] if note else []
        if r.area == "compliance":
            found_f, note = _finding_deadline(findings, text)
            found += found_f
            notes += [note] if note else []
        if found:
            day, why = min(found, key=lambda f: f[0])
            if day < last:
                why = why.replace(f"{day:%Y-%m-%d}", f"{day:%Y-%m-%d}, past: due at once", 1)
            out.append({"initiative_id": r.initiative_id, "deadline": day, "deadline_reason": why,
                        "deadline_note": "; ".join(notes)})
        else:
            out.append({"initiative_id": r.initiative_id, "deadline": pd.NaT, "deadline_reason": "",
                        "deadline_note": "; ".join(notes)})
    frame = pd.DataFrame(out, columns=["initiative_id", "deadline", "deadline_reason", "deadline_note"])
    frame["deadline"] = pd.to_datetime(frame["deadline"])
    return frame


def _contract_deadline(contracts: pd.DataFrame, targets: list[str], text: str,
                       last: pd.Timestamp) -> tuple[list[tuple[pd.Timestamp, str]], str]:
    """A vendors initiative's next contract notice deadline (of a contract it names, or on its targets); when the
    notice deadline has passed, the contract's end."""
    if contracts.empty or "contract_id" not in contracts.columns:
        return [], "contracts: " + contracts.attrs.get("note", "no contract ends within the planning horizon")
    named = contracts["contract_id"].astype(str).map(lambda c: c.lower() in text.split() or c.lower() in text)
    mine = contracts[named | contracts["system_id"].isin(targets)]
    if mine.empty:
        return [], "contracts: no contract it names or on its targets ends within the planning horizon"
    found = []
    for c in mine.itertuples(index=False):
        notice, end = _day(c.notice_deadline), _day(c.end_date)
        if notice is not None and notice >= last:
            found.append((notice, f"contract {c.contract_id} notice deadline {notice:%Y-%m-%d} (ends {end:%Y-%m-%d})"))
        elif end is not None:
            found.append((end, f"contract {c.contract_id} ends {end:%Y-%m-%d} (its notice deadline has passed)"))
    return found, ""


def _finding_deadline(findings: pd.DataFrame, text: str) -> tuple[list[tuple[pd.Timestamp, str]], str]:
    """A compliance initiative's earliest due day of the open audit findings it names (finding or control id)."""
    if findings.empty or "finding_id" not in findings.columns:
        return [], "audit findings: " + findings.attrs.get("note", "no audit finding open at the period end")
    linked = findings[findings["finding_id"].astype(str).str.lower().map(lambda f: f in text)
                      | findings["control_id"].fillna("").astype(str).str.lower().map(lambda c: bool(c) and c in text)]
    if linked.empty:
        return [], ("no audit finding linked: name an open finding's id or its control id in the target systems or "
                    "description")
    due = linked[linked["due_on"].notna()]
    if due.empty:
        return [], f"audit findings {', '.join(linked['finding_id'])}: no agreed due day"
    first = due.loc[due["due_on"].map(_day).idxmin()]
    day = _day(first["due_on"])
    return [(day, f"audit finding {first['finding_id']} due {day:%Y-%m-%d} (control {first['control_id']})")], ""
