-- grain: one row per course assignment to a person, with whether the course teaches an EHR

with training as (

    select * from stg_training

),

systems as (

    select * from stg_systems

),

final as (

    select
        training.person,
        training.role,
        training.department,
        training.course,
        training.system_id,
        systems.system_category,
        coalesce(systems.system_category = 'ehr', false) as is_ehr_course,
        training.assigned_on,
        training.due_on,
        training.completed_on
    from training
    left join systems on training.system_id = systems.system_id

)

select * from final
