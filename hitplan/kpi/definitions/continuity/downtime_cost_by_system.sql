with rates as (
    select unnest($cost_per_hour_usd, recursive := true)
),
kpi_rows as (
    select incident_number, system_id, system_name, criticality_tier, outage_minutes
    from int_incidents where opened_at >= $start and opened_at < $end and outage_minutes > 0
),
per_system as (
    select k.system_id, any_value(k.system_name) as system_name, any_value(k.criticality_tier) as criticality_tier,
        sum(k.outage_minutes) / 60.0 as outage_hours,
        -- a tier with no cost per hour in the settings is not priced (blank), not priced at 0
        cast(coalesce(any_value(r.cost_per_hour_usd),
                      (select any_value(cost_per_hour_usd) from rates where cast(tier as varchar) = 'unassessed')) as double)
            as cost_per_hour_usd
    from kpi_rows k left join rates r on cast(r.tier as varchar) = cast(k.criticality_tier as varchar)
    group by k.system_id
)
select *, outage_hours * cost_per_hour_usd as downtime_cost_usd
from per_system order by downtime_cost_usd desc, system_id
