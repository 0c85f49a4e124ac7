-- Every business associate that creates, receives, maintains or transmits PHI for the hospital needs a BAA (HIPAA
-- 45 CFR 164.308(b)(1), 164.502(e)). A vendor is in scope by any of three routes, and the union is taken: it supplies a
-- system holding PHI (systems.vendor_id), it has a contract in force in the period for one (contracts.system_id), or
-- it was paid in the period for one (costs.system_id). It has a gap when none of its contracts in force in the period
-- has a signed BAA (a vendor in scope with no contract at all has none).
with phi_systems as (
    select system_id from stg_systems where holds_phi
),
routes as (
    select vendor_id, system_id, 'supplier' as route
    from stg_systems where holds_phi and vendor_id is not null
    union all
    select vendor_id, system_id, 'contract' as route
    from int_contracts
    where start_date < $end and end_date >= $start and system_id in (select system_id from phi_systems)
    union all
    select distinct vendor_id, system_id, 'paid' as route
    from int_costs
    where posting_date >= $start and posting_date < $end and vendor_id is not null
      and system_id in (select system_id from phi_systems)
),
kpi_rows as (
    -- one row per vendor and PHI system that puts it in scope, with the routes that do
    select vendor_id, system_id,
        string_agg(distinct route, ', ' order by list_position(['supplier', 'contract', 'paid'], route)) as routes
    from routes
    group by vendor_id, system_id
),
vendor_routes as (
    select vendor_id,
        string_agg(distinct route, ', ' order by list_position(['supplier', 'contract', 'paid'], route)) as scope_routes
    from routes
    group by vendor_id
),
scope as (
    select vendor_id, count(*) as phi_systems, string_agg(system_id, ', ' order by system_id) as phi_system_ids
    from kpi_rows
    group by vendor_id
),
c as (
    select vendor_id, count(*) as contracts, count(*) filter (where baa_signed) as baa_signed_contracts
    from int_contracts where start_date < $end and end_date >= $start group by all
)
select scope.vendor_id, v.vendor_name, vendor_routes.scope_routes, scope.phi_systems, scope.phi_system_ids,
    coalesce(c.contracts, 0) as contracts, coalesce(c.baa_signed_contracts, 0) as baa_signed_contracts,
    coalesce(c.baa_signed_contracts, 0) = 0 as baa_gap
from scope join vendor_routes using (vendor_id) left join c using (vendor_id) left join stg_vendors v using (vendor_id)
order by baa_gap desc, scope.vendor_id
