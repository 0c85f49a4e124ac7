-- EHR systems are those of system category 'ehr'; how-to tickets are those of incident category 'how-to'.
-- Both sides cover the same systems and months: how-to tickets on the EHR systems whose users are the denominator
-- (tickets naming no system are counted apart), and a department whose EHR usage misses a month the usage feed
-- covers in the period gets no rate (the reason in `note`). EHR training is on time when completed by its due day.
with ehr as (select system_id from stg_systems where system_category = 'ehr'),
ehr_usage as (
    select * from mart_usage_by_department_system_month
    where system_id in (select system_id from ehr)
      and month >= date_trunc('month', cast($start as date)) and month < $end
),
feed as (select count(distinct month) as period_usage_months from ehr_usage),
users as (
    select department, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_ehr_users,
        count(distinct month) as usage_months
    from ehr_usage
    group by department
),
howto as (
    select department,
        count(*) filter (where system_id in (select system_id from ehr)) as howto_incidents,
        count(*) filter (where system_id is null) as howto_incidents_no_system
    from int_incidents
    where incident_category = 'how-to' and opened_at >= $start and opened_at < $end group by department
),
trained as (
    select department, count(*) as ehr_assignments,
        100.0 * count(*) filter (where completed_on <= due_on) / count(*) as ehr_on_time_pct,
        count(*) filter (where completed_on > due_on and completed_on < $end) as ehr_completed_late,
        count(*) filter (where completed_on is null or completed_on >= $end) as ehr_overdue
    from int_training where is_ehr_course and due_on >= $start and due_on < $end group by department
),
kpi_rows as (
    select users.department, coalesce(trained.ehr_assignments, 0) as ehr_assignments, trained.ehr_on_time_pct,
        coalesce(trained.ehr_completed_late, 0) as ehr_completed_late, coalesce(trained.ehr_overdue, 0) as ehr_overdue,
        coalesce(howto.howto_incidents, 0) as howto_incidents,
        coalesce(howto.howto_incidents_no_system, 0) as howto_incidents_no_system,
        users.avg_daily_active_ehr_users, users.usage_months, feed.period_usage_months,
        case when users.usage_months = feed.period_usage_months then
            100.0 * coalesce(howto.howto_incidents, 0) / nullif(users.avg_daily_active_ehr_users, 0)
        end as howto_per_100_active_users,
        case when users.usage_months < feed.period_usage_months then
            format('EHR usage in {} of the {} months the usage feed covers in the period', users.usage_months,
                   feed.period_usage_months)
        end as note
    from users cross join feed left join howto using (department) left join trained using (department)
)
select * from kpi_rows
order by howto_per_100_active_users desc nulls last, department
