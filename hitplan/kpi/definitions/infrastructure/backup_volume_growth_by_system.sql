with kpi_rows as (
    select job_id, system_id, started_at, date_trunc('month', started_at) as month, size_gb, backup_status
    from stg_backups where started_at >= $start and started_at < $end and backup_status <> 'failed'
      and size_gb is not null and system_id is not null
),
m as (
    select system_id, month, avg(size_gb) as avg_gb from kpi_rows group by all
),
r as (
    select system_id, arg_min(avg_gb, month) as first_month_avg_gb, arg_max(avg_gb, month) as last_month_avg_gb
    from m group by system_id
)
select system_id, first_month_avg_gb, last_month_avg_gb,
    100.0 * (last_month_avg_gb / nullif(first_month_avg_gb, 0) - 1) as growth_pct
from r order by growth_pct desc nulls last, system_id
