-- 0010: what the standard definitions of three KPIs need and no earlier feed carried.
-- Breach notification (45 CFR 164.404(b), 164.408): a security incident the hospital determined to be a breach of
-- unsecured PHI, the day it was discovered, the day individuals and HHS were notified, and how many were affected.
alter table incidents add column breach_discovered_at TIMESTAMP;
alter table incidents add column individuals_notified_at TIMESTAMP;
alter table incidents add column hhs_notified_at TIMESTAMP;
alter table incidents add column individuals_affected BIGINT;
-- Vendor response (the contract's SLA clock): when the ticket was escalated to the vendor and when the vendor
-- first responded; the hospital's own desk acknowledgement is not the vendor's.
alter table incidents add column vendor_engaged_at TIMESTAMP;
alter table incidents add column vendor_responded_at TIMESTAMP;
-- ITIL / HDI resolution time excludes time the SLA clock was paused (on hold, awaiting caller or vendor):
-- ServiceNow task_sla pause_duration, Jira SLA paused time.
alter table incidents add column on_hold_hours DOUBLE;
