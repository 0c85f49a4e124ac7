-- 0004: what service-desk exports record about each incident's handling: reassignments and whether it
-- made its SLA (ServiceNow's reassignment_count and made_sla).
alter table incidents add column reassignment_count BIGINT;
alter table incidents add column made_sla BOOLEAN;
