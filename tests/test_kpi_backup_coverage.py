"""Backup success over every system that should be backed up, not only those with jobs (HIPAA 164.308(a)(7)(ii)(A)).

A system should be in the backup feed when it holds data: it holds ePHI (the data backup plan's "retrievable exact
copies of electronic protected health information") or has a recovery point objective, unless it is SaaS (the
vendor's backups, not in the hospital's feed: shown apart) or network or end-user gear (configuration archives, not
data backups). A system with backup jobs in the period is in the population whatever its inventory says. A
tier-1/2 system that should be backed up and had no successful job in the period is a gap: counted, named, and the
tier cannot be on target. The expectations below are worked out by hand.
"""

from __future__ import annotations

import pytest

from hitplan.kpi import continuity, runner
from hitplan.report.areas import area_section
from kpi_fixtures import connect, period, tiny_store, ts


def system(sid, tier, kind, category, hosting="on_prem", rpo=None, phi=None):
    return {"system_id": sid, "name": f"System {sid}", "kind": kind, "category": category, "criticality_tier": tier,
            "hosting": hosting, "rpo_hours": rpo, "holds_phi": phi}


SYSTEMS = [
    system("A", 1, "application", "ehr", rpo=0.25, phi=True),          # should: 4 jobs, 1 failed
    system("B", 1, "infrastructure", "storage", rpo=4, phi=False),     # should (RPO): no job at all -> gap
    system("C", 2, "application", "lis", phi=True),                    # should (ePHI): 2 jobs, both failed -> gap
    system("D", 2, "infrastructure", "network", rpo=1, phi=False),     # network gear: config archives, not counted
    system("E", 3, "application", "business", phi=False),              # no RPO, no PHI, but 1 job: counted
    system("F", 2, "application", "telehealth", hosting="saas", rpo=1, phi=True),  # SaaS: the vendor's, apart
    system("G", 3, "application", "business"),                         # no RPO, PHI unknown, no job: need unknown
]
MARCH = period("2026-03-01", "2026-04-01")


def job(jid, sid, day, status):
    return {"job_id": jid, "system_id": sid, "started_at": ts(f"2026-03-{day:02d} 01:00:00"), "status": status}


BACKUPS = [job("A1", "A", 1, "failed"), job("A2", "A", 2, "success"), job("A3", "A", 3, "warning"),
           job("A4", "A", 4, "success"), job("C1", "C", 1, "failed"), job("C2", "C", 2, "failed"),
           job("E1", "E", 5, "success"),
           # B's only job ran in February: none in March
           {"job_id": "B0", "system_id": "B", "started_at": ts("2026-02-27 01:00:00"), "status": "success"}]


@pytest.fixture
def con(tmp_path):
    c = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, backups=BACKUPS))
    yield c
    c.close()


def test_a_tier1_system_with_no_backup_job_is_a_gap_in_its_tier(con):
    df = continuity.backup_success_by_tier(con, MARCH).set_index("criticality_tier")
    t1 = df.loc["1"]
    # tier 1 should be backed up: A and B (2). A had a successful job; B none in March.
    # jobs: A's 4, 1 failed -> 75 % (a warning is a success); the old definition said tier 1 = 75 % and left B out
    assert (t1["systems"], t1["backed_up_systems"], t1["no_job_systems"], t1["only_failed_systems"]) == (2, 1, 1, 0)
    assert (t1["jobs"], t1["failed_jobs"]) == (4, 1)
    assert t1["success_pct"] == pytest.approx(75.0)
    assert t1["backed_up_pct"] == pytest.approx(50.0)  # 1 of 2
    assert t1["no_job_system_ids"] == "B"
    t2 = df.loc["2"]
    # tier 2: C (ePHI) only; D is network gear, F is SaaS (shown apart). C's 2 jobs failed: only failed.
    assert (t2["systems"], t2["backed_up_systems"], t2["only_failed_systems"], t2["no_job_systems"]) == (1, 0, 1, 0)
    assert (t2["jobs"], t2["failed_jobs"], t2["success_pct"], t2["backed_up_pct"]) == (2, 2, 0.0, 0.0)
    assert (t2["only_failed_system_ids"], t2["vendor_backed_up_systems"]) == ("C", 1)
    t3 = df.loc["3"]
    # tier 3: E has a job (in the population by it); G has no RPO and a blank PHI flag: its need is unknown
    assert (t3["systems"], t3["backed_up_systems"], t3["success_pct"], t3["need_unknown_systems"]) == (1, 1, 100.0, 1)
    rows = runner.kpi_rows(con, "backup_success_by_tier", MARCH)
    assert dict(zip(rows["system_id"], rows["backup"])) == {
        "A": "backed up", "B": "no job", "C": "only failed jobs", "E": "backed up", "F": "by the SaaS vendor",
        "G": "need unknown"}  # D (network gear) is not in it


def test_the_tier_is_off_target_while_a_system_has_no_backup(tmp_path):
    # A: 4 successful jobs (100 % job success, on target under the old definition); B, tier 1 with an RPO: none
    jobs = [job(f"A{d}", "A", d, "success") for d in range(1, 5)]
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS[:2], backups=jobs))
    try:
        st = continuity.area_status(con, MARCH)
        d = next(d for d in st.drivers if d.kpi == "backup_success_by_tier")
        # every job succeeded (100 %, on target under the old definition), but B has no backup: off target
        assert (d.value, d.status) == (100.0, "off target")
        assert "1 of 2 systems that should be backed up had a successful backup" in d.detail and "(B)" in d.detail
        s = area_section(con, "continuity", MARCH)
        said = next(f for f in s.findings if "backup" in f)
        assert "1 of 2 tier-1 and tier-2 systems that should be backed up" in said and "1 had no backup job" in said
    finally:
        con.close()


def test_no_backup_job_in_the_period_is_not_measurable_not_zero(tmp_path):
    con = connect(tiny_store(tmp_path / "s.duckdb", systems=SYSTEMS, backups=[BACKUPS[-1]]))  # only February's
    try:
        df = continuity.backup_success_by_tier(con, MARCH)
        assert df.empty and "no backups rows in the period" in df.attrs["not_measurable"]
    finally:
        con.close()
