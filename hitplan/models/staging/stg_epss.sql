-- grain: one row per CVE with its FIRST EPSS score

with source as (

    select * from epss

),

renamed as (

    select
        cast(cve as varchar) as cve,
        cast(epss as double) as epss_score,
        cast(percentile as double) as epss_percentile,
        cast(score_date as date) as epss_score_date,
        cast(model_version as varchar) as epss_model_version,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
