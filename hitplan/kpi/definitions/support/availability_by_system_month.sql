-- ITIL 4 Availability Management: availability = (agreed service time - downtime) / agreed service time, here
-- every minute of the month (24 x 7) less the outage minutes of the system's incidents opened in it. A month is
-- measured only when the incidents export covers it (some ticket opened, resolved, closed or updated in it): a
-- month outside the export has no availability (blank, incidents_covered false), never 100 %.
with months as (
    select cast(m as date) as month,
           cast(greatest(m, $start) as date) as month_start,
           cast(least(m + interval 1 month, $end) as date) as month_end
    from unnest(generate_series(cast(date_trunc('month', cast($start as date)) as timestamp),
                                cast($end as timestamp) - interval 1 day, interval 1 month)) as t(m)
),
activity as (
    -- from the staging view: the times need no system or lifecycle, and int_incidents costs a join per read
    select opened_at as event_at from stg_incidents
    union all select resolved_at from stg_incidents
    union all select closed_at from stg_incidents
    union all select updated_at from stg_incidents
),
covered_months as (
    select distinct cast(date_trunc('month', event_at) as date) as month
    from activity where event_at >= $start and event_at < $end
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
    case when c.month is not null then coalesce(o.outage_minutes, 0) end as outage_minutes,
    (m.month_end - m.month_start) * 1440 as period_minutes,
    case when c.month is not null then
        greatest(0, 100.0 * (1 - coalesce(o.outage_minutes, 0) / ((m.month_end - m.month_start) * 1440.0))) end
        as availability_pct,
    $target_pct as target_pct,
    availability_pct < $target_pct as below_target,
    c.month is not null as incidents_covered
from stg_systems s cross join months m
left join covered_months c on c.month = m.month
left join outages o on o.system_id = s.system_id and o.month = m.month
order by s.system_id, m.month
