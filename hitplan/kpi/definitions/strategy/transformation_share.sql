with kpi_rows as (
    select entry_id, month, rgt, amount
    from int_costs where month >= date_trunc('month', cast($start as date)) and month < $end
)
select sum(amount) filter (where rgt = 'transform') as transform_usd,
    sum(amount) filter (where rgt in ('run', 'grow', 'transform')) as classified_usd,
    100.0 * coalesce(transform_usd, 0) / nullif(classified_usd, 0) as transform_share_pct,
    (select cast(any_value(pct) as double) from (select unnest($thresholds, recursive := true)) where level = 'watch')
        as target_pct
from kpi_rows
having sum(amount) filter (where rgt in ('run', 'grow', 'transform')) is not null
