-- grain: one row per phishing simulation campaign per department

with source as (

    select * from phishing

),

renamed as (

    select
        cast(campaign_id as varchar) as campaign_id,
        cast(campaign_date as date) as campaign_date,
        cast(department as varchar) as department,
        cast(sent as integer) as sent,
        cast(clicked as integer) as clicked,
        cast(reported as integer) as reported,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
