-- A PHI system is exposed when it has a critical or KEV-listed finding open at the period end (seen before it, not
-- fixed before it; a risk-accepted KEV finding is open, CISA BOD 22-01): the systems phi_systems_with_critical_findings
-- lists with an open one. A PHI system whose only such findings are risk-accepted criticals is counted apart.
with findings as (
    select system_id, not (finding_state = 'accepted_risk' and not is_kev) as open_finding
    from int_vulnerabilities
    where system_holds_phi and (severity = 'critical' or is_kev)
      and first_seen < $end
      and (is_open or (fixed_at is not null and fixed_at >= $end) or finding_state = 'accepted_risk')
),
per_system as (
    select system_id, bool_or(open_finding) as exposed, bool_or(not open_finding) as risk_accepted
    from findings group by system_id
),
kpi_rows as (
    select s.system_id, s.system_name, s.criticality_tier, coalesce(f.exposed, false) as exposed,
        coalesce(f.risk_accepted and not f.exposed, false) as risk_accepted_only
    from stg_systems s left join per_system f on f.system_id = s.system_id
    where s.holds_phi
)
select count(*) as phi_systems,
    count(distinct system_id) filter (where exposed) as phi_systems_exposed,
    count(distinct system_id) filter (where risk_accepted_only) as phi_systems_risk_accepted_only,
    cast($cost_per_breach_usd as double) as cost_per_breach_usd,
    cast($annual_likelihood as double) as annual_breach_likelihood,
    cast($cost_per_breach_usd as double) * cast($annual_likelihood as double) as expected_annual_loss_usd
from kpi_rows
