with kpi_rows as (
    select entry_id, posting_date, month, tower, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end
)
select month, tower, sum(amount) as actual_usd
from kpi_rows
group by all order by month, tower
