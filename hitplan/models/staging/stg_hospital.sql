-- grain: one row per hospital (normally exactly one) with the profile used for periods and benchmarks

with source as (

    select * from hospital

),

renamed as (

    select
        cast(hospital_id as varchar) as hospital_id,
        cast(name as varchar) as hospital_name,
        cast(time_zone as varchar) as time_zone,
        cast(fiscal_year_start_month as integer) as fiscal_year_start_month,
        cast(beds as integer) as beds,
        cast(operating_expense as decimal(18,2)) as operating_expense,
        cast(revenue as decimal(18,2)) as revenue,
        cast(staff as integer) as staff,
        cast(state as varchar) as state,
        cast(currency as varchar) as currency,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
