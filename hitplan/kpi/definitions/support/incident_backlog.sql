with kpi_rows as (
    select incident_number, priority, opened_at, incident_state,
        opened_at < cast($end as timestamp) - interval 30 day as over_30_days
    from int_incidents
    where opened_at < $end
      and (coalesce(resolved_at, closed_at) is null or coalesce(resolved_at, closed_at) >= $end)
      and not (coalesce(resolved_at, closed_at) is null and incident_state = 'canceled')
)
select priority,
    count(*) as open_at_period_end,
    count(*) filter (where over_30_days) as open_over_30_days
from kpi_rows
group by priority order by priority nulls last
