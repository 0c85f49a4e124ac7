-- 0002: reference feeds for security priority and peer benchmarks: FIRST EPSS scores and the
-- HHS OCR breach report.

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
