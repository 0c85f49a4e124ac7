with kpi_rows as (
    select incident_number, system_id, system_name, priority, outage_minutes
    from int_incidents where opened_at >= $start and opened_at < $end and system_id is not null
)
select system_id, any_value(system_name) as system_name, count(*) as incidents,
    count(*) filter (where priority <= 2) as p1_p2_incidents, sum(outage_minutes) as outage_minutes
from kpi_rows
group by system_id order by incidents desc, system_id limit $limit
