-- open at the period end: seen before it, not fixed before it, and not risk-accepted
with kpi_rows as (
    select host, vuln_id, cve, system_id, severity, first_seen,
        (epoch(cast($end as timestamp)) - epoch(first_seen)) / 86400.0 as age_days
    from int_vulnerabilities
    where first_seen < $end
      and finding_state <> 'accepted_risk'
      and (is_open or (fixed_at is not null and fixed_at >= $end))
)
select severity, count(*) as open_findings,
    count(*) filter (where age_days <= 30) as age_0_30_days,
    count(*) filter (where age_days > 30 and age_days <= 90) as age_31_90_days,
    count(*) filter (where age_days > 90 and age_days <= 180) as age_91_180_days,
    count(*) filter (where age_days > 180) as age_over_180_days,
    floor(max(age_days)) as oldest_days
from kpi_rows group by severity
order by list_position(['critical', 'high', 'medium', 'low', 'info'], severity)
