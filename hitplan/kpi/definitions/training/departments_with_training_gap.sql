-- training_vs_howto_by_department's result, kept where EHR training done on time is below the off-target threshold
-- and the how-to rate is at least `howto_multiple` times the median over the departments that have a rate.
with median_rate as (
    select median(howto_per_100_active_users) as median_howto_per_100_active_users
    from training_vs_howto_by_department
),
kpi_rows as (
    select d.* exclude (usage_months, period_usage_months, note), m.median_howto_per_100_active_users
    from training_vs_howto_by_department d cross join median_rate m
    where d.ehr_on_time_pct < struct_extract($completion_thresholds, 'off_target')
      and d.howto_per_100_active_users >= $howto_multiple * m.median_howto_per_100_active_users
)
select * from kpi_rows
order by howto_per_100_active_users desc nulls last, department
