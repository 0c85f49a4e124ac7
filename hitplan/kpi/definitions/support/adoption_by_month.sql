with kpi_rows as (
    select u.system_id, u.month, coalesce(s.system_category, 'unknown') as system_category,
        u.avg_daily_active_users, u.sessions
    from mart_usage_by_system_month u left join stg_systems s using (system_id)
    where u.month >= date_trunc('month', cast($start as date)) and u.month < $end
)
select month, system_category, sum(avg_daily_active_users) as avg_daily_active_users, sum(sessions) as sessions
from kpi_rows
group by all order by month, system_category
