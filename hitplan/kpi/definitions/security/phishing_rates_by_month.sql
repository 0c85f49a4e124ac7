with kpi_rows as (
    select campaign_id, department, campaign_date, cast(date_trunc('month', campaign_date) as date) as month,
        sent, clicked, reported
    from stg_phishing where campaign_date >= $start and campaign_date < $end
)
select month, sum(sent) as sent,
    100.0 * sum(clicked) / nullif(sum(sent) filter (where clicked is not null), 0) as click_rate_pct,
    100.0 * sum(reported) / nullif(sum(sent) filter (where reported is not null), 0) as report_rate_pct
from kpi_rows
group by all order by month
