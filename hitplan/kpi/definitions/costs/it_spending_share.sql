-- IT spending as Gartner IT Key Metrics Data counts it: operating and capital IT spend (a ledger line without
-- capex_opex counts as operating), annualized over the period, as a percent of the hospital's annual operating
-- expense or revenue (costs.it_spending_share_basis: the benchmark's own denominator).
-- Annualizing assumes the ledger covers the period: a calendar month of the period with no ledger line at all is
-- missing data, not a month of zero spend, so the share is then not measured (blank, with the months in `note`).
with h as (
    select cast(max(case $basis when 'operating_expense' then operating_expense when 'revenue' then revenue
                    else error('costs.it_spending_share_basis must be operating_expense or revenue') end) as double)
            as basis_usd
    from stg_hospital
),
kpi_rows as (
    select entry_id, posting_date, month, coalesce(capex_opex, 'opex') as capex_opex, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end
),
period_months as (
    select cast(m as date) as month
    from generate_series(date_trunc('month', cast($start as date)), cast($end as date) - 1, interval 1 month) t(m)
),
gaps as (
    select count(*) as months_in_period,
        count(*) filter (where month in (select month from kpi_rows)) as months_with_costs,
        string_agg(strftime(month, '%Y-%m'), ', ' order by month) filter (where month not in (select month from kpi_rows))
            as months_without_costs
    from period_months
),
c as (
    select sum(amount) filter (where capex_opex = 'opex') as it_opex_usd,
        coalesce(sum(amount) filter (where capex_opex = 'capex'), 0) as it_capex_usd,
        sum(amount) as it_spending_usd,
        sum(amount) * 365.0 / (cast($end as date) - cast($start as date)) as annualized_it_spending_usd
    from kpi_rows
),
ledger as (select count(*) filter (where capex_opex = 'capex') as capex_lines from stg_costs),
bench as (
    select cast(struct_extract($benchmark_pct, 'low') as double) as low,
        cast(struct_extract($benchmark_pct, 'high') as double) as high
),
shares as (
    select c.*, gaps.months_in_period, gaps.months_with_costs, $basis as benchmark_basis, h.basis_usd,
        case when gaps.months_with_costs = gaps.months_in_period then 100.0 * c.annualized_it_spending_usd / h.basis_usd
        end as it_spending_share_pct,
        concat_ws('; ',
            case when gaps.months_with_costs < gaps.months_in_period then
                format('{} of the period''s {} months {} no ledger lines ({}): annual IT spending cannot be known',
                       gaps.months_in_period - gaps.months_with_costs, gaps.months_in_period,
                       case when gaps.months_in_period - gaps.months_with_costs = 1 then 'has' else 'have' end,
                       gaps.months_without_costs)
            end,
            case when ledger.capex_lines = 0 then 'no capital lines in the ledger: IT spending may be understated' end
        ) as note
    from c cross join gaps cross join h cross join ledger
)
select s.it_opex_usd, s.it_capex_usd, s.it_spending_usd, s.months_in_period, s.months_with_costs,
    s.annualized_it_spending_usd, s.benchmark_basis, s.basis_usd as hospital_basis_usd, s.it_spending_share_pct,
    bench.low as benchmark_low_pct, bench.high as benchmark_high_pct,
    s.it_spending_share_pct between bench.low and bench.high as within_benchmark,
    nullif(s.note, '') as note
from shares s cross join bench
where s.it_spending_usd is not null
