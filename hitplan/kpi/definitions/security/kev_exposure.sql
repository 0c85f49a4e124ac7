-- Open at the period end: seen before it and not fixed before it. A KEV finding marked risk-accepted is open too:
-- CISA BOD 22-01 allows no risk acceptance of a known-exploited vulnerability, so it is listed (risk_accepted) and
-- past due after CISA's due date like any other. Past due after CISA's due date, as of the period's last day.
with kpi_rows as (
    select host, vuln_id, cve, system_id, system_name, system_holds_phi, severity, kev_due_date,
        greatest(0, cast($end as date) - 1 - kev_due_date) as days_past_due,
        kev_due_date < cast($end as date) - 1 as past_due,
        kev_known_ransomware_use,
        finding_state = 'accepted_risk' as risk_accepted
    from int_vulnerabilities
    where is_kev
      and first_seen < $end
      and (is_open or (fixed_at is not null and fixed_at >= $end) or finding_state = 'accepted_risk')
)
select host, cve, system_id, system_name, system_holds_phi, severity, kev_due_date, days_past_due, past_due,
    kev_known_ransomware_use, risk_accepted
from kpi_rows
order by past_due desc, days_past_due desc, host, cve
