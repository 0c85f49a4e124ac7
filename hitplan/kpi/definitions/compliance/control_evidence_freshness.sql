-- grain: one row per applicable control. Evidence is aged at the period's last day; a not-applicable control needs
-- none. A control with no evidence date is not current (state 'no evidence', counted apart from 'stale', never as
-- fresh); one whose latest evidence is dated after the period tells nothing of the evidence it had at the period's end
-- (the feed keeps only the latest date), so its state there is undetermined, not current.
with as_of as (
    select cast($end as date) - 1 as as_of
),
kpi_rows as (
    select framework, control_id, title, requirement, control_status, last_evidence_on,
        case when last_evidence_on <= as_of.as_of then as_of.as_of - last_evidence_on end as evidence_age_days,
        case when last_evidence_on is null then 'no evidence'
             when last_evidence_on > as_of.as_of then 'undetermined: latest evidence is after the period'
             when last_evidence_on < as_of.as_of - to_months(cast($stale_months as integer)) then 'stale'
             else 'current'
        end as evidence_state
    from stg_controls cross join as_of
    where control_status <> 'not_applicable'
)
select framework, control_id, title, requirement, control_status, last_evidence_on, evidence_age_days, evidence_state,
    evidence_state = 'stale' as stale, evidence_state = 'no evidence' as no_evidence
from kpi_rows
order by evidence_state = 'current', evidence_state <> 'no evidence', last_evidence_on nulls first, framework,
    control_id
