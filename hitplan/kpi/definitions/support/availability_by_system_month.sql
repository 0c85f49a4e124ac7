with months as (
    select cast(m as date) as month,
           cast(greatest(m, $start) as date) as month_start,
           cast(least(m + interval 1 month, $end) as date) as month_end
    from unnest(generate_series(cast(date_trunc('month', cast($start as date)) as timestamp),
                                cast($end as timestamp) - interval 1 day, interval 1 month)) as t(m)
),
kpi_rows as (
    select incident_number, system_id, cast(date_trunc('month', opened_at) as date) as month, outage_minutes
    from int_incidents
    where opened_at >= $start and opened_at < $end and system_id is not null and outage_minutes > 0
),
outages as (
    select system_id, month, sum(outage_minutes) as outage_minutes from kpi_rows group by all
)
select s.system_id, s.system_name, s.criticality_tier, m.month,
    coalesce(o.outage_minutes, 0) as outage_minutes,
    (m.month_end - m.month_start) * 1440 as period_minutes,
    greatest(0, 100.0 * (1 - coalesce(o.outage_minutes, 0) / ((m.month_end - m.month_start) * 1440.0))) as availability_pct,
    $target_pct as target_pct,
    availability_pct < $target_pct as below_target
from stg_systems s cross join months m
left join outages o on o.system_id = s.system_id and o.month = m.month
order by s.system_id, m.month
