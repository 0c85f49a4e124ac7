with kpi_rows as (
    select incident_number, coalesce(incident_category, 'uncategorized') as incident_category
    from int_incidents where opened_at >= $start and opened_at < $end
)
select incident_category, count(*) as incidents, 100.0 * count(*) / sum(count(*)) over () as share_pct
from kpi_rows
group by all order by incidents desc, incident_category limit $limit
