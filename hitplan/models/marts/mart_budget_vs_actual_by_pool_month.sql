-- grain: one row per calendar month per cost pool that has a budget or an actual

with budgets as (

    select
        month,
        cost_pool,
        sum(cast(budget_amount as double)) as budget_amount
    from stg_budgets
    group by month, cost_pool

),

actuals as (

    select
        month,
        cost_pool,
        sum(amount) as actual_amount
    from int_costs
    group by month, cost_pool

),

final as (

    select
        coalesce(budgets.month, actuals.month) as month,
        coalesce(budgets.cost_pool, actuals.cost_pool) as cost_pool,
        coalesce(budgets.budget_amount, 0) as budget_amount,
        coalesce(actuals.actual_amount, 0) as actual_amount
    from budgets
    full outer join actuals
        on budgets.month = actuals.month and budgets.cost_pool = actuals.cost_pool

)

select * from final
