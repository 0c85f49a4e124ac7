-- EHR systems are those of system category 'ehr'; how-to tickets are those of incident category 'how-to'.
with ehr as (select system_id from stg_systems where system_category = 'ehr'),
users as (
    select department, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_ehr_users
    from mart_usage_by_department_system_month
    where system_id in (select system_id from ehr)
      and month >= date_trunc('month', cast($start as date)) and month < $end
    group by department
),
howto as (
    select department, count(*) as howto_incidents from int_incidents
    where incident_category = 'how-to' and opened_at >= $start and opened_at < $end group by department
),
trained as (
    select department, count(*) as ehr_assignments,
        100.0 * count(*) filter (where completed_on < $end) / count(*) as ehr_completion_pct
    from int_training where is_ehr_course and due_on >= $start and due_on < $end group by department
),
kpi_rows as (
    select users.department, coalesce(trained.ehr_assignments, 0) as ehr_assignments, trained.ehr_completion_pct,
        coalesce(howto.howto_incidents, 0) as howto_incidents, users.avg_daily_active_ehr_users,
        100.0 * coalesce(howto.howto_incidents, 0) / nullif(users.avg_daily_active_ehr_users, 0)
            as howto_per_100_active_users
    from users left join howto using (department) left join trained using (department)
)
select * from kpi_rows
order by howto_per_100_active_users desc nulls last, department
