with kpi_rows as (
    select month, cost_pool, budget_amount, actual_amount, actual_amount / nullif(budget_amount, 0) as ratio
    from mart_budget_vs_actual_by_pool_month
    where month >= date_trunc('month', cast($start as date)) and month < $end
)
select cost_pool, sum(budget_amount) as budget_usd, sum(actual_amount) as actual_usd,
    sum(actual_amount) - sum(budget_amount) as variance_usd,
    sum(actual_amount) / nullif(sum(budget_amount), 0) as actual_to_budget,
    count(*) filter (where actual_amount > budget_amount) as months_over_budget,
    arg_max(ratio, month) - arg_min(ratio, month) as ratio_change_first_to_last_month
from kpi_rows
group by cost_pool order by actual_to_budget desc nulls last, cost_pool
