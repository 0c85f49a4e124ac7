-- Open at the period end: seen before it and not fixed before it; a risk-accepted KEV finding is open (CISA BOD
-- 22-01 allows no risk acceptance of it). Risk-accepted critical findings that are not KEV are counted apart: a
-- PHI system whose only criticals are accepted is listed with 0 open, not left out.
with kpi_rows as (
    select host, vuln_id, cve, system_id, system_name, criticality_tier, severity, is_kev, finding_state,
        case when finding_state = 'accepted_risk' and not is_kev then 'risk accepted' else 'open' end as counted_as
    from int_vulnerabilities
    where system_holds_phi and (severity = 'critical' or is_kev)
      and first_seen < $end
      and (is_open or (fixed_at is not null and fixed_at >= $end) or finding_state = 'accepted_risk')
)
select system_id, any_value(system_name) as system_name, any_value(criticality_tier) as criticality_tier,
    count(*) filter (where counted_as = 'open' and severity = 'critical') as open_critical_findings,
    count(*) filter (where counted_as = 'open' and is_kev) as open_kev_findings,
    count(*) filter (where counted_as = 'open' and finding_state = 'accepted_risk') as risk_accepted_kev_findings,
    count(*) filter (where counted_as = 'risk accepted') as risk_accepted_critical_findings
from kpi_rows
group by system_id
order by open_kev_findings desc, open_critical_findings desc, risk_accepted_critical_findings desc, system_id
