-- 0005: every load accounts for every record it read: read (+ split) = loaded + merged + rejected + skipped.
-- rows_skipped: empty records (blank lines, rows with every value blank). rows_split: rows a profile made by
-- splitting a list in one cell into one row per item (Qualys' CVE lists), beyond the file's records.
alter table load_log add column rows_skipped bigint default 0;
alter table load_log add column rows_split bigint default 0;
-- Loads logged before counted merged rows in rows_loaded as well; rows_loaded is now the rows kept.
update load_log set rows_loaded = rows_loaded - rows_merged where rows_merged > 0;
