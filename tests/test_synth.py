"""The synthetic hospital: deterministic, true to feeds.yaml, scaling linearly, holding exactly what it planted."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from hitplan.schema import Feed, feeds
from hitplan.synth import GroundTruth, generate

pytestmark = pytest.mark.slow  # generates hospitals at scales 0.05, 0.1 and 0.2 (and more for the seed check)

END = dt.date(2026, 9, 30)
PATTERNS = {
    "integer": r"-?\d+",
    "number": r"-?\d+(\.\d+)?",
    "money": r"-?\d+(\.\d{1,2})?",
    "date": r"\d{4}-\d{2}-\d{2}",
    "timestamp": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
    "boolean": r"true|false",
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> tuple[Path, GroundTruth]:
    """The hospital at scale 0.05."""
    out = tmp_path_factory.mktemp("synth005")
    return out, generate(out, scale=0.05)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, GroundTruth]:
    """The hospital at scale 0.1 (most checks run on it)."""
    out = tmp_path_factory.mktemp("synth01")
    return out, generate(out, scale=0.1)


@pytest.fixture(scope="module")
def double(tmp_path_factory) -> tuple[Path, GroundTruth]:
    """The hospital at scale 0.2."""
    out = tmp_path_factory.mktemp("synth02")
    return out, generate(out, scale=0.2)


def feed_file(folder: Path, name: str) -> Path:
    """The file a feed is written to."""
    return folder / ("budgets.xlsx" if name == "budgets" else f"{name}.csv")


def cell_text(v: object) -> str:
    """An Excel cell as the text ingest reads from it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d") if v.time() == dt.time(0) else v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def read_text(folder: Path, name: str) -> pd.DataFrame:
    """A feed file as text columns, blanks as empty strings (the way ingest sees it)."""
    path = feed_file(folder, name)
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = [[cell_text(c) for c in r] for r in ws.iter_rows(values_only=True)]
        return pd.DataFrame(rows[1:], columns=rows[0])
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])


def typed(df: pd.DataFrame, feed: Feed) -> pd.DataFrame:
    """The columns converted to their declared types (blank -> null)."""
    out = {}
    for c in feed.columns:
        s = df[c.name].replace("", None)
        if c.type in ("integer", "number", "money"):
            out[c.name] = pd.to_numeric(s).astype("float64")
        elif c.type in ("date", "timestamp"):
            out[c.name] = pd.to_datetime(s)
        elif c.type == "boolean":
            out[c.name] = s.map({"true": True, "false": False}).astype("boolean")
        else:
            out[c.name] = s.astype(object)
    return pd.DataFrame(out)


def problems(folder: Path, feed: Feed) -> list[str]:
    """Everything in a feed file that breaks feeds.yaml."""
    df = read_text(folder, feed.name)
    found = []
    if list(df.columns) != feed.column_names:
        return [f"{feed.name}: header {list(df.columns)} != {feed.column_names}"]
    tomorrow = pd.Timestamp(dt.date.today() + dt.timedelta(days=1))
    for c in feed.columns:
        s = df[c.name]
        present = s[s != ""]
        if c.required and len(present) != len(s):
            found.append(f"{feed.name}.{c.name}: {len(s) - len(present)} blank but required")
        if c.type in PATTERNS:
            bad = present[~present.str.fullmatch(PATTERNS[c.type])]
            if len(bad):
                found.append(f"{feed.name}.{c.name}: not {c.type}: {bad.head(3).tolist()}")
                continue
        if c.values:
            extra = set(present) - set(c.values)
            if extra:
                found.append(f"{feed.name}.{c.name}: values {sorted(extra)[:5]} not in {c.values}")
        if c.type in ("integer", "number", "money") and len(present):
            v = pd.to_numeric(present)
            if c.min is not None and (v < c.min).any():
                found.append(f"{feed.name}.{c.name}: below {c.min}")
            if c.max is not None and (v > c.max).any():
                found.append(f"{feed.name}.{c.name}: above {c.max}")
        if c.type in ("date", "timestamp") and len(present):
            v = pd.to_datetime(present)
            if c.not_future and (v > tomorrow).any():
                found.append(f"{feed.name}.{c.name}: in the future")
        if len(present) and present.str.len().max() > c.max_length:
            found.append(f"{feed.name}.{c.name}: longer than {c.max_length}")
    dup = df.duplicated(list(feed.key)).sum()
    if dup:
        found.append(f"{feed.name}: {dup} duplicate keys {feed.key}")
    con = duckdb.connect()
    con.register("t", typed(df, feed))
    for check in feed.checks:
        n = con.execute(f"select count(*) from t where not ({check.rule})").fetchall()[0][0]
        if n:
            found.append(f"{feed.name}: {n} rows break {check.rule}")
    con.close()
    return found


# ---- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tiny, tmp_path):
    a, b, c = tiny[0], tmp_path / "b", tmp_path / "c"
    generate(b, seed=7, scale=0.05)
    generate(c, seed=8, scale=0.05)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for name in ("incidents.csv", "usage.csv", "costs.csv", "training.csv", "backups.csv", "vulnerabilities.csv"):
        assert (a / name).read_bytes() != (c / name).read_bytes(), name


# ---- the feeds.yaml contract -------------------------------------------------------------------


def test_one_file_per_feed_named_after_it(small):
    folder, truth = small
    expected = {f"{n}.csv" for n in feeds()} - {"budgets.csv"} | {"budgets.xlsx", "ground_truth.json"}
    assert {p.name for p in folder.iterdir()} == expected
    assert set(truth.rows) == set(feeds())


# Feeds written in their tool's own layout (FIRST's EPSS file, the HHS OCR report): ingest maps them
# through their profiles, and tests/test_demo.py loads them with no rejects.
TOOL_LAYOUTS = {"epss", "breaches"}


@pytest.mark.parametrize("name", sorted(set(feeds()) - TOOL_LAYOUTS))
def test_feed_satisfies_feeds_yaml(small, name):
    folder, truth = small
    assert problems(folder, feeds()[name]) == []
    assert len(read_text(folder, name)) == truth.rows[name]


def test_csv_format_is_plain(small):
    folder, _ = small
    raw = (folder / "contracts.csv").read_text(encoding="utf-8")
    assert raw.splitlines()[0] == ",".join(feeds()["contracts"].column_names)
    assert '"Colocation space and power, recovery data center"' in raw  # quoted because of the comma
    assert '"C-' not in raw  # nothing quoted that does not need it
    costs = read_text(folder, "costs")
    assert costs["amount"].str.fullmatch(r"-?\d+\.\d{2}").all()
    assert (costs["amount"].str.startswith("-")).any()  # a few credits


def test_budgets_workbook_has_real_dates_and_the_declared_header(small):
    folder, truth = small
    ws = openpyxl.load_workbook(folder / "budgets.xlsx").worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == feeds()["budgets"].column_names
    assert all(isinstance(r[1], dt.datetime) and r[1].day == 1 for r in rows[1:])
    assert all(isinstance(r[4], (int, float)) for r in rows[1:])
    years = sorted({r[0] for r in rows[1:]})
    assert years == list(truth.budget_fiscal_years) == [2024, 2025, 2026, 2027, 2028]


def test_incident_timestamps_are_consistent(small):
    folder, _ = small
    t = typed(read_text(folder, "incidents"), feeds()["incidents"])
    assert not (t.closed_at < t.resolved_at).any()
    assert not (t.acknowledged_at < t.opened_at).any()
    assert t.opened_at.max() <= pd.Timestamp(END) + pd.Timedelta(days=1)
    open_states = t.state.isin(["new", "in_progress", "on_hold"])
    assert t.loc[open_states, "opened_at"].min() > pd.Timestamp(END) - pd.Timedelta(days=120)
    assert t.loc[open_states, "resolved_at"].isna().all()


def test_hospital_profile(small):
    folder, _ = small
    h = read_text(folder, "hospital").iloc[0]
    assert h["hospital_id"] == "SMRMC" and h["time_zone"] == "America/Chicago"
    assert h["fiscal_year_start_month"] == "7" and h["beds"] == "450" and h["state"] == "IL"


# ---- scale -------------------------------------------------------------------------------------


def test_rows_scale_linearly(small, double):
    _, t1 = small
    _, t2 = double
    for name in ("incidents", "usage", "costs", "backups", "training"):
        ratio = t2.rows[name] / t1.rows[name]
        assert 1.7 <= ratio <= 2.3, (name, ratio)
    for name in (
        "hospital",
        "vendors",
        "systems",
        "contracts",
        "vulnerabilities",
        "kev",
        "dr_tests",
        "phishing",
        "controls",
        "findings",
        "initiatives",
        "budgets",
    ):
        assert t1.rows[name] == t2.rows[name], name


# ---- planted situations ------------------------------------------------------------------------


def test_ground_truth_file_matches_return_value(small):
    folder, truth = small
    data = json.loads((folder / "ground_truth.json").read_text())
    assert data == json.loads(truth.to_json())
    assert GroundTruth.load(folder / "ground_truth.json") == truth


def test_end_of_support_switches_with_rising_p1_p2(small):
    folder, truth = small
    g = truth.eos_switch_stack
    systems = read_text(folder, "systems").set_index("system_id")
    past_eos = systems[(systems.end_of_support != "") & (systems.end_of_support < str(END))]
    tier1_past = past_eos[past_eos.criticality_tier == "1"]
    assert sorted(tier1_past.index) == sorted(g.system_ids)
    assert set(past_eos.index) == set(g.system_ids)
    inc = read_text(folder, "incidents")
    hit = inc[inc.system_id.isin(g.system_ids) & inc.priority.isin(["1", "2"])]
    q = pd.to_datetime(hit.opened_at).dt.to_period("Q").astype(str).str.replace("Q", "-Q")
    counts = q.value_counts().to_dict()
    assert {k: v for k, v in g.p1_p2_by_quarter.items() if v} == counts
    rising = [g.p1_p2_by_quarter[k] for k in g.rising_quarters]
    assert len(rising) >= 4 and all(a < b for a, b in zip(rising, rising[1:]))
    assert max(v for k, v in g.p1_p2_by_quarter.items() if k not in g.rising_quarters) < rising[-1] / 3


def test_only_the_planted_ehr_month_is_below_99_9(small):
    folder, truth = small
    g = truth.ehr_outage_month
    inc = read_text(folder, "incidents")
    ehr = inc[inc.system_id == g.system_id]
    month = pd.to_datetime(ehr.opened_at).dt.strftime("%Y-%m")
    minutes = ehr.outage_minutes.astype(float).groupby(month).sum()
    months = pd.period_range("2023-10", "2026-09", freq="M")
    avail = {str(m): 100 * (1 - minutes.get(str(m), 0.0) / (m.days_in_month * 1440)) for m in months}
    low = [m for m, a in avail.items() if a < 99.9]
    assert low == [g.month]
    assert avail[g.month] < 99.8 and abs(avail[g.month] - g.availability_pct) < 1e-3
    assert min(a for m, a in avail.items() if m != g.month) >= 99.95


def test_only_the_planted_vendor_misses_its_response_sla(small):
    """Judged on the vendor's own clock (engaged -> responded) per P1 escalation, never on the desk's acknowledgement."""
    folder, truth = small
    g = truth.sla_miss
    inc = read_text(folder, "incidents")
    systems = read_text(folder, "systems")[["system_id", "vendor_id"]]
    contracts = read_text(folder, "contracts")
    sla = (
        contracts[contracts.sla_response_minutes != ""]
        .assign(s=lambda d: d.sla_response_minutes.astype(float))
        .groupby("vendor_id")
        .s.min()
    )
    esc = inc[(inc.priority == "1") & (inc.vendor_responded_at != "")].merge(systems, on="system_id")
    minutes = (pd.to_datetime(esc.vendor_responded_at) - pd.to_datetime(esc.vendor_engaged_at)).dt.total_seconds() / 60
    met = (minutes <= esc.vendor_id.map(sla)).groupby(esc.vendor_id).mean() * 100
    assert met.idxmin() == g.vendor_id and met[g.vendor_id] < 50
    assert met.drop(g.vendor_id).min() == g.lowest_other_vendor_met_pct == 100.0
    assert abs(met[g.vendor_id] - g.p1_response_met_pct) < 0.1
    assert (esc.vendor_id == g.vendor_id).sum() == g.p1_escalations
    # the hospital desk acknowledges the planted vendor's tickets as quickly as anyone's: no vendor is slow on it
    p12 = inc[inc.priority.isin(["1", "2"]) & (inc.acknowledged_at != "")].merge(systems, on="system_id")
    ack = (pd.to_datetime(p12.acknowledged_at) - pd.to_datetime(p12.opened_at)).dt.total_seconds() / 60
    assert ((ack.groupby(p12.vendor_id).median() / sla).dropna() <= 1).all()
    assert set(g.contract_ids) == set(contracts[contracts.vendor_id == g.vendor_id].contract_id)


def test_exactly_one_duplicated_invoice(small):
    folder, truth = small
    g = truth.duplicate_invoice
    costs = read_text(folder, "costs")
    inv = costs[costs.invoice_number != ""]
    dup = inv[inv.duplicated(["vendor_id", "invoice_number", "amount"], keep=False)]
    assert sorted(dup.entry_id) == sorted(g.entry_ids)
    assert set(dup.vendor_id) == {g.vendor_id} and set(dup.invoice_number) == {g.invoice_number}
    assert set(dup.amount) == {g.amount} and sorted(dup.posting_date) == sorted(g.posting_dates)
    assert dup.posting_date.nunique() == 2
    assert not inv.duplicated(["vendor_id", "invoice_number"]).sum() > 1


def test_low_training_department_with_many_howto_tickets(double):
    folder, truth = double
    g = truth.low_training_department
    tr = read_text(folder, "training")
    systems = read_text(folder, "systems")
    ehr_id = systems[systems.category == "ehr"].system_id.iloc[0]
    ehr = tr[(tr.system_id == ehr_id) & (tr.due_on <= str(END))]
    rate = (ehr.completed_on != "").groupby(ehr.department).mean() * 100
    assert rate.idxmin() == g.department and rate[g.department] < 60
    assert rate.drop(g.department).min() >= 85
    usage = read_text(folder, "usage")
    u = usage[usage.system_id == ehr_id]
    active = u.active_users.astype(float).groupby(u.department).sum() / u.day.nunique()
    inc = read_text(folder, "incidents")
    # how-to tickets on the EHR over its users (one population); a department of a few EHR users is a ticket or two
    howto = inc[(inc.category == "how-to") & (inc.system_id == ehr_id)].department.value_counts()
    active = active[active >= 10]
    per_user = (howto.reindex(active.index).fillna(0) / active).dropna()
    assert per_user.idxmax() == g.department
    assert per_user[g.department] > 2 * per_user.drop(g.department).max()


def test_only_the_pacs_dr_test_is_far_over_its_rto(small):
    folder, truth = small
    g = truth.failed_dr_test
    dr = read_text(folder, "dr_tests")
    dr = dr[dr.rto_achieved_hours != ""]
    far = dr[dr.rto_achieved_hours.astype(float) >= 3 * dr.rto_target_hours.astype(float)]
    assert list(far.test_id) == [g.test_id]
    row = far.iloc[0]
    assert row.passed == "false" and row.system_id == g.system_id
    assert (dr.rto_achieved_hours.astype(float) / dr.rto_target_hours.astype(float)).drop(far.index).max() < 2


def test_only_planted_kev_findings_are_open_past_due(small):
    folder, truth = small
    g = truth.overdue_kev
    v = read_text(folder, "vulnerabilities")
    kev = read_text(folder, "kev").set_index("cve_id")
    systems = read_text(folder, "systems").set_index("system_id")
    listed = v[v.vuln_id.isin(kev.index)]
    due = listed.vuln_id.map(kev.due_date)
    open_past = listed[listed.state.isin(["open", "reopened"]) & (due < str(END))]
    assert sorted(zip(open_past.host, open_past.vuln_id)) == sorted(tuple(x) for x in g.findings)
    assert 5 <= len(g.findings) <= 10
    assert (systems.loc[open_past.system_id, "holds_phi"] == "true").all()
    assert sorted(set(open_past.system_id)) == sorted(g.system_ids)
    non_kev = v[~v.vuln_id.isin(kev.index) & v.vuln_id.str.startswith("CVE-")]
    assert len(non_kev) > 100


def test_only_planted_controls_have_stale_evidence(small):
    folder, truth = small
    g = truth.stale_controls
    c = read_text(folder, "controls")
    ref = Path(__file__).resolve().parent.parent / "hitplan" / "reference"
    expected = pd.concat(
        [pd.read_csv(ref / "hipaa_security_rule.csv", dtype=str), pd.read_csv(ref / "hicp_practices.csv", dtype=str)]
    )
    assert sorted(zip(c.framework, c.control_id)) == sorted(zip(expected.framework, expected.control_id))
    stale = c[pd.to_datetime(c.last_evidence_on) < pd.Timestamp(END) - pd.Timedelta(days=365)]
    assert sorted(zip(stale.framework, stale.control_id)) == sorted(tuple(x) for x in g.controls)
    assert 4 <= len(g.controls) <= 8 and set(stale.framework) == {"HIPAA Security Rule"}


def test_only_planted_contracts_hit_their_notice_deadline_soon(small):
    folder, truth = small
    g = truth.renewal_deadlines
    c = read_text(folder, "contracts")
    deadline = pd.to_datetime(c.end_date) - pd.to_timedelta(c.notice_days.astype(int), unit="D")
    soon = c[
        (c.auto_renew == "true")
        & (deadline > pd.Timestamp(END))
        & (deadline <= pd.Timestamp(END) + pd.Timedelta(days=60))
    ]
    assert sorted(soon.contract_id) == sorted(g.contract_ids)
    assert 2 <= len(g.contract_ids) <= 3
    assert (pd.to_datetime(c.start_date) <= pd.Timestamp(END)).all()


def test_every_phi_vendor_has_a_baa_but_the_planted_one(small):
    folder, truth = small
    systems = read_text(folder, "systems")
    c = read_text(folder, "contracts")
    phi_vendors = set(systems[systems.holds_phi == "true"].vendor_id)
    with_baa = set(c[c.baa_signed == "true"].vendor_id)
    assert phi_vendors - with_baa == {truth.baa_gap.vendor_id} and truth.baa_gaps == (truth.baa_gap.vendor_id,)


def test_only_the_planted_pool_climbs_over_budget(small):
    folder, truth = small
    g = truth.over_budget_pool
    costs = read_text(folder, "costs")
    budgets = read_text(folder, "budgets")
    actual = costs.amount.astype(float).groupby([costs.cost_pool, costs.posting_date.str[:7].rename("m")]).sum()
    budget = budgets.amount.astype(float).groupby([budgets.cost_pool, budgets.month.str[:7].rename("m")]).sum()
    ratio = (actual / budget).dropna()
    fy_months = [f"{g.fiscal_year - 1}-{m:02d}" for m in range(7, 13)] + [
        f"{g.fiscal_year}-{m:02d}" for m in range(1, 7)
    ]
    planted = ratio[g.cost_pool].reindex(fy_months)
    assert (planted.diff().dropna() > 0).all() and planted.iloc[-1] > 1.10
    others = ratio.drop(g.cost_pool, level=0)
    assert others.max() < 1.05
    assert abs(planted.iloc[-1] - g.actual_to_budget_by_month[fy_months[-1]]) < 1e-3


def test_initiatives_cover_every_area_and_target_the_planted_systems(small):
    folder, truth = small
    ini = read_text(folder, "initiatives")
    assert set(ini.area) == set(feeds()["initiatives"].column("area").values)
    switch = ini[ini.name == "Replace end-of-support core switch stack"].iloc[0]
    assert set(switch.target_systems.split(";")) == set(truth.eos_switch_stack.system_ids)
    kev = ini[ini.name == "Remediate KEV-listed vulnerabilities"].iloc[0]
    assert set(kev.target_systems.split(";")) == set(truth.overdue_kev.system_ids)
    # open ones can start within the plan's first year, which begins in the first quarter after the data
    first = dt.date.fromisoformat(truth.prioritization_plants.plan_start)
    assert first == dt.date(2026, 10, 1)  # the data ends 2026-09-30
    starts = pd.to_datetime(ini[ini.status != "done"].earliest_start).dt.date
    assert all(first <= s < dt.date(first.year + 1, first.month, 1) for s in starts)
    assert 1 <= (ini.mandatory == "true").sum() <= 3
    ids = set(ini.initiative_id)
    for col in ("depends_on", "excludes"):
        refs = {r for v in ini[col] if v for r in v.split(";")}
        assert refs <= ids


def test_initiatives_carry_risk_classes_ranges_team_hours_and_dates(small):
    """Issue 17's columns, as the plants need them: every initiative's team hours add up to its staff hours."""
    folder, truth = small
    g = truth.prioritization_plants
    ini = read_text(folder, "initiatives").set_index("initiative_id")
    for r in ini.itertuples():
        hours = {t: int(h) for t, h in (p.split(":") for p in r.team_hours.split(";"))}
        assert sum(hours.values()) == int(r.staff_hours), r.Index
        assert set(hours) <= {"network", "ehr_apps", "security", "service_desk", "infrastructure"}
        for what in ("incident", "outage"):
            low, high = getattr(r, f"{what}_reduction_low_pct"), getattr(r, f"{what}_reduction_high_pct")
            if low:
                assert float(low) <= float(getattr(r, f"{what}_reduction_pct")) <= float(high), r.Index
    assert ini.loc[g.overdue_kev, "addresses"] == "kev"
    switch = ini[ini.name == "Replace end-of-support core switch stack"].iloc[0]
    assert "end_of_support" in switch.addresses.split(";")
    zero = ini.loc[g.zero_effect]
    assert zero.addresses == "" and float(zero.incident_reduction_pct) == float(zero.outage_reduction_pct) == 0
    assert set(zero.target_systems.split(";")) == set(g.zero_effect_targets) >= {truth.ehr_outage_month.system_id}
    assert ini.loc[g.due_by, "due_by"] == g.due_by_day > g.plan_start
    # the bottleneck team: asked for more than three years of its budget
    asked = sum(int(h) for v, s in zip(ini.team_hours, ini.status) if s not in ("done", "rejected")
                for t, h in (p.split(":") for p in v.split(";")) if t == g.bottleneck_team)
    assert asked == g.team_demand_hours[g.bottleneck_team] > 3 * g.team_budget_hours[g.bottleneck_team]
    done = ini[ini.status == "done"]
    assert set(done.index) == {g.realized_drop, g.realized_flat}
    for iid, day in ((g.realized_drop, g.realized_drop_finished_on), (g.realized_flat, g.realized_flat_finished_on)):
        assert done.loc[iid, "finished_on"] == day
        assert truth.start < day <= (dt.date.fromisoformat(truth.end) - dt.timedelta(days=182)).isoformat()
    assert (ini[ini.status != "done"].finished_on == "").all()


def test_a_done_initiatives_target_really_has_fewer_p1_incidents_after_it_finished(small):
    """Six months either side of the finish day: the planted drop (2 P1s a month, then 0.5) and the planted flat
    rate (1 a month throughout) are in the incidents file, whatever the everyday tickets add."""
    folder, truth = small
    g = truth.prioritization_plants
    inc = read_text(folder, "incidents")
    p1 = inc[inc.priority == "1"].assign(opened=lambda d: pd.to_datetime(d.opened_at))

    def counts(targets: tuple[str, ...], finished: str) -> tuple[int, int]:
        day = pd.Timestamp(finished) + pd.Timedelta(days=1)  # the day after the finish day
        mine = p1[p1.system_id.isin(targets)]
        before = mine[(mine.opened >= day - pd.DateOffset(months=6)) & (mine.opened < day)]
        after = mine[(mine.opened >= day) & (mine.opened < day + pd.DateOffset(months=6))]
        return len(before), len(after)

    before, after = counts(g.realized_drop_targets, g.realized_drop_finished_on)
    # planted 6 x 2 = 12 before and 6 x 0.5 = 3 after; everyday P1s on the target add a few at most
    assert before >= 6 * g.p1_per_month_before[g.realized_drop] and after <= 6 * g.p1_per_month_after[g.realized_drop] + 2
    assert before >= 3 * after
    before, after = counts(g.realized_flat_targets, g.realized_flat_finished_on)
    assert abs(before - after) <= 3 and before >= 6 * g.p1_per_month_before[g.realized_flat]


def test_callers_are_plain_fictional_names(small):
    folder, _ = small
    inc = read_text(folder, "incidents")
    assert inc.caller.str.fullmatch(r"[A-Z][a-z]+ [A-Z][A-Za-z]+").all()
    assert 100 <= inc.caller.nunique() <= 500
    assert re.search(r"re INC\d{7}", " ".join(inc.short_description))


# ---- arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale": 0},
        {"scale": -1},
        {"scale": float("nan")},
        {"seed": -3},
        {"start": dt.date(2025, 1, 1), "end": dt.date(2024, 1, 1)},
        {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 1, 1)},
        {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 6, 30)},
        {"end": dt.date.today() + dt.timedelta(days=3)},
    ],
)
def test_bad_arguments_raise_value_error(tmp_path, kwargs):
    with pytest.raises(ValueError):
        generate(tmp_path / "x", **kwargs)
    assert not (tmp_path / "x").exists()


def test_fixed_feeds_and_planted_ids_do_not_depend_on_scale(tiny, small):
    """Each feed draws from its own stream: the fixed feeds and every planted id are the same at any scale."""
    (a, ta), (b, tb) = tiny, small
    for name in (
        "systems",
        "vendors",
        "contracts",
        "vulnerabilities",
        "controls",
        "phishing",
        "dr_tests",
        "findings",
        "initiatives",
        "kev",
        "hospital",
    ):
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
    assert (a / "budgets.xlsx").read_bytes() == (b / "budgets.xlsx").read_bytes()
    for field in (
        "eos_switch_stack",
        "failed_dr_test",
        "overdue_kev",
        "stale_controls",
        "renewal_deadlines",
        "over_budget_pool",
        "audit_findings_due",
        "dr_coverage_gaps",
        "risk_accepted_findings",
        "open_criticals_past_policy",
        "baa_gap",
    ):
        assert getattr(ta, field) == getattr(tb, field), field
    assert (ta.ehr_outage_month.month, ta.ehr_outage_month.outage_minutes) == (
        tb.ehr_outage_month.month,
        tb.ehr_outage_month.outage_minutes,
    )
    assert ta.duplicate_invoice.invoice_number == tb.duplicate_invoice.invoice_number
    assert ta.low_training_department.department == tb.low_training_department.department
    assert np.isfinite(tb.ehr_outage_month.availability_pct)
