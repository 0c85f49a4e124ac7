with kpi_rows as (
    select covered_entity, state, entity_type, submitted_on, year(submitted_on) as breach_year, breach_type,
        individuals_affected
    from stg_breaches
)
select breach_year, count(*) as breaches,
    count(*) filter (where breach_type ilike 'hacking%') as hacking_it_breaches,
    100.0 * count(*) filter (where breach_type ilike 'hacking%') / count(*) as hacking_it_pct,
    sum(individuals_affected) as individuals_affected
from kpi_rows
group by breach_year order by breach_year
