-- 0011: what decision-grade prioritization needs of an initiative (issue 17): the risk classes it removes (with a
-- share where it is partial), a low / high range around its expected effects, its staff hours by team, an explicit
-- must-finish-by day, and for a done initiative the day it finished (benefits realization).
alter table initiatives add column addresses VARCHAR;
alter table initiatives add column incident_reduction_low_pct DOUBLE;
alter table initiatives add column incident_reduction_high_pct DOUBLE;
alter table initiatives add column outage_reduction_low_pct DOUBLE;
alter table initiatives add column outage_reduction_high_pct DOUBLE;
alter table initiatives add column team_hours VARCHAR;
alter table initiatives add column due_by DATE;
alter table initiatives add column finished_on DATE;
