-- The age bands (0-3, 3-6, 6-10, 10+ years) are fixed: a figure of the KPI's definition, not a setting.
with inc as (
    select system_id, count(*) as incidents from int_incidents
    where opened_at >= $start and opened_at < $end group by all
),
kpi_rows as (
    select a.system_id, a.age_years,
        case when a.age_years < 3 then '0-3 years' when a.age_years < 6 then '3-6 years'
             when a.age_years < 10 then '6-10 years' else '10+ years' end as age_band,
        inc.incidents
    from (
        select system_id, datediff('day', go_live, cast($end as date)) / 365.25 as age_years
        from stg_systems where go_live is not null and go_live < $end
    ) a
    left join inc using (system_id)
)
select age_band, count(*) as systems, coalesce(sum(incidents), 0) as incidents,
    coalesce(sum(incidents), 0) / count(*) as incidents_per_system
from kpi_rows
group by age_band order by min(age_years)
