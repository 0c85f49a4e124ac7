with users as (
    select system_id, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_users
    from mart_usage_by_system_month where month >= date_trunc('month', cast($start as date)) and month < $end
    group by system_id
),
kpi_rows as (
    select incident_number, system_id from int_incidents
    where opened_at >= $start and opened_at < $end and system_id in (select system_id from users)
),
inc as (
    select system_id, count(*) as incidents from kpi_rows group by system_id
)
select users.system_id, s.system_name, coalesce(inc.incidents, 0) as incidents,
    users.avg_daily_active_users,
    1000.0 * coalesce(inc.incidents, 0) / nullif(users.avg_daily_active_users, 0) as incidents_per_1000_active_users
from users left join inc using (system_id) left join stg_systems s using (system_id)
order by incidents_per_1000_active_users desc nulls last, users.system_id
