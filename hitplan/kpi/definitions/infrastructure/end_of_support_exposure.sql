-- The weights' keys are the tiers and `unassessed` (a system without a tier), so they are compared as text.
with weights as (
    select unnest($criticality_weights, recursive := true)
),
kpi_rows as (
    select s.system_id, s.system_name, s.criticality_tier, s.end_of_support,
        case when s.end_of_support < $end then 'past'
             when s.end_of_support < cast($end as date) + to_months(cast(list_min($horizons_months) as integer))
                 then 'within_' || cast(list_min($horizons_months) as varchar) || '_months'
             else 'within_' || cast(list_max($horizons_months) as varchar) || '_months' end as eos_status,
        datediff('month', cast($end as date), s.end_of_support) as months_to_eos,
        cast(coalesce(w.weight, (select any_value(weight) from weights
                                 where cast(criticality_tier as varchar) = 'unassessed'), 0) as double)
            as criticality_weight
    from stg_systems s
    left join weights w on cast(w.criticality_tier as varchar) = cast(s.criticality_tier as varchar)
    where s.end_of_support < cast($end as date) + to_months(cast(list_max($horizons_months) as integer))
)
select * from kpi_rows
order by end_of_support, system_id
