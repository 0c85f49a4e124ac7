-- grain: one row per contract, with its vendor, its system's PHI flag and tier, and its notice deadline

with contracts as (

    select * from stg_contracts

),

vendors as (

    select * from stg_vendors

),

systems as (

    select * from stg_systems

),

final as (

    select
        contracts.contract_id,
        contracts.vendor_id,
        vendors.vendor_name,
        contracts.system_id,
        systems.system_name,
        systems.criticality_tier,
        coalesce(systems.holds_phi, false) as system_holds_phi,
        contracts.title,
        contracts.start_date,
        contracts.end_date,
        contracts.annual_value,
        contracts.notice_days,
        cast(contracts.end_date - coalesce(contracts.notice_days, 0) as date) as notice_deadline,
        coalesce(contracts.auto_renew, false) as auto_renew,
        contracts.sla_availability_pct,
        contracts.sla_response_minutes,
        contracts.baa_signed
    from contracts
    left join vendors on contracts.vendor_id = vendors.vendor_id
    left join systems on contracts.system_id = systems.system_id

)

select * from final
