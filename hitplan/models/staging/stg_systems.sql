-- grain: one row per system in the inventory (application, infrastructure component or medical-device network)

with source as (

    select * from systems

),

renamed as (

    select
        cast(system_id as varchar) as system_id,
        cast(name as varchar) as system_name,
        cast(kind as varchar) as kind,
        cast(category as varchar) as system_category,
        cast(criticality_tier as integer) as criticality_tier,
        cast(vendor_id as varchar) as vendor_id,
        cast(hosting as varchar) as hosting,
        cast(go_live as date) as go_live,
        cast(end_of_support as date) as end_of_support,
        cast(licensed_users as integer) as licensed_users,
        cast(rto_hours as double) as rto_hours,
        cast(rpo_hours as double) as rpo_hours,
        cast(holds_phi as boolean) as holds_phi,
        cast(owner_department as varchar) as owner_department,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
