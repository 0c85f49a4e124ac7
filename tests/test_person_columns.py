"""Which export columns hold persons: header words, service accounts, each profile's list, and person_sources."""

from __future__ import annotations

import csv

import pytest

from fixtures.privacy.corpus import LATER_JIRA, PEOPLE, SECRETS, SERVICENOW, TRAINING
from hitplan.ingest.profiles import column_map, normalize_name, person_sources, profile, profiles
from hitplan.privacy.headers import is_person_header, is_service_account, normalize_header
from hitplan.schema import feed, feeds


def _header(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


@pytest.mark.parametrize("header", [
    "caller_id", "Caller", "u_affected_user", "Affected User", "Assigned to", "assignedTo", "Assignee",
    "opened_by", "Closed by", "resolved_by", "Created by", "Updated by", "sys_created_by", "sysUpdatedBy",
    "sys_mod_by", "Reporter", "Requester", "Requested for", "requested_by", "Owner", "E-mail", "email",
    "caller_id.email", "User Name", "username", "UserID", "user_id", "Login", "Employee", "Manager", "Approver",
    "Approved By", "Entered By", "Contact", "Watchers", "Watchers (2)", "watch_list", "Technician",
    "Custom field (Request participants)", "Assignee Id", "\ufeffReporter",
])
def test_headers_that_name_a_person(header):
    assert is_person_header(header)


@pytest.mark.parametrize("header", [
    "users_affected", "reopen_count", "reassignment_count", "assignment_group", "owner_department",
    "caller_id.department", "caller_id.location", "contact_type", "caused_by", "short_description", "opened_at",
    "sys_created_on", "number", "group_list", "Mail Server", "licensed_users", "active_users", "Summary",
    "Issue key", "Plugin Output", "", "  ",
])
def test_headers_that_do_not(header):
    assert not is_person_header(header)


def test_no_declared_non_pii_feed_column_reads_as_a_person():
    # A declared column says what it holds; only the pii ones are persons.
    wrong = [(f.name, c.name) for f in feeds().values() for c in f.columns if not c.pii and is_person_header(c.name)]
    assert wrong == []


def test_header_normalization_splits_camel_case_and_separators():
    assert normalize_header("sysCreatedBy") == "sys created by"
    assert normalize_header("caller_id.e-mail") == "caller id e mail"
    assert normalize_header("  Problem CoordinatorATF ") == "problem coordinator atf"
    assert normalize_header("UserID") == "user id"


@pytest.mark.parametrize("value", [
    "System Administrator", "system administrator", "survey user", "Problem CoordinatorATF", "admin", "guest",
    "Guest", "integration", "MID Server", "discovery", "svc_backup", "backup_svc", "svc-epic@hospital.org",
    "Integration User", "API User", "ServiceNow Bot", "automation", "noreply@hospital.org", "Qualys Scanner",
])
def test_service_accounts(value):
    assert is_service_account(value)


@pytest.mark.parametrize("value", ["David Miller", "Miller, David", "abel.tuter", "jsmith2", "Beth Anglin",
                                   "priya.raman@mercyvale-health.org", "Adminah Okafor", "", "Botha, Pieter"])
def test_people_are_not_service_accounts(value):
    assert not is_service_account(value)


def test_every_profile_declares_its_person_columns():
    text = {p.name: p for p in profiles().values()}
    assert "assigned_to" in text["servicenow-incidents"].person_columns
    assert "sys_created_by" in text["servicenow-incidents"].person_columns
    assert "caller_id_email" in text["servicenow-incidents"].person_columns
    assert "resolved_by" in text["servicenow-incidents"].person_columns  # a label "Resolved by" normalizes the same
    assert {"assignee_id", "reporter_id", "watchers", "creator"} <= set(text["jira-service-management"].person_columns)
    assert "sys_updated_by" in text["servicenow-event-log"].person_columns
    assert "personnel_number" in text["general-ledger"].person_columns
    assert set(text["canonical"].person_columns) == {c.name for f in feeds().values() for c in f.columns if c.pii}
    assert text["nessus"].person_columns == ()
    for p in profiles().values():
        assert len(set(p.person_columns)) == len(p.person_columns), p.name
        assert all(n == normalize_name(n) for n in p.person_columns), p.name


def test_person_sources_on_the_servicenow_demo_export():
    prof, inc = profile("servicenow-incidents"), feed("incidents")
    header = ["number", "opened_at", "short_description", "caller_id", "priority", "state", "assignment_group",
              "assigned_to"]  # the header of ServiceNow's developer-instance incident export
    mapping, _unused = column_map(prof, inc, header, file="x.csv")
    assert person_sources(prof, inc, header, mapping) == {"caller_id", "assigned_to"}


def test_person_sources_on_the_privacy_corpus_servicenow_export():
    prof, inc = profile("servicenow-incidents"), feed("incidents")
    header = _header(SERVICENOW)
    mapping, _unused = column_map(prof, inc, header, file=str(SERVICENOW))
    assert person_sources(prof, inc, header, mapping) == {
        "caller_id", "u_email", "assigned_to", "resolved_by", "closed_by", "sys_created_by", "sys_updated_by"}


def test_person_sources_on_a_jira_export_numbers_repeats_and_ids():
    prof, inc = profile("jira-service-management"), feed("incidents")
    header = _header(LATER_JIRA)
    header[header.index("Watchers", header.index("Watchers") + 1)] = "Watchers (2)"  # as source.py names a repeat
    header += ["Project lead", "Project lead id", "Custom field (Request participants)", "Custom field (Team)"]
    mapping, _unused = column_map(prof, inc, header, file=str(LATER_JIRA))
    assert mapping["caller"] == "Reporter"
    assert person_sources(prof, inc, header, mapping) == {
        "Reporter", "Reporter Id", "Assignee", "Assignee Id", "Creator", "Creator Id", "Watchers", "Watchers (2)",
        "Project lead", "Project lead id", "Custom field (Request participants)"}


def test_a_column_mapped_to_a_declared_non_pii_column_is_never_a_person():
    # A hand-made canonical file whose users_affected and owner-like columns are declared, not persons.
    prof, inc = profile("canonical"), feed("incidents")
    header = ["number", "opened_at", "caller", "users_affected", "assignment_group", "department", "Assigned To"]
    mapping, _unused = column_map(prof, inc, header, file="x.csv", ignore_extra=True)
    assert person_sources(prof, inc, header, mapping) == {"caller", "Assigned To"}
    systems = feed("systems")
    header = ["system_id", "name", "owner_department", "Owner", "Owner E-mail"]
    mapping = {"system_id": "system_id", "name": "name", "owner_department": "owner_department"}
    assert person_sources(prof, systems, header, mapping) == {"Owner", "Owner E-mail"}


def test_a_person_named_column_mapped_to_a_declared_column_follows_the_feed():
    # If a profile maps an oddly named export column to a declared non-pii column, the feed's rule wins.
    prof, inc = profile("servicenow-incidents"), feed("incidents")
    header = ["number", "opened_at", "short_description", "caller_id", "caller_id.department"]
    mapping, _unused = column_map(prof, inc, header, file="x.csv")
    assert mapping["department"] == "caller_id.department"
    assert person_sources(prof, inc, header, mapping) == {"caller_id"}
    mapping = dict(mapping, category="Opened by")  # a contrived map: a declared non-pii column fed by "Opened by"
    assert "Opened by" not in person_sources(prof, inc, header + ["Opened by"], mapping)


def test_the_corpus_plants_every_secret_it_lists():
    text = "\n".join(p.read_text(encoding="utf-8-sig") for p in (SERVICENOW, TRAINING, LATER_JIRA))
    assert [s for s in SECRETS if s not in text] == []
    assert len(PEOPLE) >= 12
