"""Tier-1/2 DR test coverage counts only a passed technical test (partial or full failover) in the coverage window:
a tabletop exercise, a failed test and a test of no type do not prove recovery (HIPAA 164.308(a)(7)(ii)(D);
NIST SP 800-34 Rev. 1 section 3.5). Expectations worked out by hand from the rows below."""

from __future__ import annotations

import pytest

from hitplan.analysis import not_measurable
from hitplan.kpi import continuity
from hitplan.report.areas import area_section
from kpi_fixtures import connect, period, tiny_store

CY2026 = period("2026-01-01", "2027-01-01")  # coverage window: the 12 months 2026-01-01 .. 2026-12-31


def system(sid, tier=None):
    return {"system_id": sid, "name": f"System {sid}", "kind": "application", "category": "clinical",
            "criticality_tier": tier}


def dr_test(tid, sid, when, kind, passed, rto=4.0, achieved=None):
    return {"test_id": tid, "system_id": sid, "test_date": when, "test_type": kind, "rto_target_hours": rto,
            "rto_achieved_hours": achieved, "rpo_target_hours": 1.0, "passed": passed}


SYSTEMS = [system("A", 1), system("B", 1), system("C", 1), system("D", 1),
           system("E", 2), system("F", 2), system("G", 2), system("H", 3)]
TESTS = [
    dr_test("T1", "A", "2026-03-01", "full_failover", True, achieved=3.0),  # A: passed technical -> tested
    dr_test("T2", "B", "2026-04-01", "tabletop", True),                 # B: a tabletop only
    dr_test("T3", "C", "2026-02-01", "tabletop", True),                 # C: a tabletop ...
    dr_test("T4", "C", "2026-05-01", "partial", False, achieved=14.4),  # ... and failed at 3.6x RTO -> failed only
    dr_test("T5", "D", "2025-06-01", "partial", True, achieved=2.0),    # D: passed, but before the window -> none
    dr_test("T6", "E", "2026-02-01", "partial", False, achieved=9.0),   # E: failed ...
    dr_test("T7", "E", "2026-08-01", "partial", True, achieved=3.5),    # ... then retested and passed -> tested
    dr_test("T8", "F", "2026-06-01", None, True),                       # F: a test of no type is not technical -> none
    # G: no test at all -> none
    dr_test("T9", "H", "2026-07-01", "tabletop", True),                 # H (tier 3): a tabletop only
]
# By hand, in the window:
#   tier 1: A, B, C, D -> tested {A} = 1 of 4 = 25 %; tabletop only {B}; failed only {C}; none {D}
#   tier 2: E, F, G    -> tested {E} = 1 of 3 = 33.3 %; none {F, G}; one test (T8) of no type
#   tier 3: H          -> tested 0 of 1; tabletop only {H}
#   tier-1/2 coverage: 2 of 7 = 28.6 % (the old definition, any test of any type or result: A, B, C, E, F = 5 of 7,
#   71.4 %).


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, dr_tests=TESTS))
    yield c
    c.close()


def test_only_a_passed_technical_test_covers_a_system(con):
    df = continuity.dr_test_coverage_by_tier(con, CY2026).set_index("criticality_tier")
    assert df.loc["1", ["systems", "tested_systems"]].tolist() == [4, 1]
    assert df.loc["1", "coverage_pct"] == pytest.approx(25.0)
    assert df.loc["2", ["systems", "tested_systems"]].tolist() == [3, 1]
    assert df.loc["2", "coverage_pct"] == pytest.approx(100 / 3)
    assert df.loc["3", "tested_systems"] == 0


def test_why_a_system_is_not_covered_is_shown_beside_it(con):
    df = continuity.dr_test_coverage_by_tier(con, CY2026).set_index("criticality_tier")
    t1, t2, t3 = df.loc["1"], df.loc["2"], df.loc["3"]
    assert [t1["tabletop_only_systems"], t1["failed_only_systems"], t1["untested_systems"]] == [1, 1, 1]
    assert [t1["tabletop_only_system_ids"], t1["failed_only_system_ids"], t1["untested_system_ids"]] == ["B", "C", "D"]
    assert [t2["tabletop_only_systems"], t2["failed_only_systems"], t2["untested_systems"]] == [0, 0, 2]
    assert t2["untested_system_ids"] == "F, G"
    assert t3["tabletop_only_system_ids"] == "H"
    # every system in exactly one of the four groups
    assert (df["tested_systems"] + df["tabletop_only_systems"] + df["failed_only_systems"] + df["untested_systems"]
            == df["systems"]).all()


def test_a_test_without_a_type_is_counted_and_said(con):
    df = continuity.dr_test_coverage_by_tier(con, CY2026).set_index("criticality_tier")
    assert df.loc["2", "untyped_tests"] == 1 and df.loc["1", "untyped_tests"] == 0  # T8
    assert "no test type" in df.attrs["note"]
    st = continuity.area_status(con, CY2026)
    cov = next(d for d in st.drivers if d.kpi == "dr_test_coverage_by_tier")
    assert cov.value == pytest.approx(200 / 7)  # 2 of 7 tier-1/2 systems
    assert cov.status == "off target"
    assert "1 DR test with no test type" in cov.detail


def test_the_sentence_says_why(con):
    text = " ".join(area_section(con, "continuity", CY2026).findings)
    assert "2 of 7 tier-1 and tier-2 systems (28.6%) passed a technical DR test" in text
    assert "1 had only a tabletop exercise, 1 only failed tests and 3 no test" in text
    assert "1 DR test with no test type" in text


def test_blank_test_type_or_result_is_not_measurable(tmp_path):
    """An export without test types (or results) cannot tell a failover from a tabletop: not measurable, never 0 %."""
    untyped = [{**t, "test_type": None} for t in TESTS]
    c = connect(tiny_store(tmp_path / "a.duckdb", systems=SYSTEMS, dr_tests=untyped))
    try:
        df = continuity.dr_test_coverage_by_tier(c, CY2026)
        assert df.empty and "test_type" in not_measurable(df)
        assert next(d for d in continuity.area_status(c, CY2026).drivers
                    if d.kpi == "dr_test_coverage_by_tier").status == "no data"
    finally:
        c.close()
    unknown = [{k: v for k, v in t.items() if k != "passed"} for t in TESTS]
    c = connect(tiny_store(tmp_path / "b.duckdb", systems=SYSTEMS, dr_tests=unknown))
    try:
        df = continuity.dr_test_coverage_by_tier(c, CY2026)
        assert df.empty and "passed" in not_measurable(df)
    finally:
        c.close()
