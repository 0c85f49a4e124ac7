with kpi_rows as (
    select incident_number, vendor_id, system_id, priority, outage_minutes
    from int_incidents
    where opened_at >= $start and opened_at < $end and vendor_id is not null
)
select i.vendor_id, any_value(v.vendor_name) as vendor_name, count(*) as incidents,
    count(*) filter (where i.priority <= 2) as p1_p2_incidents, sum(i.outage_minutes) as outage_minutes
from kpi_rows i left join stg_vendors v using (vendor_id)
group by i.vendor_id order by incidents desc, i.vendor_id
