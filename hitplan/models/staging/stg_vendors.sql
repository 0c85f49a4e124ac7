-- grain: one row per vendor

with source as (

    select * from vendors

),

renamed as (

    select
        cast(vendor_id as varchar) as vendor_id,
        cast(name as varchar) as vendor_name,
        cast(category as varchar) as vendor_category,
        cast(is_strategic as boolean) as is_strategic,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
