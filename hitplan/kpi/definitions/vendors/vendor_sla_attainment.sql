-- A vendor's SLA comes from its contracts in force in the period (the strictest figures when it has several);
-- its availability is over all its inventoried systems.
with sla as (
    select vendor_id, any_value(vendor_name) as vendor_name,
        max(sla_availability_pct) as sla_availability_pct, min(sla_response_minutes) as sla_response_minutes
    from int_contracts
    where start_date < $end and end_date >= $start
      and (sla_availability_pct is not null or sla_response_minutes is not null)
    group by vendor_id
),
vsys as (select vendor_id, count(*) as systems from stg_systems group by vendor_id),
kpi_rows as (
    select i.incident_number, i.vendor_id, i.system_id, i.priority, i.outage_minutes, i.ack_minutes
    from int_incidents i
    where i.opened_at >= $start and i.opened_at < $end and i.vendor_id in (select vendor_id from sla)
),
inc as (
    select r.vendor_id, sum(r.outage_minutes) as outage_minutes,
        count(*) filter (where r.priority <= 2) as p1_p2_incidents,
        median(r.ack_minutes) filter (where r.priority <= 2) as median_ack_minutes,
        list(r.ack_minutes) filter (where r.priority <= 2 and r.ack_minutes is not null) as acks
    from kpi_rows r
    group by r.vendor_id
)
select sla.vendor_id, sla.vendor_name, coalesce(vsys.systems, 0) as systems,
    100.0 * (1 - coalesce(inc.outage_minutes, 0)
        / nullif(vsys.systems * (cast($end as date) - cast($start as date)) * 1440.0, 0)) as availability_pct,
    sla.sla_availability_pct,
    availability_pct >= sla.sla_availability_pct as availability_met,
    coalesce(inc.p1_p2_incidents, 0) as p1_p2_incidents, inc.median_ack_minutes, sla.sla_response_minutes,
    100.0 * len(list_filter(inc.acks, lambda a: a <= sla.sla_response_minutes)) / nullif(len(inc.acks), 0)
        as response_sla_met_pct,
    inc.median_ack_minutes <= sla.sla_response_minutes as response_met
from sla left join inc using (vendor_id) left join vsys using (vendor_id)
order by response_met nulls last, response_sla_met_pct nulls last, sla.vendor_id
