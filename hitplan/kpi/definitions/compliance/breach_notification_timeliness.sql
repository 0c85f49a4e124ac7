-- grain: one row (kpi_rows: one row per breach of unsecured PHI in scope for the period)
--
-- 45 CFR 164.404(b): affected individuals are notified without unreasonable delay and no later than $limit_days
-- calendar days after discovery (164.404(a)(2): the first day the breach is known, or by reasonable diligence would
-- have been; a state law may set fewer days). 164.408(b): HHS is notified contemporaneously with the individuals, so
-- within $hhs_days days of discovery, for a breach of $hhs_individuals or more individuals; 164.408(c): for a smaller
-- one within $hhs_days days after the end of the calendar year of discovery.
-- A breach is an incident with breach_discovered_at set (a security incident the hospital determined to be a breach);
-- a security ticket's opening and closing are not discovery and notice, and are not used.
-- In scope: discovered in the period, or discovered before it with the individuals' or HHS's notice still owed at its
-- start. Each notice is judged as it stood on the period's last day (a notice sent later is not yet sent then):
-- within the limit, late, overdue (not sent and its deadline passed) or pending in time. The HHS deadline of a breach
-- whose size is not recorded is known only when the notice was sent (or the day is) within the shorter limit, or
-- after the longer one: otherwise it is undetermined, never counted as in time.
with as_of as (
    select cast($end as date) - 1 as as_of
),

breaches as (
    select incident_number, system_id, system_name, breach_discovered_at, individuals_notified_at, hhs_notified_at,
        individuals_affected, cast(breach_discovered_at as date) as discovered_on,
        -- a notice sent after the period is not yet sent at its end
        case when individuals_notified_at < $end then cast(individuals_notified_at as date) end as notified_on,
        case when hhs_notified_at < $end then cast(hhs_notified_at as date) end as hhs_on,
        cast(breach_discovered_at as date) + cast($limit_days as integer) as notice_due_on,
        -- the HHS deadline by the breach's size; when the size is not recorded, the earliest and the latest it can be
        case when individuals_affected < cast($hhs_individuals as integer)
                 then make_date(year(breach_discovered_at), 12, 31) + cast($hhs_days as integer)
             else cast(breach_discovered_at as date) + cast($hhs_days as integer)
        end as hhs_due_earliest,
        case when individuals_affected >= cast($hhs_individuals as integer)
                 then cast(breach_discovered_at as date) + cast($hhs_days as integer)
             else make_date(year(breach_discovered_at), 12, 31) + cast($hhs_days as integer)
        end as hhs_due_latest,
        as_of.as_of
    from int_incidents cross join as_of
    where breach_discovered_at is not null and breach_discovered_at < $end
        and (breach_discovered_at >= $start
             or individuals_notified_at is null or individuals_notified_at >= $start
             or hhs_notified_at is null or hhs_notified_at >= $start)
),

kpi_rows as (
    select incident_number, system_id, system_name, breach_discovered_at as discovered_at,
        individuals_notified_at as notified_at, notified_on - discovered_on as days_to_notify,
        case when notified_on is null then as_of - discovered_on end as days_unnotified,
        individuals_affected, notice_due_on,
        case when notified_on <= notice_due_on then 'within limit'
             when notified_on is not null then 'late'
             when as_of > notice_due_on then 'overdue'
             else 'pending in time'
        end as notice_status,
        hhs_notified_at,
        case when hhs_due_earliest = hhs_due_latest then hhs_due_earliest end as hhs_due_on,
        case when hhs_on <= hhs_due_earliest then 'within limit'
             when hhs_on > hhs_due_latest then 'late'
             when hhs_on is null and as_of <= hhs_due_earliest then 'pending in time'
             when hhs_on is null and as_of > hhs_due_latest then 'overdue'
             else 'undetermined: individuals affected not recorded'
        end as hhs_status
    from breaches
),

final as (
    select count(*) as breaches,
        count(*) filter (where notice_status = 'within limit') as notified_within_limit,
        count(*) filter (where notice_status = 'late') as notified_late,
        count(*) filter (where notice_status = 'overdue') as overdue_unnotified,
        count(*) filter (where notice_status = 'pending in time') as pending_in_time,
        max(days_to_notify) as max_days_to_notify,
        max(days_unnotified) as max_days_unnotified,
        count(*) filter (where hhs_status = 'within limit') as hhs_within_limit,
        count(*) filter (where hhs_status = 'late') as hhs_late,
        count(*) filter (where hhs_status = 'overdue') as hhs_overdue,
        count(*) filter (where hhs_status = 'pending in time') as hhs_pending_in_time,
        count(*) filter (where hhs_status like 'undetermined%') as hhs_undetermined,
        cast($limit_days as integer) as limit_days
    from kpi_rows
    having count(*) > 0
)

select * from final
