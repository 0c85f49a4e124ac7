-- Resolution time as ITIL 4 and HDI define it: open to resolved, less the time the SLA clock was paused (on hold,
-- awaiting the caller or a vendor: int_incidents.on_hold_hours), never below 0. A bound stays a bound (a lower
-- bound less the pause is a lower bound of the net time, an upper bound an upper one). Where the export has no
-- on-hold time the calendar time is kept and the row says so (paused_time_unknown, pause_note).
-- A ticket's SLA outcome: the service desk tool's own verdict (made_sla: it applies the real SLA calendar and
-- pauses) wins where present (sla_by_tool); else hitplan's, from the net time and its basis (sla_by_hitplan): an
-- exact time (timestamps, calendar duration) is met or missed; a lower bound (business duration, time worked)
-- above the target proves a miss; an upper bound (last update) within the target proves it met; otherwise the
-- outcome is not known and the ticket is left out of the percentage (counted in resolve_sla_not_measurable). A
-- ticket still open at the period end counts as a miss once it is older than its target (calendar age: its pauses
-- so far are not known at the period end). A canceled ticket was never resolved: in no count here. Without any
-- acknowledgement time the acknowledgement SLA is not measurable (blank), never 0 %.
with targets as (
    select unnest($targets, recursive := true)
),
tickets as (
    select i.incident_number, i.priority, i.ack_minutes, i.resolution_basis, i.made_sla, i.on_hold_hours,
        case when i.on_hold_hours is null then i.resolve_hours
             else greatest(0, i.resolve_hours - i.on_hold_hours) end as resolve_hours,
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
        resolved and made_sla is not null as sla_by_tool,
        case
            when not resolved then (case when age_hours > resolve_target_hours then false end)
            when made_sla is not null then made_sla
            when resolution_basis in ('timestamps', 'calendar_duration') then resolve_hours <= resolve_target_hours
            when resolution_basis in ('business_duration', 'time_worked')
                then (case when resolve_hours > resolve_target_hours then false end)
            when resolution_basis = 'last_update' then (case when resolve_hours <= resolve_target_hours then true end)
        end as resolve_sla_met
    from tickets
),
by_priority as (
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
        count(*) filter (where resolved and resolve_sla_met is null) as resolve_sla_not_measurable,
        count(*) filter (where resolved and resolve_hours is not null and on_hold_hours > 0) as paused_time_subtracted,
        count(*) filter (where resolved and resolve_hours is not null and on_hold_hours is null) as paused_time_unknown,
        count(*) filter (where resolve_sla_met is not null and sla_by_tool) as sla_by_tool,
        count(*) filter (where resolve_sla_met is not null and not sla_by_tool) as sla_by_hitplan
    from kpi_rows group by priority
)
select * exclude (timed),
    case
        when paused_time_unknown = 0 then null
        when paused_time_unknown = timed then 'on-hold time not in the export: MTTR includes pauses'
        else 'on-hold time not in the export for ' || paused_time_unknown || ' of ' || timed
             || ' resolved tickets: MTTR includes their pauses'
    end as pause_note
from (select *, resolved_incidents - resolved_time_unknown as timed from by_priority)
order by priority
