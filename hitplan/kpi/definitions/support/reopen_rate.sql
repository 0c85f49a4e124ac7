-- HDI's reopen rate: of the tickets resolved, the share reopened. Resolved: lifecycle resolved or closed
-- (int_incidents.lifecycle: from a resolved or closed time, else from the state). A canceled ticket was never
-- resolved, even when the tool stamped a closed time on it: it is in neither side of the ratio.
with kpi_rows as (
    select incident_number, reopen_count, reopen_count > 0 as reopened,
        coalesce(resolved_at, closed_at) is null as by_state_only
    from int_incidents
    where opened_at >= $start and opened_at < $end
      and lifecycle in ('resolved', 'closed')
)
select count(*) as resolved_incidents,
    count(*) filter (where reopened) as reopened_incidents,
    100.0 * count(*) filter (where reopened) / nullif(count(*), 0) as reopen_rate_pct,
    count(*) filter (where by_state_only) as resolved_by_state_only
from kpi_rows
having count(*) > 0
