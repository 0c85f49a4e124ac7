-- grain: one row per breach of unsecured PHI affecting 500 or more individuals, as reported to HHS OCR

with source as (

    select * from breaches

),

renamed as (

    select
        cast(covered_entity as varchar) as covered_entity,
        cast(state as varchar) as state,
        cast(entity_type as varchar) as entity_type,
        cast(individuals_affected as bigint) as individuals_affected,
        cast(submitted_on as date) as submitted_on,
        cast(breach_type as varchar) as breach_type,
        cast(breached_location as varchar) as breached_location,
        cast(business_associate_present as boolean) as business_associate_present,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
