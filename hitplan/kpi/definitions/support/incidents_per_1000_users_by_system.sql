-- HDI's incidents (tickets) per user, with both sides over one population: the users are the system's average daily
-- active users in the departments its usage rows cover; the tickets are the system's tickets raised by those same
-- departments (matched case- and space-insensitively). Tickets from other departments, or naming no department,
-- are counted apart. Where the departments with usage raise under $min_share_pct % of the system's tickets, the
-- two sides cover different populations: the row is not comparable (no rate, the reason given), never a huge ratio.
with usage_rows as (
    select system_id, day, lower(trim(department)) as department, active_users
    from stg_usage where day >= cast($start as date) and day < cast($end as date)
),
users as (
    select system_id, sum(active_users) / nullif(count(distinct day), 0) as avg_daily_active_users,
        count(distinct department) as usage_departments
    from usage_rows group by system_id
),
usage_departments as (
    select distinct system_id, department from usage_rows
),
kpi_rows as (
    select i.incident_number, i.system_id, i.department,
        case when nullif(trim(i.department), '') is null then 'no department'
             when d.department is not null then 'usage department'
             else 'other department' end as population
    from int_incidents i
    left join usage_departments d on d.system_id = i.system_id and d.department = lower(trim(i.department))
    where i.opened_at >= $start and i.opened_at < $end and i.system_id in (select system_id from users)
),
inc as (
    select system_id, count(*) as system_incidents,
        count(*) filter (where population = 'usage department') as incidents,
        count(*) filter (where population = 'other department') as incidents_other_departments,
        count(*) filter (where population = 'no department') as incidents_no_department
    from kpi_rows group by system_id
),
final as (
    select users.system_id, s.system_name, coalesce(inc.incidents, 0) as incidents, users.avg_daily_active_users,
        users.usage_departments, coalesce(inc.system_incidents, 0) as system_incidents,
        coalesce(inc.incidents_other_departments, 0) as incidents_other_departments,
        coalesce(inc.incidents_no_department, 0) as incidents_no_department,
        100.0 * inc.incidents / nullif(inc.system_incidents, 0) as population_share_pct,
        coalesce(inc.system_incidents, 0) = 0 or population_share_pct >= $min_share_pct as comparable
    from users left join inc using (system_id) left join stg_systems s using (system_id)
)
select system_id, system_name, incidents, avg_daily_active_users,
    case when comparable then 1000.0 * incidents / nullif(avg_daily_active_users, 0) end
        as incidents_per_1000_active_users,
    usage_departments, system_incidents, incidents_other_departments, incidents_no_department, population_share_pct,
    comparable,
    case when not comparable then
        printf('the %d %s with usage %s %.1f %% of its %d tickets (%d from other departments, %d with no '
               || 'department), under %g %%: tickets and users cover different populations', usage_departments,
               case when usage_departments = 1 then 'department' else 'departments' end,
               case when usage_departments = 1 then 'raises' else 'raise' end, population_share_pct,
               system_incidents, incidents_other_departments, incidents_no_department, cast($min_share_pct as double))
    end as reason
from final
order by incidents_per_1000_active_users desc nulls last, system_id
