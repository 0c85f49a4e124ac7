with targets as (
    select unnest($targets, recursive := true)
),
kpi_rows as (
    select i.incident_number, i.priority, i.ack_minutes, i.resolve_hours, cast(t.ack_minutes as double) as ack_target_minutes,
        cast(t.resolve_hours as double) as resolve_target_hours,
        i.resolved_at is not null and i.resolved_at < $end as resolved,
        i.acknowledged_at is not null and i.acknowledged_at < $end as acked,
        (epoch(cast($end as timestamp)) - epoch(i.opened_at)) / 3600.0 as age_hours
    from int_incidents i left join targets t on t.priority = i.priority
    where i.opened_at >= $start and i.opened_at < $end and i.priority is not null
      and i.incident_state <> 'canceled'
)
select priority, count(*) as incidents,
    avg(ack_minutes) filter (where acked) as mtta_minutes,
    avg(resolve_hours) filter (where resolved) as mttr_hours,
    median(resolve_hours) filter (where resolved) as median_mttr_hours,
    any_value(ack_target_minutes) as ack_target_minutes,
    any_value(resolve_target_hours) as resolve_target_hours,
    100.0 * count(*) filter (where acked and ack_minutes <= ack_target_minutes)
        / nullif(count(*) filter (where acked or age_hours * 60 > ack_target_minutes), 0) as ack_sla_met_pct,
    100.0 * count(*) filter (where resolved and resolve_hours <= resolve_target_hours)
        / nullif(count(*) filter (where resolved or age_hours > resolve_target_hours), 0) as resolve_sla_met_pct,
    count(*) filter (where not resolved and age_hours > resolve_target_hours) as open_past_target
from kpi_rows group by priority order by priority
