with kpi_rows as (
    select system_id, month, avg_daily_active_users from mart_usage_by_system_month
    where month >= date_trunc('month', cast($start as date)) and month < $end
),
ends as (
    select system_id, min(month) as first_month, max(month) as last_month from kpi_rows group by all
)
select e.system_id, s.system_name, e.first_month, e.last_month,
    f.avg_daily_active_users as first_avg_daily_active_users,
    l.avg_daily_active_users as last_avg_daily_active_users,
    100.0 * (l.avg_daily_active_users / nullif(f.avg_daily_active_users, 0) - 1) as growth_pct
from ends e
join kpi_rows f on f.system_id = e.system_id and f.month = e.first_month
join kpi_rows l on l.system_id = e.system_id and l.month = e.last_month
left join stg_systems s on s.system_id = e.system_id
order by growth_pct desc nulls last, e.system_id
