-- a proxy: security incidents, opened_at as discovery and closed_at as notification (the store has no breach dates)
with kpi_rows as (
    select incident_number, system_id, opened_at, closed_at, close_days,
        closed_at is null and cast($end as date) - cast(opened_at as date) > cast($limit_days as integer) as still_open_past_limit
    from int_incidents where is_security and opened_at >= $start and opened_at < $end
)
select count(*) as security_incidents, count(closed_at) as closed,
    count(*) filter (where close_days <= cast($limit_days as integer)) as within_limit,
    count(*) filter (where close_days > cast($limit_days as integer)) as over_limit,
    count(*) filter (where still_open_past_limit) as still_open_past_limit,
    max(close_days) as max_days_to_close, cast($limit_days as integer) as limit_days
from kpi_rows
having count(*) > 0
