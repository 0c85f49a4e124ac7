-- Security-awareness courses are recognised by name ('cybersecurity' or 'security awareness' in the course).
with sec as (
    select department, completed_on from int_training
    where (lower(course) like '%cybersecurity%' or lower(course) like '%security awareness%')
      and completed_on is not null and due_on >= $start and due_on < $end
),
trained as (  -- the day half of the department's completions in the period were done
    select department, quantile_disc(completed_on, 0.5) as trained_on from sec group by department
),
kpi_rows as (
    select p.campaign_id, p.department, p.campaign_date, t.trained_on, p.campaign_date < t.trained_on as before_training,
        p.sent, p.clicked
    from stg_phishing p join trained t using (department)
    where p.campaign_date >= $start and p.campaign_date < $end
),
ph as (
    select department, trained_on,
        sum(clicked) filter (where before_training) as clicked_before,
        sum(sent) filter (where before_training) as sent_before,
        sum(clicked) filter (where not before_training) as clicked_after,
        sum(sent) filter (where not before_training) as sent_after
    from kpi_rows
    group by department, trained_on
)
select department, trained_on, 100.0 * clicked_before / nullif(sent_before, 0) as click_rate_before_pct,
    100.0 * clicked_after / nullif(sent_after, 0) as click_rate_after_pct,
    click_rate_after_pct - click_rate_before_pct as change_pct_points
from ph order by department
