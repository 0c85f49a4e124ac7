-- grain: one row per month per cost pool per cost center (cost center blank = the whole pool)

with source as (

    select * from budgets

),

renamed as (

    select
        cast(fiscal_year as integer) as fiscal_year,
        cast(month as date) as month,
        cast(cost_pool as varchar) as cost_pool,
        cast(cost_center as varchar) as cost_center,
        cast(amount as decimal(18,2)) as budget_amount,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
