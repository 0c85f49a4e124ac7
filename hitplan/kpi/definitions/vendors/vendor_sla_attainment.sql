-- A vendor's SLA is measured on the vendor's own clocks, as the contract measures it (ITIL 4 service level management
-- and supplier management): per ticket for response, per system per calendar month for availability. Its SLA figures
-- come from its contracts in force in the period (the strictest when it has several; start_date is only the current
-- term's start, so an earlier term is taken to have carried the same figures).
-- Response: a contract's sla_response_minutes is the vendor's commitment for priority-1 tickets
-- (hitplan/schema/feeds.yaml, contracts), so only P1 tickets on its systems escalated to it in the period count,
-- timed from vendor_engaged_at to vendor_responded_at (int_incidents.vendor_response_minutes), never the hospital
-- desk's own acknowledgement. Each escalation is met when the vendor responded within the SLA; missed when it
-- responded later, or had not responded by the period end with the SLA already run out; pending (counted apart) when
-- unanswered and still inside the SLA at the period end. An escalation canceled before any response is not judged.
-- Attainment = met / (met + missed), per ticket, never a median. With no escalation time in the store at all, or none
-- on a vendor's P1 tickets, that vendor's response is not measurable (response_note), never met.
-- Availability: an availability SLA covers the system its contract names (a contract naming none covers every system
-- the vendor supplies). Per system per calendar month, each system's outage minutes (incidents opened in the month)
-- over the month's minutes inside the period, against the strictest such figure; a vendor met it only if every
-- system-month did (worst system-month shown). Without outage minutes loaded it is not measurable (availability_note).
with sla_contracts as (
    select contract_id, vendor_id, vendor_name, system_id, start_date, end_date, sla_availability_pct,
        sla_response_minutes
    from int_contracts
    where start_date < $end and end_date >= $start
      and (sla_availability_pct is not null or sla_response_minutes is not null)
),
sla as (
    select vendor_id, any_value(vendor_name) as vendor_name,
        max(sla_availability_pct) as sla_availability_pct, min(sla_response_minutes) as sla_response_minutes
    from sla_contracts
    group by vendor_id
),
target as (
    -- a vendor meets its response SLA when this share of its judged escalations was answered in time
    select cast(any_value(pct) as double) as response_target_pct
    from (select unnest($attainment, recursive := true)) where level = 'watch'
),
hospital as (select max(time_zone) as time_zone from stg_hospital),
loaded as (
    -- an export without escalation times (or outage minutes) says nothing about vendors' clocks
    select count(vendor_engaged_at) > 0 as escalations_loaded, count(outage_minutes) > 0 as outages_loaded
    from stg_incidents
),
escalated as (
    select i.incident_number, i.vendor_id, i.system_id, i.priority, i.lifecycle, i.vendor_engaged_at,
        i.vendor_responded_at, i.vendor_response_minutes,
        sla.sla_response_minutes,
        case when h.time_zone is null then (epoch(cast($end as timestamp)) - epoch(i.vendor_engaged_at)) / 60.0
             else (epoch(timezone(h.time_zone, cast($end as timestamp)))
                   - epoch(timezone(h.time_zone, i.vendor_engaged_at))) / 60.0
        end as minutes_to_period_end
    from int_incidents i join sla using (vendor_id) cross join hospital h
    where i.priority = 1 and i.vendor_engaged_at >= $start and i.vendor_engaged_at < $end
      and not (i.lifecycle = 'canceled' and i.vendor_responded_at is null)
),
kpi_rows as (
    -- one row per P1 escalation to a vendor in the period under a response SLA, with its outcome
    select incident_number, vendor_id, system_id, priority, vendor_engaged_at, vendor_responded_at,
        vendor_response_minutes, sla_response_minutes,
        case when vendor_response_minutes is not null
                 then case when vendor_response_minutes <= sla_response_minutes then 'met' else 'missed' end
             when minutes_to_period_end > sla_response_minutes then 'missed'
             else 'pending'
        end as outcome
    from escalated
    where sla_response_minutes is not null
),
resp as (
    select vendor_id, count(*) as escalations,
        count(*) filter (where outcome = 'met') as responses_met,
        count(*) filter (where outcome = 'missed') as responses_missed,
        count(*) filter (where outcome = 'pending') as escalations_pending
    from kpi_rows
    group by vendor_id
),
p1 as (
    select vendor_id, count(*) as p1_incidents
    from int_incidents
    where priority = 1 and opened_at >= $start and opened_at < $end and vendor_id in (select vendor_id from sla)
    group by vendor_id
),
vsys as (select vendor_id, count(*) as systems from stg_systems group by vendor_id),
months as (
    select cast(m as date) as month,
           cast(greatest(m, $start) as date) as month_start,
           cast(least(m + interval 1 month, $end) as date) as month_end
    from unnest(generate_series(cast(date_trunc('month', cast($start as date)) as timestamp),
                                cast($end as timestamp) - interval 1 day, interval 1 month)) as t(m)
),
covered as (
    -- each system-month under an availability SLA: the systems a contract names, else all the vendor supplies
    select c.vendor_id, s.system_id, m.month, m.month_start, m.month_end,
        max(c.sla_availability_pct) as sla_availability_pct
    from sla_contracts c
    join stg_systems s on s.system_id = c.system_id or (c.system_id is null and s.vendor_id = c.vendor_id)
    cross join months m
    where c.sla_availability_pct is not null
    group by all
),
outages as (
    select system_id, cast(date_trunc('month', opened_at) as date) as month, sum(outage_minutes) as outage_minutes
    from int_incidents
    where opened_at >= $start and opened_at < $end and system_id is not null and outage_minutes > 0
    group by all
),
system_months as (
    select cv.vendor_id, cv.system_id, cv.month, cv.sla_availability_pct,
        greatest(0, 100.0 * (1 - coalesce(o.outage_minutes, 0) / ((cv.month_end - cv.month_start) * 1440.0)))
            as availability_pct
    from covered cv left join outages o on o.system_id = cv.system_id and o.month = cv.month
),
ranked as (
    select *, row_number() over (partition by vendor_id
                                 order by availability_pct - sla_availability_pct, month, system_id) as worst_rank
    from system_months
),
avail as (
    select vendor_id, count(*) as system_months,
        count(*) filter (where availability_pct < sla_availability_pct) as system_months_missed,
        any_value(system_id) filter (where worst_rank = 1) as worst_system_id,
        any_value(month) filter (where worst_rank = 1) as worst_month,
        any_value(availability_pct) filter (where worst_rank = 1) as worst_availability_pct
    from ranked
    group by vendor_id
),
final as (
    select sla.vendor_id, sla.vendor_name, coalesce(vsys.systems, 0) as systems,
        coalesce(avail.system_months, 0) as system_months,
        case when loaded.outages_loaded then avail.system_months_missed end as system_months_missed,
        case when loaded.outages_loaded then avail.worst_system_id end as worst_system_id,
        case when loaded.outages_loaded then avail.worst_month end as worst_month,
        case when loaded.outages_loaded then avail.worst_availability_pct end as worst_availability_pct,
        sla.sla_availability_pct,
        case when loaded.outages_loaded and avail.system_months > 0 then avail.system_months_missed = 0 end
            as availability_met,
        case when sla.sla_availability_pct is null then 'no availability SLA in its contracts'
             when coalesce(avail.system_months, 0) = 0
                 then 'not measurable: no inventoried system under its availability SLA'
             when not loaded.outages_loaded
                 then 'not measurable: no outage minutes loaded (incidents.outage_minutes is blank in every row)'
        end as availability_note,
        coalesce(p1.p1_incidents, 0) as p1_incidents,
        case when loaded.escalations_loaded then coalesce(resp.escalations, 0) end as escalations,
        case when loaded.escalations_loaded then coalesce(resp.responses_met, 0) end as responses_met,
        case when loaded.escalations_loaded then coalesce(resp.responses_missed, 0) end as responses_missed,
        case when loaded.escalations_loaded then coalesce(resp.escalations_pending, 0) end as escalations_pending,
        sla.sla_response_minutes,
        case when loaded.escalations_loaded
             then 100.0 * resp.responses_met / nullif(resp.responses_met + resp.responses_missed, 0)
        end as response_sla_met_pct,
        target.response_target_pct,
        response_sla_met_pct >= target.response_target_pct as response_met,
        case when sla.sla_response_minutes is null then 'no response SLA in its contracts'
             when coalesce(resp.escalations, 0) = 0 and coalesce(p1.p1_incidents, 0) = 0
                 then 'no P1 ticket on its systems in the period'
             when not loaded.escalations_loaded
                 then 'not measurable: no vendor escalation times loaded (incidents.vendor_engaged_at is blank in '
                      || 'every row)'
             when coalesce(resp.escalations, 0) = 0
                 then 'not measurable: no escalation to it recorded on its P1 tickets in the period ('
                      || p1.p1_incidents || ' P1, vendor_engaged_at blank), so its response clock is not seen'
             when resp.responses_met + resp.responses_missed = 0
                 then 'only escalations still inside the SLA at the period end'
        end as response_note
    from sla
    cross join loaded
    cross join target
    left join resp using (vendor_id)
    left join p1 using (vendor_id)
    left join avail using (vendor_id)
    left join vsys using (vendor_id)
)
select * from final
order by (response_met = false or availability_met = false) desc nulls last, response_sla_met_pct nulls last,
    worst_availability_pct - sla_availability_pct nulls last, vendor_id
