-- grain: one row per backup job run

with source as (

    select * from backups

),

renamed as (

    select
        cast(job_id as varchar) as job_id,
        cast(system_id as varchar) as system_id,
        cast(started_at as timestamp) as started_at,
        cast(finished_at as timestamp) as finished_at,
        cast(status as varchar) as backup_status,
        cast(size_gb as double) as size_gb,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
