-- A vendor of a PHI system has a gap when none of its contracts in force in the period has a signed BAA.
with kpi_rows as (
    select system_id, system_name, vendor_id from stg_systems where holds_phi and vendor_id is not null
),
phi as (select vendor_id, count(*) as phi_systems from kpi_rows group by all),
c as (
    select vendor_id, count(*) as contracts, count(*) filter (where baa_signed) as baa_signed_contracts
    from int_contracts where start_date < $end and end_date >= $start group by all
)
select phi.vendor_id, v.vendor_name, phi.phi_systems, coalesce(c.contracts, 0) as contracts,
    coalesce(c.baa_signed_contracts, 0) as baa_signed_contracts,
    coalesce(c.baa_signed_contracts, 0) = 0 as baa_gap
from phi left join c using (vendor_id) left join stg_vendors v using (vendor_id)
order by baa_gap desc, phi.vendor_id
