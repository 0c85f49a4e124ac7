-- 0003: names by which exports refer to systems (CI names, scanner host names and addresses), so that
-- incidents and findings link to the inventory.

-- one row per name by which an export refers to a system
create table system_aliases (
    alias                    VARCHAR,
    system_id                VARCHAR,
    kind                     VARCHAR,
    _load_id                 bigint not null
);
