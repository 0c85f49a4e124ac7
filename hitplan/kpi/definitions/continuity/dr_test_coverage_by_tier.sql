-- A system is covered only by a passed technical test (partial or full failover) in the coverage window: a tabletop
-- exercise walks through the plan without recovering anything, and a failed test shows the plan does not work
-- (NIST SP 800-34 Rev. 1 section 3.5; HIPAA 164.308(a)(7)(ii)(D)). A test with no test type is not a technical test.
with tests as (
    select system_id, passed,
        case when type_key in ('partial', 'full_failover') then 'technical'
             when type_key = 'tabletop' then 'tabletop' end as test_kind
    from (
        select system_id, passed, replace(replace(lower(trim(test_type)), ' ', '_'), '-', '_') as type_key
        from stg_dr_tests
        where test_date < $end and test_date >= cast($end as date) - to_months(cast($months as integer))
    )
),
per_system as (
    select system_id,
        coalesce(bool_or(test_kind = 'technical' and passed), false) as passed_technical,
        coalesce(bool_or(test_kind = 'technical'), false) as technical,
        coalesce(bool_or(test_kind = 'tabletop'), false) as tabletop,
        count(*) filter (where test_kind is null) as untyped_tests
    from tests group by system_id
),
kpi_rows as (
    select s.system_id, s.criticality_tier,
        case when p.passed_technical then 'passed technical test'
             when p.technical then 'failed technical test only'  -- no technical test passed (failed or no result)
             when p.tabletop then 'tabletop only'
             else 'no test' end as coverage,
        coalesce(p.passed_technical, false) as tested,
        coalesce(p.untyped_tests, 0) as untyped_tests
    from stg_systems s left join per_system p using (system_id)
)
select coalesce(cast(criticality_tier as varchar), 'unassessed') as criticality_tier, count(*) as systems,
    count(*) filter (where tested) as tested_systems, 100.0 * count(*) filter (where tested) / count(*) as coverage_pct,
    count(*) filter (where coverage = 'tabletop only') as tabletop_only_systems,
    count(*) filter (where coverage = 'failed technical test only') as failed_only_systems,
    count(*) filter (where coverage = 'no test') as untested_systems,
    cast(sum(untyped_tests) as bigint) as untyped_tests,
    coalesce(string_agg(system_id, ', ' order by system_id) filter (where coverage = 'tabletop only'), '')
        as tabletop_only_system_ids,
    coalesce(string_agg(system_id, ', ' order by system_id) filter (where coverage = 'failed technical test only'), '')
        as failed_only_system_ids,
    coalesce(string_agg(system_id, ', ' order by system_id) filter (where coverage = 'no test'), '')
        as untested_system_ids
from kpi_rows
group by kpi_rows.criticality_tier order by kpi_rows.criticality_tier nulls last
