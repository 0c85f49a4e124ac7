-- grain: one row per day per system per department

with source as (

    select * from usage

),

renamed as (

    select
        cast(day as date) as day,
        cast(system_id as varchar) as system_id,
        cast(department as varchar) as department,
        cast(active_users as integer) as active_users,
        cast(sessions as integer) as sessions,
        cast(transactions as integer) as transactions,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
