-- grain: one row per name by which an export refers to a system

with source as (

    select * from system_aliases

),

renamed as (

    select
        cast(alias as varchar) as alias,
        cast(system_id as varchar) as system_id,
        cast(kind as varchar) as alias_kind,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
