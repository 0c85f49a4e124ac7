-- evidence is aged at the period's last day; a not-applicable control needs none
with as_of as (
    select cast($end as date) - 1 as as_of
),
kpi_rows as (
    select framework, control_id, title, requirement, last_evidence_on,
        as_of.as_of - last_evidence_on as evidence_age_days,
        last_evidence_on is null
            or last_evidence_on < as_of.as_of - to_months(cast($stale_months as integer)) as stale
    from stg_controls cross join as_of
    where control_status <> 'not_applicable'
)
select framework, control_id, title, requirement, last_evidence_on, evidence_age_days, stale
from kpi_rows
order by stale desc, last_evidence_on nulls first, framework, control_id
