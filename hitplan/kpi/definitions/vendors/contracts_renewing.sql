-- A contract is in view when it ends, or its notice deadline (end_date - notice_days) falls, within the horizon
-- after the period end; an auto-renewal whose deadline falls within the alert window is flagged.
with kpi_rows as (
    select contract_id, vendor_id, vendor_name, system_id, title, end_date, notice_days, notice_deadline, auto_renew,
        annual_value
    from int_contracts
    where (end_date >= $end and end_date < cast($end as date) + cast($horizon_days as integer))
       or (notice_deadline >= $end and notice_deadline < cast($end as date) + cast($horizon_days as integer))
)
select contract_id, vendor_id, vendor_name, system_id, title, end_date, notice_days, notice_deadline,
    notice_deadline - cast($end as date) as days_to_notice_deadline, auto_renew,
    cast(annual_value as double) as annual_value_usd,
    auto_renew and notice_deadline >= $end
        and notice_deadline < cast($end as date) + cast($notice_alert_days as integer) as deadline_near
from kpi_rows
order by notice_deadline, contract_id
