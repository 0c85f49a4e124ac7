-- On time: completed on or before the due day. Late: completed after it, by the period end. Overdue: not completed
-- by the period end (every assignment counted fell due in the period, so it is past due then). An assignment with
-- no due day, assigned in the period, is counted apart (no_due_date): it is neither on time nor late.
with assigned as (
    select person, course, role, coalesce(department, 'unknown') as "department", system_id, assigned_on, due_on, completed_on
    from int_training
    where (due_on >= $start and due_on < $end) or (due_on is null and assigned_on >= $start and assigned_on < $end)
),
kpi_rows as (
    select *,
        case when due_on is null then 'no due date'
             when completed_on <= due_on then 'on time'
             when completed_on < $end then 'late'
             else 'overdue' end as status_at_period_end
    from assigned
)
select "department", count(*) filter (where due_on is not null) as assignments,
    count(*) filter (where status_at_period_end = 'on time') as on_time,
    count(*) filter (where status_at_period_end = 'late') as late,
    count(*) filter (where status_at_period_end = 'overdue') as overdue,
    100.0 * on_time / nullif(assignments, 0) as on_time_pct, 100.0 * late / nullif(assignments, 0) as late_pct,
    100.0 * overdue / nullif(assignments, 0) as overdue_pct,
    count(*) filter (where status_at_period_end = 'no due date') as no_due_date
from kpi_rows
group by "department" order by on_time_pct nulls last, "department"
