with tested as (
    select distinct system_id from stg_dr_tests
    where test_date < $end and test_date >= cast($end as date) - to_months(cast($months as integer))
),
kpi_rows as (
    select s.system_id, s.criticality_tier, t.system_id is not null as tested
    from stg_systems s left join tested t using (system_id)
)
select coalesce(cast(criticality_tier as varchar), 'unassessed') as criticality_tier, count(*) as systems,
    count(*) filter (where tested) as tested_systems, 100.0 * count(*) filter (where tested) / count(*) as coverage_pct,
    coalesce(string_agg(system_id, ', ' order by system_id) filter (where not tested), '') as untested_system_ids
from kpi_rows
group by kpi_rows.criticality_tier order by kpi_rows.criticality_tier nulls last
