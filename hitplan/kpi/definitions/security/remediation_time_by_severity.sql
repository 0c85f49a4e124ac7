-- The within-policy share's population is every finding whose policy clock ran out or that was fixed in the period
-- (CISA BOD 19-02): fixed within policy / (fixed in the period + open at the period end past policy). A reopened
-- finding is open, not a fix (its clock runs from when it was first seen). A KEV finding's clock also ends at
-- CISA's due date, and BOD 22-01 allows no risk acceptance of it: it stays an open finding. Other risk-accepted
-- findings are counted apart. Days to remediate (MTTR) are those of the findings fixed in the period.
with policy as (
    select unnest($policy_days, recursive := true)
),
findings as (
    select v.host, v.vuln_id, v.cve, v.system_id, v.severity, v.finding_state, v.is_kev, v.kev_due_date,
        v.first_seen, v.fixed_at, v.days_to_fix, cast(p.policy_days as double) as policy_days,
        -- the end of the policy clock: days after first seen, and for KEV the end of CISA's due date
        least(v.first_seen + to_seconds(cast(p.policy_days as double) * 86400),
              case when v.is_kev then cast(v.kev_due_date as timestamp) + interval 1 day end) as policy_deadline,
        v.finding_state = 'fixed' and v.fixed_at >= $start and v.fixed_at < $end as fixed_in_period,
        v.first_seen < $end and (v.is_open
            or (v.finding_state = 'fixed' and v.fixed_at >= $end)
            or (v.finding_state = 'accepted_risk' and v.is_kev)) as open_at_end
    from int_vulnerabilities v left join policy p on p.severity = v.severity
),
kpi_rows as (
    select host, vuln_id, cve, system_id, severity, finding_state, is_kev, kev_due_date, first_seen, fixed_at,
        case when fixed_in_period then days_to_fix end as days_to_fix, policy_days, policy_deadline,
        case
            when fixed_in_period and fixed_at <= policy_deadline then 'fixed within policy'
            when fixed_in_period and policy_deadline is not null then 'fixed late'
            when fixed_in_period then 'fixed, no policy'
            when open_at_end and policy_deadline < $end then 'open past policy'
            when finding_state = 'accepted_risk' and first_seen < $end and not is_kev then 'risk accepted'
        end as counted_as
    from findings
    where fixed_in_period or (open_at_end and policy_deadline < $end)
       or (finding_state = 'accepted_risk' and first_seen < $end and not is_kev)
)
select severity,
    count(*) filter (where counted_as like 'fixed%') as fixed_findings,
    count(*) filter (where counted_as = 'fixed within policy') as fixed_within_policy,
    count(*) filter (where counted_as = 'open past policy') as open_past_policy,
    count(*) filter (where counted_as = 'open past policy' and finding_state = 'reopened') as reopened_past_policy,
    count(*) filter (where counted_as = 'risk accepted') as risk_accepted,
    count(*) filter (where counted_as = 'open past policy' and finding_state = 'accepted_risk') as risk_accepted_kev,
    floor(max((epoch(cast($end as timestamp)) - epoch(first_seen)) / 86400.0)
        filter (where counted_as = 'open past policy')) as oldest_past_policy_days,
    avg(days_to_fix) as mean_days_to_remediate, median(days_to_fix) as median_days_to_remediate,
    any_value(policy_days) as policy_days,
    100.0 * count(*) filter (where counted_as = 'fixed within policy')
        / nullif(count(*) filter (where counted_as in ('fixed within policy', 'fixed late', 'open past policy')), 0)
        as within_policy_pct
from kpi_rows
group by severity order by list_position(['critical', 'high', 'medium', 'low', 'info'], severity)
