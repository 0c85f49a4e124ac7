-- A system should be in the backup feed when it holds data: it holds ePHI (HIPAA 164.308(a)(7)(ii)(A), the data
-- backup plan: retrievable exact copies of ePHI) or it has a recovery point objective (an RPO is a promise about
-- data). Not SaaS: the vendor backs it up, outside this feed (shown apart). Not network or end-user gear: they keep
-- configuration archives, not data backups. Not a medical-device network: its devices keep no data of record (the
-- clinical system they feed, backed up itself, does; device images are Clinical Engineering's). A system with backup jobs in the period belongs to the population
-- whatever the inventory says. Job success and the systems backed up are both over that population, per tier; a
-- system that should be backed up with no job, or only failed jobs, in the period is a gap, not left out.
with jobs as (
    select system_id, count(*) as jobs, count(*) filter (where backup_status = 'failed') as failed_jobs
    from stg_backups where started_at >= $start and started_at < $end
    group by system_id
),
systems as (
    select system_id, criticality_tier,
        coalesce(hosting, '') <> 'saas' and coalesce(system_category, '') not in ('network', 'end_user')
            and coalesce(kind, '') <> 'medical_device_network'
            and (holds_phi or rpo_hours is not null) as should_back_up,
        coalesce(hosting, '') = 'saas' and (holds_phi or rpo_hours is not null) as by_vendor,
        coalesce(hosting, '') <> 'saas' and coalesce(system_category, '') not in ('network', 'end_user')
            and coalesce(kind, '') <> 'medical_device_network'
            and holds_phi is null and rpo_hours is null as need_unknown
    from stg_systems
),
kpi_rows as (
    select coalesce(s.system_id, j.system_id) as system_id, s.criticality_tier,
        coalesce(j.jobs, 0) as jobs, coalesce(j.failed_jobs, 0) as failed_jobs,
        case when j.jobs > j.failed_jobs then 'backed up'
             when j.jobs > 0 then 'only failed jobs'
             when s.should_back_up then 'no job'
             when s.by_vendor then 'by the SaaS vendor'
             else 'need unknown' end as backup
    from systems s full join jobs j on j.system_id = s.system_id
    where j.jobs > 0 or s.should_back_up or s.by_vendor or s.need_unknown
)
select coalesce(cast(criticality_tier as varchar), 'unassessed') as criticality_tier,
    count(*) filter (where backup in ('backed up', 'only failed jobs', 'no job')) as systems,
    count(*) filter (where backup = 'backed up') as backed_up_systems,
    count(*) filter (where backup = 'only failed jobs') as only_failed_systems,
    count(*) filter (where backup = 'no job') as no_job_systems,
    100.0 * count(*) filter (where backup = 'backed up')
        / nullif(count(*) filter (where backup in ('backed up', 'only failed jobs', 'no job')), 0) as backed_up_pct,
    cast(sum(jobs) as bigint) as jobs, cast(sum(failed_jobs) as bigint) as failed_jobs,
    100.0 * (1 - sum(failed_jobs) / nullif(sum(jobs), 0)) as success_pct,
    count(*) filter (where backup = 'by the SaaS vendor') as vendor_backed_up_systems,
    count(*) filter (where backup = 'need unknown') as need_unknown_systems,
    coalesce(string_agg(system_id, ', ' order by system_id) filter (where backup = 'no job'), '') as no_job_system_ids,
    coalesce(string_agg(system_id, ', ' order by system_id) filter (where backup = 'only failed jobs'), '')
        as only_failed_system_ids
from kpi_rows
group by kpi_rows.criticality_tier order by kpi_rows.criticality_tier nulls last
