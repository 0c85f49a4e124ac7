-- grain: one row per incident ticket, with its system's tier and vendor, its lifecycle and its elapsed times
--
-- The lifecycle holds without timestamps. A plain list-view export often has no resolved or closed time, only
-- the state (and sometimes the last update and the durations the tool computed); a CIO expects a ticket the tool
-- calls resolved, closed or canceled never to count as open backlog, and every resolution time to say how it is
-- known. So:
-- - lifecycle (open, on_hold, resolved, closed, canceled): canceled when the state says so; closed when closed_at
--   is there or the state says closed; resolved when resolved_at is there or the state says resolved; on_hold
--   from the state; open otherwise (new, in progress, or no state). A resolved or closed time wins over a state
--   that says the ticket is still being worked (the time is what happened; a later state is a reopen).
-- - done_at, when it stopped being backlog: resolved_at, else closed_at, else (a done ticket only) opened_at plus
--   the tool's calendar duration, else its last update (an upper bound: the ticket was done by then), else
--   NULL: done at some unknown time. done_basis says which. Such a ticket is never backlog at the data's end;
--   month by month it is left out of the backlog (incident_volume_by_month counts it apart).
-- - resolve_hours with resolution_basis, in this order of preference (only for a resolved or closed ticket):
--   'timestamps'         resolved_at (else closed_at) minus opened_at: the elapsed time, exact;
--   'calendar_duration'  the tool's open-to-resolution elapsed time (ServiceNow calendar_duration): exact;
--   'business_duration'  the time inside the tool's business schedule (ServiceNow business_duration, Jira's SLA
--                        "Time to resolution", which runs on the SLA calendar and pauses): nights, weekends and
--                        paused time are left out, so it is a LOWER bound of the elapsed time;
--   'time_worked'        the time agents logged on it (ServiceNow time_worked, Jira Time Spent): a LOWER bound;
--   'last_update'        the last update minus opened_at: an UPPER bound (the ticket was done by its last update);
--   NULL                 nothing tells how long it took.
--   An SLA check reads the bound: an exact time is met or missed; a lower bound above the target proves a miss;
--   an upper bound within the target proves it met; anything else is not measurable for that ticket.

with incidents as (

    select * from stg_incidents

),

systems as (

    select * from stg_systems

),

system_keys as (

    select * from int_system_keys

),

group_keys as (

    select lower(alias) as lookup_key, system_id from stg_system_aliases where alias_kind = 'assignment_group'

),

hospital as (

    -- the hospital's IANA zone turns naive local timestamps into instants, so a duration spanning a
    -- DST change counts the real elapsed time (a ticket acknowledged across the spring-forward hour is
    -- not an hour slower); without a hospital row, durations are plain wall-clock differences
    select max(time_zone) as time_zone from stg_hospital

),

joined as (

    select
        -- an export names the system by id, inventory name or alias (a ServiceNow CI name); unknown names stay
        -- with no system named, a team that serves one system (an assignment_group alias) tells which
        incidents.* replace (coalesce(system_keys.system_id, by_group.system_id, incidents.system_id) as system_id),
        systems.system_name,
        systems.system_category,
        systems.kind as system_kind,
        systems.criticality_tier,
        systems.vendor_id,
        coalesce(systems.holds_phi, false) as system_holds_phi,
        hospital.time_zone
    from incidents
    left join system_keys on lower(incidents.system_id) = system_keys.lookup_key
    left join group_keys by_group on incidents.system_id is null and lower(incidents.assignment_group) = by_group.lookup_key
    left join systems on coalesce(system_keys.system_id, by_group.system_id, incidents.system_id) = systems.system_id
    cross join hospital

),

lifecycle as (

    select
        joined.*,
        case
            when incident_state = 'canceled' then 'canceled'
            when closed_at is not null or incident_state = 'closed' then 'closed'
            when resolved_at is not null or incident_state = 'resolved' then 'resolved'
            when incident_state = 'on_hold' then 'on_hold'
            else 'open'
        end as lifecycle
    from joined

),

elapsed as (

    select
        lifecycle.*,
        lifecycle in ('resolved', 'closed', 'canceled') as is_done,
        case when time_zone is null then (epoch(coalesce(resolved_at, closed_at)) - epoch(opened_at)) / 3600.0
             else (epoch(timezone(time_zone, coalesce(resolved_at, closed_at))) - epoch(timezone(time_zone, opened_at))) / 3600.0
        end as timestamps_hours,
        case when time_zone is null then (epoch(updated_at) - epoch(opened_at)) / 3600.0
             else (epoch(timezone(time_zone, updated_at)) - epoch(timezone(time_zone, opened_at))) / 3600.0
        end as last_update_hours
    from lifecycle

),

final as (

    select
        incident_number,
        system_id,
        system_name,
        system_category,
        system_kind,
        criticality_tier,
        vendor_id,
        system_holds_phi,
        opened_at,
        acknowledged_at,
        resolved_at,
        closed_at,
        cast(date_trunc('month', opened_at) as date) as opened_month,
        priority,
        incident_state,
        incident_category,
        assignment_group,
        department,
        coalesce(is_security, false) as is_security,
        coalesce(outage_minutes, 0) as outage_minutes,
        users_affected,
        coalesce(reopen_count, 0) as reopen_count,
        case when time_zone is null then (epoch(acknowledged_at) - epoch(opened_at)) / 60.0
             else (epoch(timezone(time_zone, acknowledged_at)) - epoch(timezone(time_zone, opened_at))) / 60.0
        end as ack_minutes,
        lifecycle,
        is_done,
        updated_at,
        calendar_duration_hours,
        business_duration_hours,
        time_worked_hours,
        case
            when coalesce(resolved_at, closed_at) is not null then coalesce(resolved_at, closed_at)
            when not is_done then null
            when calendar_duration_hours is not null
                then opened_at + to_microseconds(cast(round(calendar_duration_hours * 3600e6) as bigint))
            when updated_at >= opened_at then updated_at
        end as done_at,
        case
            when coalesce(resolved_at, closed_at) is not null then 'timestamps'
            when not is_done then null
            when calendar_duration_hours is not null then 'calendar_duration'
            when updated_at >= opened_at then 'last_update'
        end as done_basis,
        case
            when lifecycle not in ('resolved', 'closed') then null
            when coalesce(resolved_at, closed_at) is not null then timestamps_hours
            when calendar_duration_hours is not null then calendar_duration_hours
            when business_duration_hours is not null then business_duration_hours
            when time_worked_hours is not null then time_worked_hours
            when updated_at >= opened_at then last_update_hours
        end as resolve_hours,
        case
            when lifecycle not in ('resolved', 'closed') then null
            when coalesce(resolved_at, closed_at) is not null then 'timestamps'
            when calendar_duration_hours is not null then 'calendar_duration'
            when business_duration_hours is not null then 'business_duration'
            when time_worked_hours is not null then 'time_worked'
            when updated_at >= opened_at then 'last_update'
        end as resolution_basis,
        case when time_zone is null then (epoch(closed_at) - epoch(opened_at)) / 86400.0
             else (epoch(timezone(time_zone, closed_at)) - epoch(timezone(time_zone, opened_at))) / 86400.0
        end as close_days,
        reassignment_count,
        made_sla,
        on_hold_hours,
        -- the vendor's own response clock (not the desk's acknowledgement), in the hospital's wall-clock minutes
        vendor_engaged_at,
        vendor_responded_at,
        case when time_zone is null then (epoch(vendor_responded_at) - epoch(vendor_engaged_at)) / 60.0
             else (epoch(timezone(time_zone, vendor_responded_at)) - epoch(timezone(time_zone, vendor_engaged_at))) / 60.0
        end as vendor_response_minutes,
        breach_discovered_at,
        individuals_notified_at,
        hhs_notified_at,
        individuals_affected
    from elapsed

)

select * from final
