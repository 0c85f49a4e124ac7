-- grain: one row per general-ledger or accounts-payable line

with source as (

    select * from costs

),

renamed as (

    select
        cast(entry_id as varchar) as entry_id,
        cast(posting_date as date) as posting_date,
        cast(amount as decimal(18,2)) as amount,
        cast(currency as varchar) as currency,
        cast(gl_account as varchar) as gl_account,
        cast(cost_center as varchar) as cost_center,
        cast(vendor_id as varchar) as vendor_id,
        cast(invoice_number as varchar) as invoice_number,
        cast(system_id as varchar) as system_id,
        cast(cost_pool as varchar) as cost_pool,
        cast(tower as varchar) as tower,
        cast(capex_opex as varchar) as capex_opex,
        cast(rgt as varchar) as rgt,
        cast(description as varchar) as description,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
