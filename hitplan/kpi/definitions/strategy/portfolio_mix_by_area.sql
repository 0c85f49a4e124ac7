with kpi_rows as (
    select initiative_id, area, initiative_status, cast(capex as double) as capex,
        cast(opex_per_year as double) as opex_per_year, cast(savings_per_year as double) as savings_per_year
    from stg_initiatives where coalesce(initiative_status, 'proposed') not in ('rejected', 'done')
)
select area, count(*) as initiatives, sum(capex) as capex_usd, sum(opex_per_year) as opex_per_year_usd,
    sum(savings_per_year) as savings_per_year_usd
from kpi_rows
group by area order by capex_usd desc nulls last, area
