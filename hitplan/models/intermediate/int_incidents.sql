-- grain: one row per incident ticket, with its system's tier and vendor and its elapsed times

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
        case when time_zone is null then (epoch(resolved_at) - epoch(opened_at)) / 3600.0
             else (epoch(timezone(time_zone, resolved_at)) - epoch(timezone(time_zone, opened_at))) / 3600.0
        end as resolve_hours,
        case when time_zone is null then (epoch(closed_at) - epoch(opened_at)) / 86400.0
             else (epoch(timezone(time_zone, closed_at)) - epoch(timezone(time_zone, opened_at))) / 86400.0
        end as close_days
    from joined

)

select * from final
