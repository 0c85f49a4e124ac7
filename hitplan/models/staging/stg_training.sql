-- grain: one row per course assignment to a person

with source as (

    select * from training

),

renamed as (

    select
        cast(person as varchar) as person,
        cast(role as varchar) as role,
        cast(department as varchar) as department,
        cast(course as varchar) as course,
        cast(system_id as varchar) as system_id,
        cast(assigned_on as date) as assigned_on,
        cast(due_on as date) as due_on,
        cast(completed_on as date) as completed_on,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
