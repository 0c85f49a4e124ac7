"""The export corpus: every layout in tests/fixtures/exports loads as a user would load it (no --profile), loses
nothing (read + split = loaded + merged + rejected + skipped, no false rejection), and gives the numbers worked out
by hand from the file: for service-desk exports the backlog at the data's end, the resolved count and how each
resolution time is known; no person named in an export's person columns is stored anywhere.

Where each fixture comes from: tests/fixtures/exports/README.md. The hand counts, per fixture:
- servicenow_dev_instance_incident: a real developer-instance export, states only (Closed 27, In Progress 20, New 12,
  On Hold 7), no resolved, closed or update time: backlog 39, resolved 27, every resolution time unknown.
- servicenow_excel_resaved: closed, resolved, new, in progress, canceled: backlog 2; 2 resolved, both by timestamps.
- servicenow_custom_report: In Progress, Resolved, On Hold; a last_update column: backlog 2; the resolved one by its
  last update (an upper bound).
- servicenow_custom_labels: 3 resolved with a Resolved time, new / in progress / on hold open: backlog 3.
- servicenow_custom_no_description: one resolved ticket, no short description column.
- servicenow_legacy_states: Active, Work In Progress, Pending, Awaiting ... (9 open), 4 resolved or closed (3 by
  their resolved or closed time, 1 closed one by its last update), 1 canceled.
- servicenow_list_no_times: no resolved or closed time (see tests/test_lifecycle.py for each ticket): 2 open, 17
  resolved or closed: 9 by the calendar duration, 2 by the business duration, 5 by the last update, 1 unknown.
- servicenow_event_log: 6 updates of 2 incidents, collapsed to each one's latest: one resolved, one open.
- jsm_export: resolved, waiting for customer, resolved: backlog 1, 2 resolved by timestamps.
- bmc_helix, freshservice, manageengine_sdp, ivanti_cherwell: see tests/test_itsm_profiles.py.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import query
from hitplan.ingest.profiles import column_map, person_sources, profile
from hitplan.models import attach_models
from hitplan.schema import feeds
from hitplan.store import connect
from test_privacy import _all_text

pytestmark = pytest.mark.slow

FIX = Path(__file__).parent / "fixtures" / "exports"


@dataclass(frozen=True)
class Layout:
    file: str
    feed: str
    profile: str
    counts: tuple[int, int, int, int, int, int]  # read, split, loaded, merged, rejected, skipped
    backlog: int | None = None  # incidents: open at the end of the default period (the data's last month)
    basis: dict[str, int] = field(default_factory=dict)  # incidents: resolved or closed tickets by resolution basis
    options: tuple[str, ...] = ()


LAYOUTS = [
    Layout("servicenow_dev_instance_incident.csv", "incidents", "servicenow-incidents", (66, 0, 66, 0, 0, 0), 39,
           {"unknown": 27}),
    Layout("servicenow_excel_resaved.csv", "incidents", "servicenow-incidents", (5, 0, 5, 0, 0, 0), 2,
           {"timestamps": 2}),
    Layout("servicenow_custom_report.csv", "incidents", "servicenow-incidents", (3, 0, 3, 0, 0, 0), 2,
           {"last_update": 1}),
    Layout("servicenow_custom_labels.csv", "incidents", "servicenow-incidents", (6, 0, 6, 0, 0, 0), 3,
           {"timestamps": 3}),
    Layout("servicenow_custom_no_description.csv", "incidents", "servicenow-incidents", (1, 0, 1, 0, 0, 0), 0,
           {"timestamps": 1}),
    Layout("servicenow_legacy_states.csv", "incidents", "servicenow-incidents", (14, 0, 14, 0, 0, 0), 9,
           {"timestamps": 3, "last_update": 1}),
    Layout("servicenow_list_no_times.csv", "incidents", "servicenow-incidents", (20, 0, 20, 0, 0, 0), 2,
           {"calendar_duration": 9, "business_duration": 2, "last_update": 5, "unknown": 1}),
    Layout("servicenow_event_log.csv", "incidents", "servicenow-event-log", (6, 0, 2, 4, 0, 0), 1,
           {"timestamps": 1}),
    Layout("jsm_export.csv", "incidents", "jira-service-management", (3, 0, 3, 0, 0, 0), 1, {"timestamps": 2}),
    Layout("bmc_helix_incidents.csv", "incidents", "bmc-helix-incidents", (16, 0, 16, 0, 0, 0), 7,
           {"timestamps": 7, "last_update": 1}),
    Layout("freshservice_tickets.csv", "incidents", "freshservice-tickets", (18, 0, 18, 0, 0, 0), 8,
           {"timestamps": 9}),
    Layout("manageengine_sdp_requests.csv", "incidents", "manageengine-sdp-requests", (15, 0, 15, 0, 0, 0), 6,
           {"timestamps": 8}),
    Layout("ivanti_cherwell_incidents.csv", "incidents", "ivanti-cherwell-incidents", (14, 0, 14, 0, 0, 0), 6,
           {"timestamps": 6, "last_update": 1}),
    # Scanners: repeats of a finding (per port, per software version) merge; CVE lists split into one row each.
    Layout("tenable_vm_ui_blank_headers.csv", "vulnerabilities", "tenable-vm", (22, 0, 19, 1, 0, 2)),
    Layout("tenable_vm.csv", "vulnerabilities", "tenable-vm", (3, 1, 4, 0, 0, 0)),
    Layout("tenable_vm_api.csv", "vulnerabilities", "tenable-vm", (2, 0, 2, 0, 0, 0)),
    Layout("nessus_classic.csv", "vulnerabilities", "nessus", (5, 0, 4, 1, 0, 0), options=("--scan-date", "2025-03-01")),
    Layout("nessus_v10.csv", "vulnerabilities", "nessus", (2, 0, 2, 0, 0, 0), options=("--scan-date", "2025-03-01")),
    Layout("qualys_sample_report.csv", "vulnerabilities", "qualys", (6, 22, 28, 0, 0, 0)),
    Layout("qualys_with_metadata.csv", "vulnerabilities", "qualys", (6, 22, 28, 0, 0, 0)),
    Layout("rapid7_insightvm.csv", "vulnerabilities", "rapid7-insightvm", (6, 1, 6, 1, 0, 0)),
    Layout("defender_vm.csv", "vulnerabilities", "defender-vm", (10, 0, 9, 1, 0, 0)),
    Layout("gl_export.csv", "costs", "general-ledger", (6, 0, 6, 0, 0, 0)),
    Layout("hhs_ocr_breach_sample.csv", "breaches", "hhs-ocr-breaches", (3, 0, 3, 0, 0, 0)),
    Layout("cisa_kev_sample.csv", "kev", "cisa-kev", (5, 0, 5, 0, 0, 0)),
    Layout("cisa_kev.json", "kev", "cisa-kev", (3, 0, 3, 0, 0, 0)),
    Layout("epss_scores-2025-08-25.csv", "epss", "first-epss", (4, 0, 4, 0, 0, 0)),
]


def test_the_corpus_covers_every_fixture_and_at_least_fourteen_layouts():
    files = {p.name for p in FIX.iterdir() if p.suffix in (".csv", ".json")}
    assert files == {x.file for x in LAYOUTS}, "a fixture without its hand counts here, or a count without a file"
    assert len(LAYOUTS) >= 14


def _persons(x: Layout) -> set[str]:
    """The values of the file's person columns, as the load decides them (a profile's list, a header naming a
    person, a feed's pii column): none may be stored as written."""
    if not x.file.endswith(".csv"):
        return set()
    raw = (FIX / x.file).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # an Excel re-save
        text = raw.decode("cp1252")
    delimiter = max((",", ";", "\t"), key=text.split("\n", 1)[0].count)
    rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
    header_at = next(i for i, r in enumerate(rows) if len([c for c in r if c.strip()]) >= 3)
    header, body = rows[header_at], rows[header_at + 1:]
    prof, feed = profile(x.profile), feeds()[x.feed]
    try:
        mapping, _ = column_map(prof, feed, header, file=x.file, ignore_extra=True)
    except Exception:  # a header the Python reader splits otherwise (metadata blocks): no person columns there
        return set()
    cols = [header.index(c) for c in person_sources(prof, feed, header, mapping) if c in header]
    return {r[i].strip() for r in body for i in cols if i < len(r) and len(r[i].strip()) >= 5}


@pytest.mark.parametrize("x", LAYOUTS, ids=lambda x: x.file)
def test_each_layout_loads_whole_with_the_hand_counted_numbers(x, store_path, cli):
    code, out, err = cli("ingest", x.feed, FIX / x.file, "--format", "json", *x.options)
    assert code == 0, err
    res = json.loads(out.strip().splitlines()[-1])
    counts = (res["rows_read"], res["rows_split"], res["rows_loaded"], res["rows_merged"], res["rows_rejected"],
              res["rows_skipped"])
    assert (res["profile"], counts) == (x.profile, x.counts)
    assert counts[0] + counts[1] == sum(counts[2:])
    assert query(store_path, "select count(*) from rejects") == [(0,)]  # no false rejection
    leaked = [p for p in _persons(x) if p.lower() in _all_text(store_path).lower()]
    assert leaked == [], f"person values stored as written: {leaked[:5]}"
    if x.feed != "incidents":
        return
    # No --period: the default period ends with the month of the data's last day, whenever the export was made.
    code, out, err = cli("kpi", "incident_backlog", "--format", "json")
    assert code == 0, err
    records = json.loads(out)["kpis"]["incident_backlog"]["records"]
    assert sum(r["open_at_period_end"] for r in records) == x.backlog
    con = connect(store_path)
    try:
        attach_models(con)
        basis = dict(con.execute("select coalesce(resolution_basis, 'unknown'), count(*) from int_incidents "
                                 "where lifecycle in ('resolved', 'closed') group by 1").fetchall())
    finally:
        con.close()
    assert basis == x.basis
