-- A ticket's resolution time comes with its basis (int_incidents.resolution_basis). Its SLA outcome: an exact
-- time (timestamps, calendar duration) is met or missed; a lower bound (business duration, time worked) above
-- the target proves a miss; an upper bound (last update) within the target proves it met; otherwise the outcome
-- is not known and the ticket is left out of the percentage (counted in resolve_sla_not_measurable). A ticket
-- still open at the period end counts as a miss once it is older than its target. Without any acknowledgement
-- time the acknowledgement SLA is not measurable (blank), never 0 %.
with targets as (
    select unnest($targets, recursive := true)
),
tickets as (
    select i.incident_number, i.priority, i.ack_minutes, i.resolve_hours, i.resolution_basis,
        cast(t.ack_minutes as double) as ack_target_minutes,
        cast(t.resolve_hours as double) as resolve_target_hours,
        i.lifecycle in ('resolved', 'closed') and (i.done_at is null or i.done_at < $end) as resolved,
        i.acknowledged_at is not null and i.acknowledged_at < $end as acked,
        (epoch(cast($end as timestamp)) - epoch(i.opened_at)) / 3600.0 as age_hours
    from int_incidents i left join targets t on t.priority = i.priority
    where i.opened_at >= $start and i.opened_at < $end and i.priority is not null
      and i.lifecycle <> 'canceled'
),
kpi_rows as (
    select *,
        case
            when not resolved then (case when age_hours > resolve_target_hours then false end)
            when resolution_basis in ('timestamps', 'calendar_duration') then resolve_hours <= resolve_target_hours
            when resolution_basis in ('business_duration', 'time_worked')
                then (case when resolve_hours > resolve_target_hours then false end)
            when resolution_basis = 'last_update' then (case when resolve_hours <= resolve_target_hours then true end)
        end as resolve_sla_met
    from tickets
)
select priority, count(*) as incidents,
    avg(ack_minutes) filter (where acked) as mtta_minutes,
    avg(resolve_hours) filter (where resolved) as mttr_hours,
    median(resolve_hours) filter (where resolved) as median_mttr_hours,
    any_value(ack_target_minutes) as ack_target_minutes,
    any_value(resolve_target_hours) as resolve_target_hours,
    case when count(*) filter (where acked) > 0 then
        100.0 * count(*) filter (where acked and ack_minutes <= ack_target_minutes)
        / nullif(count(*) filter (where acked or age_hours * 60 > ack_target_minutes), 0) end as ack_sla_met_pct,
    100.0 * count(*) filter (where resolve_sla_met)
        / nullif(count(*) filter (where resolve_sla_met is not null), 0) as resolve_sla_met_pct,
    count(*) filter (where not resolved and age_hours > resolve_target_hours) as open_past_target,
    count(*) filter (where resolved) as resolved_incidents,
    count(*) filter (where resolved and resolution_basis = 'timestamps') as resolved_by_timestamps,
    count(*) filter (where resolved and resolution_basis = 'calendar_duration') as resolved_by_duration,
    count(*) filter (where resolved and resolution_basis in ('business_duration', 'time_worked'))
        as resolved_by_business_time,
    count(*) filter (where resolved and resolution_basis = 'last_update') as resolved_by_last_update,
    count(*) filter (where resolved and resolution_basis is null) as resolved_time_unknown,
    count(*) filter (where resolve_sla_met is not null) as resolve_sla_measured,
    count(*) filter (where resolved and resolve_sla_met is null) as resolve_sla_not_measurable
from kpi_rows group by priority order by priority
