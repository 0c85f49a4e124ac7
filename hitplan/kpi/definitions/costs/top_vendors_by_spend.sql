with kpi_rows as (
    select entry_id, posting_date, month, vendor_id, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end and vendor_id is not null
)
select c.vendor_id, any_value(v.vendor_name) as vendor_name, sum(c.amount) as actual_usd,
    100.0 * sum(c.amount) / sum(sum(c.amount)) over () as share_pct
from kpi_rows c left join stg_vendors v using (vendor_id)
group by c.vendor_id order by actual_usd desc, c.vendor_id limit $limit
