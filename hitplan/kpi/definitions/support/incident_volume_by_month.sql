-- Events instead of a months x incidents inequality join: +1 when opened, -1 when done (int_incidents.done_at);
-- the backlog at a month's end is the running sum of events before it. A ticket done at an unknown time
-- (resolved, closed or canceled by its state, with no time) never enters the backlog: it is counted apart, in
-- the month it was opened (resolved_time_unknown). Done times known only as an upper bound (the last update)
-- are counted in the month of that update (resolved_by_last_update).
with months as (
    select cast(m as date) as month
    from unnest(generate_series(cast(date_trunc('month', cast($start as date)) as timestamp),
                                cast($end as timestamp) - interval 1 day, interval 1 month)) as t(m)
),
kpi_rows as (
    select incident_number, opened_at, done_at, done_basis,
        is_done and done_at is null as done_time_unknown
    from int_incidents where opened_at < $end
),
events as (
    select opened_at as event_at, 1 as opened, 0 as resolved, case when done_time_unknown then 0 else 1 end as delta,
        0 as by_last_update, case when done_time_unknown then 1 else 0 end as time_unknown
    from kpi_rows
    union all
    select done_at, 0, 1, -1, case when done_basis = 'last_update' then 1 else 0 end, 0
    from kpi_rows where done_at is not null and done_at < $end
),
bucketed as (
    select case when event_at < $start then null else cast(date_trunc('month', event_at) as date) end as month,
        sum(opened) as opened, sum(resolved) as resolved, sum(delta) as delta,
        sum(by_last_update) as by_last_update, sum(time_unknown) as time_unknown
    from events group by 1
)
select months.month, cast(coalesce(b.opened, 0) as bigint) as opened,
    cast(coalesce(b.resolved, 0) as bigint) as resolved,
    cast((select coalesce(sum(delta), 0) from bucketed where month is null)
      + sum(coalesce(b.delta, 0)) over (order by months.month) as bigint) as backlog_at_month_end,
    cast(coalesce(b.by_last_update, 0) as bigint) as resolved_by_last_update,
    cast(coalesce(b.time_unknown, 0) as bigint) as resolved_time_unknown
from months left join bucketed b on b.month = months.month
order by months.month
