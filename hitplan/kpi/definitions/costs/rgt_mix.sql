with kpi_rows as (
    select entry_id, posting_date, month, rgt, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end
)
select rgt, sum(amount) as actual_usd, 100.0 * sum(amount) / sum(sum(amount)) over () as share_pct
from kpi_rows
group by rgt
order by list_position(['run', 'grow', 'transform', 'unclassified'], rgt)
