-- grain: one row per safeguard and requirement (required / addressable) of the HIPAA Security Rule's
-- implementation specifications (45 CFR 164.306(d)); the standards that group specifications are not counted.
with grouping_standards as (
    -- The standards of 45 CFR 164.308-164.316 that have implementation specifications (Appendix A to Subpart C of
    -- Part 164): each is met through its specifications, so counting it beside them would count one requirement
    -- twice. A standard without specifications (164.308(a)(2), (a)(8), 164.310(b), (c), 164.312(b), (d), 164.316(a))
    -- is its own implementation specification and is counted. A register may cite a 164.308(a) standard without
    -- its "(i)" (164.308(a)(1) for 164.308(a)(1)(i)): both are listed.
    select * from (values
        ('164.308(a)(1)(i)'), ('164.308(a)(1)'), ('164.308(a)(3)(i)'), ('164.308(a)(3)'),
        ('164.308(a)(4)(i)'), ('164.308(a)(4)'), ('164.308(a)(5)(i)'), ('164.308(a)(5)'),
        ('164.308(a)(6)(i)'), ('164.308(a)(6)'), ('164.308(a)(7)(i)'), ('164.308(a)(7)'),
        ('164.308(b)(1)'), ('164.310(a)(1)'), ('164.310(d)(1)'), ('164.312(a)(1)'), ('164.312(c)(1)'),
        ('164.312(e)(1)'), ('164.314(a)(1)'), ('164.314(b)(1)'), ('164.316(b)(1)')
    ) as s(citation)
),

hipaa as (
    select framework, control_id, title, coalesce(safeguard, 'unknown') as safeguard,
        coalesce(requirement, 'unknown') as requirement, control_status,
        -- "§ 164.308(a)(1)(i)", "45 CFR 164.308(a)(1)(i)" and "164.308(A)(1)(I)" cite the same paragraph
        regexp_replace(lower(regexp_replace(control_id, '^\s*(45\s*CFR)?\s*§*', '', 'i')), '\s', '', 'g')
            as citation
    from stg_controls where framework = 'HIPAA Security Rule'
),

kpi_rows as (
    select framework, control_id, title, safeguard, requirement, control_status
    from hipaa
    where citation not in (select citation from grouping_standards)
),

final as (
    select safeguard, requirement, count(*) as specifications,
        count(*) filter (where control_status = 'implemented') as implemented,
        count(*) filter (where control_status = 'partial') as partial,
        count(*) filter (where control_status = 'not_implemented') as not_implemented,
        count(*) filter (where control_status = 'not_applicable') as not_applicable,
        count(*) filter (where control_status <> 'not_applicable') as applicable,
        100.0 * count(*) filter (where control_status = 'implemented')
            / nullif(count(*) filter (where control_status <> 'not_applicable'), 0) as implemented_pct,
        -- 164.306(d)(3)(ii)(B): an addressable specification not (fully) implemented needs a documented reason and
        -- an equivalent alternative; the controls feed does not record them, so how many are documented is blank
        count(*) filter (where requirement = 'addressable' and control_status in ('partial', 'not_implemented'))
            as alternatives_needed,
        case when count(*) filter (where requirement = 'addressable'
                                   and control_status in ('partial', 'not_implemented')) = 0 then 0 end
            as alternatives_documented
    from kpi_rows
    group by all
)

select * from final order by safeguard, requirement desc
