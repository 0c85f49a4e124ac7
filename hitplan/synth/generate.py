"""Writing the whole synthetic hospital: every feed file, then ground_truth.json."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hitplan.schema import feeds
from hitplan.synth import catalog, compliance, continuity, finance, initiatives, security
from hitplan.synth import org as org_feeds
from hitplan.synth import output as out
from hitplan.synth.contracts import Contract, build_contracts, contract_columns, vendor_sla_minutes
from hitplan.synth.contracts import BAA_GAP_VENDOR
from hitplan.synth.incidents import IncidentGenerator, IncidentStats
from hitplan.synth.training import TrainingBuilder
from hitplan.synth.truth import (
    CostAnomalies,
    DuplicateInvoice,
    EhrOutageMonth,
    EosSwitchStack,
    FailedDrTest,
    GroundTruth,
    LowTrainingDepartment,
    OverBudgetPool,
    OverdueKev,
    RenewalDeadlines,
    SlaMiss,
    StaleControls,
)
from hitplan.synth.truth import (  # the demo made honest (issue 16): compliance, training, security, continuity
    AuditFindingsDue,
    BaaGap,
    BackupGap,
    DrCoverageGaps,
    LateTraining,
    OpenCriticalsPastPolicy,
    RiskAcceptedFindings,
)
from hitplan.synth.truth import CascadingOutage, LateBreachNotice  # the demo made honest (issue 16): incidents
from hitplan.synth.truth import PrioritizationPlants  # decision-grade prioritization (issue 17)
from hitplan.synth.usage import UsageGenerator
from hitplan.synth.world import Month, Org, Params, fiscal_year, window_months

Progress = Callable[[str], None]
# The real HHS OCR breach report (trimmed, see hitplan/reference/SOURCES.md): peers are not synthetic.
OCR_BREACHES = Path(__file__).resolve().parents[1] / "reference" / "hhs_ocr_breaches.csv"
MIN_WINDOW_DAYS = 365
RENEWAL_HORIZON_DAYS = 60


def validated(seed: int, scale: float, start: dt.date, end: dt.date) -> Params:
    """The parameters, or ValueError saying what is wrong with them."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a number > 0, got {scale!r}")
    for name, d in (("start", start), ("end", end)):
        if not isinstance(d, dt.date):
            raise ValueError(f"{name} must be a date, got {d!r}")
    start = start.date() if isinstance(start, dt.datetime) else start
    end = end.date() if isinstance(end, dt.datetime) else end
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start})")
    if (end - start).days + 1 < MIN_WINDOW_DAYS:
        raise ValueError(f"the window {start} to {end} is shorter than a year; give at least {MIN_WINDOW_DAYS} days")
    # The only use of the clock: event feeds must not be dated in the future.
    if end > dt.date.today():
        raise ValueError(f"end ({end}) is in the future; the last day must be today or earlier")
    params = Params(int(seed), float(scale), start, end)
    _check_kev_reach(params)
    return params


def _check_kev_reach(params: Params) -> None:
    """The planted KEV findings need KEV entries due well inside the window."""
    kev = security.read_kev()
    cutoff = (params.end - dt.timedelta(days=45)).isoformat()
    eligible = [
        r
        for r in kev
        if r["vendor_project"] == "Microsoft"
        and "Windows" in r["product"]
        and r["date_added"] >= params.start.isoformat()
        and r["due_date"] < cutoff
    ]
    if len(eligible) < sum(security.PLANTED_KEV_PER_SYSTEM):
        raise ValueError(
            f"the window {params.start} to {params.end} holds too few KEV due dates "
            f"(the snapshot covers {min(r['date_added'] for r in kev)} to {max(r['date_added'] for r in kev)}); "
            "move it so it spans part of that range"
        )


def generate(
    out_dir: Path,
    *,
    seed: int = 7,
    scale: float = 1.0,
    start: dt.date = dt.date(2023, 10, 1),
    end: dt.date = dt.date(2026, 9, 30),
    progress: Progress | None = None,
) -> GroundTruth:
    """Write every feed of the synthetic hospital into ``out_dir`` and return what was planted in it."""
    params = validated(seed, scale, start, end)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _m: None)
    writer = _FeedWriter(out_dir, say)
    org = Org(params)
    contracts = build_contracts(params, org)
    months = window_months(params)

    writer.small("hospital", org_feeds.hospital_columns())
    writer.small("vendors", org_feeds.vendor_columns(org))
    writer.small("systems", org_feeds.system_columns(org))
    inc = IncidentGenerator(params, org, contracts)
    writer.monthly("incidents", months, inc.month)
    use = UsageGenerator(params, org)
    writer.monthly("usage", months, use.month)
    ledger = finance.Ledger(params, org, contracts)
    writer.monthly("costs", months, ledger.month)
    writer.budgets(ledger)
    writer.small("contracts", contract_columns(org, contracts))
    vulns = security.VulnerabilityBuilder(params, org, security.read_kev())
    vuln_columns = vulns.build()
    writer.small("vulnerabilities", vuln_columns)
    kev_rows = security.read_kev()
    writer.small("kev", security.kev_columns(kev_rows))
    cves = [c for c in vuln_columns["cve"].to_pylist() if c] + [r["cve_id"] for r in kev_rows]
    writer.text_file("epss", "epss.csv", security.epss_text(params, cves, {r["cve_id"] for r in kev_rows}))
    writer.copy("breaches", "breaches.csv", OCR_BREACHES)
    writer.small("system_aliases", security.alias_columns(org))
    dr_cols, dr_test_id = continuity.dr_tests(params, org)
    writer.small("dr_tests", dr_cols)
    backups = continuity.BackupGenerator(params, org)
    writer.monthly("backups", months, backups.month)
    trainer = TrainingBuilder(params, org)
    assignments = trainer.assignments()
    writer.chunked("training", trainer.chunks(assignments))
    writer.small("phishing", security.phishing_columns(params, org))
    controls = compliance.read_controls()
    control_cols, stale = compliance.control_columns(params, controls)
    writer.small("controls", control_cols)
    writer.small("findings", compliance.finding_columns(params, controls))
    planning_fy = fiscal_year(params.end) + 1
    writer.small("initiatives", initiatives.initiative_columns(org, params.start, params.end))
    missing = set(feeds()) - set(writer.rows)
    if missing:
        raise RuntimeError(f"feeds.yaml declares feeds the generator does not write: {sorted(missing)}")

    truth = GroundTruth(
        seed=params.seed,
        scale=params.scale,
        start=params.start.isoformat(),
        end=params.end.isoformat(),
        hospital_id=catalog.HOSPITAL["hospital_id"],
        planning_fiscal_year=planning_fy,
        budget_fiscal_years=tuple(finance.fiscal_years(params)),
        rows=dict(writer.rows),
        eos_switch_stack=_eos_truth(org, inc),
        ehr_outage_month=_ehr_truth(org, inc.stats, months),
        sla_miss=_sla_truth(org, contracts, inc.stats),
        duplicate_invoice=_duplicate_truth(org, ledger),
        low_training_department=_training_truth(
            org, trainer.ehr_completion(assignments), use.ehr_mean_active(), inc.stats
        ),
        failed_dr_test=FailedDrTest(dr_test_id, org.sid(catalog.PACS), 4.0, continuity.PACS_RTO_ACHIEVED),
        overdue_kev=OverdueKev(tuple(sorted(vulns.planted)), tuple(sorted(org.sid(k) for k in catalog.KEV_SYSTEMS))),
        stale_controls=StaleControls(tuple(stale), (params.end - dt.timedelta(days=365)).isoformat()),
        renewal_deadlines=_renewal_truth(params, contracts),
        over_budget_pool=_budget_truth(params, ledger),
        cost_anomalies=_cost_anomaly_truth(org, ledger),
        baa_gaps=(org.vendor_ids[BAA_GAP_VENDOR],),
        audit_findings_due=_audit_findings_truth(params, controls),
        dr_coverage_gaps=_dr_coverage_truth(params, org, dr_cols),
        risk_accepted_findings=_risk_accepted_truth(org, vulns),
        open_criticals_past_policy=_open_criticals_truth(vulns),
        late_training=_late_training_truth(trainer.late_completion(assignments)),
        backup_gap=_backup_gap_truth(params, org, backups),
        baa_gap=_baa_gap_truth(org, contracts, ledger),
        late_breach_notice=_late_breach_truth(inc.stats),
        cascading_outage=_cascade_truth(inc.stats),
        prioritization_plants=_prioritization_truth(params, org),
    )
    (out_dir / "ground_truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth


class _FeedWriter:
    """Writes feeds and keeps their row counts."""

    def __init__(self, out_dir: Path, say: Progress) -> None:
        self.out_dir, self.say = out_dir, say
        self.rows: dict[str, int] = {}
        self.schema = feeds()

    def _done(self, name: str, n: int) -> None:
        """Record a finished feed and say so."""
        self.rows[name] = n
        self.say(f"{name}: {n:,} rows")

    def small(self, name: str, columns: dict) -> None:
        """A feed written in one piece."""
        self._done(name, out.write_csv(self.out_dir, self.schema[name], columns))

    def monthly(self, name: str, months: list[Month], month_columns: Callable[[Month], dict]) -> None:
        """A big feed streamed a month at a time."""
        with out.CsvFeedWriter(self.out_dir, self.schema[name]) as w:
            for m in months:
                w.write(month_columns(m))
        self._done(name, w.rows)

    def chunked(self, name: str, chunks) -> None:
        """A feed streamed in prepared chunks."""
        with out.CsvFeedWriter(self.out_dir, self.schema[name]) as w:
            for cols in chunks:
                w.write(cols)
        self._done(name, w.rows)

    def text_file(self, name: str, filename: str, text: str) -> None:
        """A feed written in its tool's own layout (comment lines and all), counted by data rows."""
        (self.out_dir / filename).write_text(text, encoding="utf-8")
        lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
        self._done(name, len(lines) - 1)

    def copy(self, name: str, filename: str, source: Path) -> None:
        """A real reference file passed through as it is."""
        shutil.copyfile(source, self.out_dir / filename)
        with source.open(newline="", encoding="utf-8") as fh:
            self._done(name, sum(1 for _ in csv.reader(fh)) - 1)

    def budgets(self, ledger: finance.Ledger) -> None:
        """The budget workbook (finance hands budgets over in Excel)."""
        header, rows = finance.budget_header_rows(ledger)
        declared = self.schema["budgets"].column_names
        if header != declared:
            raise RuntimeError(f"budgets columns {header} differ from feeds.yaml {declared}")
        out.write_xlsx(self.out_dir / "budgets.xlsx", header, rows, date_columns=[1], money_columns=[4])
        self._done("budgets", len(rows))


def _eos_truth(org: Org, inc: IncidentGenerator) -> EosSwitchStack:
    """Planted situation 1."""
    quarters = list(inc.quarters)
    counts = {q: int(inc.stats.switch_by_quarter.get(q, 0)) for q in quarters}
    from hitplan.synth.incidents import RISING_COUNTS

    k = min(len(RISING_COUNTS), max(1, len(quarters) - 1))
    eos = str(org.end_of_support[org.index[catalog.EOS_SWITCHES[0]]])
    return EosSwitchStack(tuple(org.sid(s) for s in catalog.EOS_SWITCHES), eos, tuple(quarters[-k:]), counts)


def _ehr_truth(org: Org, stats: IncidentStats, months: list[Month]) -> EhrOutageMonth:
    """Planted situation 2."""
    minutes = {m.label: m.full_days * 1440 for m in months}
    avail = {k: 100.0 * (1 - v / minutes[k]) for k, v in stats.ehr_outage_by_month.items()}
    month = stats.ehr_outage_month
    others = [v for k, v in avail.items() if k != month]
    return EhrOutageMonth(
        org.sid(catalog.EHR),
        month,
        float(stats.ehr_outage_by_month[month]),
        round(float(avail[month]), 4),
        round(float(min(others)), 4),
    )


def _sla_truth(org: Org, contracts: list[Contract], stats: IncidentStats) -> SlaMiss:
    """Planted situation 3: per-ticket attainment of the vendors' responses to P1 escalations."""
    sla = vendor_sla_minutes(contracts)
    v = catalog.SLA_VENDOR

    def answered(key: str) -> np.ndarray:
        minutes = np.concatenate(stats.vendor_p1_response.get(key, [np.zeros(0)]))
        return minutes[np.isfinite(minutes)]

    def met_pct(key: str) -> float:
        a = answered(key)
        return 100.0 * float((a <= sla[key]).mean())

    others = [met_pct(k) for k in stats.vendor_p1_response if k != v and k in sla and len(answered(k))]
    ids = tuple(sorted(c.contract_id for c in contracts if c.vendor == v and c.sla_response is not None))
    vendor = next(x for x in catalog.VENDORS if x.key == v)
    mine = answered(v)
    return SlaMiss(
        org.vendor_ids[v],
        vendor.name,
        ids,
        sla[v],
        tuple(org.system_ids[i] for i, s in enumerate(org.systems) if s.vendor == v),
        int(len(mine)),
        round(met_pct(v), 1) if len(mine) else 0.0,
        round(float(np.median(mine)), 1) if len(mine) else 0.0,
        round(min(others), 1) if others else 100.0,
    )


def _late_breach_truth(stats: IncidentStats) -> LateBreachNotice:
    """The breach notified late, and the others' longest notice."""
    row = next(b for b in stats.breaches if b[0] == stats.late_breach)
    others = [int(b[4]) for b in stats.breaches if b[0] != stats.late_breach and np.isfinite(b[4])]
    return LateBreachNotice(
        row[0], row[1], row[2], row[3], int(row[4]), int(row[5]), len(stats.breaches), max(others, default=0)
    )


def _cascade_truth(stats: IncidentStats) -> CascadingOutage:
    """Every core-switch P1 outage and the dependants' tickets it raised."""
    events = [stats.cascades[g] for g in sorted(stats.cascades)]
    return CascadingOutage(
        len(events),
        tuple(e[0] for e in events),
        tuple(tuple(d[0] for d in e[4]) for e in events),
        tuple(tuple(d[1] for d in e[4]) for e in events),
    )


def _duplicate_truth(org: Org, ledger: finance.Ledger) -> DuplicateInvoice:
    """Planted situation 4."""
    (e1, d1, inv), (e2, d2, _) = ledger.duplicate_entries
    cents = finance.DUPLICATE_AMOUNT_CENTS
    return DuplicateInvoice(
        (e1, e2), org.vendor_ids[catalog.DUPLICATE_INVOICE_VENDOR], inv, f"{cents // 100}.{cents % 100:02d}", (d1, d2)
    )


def _cost_anomaly_truth(org: Org, ledger: finance.Ledger) -> CostAnomalies:
    """Planted situation 11."""
    spike_entry, spike_day, spike_cents = ledger.planted_lines[finance.SPIKE]
    off_entry, off_day, off_cents = ledger.planted_lines[finance.OFF_POOL]
    return CostAnomalies(
        spike_entry, org.vendor_ids[finance.SPIKE_VENDOR], f"{spike_cents // 100}.{spike_cents % 100:02d}", spike_day,
        off_entry, org.vendor_ids[finance.OFF_POOL_VENDOR], f"{off_cents // 100}.{off_cents % 100:02d}", off_day,
        finance.OFF_POOL_TO, finance.OFF_POOL_FROM,
    )


def _training_truth(
    org: Org, completion: dict[str, float], active: dict[str, float], stats: IncidentStats
) -> LowTrainingDepartment:
    """Planted situation 5 (how-to tickets on the EHR per 100 average daily active EHR users)."""
    dept = catalog.LOW_TRAINING_DEPARTMENT
    others = [v for k, v in completion.items() if k != dept]
    rate = {d: 100.0 * stats.howto_by_dept[org.dept_index[d]] / a for d, a in active.items() if a > 0}
    other_rates = [v for k, v in rate.items() if k != dept]
    return LowTrainingDepartment(
        dept,
        round(float(completion.get(dept, 0.0)), 1),
        round(float(np.median(others)), 1) if others else 0.0,
        round(float(rate.get(dept, 0.0)), 2),
        round(float(np.median(other_rates)), 2) if other_rates else 0.0,
    )


def _renewal_truth(params: Params, contracts: list[Contract]) -> RenewalDeadlines:
    """Planted situation 9."""
    horizon = params.end + dt.timedelta(days=RENEWAL_HORIZON_DAYS)
    hits = sorted(
        (c for c in contracts if c.auto_renew and params.end < c.notice_deadline <= horizon),
        key=lambda c: c.notice_deadline,
    )
    return RenewalDeadlines(tuple(c.contract_id for c in hits), tuple(c.notice_deadline.isoformat() for c in hits))


def _budget_truth(params: Params, ledger: finance.Ledger) -> OverBudgetPool:
    """Planted situation 10."""
    pool = finance.OVER_BUDGET_POOL
    ratios = {
        m: round(r, 4)
        for (p, m), r in sorted(ledger.ratios.items(), key=lambda x: x[0][1])
        if p == pool and m >= f"{ledger.ramp_start.year:04d}-{ledger.ramp_start.month:02d}"
    }
    return OverBudgetPool(pool, finance.latest_complete_fiscal_year(params), ratios)


def _audit_findings_truth(params: Params, controls: list[dict[str, str]]) -> AuditFindingsDue:
    """Audit findings planted past due and closed late."""
    _, f = compliance.finding_rows(params, controls)
    return AuditFindingsDue(f.past_due, f.past_due_on, f.closed_late, f.closed_late_days)


def _dr_coverage_truth(params: Params, org: Org, dr_cols: dict) -> DrCoverageGaps:
    """Tier-1/2 systems without a passed technical DR test in the last 12 months, by what they have."""
    gaps = continuity.dr_coverage(params, org, dr_cols)
    return DrCoverageGaps(
        continuity.coverage_since(params).isoformat(),
        tuple(gaps["tabletop_only"]),
        tuple(gaps["failed_only"]),
        tuple(gaps["untested"]),
        org.sid(continuity.UNTESTED_DR_SYSTEM),
    )


def _risk_accepted_truth(org: Org, vulns: security.VulnerabilityBuilder) -> RiskAcceptedFindings:
    """The risk-accepted KEV finding and the non-KEV high ones."""
    due = {r["cve_id"]: r["due_date"] for r in vulns.kev}
    kev = sorted(vulns.accepted_kev)
    return RiskAcceptedFindings(
        tuple(kev),
        tuple(due[c] for _, c in kev),
        tuple(org.sid(security.ACCEPTED_KEV_SYSTEM) for _ in kev),
        tuple(vulns.accepted_non_kev("high")),
    )


def _open_criticals_truth(vulns: security.VulnerabilityBuilder) -> OpenCriticalsPastPolicy:
    """Critical findings open past the remediation policy at the window's end."""
    hits = vulns.open_critical_past_policy()
    return OpenCriticalsPastPolicy(
        security.CRITICAL_POLICY_DAYS, tuple(sorted((h, v) for h, v, _ in hits)), max((d for *_, d in hits), default=0)
    )


def _late_training_truth(per_dept: dict[str, tuple[int, int, int]]) -> LateTraining:
    """The department planted with late training completions."""
    from hitplan.synth.training import LATE_TRAINING_DEPARTMENT as dept

    late = {d: 100.0 * lt / c for d, (c, lt, _) in per_dept.items() if c > 0}
    others = [v for d, v in late.items() if d != dept]
    return LateTraining(
        dept,
        round(float(late.get(dept, 0.0)), 1),
        round(float(np.median(others)), 1) if others else 0.0,
        int(per_dept.get(dept, (0, 0, 0))[2]),
        int(sum(o for _, _, o in per_dept.values())),
    )


def _backup_gap_truth(params: Params, org: Org, backups: continuity.BackupGenerator) -> BackupGap:
    """The tier-1 system whose backups stopped."""
    last = backups.gap_last_job
    return BackupGap(
        org.sid(continuity.BACKUP_GAP_SYSTEM),
        str(last) if last is not None else "",
        str(backups.gap_from),
    )


def _baa_gap_truth(org: Org, contracts: list[Contract], ledger: finance.Ledger) -> BaaGap:
    """The vendor paid for a PHI system with no BAA in force."""
    v = BAA_GAP_VENDOR
    phi = {s.key for s in org.systems if s.phi}
    name = next(x.name for x in catalog.VENDORS if x.key == v)
    return BaaGap(
        org.vendor_ids[v],
        name,
        tuple(sorted(c.contract_id for c in contracts if c.vendor == v)),
        tuple(sorted({org.sid(st.system) for st in ledger.streams if st.vendor == v and st.system in phi
                      and org.spec(st.system).vendor != v})),
        tuple(sorted(org.sid(s.key) for s in org.systems if s.vendor == v and s.phi)),
    )


def _prioritization_truth(params: Params, org: Org) -> PrioritizationPlants:
    """Issue 17's plants in the initiatives feed (ids are INI- and the 1-based position)."""
    ini = initiatives

    def iid(pos: int) -> str:
        return f"INI-{pos:03d}"

    def targets(pos: int) -> tuple[str, ...]:
        return tuple(org.sid(k) for k in ini.INITIATIVES[pos - 1].systems)

    def done(pos: int) -> str:
        return ini.finished_on(ini.INITIATIVES[pos - 1], params.start, params.end).isoformat()

    scale = max(1.0, params.scale)
    return PrioritizationPlants(
        ini.plan_start(params.end).isoformat(), iid(ini.ZERO_EFFECT), targets(ini.ZERO_EFFECT), iid(ini.OVERDUE_KEV),
        iid(ini.DUE_BY), ini.due_by_day(params.end).isoformat(), ini.BOTTLENECK_TEAM, dict(ini.TEAM_BUDGET_HOURS), ini.team_demand(),
        iid(ini.REALIZED_DROP), targets(ini.REALIZED_DROP), done(ini.REALIZED_DROP),
        iid(ini.REALIZED_FLAT), targets(ini.REALIZED_FLAT), done(ini.REALIZED_FLAT),
        {iid(k): v[0] * scale for k, v in ini.P1_PER_MONTH.items()},
        {iid(k): v[1] * scale for k, v in ini.P1_PER_MONTH.items()},
    )
