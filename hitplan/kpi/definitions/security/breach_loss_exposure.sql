-- A PHI system is exposed when it has a critical or KEV-listed finding open at the period end (seen before it, not
-- fixed before it, not risk-accepted): the systems phi_systems_with_critical_findings lists.
with exposed as (
    select distinct system_id
    from int_vulnerabilities
    where system_holds_phi and (severity = 'critical' or is_kev)
      and first_seen < $end
      and finding_state <> 'accepted_risk'
      and (is_open or (fixed_at is not null and fixed_at >= $end))
),
kpi_rows as (
    select s.system_id, s.system_name, s.criticality_tier, e.system_id is not null as exposed
    from stg_systems s left join exposed e on e.system_id = s.system_id
    where s.holds_phi
)
select count(*) as phi_systems,
    count(distinct system_id) filter (where exposed) as phi_systems_exposed,
    cast($cost_per_breach_usd as double) as cost_per_breach_usd,
    cast($annual_likelihood as double) as annual_breach_likelihood,
    cast($cost_per_breach_usd as double) * cast($annual_likelihood as double) as expected_annual_loss_usd
from kpi_rows
