"""What the synthetic hospital was built to contain: the planted situations, with the exact ids to find.

The analyses of later issues are tested against this: each must report exactly the ids planted here,
and nothing else, on the demo data. ``ground_truth.json`` beside the feeds holds the same content.
"""

from __future__ import annotations

import json
import types
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints


@dataclass(frozen=True)
class EosSwitchStack:
    """1. Tier-1 core switches past end of support whose P1/P2 incidents rise over the last quarters."""

    system_ids: tuple[str, ...]
    end_of_support: str
    rising_quarters: tuple[str, ...]
    p1_p2_by_quarter: dict[str, int]


@dataclass(frozen=True)
class EhrOutageMonth:
    """2. The one month the EHR was below 99.9 % available (availability from incident outage minutes)."""

    system_id: str
    month: str
    outage_minutes: float
    availability_pct: float
    lowest_other_month_pct: float


@dataclass(frozen=True)
class SlaMiss:
    """3. The vendor that answers the P1 tickets escalated to it (vendor_engaged_at -> vendor_responded_at) well past
    its contract's response SLA: its per-ticket attainment is far below every other vendor's (the hospital desk's own
    acknowledgement of its tickets is as quick as any other's)."""

    vendor_id: str
    vendor_name: str
    contract_ids: tuple[str, ...]
    sla_response_minutes: float
    system_ids: tuple[str, ...]
    p1_escalations: int  # answered in the window
    p1_response_met_pct: float
    median_vendor_response_minutes: float
    lowest_other_vendor_met_pct: float


@dataclass(frozen=True)
class DuplicateInvoice:
    """4. An invoice posted twice (two entry ids, same vendor, invoice number and amount)."""

    entry_ids: tuple[str, str]
    vendor_id: str
    invoice_number: str
    amount: str
    posting_dates: tuple[str, str]


@dataclass(frozen=True)
class LowTrainingDepartment:
    """5. The department with weak EHR training completion and many how-to tickets per active user."""

    department: str
    ehr_completion_pct: float
    other_departments_ehr_completion_pct: float
    howto_per_100_active_users: float
    other_departments_howto_per_100_active_users: float


@dataclass(frozen=True)
class FailedDrTest:
    """6. The PACS disaster-recovery test that took over three times its recovery time objective."""

    test_id: str
    system_id: str
    rto_target_hours: float
    rto_achieved_hours: float


@dataclass(frozen=True)
class OverdueKev:
    """7. Findings of CISA KEV-listed CVEs still open after their due date, on systems holding PHI."""

    findings: tuple[tuple[str, str], ...]
    system_ids: tuple[str, ...]


@dataclass(frozen=True)
class StaleControls:
    """8. HIPAA controls whose latest evidence is more than 12 months older than the window end."""

    controls: tuple[tuple[str, str], ...]
    evidence_before: str


@dataclass(frozen=True)
class RenewalDeadlines:
    """9. Auto-renewing contracts whose notice deadline (end_date - notice_days) is in the 60 days after the window."""

    contract_ids: tuple[str, ...]
    notice_deadlines: tuple[str, ...]


@dataclass(frozen=True)
class OverBudgetPool:
    """10. The cost pool whose actuals climb further over budget month after month in the latest fiscal year."""

    cost_pool: str
    fiscal_year: int
    actual_to_budget_by_month: dict[str, float]


@dataclass(frozen=True)
class CostAnomalies:
    """11. Two ledger lines beside the duplicate invoice: an invoice far above its vendor's earlier lines (a spike)
    and an ordinary invoice coded to a cost pool its vendor never posts to (off its usual pool)."""

    spike_entry_id: str
    spike_vendor_id: str
    spike_amount: str
    spike_posting_date: str
    off_pool_entry_id: str
    off_pool_vendor_id: str
    off_pool_amount: str
    off_pool_posting_date: str
    off_pool_cost_pool: str
    usual_cost_pool: str


@dataclass(frozen=True)
class AuditFindingsDue:
    """Audit findings due inside the data: open past their due day at the window's end, and closed after it
    (every other finding is closed on time or not yet due)."""

    past_due: tuple[str, ...]
    past_due_on: tuple[str, ...]
    closed_late: tuple[str, ...]
    closed_late_days: tuple[int, ...]


@dataclass(frozen=True)
class DrCoverageGaps:
    """Tier-1/2 systems without a passed technical DR test in the 12 months to the window's end (from ``since``), by
    what they have: only tabletop exercises, only failed technical tests, or no test at all; ``untested_planted`` is
    the application whose latest yearly test was dropped (the other untested ones are circuits and printers)."""

    since: str
    tabletop_only: tuple[str, ...]
    failed_only: tuple[str, ...]
    untested: tuple[str, ...]
    untested_planted: str


@dataclass(frozen=True)
class RiskAcceptedFindings:
    """Scanner findings in state accepted_risk: the KEV one past CISA's due day (BOD 22-01 allows no such
    acceptance), and every one of high severity that is not KEV-listed."""

    kev_findings: tuple[tuple[str, str], ...]
    kev_due_dates: tuple[str, ...]
    kev_system_ids: tuple[str, ...]
    non_kev_high: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OpenCriticalsPastPolicy:
    """Critical findings (host, vuln id) open at the window's end whose remediation clock ran out: ``policy_days``
    after first seen (CISA BOD 19-02), and for KEV ones CISA's due day; the oldest has been open ``oldest_days``."""

    policy_days: int
    findings: tuple[tuple[str, str], ...]
    oldest_days: int


@dataclass(frozen=True)
class LateTraining:
    """The department whose training is mostly completed after the due day (percent of completed assignments due in
    the window), against the median of the others; and the assignments open past their due day at the window's end."""

    department: str
    late_pct: float
    other_departments_late_pct: float
    department_open_past_due: int
    open_past_due: int


@dataclass(frozen=True)
class BackupGap:
    """A tier-1 system with no backup job in the last year: its nightly job left the schedule after ``last_job_on``."""

    system_id: str
    last_job_on: str
    no_jobs_since: str


@dataclass(frozen=True)
class BaaGap:
    """A vendor paid for a PHI system (one it does not supply) with no BAA in force: baa_signed false on its contracts."""

    vendor_id: str
    vendor_name: str
    contract_ids: tuple[str, ...]
    paid_phi_system_ids: tuple[str, ...]
    supplied_phi_system_ids: tuple[str, ...]


@dataclass(frozen=True)
class LateBreachNotice:
    """The one breach of PHI whose individuals were notified after the 60 days of 45 CFR 164.404(b); every other
    breach in the window was notified within them or is still inside them at the window's end."""

    incident_number: str
    system_id: str
    discovered_at: str
    individuals_notified_at: str
    days_to_notify: int
    individuals_affected: int
    breaches: int  # breaches discovered in the window
    other_breaches_max_days: int


@dataclass(frozen=True)
class CascadingOutage:
    """The core-switch P1 outages that took the applications behind the switch down with them: each event's switch
    ticket and its dependants' tickets (opened minutes later, down no longer than the switch)."""

    events: int
    switch_incidents: tuple[str, ...]
    dependant_incidents: tuple[tuple[str, ...], ...]
    dependant_system_ids: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PrioritizationPlants:
    """Issue 17's plants in the initiatives feed. ``zero_effect``: large problems on its targets (the EHR) but no
    promised effect and no risk class removed (ranks in the bottom half). ``overdue_kev``: addresses kev on targets
    whose KEV findings are past CISA's due day (starts in the plan's first quarter, ``plan_start``). ``due_by`` must
    finish by ``due_by_day``. ``bottleneck_team`` is asked for ``team_demand_hours`` (open initiatives) against
    ``team_budget_hours`` a fiscal year (the teams of hitplan/prioritize/budget_example.yaml): it binds. The done
    initiatives: ``realized_drop``'s target's P1 incidents fall after ``realized_drop_finished_on`` from
    ``p1_per_month_before`` to ``p1_per_month_after`` a month (planted ones, beside the everyday few); ``realized_flat``'s
    target's do not change after ``realized_flat_finished_on``."""

    plan_start: str
    zero_effect: str
    zero_effect_targets: tuple[str, ...]
    overdue_kev: str
    due_by: str
    due_by_day: str
    bottleneck_team: str
    team_budget_hours: dict[str, int]
    team_demand_hours: dict[str, int]
    realized_drop: str
    realized_drop_targets: tuple[str, ...]
    realized_drop_finished_on: str
    realized_flat: str
    realized_flat_targets: tuple[str, ...]
    realized_flat_finished_on: str
    p1_per_month_before: dict[str, float]
    p1_per_month_after: dict[str, float]


@dataclass(frozen=True)
class GroundTruth:
    """The parameters, row counts and planted situations of one generated hospital."""

    seed: int
    scale: float
    start: str
    end: str
    hospital_id: str
    planning_fiscal_year: int
    budget_fiscal_years: tuple[int, ...]
    rows: dict[str, int]
    eos_switch_stack: EosSwitchStack
    ehr_outage_month: EhrOutageMonth
    sla_miss: SlaMiss
    duplicate_invoice: DuplicateInvoice
    low_training_department: LowTrainingDepartment
    failed_dr_test: FailedDrTest
    overdue_kev: OverdueKev
    stale_controls: StaleControls
    renewal_deadlines: RenewalDeadlines
    over_budget_pool: OverBudgetPool
    # The vendor ids planted without a BAA in force (baa_gap below); empty in files written before it was planted.
    baa_gaps: tuple[str, ...] = field(default_factory=tuple)
    # Absent from ground_truth.json files written before it was planted (None then).
    cost_anomalies: CostAnomalies | None = None
    # The demo made honest (issue 16): compliance, training, security and continuity plants (None in older files).
    audit_findings_due: AuditFindingsDue | None = None
    dr_coverage_gaps: DrCoverageGaps | None = None
    risk_accepted_findings: RiskAcceptedFindings | None = None
    open_criticals_past_policy: OpenCriticalsPastPolicy | None = None
    late_training: LateTraining | None = None
    backup_gap: BackupGap | None = None
    baa_gap: BaaGap | None = None
    # The demo made honest (issue 16): incidents plants (None in older files).
    late_breach_notice: LateBreachNotice | None = None
    cascading_outage: CascadingOutage | None = None
    # Decision-grade prioritization (issue 17): the initiatives' plants (None in older files).
    prioritization_plants: PrioritizationPlants | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready content."""
        return asdict(self)

    def to_json(self) -> str:
        """Stable, indented JSON."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroundTruth:
        """Rebuild from ``to_dict`` output (lists become tuples again)."""
        return _build(cls, data)

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        """Read a ground_truth.json."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _build(tp: Any, value: Any) -> Any:
    """``value`` converted to the annotated type ``tp`` (dataclasses, tuples, dicts, scalars)."""
    if is_dataclass(tp):
        hints = get_type_hints(tp)
        return tp(**{f.name: _build(hints[f.name], value[f.name]) for f in fields(tp) if f.name in value})
    if isinstance(tp, types.UnionType):  # X | None
        if value is None:
            return None
        return _build(next(a for a in tp.__args__ if a is not type(None)), value)
    origin = getattr(tp, "__origin__", None)
    if origin is tuple:
        args = tp.__args__
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value))
    if origin is dict:
        return dict(value)
    return value
