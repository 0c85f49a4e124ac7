-- grain: one row per lower-cased name an export may use for a system (its id, its inventory name, or an alias)

with systems as (

    select * from stg_systems

),

aliases as (

    select * from stg_system_aliases

),

candidates as (

    -- the id itself wins over an alias, and an alias over the inventory name (names can repeat)
    select lower(system_id) as lookup_key, system_id, 1 as precedence from systems
    union all
    select lower(alias), system_id, 2 from aliases
    union all
    select lower(system_name), system_id, 3 from systems where system_name is not null

),

final as (

    select lookup_key, arg_min(system_id, precedence) as system_id, min(precedence) as matched_by
    from candidates
    group by lookup_key

)

select * from final
