"""Breach-notification timeliness (45 CFR 164.404(b), 164.408) and the compliance area's other checks against false
assurance (a control with no evidence date, an audit finding with no due day), on tiny stores worked out by hand.

The old definition counted every security incident opened in the period, its ticket's opening and closing standing
in for breach discovery and notification ("291 of 291 breach notifications within 60 days"); these tests fail on it.
"""

from __future__ import annotations

import pytest

from hitplan.kpi import compliance, runner
from hitplan.report.areas import area_section
from kpi_fixtures import connect, period, tiny_store, ts

SYSTEMS = [{"system_id": "S1", "name": "EHR", "kind": "application", "category": "ehr", "criticality_tier": 1,
            "holds_phi": True}]
Q1 = period("2026-01-01", "2026-04-01", "2026Q1")  # judged on its last day, 2026-03-31


def incident(number: str, opened: str, *, closed: str | None = None, discovered: str | None = None,
             notified: str | None = None, hhs: str | None = None, individuals: int | None = None) -> dict:
    row = {"number": number, "system_id": "S1", "opened_at": ts(opened), "is_security": True,
           "state": "closed" if closed else "in_progress"}
    for col, value in (("closed_at", closed), ("breach_discovered_at", discovered),
                       ("individuals_notified_at", notified), ("hhs_notified_at", hhs)):
        if value:
            row[col] = ts(value)
    if individuals is not None:
        row["individuals_affected"] = individuals
    return row


# Four breaches in scope for 2026Q1 (days counted in calendar days from the day of discovery):
BREACHES = [
    # B-1: discovered Jan 5, individuals notified Feb 4: 26 days to Jan 31 + 4 = 30 -> within 60.
    #      600 individuals: HHS due with them, by Jan 5 + 60 = Mar 6; told Feb 4 -> HHS within.
    incident("B-1", "2026-01-05 08:00:00", closed="2026-01-06 08:00:00", discovered="2026-01-05 09:00:00",
             notified="2026-02-04 10:00:00", hhs="2026-02-04 11:00:00", individuals=600),
    # B-2: discovered Dec 1 2025 (before the period, individuals not yet told at its start), notified Feb 14:
    #      30 (to Dec 31) + 31 (to Jan 31) + 14 = 75 days -> late.
    #      20 individuals: HHS due 60 days after the end of 2025, Dec 31 + 60 = Mar 1 2026; untold on Mar 31 -> overdue.
    incident("B-2", "2025-12-01 13:00:00", closed="2025-12-02 13:00:00", discovered="2025-12-01 14:00:00",
             notified="2026-02-14 09:00:00", individuals=20),
    # B-3: discovered Jan 10, individuals told only on Apr 15 (after the period): at Mar 31 not notified after
    #      21 (to Jan 31) + 28 (Feb) + 31 (Mar) = 80 days -> overdue. 1,200 individuals: HHS due Mar 11, told Apr 15
    #      -> HHS overdue at Mar 31.
    incident("B-3", "2026-01-10 07:00:00", discovered="2026-01-10 08:00:00", notified="2026-04-15 09:00:00",
             hhs="2026-04-15 09:00:00", individuals=1200),
    # B-4: discovered Mar 21, 10 days before the period's last day, not notified -> pending in time.
    #      20 individuals: HHS due Mar 1 2027 -> pending in time.
    incident("B-4", "2026-03-21 07:00:00", discovered="2026-03-21 08:00:00", individuals=20),
    # B-0: discovered Oct 1 2025, individuals and HHS told Oct 20 2025: nothing owed at the period's start -> out
    incident("B-0", "2025-10-01 07:00:00", closed="2025-10-02 07:00:00", discovered="2025-10-01 08:00:00",
             notified="2025-10-20 09:00:00", hhs="2025-10-20 09:00:00", individuals=800),
]
# Security incidents that are not breaches (the old proxy counted them, closed in a day: "within 60 days")
NOT_BREACHES = [
    incident("S-1", "2026-01-02 00:00:00", closed="2026-01-03 00:00:00"),
    incident("S-2", "2026-02-01 00:00:00"),
    {"number": "N-1", "system_id": "S1", "opened_at": ts("2026-01-03 00:00:00"), "is_security": False},
]


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=BREACHES + NOT_BREACHES))
    yield c
    c.close()


def test_four_breaches_judged_at_the_period_end(con):
    df = compliance.breach_notification_timeliness(con, Q1)
    assert df.iloc[0].to_dict() == {
        "breaches": 4,  # B-1..B-4; B-0 was done before the period, S-1, S-2 and N-1 are no breaches
        "notified_within_limit": 1, "notified_late": 1, "overdue_unnotified": 1, "pending_in_time": 1,  # B-1, 2, 3, 4
        "max_days_to_notify": 75, "max_days_unnotified": 80,  # B-2 told after 75 days; B-3 untold after 80
        "hhs_within_limit": 1, "hhs_late": 0, "hhs_overdue": 2, "hhs_pending_in_time": 1, "hhs_undetermined": 0,
        "limit_days": 60,
    }
    assert "proxy" not in runner.definition("breach_notification_timeliness").label.lower()
    assert "proxy" not in str(df.attrs.get("note", ""))


def test_rows_list_the_breaches(con):
    rows = runner.kpi_rows(con, "breach_notification_timeliness", Q1).sort_values("incident_number")
    assert rows["incident_number"].tolist() == ["B-1", "B-2", "B-3", "B-4"]
    assert rows["days_to_notify"].tolist()[:2] == [30, 75] and rows["days_to_notify"].isna().tolist()[2:] == [True] * 2
    assert rows["days_unnotified"].tolist()[2:] == [80, 10]
    assert rows["individuals_affected"].tolist() == [600, 20, 1200, 20]
    assert rows["notice_status"].tolist() == ["within limit", "late", "overdue", "pending in time"]
    assert rows["hhs_status"].tolist() == ["within limit", "overdue", "overdue", "pending in time"]
    assert [str(d)[:10] for d in rows["hhs_due_on"]] == ["2026-03-06", "2026-03-01", "2026-03-11", "2027-03-01"]


def test_any_late_or_overdue_notice_is_off_target_and_said(con):
    d = next(d for d in compliance.area_status(con, Q1).drivers if d.kpi == "breach_notification_timeliness")
    # individuals: B-2 late, B-3 overdue; HHS: B-2 and B-3 overdue -> 4 notices
    assert (d.value, d.status) == (4.0, "off target")
    s = area_section(con, "compliance", Q1)
    said = next(f for f in s.findings if "breaches of unsecured PHI" in f)
    assert "Of 4 breaches of unsecured PHI discovered in 2026Q1 or with a notice owed at its start" in said
    assert ("notified within 60 days of discovery for 1, late for 1 (the slowest after 75 days), not yet and past "
            "the deadline for 1 (the oldest 80 days since discovery), and not yet but still in time for 1") in said
    assert "HHS was notified on time for 1, late for 0, not yet and past the deadline for 2" in said
    assert "security incident" not in said and "proxy" not in said


def test_only_in_time_notices_are_on_target(tmp_path):
    # B-1 alone: both notices on time -> 0 late, on target
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=BREACHES[:1] + NOT_BREACHES))
    try:
        d = next(d for d in compliance.area_status(con, Q1).drivers if d.kpi == "breach_notification_timeliness")
        assert (d.value, d.status) == (0.0, "on target")
        # a quarter with no breach in scope (B-1 discovered and told in 2026Q1): a measured 0, not "not measurable"
        q2 = period("2026-04-01", "2026-07-01")
        df = compliance.breach_notification_timeliness(con, q2)
        assert df.empty and df.attrs["note"] == "no breach discovered in the period or with a notice owed at its start"
        d = next(d for d in compliance.area_status(con, q2).drivers if d.kpi == "breach_notification_timeliness")
        assert (d.value, d.status) == (0.0, "on target")
    finally:
        con.close()


def test_security_incidents_without_breach_dates_are_not_measurable(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=NOT_BREACHES))
    try:
        df = compliance.breach_notification_timeliness(con, Q1)
        assert df.empty and df.attrs["not_measurable"].startswith("not measurable: no breach discovery dates loaded")
        assert "fill incidents.breach_discovered_at" in df.attrs["note"]
        d = next(d for d in compliance.area_status(con, Q1).drivers if d.kpi == "breach_notification_timeliness")
        assert d.value is None and d.status == "no data"  # never 0 or 100 %
        said = next(f for f in area_section(con, "compliance", Q1).findings if "reach" in f)
        assert "not measurable" in said and "within" not in said
    finally:
        con.close()


# The HHS rule (45 CFR 164.408): the same breach, discovered Nov 2 2026, individuals told Dec 1 (29 days: on time),
# HHS told Jan 16 2027 = 28 (to Nov 30) + 31 (Dec) + 16 = 75 days after discovery.
HHS = [
    # 600 individuals: HHS due with the individuals, Nov 2 + 60 = Jan 1 2027 -> Jan 16 is late
    incident("H-600", "2026-11-02 08:00:00", discovered="2026-11-02 09:00:00", notified="2026-12-01 09:00:00",
             hhs="2027-01-16 09:00:00", individuals=600),
    # 20 individuals: HHS due 60 days after the end of 2026, Dec 31 + 60 = Mar 1 2027 -> Jan 16 is on time
    incident("H-20", "2026-11-02 08:00:00", discovered="2026-11-02 09:00:00", notified="2026-12-01 09:00:00",
             hhs="2027-01-16 09:00:00", individuals=20),
    # 20 individuals told HHS on Mar 2 2027, a day after Mar 1 -> late
    incident("H-20b", "2026-11-02 08:00:00", discovered="2026-11-02 09:00:00", notified="2026-12-01 09:00:00",
             hhs="2027-03-02 09:00:00", individuals=20),
    # size not recorded: Jan 16 is late if 500 or more, on time if fewer -> undetermined, never "on time"
    incident("H-unk", "2026-11-02 08:00:00", discovered="2026-11-02 09:00:00", notified="2026-12-01 09:00:00",
             hhs="2027-01-16 09:00:00"),
    # size not recorded but HHS told with the individuals (29 days): on time under either rule; done before 2027Q1
    incident("H-unk2", "2026-11-02 08:00:00", discovered="2026-11-02 09:00:00", notified="2026-12-01 09:00:00",
             hhs="2026-12-01 09:00:00"),
]


def test_hhs_deadline_by_the_500_rule(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=HHS))
    try:
        # 2027Q1: the individuals were told in 2026, but HHS's notice was still owed on Jan 1 2027 for four of them
        q = period("2027-01-01", "2027-04-01")
        r = compliance.breach_notification_timeliness(con, q).iloc[0]
        assert (r["breaches"], r["notified_within_limit"], r["max_days_to_notify"]) == (4, 4, 29)
        assert (r["hhs_within_limit"], r["hhs_late"], r["hhs_overdue"], r["hhs_undetermined"]) == (1, 2, 0, 1)
        rows = runner.kpi_rows(con, "breach_notification_timeliness", q).set_index("incident_number")
        assert rows["hhs_status"].to_dict() == {"H-600": "late", "H-20": "within limit", "H-20b": "late",
                                                "H-unk": "undetermined: individuals affected not recorded"}
        d = next(d for d in compliance.area_status(con, q).drivers if d.kpi == "breach_notification_timeliness")
        assert (d.value, d.status) == (2.0, "off target")
        # November 2026, judged on Nov 30: nobody told yet, 28 days after discovery -> all five pending in time
        r = compliance.breach_notification_timeliness(con, period("2026-11-01", "2026-12-01")).iloc[0]
        assert (r["breaches"], r["pending_in_time"], r["hhs_pending_in_time"]) == (5, 5, 5)
        assert r["max_days_unnotified"] == 28
    finally:
        con.close()


def test_hhs_owed_for_a_breach_of_unknown_size_past_both_deadlines_is_overdue(tmp_path):
    # discovered Nov 2 2026, size not recorded, HHS never told: past Jan 1 (500+) and Mar 1 2027 (<500) -> overdue
    # by Mar 31 2027 either way; on Jan 31 2027 it is past one deadline but not the other -> undetermined
    rows = [incident("U-1", "2026-11-02 08:00:00", discovered="2026-11-02 09:00:00", notified="2026-12-01 09:00:00")]
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, incidents=rows))
    try:
        r = compliance.breach_notification_timeliness(con, period("2027-01-01", "2027-04-01")).iloc[0]
        assert (r["hhs_overdue"], r["hhs_undetermined"]) == (1, 0)
        r = compliance.breach_notification_timeliness(con, period("2027-01-01", "2027-02-01")).iloc[0]
        assert (r["hhs_overdue"], r["hhs_undetermined"]) == (0, 1)
        d = next(d for d in compliance.area_status(con, period("2027-01-01", "2027-02-01")).drivers
                 if d.kpi == "breach_notification_timeliness")
        assert (d.value, d.status) == (0.0, "watch")  # nothing proven late, but one notice not judged: not on target
    finally:
        con.close()


# --- the other compliance KPIs: nothing counted as fine by default ---
JAN = period("2026-01-01", "2026-02-01")  # judged on 2026-01-31; evidence is stale before 2025-01-31
CONTROLS = [
    {"framework": "HIPAA Security Rule", "control_id": "164.308(a)(8)", "requirement": "required",
     "status": "implemented", "last_evidence_on": "2025-06-30"},  # 215 days old: current
    {"framework": "HIPAA Security Rule", "control_id": "164.312(b)", "requirement": "required",
     "status": "implemented"},  # no evidence date: not current (the old definition's age was blank, its detail silent)
    {"framework": "HIPAA Security Rule", "control_id": "164.310(b)", "requirement": "required",
     "status": "implemented", "last_evidence_on": "2026-03-15"},  # dated after January: its age then is unknown
]


def test_a_control_without_evidence_is_counted_apart_and_never_current(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb", controls=CONTROLS))
    try:
        df = compliance.control_evidence_freshness(con, JAN).set_index("control_id")
        assert df["evidence_state"].to_dict() == {
            "164.312(b)": "no evidence", "164.310(b)": "undetermined: latest evidence is after the period",
            "164.308(a)(8)": "current"}
        # the old definition gave 164.310(b) an age of -43 days and "not stale"; an unknown age is blank now
        assert df["evidence_age_days"].isna().to_dict() == {"164.312(b)": True, "164.310(b)": True,
                                                             "164.308(a)(8)": False}
        assert df.loc["164.308(a)(8)", "evidence_age_days"] == 215  # Jun 30 2025 to Jan 31 2026
        assert df["no_evidence"].sum() == 1 and df["stale"].sum() == 0
        d = next(d for d in compliance.area_status(con, JAN).drivers if d.kpi == "control_evidence_freshness")
        # 1 without evidence (within the watch band: watch 0, off target above 2), 1 not judged
        assert (d.value, d.status) == (1.0, "watch")
        assert "no evidence: 164.312(b)" in d.detail and "1 with evidence dated after the period" in d.detail
    finally:
        con.close()


def test_evidence_dated_after_the_period_is_not_judged_current(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb", controls=CONTROLS[2:]))
    try:
        d = next(d for d in compliance.area_status(con, JAN).drivers if d.kpi == "control_evidence_freshness")
        assert d.value is None and d.status == "no data"  # the old definition: 0 stale, on target
    finally:
        con.close()


FINDINGS = [
    {"finding_id": "F1", "title": "a", "opened_on": "2025-10-01", "due_on": "2026-01-01"},  # 30 days past due
    {"finding_id": "F2", "title": "b", "opened_on": "2025-09-01"},  # no due day: neither on time nor past due
    {"finding_id": "F3", "title": "c", "opened_on": "2025-10-01", "due_on": "2026-06-01"},  # not yet due
]


def test_a_finding_without_a_due_day_is_not_counted_on_time(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb", findings=FINDINGS))
    try:
        df = compliance.open_audit_findings_by_age(con, JAN).set_index("finding_id")
        assert df["due_state"].to_dict() == {"F1": "past due", "F2": "no due date", "F3": "not yet due"}
        # the old definition: F2 past_due False, 0 days past due (on time)
        assert df.loc["F2", ["past_due", "days_past_due"]].isna().all()
        assert df.loc["F2", "age_days"] == 152  # Sep 1 2025 to Jan 31 2026: 30 + 31 + 30 + 31 + 30
        d = next(d for d in compliance.area_status(con, JAN).drivers if d.kpi == "open_audit_findings_by_age")
        assert (d.value, d.status) == (1.0, "watch") and d.detail == "1 open with no agreed due date (not judged)"
    finally:
        con.close()
    con = connect(tiny_store(tmp_path / "t.duckdb", findings=FINDINGS[1:]))  # F2 and F3 only
    try:
        d = next(d for d in compliance.area_status(con, JAN).drivers if d.kpi == "open_audit_findings_by_age")
        assert (d.value, d.status) == (0.0, "watch")  # the old definition: 0 past due, on target
        said = next(f for f in area_section(con, "compliance", JAN).findings if "open at the end" in f)
        assert "0 past the agreed remediation date and 1 with no agreed remediation date" in said
    finally:
        con.close()


def test_a_shorter_or_longer_limit_given_by_the_caller(con):
    # an 80-day limit (a caller's, e.g. to compare): B-1 (30) and B-2 (75) within; B-3 untold after 80 days is still
    # in time on its 80th day, as is B-4 (10 days)
    r = compliance.breach_notification_timeliness(con, Q1, limit_days=80).iloc[0]
    assert (r["notified_within_limit"], r["notified_late"], r["overdue_unnotified"], r["pending_in_time"],
            r["limit_days"]) == (2, 0, 0, 2, 80)
