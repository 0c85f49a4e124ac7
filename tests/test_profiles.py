"""Real tools' exports load as they come: profiles detected from the header, values read as the tool meant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import ingest, query, write_csv
from test_privacy import _all_text

FIX = Path(__file__).parent / "fixtures" / "exports"
T = dt.datetime



def test_servicenow_developer_instance_export_loads_whole(store_path, cli):
    res = ingest(cli, "incidents", FIX / "servicenow_dev_instance_incident.csv")
    assert (res["profile"], res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == ("servicenow-incidents", 66, 66, 0)
    assert query(store_path, "select opened_at, priority, state from incidents where number = 'INC0009005'") == [
        (T(2018, 8, 31, 21, 35, 21), 1, "new")
    ]
    assert query(store_path, "select count(*) from incidents where priority is null or state is null") == [(0,)]


@pytest.mark.slow
def test_servicenow_excel_resave_with_codes_prefixes_nulls_and_windows_1252(store_path, cli):
    res = ingest(cli, "incidents", FIX / "servicenow_excel_resaved.csv")
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (5, 5, 0)
    assert not any("calendar_duration" in w for w in res["warnings"])  # loaded: seconds, as the re-save wrote them
    assert query(store_path, "select number, calendar_duration_hours from incidents where calendar_duration_hours "
                             "is not null order by 1") == [("INC0020001", 1.5), ("INC0020002", 1.5)]
    rows = query(store_path, "select number, opened_at, resolved_at, closed_at, priority, impact, urgency, state, "
                             "assignment_group, system_id, short_description from incidents order by number")
    assert rows == [
        ("INC0020001", T(2025, 3, 4, 8, 5), T(2025, 3, 4, 9, 35), T(2025, 3, 7, 9, 35), 3, 2, 2, "closed", "Service Desk", "Print Fleet", "Printer on 4 West jams"),
        ("INC0020002", T(2025, 3, 4, 14, 40), T(2025, 3, 4, 16, 10), None, 2, 1, 2, "resolved", "Clinical Apps", "EHR Prod", "Epic – slow after upgrade\nseen on 3 PCs"),
        ("INC0020003", T(2025, 3, 5, 7, 0), None, None, 4, 3, 3, "new", "Service Desk", None, "Password reset"),
        ("INC0020004", T(2024, 12, 31, 23, 59), None, None, 1, 1, 1, "in_progress", "Network", "Core VPN", "VPN drops"),
        ("INC0020005", T(2025, 1, 2, 10, 0), None, None, 5, 3, 3, "canceled", "Service Desk", None, "Duplicate ticket"),
    ]
    # the same caller written the same way is one pseudonym; another caller another
    callers = dict(query(store_path, "select number, caller from incidents"))
    assert callers["INC0020001"] == callers["INC0020003"] != callers["INC0020004"]


def test_servicenow_custom_report_with_renamed_headers(store_path, cli):
    res = ingest(cli, "incidents", FIX / "servicenow_custom_report.csv")
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("servicenow-incidents", 3, 0)
    assert query(store_path, "select number, opened_at, priority, state from incidents order by number") == [
        ("INC0030001", T(2025, 6, 1, 9, 0), 2, "in_progress"),
        ("INC0030002", T(2025, 6, 2, 11, 30), 3, "resolved"),
        ("INC0030003", T(2025, 6, 3, 15, 45), 1, "on_hold"),
    ]


def test_jira_service_management_export(store_path, cli):
    res = ingest(cli, "incidents", FIX / "jsm_export.csv")
    assert (res["profile"], res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == ("jira-service-management", 3, 3, 0)
    assert "Labels (2)" in res["warnings"][0]
    assert query(store_path, "select number, opened_at, resolved_at, priority, state, category from incidents order by number") == [
        ("ITSM-101", T(2024, 3, 12, 9, 41), T(2024, 3, 12, 11, 0), 2, "resolved", "Incident"),
        ("ITSM-102", T(2024, 3, 13, 14, 15), None, 3, "on_hold", "Incident"),
        ("ITSM-103", T(2024, 4, 1, 8, 0), T(2024, 4, 1, 8, 45), 5, "resolved", "Service request"),
    ]


def test_cisa_kev_csv_and_json_layouts(store_path, cli):
    res = ingest(cli, "kev", FIX / "cisa_kev.json")
    assert (res["profile"], res["file_format"], res["rows_loaded"]) == ("cisa-kev", "json", 3)
    res = ingest(cli, "kev", FIX / "cisa_kev_sample.csv")
    assert (res["rows_loaded"], res["rows_replaced"]) == (5, 3)
    assert query(store_path, "select cve_id, vendor_project, date_added, due_date from kev where cve_id = 'CVE-2024-8068'") == [
        ("CVE-2024-8068", "Citrix", dt.date(2025, 8, 25), dt.date(2025, 9, 15))
    ]


@pytest.mark.slow
def test_no_name_from_any_export_reaches_the_store(store_path, cli):
    for f in ("servicenow_dev_instance_incident.csv", "servicenow_excel_resaved.csv", "servicenow_custom_report.csv",
              "jsm_export.csv"):
        ingest(cli, "incidents", FIX / f)
    text = _all_text(store_path).lower()
    for name in ["David Miller", "Joe Employee", "Fred Luddy", "Rick Berzle", "Avery Quinlan", "aquinlan",
                 "Morgan Tallis", "Jordan Pike", "Riley Okonkwo", "Sam Ferreira", "Quinn Adebayo", "Casey Lindqvist"]:
        assert name.lower() not in text, name


def test_unknown_tool_header_lists_the_closest_profiles(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "x.csv", ["Ticket", "When", "What"], [["T1", "2025-01-01", "printer"]])
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3 and "does not match any profile for the incidents feed" in err
    assert "servicenow-incidents lacks" in err and "jira-service-management lacks" in err and "--profile" in err


def test_right_tool_with_one_column_renamed_names_the_missing_column(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "sn.csv", ["number", "opened_at", "short desc", "priority", "state", "caller_id",
                                        "assignment_group", "cmdb_ci", "sys_updated_on", "calendar_duration"],
                  [["INC1", "2025-01-01 10:00:00", "x", "2 - High", "New", "A B", "[i] SD", "EHR", "2025-01-01", "60"]])
    code, _, err = cli("ingest", "incidents", f)
    assert code == 3 and "servicenow-incidents lacks short_description" in err


def test_mixed_date_layouts_parse_each_and_reject_what_fits_none(tmp_path, store_path, cli):
    header = ["number", "opened_at", "short_description", "priority", "state"]
    rows = [["INC1", "2025-03-04 08:00:00", "iso", "3", "New"],
            ["INC2", "3/4/2025 8:00", "us slash", "3", "New"],
            ["INC3", "25/12/2024 10:00", "day first", "3", "New"],
            ["INC4", "Tuesday", "words", "3", "New"]]
    f = write_csv(tmp_path / "sn.csv", header, rows)
    res = ingest(cli, "incidents", f, "--profile", "servicenow-incidents")
    assert (res["rows_loaded"], res["rows_rejected"]) == (2, 2)
    assert query(store_path, "select number, opened_at from incidents order by number") == [
        ("INC1", T(2025, 3, 4, 8, 0)), ("INC2", T(2025, 3, 4, 8, 0))]
    assert [r[0] for r in query(store_path, "select row_number from rejects order by 1")] == [3, 4]
    assert "opened_at: '25/12/2024 10:00'" in query(store_path, "select reason from rejects where row_number = 3")[0][0]


def test_date_order_is_declared_never_guessed(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "sn.csv", ["number", "opened_at", "short_description"], [["INC1", "03/04/2025 08:00", "x"]])
    ingest(cli, "incidents", f)
    assert query(store_path, "select opened_at from incidents") == [(T(2025, 3, 4, 8, 0),)]  # the profile's M/D
    g = write_csv(tmp_path / "sn2.csv", ["number", "opened_at", "short_description"], [["INC1", "03/04/2025 08:00", "y"]])
    ingest(cli, "incidents", g, "--date-order", "dmy")
    assert query(store_path, "select opened_at from incidents") == [(T(2025, 4, 3, 8, 0),)]


def test_unseen_priority_or_state_is_rejected_not_defaulted(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "sn.csv", ["number", "opened_at", "short_description", "priority", "state"],
                  [["INC1", "2025-01-01 10:00:00", "a", "0 - Unknown", "New"],
                   ["INC2", "2025-01-01 10:00:00", "b", "Urgent", "New"],
                   ["INC3", "2025-01-01 10:00:00", "c", "2 - High", "9"],
                   ["INC4", "2025-01-01 10:00:00", "d", "2 - High", "Parked"]])
    res = ingest(cli, "incidents", f)
    assert (res["rows_loaded"], res["rows_rejected"]) == (0, 4)
    reasons = [r[0] for r in query(store_path, "select reason from rejects order by row_number")]
    assert "priority: '0' is below the minimum 1" in reasons[0]
    assert "priority: 'Urgent' is not a whole number" in reasons[1]
    assert "state: '9' is not one of new" in reasons[2]
    assert "state: 'Parked' is not one of new" in reasons[3]


@pytest.mark.slow
def test_ten_megabyte_multiline_description_is_kept_out_of_the_way(tmp_path, store_path, cli):
    big = ("log line\n" * 1_200_000)[:10_000_000]
    f = write_csv(tmp_path / "sn.csv", ["number", "opened_at", "short_description", "description"],
                  [["INC1", "2025-01-01 10:00:00", "disk full", big], ["INC2", "2025-01-02 10:00:00", big, "x"]])
    res = ingest(cli, "incidents", f)
    assert (res["rows_read"], res["rows_loaded"], res["rows_rejected"]) == (2, 1, 1)
    assert "description" in res["warnings"][0]  # not a feed column: reported as not loaded
    (reason,) = query(store_path, "select reason from rejects")[0]
    assert reason.startswith("short_description: 10000000 characters, over the limit")


def test_two_exports_joined_in_one_file_are_rejected_with_a_hint(tmp_path, store_path, cli):
    sn = (FIX / "servicenow_custom_report.csv").read_text()
    jsm = (FIX / "jsm_export.csv").read_text(encoding="utf-8-sig")
    f = tmp_path / "joined.csv"
    f.write_text(sn + jsm.replace("\r\n", "\n") * 2, encoding="utf-8")
    res = ingest(cli, "incidents", f)
    # the second export's rows repeat the first's exactly (merged); its header line is a reject, and named
    assert (res["rows_read"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"]) == (7, 3, 3, 1)
    assert any("header appears again as a row at line 10: several exports joined in one file" in w
               for w in res["warnings"])


def test_first_epss_file_with_its_comment_line_and_scientific_notation(store_path, cli):
    res = ingest(cli, "epss", FIX / "epss_scores-2025-08-25.csv")
    assert (res["profile"], res["rows_read"], res["rows_loaded"]) == ("first-epss", 4, 4)
    rows = query(store_path, "select cve, epss, percentile, score_date, model_version from epss order by cve")
    assert rows[0] == ("CVE-1999-0001", 4.2e-05, 0.01256, dt.date(2025, 8, 25), "v2025.03.14")
    assert len({r[3] for r in rows}) == 1


def test_hhs_ocr_breach_report_loads_as_a_reference_table(store_path, cli):
    res = ingest(cli, "breaches", FIX / "hhs_ocr_breach_sample.csv")
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("hhs-ocr-breaches", 3, 0)
    assert query(store_path, "select covered_entity, state, individuals_affected, submitted_on, business_associate_present "
                             "from breaches order by submitted_on desc limit 1") == [
        ("University Urology", "NY", 56816, dt.date(2023, 5, 1), False)]


@pytest.mark.slow
def test_the_whole_real_ocr_report_loses_nothing(store_path, cli):
    real = Path(__file__).resolve().parents[2] / "shared" / "reference" / "hhs_ocr_breach_report.csv"
    if not real.exists():
        import pytest

        pytest.skip("the shared reference copy is not beside this checkout")
    res = ingest(cli, "breaches", real)
    assert res["rows_read"] == res["rows_loaded"] + res["rows_merged"] + res["rows_rejected"]
    assert res["rows_loaded"] >= 5350
    # the report repeats a few identical rows: folded into the row they repeat (merged), none rejected
    assert res["rows_merged"] >= 1 and res["rows_rejected"] == 0


# ---- vulnerability scanners: one finding per host x CVE ----------------------------------------

VULN = "select host, vuln_id, cve, cvss, severity, first_seen, last_seen, fixed_at, state, scanner from vulnerabilities"


def test_qualys_real_sample_splits_cve_lists_and_reads_its_scores(store_path, cli):
    res = ingest(cli, "vulnerabilities", FIX / "qualys_sample_report.csv")
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("qualys", 28, 0)
    # 6 records in the file, split into 28 findings: read + split = loaded + merged + rejected + skipped
    assert (res["rows_read"], res["rows_split"], res["rows_merged"], res["rows_skipped"]) == (6, 22, 0, 0)
    assert any("lists in 'CVE ID' were split" in w for w in res["warnings"])
    host = "ip-10-98-57-180.eu-west-1.compute.internal"
    assert query(store_path, f"{VULN} where host = ? and vuln_id = 'QID-105971'", [host]) == [
        (host, "QID-105971", None, 8.1, "critical", T(2021, 5, 13, 7, 8, 28), T(2021, 5, 25, 7, 36, 58), None, "open", "qualys")]
    (n_cves, cvss), = query(store_path, "select count(*), max(cvss) from vulnerabilities where cve is not null")
    assert (n_cves, cvss) == (23, 9.9)
    assert query(store_path, "select count(distinct host) from vulnerabilities") == [(4,)]


def test_qualys_report_with_a_metadata_block_above_the_table(store_path, cli):
    res = ingest(cli, "vulnerabilities", FIX / "qualys_with_metadata.csv")
    assert (res["rows_loaded"], res["rows_rejected"]) == (28, 0)


@pytest.mark.slow
def test_nessus_needs_a_scan_date_and_folds_repeats_per_port(tmp_path, store_path, cli):
    code, _, err = cli("ingest", "vulnerabilities", FIX / "nessus_classic.csv")
    assert code == 2 and "--scan-date" in err
    res = ingest(cli, "vulnerabilities", FIX / "nessus_classic.csv", "--scan-date", "2025-03-01")
    assert (res["profile"], res["rows_read"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"]) == (
        "nessus", 5, 4, 1, 0)
    assert query(store_path, "select host, vuln_id, cvss, severity, first_seen, state from vulnerabilities order by 1, 2") == [
        ("10.20.1.15", "CVE-2017-0143", 9.3, "critical", T(2025, 3, 1), "open"),
        ("10.20.1.15", "CVE-2017-0144", 9.3, "critical", T(2025, 3, 1), "open"),
        ("10.20.1.15", "NESSUS-10863", None, "info", T(2025, 3, 1), "open"),
        ("pacs01.hospital.example", "NESSUS-51192", 6.4, "medium", T(2025, 3, 1), "open"),
    ]
    res = ingest(cli, "vulnerabilities", FIX / "nessus_v10.csv", "--scan-date", "2025-03-01")
    assert query(store_path, "select cvss, severity from vulnerabilities where vuln_id = 'CVE-2024-3400'") == [(10.0, "critical")]


@pytest.mark.slow
def test_tenable_exports_in_both_layouts_with_utc_times_made_local(tmp_path, store_path, cli):
    hosp = write_csv(tmp_path / "hospital.csv", ["hospital_id", "name", "time_zone", "fiscal_year_start_month"],
                     [["H", "Test Hospital", "America/Chicago", "7"]])
    ingest(cli, "hospital", hosp)
    res = ingest(cli, "vulnerabilities", FIX / "tenable_vm.csv")
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("tenable-vm", 4, 0)
    assert query(store_path, f"{VULN} where host = 'hr-app-01'") == [
        ("hr-app-01", "CVE-2023-38408", "CVE-2023-38408", 7.5, "high", T(2024, 7, 31, 19, 30), T(2024, 11, 30, 18, 30),
         T(2024, 12, 4, 18, 30), "fixed", "tenable")]  # UTC 00:30 is 19:30 CDT in summer, 18:30 CST in winter
    assert query(store_path, "select vuln_id, state from vulnerabilities where host = 'pacs-web-01'") == [("TENABLE-51192", "reopened")]
    res = ingest(cli, "vulnerabilities", FIX / "tenable_vm_api.csv")
    assert (res["rows_loaded"], res["rows_replaced"]) == (2, 2)
    assert query(store_path, "select first_seen from vulnerabilities where host = 'ehr-db-01' and vuln_id = 'CVE-2021-44228'") == [
        (T(2025, 1, 10, 2, 0),)]


# ---- general ledger with a rules file -------------------------------------------------------------

RULES = Path(__file__).resolve().parents[1] / "hitplan" / "ingest" / "rules" / "tbm_example.yaml"


def test_general_ledger_export_mapped_by_the_rules_file(store_path, cli):
    res = ingest(cli, "costs", FIX / "gl_export.csv", "--rules", RULES)
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("general-ledger", 6, 0)
    assert (res["unmapped_lines"], res["unmapped_amount"]) == (1, 312.40)
    rows = query(store_path, "select entry_id, amount, cost_pool, tower, capex_opex, rgt from costs order by entry_id")
    from decimal import Decimal as D
    assert rows == [
        ("JE-2025-0412-1", D("125000.00"), "software", "application", "opex", "run"),  # vendor rule before GL range
        ("JE-2025-0412-2", D("8200.50"), "telecom", "network", "opex", None),
        ("JE-2025-0413-1", D("42000.00"), "cloud", "compute", "opex", None),  # description rule comes first
        ("JE-2025-0414-1", D("310000.00"), "hardware", "network", "capex", "grow"),
        ("JE-2025-0415-1", D("-125000.00"), "software", "application", "opex", None),  # a credit
        ("JE-2025-0416-1", D("312.40"), None, None, None, None),  # unmapped: loaded and reported, never dropped
    ]


def test_general_ledger_without_rules_loads_everything_and_reports_the_unmapped_spend(store_path, cli):
    res = ingest(cli, "costs", FIX / "gl_export.csv")
    assert (res["rows_loaded"], res["unmapped_lines"]) == (6, 6)
    assert any("have no cost pool" in w for w in res["warnings"])


def test_bad_rules_files_get_a_clear_message(tmp_path, store_path, cli):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - when: {gl_account: 'sixty'}\n    set: {cost_pool: software}\n")
    code, _, err = cli("ingest", "costs", FIX / "gl_export.csv", "--rules", bad)
    assert code == 3 and "rule 1: gl_account 'sixty' is not an account or a range" in err
    bad.write_text("rules:\n  - when: {gl_account: '6400-6499'}\n    set: {cost_pool: licences}\n")
    code, _, err = cli("ingest", "costs", FIX / "gl_export.csv", "--rules", bad)
    assert code == 3 and "cost_pool 'licences' is not one of" in err
    code, _, err = cli("ingest", "incidents", FIX / "jsm_export.csv", "--rules", RULES)
    assert code == 2 and "costs feed only" in err
    assert query(store_path, "select count(*) from costs") == [(0,)]


@pytest.mark.slow
def test_servicenow_event_log_collapses_to_the_latest_update_of_each_incident(store_path, cli):
    res = ingest(cli, "incidents", FIX / "servicenow_event_log.csv")
    assert (res["profile"], res["rows_read"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"]) == (
        "servicenow-event-log", 6, 2, 4, 0)
    assert query(store_path, "select number, state, opened_at, resolved_at, closed_at, priority, reassignment_count, "
                             "reopen_count, made_sla, assignment_group from incidents order by number") == [
        ("INC0000045", "closed", T(2016, 2, 29, 1, 16), T(2016, 2, 29, 11, 29), T(2016, 3, 5, 12, 0), 3, 1, 0, True, "Group 70"),
        ("INC0000047", "on_hold", T(2016, 2, 29, 4, 40), None, None, 3, 3, 1, False, "Group 24"),
    ]
    assert query(store_path, "select rows_read, rows_loaded, rows_merged from load_log where feed = 'incidents'") == [(6, 2, 4)]
    assert "caller 2403" not in _all_text(store_path).lower()
