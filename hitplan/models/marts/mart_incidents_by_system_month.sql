-- grain: one row per system per calendar month in which the system had at least one incident opened

with incidents as (

    select * from int_incidents

),

final as (

    select
        system_id,
        opened_month as month,
        count(*) as incidents,
        count(*) filter (where priority = 1) as p1_incidents,
        count(*) filter (where priority = 2) as p2_incidents,
        count(*) filter (where is_security) as security_incidents,
        sum(outage_minutes) as outage_minutes
    from incidents
    group by system_id, opened_month

)

select * from final
