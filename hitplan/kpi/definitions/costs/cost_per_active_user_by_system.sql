-- A system's costs cover all its users over the whole period, so its active users must too: a system whose usage
-- rows miss months the usage feed covers in the period, or whose average daily active users are below
-- `min_share_of_licensed` of its licensed users (usage exported for one department, say), gets no figure and the
-- reason in `note`. Without a licensed count the share cannot be checked (said in `note`, the figure kept).
with kpi_rows as (
    select entry_id, posting_date, month, system_id, amount
    from int_costs
    where month >= date_trunc('month', cast($start as date)) and month < $end and system_id is not null
),
c as (select system_id, sum(amount) as actual_usd from kpi_rows group by all),
usage_in_period as (
    select * from mart_usage_by_system_month
    where month >= date_trunc('month', cast($start as date)) and month < $end
),
feed as (select count(distinct month) as period_usage_months from usage_in_period),
u as (
    select system_id, sum(active_user_days) / nullif(sum(usage_days), 0) as avg_daily_active_users,
        count(distinct month) as usage_months
    from usage_in_period
    group by all
),
checked as (
    select c.system_id, s.system_name, c.actual_usd, u.avg_daily_active_users, s.licensed_users,
        100.0 * u.avg_daily_active_users / nullif(s.licensed_users, 0) as active_share_of_licensed_pct,
        u.usage_months, feed.period_usage_months,
        case
            when u.usage_months < feed.period_usage_months then
                format('usage in {} of the {} months the usage feed covers in the period', u.usage_months,
                       feed.period_usage_months)
            when s.licensed_users > 0 and u.avg_daily_active_users < $min_share_of_licensed * s.licensed_users then
                format('average daily active users are {:.1f} % of its {} licensed users (below {:g} %): usage covers '
                       'only part of its users', 100.0 * u.avg_daily_active_users / s.licensed_users, s.licensed_users,
                       100.0 * $min_share_of_licensed)
        end as refused,
        case when s.licensed_users is null or s.licensed_users = 0 then
            'licensed users unknown: whether usage covers all its users is not checked' end as caveat
    from c join u using (system_id) cross join feed left join stg_systems s using (system_id)
)
select system_id, system_name, actual_usd, avg_daily_active_users, licensed_users, active_share_of_licensed_pct,
    usage_months, period_usage_months,
    case when refused is null then actual_usd / nullif(avg_daily_active_users, 0) end as usd_per_active_user,
    coalesce(refused, caveat) as note
from checked
order by usd_per_active_user desc nulls last, system_id
