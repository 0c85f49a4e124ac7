-- ages and days past due at the period's last day
with as_of as (
    select cast($end as date) - 1 as as_of
),
kpi_rows as (
    select finding_id, framework, control_id, title, finding_severity, opened_on, due_on,
        as_of.as_of - opened_on as age_days, greatest(0, as_of.as_of - due_on) as days_past_due,
        coalesce(due_on < as_of.as_of, false) as past_due
    from stg_findings cross join as_of
    where opened_on < $end and (closed_on is null or closed_on >= $end)
)
select finding_id, framework, control_id, title, finding_severity, opened_on, due_on, age_days, days_past_due,
    past_due
from kpi_rows
order by past_due desc, days_past_due desc, finding_id
