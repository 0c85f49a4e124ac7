with kpi_rows as (
    select entry_id, posting_date, month, system_id, capex_opex, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end and system_id is not null
)
select c.system_id, any_value(s.system_name) as system_name,
    coalesce(sum(c.amount) filter (where c.capex_opex = 'capex'), 0) as capex_usd,
    coalesce(sum(c.amount) filter (where coalesce(c.capex_opex, 'opex') = 'opex'), 0) as opex_usd,
    sum(c.amount) as tco_usd
from kpi_rows c left join stg_systems s using (system_id)
group by c.system_id order by tco_usd desc, c.system_id limit $limit
