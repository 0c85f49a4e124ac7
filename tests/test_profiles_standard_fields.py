"""Issue 16: the fields the standard KPI definitions need and no ITSM export names the same way (breach discovery and
notice dates, vendor escalation times, SLA pause time) are read by every incident profile when the export carries
them under hitplan's own names (ServiceNow custom fields u_... too), and ServiceNow's own made_sla and
reassignment_count are no longer dropped. A load without them leaves them blank: the KPIs say not measurable."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import ingest, query, write_csv

T = dt.datetime

NEW = ["breach_discovered_at", "individuals_notified_at", "hhs_notified_at", "individuals_affected",
       "vendor_engaged_at", "vendor_responded_at", "on_hold_hours"]
SELECT = "select " + ", ".join(NEW) + " from incidents order by number"


def test_servicenow_reads_its_own_sla_fields_and_custom_u_fields(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "incident.csv",
                  ["number", "opened_at", "state", "priority", "short_description", "made_sla", "reassignment_count",
                   "u_breach_discovered_at", "u_individuals_notified_at", "u_hhs_notified_at", "u_individuals_affected",
                   "u_vendor_engaged_at", "u_vendor_responded_at", "u_on_hold_hours"],
                  [["INC0010001", "01/05/2026 10:00", "Closed", "1 - Critical", "EHR slow", "false", "2",
                    "01/06/2026 09:00", "02/20/2026 09:00", "02/21/2026 10:00", "612",
                    "01/05/2026 10:30", "01/05/2026 11:05", "2 Hours 30 Minutes"]])
    s = ingest(cli, "incidents", f)
    assert s["profile"] == "servicenow-incidents" and s["rows_loaded"] == 1
    assert query(store_path, "select made_sla, reassignment_count from incidents") == [(False, 2)]
    assert query(store_path, SELECT) == [(T(2026, 1, 6, 9), T(2026, 2, 20, 9), T(2026, 2, 21, 10), 612,
                                          T(2026, 1, 5, 10, 30), T(2026, 1, 5, 11, 5), 2.5)]


@pytest.mark.parametrize("header,row", [
    # Jira Service Management "all fields" CSV with the columns added under hitplan's names
    (["Issue key", "Summary", "Created", "Status", "vendor_engaged_at", "vendor_responded_at", "on_hold_hours"],
     ["HD-1", "Printer down", "12/Mar/26 9:41 AM", "Done", "12/Mar/26 10:00 AM", "12/Mar/26 10:20 AM", "1.5"]),
])
def test_other_tools_read_them_under_hitplans_names(tmp_path, store_path, cli, header, row):
    s = ingest(cli, "incidents", write_csv(tmp_path / "export.csv", header, [row]))
    assert s["rows_loaded"] == 1
    got = query(store_path, "select vendor_engaged_at, vendor_responded_at, on_hold_hours from incidents")
    assert got == [(T(2026, 3, 12, 10, 0), T(2026, 3, 12, 10, 20), 1.5)]


def test_an_export_without_them_leaves_them_blank_and_the_kpis_say_not_measurable(tmp_path, store_path, cli):
    f = write_csv(tmp_path / "incident.csv", ["number", "opened_at", "state", "priority", "short_description"],
                  [["INC0010002", "01/05/2026 10:00", "Closed", "1 - Critical", "EHR slow"]])
    ingest(cli, "incidents", f)
    assert query(store_path, SELECT) == [(None,) * len(NEW)]
    code, out, err = cli("kpi", "breach_notification_timeliness", "--period", "2026-01", "--format", "json")
    assert code == 0, err
    assert "not measurable" in out and "breach_discovered_at" in out
