-- 0007: the name register, so that a name met in a person column of one load (a caller, an assignee) is found
-- and replaced in the free text of every later load. It holds keyed hashes of the name's forms ("first last",
-- a user id, an e-mail address: HMAC-SHA256 under the pseudonymization key), never a name, each with the
-- pseudonym that replaces it (hitplan/privacy/text.py).
create table name_register (
    form_hash                VARCHAR primary key,
    pseudonym                VARCHAR not null,
    kind                     VARCHAR not null,  -- name | id | email
    load_id                  BIGINT             -- the load that first met it
);
-- replacements each load made in free text, per column and kind, as JSON: {"short_description": {"name": 3}}
alter table load_log add column replacements VARCHAR;
