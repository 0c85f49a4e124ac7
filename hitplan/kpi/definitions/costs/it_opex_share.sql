-- A ledger line without capex_opex counts as operating expense.
with h as (select cast(max(operating_expense) as double) as opex from stg_hospital),
kpi_rows as (
    select entry_id, posting_date, month, capex_opex, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end
      and coalesce(capex_opex, 'opex') = 'opex'
),
c as (
    select sum(amount) as it_opex_usd,
        sum(amount) * 365.0 / (cast($end as date) - cast($start as date)) as annualized_it_opex_usd
    from kpi_rows
),
bench as (
    select cast(struct_extract($benchmark_pct, 'low') as double) as low,
        cast(struct_extract($benchmark_pct, 'high') as double) as high
)
select c.it_opex_usd, c.annualized_it_opex_usd, h.opex as hospital_operating_expense_usd,
    100.0 * c.annualized_it_opex_usd / h.opex as it_opex_share_pct,
    bench.low as benchmark_low_pct, bench.high as benchmark_high_pct,
    it_opex_share_pct between bench.low and bench.high as within_benchmark
from c cross join h cross join bench
where c.it_opex_usd is not null
