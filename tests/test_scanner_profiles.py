"""Scanner exports as they come: the tool is told from its header, severity is the tool's own, CVSS v3 wins over
v2 per finding, first and last found times are kept. Numbers worked out by hand from each fixture."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from unittest import mock

import pytest

from conftest import ingest, query
from hitplan.errors import InputError
from hitplan.ingest.profiles import detect, profiles, ranked_fits
from hitplan.schema import feeds

FIX = Path(__file__).parent / "fixtures" / "exports"
T = dt.datetime
VULN = "select host, vuln_id, cvss, severity, first_seen, last_seen, fixed_at, state, scanner from vulnerabilities"



def counts(res):
    return tuple(res[k] for k in ("rows_read", "rows_split", "rows_loaded", "rows_merged", "rows_rejected", "rows_skipped"))


def test_tenable_ui_export_with_blank_header_cells_is_tenable_and_reads_its_own_severity(store_path, cli):
    res = ingest(cli, "vulnerabilities", FIX / "tenable_vm_ui_blank_headers.csv")  # no --scan-date asked
    assert res["profile"] == "tenable-vm"
    # 20 findings + 2 empty trailing rows; SWEET32 on fw-edge-01 ports 443 and 8443 is one finding
    assert counts(res) == (22, 0, 19, 1, 0, 2)
    assert res["rows_read"] + res["rows_split"] == res["rows_loaded"] + res["rows_merged"] + res["rows_rejected"] + res["rows_skipped"]
    note = next(w for w in res["warnings"] if w.startswith("columns not loaded"))
    assert "(blank header: column 14, empty)" in note and "(blank header: column 20, has data)" in note
    # Risk, not Risk Factor (CVSS v2): 10 of the 20 rows have a different Risk Factor
    assert query(store_path, "select severity, count(*) from vulnerabilities group by 1 order by 1") == [
        ("critical", 5), ("high", 4), ("info", 1), ("low", 1), ("medium", 8)]
    assert query(store_path, "select state, count(*) from vulnerabilities group by 1 order by 1") == [
        ("fixed", 2), ("open", 16), ("reopened", 1)]
    rows = {r[:2]: r for r in query(store_path, VULN)}
    # v3 5.5 beside v2 7.6, Risk Medium beside Risk Factor High; UTC kept (no hospital time zone loaded)
    assert rows[("radiology-ws-07", "CVE-2013-3900")][2:] == (
        5.5, "medium", T(2025, 2, 3, 2, 15), T(2025, 3, 3, 2, 15), None, "open", "tenable")
    assert rows[("radiology-ws-07", "TENABLE-58453")][2:4] == (5.1, "medium")  # no v3: the v2 score
    assert rows[("hr-app-01", "CVE-1999-0524")][2:4] == (0.0, "low")  # Risk Low, Risk Factor None
    assert rows[("radiology-ws-07", "TENABLE-10863")][2:4] == (None, "info")  # Risk None, no score
    assert rows[("lab-app-02", "CVE-2017-0143")][2:8] == (
        8.1, "high", T(2024, 6, 1, 2), T(2024, 12, 1, 2), T(2024, 12, 8, 2), "fixed")
    assert rows[("fw-edge-01", "CVE-2016-2183")][2:6] == (7.5, "high", T(2025, 2, 3, 2, 15), T(2025, 3, 2, 2, 15))


def test_rapid7_insightvm_export(store_path, cli):
    res = ingest(cli, "vulnerabilities", FIX / "rapid7_insightvm.csv")
    assert res["profile"] == "rapid7-insightvm"
    # 6 records; MS17-010's two CVEs split into two rows; Log4j on ports 443 and 8443 is one finding
    assert counts(res) == (6, 1, 6, 1, 0, 0)
    rows = {r[:2]: r for r in query(store_path, VULN)}
    assert rows[("ehr-web-01", "CVE-2021-44228")][2:] == (
        10.0, "critical", T(2025, 1, 12, 3, 10), T(2025, 3, 3, 3, 10), None, "open", "rapid7")
    assert rows[("10.2.1.11", "CVE-2023-48795")][2:4] == (5.9, "high")  # no asset name: its address; level 4 is Severe
    assert rows[("pacs-img-02", "CVE-2017-0144")][2:4] == (8.1, "critical")  # v3 8.1 over v2 9.3; level 9
    assert rows[("pacs-img-02", "R7-tls-server-cert-expired")][2:4] == (2.6, "medium")  # no v3, level 3 Moderate
    assert rows[("lab-mid-01", "CVE-1999-0524")][2:4] == (0.0, "medium")


def test_defender_vulnerability_management_export(store_path, cli):
    res = ingest(cli, "vulnerabilities", FIX / "defender_vm.csv")
    assert res["profile"] == "defender-vm"
    # 10 rows; Java 8.0.381 and 8.0.371 on nurse-ws-114 share CVE-2024-20918: one finding
    assert counts(res) == (10, 0, 9, 1, 0, 0)
    assert query(store_path, "select severity, count(*) from vulnerabilities group by 1 order by 1") == [
        ("critical", 1), ("high", 5), ("low", 1), ("medium", 2)]
    rows = {r[:2]: r for r in query(store_path, VULN)}
    assert rows[("nurse-ws-114.hosp.example", "CVE-2024-20918")][2:] == (
        7.4, "high", T(2025, 1, 20, 10), T(2025, 3, 2, 8, 15, 27), None, "open", "defender")  # seven-digit fractions read, whole seconds kept
    assert rows[("pharm-srv-02.hosp.example", "CVE-2024-21338")][2:4] == (9.8, "critical")


def test_existing_scanner_exports_keep_their_severity_and_prefer_cvss_v3(store_path, cli):
    res = ingest(cli, "vulnerabilities", FIX / "nessus_v10.csv", "--scan-date", "2025-03-01")
    assert (res["profile"], res["rows_rejected"]) == ("nessus", 0)
    assert query(store_path, "select vuln_id, cvss, severity from vulnerabilities order by 1") == [
        ("CVE-2021-44228", 10.0, "critical"), ("CVE-2024-3400", 10.0, "critical")]


# ---- detection -------------------------------------------------------------------------------------------

NESSUS = ["Plugin ID", "CVE", "CVSS", "Risk", "Host", "Protocol", "Port", "Name", "Synopsis", "Description",
          "Solution", "See Also", "Plugin Output"]


def test_nessus_header_is_nessus_and_tenable_ui_header_is_tenable():
    vuln = feeds()["vulnerabilities"]
    assert detect(vuln, NESSUS, file="n.csv").name == "nessus"
    tenable = NESSUS + ["(blank header: column 14, empty)", "Vulnerability State", "IP Address", "Plugin Family",
                        "CVSS3 Base Score", "First Found", "Last Found", "Risk Factor", "Severity"]
    assert detect(vuln, tenable, file="t.csv").name == "tenable-vm"
    fits = {f.profile.name: f for f in ranked_fits(vuln, tenable)}
    assert fits["nessus"].eligible and fits["tenable-vm"].eligible  # both could read it: Tenable reads more
    assert fits["tenable-vm"].rank[0] > fits["nessus"].rank[0]


def test_first_and_last_found_tell_tenable_from_nessus_on_shared_columns():
    vuln = feeds()["vulnerabilities"]
    header = ["Plugin ID", "Host", "Name", "CVE", "CVSS", "Risk", "Vulnerability State", "First Found", "Last Found"]
    fits = {f.profile.name: f for f in ranked_fits(vuln, header)}
    assert fits["tenable-vm"].rank[0] > fits["nessus"].rank[0]  # State, First/Last Found: only Tenable reads them
    assert detect(vuln, header, file="x.csv").name == "tenable-vm"


def test_a_tie_no_column_separates_is_still_an_error_naming_both():
    vuln = feeds()["vulnerabilities"]
    twin = dataclasses.replace(profiles()["tenable-vm"], name="tenable-twin")
    header = ["Asset Name", "Plugin ID", "CVE", "Plugin Name", "Severity", "Vulnerability State", "First Found",
              "Last Found"]
    with mock.patch("hitplan.ingest.profiles.profiles", return_value={**profiles(), "tenable-twin": twin}):
        with pytest.raises(InputError) as err:
            detect(vuln, header, file="x.csv")
    assert "tenable-twin and tenable-vm fit it equally well" in str(err.value) or \
        "tenable-vm and tenable-twin fit it equally well" in str(err.value)


def test_every_new_scanner_profile_declares_its_person_columns():
    for name in ("rapid7-insightvm", "defender-vm"):
        assert profiles()[name].person_columns == ()
