-- 0006: the fingerprint of the key the store's personal identifiers were pseudonymized with, so a load
-- with another key (or none) is refused instead of adding rows whose pseudonyms match nothing stored.
-- The fingerprint is an HMAC of a constant under the key, never the key (hitplan/ingest/pseudonymize.py).

-- one row: the key fingerprint recorded at the store's first load
create table key_fingerprint (
    fingerprint              VARCHAR not null,
    recorded_at              TIMESTAMP not null
);
