-- grain: one row per CVE in CISA's Known Exploited Vulnerabilities catalog

with source as (

    select * from kev

),

renamed as (

    select
        cast(cve_id as varchar) as cve,
        cast(vendor_project as varchar) as vendor_project,
        cast(product as varchar) as product,
        cast(vulnerability_name as varchar) as vulnerability_name,
        cast(date_added as date) as date_added,
        cast(due_date as date) as due_date,
        cast(known_ransomware_use as varchar) as known_ransomware_use,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
