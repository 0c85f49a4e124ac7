-- The fiscal year the period's last day falls in (named by the calendar year it ends in), and the months of it
-- complete by the period end: the month of the period end itself is complete only from its first day on.
with hospital as (
    select coalesce(nullif(max(h.fiscal_year_start_month), 0), 1) as start_month from stg_hospital h
),
fy as (
    select y.start_month, y.fiscal_year,
        make_date(case when y.start_month = 1 then y.fiscal_year else y.fiscal_year - 1 end, y.start_month, 1) as fy_start,
        cast(date_trunc('month', cast($end as date)) as date) as end_month
    from (
        select hospital.start_month,
            case when hospital.start_month = 1 then year(cast($end as date) - 1)
                 when month(cast($end as date) - 1) >= hospital.start_month then year(cast($end as date) - 1) + 1
                 else year(cast($end as date) - 1)
            end as fiscal_year
        from hospital
    ) y
),
months as (
    select fy.fiscal_year, fy.fy_start, fy.end_month,
        (year(fy.end_month) * 12 + month(fy.end_month)) - (year(fy.fy_start) * 12 + month(fy.fy_start)) as months_elapsed
    from fy
),
kpi_rows as (
    select c.entry_id, c.posting_date, c.month, c.amount
    from int_costs c cross join months m
    where c.month >= m.fy_start and c.month < m.end_month
),
a as (select coalesce(sum(r.amount), 0) as v from kpi_rows r),
b as (
    select sum(cast(sb.budget_amount as double)) as v from stg_budgets sb
    where sb.fiscal_year = (select m.fiscal_year from months m)
)
select m.fiscal_year, m.months_elapsed, a.v as actual_to_date_usd,
    a.v + a.v / nullif(m.months_elapsed, 0) * (12 - m.months_elapsed) as run_rate_forecast_usd,
    b.v as budget_usd,
    (a.v + a.v / nullif(m.months_elapsed, 0) * (12 - m.months_elapsed)) / nullif(b.v, 0) as forecast_to_budget,
    'run-rate: actual to date + (actual to date / months elapsed) x months remaining' as method
from months m cross join a cross join b
