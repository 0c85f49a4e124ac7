-- The P1/P2 incidents opened in the months of the period (whole months, as mart_incidents_by_system_month counts
-- them); the share of P1s is of all P1s, before the top `limit` is taken.
with kpi_rows as (
    select incident_number, system_id, opened_month as month, priority
    from int_incidents
    where opened_month >= date_trunc('month', cast($start as date)) and opened_month < $end and priority in (1, 2)
)
select r.system_id, s.system_name, s.criticality_tier,
    count(*) filter (where r.priority = 1) as p1_incidents,
    count(*) filter (where r.priority = 2) as p2_incidents,
    100.0 * count(*) filter (where r.priority = 1)
        / nullif(sum(count(*) filter (where r.priority = 1)) over (), 0) as share_of_p1_pct
from kpi_rows r left join stg_systems s using (system_id)
group by r.system_id, s.system_name, s.criticality_tier
order by p1_incidents desc, p2_incidents desc, r.system_id limit $limit
