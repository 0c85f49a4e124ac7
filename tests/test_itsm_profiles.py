"""BMC Helix, Freshservice, ManageEngine ServiceDesk Plus and Ivanti/Cherwell exports load as the tools wrote them.

Each fixture in tests/fixtures/exports/ (README.md there says where each layout comes from) goes through
`hitplan ingest incidents FILE` without --profile; the counts below were worked out by hand from the files.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import query, write_csv
from hitplan.ingest.profiles import ranked_fits
from hitplan.models import attach_models
from hitplan.schema import feed
from kpi_fixtures import connect
from test_privacy import _all_text

FIX = Path(__file__).parent / "fixtures" / "exports"
OPEN_STATES = ("new", "in_progress", "on_hold")


@dataclass(frozen=True)
class Export:
    """One fixture and what a load of it must give, counted by hand from the file."""

    file: str
    profile: str
    read: int
    states: dict[str, int]
    priorities: dict[int, int]
    impacts: dict[int, int]
    urgencies: dict[int, int]
    # Resolution basis of the resolved and closed tickets: a resolved time, only a closed time, only the last update.
    by_resolved_at: int
    by_closed_at: int
    by_updated_at: int
    service_requests: int
    # The open tickets by priority at the end of the month the data ends in (period_end), none opened 30 days before.
    open_by_priority: dict[int, int]
    period_end: str
    # Invented people as the file writes them (person columns and one subject line each) and their e-mail domain.
    people: tuple[str, ...] = field(default=())
    domain: str = ""

    @property
    def backlog(self) -> int:
        return sum(n for s, n in self.states.items() if s in OPEN_STATES)

    @property
    def resolved(self) -> int:
        return self.states.get("resolved", 0) + self.states.get("closed", 0)


EXPORTS = [
    Export("bmc_helix_incidents.csv", "bmc-helix-incidents", 16,
           states={"new": 1, "in_progress": 4, "on_hold": 2, "resolved": 3, "closed": 5, "canceled": 1},
           priorities={1: 2, 2: 3, 3: 6, 4: 5},
           # BMC's 3-Moderate and 4-Minor both read as hitplan's 3 (low)
           impacts={1: 2, 2: 3, 3: 11}, urgencies={1: 2, 2: 3, 3: 11},
           by_resolved_at=6, by_closed_at=1, by_updated_at=1, service_requests=0,
           open_by_priority={1: 1, 2: 1, 3: 3, 4: 2}, period_end="2025-04-01",
           people=("Tamsin Oyelaran", "tamsin.oyelaran", "Barnaby Quillfeather", "Ottoline Pemberwick", "Pemberwick",
                   "Caspian Druthers", "Druthers", "Wilhelmina Quarrendon", "Quarrendon", "Brindle Ashworthy",
                   "Ashworthy"),
           domain="fairhollow-health.example"),
    Export("freshservice_tickets.csv", "freshservice-tickets", 18,
           states={"new": 5, "on_hold": 3, "resolved": 4, "closed": 5, "canceled": 1},
           priorities={1: 2, 2: 4, 3: 6, 4: 6},
           impacts={1: 2, 2: 6, 3: 10}, urgencies={1: 4, 2: 6, 3: 8},
           by_resolved_at=8, by_closed_at=1, by_updated_at=0, service_requests=4,
           open_by_priority={1: 1, 2: 2, 3: 3, 4: 2}, period_end="2025-05-01",
           people=("Marisol Fenwright", "Desmond Achterberg", "Perpetua Hollingsby", "Ignatius Bellweather",
                   "Rosalind Thackeray", "Thackeray", "Cornelius Vantreight"),
           domain="larkmoor-hospital.example"),
    Export("manageengine_sdp_requests.csv", "manageengine-sdp-requests", 15,
           states={"new": 4, "on_hold": 2, "resolved": 3, "closed": 5, "canceled": 1},
           # Urgent 1, High 2, Medium and Normal 3, Low 4
           priorities={1: 2, 2: 2, 3: 7, 4: 4},
           impacts={1: 3, 2: 4, 3: 8}, urgencies={1: 4, 2: 7, 3: 4},
           by_resolved_at=7, by_closed_at=1, by_updated_at=0, service_requests=4,
           open_by_priority={1: 1, 2: 1, 3: 2, 4: 2}, period_end="2025-06-01",
           people=("Leopold Fairweather-Haskins", "Fairweather-Haskins", "Genevieve Ostrander", "Araminta Coldbrook",
                   "Fitzgerald Ambry", "Thaddeus Merriweather", "Perdita Swanholm")),
    Export("ivanti_cherwell_incidents.csv", "ivanti-cherwell-incidents", 14,
           states={"new": 1, "in_progress": 3, "on_hold": 2, "resolved": 2, "closed": 5, "canceled": 1},
           priorities={1: 1, 2: 3, 3: 5, 4: 3, 5: 2},
           impacts={1: 3, 2: 6, 3: 5}, urgencies={1: 2, 2: 6, 3: 6},
           by_resolved_at=6, by_closed_at=0, by_updated_at=1, service_requests=2,
           open_by_priority={2: 1, 3: 4, 4: 1}, period_end="2025-07-01",
           people=("Evander Pilkingthorne", "Marguerite Oddingley", "Sophronia Castlereagh", "Horatio Blenkinsop",
                   "Cressida Wendlebury", "Wendlebury", "Tobias Marchbanks"),
           domain="saltmere-medical.example"),
]


def ingest(cli, path, *extra) -> dict:
    code, out, err = cli("ingest", "incidents", path, "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _counts(store, column: str) -> dict:
    return dict(query(store, f"select {column}, count(*) from incidents group by 1"))


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.profile)
def test_each_export_loads_whole_as_its_tool_with_the_hand_counted_numbers(export, store_path, cli):
    res = ingest(cli, FIX / export.file)
    assert res["profile"] == export.profile
    assert res["rows_read"] == export.read
    assert res["rows_read"] == res["rows_loaded"] + res["rows_merged"] + res["rows_rejected"] + res["rows_skipped"]
    assert (res["rows_loaded"], res["rows_rejected"], res["rows_merged"], res["rows_skipped"]) == (export.read, 0, 0, 0)
    assert _counts(store_path, "state") == export.states
    assert _counts(store_path, "priority") == export.priorities
    assert _counts(store_path, "impact") == export.impacts
    assert _counts(store_path, "urgency") == export.urgencies
    (backlog,) = query(store_path, "select count(*) from incidents where state in ('new', 'in_progress', 'on_hold')")[0]
    assert backlog == export.backlog
    basis = query(store_path, """
        select count(*) filter (where resolved_at is not null),
               count(*) filter (where resolved_at is null and closed_at is not null),
               count(*) filter (where resolved_at is null and closed_at is null and updated_at is not null)
        from incidents where state in ('resolved', 'closed')""")[0]
    assert basis == (export.by_resolved_at, export.by_closed_at, export.by_updated_at)
    assert sum(basis) == export.resolved
    # every ticket carries its times, and none resolved before it was opened or updated before it was resolved
    assert query(store_path, "select count(*) from incidents where opened_at is null or updated_at is null "
                             "or updated_at < coalesce(closed_at, resolved_at, opened_at)") == [(0,)]
    assert _counts(store_path, "category").get("service request", 0) == export.service_requests


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.profile)
def test_backlog_and_resolution_basis_as_the_support_kpis_see_them(export, store_path, cli):
    ingest(cli, FIX / export.file)
    code, out, err = cli("kpi", "incident_backlog", "--start", "2025-01-01", "--end", export.period_end,
                         "--format", "json")
    assert code == 0, err
    records = json.loads(out)["kpis"]["incident_backlog"]["records"]
    assert {r["priority"]: r["open_at_period_end"] for r in records} == export.open_by_priority
    assert sum(r["open_at_period_end"] for r in records) == export.backlog
    assert [r["open_over_30_days"] for r in records] == [0] * len(records)
    con = connect(store_path)
    try:
        attach_models(con)
        lifecycle = dict(con.execute("select lifecycle, count(*) from int_incidents group by 1").fetchall())
        basis = dict(con.execute("select resolution_basis, count(*) from int_incidents "
                                 "where resolution_basis is not null group by 1").fetchall())
    finally:
        con.close()
    assert lifecycle == {"open": export.states.get("new", 0) + export.states.get("in_progress", 0),
                         "on_hold": export.states["on_hold"], "resolved": export.states["resolved"],
                         "closed": export.states["closed"], "canceled": export.states["canceled"]}
    # a resolved or closed time wherever the tool wrote one; the last update (an upper bound) where it wrote none
    assert basis == {k: v for k, v in {"timestamps": export.by_resolved_at + export.by_closed_at,
                                       "last_update": export.by_updated_at}.items() if v}


def test_no_person_or_e_mail_from_any_export_is_stored(store_path, cli):
    for export in EXPORTS:
        ingest(cli, FIX / export.file)
    text = _all_text(store_path).lower()
    people = [p for e in EXPORTS for p in e.people]
    assert len(people) >= 25
    assert [p for p in people if p.lower() in text] == []
    assert [e.domain for e in EXPORTS if e.domain and e.domain in text] == []
    assert "@" not in "".join(t for (t,) in query(store_path, "select short_description from incidents"))
    # the name in each file's subject line became its caller's pseudonym, not a blank
    subjects = [t for (t,) in query(store_path, "select short_description from incidents where short_description like '%P-%'")]
    assert len(subjects) == 4
    # four requesters in each file, none shared between files: sixteen pseudonyms
    assert query(store_path, "select count(distinct caller), count(caller) from incidents") == [(16, 16 + 18 + 15 + 14)]


def test_bmc_customer_first_and_last_name_are_one_pseudonym(store_path, cli):
    ingest(cli, FIX / "bmc_helix_incidents.csv")
    # BMC writes the customer as First Name and Last Name: one pseudonym per person, the same in every row
    callers = dict(query(store_path, "select number, caller from incidents"))
    assert callers["INC000000100201"] == callers["INC000000100206"] == callers["INC000000100212"]
    assert callers["INC000000100201"] != callers["INC000000100202"]
    assert query(store_path, "select count(distinct caller) from incidents") == [(4,)]
    (subject,) = query(store_path, "select short_description from incidents where number = 'INC000000100206'")[0]
    assert subject == f"Password reset for {callers['INC000000100206']}"


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.profile)
def test_each_export_is_read_by_its_own_profile_alone(export):
    header = (FIX / export.file).read_text(encoding="utf-8").splitlines()[0].replace('"', "").split(",")
    fits = [f for f in ranked_fits(feed("incidents"), header) if f.eligible]
    assert fits[0].profile.name == export.profile and not fits[0].dropped
    assert [f.profile.name for f in fits[1:] if f.rank == fits[0].rank] == []


def test_bmc_enum_numbers_and_labels_read_the_same(tmp_path, store_path, cli):
    # An AR report can write Status and Impact/Urgency as their enum numbers instead of labels.
    header = ["Incident Number", "Submit Date", "Last Resolved Date", "Status", "Priority", "Impact", "Urgency",
              "Description"]
    f = write_csv(tmp_path / "remedy.csv", header, [
        ["INC1", "1/6/2025 8:00:00 AM", "1/6/2025 9:30:00 AM", "4", "High", "1000", "2000", "a"],
        ["INC2", "1/6/2025 10:00:00 PM", "", "3", "Low", "4000", "3000", "b"],
        ["INC3", "1/7/2025 10:00:00 AM", "", "Parked", "Medium", "3-Moderate/Limited", "4-Low", "c"],
    ])
    res = ingest(cli, f)
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("bmc-helix-incidents", 2, 1)
    assert query(store_path, "select number, opened_at::varchar, state, priority, impact, urgency from incidents "
                             "order by 1") == [("INC1", "2025-01-06 08:00:00", "resolved", 2, 1, 2),
                                               ("INC2", "2025-01-06 22:00:00", "on_hold", 4, 3, 3)]
    (reason,) = query(store_path, "select reason from rejects")[0]
    assert "state: 'Parked'" in reason


def test_freshservice_api_codes_run_the_other_way(tmp_path, store_path, cli):
    # Freshservice's codes: priority 1 Low ... 4 Urgent, status 2 Open ... 5 Closed, impact 1 Low ... 3 High.
    f = write_csv(tmp_path / "fs.csv", ["Ticket Id", "Subject", "Status", "Priority", "Impact", "Urgency",
                                        "Created Time", "Resolved Time", "Time Tracked"], [
        ["101", "a", "4", "1", "1", "3", "2025-02-03 09:00:00", "2025-02-03 10:00:00", "10:05"],
        ["102", "b", "2", "4", "3", "1", "2025-02-03 11:00:00", "", ""],
        ["103", "c", "Open", "High", "Low", "Low", "2025-02-03 12:00:00", "", "1.5 hours"],
    ])
    res = ingest(cli, f)
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("freshservice-tickets", 2, 1)
    assert query(store_path, "select number, state, priority, impact, urgency, time_worked_hours from incidents "
                             "order by 1") == [("101", "resolved", 4, 3, 1, pytest.approx(10 + 5 / 60)),
                                               ("102", "new", 1, 1, 3, None)]
    (reason,) = query(store_path, "select reason from rejects")[0]
    assert "time_worked_hours: '1.5 hours'" in reason


def test_freshservice_time_tracked_sums_to_the_hand_count(store_path, cli):
    ingest(cli, FIX / "freshservice_tickets.csv")
    # 02:15 + 01:30 + 00:00 + 00:45 + 00:30 + 00:20 on six tickets
    assert query(store_path, "select count(time_worked_hours), round(sum(time_worked_hours), 4) from incidents") == [
        (6, round(2.25 + 1.5 + 0.75 + 0.5 + 20 / 60, 4))]


def test_servicedesk_plus_dates_blanks_and_unread_layouts(tmp_path, store_path, cli):
    header = ["Request ID", "Subject", "Requester", "Technician", "Group", "Status", "Priority", "Created Time",
              "Completed Time"]
    f = write_csv(tmp_path / "sdp.csv", header, [
        ["7001", "a", "Quentin Abernathy-Lowe", "Not Assigned", "Not Assigned", "Closed", "Normal",
         "Jan 2, 2025 11:44 PM", "Jan 3, 2025 12:05 AM"],
        ["7002", "b", "Quentin Abernathy-Lowe", "Not Assigned", "Desktop", "On Hold", "Urgent",
         "2025-01-04 08:00:00", "-"],
        ["7003", "c", "Quentin Abernathy-Lowe", "Not Assigned", "Desktop", "Open", "Low", "04/01/2025 08:00", "-"],
    ])
    res = ingest(cli, f)
    assert (res["profile"], res["rows_loaded"], res["rows_rejected"]) == ("manageengine-sdp-requests", 2, 1)
    assert query(store_path, "select number, opened_at::varchar, closed_at::varchar, state, priority, "
                             "assignment_group from incidents order by 1") == [
        ("7001", "2025-01-02 23:44:00", "2025-01-03 00:05:00", "closed", 3, None),
        ("7002", "2025-01-04 08:00:00", None, "on_hold", 1, "Desktop")]
    (reason,) = query(store_path, "select reason from rejects")[0]
    assert "opened_at: '04/01/2025 08:00'" in reason  # a slash date SDP does not write is refused, never guessed
    assert "Abernathy" not in _all_text(store_path)


def test_cherwell_field_names_load_with_the_profile_named(tmp_path, store_path, cli):
    # A REST or report export uses field names; detection reads the labels, so the user names the profile.
    header = ["IncidentID", "Status", "Priority", "ShortDescription", "CustomerDisplayName", "OwnedBy", "OwnedByTeam",
              "IncidentType", "Category", "CreatedDateTime", "LastModifiedDateTime", "ClosedDateTime"]
    f = write_csv(tmp_path / "cw.csv", header, [
        ["9001", "Logged", "2", "x", "Oswin Threlkeld", "Ysolde Karrow", "Network", "Incident", "Network",
         "4/10/2025 3:10:12 PM", "4/10/2025 3:10:12 PM", ""],
        ["9002", "Waiting for Customer", "3", "y", "Oswin Threlkeld", "Ysolde Karrow", "Desk", "Service Request",
         "Access", "4/11/2025 9:00:00 AM", "4/12/2025 9:00:00 AM", ""],
        ["9003", "Cancelled", "5", "z", "Oswin Threlkeld", "", "Desk", "Incident", "", "4/11/2025 10:00:00 AM",
         "4/11/2025 10:05:00 AM", ""],
    ])
    res = ingest(cli, f, "--profile", "ivanti-cherwell-incidents")
    assert (res["rows_loaded"], res["rows_rejected"]) == (3, 0)
    assert query(store_path, "select number, opened_at::varchar, state, priority, category, assignment_group "
                             "from incidents order by 1") == [
        ("9001", "2025-04-10 15:10:12", "new", 2, "Network", "Network"),
        ("9002", "2025-04-11 09:00:00", "on_hold", 3, "service request", "Desk"),
        ("9003", "2025-04-11 10:00:00", "canceled", 5, "Incident", "Desk")]
    text = _all_text(store_path)
    assert "Threlkeld" not in text and "Karrow" not in text
