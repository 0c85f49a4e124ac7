-- open at the period end: seen before it, not fixed before it, and not risk-accepted
with kpi_rows as (
    select host, vuln_id, cve, system_id, system_name, criticality_tier, severity, is_kev
    from int_vulnerabilities
    where system_holds_phi and (severity = 'critical' or is_kev)
      and first_seen < $end
      and finding_state <> 'accepted_risk'
      and (is_open or (fixed_at is not null and fixed_at >= $end))
)
select system_id, any_value(system_name) as system_name, any_value(criticality_tier) as criticality_tier,
    count(*) filter (where severity = 'critical') as open_critical_findings,
    count(*) filter (where is_kev) as open_kev_findings
from kpi_rows
group by system_id order by open_kev_findings desc, open_critical_findings desc, system_id
