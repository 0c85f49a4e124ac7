"""The evidence behind each candidate initiative, computed from the store for its target systems and area.

Every criterion value comes with the figures it was computed from (``trace``), so a CIO can see why an
initiative scores as it does. Counts cover the period (normally the last 12 months, i.e. per year).

- clinical_impact: user-hours of outage on the target systems, weighted by criticality (tier 1 counts 4x,
  tier 4 once; untiered as tier 3): sum(outage minutes x users affected / 60 x (5 - tier)).
- risk_reduction: risk points on the target systems (settings ``portfolio.evidence.risk_points`` and
  ``eos_points``, shipped: 1 per open critical finding on a PHI system, 2 per open KEV-listed finding, 3 per
  tier-1/2 system without a passed technical DR test (partial or full failover) in the KPI's DR window
  ``kpi.continuity.dr_coverage_months``, 5 per system past end of support, 3 within the first of
  ``kpi.infrastructure.eos_horizons_months``, 1 within the second); compliance initiatives add 1 per HIPAA
  control whose evidence is older than ``kpi.compliance.evidence_stale_months``.
- operational_effect: hours of incident handling avoided per year: incidents x mean hours to resolve x
  the expected incident reduction.
- financial_npv: net present value (US$) over the horizon (``portfolio.evidence.horizon_years``) at the yearly
  discount rate (``portfolio.urgency.yearly_discount_rate``) of savings plus avoided downtime (outage hours x
  cost per hour by tier, ``kpi.continuity.downtime_cost_per_hour_usd``, x expected outage reduction) minus added
  opex, less capex; payback in years.
- reach: average daily active users of the target systems over the last three months of the period.
- strategic_alignment (0-5) and confidence (0-1): leadership's ratings, as entered.
- cost: capex plus opex over the horizon (US$), a cost criterion.
- outage_probability (evidence beside the criteria, not one of them): the highest probability (0-1) of a P1/P2
  incident next quarter among the target systems, from the per-system frame the caller computed with
  ``hitplan.forecast.outage_risk`` (blank when it gave none).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from hitplan.models import attach_models
from hitplan.periods import Period
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
        count(*) filter (where is_open and severity = 'critical' and system_holds_phi) as open_critical_phi,
        count(*) filter (where is_open and is_kev) as open_kev
    from int_vulnerabilities where system_id is not null and first_seen < $end
    group by system_id
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
        coalesce(f.open_critical_phi, 0) as open_critical_phi, coalesce(f.open_kev, 0) as open_kev,
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
        case when i.area = 'compliance' then (select stale from stale_controls) else 0 end as stale_controls,
        coalesce(sum(p.incidents), 0) as incidents,
        sum(p.incidents * p.mttr_hours) / nullif(sum(case when p.mttr_hours is not null then p.incidents end), 0) as mttr_hours,
        coalesce(sum(p.downtime_cost_usd), 0) as downtime_cost_usd,
        coalesce(sum(p.active_users), 0) as reach,
        coalesce(i.capex, 0) as capex, coalesce(i.opex_per_year, 0) as opex_per_year,
        coalesce(i.savings_per_year, 0) as savings_per_year,
        coalesce(i.incident_reduction_pct, 0) as incident_reduction_pct,
        coalesce(i.outage_reduction_pct, 0) as outage_reduction_pct,
        i.strategic_alignment, i.confidence
    from initiatives i left join per_system p using (initiative_id)
    group by all
)
select * from final order by initiative_id
"""


def _npv(capex: float, yearly: float, years: int, rate: float) -> float:
    return -capex + sum(yearly / (1 + rate) ** y for y in range(1, years + 1))


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
    raw = con.execute(_SQL, params).df()
    rows, trace = [], []
    for r in raw.itertuples(index=False):
        risk = (points["open_critical_phi"] * r.open_critical_phi + points["open_kev"] * r.open_kev
                + points["dr_gap"] * r.dr_gaps + r.eos_points + points["stale_control"] * r.stale_controls)
        mttr = 0.0 if pd.isna(r.mttr_hours) else float(r.mttr_hours)
        operational = r.incidents * mttr * r.incident_reduction_pct / 100.0
        avoided = float(r.downtime_cost_usd) * r.outage_reduction_pct / 100.0
        yearly = float(r.savings_per_year) + avoided - float(r.opex_per_year)
        npv = _npv(float(r.capex), yearly, years, rate)
        payback = float(r.capex) / yearly if yearly > 0 else None
        cost = float(r.capex) + float(r.opex_per_year) * years
        values = {
            "clinical_impact": float(r.clinical_impact), "risk_reduction": float(risk),
            "operational_effect": float(operational), "financial_npv": npv, "reach": float(r.reach),
            "strategic_alignment": float(r.strategic_alignment or 0), "confidence": float(r.confidence or 0),
            "cost": cost,
        }
        rows.append({"initiative_id": r.initiative_id, "name": r.initiative_name, "area": r.area, **values,
                     "payback_years": payback, "capex": float(r.capex), "opex_per_year": float(r.opex_per_year),
                     "avoided_downtime_usd_per_year": avoided})
        how = {
            "clinical_impact": f"{r.target_systems} target systems: user-hours of outage weighted by tier",
            "risk_reduction": (f"{points['open_critical_phi']:g}x{r.open_critical_phi:g} open critical on PHI + "
                               f"{points['open_kev']:g}x{r.open_kev:g} open KEV + "
                               f"{points['dr_gap']:g}x{r.dr_gaps:g} DR gaps + {r.eos_points:g} end-of-support points + "
                               f"{points['stale_control']:g}x{r.stale_controls:g} stale controls"),
            "operational_effect": f"{r.incidents:g} incidents x {mttr:.1f} h to resolve x {r.incident_reduction_pct:g} %",
            "financial_npv": (f"-{float(r.capex):,.0f} capex + {years} years of ({float(r.savings_per_year):,.0f} "
                              f"savings + {avoided:,.0f} avoided downtime - {float(r.opex_per_year):,.0f} opex) "
                              f"at {rate:.0%}"),
            "reach": "average daily active users, last 3 months",
            "strategic_alignment": "leadership rating (initiatives feed)",
            "confidence": "leadership rating (initiatives feed)",
            "cost": f"{float(r.capex):,.0f} capex + {years} x {float(r.opex_per_year):,.0f} opex",
        }
        for c in CRITERIA:
            trace.append({"initiative_id": r.initiative_id, "criterion": c, "value": values[c], "how": how[c],
                          "source": _source(c, settings)})
    matrix = pd.DataFrame(rows)
    if not matrix.empty:
        matrix["outage_probability"] = matrix["initiative_id"].map(_outage_probability(con, outage_risk)).astype(float)
    matrix.attrs["source"] = ("stg_initiatives with int_incidents, int_vulnerabilities, stg_systems, stg_dr_tests, "
                              "mart_usage_by_system_month, stg_controls; outage_probability: "
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
    "clinical_impact": "int_incidents: outage_minutes, users_affected; stg_systems.criticality_tier",
    "risk_reduction": "int_vulnerabilities (is_open, severity, is_kev, system_holds_phi); stg_dr_tests; stg_systems.end_of_support; stg_controls.last_evidence_on",
    "operational_effect": "int_incidents: count, resolve_hours; stg_initiatives.incident_reduction_pct",
    "financial_npv": "stg_initiatives: capex, opex_per_year, savings_per_year, outage_reduction_pct; int_incidents.outage_minutes",
    "reach": "mart_usage_by_system_month.avg_daily_active_users",
    "strategic_alignment": "stg_initiatives.strategic_alignment",
    "confidence": "stg_initiatives.confidence",
    "cost": "stg_initiatives: capex, opex_per_year",
}
