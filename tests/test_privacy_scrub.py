"""Scrubbing free text: names found through keyed hashes of their forms, identifiers by pattern, the deny list."""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

from hitplan.errors import UsageError
from hitplan.ingest.pseudonymize import pseudonym
from hitplan.privacy.text import NameIndex, Scrubber, deny_patterns, person_forms, scrub_column

KEY = b"k" * 40


def _scrubber(*people: str, deny=()) -> Scrubber:
    index = NameIndex(KEY)
    for person in people:
        index.add_person(person, pseudonym(person, KEY))
    return Scrubber(KEY, index, deny=deny)


def test_a_person_value_gives_its_written_forms_never_a_bare_first_name():
    assert person_forms("David J. Miller") == {"david j miller", "david miller"}
    assert person_forms("Miller, David") == {"david miller"}
    assert person_forms("priya.raman@example.org") >= {"priya.raman@example.org", "priya.raman", "priya raman"}
    assert person_forms("Priya Raman (praman)") == {"priya raman", "praman"}
    assert person_forms("jsmith2") == {"jsmith2"}
    assert person_forms("dmiller") == {"dmiller"}  # a one-word value in lower case is a user id, matched whole
    assert person_forms("David") == set()  # a bare first name never is a form
    assert person_forms("System Administrator") == set()  # a service account, not a person
    assert person_forms("1234") == set()  # a bare number is never taken for a person


@pytest.mark.parametrize("text, expected", [
    ("Site Request from David Miller - please give Priya Raman access to Epic",
     "Site Request from {dm} - please give {pr} access to Epic"),
    ("Miller, David cannot log in", "{dm} cannot log in"),
    ("Request David Miller.", "Request {dm}."),
    ("rejects David Miller's badge", "rejects {dm}'s badge"),
    ("reset praman please", "reset {pr} please"),
    ("David cannot log in", "David cannot log in"),  # a bare first name stays
    ("Miller Road clinic printer", "Miller Road clinic printer"),
    ("Epic Haiku and Rover Mobile not loading", "Epic Haiku and Rover Mobile not loading"),
])
def test_names_known_to_the_index_are_replaced_by_the_persons_pseudonym(text, expected):
    scrubber = _scrubber("David Miller", "Priya Raman (praman)")
    dm, pr = pseudonym("David Miller", KEY), pseudonym("Priya Raman (praman)", KEY)
    assert scrubber.scrub(text) == expected.format(dm=dm, pr=pr)


@pytest.mark.parametrize("text, kind, label", [
    ("call (555) 201-3344 back", "phone", "[phone]"),
    ("call 555-201-3344 back", "phone", "[phone]"),
    ("SSN 123-45-6789 on file", "ssn", "[ssn]"),
    ("wrong chart for MRN: E1234567", "mrn", "[mrn]"),
    ("patient id 88004412 merged", "mrn", "[mrn]"),
    ("host 10.42.7.19 down", "ip", "[ip]"),
    ("fe80::1c2d:3e4f:5a6b unreachable", "ip", "[ip]"),
])
def test_identifiers_in_text_are_replaced_by_a_label_and_counted(text, kind, label):
    counts = Counter()
    out = _scrubber().scrub(text, counts)
    assert label in out and counts == {kind: 1}, out


def test_an_email_address_becomes_its_pseudonym_and_ticket_numbers_dates_and_extensions_stay():
    out = _scrubber().scrub("mail Jonas.Lindqvist@example.org about INC0020391 on 2025-03-04 10:30:45, x3500")
    assert out == f"mail {pseudonym('Jonas.Lindqvist@example.org', KEY)} about INC0020391 on 2025-03-04 10:30:45, x3500"


def test_the_deny_list_takes_words_and_patterns_and_refuses_bad_ones(tmp_path):
    deny = tmp_path / "deny.txt"
    deny.write_text("# people the rules miss\nDr. Okafor\nre:Bed\\s+\\d+[A-Z]\n\n", encoding="utf-8")
    out = _scrubber(deny=deny_patterns(deny)).scrub("Dr. Okafor asked to move Bed 12B; dr. okafor again")
    assert out == "[redacted] asked to move [redacted]; [redacted] again"
    assert deny_patterns(tmp_path / "missing.txt") == ()
    deny.write_text("re:(?<=x)y\n", encoding="utf-8")
    with pytest.raises(UsageError, match="line 1.*look-behind"):
        deny_patterns(deny)
    deny.write_text("ok\nre:(unclosed\n", encoding="utf-8")
    with pytest.raises(UsageError, match="line 2"):
        deny_patterns(deny)


def test_the_register_holds_hashes_and_pseudonyms_never_a_name():
    con = duckdb.connect()
    con.execute("create table name_register (form_hash varchar primary key, pseudonym varchar, kind varchar, "
                "load_id bigint)")
    index = NameIndex(KEY)
    index.add_person("Teresa Mbeki", pseudonym("Teresa Mbeki", KEY))
    index.add_person("teresa.mbeki@example.org", pseudonym("teresa.mbeki@example.org", KEY))
    assert index.save(con, 1) == 3  # "teresa mbeki" from the address is known already
    dump = str(con.execute("select * from name_register").fetchall()).lower()
    assert "teresa" not in dump and "mbeki" not in dump
    later = NameIndex.from_store(con, KEY)
    assert later.names_in("badge for Teresa Mbeki") == [(10, 22, pseudonym("Teresa Mbeki", KEY))]
    assert NameIndex.from_store(con, b"z" * 40).names_in("badge for Teresa Mbeki") == []  # another key: no match


def test_scrub_column_changes_only_the_rows_that_hold_something_and_only_those_selected():
    con = duckdb.connect()
    con.execute("create table t (s varchar, _load_id int)")
    con.execute("insert into t values ('Site Request from David Miller', 1), ('Epic down', 1), "
                "('call 555-201-3344', 1), ('David Miller again', 2), (null, 1)")
    counts = scrub_column(con, "t", "s", "_load_id = 1", _scrubber("David Miller"))
    assert counts == {"name": 1, "phone": 1}
    assert con.execute("select s from t order by rowid").fetchall() == [
        (f"Site Request from {pseudonym('David Miller', KEY)}",), ("Epic down",), ("call [phone]",),
        ("David Miller again",), (None,)]


def test_upgrading_a_store_says_to_scrub_what_an_older_version_loaded_and_scrub_does_it(store_path, cli, tmp_path,
                                                                                        monkeypatch):
    from hitplan import store

    # a store of schema version 6 (before the name register), holding an unscrubbed summary
    con = duckdb.connect(str(store_path))
    con.execute("drop table name_register")
    con.execute("alter table load_log drop column replacements")
    for col in ("updated_at", "calendar_duration_hours", "business_duration_hours", "time_worked_hours"):  # 0008
        con.execute(f"alter table incidents drop column {col}")
    con.execute("alter table rejects drop column line")  # 0009
    for col in ("breach_discovered_at", "individuals_notified_at", "hhs_notified_at", "individuals_affected",
                "vendor_engaged_at", "vendor_responded_at", "on_hold_hours"):  # 0010
        con.execute(f"alter table incidents drop column {col}")
    for col in ("addresses", "incident_reduction_low_pct", "incident_reduction_high_pct", "outage_reduction_low_pct",
                "outage_reduction_high_pct", "team_hours", "due_by", "finished_on"):  # 0011
        con.execute(f"alter table initiatives drop column {col}")
    con.execute(f"delete from {store.META_TABLE} where version >= 7")
    con.execute("insert into incidents (number, opened_at, short_description, _load_id) values "
                "('INC1', timestamp '2025-01-01 10:00', 'call 555-201-3344 or mail a.b@example.org', 1)")
    con.close()
    code, out, _ = cli("init")
    assert code == 0 and "6 -> 11" in out and "hitplan scrub" in out
    deny = tmp_path / "deny.txt"
    deny.write_text("call\n", encoding="utf-8")
    monkeypatch.setenv("HITPLAN_DENY_FILE", str(deny))
    code, out, _ = cli("scrub", "--dry-run")
    assert code == 0 and "incidents.short_description: would replace" in out and "1 phone numbers" in out
    assert "a.b@example.org" in str(con_rows(store_path))  # a dry run changes nothing
    code, out, _ = cli("scrub")
    assert code == 0 and "replaced 1 deny-list matches, 1 e-mail addresses, 1 phone numbers" in out
    (text,) = con_rows(store_path)[0]
    assert text.startswith("[redacted] [phone] or mail P-") and "example.org" not in text


def con_rows(path):
    from conftest import query

    return query(path, "select short_description from incidents")


def test_the_bulk_scrub_of_a_column_equals_scrubbing_each_text_on_its_own():
    """scrub_column replaces fragments DuckDB extracted; the result must be what Python's scrub gives each text."""
    import csv

    from fixtures.privacy.corpus import PEOPLE, SERVICENOW

    with SERVICENOW.open(encoding="utf-8", newline="") as fh:
        texts = [row.get("short_description") or "" for row in csv.DictReader(fh)]
    texts += ["Chart MRN 00123456 wrong", "Contact Priya Raman, Raman, Priya or praman at 10.42.7.19",
              "Teresa Mbeki's badge; TERESA MBEKI again", "Site Request from Jonas Lindqvist - Epic Haiku down",
              "mail jonas.lindqvist@mercyvale-health.org (555) 201-3344 SSN 123-45-6789"]
    scrubber = _scrubber(*PEOPLE, "praman")
    con = duckdb.connect()
    con.execute("create table t (s varchar)")
    con.executemany("insert into t values (?)", [[t] for t in texts])
    scrub_column(con, "t", "s", "true", scrubber)
    assert [r[0] for r in con.execute("select s from t order by rowid").fetchall()] == [scrubber.scrub(t) for t in texts]


def test_a_line_the_reader_cannot_split_is_scrubbed_even_when_it_starts_with_a_brace(store_path, cli, tmp_path):
    from conftest import query

    path = tmp_path / "inc.csv"
    path.write_text("number,opened_at,priority,short_description,caller\n"
                    "INC1,2025-01-01 10:00:00,2,printer jam,Dmitri Volkov\n"
                    '{INC2,2025-01-01 10:00:00,2,"call Dmitri Volkov at 555-201-3344",Dmitri Volkov,extra\n',
                    encoding="utf-8")
    code, out, err = cli("ingest", "incidents", path)
    assert code == 0 and "1 rejected" in out, err
    (raw,) = query(store_path, "select raw_row from rejects where row_number = 2")[0]
    assert raw.startswith("{INC2,") and "Volkov" not in raw and "555-201-3344" not in raw and "[phone]" in raw
