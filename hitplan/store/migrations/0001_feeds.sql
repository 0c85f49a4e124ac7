-- 0001: every raw feed table, the load log and the rejects.
-- Raw feed tables are written only by `hitplan ingest`; keys are enforced by ingest (keyed upsert),
-- not by indexes, because DuckDB bulk-loads fastest into tables without them.

create table load_log (
    load_id         bigint primary key,
    feed            varchar not null,
    file_name       varchar not null,
    file_sha256     varchar not null,
    file_format     varchar not null,
    profile         varchar not null,
    rows_read       bigint not null,
    rows_loaded     bigint not null,
    rows_replaced   bigint not null,
    rows_rejected   bigint not null,
    rows_unlinked   bigint not null,
    started_at      timestamp not null,
    finished_at     timestamp not null,
    hitplan_version varchar not null
);

create table rejects (
    load_id     bigint not null,
    row_number  bigint not null,
    column_name varchar,
    reason      varchar not null,
    raw_row     varchar
);

-- one row per hospital (normally exactly one) with the profile used for periods and benchmarks
create table hospital (
    hospital_id              VARCHAR,
    name                     VARCHAR,
    time_zone                VARCHAR,
    fiscal_year_start_month  BIGINT,
    beds                     BIGINT,
    operating_expense        DECIMAL(18,2),
    revenue                  DECIMAL(18,2),
    staff                    BIGINT,
    state                    VARCHAR,
    currency                 VARCHAR,
    _load_id                 bigint not null
);

-- one row per vendor
create table vendors (
    vendor_id                VARCHAR,
    name                     VARCHAR,
    category                 VARCHAR,
    is_strategic             BOOLEAN,
    _load_id                 bigint not null
);

-- one row per system in the inventory (application, infrastructure component or medical-device network)
create table systems (
    system_id                VARCHAR,
    name                     VARCHAR,
    kind                     VARCHAR,
    category                 VARCHAR,
    criticality_tier         BIGINT,
    vendor_id                VARCHAR,
    hosting                  VARCHAR,
    go_live                  DATE,
    end_of_support           DATE,
    licensed_users           BIGINT,
    rto_hours                DOUBLE,
    rpo_hours                DOUBLE,
    holds_phi                BOOLEAN,
    owner_department         VARCHAR,
    _load_id                 bigint not null
);

-- one row per incident ticket (its latest state)
create table incidents (
    number                   VARCHAR,
    system_id                VARCHAR,
    opened_at                TIMESTAMP,
    acknowledged_at          TIMESTAMP,
    resolved_at              TIMESTAMP,
    closed_at                TIMESTAMP,
    priority                 BIGINT,
    impact                   BIGINT,
    urgency                  BIGINT,
    state                    VARCHAR,
    category                 VARCHAR,
    assignment_group         VARCHAR,
    short_description        VARCHAR,
    caller                   VARCHAR,
    department               VARCHAR,
    is_security              BOOLEAN,
    outage_minutes           DOUBLE,
    users_affected           BIGINT,
    reopen_count             BIGINT,
    _load_id                 bigint not null
);

-- one row per day per system per department
create table usage (
    day                      DATE,
    system_id                VARCHAR,
    department               VARCHAR,
    active_users             BIGINT,
    sessions                 BIGINT,
    transactions             BIGINT,
    _load_id                 bigint not null
);

-- one row per general-ledger or accounts-payable line
create table costs (
    entry_id                 VARCHAR,
    posting_date             DATE,
    amount                   DECIMAL(18,2),
    currency                 VARCHAR,
    gl_account               VARCHAR,
    cost_center              VARCHAR,
    vendor_id                VARCHAR,
    invoice_number           VARCHAR,
    system_id                VARCHAR,
    cost_pool                VARCHAR,
    tower                    VARCHAR,
    capex_opex               VARCHAR,
    rgt                      VARCHAR,
    description              VARCHAR,
    _load_id                 bigint not null
);

-- one row per month per cost pool per cost center (cost center blank = the whole pool)
create table budgets (
    fiscal_year              BIGINT,
    month                    DATE,
    cost_pool                VARCHAR,
    cost_center              VARCHAR,
    amount                   DECIMAL(18,2),
    _load_id                 bigint not null
);

-- one row per contract
create table contracts (
    contract_id              VARCHAR,
    vendor_id                VARCHAR,
    system_id                VARCHAR,
    title                    VARCHAR,
    start_date               DATE,
    end_date                 DATE,
    annual_value             DECIMAL(18,2),
    notice_days              BIGINT,
    auto_renew               BOOLEAN,
    sla_availability_pct     DOUBLE,
    sla_response_minutes     DOUBLE,
    baa_signed               BOOLEAN,
    _load_id                 bigint not null
);

-- one row per host per vulnerability (CVE, or scanner check when there is no CVE)
create table vulnerabilities (
    host                     VARCHAR,
    vuln_id                  VARCHAR,
    cve                      VARCHAR,
    system_id                VARCHAR,
    title                    VARCHAR,
    cvss                     DOUBLE,
    severity                 VARCHAR,
    first_seen               TIMESTAMP,
    last_seen                TIMESTAMP,
    fixed_at                 TIMESTAMP,
    state                    VARCHAR,
    scanner                  VARCHAR,
    _load_id                 bigint not null
);

-- one row per CVE in CISA's Known Exploited Vulnerabilities catalog
create table kev (
    cve_id                   VARCHAR,
    vendor_project           VARCHAR,
    product                  VARCHAR,
    vulnerability_name       VARCHAR,
    date_added               DATE,
    due_date                 DATE,
    known_ransomware_use     VARCHAR,
    _load_id                 bigint not null
);

-- one row per disaster-recovery test of a system
create table dr_tests (
    test_id                  VARCHAR,
    system_id                VARCHAR,
    test_date                DATE,
    test_type                VARCHAR,
    rto_target_hours         DOUBLE,
    rto_achieved_hours       DOUBLE,
    rpo_target_hours         DOUBLE,
    rpo_achieved_hours       DOUBLE,
    passed                   BOOLEAN,
    notes                    VARCHAR,
    _load_id                 bigint not null
);

-- one row per backup job run
create table backups (
    job_id                   VARCHAR,
    system_id                VARCHAR,
    started_at               TIMESTAMP,
    finished_at              TIMESTAMP,
    status                   VARCHAR,
    size_gb                  DOUBLE,
    _load_id                 bigint not null
);

-- one row per course assignment to a person
create table training (
    person                   VARCHAR,
    role                     VARCHAR,
    department               VARCHAR,
    course                   VARCHAR,
    system_id                VARCHAR,
    assigned_on              DATE,
    due_on                   DATE,
    completed_on             DATE,
    _load_id                 bigint not null
);

-- one row per phishing simulation campaign per department
create table phishing (
    campaign_id              VARCHAR,
    campaign_date            DATE,
    department               VARCHAR,
    sent                     BIGINT,
    clicked                  BIGINT,
    reported                 BIGINT,
    _load_id                 bigint not null
);

-- one row per control of a framework (e.g. one HIPAA Security Rule implementation specification)
create table controls (
    framework                VARCHAR,
    control_id               VARCHAR,
    title                    VARCHAR,
    safeguard                VARCHAR,
    requirement              VARCHAR,
    status                   VARCHAR,
    last_evidence_on         DATE,
    owner                    VARCHAR,
    _load_id                 bigint not null
);

-- one row per audit or assessment finding
create table findings (
    finding_id               VARCHAR,
    source                   VARCHAR,
    framework                VARCHAR,
    control_id               VARCHAR,
    title                    VARCHAR,
    severity                 VARCHAR,
    opened_on                DATE,
    due_on                   DATE,
    closed_on                DATE,
    _load_id                 bigint not null
);

-- one row per candidate technology initiative
create table initiatives (
    initiative_id            VARCHAR,
    name                     VARCHAR,
    area                     VARCHAR,
    description              VARCHAR,
    target_systems           VARCHAR,
    capex                    DECIMAL(18,2),
    opex_per_year            DECIMAL(18,2),
    savings_per_year         DECIMAL(18,2),
    staff_hours              BIGINT,
    duration_quarters        BIGINT,
    earliest_start           DATE,
    depends_on               VARCHAR,
    excludes                 VARCHAR,
    mandatory                BOOLEAN,
    mandatory_reason         VARCHAR,
    incident_reduction_pct   DOUBLE,
    outage_reduction_pct     DOUBLE,
    strategic_alignment      DOUBLE,
    confidence               DOUBLE,
    status                   VARCHAR,
    _load_id                 bigint not null
);
