-- grain: one row per candidate technology initiative

with source as (

    select * from initiatives

),

renamed as (

    select
        cast(initiative_id as varchar) as initiative_id,
        cast(name as varchar) as initiative_name,
        cast(area as varchar) as area,
        cast(description as varchar) as description,
        cast(target_systems as varchar) as target_systems,
        cast(capex as decimal(18,2)) as capex,
        cast(opex_per_year as decimal(18,2)) as opex_per_year,
        cast(savings_per_year as decimal(18,2)) as savings_per_year,
        cast(staff_hours as integer) as staff_hours,
        cast(duration_quarters as integer) as duration_quarters,
        cast(earliest_start as date) as earliest_start,
        cast(depends_on as varchar) as depends_on,
        cast(excludes as varchar) as excludes,
        cast(mandatory as boolean) as mandatory,
        cast(mandatory_reason as varchar) as mandatory_reason,
        cast(incident_reduction_pct as double) as incident_reduction_pct,
        cast(outage_reduction_pct as double) as outage_reduction_pct,
        cast(strategic_alignment as double) as strategic_alignment,
        cast(confidence as double) as confidence,
        cast(status as varchar) as initiative_status,
        cast(addresses as varchar) as addresses,
        cast(incident_reduction_low_pct as double) as incident_reduction_low_pct,
        cast(incident_reduction_high_pct as double) as incident_reduction_high_pct,
        cast(outage_reduction_low_pct as double) as outage_reduction_low_pct,
        cast(outage_reduction_high_pct as double) as outage_reduction_high_pct,
        cast(team_hours as varchar) as team_hours,
        cast(due_by as date) as due_by,
        cast(finished_on as date) as finished_on,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
