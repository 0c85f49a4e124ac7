with kpi_rows as (
    select person, course, role, coalesce(department, 'unknown') as "department", system_id, due_on, completed_on,
        completed_on < $end as completed_by_period_end,
        completed_on is null or completed_on >= $end as overdue_at_period_end
    from int_training where due_on >= $start and due_on < $end
)
select "department", count(*) as assignments,
    count(*) filter (where completed_by_period_end) as completed,
    count(*) filter (where overdue_at_period_end) as overdue,
    100.0 * completed / count(*) as completion_pct, 100.0 * overdue / count(*) as overdue_pct
from kpi_rows
group by "department" order by completion_pct, "department"
