-- grain: one row per general-ledger line, with its calendar month and fiscal year

with costs as (

    select * from stg_costs

),

hospital as (

    select coalesce(max(fiscal_year_start_month), 1) as fy_start_month from stg_hospital

),

final as (

    select
        costs.entry_id,
        costs.posting_date,
        cast(date_trunc('month', costs.posting_date) as date) as month,
        -- fiscal years are named by the calendar year they end in
        case when hospital.fy_start_month = 1 then year(costs.posting_date)
             when month(costs.posting_date) >= hospital.fy_start_month then year(costs.posting_date) + 1
             else year(costs.posting_date)
        end as fiscal_year,
        cast(costs.amount as double) as amount,
        costs.currency,
        costs.gl_account,
        costs.cost_center,
        costs.vendor_id,
        costs.invoice_number,
        costs.system_id,
        coalesce(costs.cost_pool, 'unclassified') as cost_pool,
        coalesce(costs.tower, 'unclassified') as tower,
        costs.capex_opex,
        coalesce(costs.rgt, 'unclassified') as rgt,
        costs.description
    from costs
    cross join hospital

)

select * from final
