with kpi_rows as (
    select incident_number, system_id, opened_month, system_holds_phi, outage_minutes
    from int_incidents where is_security and opened_at >= $start and opened_at < $end
)
select opened_month as month, count(*) as security_incidents,
    count(*) filter (where system_holds_phi) as on_phi_systems, sum(outage_minutes) as outage_minutes
from kpi_rows
group by opened_month order by opened_month
