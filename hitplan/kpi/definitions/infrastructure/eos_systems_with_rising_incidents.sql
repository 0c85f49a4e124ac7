-- Rising: at least 3 P1/P2 incidents in the period (a fixed floor, so one or two incidents are not a trend) and
-- at least `growth_multiple` times as many as in the equally long span before it.
with span as (
    select cast($start as date) - cast(cast($end as date) - cast($start as date) as integer) as before_start
),
kpi_rows as (
    select s.system_id, s.system_name, s.criticality_tier, s.end_of_support, i.incident_number, i.priority,
        i.opened_at, i.opened_at >= $start as in_period
    from stg_systems s cross join span
    left join int_incidents i on i.system_id = s.system_id and i.priority <= 2
        and i.opened_at >= span.before_start and i.opened_at < $end
    where s.end_of_support < $end
)
select system_id, system_name, criticality_tier, end_of_support,
    count(incident_number) filter (where not in_period) as p1_p2_previous_span,
    count(incident_number) filter (where in_period) as p1_p2_in_period,
    p1_p2_in_period / nullif(p1_p2_previous_span, 0) as growth_multiple
from kpi_rows
group by system_id, system_name, criticality_tier, end_of_support
having p1_p2_in_period >= 3 and p1_p2_in_period >= $growth_multiple * p1_p2_previous_span
order by system_id
