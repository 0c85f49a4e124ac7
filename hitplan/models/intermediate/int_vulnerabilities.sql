-- grain: one row per host per vulnerability finding, with its KEV entry, EPSS score and its system's PHI flag and tier

with vulnerabilities as (

    select * from stg_vulnerabilities

),

kev as (

    select * from stg_kev

),

epss as (

    select * from stg_epss

),

systems as (

    select * from stg_systems

),

system_keys as (

    select * from int_system_keys

),

final as (

    select
        vulnerabilities.host,
        vulnerabilities.vuln_id,
        vulnerabilities.cve,
        -- a finding names its system directly, or through its host (a name or address in system_aliases)
        systems.system_id,
        systems.system_name,
        systems.criticality_tier,
        coalesce(systems.holds_phi, false) as system_holds_phi,
        vulnerabilities.title,
        vulnerabilities.cvss,
        vulnerabilities.severity,
        vulnerabilities.first_seen,
        vulnerabilities.last_seen,
        vulnerabilities.fixed_at,
        vulnerabilities.finding_state,
        vulnerabilities.finding_state in ('open', 'reopened') as is_open,
        kev.cve is not null as is_kev,
        kev.date_added as kev_date_added,
        kev.due_date as kev_due_date,
        kev.known_ransomware_use as kev_known_ransomware_use,
        epss.epss_score,
        epss.epss_percentile,
        (epoch(vulnerabilities.fixed_at) - epoch(vulnerabilities.first_seen)) / 86400.0 as days_to_fix
    from vulnerabilities
    left join kev on vulnerabilities.cve = kev.cve
    left join epss on vulnerabilities.cve = epss.cve
    left join system_keys by_id on lower(vulnerabilities.system_id) = by_id.lookup_key
    left join system_keys by_host on lower(vulnerabilities.host) = by_host.lookup_key
    left join systems on coalesce(by_id.system_id, by_host.system_id) = systems.system_id

)

select * from final
