-- grain: one row per incident ticket (its latest state)

with source as (

    select * from incidents

),

renamed as (

    select
        cast(number as varchar) as incident_number,
        cast(system_id as varchar) as system_id,
        cast(opened_at as timestamp) as opened_at,
        cast(acknowledged_at as timestamp) as acknowledged_at,
        cast(resolved_at as timestamp) as resolved_at,
        cast(closed_at as timestamp) as closed_at,
        cast(priority as integer) as priority,
        cast(impact as integer) as impact,
        cast(urgency as integer) as urgency,
        cast(state as varchar) as incident_state,
        cast(category as varchar) as incident_category,
        cast(assignment_group as varchar) as assignment_group,
        cast(short_description as varchar) as short_description,
        cast(caller as varchar) as caller,
        cast(department as varchar) as department,
        cast(is_security as boolean) as is_security,
        cast(outage_minutes as double) as outage_minutes,
        cast(users_affected as integer) as users_affected,
        cast(reopen_count as integer) as reopen_count,
        cast(updated_at as timestamp) as updated_at,
        cast(calendar_duration_hours as double) as calendar_duration_hours,
        cast(business_duration_hours as double) as business_duration_hours,
        cast(time_worked_hours as double) as time_worked_hours,
        cast(reassignment_count as integer) as reassignment_count,
        cast(made_sla as boolean) as made_sla,
        cast(on_hold_hours as double) as on_hold_hours,
        cast(vendor_engaged_at as timestamp) as vendor_engaged_at,
        cast(vendor_responded_at as timestamp) as vendor_responded_at,
        cast(breach_discovered_at as timestamp) as breach_discovered_at,
        cast(individuals_notified_at as timestamp) as individuals_notified_at,
        cast(hhs_notified_at as timestamp) as hhs_notified_at,
        cast(individuals_affected as bigint) as individuals_affected,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
