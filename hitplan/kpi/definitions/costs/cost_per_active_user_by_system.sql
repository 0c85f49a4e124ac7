with kpi_rows as (
    select entry_id, posting_date, month, system_id, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end and system_id is not null
),
c as (select system_id, sum(amount) as actual_usd from kpi_rows group by all),
u as (
    select system_id, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_users
    from mart_usage_by_system_month
    where month >= date_trunc('month', cast($start as date)) and month < $end
    group by all
)
select c.system_id, s.system_name, c.actual_usd, u.avg_daily_active_users,
    c.actual_usd / nullif(u.avg_daily_active_users, 0) as usd_per_active_user
from c join u using (system_id) left join stg_systems s using (system_id)
order by usd_per_active_user desc nulls last, c.system_id
