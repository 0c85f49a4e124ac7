-- grain: one row per system per calendar month with usage

with usage_days as (

    -- one row per system per day: users summed over departments (departments do not share users)
    select
        system_id,
        day,
        sum(active_users) as active_users,
        sum(sessions) as sessions,
        sum(transactions) as transactions
    from stg_usage
    group by system_id, day

),

final as (

    select
        system_id,
        cast(date_trunc('month', day) as date) as month,
        count(*) as usage_days,
        sum(active_users) as active_user_days,
        avg(active_users) as avg_daily_active_users,
        max(active_users) as peak_daily_active_users,
        sum(sessions) as sessions,
        sum(transactions) as transactions
    from usage_days
    group by system_id, cast(date_trunc('month', day) as date)

)

select * from final
