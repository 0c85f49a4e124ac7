-- grain: one row per calendar year x breach type x location of the breached information x entity type

with breaches as (

    select * from stg_breaches

),

-- one breach can list several locations ("Email, Network Server"): each location gets the breach once
locations as (

    select
        year(submitted_on) as breach_year,
        breach_type,
        trim(unnest(string_split(coalesce(breached_location, 'Unknown'), ','))) as breached_location,
        entity_type,
        individuals_affected
    from breaches

),

final as (

    select
        breach_year,
        breach_type,
        breached_location,
        entity_type,
        count(*) as breaches,
        sum(individuals_affected) as individuals_affected
    from locations
    group by all

)

select * from final
