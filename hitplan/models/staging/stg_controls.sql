-- grain: one row per control of a framework (e.g. one HIPAA Security Rule implementation specification)

with source as (

    select * from controls

),

renamed as (

    select
        cast(framework as varchar) as framework,
        cast(control_id as varchar) as control_id,
        cast(title as varchar) as title,
        cast(safeguard as varchar) as safeguard,
        cast(requirement as varchar) as requirement,
        cast(status as varchar) as control_status,
        cast(last_evidence_on as date) as last_evidence_on,
        cast(owner as varchar) as owner,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
