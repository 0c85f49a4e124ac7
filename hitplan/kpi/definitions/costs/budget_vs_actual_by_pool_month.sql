-- A month with no ledger line at all (or no budget line at all) has no actual (no budget): blank, not 0, so a chart
-- breaks there; a pool without spend in a month that has postings did spend 0.
with posted as (select distinct month from int_costs),
budgeted as (select distinct month from stg_budgets),
kpi_rows as (
    select m.month, m.cost_pool,
        case when m.month in (select month from budgeted) then m.budget_amount end as budget_amount,
        case when m.month in (select month from posted) then m.actual_amount end as actual_amount
    from mart_budget_vs_actual_by_pool_month m
    where m.month >= date_trunc('month', cast($start as date)) and m.month < $end
)
select month, cost_pool, budget_amount as budget_usd, actual_amount as actual_usd,
    actual_amount - budget_amount as variance_usd, actual_amount / nullif(budget_amount, 0) as actual_to_budget
from kpi_rows
order by month, cost_pool
