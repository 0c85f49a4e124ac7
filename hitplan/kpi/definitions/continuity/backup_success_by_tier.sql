with kpi_rows as (
    select system_id, started_at, backup_status, backup_status = 'failed' as failed
    from stg_backups where started_at >= $start and started_at < $end
),
b as (
    select system_id, count(*) as jobs, count(*) filter (where failed) as failed from kpi_rows group by system_id
)
select coalesce(cast(s.criticality_tier as varchar), 'unassessed') as criticality_tier,
    sum(b.jobs) as jobs, sum(b.failed) as failed_jobs, 100.0 * (1 - sum(b.failed) / sum(b.jobs)) as success_pct
from b left join stg_systems s using (system_id)
group by all order by criticality_tier
