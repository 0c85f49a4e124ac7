-- open at the period end: seen before it, not fixed before it, and not risk-accepted; past due after CISA's due
-- date, as of the period's last day
with kpi_rows as (
    select host, vuln_id, cve, system_id, system_name, system_holds_phi, severity, kev_due_date,
        greatest(0, cast($end as date) - 1 - kev_due_date) as days_past_due,
        kev_due_date < cast($end as date) - 1 as past_due,
        kev_known_ransomware_use
    from int_vulnerabilities
    where is_kev
      and first_seen < $end
      and finding_state <> 'accepted_risk'
      and (is_open or (fixed_at is not null and fixed_at >= $end))
)
select host, cve, system_id, system_name, system_holds_phi, severity, kev_due_date, days_past_due, past_due,
    kev_known_ransomware_use
from kpi_rows
order by past_due desc, days_past_due desc, host, cve
