"""Training done on time is completed on or before its due day (HIPAA 45 CFR 164.308(a)(5): security awareness and
training, on the hospital's own due dates); a late completion is counted apart, not as on time; overdue is not
completed and past due at the period end; an assignment with no due day is counted apart. How-to tickets per 100
EHR users count only tickets on the EHR systems whose users are counted. Expectations worked out by hand."""

from __future__ import annotations

import pytest

from hitplan.kpi import training
from kpi_fixtures import connect, period, tiny_store, ts

JAN = period("2026-01-01", "2026-02-01")
SYSTEMS = [{"system_id": "EHR", "name": "EHR", "kind": "application", "category": "ehr"},
           {"system_id": "LAB", "name": "Lab", "kind": "application", "category": "lis"}]


def assign(person, due, done=None, dept="ED", assigned="2026-01-01"):
    return {"person": person, "role": "RN", "department": dept, "course": "Epic basics", "system_id": "EHR",
            "assigned_on": assigned, "due_on": due, "completed_on": done}


TRAINING = [
    assign("a", "2026-01-20", "2026-01-10"),  # on time
    assign("b", "2026-01-20", "2026-01-25"),  # completed late (the old definition: "completed")
    assign("c", "2026-01-20"),                # overdue: open and past due at the period end
    assign("d", "2026-01-20", "2026-02-05"),  # overdue at the period end (completed after it)
    assign("e", "2026-01-31", "2026-01-31"),  # on time: completed on its due day
    assign("f", None, "2026-01-06", assigned="2026-01-05"),  # no due day: counted apart, not on time
]
# By hand, ED (also role RN, system EHR): 5 assignments due in January (a-e); on time a, e = 2 (40 %); late b = 1
# (20 %); overdue c, d = 2 (40 %); 1 assignment assigned in January with no due day (f). The old definition: completed
# by the period end a, b, e = 3 of 5 = 60 %.


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, training=TRAINING))
    yield c
    c.close()


@pytest.mark.parametrize("by,key", [("department", "ED"), ("role", "RN"), ("system", "EHR")])
def test_late_completion_is_not_on_time(con, by, key):
    r = training.completion_by_group(con, JAN, by=by).set_index(by).loc[key]
    assert [r["assignments"], r["on_time"], r["late"], r["overdue"], r["no_due_date"]] == [5, 2, 1, 2, 1]
    assert (r["on_time_pct"], r["late_pct"], r["overdue_pct"]) == (pytest.approx(40.0), pytest.approx(20.0),
                                                                   pytest.approx(40.0))


def test_area_status_grades_on_time_completion(con):
    d = next(d for d in training.area_status(con, JAN).drivers if d.kpi == "completion_by_department")
    assert d.value == pytest.approx(40.0) and d.status == "off target"  # below 70 %; the old 60 % too, but not 40


# How-to tickets against EHR users: only tickets on the EHR (the system whose users are the denominator)
USAGE = [
    {"day": "2026-01-05", "system_id": "EHR", "department": "ED", "active_users": 50},
    {"day": "2026-01-06", "system_id": "EHR", "department": "ED", "active_users": 50},
    {"day": "2026-01-05", "system_id": "EHR", "department": "ICU", "active_users": 10},
    {"day": "2026-01-05", "system_id": "LAB", "department": "ED", "active_users": 30},  # not an EHR user
]


def howto(n, dept, system, day="2026-01-12"):
    return {"number": n, "system_id": system, "opened_at": ts(f"{day} 09:00:00"), "category": "how-to",
            "department": dept, "priority": 4}


INCIDENTS = [howto("H1", "ED", "EHR"), howto("H2", "ED", "EHR"), howto("H3", "ED", "LAB"), howto("H4", "ED", "LAB"),
             howto("H5", "ED", "LAB"), howto("H6", "ED", None), howto("H7", "ICU", "EHR"), howto("H8", "ICU", "LAB"),
             howto("H9", "ICU", "LAB")]
# By hand, January: ED averages 50 EHR users a day, ICU 10. EHR how-to tickets: ED 2 (H1, H2), ICU 1 (H7);
# -> ED 2 / 50 x 100 = 4.0, ICU 1 / 10 x 100 = 10.0 per 100 active EHR users. The old definition counted how-to
# tickets on every system: ED 6 / 50 x 100 = 12.0, ICU 3 / 10 x 100 = 30.0. H6 (no system) is counted apart.


@pytest.fixture
def hcon(tmp_path):
    c = connect(tiny_store(tmp_path / "h.duckdb", systems=SYSTEMS, training=TRAINING, usage=USAGE,
                           incidents=INCIDENTS))
    yield c
    c.close()


def test_howto_tickets_cover_the_systems_whose_users_are_counted(hcon):
    df = training.training_vs_howto_by_department(hcon, JAN).set_index("department")
    assert df.loc["ED", ["howto_incidents", "howto_incidents_no_system"]].tolist() == [2, 1]
    assert df.loc["ED", "howto_per_100_active_users"] == pytest.approx(4.0)
    assert df.loc["ICU", "howto_incidents"] == 1 and df.loc["ICU", "howto_per_100_active_users"] == pytest.approx(10.0)
    assert df.loc["ED", "ehr_on_time_pct"] == pytest.approx(40.0)  # a, e of a-e; not the 60 % with b's late one


def test_months_the_usage_feed_does_not_cover_are_not_held_against_a_department(hcon):
    # January-February: the usage feed has EHR rows in January only, so February is a month it does not cover: both
    # departments have usage in the 1 month it covers, and their rates stand as in January
    jan_feb = period("2026-01-01", "2026-03-01")
    df = training.training_vs_howto_by_department(hcon, jan_feb).set_index("department")
    assert df.loc["ED", "howto_per_100_active_users"] == pytest.approx(4.0)


def test_a_department_missing_months_of_usage_is_refused(tmp_path):
    usage = USAGE + [{"day": "2026-02-05", "system_id": "EHR", "department": "ED", "active_users": 50}]
    tickets = INCIDENTS + [howto("H10", "ICU", "EHR", "2026-02-10")]
    con = connect(tiny_store(tmp_path / "m.duckdb", systems=SYSTEMS, training=TRAINING, usage=usage,
                             incidents=tickets))
    try:
        df = training.training_vs_howto_by_department(con, period("2026-01-01", "2026-03-01")).set_index("department")
        # ED: EHR usage in both months (150 user-days over 3 days = 50 a day), 2 EHR how-to -> 4.0
        assert df.loc["ED", "howto_per_100_active_users"] == pytest.approx(4.0)
        # ICU: EHR usage in January only, how-to tickets in both months: its two sides cover different months
        assert df.loc["ICU", "howto_per_100_active_users"] != df.loc["ICU", "howto_per_100_active_users"]
        assert df.loc["ICU", "note"] == "EHR usage in 1 of the 2 months the usage feed covers in the period"
    finally:
        con.close()
