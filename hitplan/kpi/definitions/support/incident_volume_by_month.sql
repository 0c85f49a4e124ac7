-- Events instead of a months x incidents inequality join: +1 when opened, -1 when done (a canceled ticket never
-- done is never backlog); the backlog at a month's end is the running sum of events before it.
with months as (
    select cast(m as date) as month
    from unnest(generate_series(cast(date_trunc('month', cast($start as date)) as timestamp),
                                cast($end as timestamp) - interval 1 day, interval 1 month)) as t(m)
),
kpi_rows as (
    select incident_number, opened_at, coalesce(resolved_at, closed_at) as done_at,
        coalesce(resolved_at, closed_at) is null and incident_state = 'canceled' as dead
    from int_incidents where opened_at < $end
),
events as (
    select opened_at as event_at, 1 as opened, 0 as resolved, case when dead then 0 else 1 end as delta from kpi_rows
    union all
    select done_at, 0, 1, -1 from kpi_rows where done_at is not null and done_at < $end
),
bucketed as (
    select case when event_at < $start then null else cast(date_trunc('month', event_at) as date) end as month,
        sum(opened) as opened, sum(resolved) as resolved, sum(delta) as delta
    from events group by 1
)
select months.month, cast(coalesce(b.opened, 0) as bigint) as opened,
    cast(coalesce(b.resolved, 0) as bigint) as resolved,
    cast((select coalesce(sum(delta), 0) from bucketed where month is null)
      + sum(coalesce(b.delta, 0)) over (order by months.month) as bigint) as backlog_at_month_end
from months left join bucketed b on b.month = months.month
order by months.month
