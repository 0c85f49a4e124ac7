with kpi_rows as (
    select incident_number, reopen_count, reopen_count > 0 as reopened
    from int_incidents
    where opened_at >= $start and opened_at < $end and coalesce(resolved_at, closed_at) is not null
)
select count(*) as resolved_incidents,
    count(*) filter (where reopened) as reopened_incidents,
    100.0 * count(*) filter (where reopened) / nullif(count(*), 0) as reopen_rate_pct
from kpi_rows
having count(*) > 0
