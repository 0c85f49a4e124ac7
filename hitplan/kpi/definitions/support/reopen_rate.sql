-- Resolved: a resolved or closed time, or a state that says resolved or closed (int_incidents.lifecycle).
with kpi_rows as (
    select incident_number, reopen_count, reopen_count > 0 as reopened,
        coalesce(resolved_at, closed_at) is null as by_state_only
    from int_incidents
    where opened_at >= $start and opened_at < $end
      and (coalesce(resolved_at, closed_at) is not null or lifecycle in ('resolved', 'closed'))
)
select count(*) as resolved_incidents,
    count(*) filter (where reopened) as reopened_incidents,
    100.0 * count(*) filter (where reopened) / nullif(count(*), 0) as reopen_rate_pct,
    count(*) filter (where by_state_only) as resolved_by_state_only
from kpi_rows
having count(*) > 0
