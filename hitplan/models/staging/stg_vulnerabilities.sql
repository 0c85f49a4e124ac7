-- grain: one row per host per vulnerability (CVE, or scanner check when there is no CVE)

with source as (

    select * from vulnerabilities

),

renamed as (

    select
        cast(host as varchar) as host,
        cast(vuln_id as varchar) as vuln_id,
        cast(cve as varchar) as cve,
        cast(system_id as varchar) as system_id,
        cast(title as varchar) as title,
        cast(cvss as double) as cvss,
        cast(severity as varchar) as severity,
        cast(first_seen as timestamp) as first_seen,
        cast(last_seen as timestamp) as last_seen,
        cast(fixed_at as timestamp) as fixed_at,
        cast(state as varchar) as finding_state,
        cast(scanner as varchar) as scanner,
        _load_id as load_id
    from source

),

final as (

    select * from renamed

)

select * from final
