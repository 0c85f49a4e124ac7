"""The demo hospital made honest (issue 16): the compliance, training, security and continuity plants are in the feed
files exactly as ground_truth.json says, and nothing else in the files matches them. Read from the CSVs the demo was
loaded from (the session's demo_store), the way an analyst would, never through the generator's own code."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

pytestmark = pytest.mark.slow  # reads the session's demo hospital


@pytest.fixture(scope="module")
def demo(demo_store):
    """(the folder of feed files, the ground truth, the window's last day as a Timestamp)."""
    path, truth, end = demo_store
    return path.parent / "files", truth, pd.Timestamp(end)


def feed(folder, name: str) -> pd.DataFrame:
    """A feed file as text, blanks as empty strings."""
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[])


def day(s: pd.Series) -> pd.Series:
    """Dates or timestamps (blank -> NaT)."""
    return pd.to_datetime(s.replace("", None))


def test_audit_findings_fall_due_inside_the_data(demo):
    folder, truth, end = demo
    t = truth.audit_findings_due
    f = feed(folder, "findings")
    opened, due, closed = day(f.opened_on), day(f.due_on), day(f.closed_on)
    # past due at the window's end: still open and due on or before its last day
    past_due = f[closed.isna() & (due <= end)]
    assert sorted(past_due.finding_id) == sorted(t.past_due) and len(t.past_due) == 3
    assert [f"{d:%Y-%m-%d}" for d in due[past_due.index].sort_index()] == [
        dict(zip(t.past_due, t.past_due_on))[i] for i in past_due.sort_index().finding_id
    ]
    assert (due[past_due.index] >= opened.min()).all(), "due inside the data, not before it"
    # closed after the due day: exactly the planted ones, by the planted number of days
    late = f[closed.notna() & (closed > due)]
    assert sorted(late.finding_id) == sorted(t.closed_late) and len(t.closed_late) == 3
    days = dict(zip(late.finding_id, (closed - due)[late.index].dt.days))
    assert [days[i] for i in t.closed_late] == list(t.closed_late_days)
    # and the rest: some closed on time, the other open ones not yet due
    assert (closed.notna() & (closed <= due)).sum() >= 10
    assert (due[closed.isna() & ~f.finding_id.isin(t.past_due)] > end).all()


def test_dr_coverage_gaps_tabletop_failed_and_none(demo):
    folder, truth, end = demo
    t = truth.dr_coverage_gaps
    since = pd.Timestamp(t.since)
    assert since == end + pd.Timedelta(days=1) - pd.DateOffset(months=12)  # the 12 months to the window's end
    s = feed(folder, "systems")
    s = s[s.criticality_tier.isin(["1", "2"])]
    dr = feed(folder, "dr_tests")
    dr = dr[(day(dr.test_date) >= since) & (day(dr.test_date) <= end)]
    kinds = {}
    for sid in s.system_id:
        mine = dr[dr.system_id == sid]
        technical = mine[mine.test_type != "tabletop"]
        if (technical.passed == "true").any():
            kinds[sid] = "covered"
        elif len(technical):
            kinds[sid] = "failed_only"
        else:
            kinds[sid] = "tabletop_only" if len(mine) else "untested"
    got = {k: sorted(i for i, v in kinds.items() if v == k) for k in ("tabletop_only", "failed_only", "untested")}
    assert got == {"tabletop_only": list(t.tabletop_only), "failed_only": list(t.failed_only), "untested": list(t.untested)}
    assert t.tabletop_only and t.failed_only and t.untested
    assert truth.failed_dr_test.system_id in t.failed_only
    # the planted one is an application that was tested in earlier years and missed its latest test
    planted = s.set_index("system_id").loc[t.untested_planted]
    assert planted.kind == "application" and t.untested_planted in t.untested
    everything = feed(folder, "dr_tests")
    earlier = day(everything[everything.system_id == t.untested_planted].test_date)
    assert len(earlier) and (earlier < since).all()
    # both tiers have tabletop-only systems, among them tier-1 ones (not only SaaS)
    tier = s.set_index("system_id").criticality_tier
    assert {tier[i] for i in t.tabletop_only} == {"1", "2"}


def test_risk_accepted_kev_and_high_findings(demo):
    folder, truth, end = demo
    t = truth.risk_accepted_findings
    v = feed(folder, "vulnerabilities")
    kev = feed(folder, "kev").set_index("cve_id")
    systems = feed(folder, "systems").set_index("system_id")
    accepted = v[v.state == "accepted_risk"]
    on_kev = accepted[accepted.vuln_id.isin(kev.index)]
    assert sorted(zip(on_kev.host, on_kev.vuln_id)) == sorted(tuple(x) for x in t.kev_findings)
    assert len(t.kev_findings) == 1
    row = on_kev.iloc[0]
    due = pd.Timestamp(kev.loc[row.vuln_id, "due_date"])
    assert f"{due:%Y-%m-%d}" == t.kev_due_dates[0] and due < end - pd.Timedelta(days=60)  # long past CISA's due day
    assert row.system_id == t.kev_system_ids[0] and systems.loc[row.system_id, "holds_phi"] == "true"
    assert row.fixed_at == "" and day(pd.Series([row.last_seen]))[0] >= end - pd.Timedelta(days=14)  # still there
    assert row.system_id not in truth.overdue_kev.system_ids, "apart from the open overdue KEV plant"
    high = accepted[(accepted.severity == "high") & ~accepted.vuln_id.isin(kev.index)]
    assert sorted(zip(high.host, high.vuln_id)) == sorted(tuple(x) for x in t.non_kev_high)
    assert len(t.non_kev_high) >= 1
    assert not (accepted.severity == "critical").any(), "no critical finding is risk-accepted"


def test_open_criticals_past_policy(demo):
    folder, truth, end = demo
    t = truth.open_criticals_past_policy
    assert t.policy_days == 15  # CISA BOD 19-02
    v = feed(folder, "vulnerabilities")
    kev = feed(folder, "kev").set_index("cve_id")
    after = end + pd.Timedelta(days=1)  # the clock is read at the end of the window's last day
    first = day(v.first_seen)
    deadline = first + pd.Timedelta(days=15)
    kev_due = pd.to_datetime(v.vuln_id.map(kev.due_date)) + pd.Timedelta(days=1)
    deadline = deadline.where(kev_due.isna() | (deadline <= kev_due), kev_due)
    hits = v[v.state.isin(["open", "reopened"]) & (v.severity == "critical") & (deadline < after)]
    assert sorted(zip(hits.host, hits.vuln_id)) == sorted(tuple(x) for x in t.findings)
    assert len(t.findings) >= 5
    assert int(((after - first[hits.index]).dt.total_seconds() // 86400).max()) == t.oldest_days
    # the planted overdue KEV findings that are critical are among them
    planted = {tuple(x) for x in truth.overdue_kev.findings}
    crit_kev = {p for p, sev in zip(zip(v.host, v.vuln_id), v.severity) if p in planted and sev == "critical"}
    assert crit_kev and crit_kev <= {tuple(x) for x in t.findings}


def test_late_training_concentrated_in_one_department(demo):
    folder, truth, end = demo
    t = truth.late_training
    tr = feed(folder, "training")
    due, done = day(tr.due_on), day(tr.completed_on)
    matured = due <= end
    completed = matured & done.notna()
    late = completed & (done > due)
    share = 100.0 * late.groupby(tr.department).sum() / completed.groupby(tr.department).sum()
    share = share.dropna()
    assert share.idxmax() == t.department != truth.low_training_department.department
    assert share[t.department] == pytest.approx(t.late_pct, abs=0.05)
    assert share.drop(t.department).median() == pytest.approx(t.other_departments_late_pct, abs=0.05)
    assert share[t.department] > 30 and share.drop(t.department).max() < share[t.department] / 2
    # and some are open past their due day at the window's end, in that department and overall
    open_past = matured & done.isna()
    assert open_past.sum() == t.open_past_due > 0
    assert (open_past & (tr.department == t.department)).sum() == t.department_open_past_due > 0


def test_exactly_one_tier1_system_lost_its_backups(demo):
    folder, truth, end = demo
    t = truth.backup_gap
    b = feed(folder, "backups")
    s = feed(folder, "systems").set_index("system_id")
    started = day(b.started_at)
    year_ago = end - pd.Timedelta(days=365)
    backed_up = set(b.system_id)  # systems the hospital backs up at all in the window
    tier1 = {i for i in backed_up if s.loc[i, "criticality_tier"] == "1"}
    recent = set(b[started >= year_ago].system_id)
    assert sorted(tier1 - recent) == [t.system_id]
    assert sorted(backed_up - recent) == [t.system_id], "no other backed-up system of any tier lost its jobs"
    mine = started[b.system_id == t.system_id]
    assert f"{mine.max():%Y-%m-%d}" == t.last_job_on
    assert pd.Timestamp(t.last_job_on) < pd.Timestamp(t.no_jobs_since) <= year_ago
    assert s.loc[t.system_id, "holds_phi"] == "true"


def test_a_vendor_paid_for_a_phi_system_without_a_baa(demo):
    folder, truth, end = demo
    t = truth.baa_gap
    assert truth.baa_gaps == (t.vendor_id,)
    s = feed(folder, "systems")
    phi = set(s[s.holds_phi == "true"].system_id)
    costs = feed(folder, "costs")
    contracts = feed(folder, "contracts")
    # every vendor in a PHI relationship: supplies a PHI system, holds a contract on one, or is paid for one
    paid = costs[costs.system_id.isin(phi) & (costs.vendor_id != "")]
    scope = (
        set(s[s.holds_phi == "true"].vendor_id)
        | set(contracts[contracts.system_id.isin(phi)].vendor_id)
        | set(paid.vendor_id)
    )
    start12 = end + pd.Timedelta(days=1) - pd.DateOffset(months=12)
    in_force = contracts[(day(contracts.start_date) <= end) & (day(contracts.end_date) >= start12)]
    with_baa = set(in_force[in_force.baa_signed == "true"].vendor_id)
    assert sorted(scope - with_baa) == [t.vendor_id]
    mine = contracts[contracts.vendor_id == t.vendor_id]
    assert sorted(mine.contract_id) == list(t.contract_ids) and (mine.baa_signed == "false").all()
    # paid in the last 12 months for a PHI system another vendor supplies
    recent = paid[(paid.vendor_id == t.vendor_id) & (day(paid.posting_date) >= start12)]
    supplier = s.set_index("system_id").vendor_id
    others = sorted({i for i in recent.system_id if supplier[i] != t.vendor_id})
    assert others == list(t.paid_phi_system_ids) and others
    assert sorted(s[(s.vendor_id == t.vendor_id) & (s.holds_phi == "true")].system_id) == list(t.supplied_phi_system_ids)
    vendors = feed(folder, "vendors").set_index("vendor_id")
    assert vendors.loc[t.vendor_id, "name"] == t.vendor_name


def test_truth_round_trips_the_new_plants(demo):
    folder, truth, _ = demo
    from hitplan.synth import GroundTruth

    again = GroundTruth.load(folder / "ground_truth.json")
    for name in ("audit_findings_due", "dr_coverage_gaps", "risk_accepted_findings", "open_criticals_past_policy",
                 "late_training", "backup_gap", "baa_gap"):
        assert getattr(again, name) == getattr(truth, name) is not None, name
    assert dt.date.fromisoformat(truth.dr_coverage_gaps.since) < dt.date.fromisoformat(truth.end)
