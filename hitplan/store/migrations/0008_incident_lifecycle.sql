-- 0008: what a list view exports when it has no resolved or closed time: the ticket's last update and the
-- durations the tool computed (ServiceNow sys_updated_on, calendar_duration, business_duration, time_worked;
-- Jira's Updated and "Time to resolution"), so a closed ticket's resolution time can still be measured or bounded.
alter table incidents add column updated_at TIMESTAMP;
alter table incidents add column calendar_duration_hours DOUBLE;
alter table incidents add column business_duration_hours DOUBLE;
alter table incidents add column time_worked_hours DOUBLE;
