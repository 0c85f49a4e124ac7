-- grain: one row per disaster-recovery test of a system

with source as (

    select * from dr_tests

),

renamed as (

    select
        cast(test_id as varchar) as test_id,
        cast(system_id as varchar) as system_id,
        cast(test_date as date) as test_date,
        cast(test_type as varchar) as test_type,
        cast(rto_target_hours as double) as rto_target_hours,
        cast(rto_achieved_hours as double) as rto_achieved_hours,
        cast(rpo_target_hours as double) as rpo_target_hours,
        cast(rpo_achieved_hours as double) as rpo_achieved_hours,
        cast(passed as boolean) as passed,
        cast(notes as varchar) as notes,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
