with kpi_rows as (
    select covered_entity, entity_type, state, submitted_on, individuals_affected
    from stg_breaches where $state is null or state = $state
)
select entity_type, state, count(*) as breaches, sum(individuals_affected) as individuals_affected,
    max(individuals_affected) as largest_breach
from kpi_rows
group by all order by breaches desc, entity_type, state
