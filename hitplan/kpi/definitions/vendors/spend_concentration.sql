with kpi_rows as (
    select entry_id, posting_date, vendor_id, amount
    from int_costs
    where posting_date >= $start and posting_date < $end and vendor_id is not null
),
v as (select vendor_id, sum(amount) as actual_usd from kpi_rows group by all),
s as (select *, 100.0 * actual_usd / sum(actual_usd) over () as share_pct from v)
select row_number() over (order by s.actual_usd desc, s.vendor_id) as rank, s.vendor_id, vn.vendor_name,
    s.actual_usd, s.share_pct,
    sum(s.share_pct) over (order by s.actual_usd desc, s.vendor_id rows unbounded preceding) as cumulative_share_pct,
    sum(s.share_pct * s.share_pct) over () as hhi
from s left join stg_vendors vn using (vendor_id)
order by rank
