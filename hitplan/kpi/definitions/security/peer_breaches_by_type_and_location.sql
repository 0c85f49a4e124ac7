-- the report's latest `years` years; a breach listing several locations counts once in each (the mart splits them)
with kpi_rows as (
    select breach_year, breach_type, breached_location, entity_type, breaches, individuals_affected
    from mart_peer_breaches_by_year
    where breach_year > (select max(breach_year) from mart_peer_breaches_by_year) - cast($years as integer)
)
select breach_type, breached_location, sum(breaches) as breaches, sum(individuals_affected) as individuals_affected,
    100.0 * sum(breaches) / (select sum(breaches) from kpi_rows) as share_pct
from kpi_rows group by all order by breaches desc, breach_type, breached_location
