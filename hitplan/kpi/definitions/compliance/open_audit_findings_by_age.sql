-- grain: one row per audit finding open at the period end, aged at the period's last day. A finding with no agreed
-- remediation (due) day is neither past due nor in time: past_due and days_past_due stay blank and due_state says
-- 'no due date', so it is counted apart, never as on time.
with as_of as (
    select cast($end as date) - 1 as as_of
),
kpi_rows as (
    select finding_id, framework, control_id, title, finding_severity, opened_on, due_on,
        as_of.as_of - opened_on as age_days,
        case when due_on is not null then greatest(0, as_of.as_of - due_on) end as days_past_due,
        case when due_on is not null then due_on < as_of.as_of end as past_due,
        case when due_on is null then 'no due date' when due_on < as_of.as_of then 'past due' else 'not yet due' end
            as due_state
    from stg_findings cross join as_of
    where opened_on < $end and (closed_on is null or closed_on >= $end)
)
select finding_id, framework, control_id, title, finding_severity, opened_on, due_on, age_days, days_past_due,
    past_due, due_state
from kpi_rows
order by due_state = 'not yet due', due_state <> 'past due', days_past_due desc nulls last, age_days desc, finding_id
