-- 0002: reference feeds for security priority and peer benchmarks: FIRST EPSS scores and the
-- HHS OCR breach report; the load log learns how many rows a load folded into others (scanner
-- exports repeat a finding per port or plugin).

alter table load_log add column rows_merged bigint default 0;

-- one row per CVE with its FIRST Exploit Prediction Scoring System score
create table epss (
    cve                      VARCHAR,
    epss                     DOUBLE,
    percentile               DOUBLE,
    score_date               DATE,
    model_version            VARCHAR,
    _load_id                 bigint not null
);

-- one row per breach of unsecured PHI affecting 500 or more individuals, as reported to HHS OCR
create table breaches (
    covered_entity           VARCHAR,
    state                    VARCHAR,
    entity_type              VARCHAR,
    individuals_affected     BIGINT,
    submitted_on             DATE,
    breach_type              VARCHAR,
    breached_location        VARCHAR,
    business_associate_present BOOLEAN,
    _load_id                 bigint not null
);
