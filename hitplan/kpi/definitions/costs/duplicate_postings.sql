-- A group counts when any of its lines is posted in the period; its other lines are shown wherever they fall.
with d as materialized (select * from mart_duplicate_postings),
kpi_rows as (
    select entry_id, posting_date, vendor_id, invoice_number, amount, lines_in_group
    from d
    where (vendor_id, invoice_number, amount) in (
        select (vendor_id, invoice_number, amount) from d where posting_date >= $start and posting_date < $end)
)
select entry_id, posting_date, vendor_id, invoice_number, amount as amount_usd, lines_in_group
from kpi_rows
order by vendor_id, invoice_number, posting_date, entry_id
