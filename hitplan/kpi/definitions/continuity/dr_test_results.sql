with kpi_rows as (
    select test_id, system_id, test_date, test_type, rto_target_hours, rto_achieved_hours,
        rto_achieved_hours / nullif(rto_target_hours, 0) as rto_multiple,
        rpo_target_hours, rpo_achieved_hours,
        rto_achieved_hours <= rto_target_hours as rto_met,
        rpo_achieved_hours <= rpo_target_hours as rpo_met,
        passed,
        case when rto_achieved_hours >= $severe_multiple * rto_target_hours
                  or rpo_achieved_hours >= $severe_multiple * rpo_target_hours then 'severe miss'
             when not passed or rto_achieved_hours > rto_target_hours or rpo_achieved_hours > rpo_target_hours
                 then 'missed'
             else 'met' end as severity
    from stg_dr_tests where test_date >= $start and test_date < $end
)
select * from kpi_rows
order by list_position(['severe miss', 'missed', 'met'], severity), test_date, test_id
