-- grain: one row per department per system per calendar month with usage

with usage as (

    select * from stg_usage

),

final as (

    select
        department,
        system_id,
        cast(date_trunc('month', day) as date) as month,
        count(*) as usage_days,
        sum(active_users) as active_user_days,
        sum(sessions) as sessions
    from usage
    group by department, system_id, cast(date_trunc('month', day) as date)

)

select * from final
