with kpi_rows as (
    select framework, control_id, title, coalesce(safeguard, 'unknown') as safeguard,
        coalesce(requirement, 'unknown') as requirement, control_status
    from stg_controls where framework = 'HIPAA Security Rule'
)
select safeguard, requirement, count(*) as controls,
    count(*) filter (where control_status = 'implemented') as implemented,
    count(*) filter (where control_status = 'partial') as partial,
    count(*) filter (where control_status = 'not_implemented') as not_implemented,
    count(*) filter (where control_status = 'not_applicable') as not_applicable,
    100.0 * count(*) filter (where control_status = 'implemented')
        / nullif(count(*) - count(*) filter (where control_status = 'not_applicable'), 0) as implemented_pct
from kpi_rows
group by all order by safeguard, requirement desc
