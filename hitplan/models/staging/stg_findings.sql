-- grain: one row per audit or assessment finding

with source as (

    select * from findings

),

renamed as (

    select
        cast(finding_id as varchar) as finding_id,
        cast(source as varchar) as finding_source,
        cast(framework as varchar) as framework,
        cast(control_id as varchar) as control_id,
        cast(title as varchar) as title,
        cast(severity as varchar) as finding_severity,
        cast(opened_on as date) as opened_on,
        cast(due_on as date) as due_on,
        cast(closed_on as date) as closed_on,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
