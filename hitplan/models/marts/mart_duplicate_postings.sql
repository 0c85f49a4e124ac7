-- grain: one row per ledger line that shares vendor, invoice number and amount with another line

with costs as (

    select * from int_costs
    where vendor_id is not null and invoice_number is not null

),

duplicated as (

    select
        vendor_id,
        invoice_number,
        amount,
        count(*) as lines_in_group
    from costs
    group by vendor_id, invoice_number, amount
    having count(*) > 1

),

final as (

    select
        costs.entry_id,
        costs.posting_date,
        costs.vendor_id,
        costs.invoice_number,
        costs.amount,
        costs.cost_pool,
        costs.system_id,
        costs.description,
        duplicated.lines_in_group
    from costs
    inner join duplicated
        on costs.vendor_id = duplicated.vendor_id
        and costs.invoice_number = duplicated.invoice_number
        and costs.amount = duplicated.amount

)

select * from final
