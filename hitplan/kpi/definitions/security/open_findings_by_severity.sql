-- Open at the period end: seen before it and not fixed before it. A risk-accepted finding is not open but is still
-- there: it is counted apart (risk_accepted), never dropped. A risk-accepted KEV finding is open: CISA BOD 22-01
-- allows no risk acceptance of a known-exploited vulnerability (the rule remediation_time_by_severity follows).
with kpi_rows as (
    select host, vuln_id, cve, system_id, severity, finding_state, is_kev, first_seen,
        (epoch(cast($end as timestamp)) - epoch(first_seen)) / 86400.0 as age_days,
        case when finding_state = 'accepted_risk' and not is_kev then 'risk accepted' else 'open' end as counted_as
    from int_vulnerabilities
    where first_seen < $end
      and (is_open or (fixed_at is not null and fixed_at >= $end) or finding_state = 'accepted_risk')
)
select severity,
    count(*) filter (where counted_as = 'open') as open_findings,
    count(*) filter (where counted_as = 'open' and finding_state = 'accepted_risk') as risk_accepted_kev,
    count(*) filter (where counted_as = 'open' and age_days <= 30) as age_0_30_days,
    count(*) filter (where counted_as = 'open' and age_days > 30 and age_days <= 90) as age_31_90_days,
    count(*) filter (where counted_as = 'open' and age_days > 90 and age_days <= 180) as age_91_180_days,
    count(*) filter (where counted_as = 'open' and age_days > 180) as age_over_180_days,
    floor(max(age_days) filter (where counted_as = 'open')) as oldest_days,
    count(*) filter (where counted_as = 'risk accepted') as risk_accepted
from kpi_rows group by severity
order by list_position(['critical', 'high', 'medium', 'low', 'info'], severity)
