-- grain: one row per contract

with source as (

    select * from contracts

),

renamed as (

    select
        cast(contract_id as varchar) as contract_id,
        cast(vendor_id as varchar) as vendor_id,
        cast(system_id as varchar) as system_id,
        cast(title as varchar) as title,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(annual_value as decimal(18,2)) as annual_value,
        cast(notice_days as integer) as notice_days,
        cast(auto_renew as boolean) as auto_renew,
        cast(sla_availability_pct as double) as sla_availability_pct,
        cast(sla_response_minutes as double) as sla_response_minutes,
        cast(baa_signed as boolean) as baa_signed,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
