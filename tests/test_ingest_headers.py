"""Headers as they come: renamed labels of custom reports matched by synonyms, blank header cells left out with a
warning, a report without a short description still loading. Numbers worked out by hand from each fixture."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from conftest import ingest, query, write_csv
from hitplan.ingest.profiles import detect, person_sources, profiles, column_map
from hitplan.ingest.source import _unique_names, blank_header_name
from hitplan.schema import feeds

FIX = Path(__file__).parent / "fixtures" / "exports"
T = dt.datetime



def counts(res):
    return tuple(res[k] for k in ("rows_read", "rows_loaded", "rows_merged", "rows_rejected", "rows_skipped"))


def test_custom_servicenow_report_with_renamed_labels_and_dashed_month_first_dates(store_path, cli):
    res = ingest(cli, "incidents", FIX / "servicenow_custom_labels.csv")
    assert res["profile"] == "servicenow-incidents"
    assert counts(res) == (6, 6, 0, 0, 0)
    assert query(store_path, "select number, opened_at, resolved_at, priority, state, short_description "
                             "from incidents order by number") == [
        ("INC0041001", T(2025, 2, 13, 15, 46, 6), T(2025, 2, 13, 18, 16, 6), 2, "resolved", "Wristband printer offline in ED triage"),
        ("INC0041002", T(2025, 2, 14, 8, 5), None, 3, "in_progress", "Cannot open PACS viewer"),
        ("INC0041003", T(2025, 2, 14, 9, 30), T(2025, 2, 14, 10, 0), 1, "closed", "Epic login loop on 4 West"),
        ("INC0041004", T(2025, 2, 15, 22, 10), None, 4, "on_hold", "Badge reader at pharmacy door"),
        ("INC0041005", T(2025, 2, 16, 7, 45), None, 3, "new", "Scanner driver missing"),
        ("INC0041006", T(2025, 2, 16, 13, 20), T(2025, 2, 17, 9, 20), 2, "resolved", "VPN drops for remote coders"),
    ]
    # backlog at the data's end: new, in progress, on hold; 3 resolved, each by its Resolved time
    assert query(store_path, "select count(*) filter (where state in ('new', 'in_progress', 'on_hold')), "
                             "count(*) filter (where resolved_at is not null) from incidents") == [(3, 3)]
    # Affected User is the caller, pseudonymized (the same person twice is one pseudonym); Assigned To is not kept
    callers = dict(query(store_path, "select number, caller from incidents"))
    assert all(c.startswith("P-") for c in callers.values())
    assert callers["INC0041001"] == callers["INC0041003"] != callers["INC0041002"]
    assert any("Assigned To" in w for w in res["warnings"])
    text = json.dumps(query(store_path, "select * from incidents"), default=str)
    assert "Inventedsson" not in text and "Marlowe" not in text


def test_a_custom_report_without_a_short_description_column_still_loads(store_path, cli):
    res = ingest(cli, "incidents", FIX / "servicenow_custom_no_description.csv")
    assert counts(res) == (1, 1, 0, 0, 0)
    assert query(store_path, "select number, opened_at, resolved_at, priority, state, short_description from incidents") == [
        ("INC0042001", T(2025, 2, 20, 10), T(2025, 2, 20, 12, 30), 3, "resolved", None)]


def test_blank_header_cells_are_left_out_with_a_warning_naming_them(tmp_path, store_path, cli):
    path = write_csv(tmp_path / "inc.csv", ["number", "", "opened_at", "state", ""],
                     [["INC1", "", "2025-03-04 08:15:00", "new", "stray"], ["INC2", "", "2025-03-05 09:00:00", "closed", ""]])
    res = ingest(cli, "incidents", path)  # the canonical profile refuses unknown columns, never blank ones
    assert (res["profile"], *counts(res)) == ("canonical", 2, 2, 0, 0, 0)
    note = next(w for w in res["warnings"] if "not loaded" in w)
    assert "(blank header: column 2, empty)" in note and "(blank header: column 5, has data)" in note
    assert query(store_path, "select number, state from incidents order by 1") == [("INC1", "new"), ("INC2", "closed")]


# ---- units ---------------------------------------------------------------------------------------------------

def test_blank_header_names_say_position_and_data():
    assert _unique_names(Path("x.csv"), ["a", " ", "a", ""], {4}) == [
        "a", "(blank header: column 2, empty)", "a (2)", "(blank header: column 4, has data)"]
    assert _unique_names(Path("x.xlsx"), ["a", ""]) == ["a", "(blank header: column 2)"]
    assert blank_header_name(14, False) == "(blank header: column 14, empty)"


def test_synonyms_meet_detect_markers_and_map_columns():
    inc = feeds()["incidents"]
    header = ["Incident", "Created", "Short Description", "Affected User", "Assigned To", "Priority", "State", "Resolved"]
    prof = detect(inc, header, file="x.csv")
    assert prof.name == "servicenow-incidents"
    mapping, unused = column_map(prof, inc, header, file="x.csv")
    assert {k: mapping[k] for k in ("number", "opened_at", "caller", "resolved_at")} == {
        "number": "Incident", "opened_at": "Created", "caller": "Affected User", "resolved_at": "Resolved"}
    assert unused == ["Assigned To"]
    # both person columns are persons: the caller stored pseudonymized, Assigned To never stored
    assert person_sources(prof, inc, header, mapping) == {"Affected User", "Assigned To"}


def test_first_filled_columns_become_per_row_coalesce_templates():
    tenable = profiles()["tenable-vm"]
    templates = tenable.derive["vulnerabilities"]["cvss"]
    assert templates[0].startswith("coalesce({CVSS v3 Base Score}, {CVSS3 Base Score}")
    assert "coalesce({CVSS3 Base Score}, {CVSS Base Score}, {CVSS})" in templates
    assert templates[-1] == "{definition.cvss2.base_score}"
    assert "cvss" not in tenable.columns["vulnerabilities"]
