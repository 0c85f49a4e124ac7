with kpi_rows as (
    select initiative_id, coalesce(initiative_status, 'unknown') as initiative_status,
        cast(capex as double) as capex, cast(opex_per_year as double) as opex_per_year, mandatory
    from stg_initiatives
)
select initiative_status, count(*) as initiatives, sum(capex) as capex_usd, sum(opex_per_year) as opex_per_year_usd,
    count(*) filter (where mandatory) as mandatory
from kpi_rows group by initiative_status
order by list_position(['proposed', 'approved', 'in_progress', 'done', 'rejected', 'unknown'], initiative_status)
