-- Open at the period end: opened before it and not done by it (int_incidents.done_at). A ticket done at an
-- unknown time (resolved, closed or canceled by its state, with no time to say when) is never backlog.
with kpi_rows as (
    select incident_number, priority, opened_at, incident_state, lifecycle,
        opened_at < cast($end as timestamp) - interval 30 day as over_30_days
    from int_incidents
    where opened_at < $end
      and (done_at >= $end or (done_at is null and not is_done))
)
select priority,
    count(*) as open_at_period_end,
    count(*) filter (where over_30_days) as open_over_30_days
from kpi_rows
group by priority order by priority nulls last
