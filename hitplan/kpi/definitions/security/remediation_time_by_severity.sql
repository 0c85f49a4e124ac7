with policy as (
    select unnest($policy_days, recursive := true)
),
kpi_rows as (
    select v.host, v.vuln_id, v.severity, v.first_seen, v.fixed_at, v.days_to_fix,
        cast(p.policy_days as double) as policy_days
    from int_vulnerabilities v left join policy p on p.severity = v.severity
    where v.fixed_at >= $start and v.fixed_at < $end
)
select severity, count(*) as fixed_findings, avg(days_to_fix) as mean_days_to_remediate,
    median(days_to_fix) as median_days_to_remediate, any_value(policy_days) as policy_days,
    100.0 * count(*) filter (where days_to_fix <= policy_days) / count(*) as within_policy_pct
from kpi_rows
group by severity order by list_position(['critical', 'high', 'medium', 'low', 'info'], severity)
