with kpi_rows as (
    select month, cost_pool, budget_amount, actual_amount
    from mart_budget_vs_actual_by_pool_month
    where month >= date_trunc('month', cast($start as date)) and month < $end
)
select month, cost_pool, budget_amount as budget_usd, actual_amount as actual_usd,
    actual_amount - budget_amount as variance_usd, actual_amount / nullif(budget_amount, 0) as actual_to_budget
from kpi_rows
order by month, cost_pool
